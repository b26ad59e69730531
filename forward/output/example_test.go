package output_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"

	lumberlog "github.com/elastic/go-lumber/log"
	lumber "github.com/elastic/go-lumber/server/v2"

	"github.com/elbstream/elbstream/forward/output"
)

func ExampleOpen() {
	out, err := output.Open("stdout", output.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()
	err = out.Send(context.Background(), [][]byte{
		[]byte(`{"event":{"id":"a1"},"message":"first"}`),
		[]byte(`{"event":{"id":"a2"},"message":"second"}`),
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// {"event":{"id":"a1"},"message":"first"}
	// {"event":{"id":"a2"},"message":"second"}
}

// Send to a beats receiver (here go-lumber's server, as Logstash's beats
// input would be): when Send returns nil, the receiver has acknowledged
// every event.
func Example_beats() {
	lumberlog.Logger = log.New(io.Discard, "", 0) // go-lumber logs every connection
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv, err := lumber.NewWithListener(ln)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	go func() {
		for batch := range srv.ReceiveChan() {
			fmt.Println("received", len(batch.Events), "events")
			batch.ACK()
		}
	}()

	out, err := output.Open("beats://"+ln.Addr().String(), output.Config{Connections: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()
	events := [][]byte{
		[]byte(`{"event":{"id":"a1"},"message":"first"}`),
		[]byte(`{"event":{"id":"a2"},"message":"second"}`),
	}
	if err := out.Send(context.Background(), events); err != nil {
		log.Fatal(err)
	}
	st := out.Stats()
	fmt.Println(out.Guarantee(), st.EventsAcked, "events on", st.Open(), "connection")
	// Output:
	// received 2 events
	// acknowledged 2 events on 1 connection
}
