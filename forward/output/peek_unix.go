//go:build unix

package output

import (
	"errors"
	"io"
	"net"
	"syscall"
)

// peek looks at the socket without blocking or consuming anything: pending
// reports unread bytes, io.EOF a peer close, and other errors (ECONNRESET)
// a dead connection.
func peek(c net.Conn) (pending bool, err error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false, nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false, err
	}
	var (
		n    int
		rerr error
		buf  [1]byte
	)
	if err := rc.Read(func(fd uintptr) bool {
		n, _, rerr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true
	}); err != nil {
		return false, err
	}
	switch {
	case n > 0:
		return true, nil
	case rerr == nil:
		return false, io.EOF
	case errors.Is(rerr, syscall.EAGAIN), errors.Is(rerr, syscall.EWOULDBLOCK), errors.Is(rerr, syscall.EINTR):
		return false, nil
	}
	return false, rerr
}
