// Package elblog turns AWS load-balancer log lines into JSON events, one
// line at a time, without allocating.
//
// It reads every format AWS writes to S3, detected per line: Classic Load
// Balancer access logs (HTTP, HTTPS, TCP and SSL listeners), Application Load
// Balancer access logs (every documented field through
// request_transform_status, the older forms that end after field 16, 17, 25
// or 29, and any fields AWS appends later), ALB connection logs, and Network
// Load Balancer TLS access logs (with or without
// tls_connection_creation_time). AWS's control lines ("Enable AccessLog for
// ELB: …", "Enable ConnectionLog for ELB: …") and blank lines are skipped.
//
// # Use
//
//	enc := elblog.Encoder{Schema: elblog.ECS, Fields: []elblog.Field{{Key: "labels.env", Value: "prod"}}}
//	dst, outcome, err := enc.AppendJSON(dst[:0], line, elblog.Provenance{Source: key, Position: offset})
//
// AppendJSON appends one JSON object (no newline) to a caller-owned buffer and
// returns it, like strconv.AppendInt. It never retains line or dst. An
// Encoder keeps scratch space and is not safe for concurrent use: use one per
// goroutine.
//
// # Guarantee
//
// Nothing is dropped. Every line that is not a control or blank line yields
// exactly one event. A line that does not parse yields a failure event:
//
//	{"event":{"id":"…","kind":"pipeline_error","original":"<the line>"},
//	 "error":{"message":"alb: field 9 (elb_status_code) at byte 120: want a status code or -: \"2x0\""},
//	 "tags":["_elbparsefailure"]}
//
// The message names the format, the field as AWS documents it, the byte
// offset and the offending value. Every event is valid UTF-8 JSON on one
// line: AWS's \xHH escapes in quoted fields (\x22 for a quote, \x5C for a
// backslash) are decoded, then '"', '\' and control bytes are escaped, and
// every byte that is not part of valid UTF-8 becomes U+FFFD. A trailing "\n"
// or "\r\n" is ignored.
//
// Whether a line parses does not depend on the schema: fields are checked
// against their format's table (timestamps, ip:port with IPv4 or IPv6 — the
// port is split at the last colon —, status codes, counts, seconds) before
// anything is written.
//
// # event.id
//
// event.id is deterministic: the same line of the same object always gets the
// same id, so Logstash can index with document_id => "%{[event][id]}" and a
// replay or a retried Lambda invocation overwrites instead of duplicating. It
// is 32 characters of unpadded base64url of 24 bytes:
//
//	SHA-256(Provenance.Source)[:15] || 0x00 || Provenance.Position as 8 bytes, big-endian
//
// or, for a negative (unknown) Position, SHA-256(Source)[:15] || 0x01 ||
// SHA-256(line without its line ending)[:8]. It depends on nothing else: not
// the line (when the position is known), not the schema, not the version of
// elbstream. The definition is frozen by a test; changing it would duplicate
// every document on the next replay. Two lines of one source never share an
// id; ids of one source share their first 20 characters. See AppendEventID.
//
// # Schemas
//
// Events are nested JSON objects, never dotted keys: {"source":{"ip":…}},
// not {"source.ip":…}. Elasticsearch reads both the same way, but Logstash
// does not: its field references ([source][ip]) and conditionals only see
// nested objects, while a dotted key is one odd top-level field. Fields AWS
// writes as "-" (no value) and times of -1 (not available) are left out.
//
// ECS (the default) follows Filebeat's aws/elb module where it has a name,
// and the Elastic Common Schema elsewhere:
//
//	all formats   @timestamp (time; NLB's gets the Z AWS leaves out), event.id, event.kind "event",
//	              event.category ("web" for HTTP, "network" otherwise), event.dataset "aws.elb",
//	              cloud.provider "aws", aws.elb.extra (text after the known fields)
//	CLB, ALB      event.outcome (status < 400: success, else failure), source.ip/.port (client),
//	              http.request.method, http.request.body.bytes (received_bytes),
//	              http.response.status_code, http.response.body.bytes (sent_bytes), http.version,
//	              url.original and url.scheme/.domain/.port/.path/.query/.fragment, user_agent.original,
//	              tls.cipher, tls.version and tls.version_protocol (from "TLSv1.2"), aws.elb.name,
//	              aws.elb.protocol ("http"; "tcp" for CLB TCP/SSL listeners, whose bytes go to
//	              source.bytes and destination.bytes), aws.elb.backend.ip/.port (backend or target),
//	              aws.elb.backend.http.response.status_code, aws.elb.request_processing_time.sec,
//	              aws.elb.backend_processing_time.sec (ALB's target_processing_time),
//	              aws.elb.response_processing_time.sec, aws.elb.ssl_protocol
//	ALB           aws.elb.type, event.start (request_creation_time), destination.domain (domain_name),
//	              trace.id (trace_id), aws.elb.target_group.arn, aws.elb.chosen_cert.arn,
//	              aws.elb.matched_rule_priority, aws.elb.action_executed (array), aws.elb.redirect_url,
//	              aws.elb.error.reason, aws.elb.target_port (array), aws.elb.target_status_code (array),
//	              aws.elb.classification, aws.elb.classification_reason, aws.elb.conn_trace_id,
//	              aws.elb.transformed_host, aws.elb.transformed_uri, aws.elb.request_transform_status
//	ALB conn      source.ip/.port, destination.port (listener_port), tls.cipher, tls.version,
//	              tls.client.x509.subject.distinguished_name, tls.client.x509.serial_number,
//	              tls.client.not_before/.not_after (from leaf_client_cert_validity; kept whole in
//	              aws.elb.leaf_client_cert_validity if it does not parse), event.outcome (tls_verify_status
//	              Success or Failed:…), aws.elb.ssl_protocol, aws.elb.tls_handshake_latency.sec,
//	              aws.elb.tls_verify_status, aws.elb.conn_trace_id
//	NLB           event.start (tls_connection_creation_time), source.ip/.port/.bytes (received_bytes),
//	              destination.ip/.port/.bytes (sent_bytes), destination.domain, tls.cipher, tls.version,
//	              tls.next_protocol (alpn_fe_protocol), aws.elb.type, .version, .name,
//	              .protocol ("tcp", as Filebeat has it), .listener, .connection_time.ms,
//	              .tls_handshake_time.ms, .incoming_tls_alert, .chosen_cert.arn,
//	              .chosen_cert.serial, .ssl_protocol, .ssl_named_group, .alpn_be_protocol,
//	              .alpn_client_preference_list (array: "h2","http/1.1" is one field in the log)
//
// Where this differs from Filebeat's module, on purpose: a value written as
// it is to an ECS field is not copied to aws.elb.* too (trace_id is only in
// trace.id, ssl_cipher only in tls.cipher), and event.end, which would be
// @timestamp again, is left out; ssl_protocol stays, since tls.version is
// derived from it. NLB's destination ip:port is destination.ip/.port (AWS:
// the listener, or the VPC endpoint the client used), not
// aws.elb.backend.*. Filebeat's own dashboards select its events by
// fileset.name "elb" and event.module "aws", which are not ECS for this
// data: `--field event.module=aws --field fileset.name=elb` adds them.
//
// Classic keeps the field names and units of the original Node.js processor,
// flat, so dashboards built on it keep working: @timestamp, EventReceivedTime
// (when the request arrived: CLB's time, ALB's request_creation_time, NLB's
// tls_connection_creation_time), LoadBalancerName, PublicIpAndPort,
// InternalIpAndPort, TimeToForwardRequest, TimeTaken and
// TimeToForwardResponse (whole milliseconds, rounded half up on the decimal
// AWS writes; Math.round of the Node processor's float product rounded 92
// of the 10 million six-decimal values under 10 s, all ties, down instead,
// 0.500500 to 500; left out when -1), Status and BackendStatus (strings, as the log
// has them, "-" included), BytesUploadedFromClient, BytesDownloadedByClient,
// FullRequest, Verb, Path, UserAgent, SslCipher, SslProtocol; for ALB also
// RequestType, TargetGroupArn, TraceId, DomainName, ErrorReason; for NLB
// Listener, ConnectionTime and TlsHandshakeTime (ms); for connection logs
// Listener, TlsHandshakeTime (ms), ClientCertSubject, TlsVerifyStatus,
// ConnTraceId; Extra. The static fields SourceModuleName "ELB" and Type
// "logs" are added as the Node processor did (it wrote lower-case "type",
// which Logstash reserves); Component, Environment and Application come from
// Fields. event.id is nested as in ECS, so one document_id setting serves
// both schemas. Where the Node processor was a bug or a cost, this schema
// does not follow it: it copied the raw line into "message" (that would
// double every event's size); it kept UserAgent's quotes ("\"curl/7.38.0\"",
// "\"-\"" for TCP listeners) where this writes the value, and wrote Verb and
// Path "-" for TCP listeners, where this leaves them out as every other "-";
// and it wrote the object's Source.S3.Bucket and .Key, which this package does
// not know (event.id stands for the provenance; add the bucket with Fields).
//
// # Static fields
//
// Encoder.Fields adds static fields (elbstream parse --field K=V) to every
// event, parsed or failed. A dotted key nests: labels.env=prod is
// {"labels":{"env":"prod"}}, and cloud.account.id=123 joins the schema's
// cloud object. A key the schema writes itself (event.id, aws.elb.x,
// @timestamp, tags) is refused by Init with ErrConfig, so no event ever has a
// duplicate key. Values are strings.
//
// # Aliasing
//
// AppendJSON copies what it needs from line into dst; neither is kept. The
// returned *ParseError owns its data.
//
// # Speed
//
// A line is split once into fields that alias it, checked against its
// format's table, and written straight into dst; no intermediate strings or
// maps. CLB, ALB and ALB connection lines of the common shape (IPv4
// clients, AWS's 27-byte timestamps) take a fused path (fused.go) that
// splits and checks in one pass: each typed field is checked where it
// stands and the check finds its end, instead of a search for the space
// that ends it and a second walk through a table of kinds. Any other line
// falls back to the general split and check, which also reports what is
// wrong; TestFusedMatchesSplit holds both to the same result. On amd64
// with AVX2 and on arm64, one vector pass over the line (marks_amd64.s,
// marks_arm64.s, the package's only assembly) marks every space and double
// quote in two bitmaps, 64 bytes a step, and checks on the way that the
// line is clean; a field's end is then a shift and a trailing-zero count
// in one word of a bitmap. The AVX2 kernel is VEX-encoded throughout: one
// legacy-SSE MOVQ into an X register, between instructions that dirtied
// the Y registers, cost 350 ns a call on a Zen 3 host
// (TestMarksAsmIsVEXOnly, bench/README.md). The NEON kernel is tested under
// qemu-aarch64 (go tool task test-arm64), where it takes 9.7-15.6% of the
// portable path's instructions off a line; its speed on arm64 hardware is
// not measured. Elsewhere (-tags purego, other architectures, lines over
// 8 KiB) fields' ends are found eight bytes a step in a register (SWAR),
// inline in the loop: fields are short, and a call to bytes.IndexByte per field cost more in calls and
// spills than its vector search saved. TestMarksMatchScalar holds the
// bitmaps to a byte-by-byte reference. Nearly every real line is printable
// ASCII without a backslash; such a "clean" line needs no escaping or \x
// decoding at all, which one check decides up front (the bitmap pass;
// without it segmentio's ascii.ValidPrint on amd64, a 32-byte SWAR loop
// elsewhere, clean.go), and its values are copied as
// they are (values of up to 32 bytes as one block, not through memmove), in
// the body of the helper that writes the field, not through a further call.
// Keys the helpers write are padded to 48 bytes and moved as one block too
// (keys.go); numbers are copied from the line without their leading zeros,
// never formatted. Steady-state
// AppendJSON allocates nothing for parsed and skipped lines, for every
// format and both schemas (TestZeroAllocs holds it to that); a failed line
// allocates its *ParseError.
//
// github.com/segmentio/encoding serves where it is fastest: its
// ascii.ValidPrint (AVX2, 32 bytes a step) is the clean-line check for
// amd64 lines without bitmaps (over 8 KiB, or no AVX2), 35 ns a
// 670-byte ALB line against 380 ns for one scalar pass doing the same checks
// (BenchmarkClean in stage_bench_test.go; 318 ns on the Zen 3 host, where
// its PINSRB pays the same transition: a copy with VPINSRB took 135 ns).
// isTimestamp checks eight bytes at a time as its iso8601 parser does
// (there separators in place, then digits; here both in one step, and the
// ranges too); iso8601.Valid itself
// takes a string. Its json.AppendEscape does not
// serve: it cannot decode AWS's \xHH escapes, takes a string (a conversion
// that copies), and clean lines need no escaping at all. BenchmarkEscape, on
// user agents of generated lines (CPU ns per field): clean, a plain copy 7
// vs AppendEscape 40 vs encoding/json 170; with \x22, \x5C and invalid
// UTF-8, decode-and-escape 88 vs AppendEscape (without decoding) 104 vs
// encoding/json 200. The only unsafe code is the writers' two block moves
// (blocks.go, with their measured gain: 3% fewer instructions, 4-7% less
// CPU time per line); the
// assembly reads only within the line (its last partial block is read as
// the 64 bytes that end the line; lines under 64 bytes are copied to a
// padded block first).
//
// bench/ compares AppendJSON with a regular expression per format plus
// encoding/json, and with encoding/json marshalling a struct; see
// bench/README.md for the numbers and the machines. In short (ECS, MB of
// input per CPU second on one shared vCPU, medians of runs): on a Zen 5
// host ALB 1005-1041 in some runs and 670-893 in others, as the shared
// core's phases fell (28-29× the regexp baseline within interleaved
// rounds), CLB 20-22×; on a Zen 4 host
// ALB 831-893 (25.5×), ALB connection 1022 (29.8×), NLB 882 (27.1×), CLB
// 551 (17.6×) in earlier runs, and ALB 923 (30.1×), CLB 593 (22.6×) in
// later interleaved rounds. The target of ≥ 1 GB/s per core on ALB lines
// is reached on the Zen 5 host only in its fast phases, and ≥ 20× for CLB
// only just:
// CLB's 260-byte lines turn into 900-byte events, and the per-event work
// (event.id, ten nested objects, URL parts) is what the baseline, whose
// cost follows the input's length, does not have. Of an ALB line's instructions the
// parse (with the bitmap pass) takes about 45%, writing the event about
// 45%, spread over ~60 small steps; in CPU time the writer is the larger
// part. See bench/README.md for what was tried and measured.
package elblog
