package output

import (
	"bufio"
	"net"
	"testing"

	"github.com/elbstream/elbstream/internal/lumbertest"
)

// Lumberjack ACKs are cumulative within a window: a receiver that
// acknowledged part of a window before the connection broke has those
// events. Only the rest is sent again. go-lumber's server always ACKs whole
// windows, so this peer speaks the few bytes of protocol it needs itself.
func TestBeatsResendsOnlyTheUnacknowledgedRest(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	l := newLedger()
	firstWindow := make(chan []string, 1)
	go func() {
		for conn := 0; ; conn++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					ids, err := lumbertest.ReadWindow(r)
					if err != nil {
						return
					}
					if conn == 0 {
						// Take the first 30, acknowledge them, and die.
						for _, id := range ids[:30] {
							l.add(id)
						}
						firstWindow <- ids
						lumbertest.WriteACK(c, 10)
						lumbertest.WriteACK(c, 30)
						return
					}
					for _, id := range ids {
						l.add(id)
					}
					if lumbertest.WriteACK(c, len(ids)) != nil {
						return
					}
				}
			}()
		}
	}()

	o := open(t, "beats://"+ln.Addr().String(), Config{Connections: 1})
	evs := events(t.Name(), 100)
	send(t, o, evs)
	if m := l.missing(evs); m != 0 {
		t.Fatalf("%d events missing", m)
	}
	if got := len(<-firstWindow); got != 100 {
		t.Fatalf("first window held %d events, want 100", got)
	}
	if n := l.total(); n != 100 {
		t.Errorf("received %d events, want each of the 100 once", n)
	}
	if st := o.Stats(); st.EventsRetried != 70 || st.EventsSent != 170 || st.EventsAcked != 100 {
		t.Errorf("stats = %+v, want the 70 unacknowledged events resent", st)
	}
}
