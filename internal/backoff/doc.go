// Package backoff is the retry timing every elbstream stage shares: how
// long to wait before the next attempt, and a wait that ends with its
// context.
//
// Delay is capped doubling with equal jitter: the wait before retry n is
// d = min(lo·2ⁿ⁻¹, hi), of which half is fixed and half random — a
// duration in [d/2, d). The fixed half gives a throttled shard or a
// failing peer a rest on every retry; the random half spreads the callers
// that failed together (the shards of one stream, the writers of one
// batch), so that they do not come back in step. The doubling cannot
// overflow: a large attempt number or a large lo simply yields hi.
//
// Sleep never outlives its context: it returns ctx's error as soon as ctx
// is done, so a retry loop stops within its deadline instead of after the
// wait it had started. Callers that must also stop on a signal of their
// own keep a select of their own; this package has only the common case.
//
// Which errors are worth a retry is the caller's decision: this package
// only times the retries.
package backoff
