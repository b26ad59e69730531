package output

import (
	"encoding/json"
	"fmt"
	"net"
	"time"

	lumber "github.com/elastic/go-lumber/client/v2"
)

// beatsSession sends windows with Elastic's Lumberjack v2 client, the
// protocol of Logstash's beats input, and waits for the window's ACK.
type beatsSession struct {
	cl    *lumber.Client
	items []any // reused window: one *[]byte per event
}

func newBeatsSession(timeout time.Duration, level int) func(net.Conn) session {
	return func(nc net.Conn) session {
		cl, err := lumber.NewWithConn(nc,
			lumber.Timeout(timeout),
			lumber.CompressionLevel(level),
			lumber.JSONEncoder(rawJSON))
		if err != nil {
			// Only invalid options fail, and Config validated them.
			panic(fmt.Sprintf("output: lumberjack client: %v", err))
		}
		return &beatsSession{cl: cl}
	}
}

// rawJSON is the client's encoder: events are already JSON, so each is
// handed over as a *[]byte and written into its JSON data frame as is,
// without a decode and re-encode. A pointer fits in an interface without
// an allocation.
func rawJSON(v any) ([]byte, error) {
	if p, ok := v.(*[]byte); ok {
		return *p, nil
	}
	return json.Marshal(v)
}

func (s *beatsSession) send(events [][]byte) (int, error) {
	s.items = s.items[:0]
	for i := range events {
		s.items = append(s.items, &events[i])
	}
	defer clear(s.items) // keep no reference to the caller's events
	if err := s.cl.Send(s.items); err != nil {
		return 0, fmt.Errorf("beats: send window of %d: %w", len(events), err)
	}
	return s.awaitACK(len(events))
}

// awaitACK reads ACK frames until the whole window of n is acknowledged.
// ACKs are cumulative sequence numbers within the window; a keepalive (an
// ACK of 0, or of a number already seen) only restarts the read deadline.
// On error it returns how many leading events were acknowledged: unlike
// the client's AwaitACK, which reports 0 once the connection breaks, so
// that a partially acknowledged window is not sent whole again.
func (s *beatsSession) awaitACK(n int) (int, error) {
	acked := 0
	for acked < n {
		seq, err := s.cl.ReceiveACK()
		if err != nil {
			return acked, fmt.Errorf("beats: await ack (%d of %d acknowledged): %w", acked, n, err)
		}
		if int64(seq) > int64(n) {
			return acked, fmt.Errorf("beats: await ack: %w: sequence %d in a window of %d", lumber.ErrProtocolError, seq, n)
		}
		acked = max(acked, int(seq))
	}
	return n, nil
}
