package stream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// putStream is a Stream whose Put is a function field.
type putStream struct {
	fakeStream
	PutFunc func(ctx context.Context, entries []Entry) ([]PutResult, error)
}

func (p *putStream) Put(ctx context.Context, entries []Entry) ([]PutResult, error) {
	return p.PutFunc(ctx, entries)
}

// fastRetry keeps the tests' backoff short.
var fastRetry = PutRetry{MinBackoff: time.Microsecond, MaxBackoff: time.Millisecond}

func putEntries(n int) []Entry {
	es := make([]Entry, n)
	for i := range es {
		es[i] = Entry{Data: fmt.Appendf(nil, "e%d", i), PartitionKey: "k"}
	}
	return es
}

// names returns the entries' data, to compare calls.
func names(es []Entry) string {
	var b strings.Builder
	for _, e := range es {
		b.Write(e.Data)
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}

// outcomes records PutAll's done calls.
type outcomes map[int]PutResult

func (o outcomes) done(t *testing.T) func(int, PutResult) {
	return func(i int, r PutResult) {
		if _, ok := o[i]; ok {
			t.Errorf("done(%d) called twice", i)
		}
		o[i] = r
	}
}

type round struct{ round, entries, throttled int }

func TestPutAllRetriesOnlyFailedEntries(t *testing.T) {
	entries := putEntries(5)
	orig := names(entries)
	// Entry data -> the error codes of its successive attempts.
	script := map[string][]string{
		"e1": {ErrCodeThrottled},
		"e3": {ErrCodeThrottled, ErrCodeInternal},
		"e4": {"KMSThrottlingException"},
	}
	var calls []string
	s := &putStream{PutFunc: func(_ context.Context, es []Entry) ([]PutResult, error) {
		calls = append(calls, names(es))
		res := make([]PutResult, len(es))
		for k, e := range es {
			if codes := script[string(e.Data)]; len(codes) > 0 {
				res[k] = PutResult{ErrorCode: codes[0], ErrorMessage: "try again"}
				script[string(e.Data)] = codes[1:]
				continue
			}
			res[k] = PutResult{ShardID: "shard-0", SequenceNumber: string(e.Data)}
		}
		return res, nil
	}}
	var rounds []round
	retry := fastRetry
	retry.OnPut = func(r, n, throttled int) { rounds = append(rounds, round{r, n, throttled}) }
	got := outcomes{}
	if err := PutAll(context.Background(), s, entries, retry, got.done(t)); err != nil {
		t.Fatalf("PutAll = %v", err)
	}

	if want := []string{"e0 e1 e2 e3 e4", "e1 e3 e4", "e3"}; !slices.Equal(calls, want) {
		t.Errorf("calls put %q, want %q", calls, want)
	}
	if want := []round{{1, 5, 2}, {2, 3, 0}, {3, 1, 0}}; !slices.Equal(rounds, want) {
		t.Errorf("OnPut saw %v, want %v", rounds, want)
	}
	for i := range entries {
		if r, ok := got[i]; !ok || !r.OK() || r.SequenceNumber != fmt.Sprintf("e%d", i) {
			t.Errorf("entry %d: done %v %+v, want accepted as itself", i, ok, r)
		}
	}
	if names(entries) != orig {
		t.Errorf("entries changed to %q", names(entries))
	}
}

func TestPutAllReportsRejectedEntriesAndGoesOn(t *testing.T) {
	entries := putEntries(4)
	throttledOnce, rejectedPuts := false, 0
	s := &putStream{PutFunc: func(_ context.Context, es []Entry) ([]PutResult, error) {
		res := make([]PutResult, len(es))
		for k, e := range es {
			switch string(e.Data) {
			case "e1":
				if rejectedPuts++; rejectedPuts > 1 {
					t.Errorf("rejected entry put again")
					res[k] = PutResult{SequenceNumber: "e1"} // end the test
					continue
				}
				res[k] = PutResult{ErrorCode: "KMSDisabledException", ErrorMessage: "key disabled"}
			case "e2":
				if !throttledOnce {
					throttledOnce = true
					res[k] = PutResult{ErrorCode: ErrCodeThrottled}
					continue
				}
				fallthrough
			default:
				res[k] = PutResult{SequenceNumber: string(e.Data)}
			}
		}
		return res, nil
	}}
	got := outcomes{}
	if err := PutAll(context.Background(), s, entries, fastRetry, got.done(t)); err != nil {
		t.Fatalf("PutAll = %v, want nil: a rejection is reported through done", err)
	}
	if len(got) != len(entries) {
		t.Fatalf("done called for %d entries, want %d", len(got), len(entries))
	}
	if r := got[1]; r.ErrorCode != "KMSDisabledException" || r.ErrorMessage != "key disabled" {
		t.Errorf("entry 1 done with %+v, want its rejection", r)
	}
	for _, i := range []int{0, 2, 3} {
		if !got[i].OK() {
			t.Errorf("entry %d done with %+v, want accepted", i, got[i])
		}
	}
}

func TestPutAllStopsWithContextNamingTheLastFailure(t *testing.T) {
	entries := putEntries(3)
	s := &putStream{PutFunc: func(ctx context.Context, es []Entry) ([]PutResult, error) {
		if err := ctx.Err(); err != nil {
			// A call cut short by the deadline must not hide the cause.
			return nil, fmt.Errorf("fake: put: %w", err)
		}
		res := make([]PutResult, len(es))
		for k, e := range es {
			res[k] = PutResult{SequenceNumber: string(e.Data)}
			if string(e.Data) == "e1" {
				res[k] = PutResult{ErrorCode: ErrCodeThrottled, ErrorMessage: "rate exceeded for shard-0"}
			}
		}
		return res, nil
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	got := outcomes{}
	err := PutAll(ctx, s, entries, PutRetry{MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond}, got.done(t))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PutAll = %v, want context.DeadlineExceeded", err)
	}
	msg := err.Error()
	for _, want := range []string{"1 of 3 entries not accepted", "last failure: " + ErrCodeThrottled + ": rate exceeded for shard-0"} {
		if !strings.Contains(msg, want) {
			t.Errorf("PutAll = %q, want it to say %q", msg, want)
		}
	}
	if strings.Contains(msg, "fake:") {
		t.Errorf("PutAll = %q: the call cut short by ctx replaced the last failure", msg)
	}
	if _, ok := got[1]; ok || len(got) != 2 {
		t.Errorf("done called for %v, want entries 0 and 2 only", got)
	}
}

func TestPutAllClassifiesCallErrors(t *testing.T) {
	denied := errors.New("kinesis: put records: access denied")
	tests := []struct {
		name      string
		errs      []error // errors of successive calls; then calls succeed
		results   int     // results per successful call; -1: one per entry
		wantErr   error   // errors.Is target; nil: success
		wantText  string  // in the error
		wantCalls int
		throttled int // reported by OnPut for the first call
	}{
		{name: "throttled call retried", errs: []error{fmt.Errorf("kinesis: put records: %w", ErrThrottled)}, results: -1, wantCalls: 2, throttled: 2},
		{name: "transient call retried", errs: []error{fmt.Errorf("kinesis: put records: %w", ErrTransient), fmt.Errorf("x: %w", ErrTransient)}, results: -1, wantCalls: 3},
		{name: "permanent call error returned", errs: []error{denied}, results: -1, wantErr: denied, wantText: denied.Error(), wantCalls: 1},
		{name: "too few results", results: 1, wantText: "1 results for 2 entries", wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			s := &putStream{PutFunc: func(_ context.Context, es []Entry) ([]PutResult, error) {
				calls++
				if calls <= len(tt.errs) {
					return nil, tt.errs[calls-1]
				}
				n := tt.results
				if n < 0 {
					n = len(es)
				}
				return make([]PutResult, n), nil
			}}
			var rounds []round
			retry := fastRetry
			retry.OnPut = func(r, n, throttled int) { rounds = append(rounds, round{r, n, throttled}) }
			got := outcomes{}
			err := PutAll(context.Background(), s, putEntries(2), retry, got.done(t))
			switch {
			case tt.wantErr == nil && tt.wantText == "":
				if err != nil || len(got) != 2 {
					t.Errorf("PutAll = %v with %d entries done, want nil with 2", err, len(got))
				}
			case err == nil:
				t.Errorf("PutAll = nil, want an error")
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("PutAll = %v, want %v", err, tt.wantErr)
			case !strings.Contains(err.Error(), tt.wantText):
				t.Errorf("PutAll = %q, want it to say %q", err, tt.wantText)
			case len(got) != 0:
				t.Errorf("done called for %v after a failed call", got)
			}
			if calls != tt.wantCalls || len(rounds) != calls {
				t.Errorf("%d calls, %d OnPut calls, want %d of each", calls, len(rounds), tt.wantCalls)
			}
			if len(rounds) > 0 && rounds[0] != (round{1, 2, tt.throttled}) {
				t.Errorf("OnPut after the first call: %v, want %v", rounds[0], round{1, 2, tt.throttled})
			}
		})
	}
}

func TestPutAllWithCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := &putStream{PutFunc: func(ctx context.Context, es []Entry) ([]PutResult, error) {
		return nil, fmt.Errorf("fake: put: %w", ctx.Err())
	}}
	err := PutAll(ctx, s, putEntries(2), fastRetry, func(i int, _ PutResult) { t.Errorf("done(%d) called", i) })
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "2 of 2 entries not accepted") {
		t.Errorf("PutAll = %v, want context.Canceled with 2 of 2 entries not accepted", err)
	}
}

func TestPutAllMakesNoCallForNoEntries(t *testing.T) {
	s := &putStream{PutFunc: func(context.Context, []Entry) ([]PutResult, error) {
		t.Error("Put called")
		return nil, nil
	}}
	err := PutAll(context.Background(), s, nil, PutRetry{}, func(i int, _ PutResult) { t.Errorf("done(%d) called", i) })
	if err != nil {
		t.Errorf("PutAll = %v", err)
	}
}

func TestRetryableCode(t *testing.T) {
	for code, want := range map[string]bool{
		ErrCodeThrottled:                true,
		ErrCodeInternal:                 true,
		"KMSThrottlingException":        true,
		"KMSDisabledException":          false,
		"KMSAccessDeniedException":      false,
		"KMSNotFoundException":          false,
		"KMSInvalidStateException":      false,
		"KMSOptInRequired":              false,
		"AccessDeniedException":         false,
		"":                              false,
		"ProvisionedThroughputExceeded": false,
	} {
		if got := RetryableCode(code); got != want {
			t.Errorf("RetryableCode(%q) = %v, want %v", code, got, want)
		}
	}
}
