package output

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elbstream/elbstream/internal/backoff"
)

// pool is the Output of the network schemes: a bounded set of slots, each
// holding at most one long-lived connection. Holding a slot is the right
// to write to its connection, so no connection ever has two writers.
type pool struct {
	url       string
	guarantee Guarantee
	cfg       Config
	dialer    dialer
	validate  func([][]byte) error

	// Every slot is in exactly one of these channels unless a writer holds
	// it. Slots holding a connection are preferred, so an idle pool reuses
	// its connections rather than dialing up to its bound.
	live, empty chan *slot

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	once   sync.Once

	c counters
}

type slot struct{ c *conn }

type counters struct {
	created, destroyed, dialErrors, failures atomic.Uint64
	sent, acked, retried, windows, bytes     atomic.Uint64
}

func (c *counters) stats() Stats {
	// destroyed first: a connection made and closed between the two loads
	// then leaves Open() one too high for a moment, instead of wrapping it
	// below zero (and Connect believing connections are open).
	destroyed := c.destroyed.Load()
	return Stats{
		ConnectionsCreated:   c.created.Load(),
		ConnectionsDestroyed: destroyed,
		DialErrors:           c.dialErrors.Load(),
		Failures:             c.failures.Load(),
		EventsSent:           c.sent.Load(),
		EventsAcked:          c.acked.Load(),
		EventsRetried:        c.retried.Load(),
		Windows:              c.windows.Load(),
		Bytes:                c.bytes.Load(),
	}
}

func newPool(url string, g Guarantee, cfg Config, d dialer, validate func([][]byte) error) *pool {
	p := &pool{url: url, guarantee: g, cfg: cfg, dialer: d, validate: validate}
	p.dialer.bytes = &p.c.bytes
	p.live = make(chan *slot, cfg.Connections)
	p.empty = make(chan *slot, cfg.Connections)
	for range cfg.Connections {
		p.empty <- &slot{}
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p
}

func (p *pool) String() string       { return p.url }
func (p *pool) Guarantee() Guarantee { return p.guarantee }
func (p *pool) Stats() Stats         { return p.c.stats() }

// sendState is one Send's bookkeeping, shared by its workers.
type sendState struct {
	events [][]byte
	window int
	next   atomic.Int64 // index of the next window to take
	acked  []int        // events acknowledged per window

	cancel context.CancelFunc // stops the other workers after a failure

	mu   sync.Mutex
	err  error // first error that stopped a worker
	last error // last transient error retried
}

func (s *sendState) windows() int { return (len(s.events) + s.window - 1) / s.window }

func (s *sendState) fail(err, last error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	if last != nil {
		s.last = last
	}
	s.mu.Unlock()
	s.cancel()
}

// delivered is the length of the prefix of events all acknowledged.
func (s *sendState) delivered() int {
	n := 0
	for i, a := range s.acked {
		n += a
		if a < min(s.window, len(s.events)-i*s.window) {
			break
		}
	}
	return n
}

// Send implements Output. Windows are taken in order by up to
// cfg.Connections workers, each on its own connection; a failed window is
// retried from its first unacknowledged event.
func (p *pool) Send(ctx context.Context, events [][]byte) error {
	if len(events) == 0 {
		return nil
	}
	if err := p.validate(events); err != nil {
		return &SendError{Total: len(events), Err: err}
	}
	if p.ctx.Err() != nil {
		return &SendError{Total: len(events), Err: ErrClosed}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(p.ctx, cancel)()

	s := &sendState{events: events, window: p.cfg.WindowSize, cancel: cancel}
	s.acked = make([]int, s.windows())
	workers := min(len(s.acked), p.cfg.Connections)
	if workers == 1 {
		p.work(ctx, s)
	} else {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() { p.work(ctx, s) })
		}
		wg.Wait()
	}
	if s.err == nil {
		return nil
	}
	err := s.err
	if p.ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = ErrClosed
	}
	return &SendError{Delivered: s.delivered(), Total: len(events), Err: err, Last: s.last}
}

// work delivers windows until none is left or one cannot be delivered.
func (p *pool) work(ctx context.Context, s *sendState) {
	for {
		i := int(s.next.Add(1) - 1)
		if i >= len(s.acked) || ctx.Err() != nil {
			if i < len(s.acked) {
				s.fail(ctx.Err(), nil)
			}
			return
		}
		window := s.events[i*s.window : min(len(s.events), (i+1)*s.window)]
		if err, last := p.deliver(ctx, window, i*s.window, &s.acked[i]); err != nil {
			s.fail(err, last)
			return
		}
	}
}

