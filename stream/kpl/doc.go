// Package kpl encodes and decodes Kinesis records in the aggregated-record
// format of the Kinesis Producer Library (KPL), so that many small user
// records (log lines, JSON events) travel in one Kinesis record and any
// KPL-aware consumer — the Kinesis Client Library, Amazon Data Firehose, the
// aws-kinesis-agg deaggregators — can split them again.
//
// # Format
//
// An aggregated record is
//
//	F3 89 9A C2 | protobuf AggregatedRecord | MD5 of the protobuf bytes (16)
//
// with the messages (proto2) of the KPL's aggregation-format.md:
//
//	message AggregatedRecord {
//	  repeated string partition_key_table     = 1;
//	  repeated string explicit_hash_key_table = 2;
//	  repeated Record records                 = 3;
//	  repeated string source_table            = 1000; // elbstream extension
//	}
//	message Record {
//	  required uint64 partition_key_index     = 1;
//	  optional uint64 explicit_hash_key_index = 2;
//	  required bytes  data                    = 3;
//	  repeated Tag    tags                    = 4;    // read and ignored
//	  optional uint64 source_index            = 1000; // elbstream extension
//	  optional int64  position                = 1001; // elbstream extension
//	}
//
// # Provenance extension
//
// elbstream keeps every line's provenance — the identity of the S3 object it
// came from and its byte offset there — in the extension fields above. Their
// field numbers are far above the KPL's, so the KCL, Firehose and every
// other protobuf-based deaggregator parse them as unknown fields and skip
// them: the records stay plain KPL records to everybody else. Sources are
// deduplicated in source_table like partition keys, so a record costs a few
// bytes of provenance, not a copy of the object name. A position is written
// only when it is known (>= 0); a source only when it is not empty.
//
// Data that does not start with the magic number is not aggregated and
// decodes as one user record, as the KCL treats it.
//
// # Routing caveat
//
// Kinesis routes an aggregated record by its own partition key (or explicit
// hash key), which the Aggregator takes from the first user record it holds.
// The KCL drops user records whose own hash key falls outside the shard that
// holds the aggregate, so a producer that needs KCL compatibility should put
// user records with one partition key (e.g. one per source object) into
// each aggregate. elbstream's own readers do not filter.
//
// # Allocation
//
// Aggregator.Add copies each user record into a reused buffer and
// Decoder.Decode reuses its tables; neither allocates per user record once
// warmed up. Flush allocates exactly the record it returns; AppendFlush
// appends into a caller's buffer instead.
package kpl
