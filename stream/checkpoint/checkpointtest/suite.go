package checkpointtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream/checkpoint"
)

// Run runs the contract suite. newStore returns a store for one subtest;
// subtests run in parallel and use consumer names unique to them, so a
// constructor may hand every subtest the same backing table. The suite does
// not close the stores: the constructor registers the cleanup it needs.
func Run(t *testing.T, newStore func(t *testing.T) checkpoint.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s checkpoint.Store, consumer string)
	}{
		{"GetMissing", testGetMissing},
		{"AcquireSetGet", testAcquireSetGet},
		{"SetWithoutLease", testSetWithoutLease},
		{"OrderNumeric", testOrderNumeric},
		{"OrderSentinels", testOrderSentinels},
		{"InvalidSequence", testInvalidSequence},
		{"SecondOwnerFenced", testSecondOwnerFenced},
		{"LeaseExpiry", testLeaseExpiry},
		{"Release", testRelease},
		{"Rewind", testRewind},
		{"ConcurrentAcquire", testConcurrentAcquire},
		{"ConcurrentSet", testConcurrentSet},
		{"ListAndConsumers", testListAndConsumers},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t), Consumer(t))
		})
	}
}

// Consumer returns a consumer name unique to the test.
func Consumer(t testing.TB) string {
	name := strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
	return fmt.Sprintf("%s-%08x", name, rand.Uint32())
}

const long = time.Minute // a lease that cannot expire during a test

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func mustAcquire(t *testing.T, s checkpoint.Store, consumer, shard, owner string, ttl time.Duration) checkpoint.Checkpoint {
	t.Helper()
	c, err := s.Acquire(ctx(t), consumer, shard, owner, ttl)
	if err != nil {
		t.Fatalf("acquire %s by %s: %v", shard, owner, err)
	}
	return c
}

func mustSet(t *testing.T, s checkpoint.Store, consumer, shard, owner, seq string) {
	t.Helper()
	if err := s.Set(ctx(t), consumer, shard, owner, seq); err != nil {
		t.Fatalf("set %s to %s by %s: %v", shard, seq, owner, err)
	}
}

func wantSeq(t *testing.T, s checkpoint.Store, consumer, shard, want string) checkpoint.Checkpoint {
	t.Helper()
	c, err := s.Get(ctx(t), consumer, shard)
	if err != nil {
		t.Fatalf("get %s: %v", shard, err)
	}
	if c.Sequence != want {
		t.Fatalf("%s at %q, want %q", shard, c.Sequence, want)
	}
	return c
}

