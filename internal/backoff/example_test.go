package backoff_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/elbstream/elbstream/internal/backoff"
)

var errBusy = errors.New("busy")

// A retry loop: each failure waits a little longer, up to a cap, and the
// loop ends with ctx even in the middle of a wait.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	calls := 0
	call := func() error {
		if calls++; calls < 3 {
			return errBusy
		}
		return nil
	}
	for attempt := 1; ; attempt++ {
		err := call()
		if err == nil {
			break
		}
		if err := backoff.Sleep(ctx, backoff.Delay(attempt, time.Millisecond, 10*time.Millisecond)); err != nil {
			fmt.Println("gave up:", err)
			return
		}
	}
	fmt.Println("calls:", calls)
	// Output: calls: 3
}
