// Package consumer is the per-shard consumer loop that the transform and
// forward stages share: it reads every shard of a stream from a consumer's
// checkpoints, hands each batch to a ProcessFunc, and checkpoints what the
// function reports as done.
//
// One Run coordinates one consumer name. Every ListInterval it lists the
// shards and the checkpoints, and takes the lease of each shard that is
// ready (stream.Ready: not finished, its parents finished), so that after
// a split or merge the children are read only once their parents are done.
// Each shard it holds is read by its own goroutine with a stream.Reader,
// from the checkpoint (After the sequence number; TRIM_HORIZON and LATEST
// as they say; Config.StartAt when there is none). The lease is renewed in
// the background every LeaseTTL/3 while the shard is read and processed.
//
// Delivery guarantee: at least once. A record's batch is checkpointed only
// after process reported it done, and only while the lease is held
// (checkpoint writes are fenced by owner), so a crash, a lost lease or a
// rewind re-delivers at most what was read and not yet checkpointed: the
// batch in hand of each shard, at most MaxRecords records per shard.
// Nothing is skipped. Two owners never process one shard at the same time
// as long as process returns when its context is cancelled: the lease is
// renewed while a batch is processed, and if it cannot be, process's
// context is cancelled before the lease expires (LeaseTTL/6 before, as
// headroom for clock skew between hosts).
//
// Shutdown: when Run's context is cancelled, each shard finishes the batch
// in hand (process's context is detached from Run's and ends ShutdownGrace
// later), checkpoints it, and releases its lease, so another process can
// take the shard at once.
//
// Rewind: a checkpoint.Store's Rewind fences the lease; the consumer
// notices at its next checkpoint (refused) or renewal (which reports the
// rewind), drops the shard without checkpointing the batch in hand, and
// takes it up again at once (a listing follows) from the rewound position. The lease stays the
// holder's until then, so that no standby reads the shard meanwhile.
//
// Failures: a listing of the stream or of the checkpoints that fails for
// a passing reason (stream.IsRetryable, a store's brownout) is retried
// with backoff; one that will not come right (a stream error that is not
// retryable, checkpoint.ErrUnusable) fails Run, as a shard read that is
// not retryable does.
//
// Leases are not balanced: the first Run of a consumer takes every ready
// shard, and another Run (another owner) takes shards as they are released
// or their leases expire. Use that for failover, not to spread load.
package consumer
