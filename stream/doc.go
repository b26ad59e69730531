// Package stream is the contract every elbstream stage shares: a sharded,
// ordered, replayable log with Amazon Kinesis Data Streams semantics.
//
// The contract is the Stream interface. Backends live in their own
// packages, named after what they talk to:
//
//   - stream/kinesis: Amazon Kinesis Data Streams through aws-sdk-go-v2;
//   - stream/local: the embedded, durable stream behind local://DIR URLs.
//
// Both are held to one conformance suite (stream/streamtest).
//
// Besides the contract this package holds what all stages need on top of
// it: the shard Reader (iterate one shard with backoff, expired-iterator
// recovery and shard-end handling), PutAll (put a batch, putting only the
// failed entries again, with backoff), sequence-number comparison, and the
// stream URL parser. The KPL aggregated-record codec lives in stream/kpl and
// the checkpoint stores in stream/checkpoint.
//
// Delivery guarantee: a Put entry is durable once its PutResult carries a
// sequence number and no error code. Everything else — a per-entry error
// code or an error from the call — means the entry may not have been
// written and must be retried by the caller, as PutAll does.
package stream
