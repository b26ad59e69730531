// Package transform is elbstream's transform stage: it turns raw records —
// KPL-aggregated log lines written by ingest — into KPL-aggregated JSON
// events, one event per line, with transform/elblog doing the parsing.
//
// The same Stage runs in three hosts:
//
//   - Run: a long-running consumer of the raw stream (elbstream transform),
//     one worker per shard on top of stream/consumer, checkpointing the raw
//     position only after the events were accepted by the events stream;
//   - KinesisHandler: the AWS Lambda handler for a Kinesis event-source
//     mapping on the raw stream, reporting batch item failures;
//   - FirehoseHandler: the Amazon Data Firehose data-transformation handler,
//     which returns the events to Firehose instead of putting them.
//
// # What a raw record becomes
//
// Every user record of a raw record is a line (a user record holding
// several newline-separated lines is split). Each line is given to
// elblog.Encoder with its provenance (source object and byte offset, carried
// in the KPL extension fields), and:
//
//   - a line that parses becomes an event;
//   - a line that does not parse also becomes an event, tagged
//     _elbparsefailure by the encoder and counted as a parse failure;
//   - an AWS control line ("Enable AccessLog for ELB: …") becomes nothing and
//     is counted as skipped.
//
// A line's event.id is derived from its provenance alone (elblog), so the
// same line always gets the same id. Lines that arrive without provenance —
// from a producer other than ingest, or through Firehose, whose
// deaggregation drops the extension fields — are identified by where they
// are in the raw stream instead: "kinesis:SEQUENCE/SUBSEQUENCE" (or
// "firehose:RECORDID/N" for Direct PUT) and the line's byte offset in its
// user record. That is stable when the same raw record is processed again,
// but not when a producer writes the same line twice.
//
// Events are packed into KPL aggregated records no larger than the events
// stream's record limit. An aggregate holds events of consecutive raw
// records that share a partition key, and takes that key, so the events of
// one raw record land on the events stream the way ingest spread the lines,
// and KCL-based consumers (which drop user records whose hash key falls
// outside the aggregate's shard) see every event.
//
// A raw record that cannot be decoded at all (a KPL checksum mismatch or a
// malformed message) becomes one failure event naming the record's sequence
// number and the error, so the loss is visible downstream; the record itself
// stays in the raw stream for its retention period. A line whose event
// cannot fit in a record even on its own (only a line of hundreds of
// kilobytes) is cut to MaxRecordBytes/8 bytes, marked the way ingest marks
// a line over its limit (" [elbstream: line truncated from N bytes]"),
// encoded and counted as truncated, rather than blocking its shard for
// ever. The cut line usually fails to parse, and is then counted as a
// parse failure, as its event is tagged.
//
// # Delivery guarantee
//
// At least once. A raw record is done when every event made from it was
// accepted by the events stream (each PutRecords entry carries a sequence
// number). Entries refused for throughput or by an internal failure, and
// calls that fail with a retryable error, are retried — the failed entries
// alone — with capped, jittered backoff that never sleeps past the
// context, until they are accepted or the context ends: never dropped. An
// entry rejected for good (a KMS key disabled or not accessible) fails the
// batch from the first raw record it holds. The stage reports the longest
// prefix of a batch that is done; its hosts move
// the raw checkpoint (or tell Lambda to resume) exactly there. Events of
// raw records after that point may already have been put and will be put
// again on retry: duplicates are bounded by the batch in flight, and
// harmless downstream because event.id is deterministic (same line, same
// object, same id).
//
// The Firehose handler puts nothing itself: Firehose delivers what it
// returns, and records it returns as ProcessingFailed go to the Firehose
// stream's S3 error prefix with their original data.
//
// # Memory
//
// A Process call holds the batch it was given, one aggregate being filled
// (at most the events stream's MaxRecordBytes) and the aggregates waiting
// for the next PutRecords call (at most Config.BufferBytes; by default one
// request's worth, 5 MiB on Kinesis). The standalone consumer runs one
// Process call per shard it holds.
package transform
