// Command plot draws bench/parser.svg from the output of the parser
// benchmarks:
//
//	go test -run '^$' -bench Parser -benchmem -count 5 ./bench/ > bench/results.txt
//	go run ./bench/plot < bench/results.txt > bench/parser.svg
//
// One group of bars per format, one bar per implementation, the median of
// the runs. It plots MB/cpu-s (input throughput per CPU second, the honest
// per-core number on a shared machine) when the results have it, else MB/s.
// The x axis is logarithmic: the implementations differ by orders of
// magnitude. Each bar is labelled with its value and its ratio to the
// regexp-map baseline of its format.
package main

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func main() {
	res, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
	if len(res.values) == 0 {
		fmt.Fprintln(os.Stderr, "plot: no BenchmarkParser/format=…/impl=… results on stdin")
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	draw(w, res)
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

type key struct{ format, impl string }

type results struct {
	metric  string
	values  map[key][]float64
	formats []string // in order of appearance
	impls   []string
	cpu     string // the cpu: line, if any
}

var benchLine = regexp.MustCompile(`^BenchmarkParser/format=([^/]+)/impl=(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// parse reads go test -bench output.
func parse(r io.Reader) (*results, error) {
	res := &results{values: map[key][]float64{}}
	raw := map[key]map[string][]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if cpu, ok := strings.CutPrefix(line, "cpu: "); ok {
			res.cpu = strings.TrimSpace(cpu)
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		k := key{m[1], m[2]}
		if !slices.Contains(res.formats, k.format) {
			res.formats = append(res.formats, k.format)
		}
		if !slices.Contains(res.impls, k.impl) {
			res.impls = append(res.impls, k.impl)
		}
		if raw[k] == nil {
			raw[k] = map[string][]float64{}
		}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%q: %v", line, err)
			}
			raw[k][f[i+1]] = append(raw[k][f[i+1]], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	res.metric = "MB/s"
	for _, units := range raw {
		if len(units["MB/cpu-s"]) > 0 {
			res.metric = "MB/cpu-s"
		}
	}
	for k, units := range raw {
		if v := units[res.metric]; len(v) > 0 {
			res.values[k] = v
		}
	}
	return res, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

var colors = []string{"#1f77b4", "#2ca02c", "#d62728", "#ff7f0e", "#9467bd", "#8c564b"}

// draw writes the chart as SVG.
func draw(w io.Writer, res *results) {
	const (
		left, right, top = 170.0, 150.0, 60.0
		barH, gap        = 16.0, 14.0
		plotW            = 560.0
	)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range res.values {
		m := median(v)
		lo, hi = math.Min(lo, m), math.Max(hi, m)
	}
	lo = math.Pow(10, math.Floor(math.Log10(lo)))
	hi = math.Pow(10, math.Ceil(math.Log10(hi)))
	x := func(v float64) float64 { return left + plotW*math.Log10(v/lo)/math.Log10(hi/lo) }

	y := top
	type bar struct {
		y     float64
		k     key
		med   float64
		color string
	}
	var bars []bar
	var groups []struct {
		y0, y1 float64
		format string
	}
	for _, f := range res.formats {
		y0 := y
		for i, impl := range res.impls {
			v, ok := res.values[key{f, impl}]
			if !ok {
				continue
			}
			bars = append(bars, bar{y, key{f, impl}, median(v), colors[i%len(colors)]})
			y += barH + 2
		}
		groups = append(groups, struct {
			y0, y1 float64
			format string
		}{y0, y, f})
		y += gap
	}
	height := y + 50
	width := left + plotW + right

	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	title := "transform/elblog vs regexp + encoding/json: one log line to one JSON event"
	fmt.Fprintf(w, `<text x="%.0f" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", left-150, html.EscapeString(title))
	sub := res.metric + " of input, median of runs, log scale; ×N is the ratio to impl=regexp-map of the same format"
	if res.cpu != "" {
		sub += "; cpu: " + res.cpu
	}
	fmt.Fprintf(w, `<text x="%.0f" y="40" fill="#555">%s</text>`+"\n", left-150, html.EscapeString(sub))
	for d := lo; d <= hi*1.0001; d *= 10 {
		fmt.Fprintf(w, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#ddd"/>`+"\n", x(d), top-6, x(d), y-gap+4)
		fmt.Fprintf(w, `<text x="%.1f" y="%.0f" text-anchor="middle" fill="#555">%s</text>`+"\n", x(d), y-gap+20, strconv.FormatFloat(d, 'f', -1, 64))
	}
	fmt.Fprintf(w, `<text x="%.0f" y="%.0f" text-anchor="middle" fill="#555">%s</text>`+"\n", left+plotW/2, y-gap+38, res.metric)
	for _, g := range groups {
		fmt.Fprintf(w, `<text x="10" y="%.1f" font-weight="bold">%s</text>`+"\n", (g.y0+g.y1)/2, html.EscapeString(g.format))
	}
	for _, b := range bars {
		label := fmt.Sprintf("%.0f", b.med)
		if base, ok := res.values[key{b.k.format, "regexp-map"}]; ok && b.k.impl != "regexp-map" {
			label += fmt.Sprintf("  ×%.1f", b.med/median(base))
		}
		fmt.Fprintf(w, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, b.y+barH-4, html.EscapeString(b.k.impl))
		fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.0f" fill="%s"/>`+"\n", left, b.y, math.Max(1, x(b.med)-left), barH, b.color)
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f">%s</text>`+"\n", x(b.med)+4, b.y+barH-4, html.EscapeString(label))
	}
	fmt.Fprintln(w, `</svg>`)
}
