package forward

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/elbstream/elbstream/forward/output"
	"github.com/elbstream/elbstream/internal/backoff"
	"github.com/elbstream/elbstream/stream/kpl"
)

// errStopped ends a delivery that was asked to stop between windows.
var errStopped = errors.New("forward: stopped")

// core is what the loop and the Lambda handler share: the output, the
// settings, the in-flight limit and the counters.
type core struct {
	out     Sender
	cfg     Config // defaults applied
	metrics *Metrics
	log     *slog.Logger
	limit   *semaphore.Weighted
	windows sync.Pool // *window
}

func newCore(out Sender, cfg Config, m *Metrics, log *slog.Logger) *core {
	cfg = cfg.withDefaults()
	if m == nil {
		m = new(Metrics)
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c := &core{out: out, cfg: cfg, metrics: m, log: log, limit: semaphore.NewWeighted(int64(cfg.MaxInFlight))}
	c.windows.New = func() any { return &window{events: make([][]byte, 0, cfg.Window)} }
	return c
}

// records is a run of stream records, whichever host read them.
type records interface {
	Len() int
	Data(i int) []byte
	Sequence(i int) string
}

// window collects the events of one Send. The events alias record data.
type window struct {
	dec    kpl.Decoder
	events [][]byte
	bytes  int
	// ends holds, for each record completed but not yet acknowledged, in
	// order, the end of its events in events: all of them are in
	// events[:end] (or were acknowledged earlier).
	ends []int
}

func (w *window) reset() {
	clear(w.events) // drop references to record data
	w.events = w.events[:0]
	w.ends = w.ends[:0]
	w.bytes = 0
}

// acknowledge drops the first n events, which the output delivered, and
// returns how many of the completed records that finishes.
func (w *window) acknowledge(n int) int {
	if n == len(w.events) {
		k := len(w.ends)
		w.reset()
		return k
	}
	k := 0
	for k < len(w.ends) && w.ends[k] <= n {
		k++
	}
	w.ends = w.ends[:copy(w.ends, w.ends[k:])]
	for i := range w.ends {
		w.ends[i] -= n
	}
	for _, e := range w.events[:n] {
		w.bytes -= len(e)
	}
	rest := copy(w.events, w.events[n:])
	clear(w.events[rest:])
	w.events = w.events[:rest]
	return k
}

// remove drops events[i], which can never be delivered.
func (w *window) remove(i int) {
	w.bytes -= len(w.events[i])
	copy(w.events[i:], w.events[i+1:])
	w.events[len(w.events)-1] = nil
	w.events = w.events[:len(w.events)-1]
	for k := range w.ends {
		if w.ends[k] > i {
			w.ends[k]--
		}
	}
}

// delivery says how one call of deliver behaves.
type delivery struct {
	shardID string // for logs
	// retry makes a failed Send wait and try again (the loop) instead of
	// ending the delivery (the Lambda handler).
	retry bool
	// stop, once closed, ends the delivery after the window in hand, as
	// soon as at least one record is fully acknowledged (errStopped).
	stop <-chan struct{}
	// progress, if set, is called after an acknowledged window with the
	// number of leading records now fully acknowledged, when it grew. Its
	// error ends the delivery.
	progress func(acked int) error
}

// stopError carries an error out of a kpl.Decode callback, to tell it from
// a decoding error.
type stopError struct{ err error }

func (e stopError) Error() string { return e.err.Error() }

// deliver sends the events of recs, in order, in windows. It returns the
// number of leading records whose events were all acknowledged and, if it
// stopped before the end, why. A record that cannot be deaggregated, and an
// event the output refuses as invalid, are skipped and counted (see the
// package doc).
func (c *core) deliver(ctx context.Context, recs records, d delivery) (int, error) {
	w := c.windows.Get().(*window)
	defer func() {
		w.reset()
		c.windows.Put(w)
	}()
	acked := 0 // leading records fully acknowledged
	flush := func(last bool) error {
		before := acked
		err := c.send(ctx, w, d, &acked)
		if acked > before && d.progress != nil {
			if perr := d.progress(acked); perr != nil && err == nil {
				err = perr
			}
		}
		// Stop only with progress to report: a consumer.ProcessFunc may not
		// return without an error and without a record done.
		if err == nil && !last && acked > 0 && stopped(d.stop) {
			err = errStopped
		}
		return err
	}
	add := func(r kpl.Record) error {
		if len(w.events) == c.cfg.Window || (len(w.events) > 0 && w.bytes+len(r.Data) > c.cfg.WindowBytes) {
			if err := flush(false); err != nil {
				return stopError{err}
			}
		}
		c.metrics.eventsRead.Add(1)
		w.events = append(w.events, r.Data)
		w.bytes += len(r.Data)
		return nil
	}
	for i := range recs.Len() {
		data := recs.Data(i)
		c.metrics.records.Add(1)
		c.metrics.bytes.Add(int64(len(data)))
		if err := w.dec.Decode(data, add); err != nil {
			var stop stopError
			if errors.As(err, &stop) {
				return acked, stop.err
			}
			c.skip(d.shardID, fmt.Errorf("record %s skipped: %w", recs.Sequence(i), err))
		}
		w.ends = append(w.ends, len(w.events))
	}
	if err := flush(true); err != nil {
		return acked, err
	}
	return acked, nil
}

func (c *core) skip(shardID string, err error) {
	err = fmt.Errorf("forward: shard %s: %w", shardID, err)
	c.metrics.malformed.Add(1)
	c.metrics.fail(err)
	c.log.Error("undeliverable data skipped", "shard", shardID, "err", err)
}

// send hands w's events to the output until all are acknowledged, adding
// the records that completes to *acked. With d.retry it waits and sends
// the unacknowledged rest again after a failure, until ctx is done or d.stop
// closes; without, it returns the first failure. An event the output
// refuses as invalid is dropped and the rest sent at once.
func (c *core) send(ctx context.Context, w *window, d delivery, acked *int) error {
	n := len(w.events)
	if n == 0 {
		*acked += w.acknowledge(0)
		return nil
	}
	if err := c.limit.Acquire(ctx, int64(n)); err != nil {
		return fmt.Errorf("forward: wait for in-flight room: %w", err)
	}
	defer c.limit.Release(int64(n))
	c.metrics.enter(n)
	defer c.metrics.leave(n)
	for attempt := 1; len(w.events) > 0; {
		c.metrics.eventsSent.Add(int64(len(w.events)))
		err := c.out.Send(ctx, w.events)
		done := output.Delivered(err, len(w.events))
		c.metrics.eventsAcked.Add(int64(done))
		*acked += w.acknowledge(done)
		if err == nil {
			break
		}
		// The index is in the events as sent, before the delivered head
		// was acknowledged (and removed) above.
		var invalid *output.InvalidEventError
		if errors.As(err, &invalid) && invalid.Index >= done && invalid.Index-done < len(w.events) {
			i := invalid.Index - done
			c.skip(d.shardID, fmt.Errorf("event refused by the output: %w: %.200q", err, w.events[i]))
			w.remove(i)
			continue
		}
		err = fmt.Errorf("forward: send %d events: %w", len(w.events), err)
		c.metrics.fail(err)
		if !d.retry || ctx.Err() != nil || errors.Is(err, output.ErrClosed) || output.Permanent(err) {
			// A certificate the TLS configuration rejects, or a TLS
			// alert from the receiver, does not go away by retrying:
			// fail now, by name, rather than warn every few seconds.
			return err
		}
		c.metrics.retries.Add(1)
		wait := backoff.Delay(attempt, c.cfg.MinBackoff, c.cfg.MaxBackoff)
		attempt++
		c.log.Warn("send failed, retrying", "shard", d.shardID, "attempt", attempt, "wait", wait, "err", err)
		stop := d.stop
		if *acked == 0 {
			stop = nil // nothing to report yet: keep trying until ctx ends
		}
		if !sleep(ctx, stop, wait) {
			if ctx.Err() == nil {
				return errStopped
			}
			return err
		}
	}
	*acked += w.acknowledge(0)
	return nil
}

// sleep waits for d; it returns false early if ctx is done or stop closed.
func sleep(ctx context.Context, stop <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	}
}

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}
