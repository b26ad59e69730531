package main

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer that progressLine's goroutine and the
// test may use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestProgressLineRedrawsAndClears(t *testing.T) {
	var out lockedBuffer
	var n atomic.Int64
	stop := progressLine(&out, true, time.Millisecond, func(w io.Writer) {
		io.WriteString(w, "step "+strings.Repeat("|", int(n.Add(1))))
	})
	deadline := time.Now().Add(10 * time.Second)
	for n.Load() < 3 {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("rendered %d times in 10s; output %q", n.Load(), out.String())
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	got := out.String()
	if !strings.HasPrefix(got, "\r\033[Kstep |\r\033[Kstep ||") {
		t.Errorf("redraws = %q, want each line drawn over the last", got)
	}
	if !strings.HasSuffix(got, "|\r\033[K") {
		t.Errorf("output ends %q, want the line cleared at stop", got[max(0, len(got)-20):])
	}
}

func TestProgressLineOff(t *testing.T) {
	var out lockedBuffer
	stop := progressLine(&out, false, time.Millisecond, func(w io.Writer) {
		t.Error("rendered while off")
	})
	time.Sleep(5 * time.Millisecond)
	stop()
	if got := out.String(); got != "" {
		t.Errorf("wrote %q while off", got)
	}
}

func TestProgressMode(t *testing.T) {
	for _, tc := range []struct {
		mode       string
		auto, want bool
	}{
		{"always", false, true},
		{"always", true, true},
		{"never", true, false},
		{"auto", true, true},
		{"auto", false, false},
	} {
		if err := checkProgressMode(tc.mode); err != nil {
			t.Errorf("checkProgressMode(%q) = %v", tc.mode, err)
		}
		if got := progressWanted(tc.mode, tc.auto); got != tc.want {
			t.Errorf("progressWanted(%q, %v) = %v, want %v", tc.mode, tc.auto, got, tc.want)
		}
	}
	if err := checkProgressMode("sometimes"); err == nil || !strings.Contains(err.Error(), "want auto, always or never") {
		t.Errorf("checkProgressMode(sometimes) = %v", err)
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Error("isTerminal(buffer) = true")
	}
}
