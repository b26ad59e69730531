package local_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream/local"
)

// Open of a stream another holder has: it fails with ErrInUse after
// LockTimeout, as documented ("It fails with ErrInUse when another process
// holds the stream, after opts.LockTimeout") and as its error says
// ("waited 400ms for its lock"). checkLength's read-only open waits the
// timeout first, then the real open waits it again.
func TestOpenInUseWaitsOneLockTimeout(t *testing.T) {
	dir := t.TempDir()
	s, err := local.Open(dir, local.Options{Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const wait = 400 * time.Millisecond
	began := time.Now()
	_, err = local.Open(dir, local.Options{LockTimeout: wait})
	took := time.Since(began)
	if !errors.Is(err, local.ErrInUse) {
		t.Fatalf("second open: %v, want ErrInUse", err)
	}
	t.Logf("ErrInUse after %v: %v", took, err)
	if took > wait+wait/2 || !strings.Contains(err.Error(), wait.String()) {
		t.Errorf("ErrInUse after %v, its error saying %q; want about the LockTimeout, %v", took, err, wait)
	}
}
