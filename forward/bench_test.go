package forward

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lumber "github.com/elastic/go-lumber/server/v2"

	"github.com/elbstream/elbstream/forward/output"
	"github.com/elbstream/elbstream/stream"
	cplocal "github.com/elbstream/elbstream/stream/checkpoint/local"
	"github.com/elbstream/elbstream/stream/consumer"
	"github.com/elbstream/elbstream/stream/kpl"
	"github.com/elbstream/elbstream/stream/local"
)

// benchEvent is a realistic ALB event of about 600 bytes, as the transform
// stage writes it.
func benchEvent(i int) []byte {
	return fmt.Appendf(nil, `{"@timestamp":"2026-03-01T12:00:00.123456Z","event":{"id":"bench-%010d","dataset":"aws.elb"},"source":{"ip":"203.0.113.7","port":51234},"destination":{"ip":"10.0.0.1","port":80},"http":{"request":{"method":"GET","body":{"bytes":0}},"response":{"status_code":200,"body":{"bytes":5123}},"version":"1.1"},"url":{"original":"https://example.com:443/path/to/resource?q=%d"},"user_agent":{"original":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"},"aws":{"elb":{"name":"app/my-loadbalancer/50dc6c495c0c9188","type":"https","target_port":["10.0.0.1:80"],"request_processing_time":{"sec":0.001},"backend_processing_time":{"sec":0.004},"response_processing_time":{"sec":0}}},"tls":{"cipher":"ECDHE-RSA-AES128-GCM-SHA256","version":"1.2"}}`, i, i)
}

// benchStream holds n events in KPL records of up to 1 MiB, on shards shards.
func benchStream(b *testing.B, shards, n int) (*local.Stream, string) {
	b.Helper()
	dir := b.TempDir()
	s, err := local.Open(dir+"/stream", local.Options{Shards: shards})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	var a kpl.Aggregator
	var entries []stream.Entry
	put := func() {
		if _, err := s.Put(context.Background(), entries); err != nil {
			b.Fatal(err)
		}
		entries = entries[:0]
	}
	// 100 events per record, as the transform stage packs them (about
	// 60 KiB per record).
	for i := 0; i < n; i++ {
		ok, err := a.Add(kpl.Record{PartitionKey: strconv.Itoa(i / 100), Data: benchEvent(i), Position: -1})
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		if a.Len() == 100 {
			entries = append(entries, a.Flush())
			if len(entries) == 50 {
				put()
			}
		}
	}
	if a.Len() > 0 {
		entries = append(entries, a.Flush())
	}
	if len(entries) > 0 {
		put()
	}
	return s, dir
}

// countingBeats is a go-lumber server that only counts events.
func countingBeats(b *testing.B) (string, *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	skip := func([]byte, any) error { return nil }
	srv, err := lumber.NewWithListener(ln, lumber.JSONDecoder(skip), lumber.Keepalive(0))
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for batch := range srv.ReceiveChan() {
			n.Add(int64(len(batch.Events)))
			batch.ACK()
		}
	}()
	b.Cleanup(func() { srv.Close(); <-done })
	return "beats://" + ln.Addr().String(), &n
}

// countingTCP is a json_lines receiver that only counts lines.
func countingTCP(b *testing.B) (string, *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				r := bufio.NewReaderSize(c, 1<<20)
				buf := make([]byte, 1<<20)
				for {
					k, err := r.Read(buf)
					n.Add(int64(bytes.Count(buf[:k], []byte{'\n'})))
					if err == io.EOF || err != nil {
						return
					}
				}
			})
		}
	})
	b.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "tcp://" + ln.Addr().String(), &n
}

// BenchmarkForward measures events per second through the delivery loop,
// from the embedded stream to a local receiver: deaggregation, windows,
// the output's connections and checkpoints included. Each iteration drains
// the whole stream under a new consumer name.
func BenchmarkForward(b *testing.B) {
	const events = 100_000
	for _, tc := range []struct {
		name     string
		receiver func(*testing.B) (string, *atomic.Int64)
		shards   int
	}{
		{"beats/shards=1", countingBeats, 1},
		{"beats/shards=4", countingBeats, 4},
		{"tcp/shards=1", countingTCP, 1},
		{"tcp/shards=4", countingTCP, 4},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s, dir := benchStream(b, tc.shards, events)
			store, err := cplocal.Open(dir + "/checkpoints.db")
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			url, received := tc.receiver(b)
			oc := output.Config{}
			out, err := output.Open(url, oc)
			if err != nil {
				b.Fatal(err)
			}
			defer out.Close()
			f := New(out, Config{Window: 2 * 2048}, nil, nil)
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				err := f.Run(context.Background(), consumer.Config{
					Stream: s, Checkpoints: store, Consumer: fmt.Sprint("bench-", i),
					Drain: true, PollInterval: time.Millisecond,
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			elapsed := time.Since(start)
			b.StopTimer()
			// tcp is done once written: wait for the receiver to read it all.
			for deadline := time.Now().Add(10 * time.Second); received.Load() < int64(b.N*events) && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			if got := received.Load(); got != int64(b.N*events) {
				b.Fatalf("received %d events, want %d", got, b.N*events)
			}
			b.ReportMetric(float64(b.N*events)/elapsed.Seconds(), "events/s")
			b.SetBytes(int64(events * len(benchEvent(0))))
		})
	}
}
