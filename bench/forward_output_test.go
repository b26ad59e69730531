package bench_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"testing"

	lumberlog "github.com/elastic/go-lumber/log"
	lumber "github.com/elastic/go-lumber/server/v2"

	"github.com/elbstream/elbstream/forward/output"
)

// BenchmarkForwardOutput measures the forwarder's outputs against local
// receivers on the loopback: go-lumber's beats server (every window
// acknowledged) and a TCP sink (the tcp output's baseline). Events are
// ~500-byte ECS-like JSON objects sent in batches of 8192, as the delivery
// loop hands them over; MB/s counts event bytes. The receivers do not
// decode JSON: the cost measured is the sender's and the protocol's.
//
//	go test -run '^$' -bench ForwardOutput -benchtime=2s -count=3 ./bench
func BenchmarkForwardOutput(b *testing.B) {
	lumberlog.Logger = log.New(io.Discard, "", 0)
	evs := benchEvents(8192)
	size := 0
	for _, e := range evs {
		size += len(e)
	}
	for _, kind := range []string{"tcp", "beats"} {
		for _, conns := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/conns=%d", kind, conns), func(b *testing.B) {
				url := startReceiver(b, kind)
				out, err := output.Open(url, output.Config{Connections: conns})
				if err != nil {
					b.Fatal(err)
				}
				defer out.Close()
				ctx := context.Background()
				if err := out.Send(ctx, evs[:1]); err != nil { // dial outside the timer
					b.Fatal(err)
				}
				b.SetBytes(int64(size / len(evs)))
				b.ReportAllocs()
				b.ResetTimer()
				for sent := 0; sent < b.N; sent += len(evs) {
					if err := out.Send(ctx, evs[:min(len(evs), b.N-sent)]); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

func benchEvents(n int) [][]byte {
	evs := make([][]byte, n)
	for i := range evs {
		evs[i] = fmt.Appendf(nil, `{"@timestamp":"2024-05-01T12:00:%02d.123Z","event":{"id":"8f2c1e0a9b7d4c3e-%d","kind":"event","category":["web"],"outcome":"success"},"source":{"ip":"203.0.113.%d","port":51234},"http":{"request":{"method":"GET"},"response":{"status_code":200,"body":{"bytes":3421}}},"url":{"original":"https://shop.example.com:443/api/v1/items?page=%d"},"user_agent":{"original":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"},"aws":{"elb":{"name":"app/my-loadbalancer/50dc6c495c0c9188","type":"https","target_port":["10.0.0.1:80"],"request_processing_time":{"sec":0.001}}}}`, i%60, i, i%250, i)
	}
	return evs
}

func startReceiver(b *testing.B, kind string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	if kind == "tcp" {
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { io.Copy(io.Discard, c); c.Close() }()
			}
		}()
		b.Cleanup(func() { ln.Close() })
		return "tcp://" + ln.Addr().String()
	}
	srv, err := lumber.NewWithListener(ln, lumber.JSONDecoder(func([]byte, any) error { return nil }))
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		for batch := range srv.ReceiveChan() {
			batch.ACK()
		}
	}()
	b.Cleanup(func() { srv.Close() })
	return "beats://" + ln.Addr().String()
}
