package backoff

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

func TestDelayDoublesToTheCapWithinJitter(t *testing.T) {
	const (
		lo = 100 * time.Millisecond
		hi = 5 * time.Second
	)
	tests := []struct {
		name    string
		attempt int
		lo, hi  time.Duration
		d       time.Duration // the wait before jitter: Delay is in [d/2, d)
	}{
		{"first retry", 1, lo, hi, lo},
		{"zero counts as first", 0, lo, hi, lo},
		{"negative counts as first", -3, lo, hi, lo},
		{"second doubles", 2, lo, hi, 2 * lo},
		{"sixth", 6, lo, hi, 32 * lo},
		{"seventh is capped", 7, lo, hi, hi},
		{"shift of 62", 63, lo, hi, hi},
		{"shift past int64", 64, lo, hi, hi},
		{"huge attempt", math.MaxInt, lo, hi, hi},
		{"large lo would overflow", 40, time.Hour, 2 * time.Hour, 2 * time.Hour},
		{"lo above hi", 1, time.Second, 300 * time.Millisecond, 300 * time.Millisecond},
		{"lo equals hi", 5, time.Second, time.Second, time.Second},
		{"odd nanoseconds", 1, 3, 100, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 200 {
				got := Delay(tt.attempt, tt.lo, tt.hi)
				if got < tt.d/2 || got >= tt.d {
					t.Fatalf("Delay(%d, %v, %v) = %v, want in [%v, %v)", tt.attempt, tt.lo, tt.hi, got, tt.d/2, tt.d)
				}
			}
		})
	}
}

func TestDelayWithNothingToJitter(t *testing.T) {
	tests := []struct {
		attempt int
		lo, hi  time.Duration
		want    time.Duration
	}{
		{1, 0, time.Second, 0},
		{30, 0, time.Second, 0},
		{1, 1, time.Second, 1},
		{1, time.Second, 1, 1},
		{3, time.Second, 0, 0},
	}
	for _, tt := range tests {
		if got := Delay(tt.attempt, tt.lo, tt.hi); got != tt.want {
			t.Errorf("Delay(%d, %v, %v) = %v, want %v", tt.attempt, tt.lo, tt.hi, got, tt.want)
		}
	}
}

// TestDelaySpreadsOverItsRange checks that the jitter covers the random
// half: many callers throttled together must not come back in step. The
// chance that 1000 fair draws all miss the lowest or the highest eighth is
// below 1e-57.
func TestDelaySpreadsOverItsRange(t *testing.T) {
	const d = time.Second
	lowest, highest := d, time.Duration(0)
	for range 1000 {
		got := Delay(1, d, d)
		lowest, highest = min(lowest, got), max(highest, got)
	}
	if lowest >= d/2+d/16 || highest < d-d/16 {
		t.Errorf("1000 delays of up to %v spread over [%v, %v], want close to [%v, %v)", d, lowest, highest, d/2, d)
	}
}

func TestSleep(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  func(t *testing.T) context.Context
		d    time.Duration
		want error
	}{
		{"elapses", live, time.Millisecond, nil},
		{"zero does not wait", live, 0, nil},
		{"negative does not wait", live, -time.Second, nil},
		{"done before", func(*testing.T) context.Context { return cancelled }, time.Hour, context.Canceled},
		{"done before, zero", func(*testing.T) context.Context { return cancelled }, 0, context.Canceled},
		{"cancelled while sleeping", func(t *testing.T) context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(time.Millisecond, cancel)
			t.Cleanup(cancel)
			return ctx
		}, time.Hour, context.Canceled},
		{"deadline while sleeping", func(t *testing.T) context.Context {
			ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		}, time.Hour, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Sleep(tt.ctx(t), tt.d); !errors.Is(err, tt.want) {
				t.Errorf("Sleep(%v) = %v, want %v", tt.d, err, tt.want)
			}
		})
	}
}

func live(*testing.T) context.Context { return context.Background() }
