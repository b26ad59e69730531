package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

const sample = `goos: linux
cpu: AMD EPYC
BenchmarkParser/format=alb/impl=elblog-2         	   88560	      1100 ns/op	 600.00 MB/s	       610.0 MB/cpu-s	      1528 out-B/op	       0 B/op	       0 allocs/op
BenchmarkParser/format=alb/impl=elblog-2         	   88560	      1100 ns/op	 600.00 MB/s	       630.0 MB/cpu-s	      1528 out-B/op	       0 B/op	       0 allocs/op
BenchmarkParser/format=alb/impl=regexp-map-2     	    6183	     57890 ns/op	  11.40 MB/s	        30.00 MB/cpu-s	      1280 out-B/op	    8456 B/op	     101 allocs/op
BenchmarkParser/format=nlb/impl=elblog-2         	   88560	      1100 ns/op	 600.00 MB/s	       700.0 MB/cpu-s	      1528 out-B/op	       0 B/op	       0 allocs/op
PASS
`

func TestPlot(t *testing.T) {
	res, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if res.metric != "MB/cpu-s" || len(res.formats) != 2 || res.cpu != "AMD EPYC" {
		t.Fatalf("parsed %+v", res)
	}
	if got := median(res.values[key{"alb", "elblog"}]); got != 620 {
		t.Errorf("median %v, want 620", got)
	}
	var svg bytes.Buffer
	draw(&svg, res)
	d := xml.NewDecoder(bytes.NewReader(svg.Bytes()))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("not well-formed SVG: %v", err)
		}
	}
	if !strings.Contains(svg.String(), "×20.7") {
		t.Errorf("no ratio label ×20.7 (620/30) in\n%s", svg.String())
	}
}
