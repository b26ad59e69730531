package kinesis

import "time"

// SetCallTimeout sets the per-call timeout for a test and returns a function
// that restores it.
func SetCallTimeout(d time.Duration) (restore func()) {
	old := callTimeout
	callTimeout = d
	return func() { callTimeout = old }
}