func wantErr(t *testing.T, err, want error, what string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func testGetMissing(t *testing.T, s checkpoint.Store, consumer string) {
	c := wantSeq(t, s, consumer, "shardId-000000000000", "")
	if c.Consumer != consumer || c.ShardID != "shardId-000000000000" || c.Owner != "" || c.Finished() {
		t.Fatalf("missing checkpoint = %+v", c)
	}
}

func testAcquireSetGet(t *testing.T, s checkpoint.Store, consumer string) {
	const shard = "shardId-000000000001"
	before := time.Now()
	c := mustAcquire(t, s, consumer, shard, "a", long)
	if c.Owner != "a" || c.Sequence != "" || c.LeaseUntil.Before(before.Add(long-time.Second)) {
		t.Fatalf("acquired %+v", c)
	}
	seq := "49590338271490256608559692538361571095921575989136588898"
	mustSet(t, s, consumer, shard, "a", seq)
	got := wantSeq(t, s, consumer, shard, seq)
	if got.Owner != "a" || got.UpdatedAt.IsZero() || got.UpdatedAt.Before(before.Add(-time.Minute)) {
		t.Fatalf("after set: %+v", got)
	}
	// Renewing keeps the sequence and extends the lease.
	c = mustAcquire(t, s, consumer, shard, "a", 2*long)
	if c.Sequence != seq || !c.LeaseUntil.After(got.LeaseUntil) {
		t.Fatalf("renewed %+v, was %+v", c, got)
	}
	mustSet(t, s, consumer, shard, "a", checkpoint.ShardEnd)
	if c := wantSeq(t, s, consumer, shard, checkpoint.ShardEnd); !c.Finished() {
		t.Fatal("SHARD_END is not Finished")
	}
}

func testSetWithoutLease(t *testing.T, s checkpoint.Store, consumer string) {
	err := s.Set(ctx(t), consumer, "shard-0", "a", "1")
	wantErr(t, err, checkpoint.ErrNotOwner, "set without any lease")
	wantSeq(t, s, consumer, "shard-0", "")
}

func testOrderNumeric(t *testing.T, s checkpoint.Store, consumer string) {
	const shard = "shard-0"
	mustAcquire(t, s, consumer, shard, "a", long)
	steps := []struct {
		seq     string
		forward bool
	}{
		{"999", true},
		{"1000", true}, // shorter strings sort later as text; not as numbers
		{"999", false},
		{"1000", true}, // equal is allowed: a retried Set is harmless
		{"001000", true},
		{"49590338271490256608559692538361571095921575989136588898", true},
		{"49590338271490256608559692538361571095921575989136588897", false},
		{"9959033827149025660855969253836157109592157598913658889", false},  // 55 digits
		{"100000000000000000000000000000000000000000000000000000000", true}, // 57 digits
		{"340282366920938463463374607431768211455", false},
	}
	last := ""
	for _, st := range steps {
		err := s.Set(ctx(t), consumer, shard, "a", st.seq)
		if st.forward {
			if err != nil {
				t.Fatalf("set %s after %s: %v", st.seq, last, err)
			}
			last = st.seq
		} else {
			wantErr(t, err, checkpoint.ErrBackwards, fmt.Sprintf("set %s after %s", st.seq, last))
		}
		wantSeq(t, s, consumer, shard, last)
	}
}

func testOrderSentinels(t *testing.T, s checkpoint.Store, consumer string) {
	mustAcquire(t, s, consumer, "s1", "a", long)
	// Start sentinels come before every sequence number.
	mustSet(t, s, consumer, "s1", "a", checkpoint.TrimHorizon)
	mustSet(t, s, consumer, "s1", "a", checkpoint.Latest)
	mustSet(t, s, consumer, "s1", "a", "5")
	wantErr(t, s.Set(ctx(t), consumer, "s1", "a", checkpoint.TrimHorizon), checkpoint.ErrBackwards, "TRIM_HORIZON after 5")
	wantErr(t, s.Set(ctx(t), consumer, "s1", "a", checkpoint.Latest), checkpoint.ErrBackwards, "LATEST after 5")
	// SHARD_END comes after all of them, and nothing comes after it.
	mustSet(t, s, consumer, "s1", "a", checkpoint.ShardEnd)
	mustSet(t, s, consumer, "s1", "a", checkpoint.ShardEnd)
	for _, seq := range []string{"6", "99999999999999999999999999999999999999999999999999999999999", checkpoint.TrimHorizon} {
		wantErr(t, s.Set(ctx(t), consumer, "s1", "a", seq), checkpoint.ErrBackwards, seq+" after SHARD_END")
	}
	wantSeq(t, s, consumer, "s1", checkpoint.ShardEnd)
}

func testInvalidSequence(t *testing.T, s checkpoint.Store, consumer string) {
	mustAcquire(t, s, consumer, "s1", "a", long)
	for _, seq := range []string{"", "12a", "-1", "shard_end", " 1"} {
		err := s.Set(ctx(t), consumer, "s1", "a", seq)
		if err == nil || errors.Is(err, checkpoint.ErrBackwards) || errors.Is(err, checkpoint.ErrNotOwner) {
			t.Errorf("set %q: err = %v, want a validation error", seq, err)
		}
		if err := s.Rewind(ctx(t), consumer, "s1", seq); err == nil {
			t.Errorf("rewind %q: no error", seq)
		}
	}
	wantSeq(t, s, consumer, "s1", "")
}

func testSecondOwnerFenced(t *testing.T, s checkpoint.Store, consumer string) {
	mustAcquire(t, s, consumer, "s1", "a", long)
	mustSet(t, s, consumer, "s1", "a", "10")
	_, err := s.Acquire(ctx(t), consumer, "s1", "b", long)
	wantErr(t, err, checkpoint.ErrLeaseHeld, "second owner acquires")
	wantErr(t, s.Set(ctx(t), consumer, "s1", "b", "20"), checkpoint.ErrNotOwner, "second owner sets forward")
	wantErr(t, s.Set(ctx(t), consumer, "s1", "b", "5"), checkpoint.ErrNotOwner, "second owner sets backwards")
	c := wantSeq(t, s, consumer, "s1", "10")
	if c.Owner != "a" {
		t.Fatalf("owner %q after b's attempts, want a", c.Owner)
	}
	mustSet(t, s, consumer, "s1", "a", "11")
}

func testLeaseExpiry(t *testing.T, s checkpoint.Store, consumer string) {
	mustAcquire(t, s, consumer, "s1", "a", long)
	mustSet(t, s, consumer, "s1", "a", "10")
	mustAcquire(t, s, consumer, "s1", "a", 50*time.Millisecond) // renewal may shorten
	// b takes over once a's lease has expired; poll, no fixed sleep.
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := s.Acquire(ctx(t), consumer, "s1", "b", long)
		if err == nil {
			break
		}
		wantErr(t, err, checkpoint.ErrLeaseHeld, "acquire after expiry")
		if time.Now().After(deadline) {
			t.Fatal("lease did not expire")
		}
		time.Sleep(20 * time.Millisecond)
	}
	wantErr(t, s.Set(ctx(t), consumer, "s1", "a", "20"), checkpoint.ErrNotOwner, "expired owner sets")
	_, err := s.Acquire(ctx(t), consumer, "s1", "a", long)
	wantErr(t, err, checkpoint.ErrLeaseHeld, "expired owner re-acquires")
	c := wantSeq(t, s, consumer, "s1", "10")
	if c.Owner != "b" {
		t.Fatalf("owner %q, want b", c.Owner)
	}
	mustSet(t, s, consumer, "s1", "b", "20")
}

