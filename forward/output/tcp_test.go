package output

import (
	"testing"
)

func TestTCPWritesJSONLines(t *testing.T) {
	r := startTCP(t, nil)
	o := open(t, r.url("tcp"), Config{WindowSize: 100})
	if o.Guarantee() != Written {
		t.Errorf("guarantee = %v, want written", o.Guarantee())
	}
	evs := events(t.Name(), 1234)
	send(t, o, evs)
	// Written is not received: wait for the receiver to read everything.
	r.ledger.waitAll(t, evs)
	if n := r.ledger.total(); n != len(evs) {
		t.Errorf("received %d lines, want %d", n, len(evs))
	}
	st := o.Stats()
	if st.EventsAcked != 1234 || st.Windows != 13 {
		t.Errorf("stats = %+v", st)
	}
	var size uint64
	for _, e := range evs {
		size += uint64(len(e) + 1)
	}
	if st.Bytes != size {
		t.Errorf("bytes = %d, want %d", st.Bytes, size)
	}
}

func TestTCPRefusesEventWithNewline(t *testing.T) {
	r := startTCP(t, nil)
	o := open(t, r.url("tcp"), Config{})
	evs := events(t.Name(), 2)
	evs[1] = []byte("{\"a\":\n1}")
	if err := o.Send(t.Context(), evs); err == nil {
		t.Fatal("an event with a newline was sent")
	}
}
