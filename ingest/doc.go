// Package ingest is elbstream's first stage: it reads load-balancer log
// objects — from S3 as notifications announce them, from S3 listings, or
// from local files — splits them into lines, packs the lines into KPL
// aggregated records with each line's provenance, and puts the records on
// the raw stream.
//
// # Pieces
//
//   - DecodeEvent recognises the Lambda event shapes: S3 notifications
//     delivered directly, through SNS, SQS or SNS then SQS, EventBridge
//     "Object Created" events, s3:TestEvent, and ingest's own
//     continuations. Keys are URL-decoded ('+' is a space).
//   - Filter skips the ELBAccessLogTestFile object, folder markers and
//     keys outside configured prefixes and suffixes, with counted reasons.
//   - An object is streamed (never held whole, no temporary files);
//     gzip is recognised by its magic bytes, not by its name. LineReader
//     splits LF and CRLF lines and cuts, marks and counts a line longer
//     than the limit — it never drops one.
//   - Every line becomes one user record whose Source is the object's
//     stable identity (S3Source, FileSource) and whose Position is the
//     line's byte offset in the decompressed object, so the transform can
//     derive a deterministic event id. Records are aggregated up to the
//     stream's record limit; each aggregate gets a partition key derived
//     from its source and first offset, which spreads an object over all
//     shards, the same way on every re-read.
//   - Writer batches records into Put calls within the stream's limits,
//     keeps several in flight, and retries only the failed entries with
//     capped, jittered backoff.
//   - Handler is the Lambda function; the CLI uses Ingester and Run
//     directly. S3 and Lambda API calls live in s3client.go and
//     invoker.go, behind the ObjectGetter, ObjectLister and Invoker
//     interfaces.
//
// # Memory
//
// Bounded by configuration, not by object size: the writer holds at most
// Concurrency+1 Put calls' worth of records (each at most MaxPutBytes,
// 5 MiB on Kinesis), a run at most three aggregates of MaxRecordBytes and
// their sealed copies, and a line reader the line limit plus a 64 KiB
// decompression buffer. With the defaults that is about 40 MiB in the
// worst case; BenchmarkIngest measures 20-35 MiB of peak heap for a 64 MiB
// gzipped object, and the same for 256 MiB.
//
// # Delivery guarantee
//
// At least once. An object counts as ingested only when every record
// holding its lines was accepted by the stream; Handler returns, and the
// CLI exits 0, only then. A failure makes the trigger retry the object (an
// SQS batch redelivers just the failed messages), which may write lines
// that were already accepted a second time — under the same source and
// position, so downstream event ids make them harmless.
//
// Near a Lambda deadline the handler stops reading at a line boundary,
// lets the writes in flight finish, and invokes the function itself
// asynchronously with a Continuation naming the object and the offset of
// the first line not written. Nothing is lost, and nothing is written
// twice unless a write was still failing when the writes' own deadline
// passed (the continuation then starts from the earliest such record).
// A plain object resumes with a ranged read; a gzip object is read again
// from its start, and the first Offset decompressed bytes are discarded.
// Reads and resumes are pinned to the object's version (or ETag), so a
// continuation never mixes two versions of an object.
package ingest
