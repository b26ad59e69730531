// Package local is the embedded stream: a durable, sharded, replayable log
// with Kinesis semantics in one directory, behind local://DIR URLs. It is
// what `elbstream run` uses by default, so that the whole pipeline runs on
// one machine with no AWS account, and what tests use when they need a
// stream without an emulator.
//
// # Storage
//
// Records live in one bbolt file, DIR/stream.db (go.etcd.io/bbolt, the
// etcd project's maintained fork of BoltDB). bbolt was chosen because it is
// pure Go (no cgo: the binary stays static for Lambda), a single file (easy
// to back up, move or delete), ACID with fsync'd commits (an acknowledged
// put survives a crash or power loss, with no log to replay at open), and
// it is the storage engine of etcd and therefore of every Kubernetes
// cluster, so it is well kept. Its B+tree over a memory map also gives
// what a log reader needs: ordered keys and cheap seeks.
//
// Its limits shape this package. One writer at a time: puts are committed
// by one goroutine, and Puts that queue up meanwhile share the next
// transaction and its fsync (group commit). One process at a time: bbolt
// holds an exclusive flock on the file, so Open waits Options.LockTimeout
// and then fails with ErrInUse ("local://DIR is in use by another
// process"); run the stages that share a local stream in one process
// (`elbstream run` does), or use Kinesis. Readers use one short read-only
// transaction per Next and hold none between calls; they run alongside
// the writer (bbolt's writer waits for readers only when it grows the
// memory map, for the length of one Next).
//
// # Semantics
//
//   - Shards: fixed at creation (Options.Shards, stored in the file), then
//     changed only by SplitShard and MergeShards. Ids are Kinesis's,
//     shardId-000000000000 upward. The 128-bit hash-key space is split
//     evenly, the last shard taking the remainder.
//   - Routing: MD5 of the partition key as a big-endian 128-bit integer, or
//     the entry's ExplicitHashKey, picks the open shard whose range holds it.
//   - Sequence numbers: the arrival time in Unix nanoseconds followed by the
//     shard index in 12 digits. They increase strictly within a shard (a
//     clock that stalls or steps back cannot reorder records), compare
//     correctly with stream.CompareSequence, and name their shard, so a
//     sequence number of another shard is refused as a position.
//   - Arrival time: the wall clock at commit, made unique per shard by
//     taking the previous record's plus 1ns when the clock has not moved.
//   - Retention: records older than Options.Retention are invisible at
//     once and deleted in the background; TrimHorizon is the oldest record
//     retained. A closed shard disappears from Shards once its end passed
//     retention. The retention is stored, as a Kinesis stream's retention
//     period is: an Open without one keeps it.
//   - Limits: Kinesis's (500 entries and 5 MiB per put, 1 MiB records,
//     256-byte partition keys), with Options.MaxRecordBytes. A put over
//     them fails as a whole with ErrInvalidArgument.
//   - Throughput: unlimited unless Options.Throttle is set, which
//     simulates Kinesis's per-shard limits (1 MiB/s and 1,000 records/s of
//     writes, 2 MiB/s and 5 calls/s of reads): entries over them fail with
//     stream.ErrCodeThrottled, reads with stream.ErrThrottled.
//   - Resharding: SplitShard and MergeShards close parents with an
//     EndingSequence and open children naming them; a reader that reaches
//     a closed parent's end gets EndOfShard and the children.
//   - Faults: InjectPutFaults and InjectReadFaults fail chosen entries and
//     reads, for tests of callers' retry paths.
//
// # Delivery guarantee
//
// A Put returns after its transaction is committed and fsync'd: an entry
// whose PutResult is OK is on disk and survives a crash of the process or
// the machine. An entry with an error code, or any entry of a Put that
// returned an error, was not written. Readers see every retained record of
// a shard exactly once per pass, in sequence order.
package local