func testRelease(t *testing.T, s checkpoint.Store, consumer string) {
	mustAcquire(t, s, consumer, "s1", "a", long)
	mustSet(t, s, consumer, "s1", "a", "10")
	wantErr(t, s.Release(ctx(t), consumer, "s1", "b"), checkpoint.ErrNotOwner, "release by a non-owner")
	if err := s.Release(ctx(t), consumer, "s1", "a"); err != nil {
		t.Fatalf("release: %v", err)
	}
	if err := s.Release(ctx(t), consumer, "s1", "a"); err != nil {
		t.Fatalf("second release: %v", err)
	}
	wantErr(t, s.Set(ctx(t), consumer, "s1", "a", "11"), checkpoint.ErrNotOwner, "set after release")
	c := mustAcquire(t, s, consumer, "s1", "b", long) // at once, no expiry needed
	if c.Sequence != "10" {
		t.Fatalf("b acquired %+v, want sequence 10", c)
	}
	if err := s.Release(ctx(t), consumer, "never-held", "a"); err != nil {
		t.Fatalf("release of a shard nobody holds: %v", err)
	}
	list, err := s.List(ctx(t), consumer)
	if err != nil || len(list) != 1 || list[0].ShardID != "s1" {
		t.Fatalf("list after releases: %+v %v (a release must not create checkpoints)", list, err)
	}
}

func testRewind(t *testing.T, s checkpoint.Store, consumer string) {
	mustAcquire(t, s, consumer, "s1", "a", long)
	mustSet(t, s, consumer, "s1", "a", "500")
	if err := s.Rewind(ctx(t), consumer, "s1", "100"); err != nil {
		t.Fatalf("rewind: %v", err)
	}
	wantSeq(t, s, consumer, "s1", "100")
	// The rewind fenced a's lease: a cannot put its old position back...
	err := s.Set(ctx(t), consumer, "s1", "a", "500")
	wantErr(t, err, checkpoint.ErrNotOwner, "set after rewind")
	wantErr(t, err, checkpoint.ErrRewound, "set after rewind")
	wantSeq(t, s, consumer, "s1", "100")
	// ... and nobody else may read the shard before a has noticed.
	_, err = s.Acquire(ctx(t), consumer, "s1", "b", long)
	wantErr(t, err, checkpoint.ErrLeaseHeld, "acquire by another owner after rewind")
	// a notices at its next renewal, which reports the rewind once.
	c := mustAcquire(t, s, consumer, "s1", "a", long)
	if c.Sequence != "100" || !c.Rewound || c.Owner != "a" || !c.LeaseUntil.After(time.Now()) {
		t.Fatalf("re-acquired as %+v, want a's lease at 100, rewound", c)
	}
	if c := mustAcquire(t, s, consumer, "s1", "a", long); c.Rewound {
		t.Fatal("a second renewal reports the rewind again")
	}
	mustSet(t, s, consumer, "s1", "a", "101")
	// A rewind to where the checkpoint already is still tells the holder
	// (its batch in hand is to be read again).
	if err := s.Rewind(ctx(t), consumer, "s1", "101"); err != nil {
		t.Fatal(err)
	}
	if c := mustAcquire(t, s, consumer, "s1", "a", long); !c.Rewound {
		t.Fatal("a rewind to the current position went unreported")
	}
	// A holder that gives the fenced lease up frees it for anyone.
	if err := s.Rewind(ctx(t), consumer, "s1", "90"); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx(t), consumer, "s1", "a"); err != nil {
		t.Fatalf("release after rewind: %v", err)
	}
	if c := mustAcquire(t, s, consumer, "s1", "b", long); c.Sequence != "90" {
		t.Fatalf("b acquired at %q, want 90", c.Sequence)
	}
	mustSet(t, s, consumer, "s1", "b", "91")
	if err := s.Release(ctx(t), consumer, "s1", "b"); err != nil {
		t.Fatal(err)
	}
	mustAcquire(t, s, consumer, "s1", "a", long)
	mustSet(t, s, consumer, "s1", "a", "101")
	// Rewind reaches every value, from SHARD_END included.
	for _, seq := range []string{checkpoint.ShardEnd, checkpoint.TrimHorizon, "7", checkpoint.Latest} {
		if err := s.Rewind(ctx(t), consumer, "s1", seq); err != nil {
			t.Fatalf("rewind to %s: %v", seq, err)
		}
		wantSeq(t, s, consumer, "s1", seq)
	}
	// On a shard nobody ever touched, too.
	if err := s.Rewind(ctx(t), consumer, "fresh", "42"); err != nil {
		t.Fatal(err)
	}
	wantSeq(t, s, consumer, "fresh", "42")
}