// deliver sends window, which starts at index first of the Send's events,
// until every event in it is acknowledged, redialing and resending the
// unacknowledged rest after each failure. It gives up on a permanent error
// or when ctx is done; last is the last error retried.
//
// Events are checked only for their braces before sending (validObjects):
// one that has them but is not JSON makes a beats receiver close the
// connection without an ACK, every time. So after stuckAttempts attempts
// in a row that wrote the window and had none of it acknowledged, the rest
// of the window is parsed, and an event that is not JSON is reported as an
// InvalidEventError, for the caller to skip, instead of stalling the shard.
func (p *pool) deliver(ctx context.Context, window [][]byte, first int, acked *int) (err, last error) {
	written := false // some of window[*acked:] went out before
	stuck := 0       // attempts in a row that wrote and got nothing acknowledged
	for attempt := 1; ; attempt++ {
		n, wrote, err := p.attempt(ctx, window[*acked:], written)
		written = written || wrote
		*acked += n
		if err == nil || *acked == len(window) {
			return nil, nil
		}
		if wrote && n == 0 {
			stuck++
		} else {
			stuck = 0
		}
		if stuck == stuckAttempts {
			for j, e := range window[*acked:] {
				if !json.Valid(e) {
					return &InvalidEventError{Index: first + *acked + j, Reason: "not valid JSON (the receiver closed the connection on it)"}, err
				}
			}
		}
		if done := expired(ctx); done != nil {
			// This attempt was most likely cut short by ctx (a dial or ACK
			// wait interrupted reads "i/o timeout"): an earlier failure
			// says more about why nothing got through.
			if last == nil && !errors.Is(err, done) {
				last = err
			}
			return done, last
		}
		if Permanent(err) {
			return err, last
		}
		last = err
		wait := backoff.Delay(attempt, minBackoff, p.cfg.MaxBackoff)
		if p.cfg.OnRetry != nil {
			p.cfg.OnRetry(fmt.Errorf("%s: %w", p.url, err), wait)
		}
		if err := backoff.Sleep(ctx, wait); err != nil {
			return err, last
		}
	}
}

// expired returns ctx's error, or context.DeadlineExceeded once its
// deadline has passed: a dial or read bounded by that deadline can fail
// with "i/o timeout" just before ctx's own timer has marked it done.
func expired(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// attempt sends events once over one connection, dialing it if needed. It
// returns how many were acknowledged and whether any were written; resend
// says they were written before, for the counters.
func (p *pool) attempt(ctx context.Context, events [][]byte, resend bool) (n int, wrote bool, err error) {
	s, err := p.acquire(ctx)
	if err != nil {
		return 0, false, err
	}
	defer p.release(s)
	if err := p.ensure(ctx, s); err != nil {
		return 0, false, err
	}
	if resend {
		p.c.retried.Add(uint64(len(events)))
	}
	p.c.sent.Add(uint64(len(events)))
	stop := context.AfterFunc(ctx, s.c.abort)
	n, err = s.c.sess.send(events)
	aborted := !stop()
	s.c.used = time.Now()
	p.c.acked.Add(uint64(n))
	if err == nil && !aborted {
		p.c.windows.Add(1)
		return n, true, nil
	}
	// An aborted connection has its deadlines in the past, and a failed one
	// is in an unknown protocol state: neither is used again.
	p.discard(s)
	if err != nil {
		p.c.failures.Add(1)
	}
	return n, true, err
}

// ensure leaves a confirmed, live connection in s: the one it holds if it
// passes the liveness check, else a new one. One dial, no retry.
func (p *pool) ensure(ctx context.Context, s *slot) error {
	if s.c != nil {
		if p.cfg.IdleTimeout > 0 && time.Since(s.c.used) > p.cfg.IdleTimeout {
			p.discard(s)
		} else if err := s.c.check(); err != nil {
			p.discard(s)
			if Permanent(err) {
				return err // a TLS alert: the receiver refuses us, redialing won't help
			}
		} else {
			return nil
		}
	}
	c, err := p.dialer.dial(ctx)
	if err != nil {
		p.c.dialErrors.Add(1)
		return err
	}
	p.c.created.Add(1)
	c.used = time.Now()
	s.c = c
	return nil
}

func (p *pool) acquire(ctx context.Context) (*slot, error) {
	select {
	case s := <-p.live:
		return s, nil
	default:
	}
	select {
	case s := <-p.live:
		return s, nil
	case s := <-p.empty:
		return s, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *pool) release(s *slot) {
	if s.c != nil {
		p.live <- s
	} else {
		p.empty <- s
	}
}

func (p *pool) discard(s *slot) {
	if s.c != nil {
		s.c.close()
		s.c = nil
		p.c.destroyed.Add(1)
	}
}

// Connect implements Output.
func (p *pool) Connect(ctx context.Context) error {
	if p.ctx.Err() != nil {
		return ErrClosed
	}
	if p.c.stats().Open() > 0 {
		return nil
	}
	s, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer p.release(s)
	if err := p.ensure(ctx, s); err != nil {
		return fmt.Errorf("%s: %w", p.url, err)
	}
	return nil
}

// Close implements Output: it aborts Sends in progress, then closes every
// connection once its slot is returned.
func (p *pool) Close() error {
	p.once.Do(func() {
		p.cancel()
		for range cap(p.live) {
			var s *slot
			select {
			case s = <-p.live:
			case s = <-p.empty:
			}
			p.discard(s)
		}
	})
	return nil
}

// stuckAttempts is how many attempts in a row that delivered nothing make
// deliver look for an event that is not JSON.
const stuckAttempts = 2

// Permanent reports errors that no redial can fix: the TLS configuration
// rejects the receiver's certificate, the receiver rejects ours (a TLS
// alert), or an event cannot be sent at all. Send returns them at once,
// and retrying the Send does not help either: it takes a change of
// configuration on one side.
func Permanent(err error) bool {
	var (
		unknownCA  x509.UnknownAuthorityError
		hostname   x509.HostnameError
		invalid    x509.CertificateInvalidError
		verify     *tls.CertificateVerificationError
		remote     *net.OpError
		recordHdr  tls.RecordHeaderError
		invalidEvt *InvalidEventError
	)
	return errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || errors.As(err, &recordHdr) ||
		(errors.As(err, &remote) && remote.Op == "remote error") || // a TLS alert from the receiver
		errors.As(err, &invalidEvt)
}
