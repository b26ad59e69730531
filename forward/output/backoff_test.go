package output

import (
	"testing"
	"time"
)

func TestBackoffDoublesWithinJitterAndCap(t *testing.T) {
	max := 5 * time.Second
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1600, 3200, 5000, 5000} {
		want *= time.Millisecond
		for range 100 {
			if d := backoff(attempt, max); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempt, d, want/2, want)
			}
		}
	}
	if d := backoff(1000, max); d < max/2 || d > max {
		t.Errorf("backoff(1000) = %v", d)
	}
}