func testConcurrentAcquire(t *testing.T, s checkpoint.Store, consumer string) {
	const shards, owners = 8, 3
	for i := range shards {
		shard := fmt.Sprintf("shard-%d", i)
		var wg sync.WaitGroup
		errs := make([]error, owners)
		start := make(chan struct{})
		for o := range owners {
			wg.Go(func() {
				<-start
				_, errs[o] = s.Acquire(ctx(t), consumer, shard, fmt.Sprintf("owner-%d", o), long)
			})
		}
		close(start)
		wg.Wait()
		winner := ""
		for o, err := range errs {
			switch {
			case err == nil && winner != "":
				t.Fatalf("%s: both %s and owner-%d acquired the lease", shard, winner, o)
			case err == nil:
				winner = fmt.Sprintf("owner-%d", o)
			default:
				wantErr(t, err, checkpoint.ErrLeaseHeld, "losing acquirer")
			}
		}
		if winner == "" {
			t.Fatalf("%s: nobody acquired the lease", shard)
		}
		if c := wantSeq(t, s, consumer, shard, ""); c.Owner != winner {
			t.Fatalf("%s: owner %q, winner %s", shard, c.Owner, winner)
		}
	}
}

// Sets racing from the lease holder (a consumer's workers, a retry) never
// leave the checkpoint below the highest one that succeeded.
func testConcurrentSet(t *testing.T, s checkpoint.Store, consumer string) {
	mustAcquire(t, s, consumer, "s1", "a", long)
	var wg sync.WaitGroup
	var mu sync.Mutex
	highest := 0
	for g := range 4 {
		wg.Go(func() {
			for i := range 10 {
				n := 1000 + i*4 + g
				err := s.Set(ctx(t), consumer, "s1", "a", fmt.Sprint(n))
				if err != nil && !errors.Is(err, checkpoint.ErrBackwards) {
					t.Errorf("set %d: %v", n, err)
				}
				if err == nil {
					mu.Lock()
					highest = max(highest, n)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	wantSeq(t, s, consumer, "s1", fmt.Sprint(highest))
}

func testListAndConsumers(t *testing.T, s checkpoint.Store, consumer string) {
	other := consumer + "-other"
	shards := []string{"shardId-000000000002", "shardId-000000000000", "shardId-000000000001"}
	for i, shard := range shards {
		mustAcquire(t, s, consumer, shard, "a", long)
		mustSet(t, s, consumer, shard, "a", fmt.Sprint(100+i))
	}
	// The same shard under another consumer is another checkpoint, with its
	// own lease.
	mustAcquire(t, s, other, shards[0], "b", long)
	mustSet(t, s, other, shards[0], "b", "7")
	list, err := s.List(ctx(t), consumer)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"shardId-000000000000:101", "shardId-000000000001:102", "shardId-000000000002:100"}
	if len(list) != len(want) {
		t.Fatalf("listed %d checkpoints, want %d: %+v", len(list), len(want), list)
	}
	for i, c := range list {
		if got := c.ShardID + ":" + c.Sequence; got != want[i] || c.Consumer != consumer || c.Owner != "a" {
			t.Fatalf("list[%d] = %+v, want %s", i, c, want[i])
		}
	}
	list, err = s.List(ctx(t), other)
	if err != nil || len(list) != 1 || list[0].Sequence != "7" {
		t.Fatalf("other consumer: %+v %v", list, err)
	}
	if list, err := s.List(ctx(t), consumer+"-none"); err != nil || len(list) != 0 {
		t.Fatalf("unknown consumer: %+v %v", list, err)
	}
}
