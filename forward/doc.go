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
// At least once, in order per shard, with duplicates bounded by the window:
//
//   - A position in a shard — the consumer's checkpoint, or in Lambda the
//     part of a batch not reported as failed — moves past record R only
//     after every event of R and of every record before R in that shard was
//     acknowledged by the output. For beats:// that is Logstash's beats
//     ACK, sent once the events are in its pipeline queue. For tcp://
//     (json_lines) it is weaker: the events were written to the socket and
//     flushed, which Logstash does not confirm; events in transit when the
//     connection or Logstash dies are lost. Use beats:// when that matters.
//   - The long-running loop checkpoints after every acknowledged window that
//     completes a record ([Config.CheckpointInterval] can space the writes
//     out), and once more when a batch ends. After a crash, a killed
//     receiver, a lost lease or SIGKILL, delivery resumes at the first
//     record not checkpointed. What is sent twice is therefore at most, per
//     shard, the window in flight at the failure plus the events of the
//     record it had started (a record's events are all or nothing for the
//     checkpoint), plus whatever was acknowledged within one
//     CheckpointInterval. Events carry a deterministic event.id; Logstash
//     pipelines that index with document_id => "%{[event][id]}" turn these
//     duplicates into overwrites.
//   - On SIGTERM (Run's context cancelled) the window in hand finishes and
//     is acknowledged, the checkpoint is written, and Run returns; no new
//     window is started.
//   - A record that cannot be deaggregated (bad checksum, malformed
//     protobuf) cannot be delivered by any retry: it is skipped, counted in
//     [Stats.Malformed], logged with its shard and sequence number, and
//     passed by the checkpoint so the shard does not stall. Its bytes stay
//     in the stream for the retention period for inspection.
//
// A failed Send is retried by the loop with capped, jittered backoff until
// it succeeds or Run is stopped (the output redials and resends what was not
// acknowledged). The Lambda handler does not retry: it reports the first
// record not fully acknowledged as the batch item failure and lets Lambda
// retry from there, and it stops [Config.SafetyMargin] before its deadline
// so it always returns an answer.
package forward
