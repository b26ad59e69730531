package output

import (
	"fmt"
	"net"
	"time"
)

// tcpSession writes windows as newline-delimited JSON, the json_lines codec
// of Logstash's tcp input. The protocol has no acknowledgement: a window is
// done when it is written and flushed to the kernel.
type tcpSession struct {
	nc      net.Conn
	timeout time.Duration
	buf     []byte // reused window
}

func newTCPSession(timeout time.Duration) func(net.Conn) session {
	return func(nc net.Conn) session { return &tcpSession{nc: nc, timeout: timeout} }
}

func (s *tcpSession) send(events [][]byte) (int, error) {
	// One write per window: no Nagle delays, one TLS record stream, and
	// the copy costs far less than a syscall per event.
	b := s.buf[:0]
	for _, e := range events {
		b = append(b, e...)
		b = append(b, '\n')
	}
	s.buf = b
	if err := s.nc.SetWriteDeadline(time.Now().Add(s.timeout)); err != nil {
		return 0, fmt.Errorf("tcp: %w", err)
	}
	if _, err := s.nc.Write(b); err != nil {
		return 0, fmt.Errorf("tcp: write window of %d: %w", len(events), err)
	}
	return len(events), nil
}
