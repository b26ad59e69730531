package output

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"testing"
)

// readWindow reads one Lumberjack v2 window of uncompressed JSON frames
// and returns the events' ids.
func readWindow(r *bufio.Reader) ([]string, error) {
	var hdr [6]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	if hdr[0] != '2' || hdr[1] != 'W' {
		return nil, io.ErrUnexpectedEOF
	}
	ids := make([]string, binary.BigEndian.Uint32(hdr[2:]))
	for i := range ids {
		var fh [10]byte // '2' 'J' seq len
		if _, err := io.ReadFull(r, fh[:]); err != nil {
			return nil, err
		}
		payload := make([]byte, binary.BigEndian.Uint32(fh[6:]))
		if _, err := io.ReadFull(r, payload); err != nil {
			return nil, err
		}
		ids[i] = eventID(payload)
	}
	return ids, nil
}

func writeACK(w io.Writer, seq int) error {
	ack := []byte{'2', 'A', 0, 0, 0, 0}
	binary.BigEndian.PutUint32(ack[2:], uint32(seq))
	_, err := w.Write(ack)
	return err
}

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
					ids, err := readWindow(r)
					if err != nil {
						return
					}
					if conn == 0 {
						// Take the first 30, acknowledge them, and die.
						for _, id := range ids[:30] {
							l.add(id)
						}
						firstWindow <- ids
						writeACK(c, 10)
						writeACK(c, 30)
						return
					}
					for _, id := range ids {
						l.add(id)
					}
					if writeACK(c, len(ids)) != nil {
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
