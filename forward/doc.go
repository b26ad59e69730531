// Package forward delivers the events of an events stream to Logstash: the
// last stage of elbstream.
//
// One delivery core serves two hosts:
//
//   - [Forwarder], the long-running loop behind `elbstream forward`: a
//     [consumer.Run] over every shard of the stream, with checkpoints;
//   - [Handler], the AWS Lambda handler for a Kinesis event-source mapping
//     with ReportBatchItemFailures (ELBSTREAM_HANDLER=forward).
//
// Each stream record holds a KPL aggregate of JSON events (or one plain
// event). Records are deaggregated in order and their events handed to the
// output ([Sender], implemented by package forward/output) in windows of at
// most [Config.Window] events and [Config.WindowBytes] bytes. A window is
// one Send call, which returns only once every event of the window was
// acknowledged. Across all shards at most [Config.MaxInFlight] events are in
// Send at once, so a slow receiver makes the forwarder wait (backpressure)
// instead of growing its memory.
//
// # Delivery guarantee
//
// At least once, in order per shard, with bounded duplicates:
//
//   - A position in a shard — the consumer's checkpoint, or in Lambda the
//     part of a batch not reported as failed — moves past record R only
//     after every event of R and of every record before R in that shard was
//     acknowledged by the output. For beats:// that is Logstash's beats
//     ACK, sent once the events are in its pipeline queue. For tcp://
//     (json_lines) it is weaker: the events were written to the socket and
//     flushed, which Logstash does not confirm; events in transit when the
//     connection or Logstash dies are lost. Use beats:// when that matters.
//   - The long-running loop hands each batch's acknowledged records to the
//     consumer (package stream/consumer), which checkpoints them under the
//     shard's lease after every acknowledged window (at most every
//     [Config.CheckpointInterval] when set) and at the end of the batch.
//     After a crash, a lost lease or SIGKILL, delivery resumes after the
//     last checkpoint, so what is sent twice is at most, per shard, the
//     window in flight and the rest of the record it ended in (with a
//     CheckpointInterval, what was acknowledged since the last
//     checkpoint as well). A receiver
//     that dies or drops the connection costs less: the output resends
//     only the events it had not acknowledged, at most the events in
//     flight ([Config.MaxInFlight]). Events carry a deterministic
//     event.id; Logstash pipelines that index with
//     document_id => "%{[event][id]}" turn duplicates into overwrites.
//   - On SIGTERM (Run's context cancelled) the window in hand finishes and
//     is acknowledged, the records it completed are checkpointed, and Run
//     returns nil; no new window is started. Only a record whose events
//     were partly sent is sent again on restart.
//   - A record that cannot be deaggregated (bad checksum, malformed
//     protobuf) cannot be delivered by any retry: it is skipped, counted in
//     [Stats.Malformed], logged with its shard and sequence number, and
//     passed by the checkpoint so the shard does not stall. Its bytes stay
//     in the stream for the retention period for inspection.
//
// The output retries transient failures inside Send (redialing and
// resending what was not acknowledged); a Send that still fails is retried
// by the loop with capped, jittered backoff until it succeeds or Run is
// stopped. An event the output refuses as invalid (not a JSON object) is
// skipped and counted like a malformed record.
//
// The Lambda handler does not retry beyond what Send does within the
// invocation: it reports the first record not fully acknowledged as the
// batch item failure, so that Lambda checkpoints everything before it and
// retries from it, and it stops [Config.SafetyMargin] before its deadline
// so that it always answers. Duplicates there are bounded by the events of
// the records from the failed one onwards that had reached the receiver.
package forward
