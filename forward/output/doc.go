// Package output delivers JSON events to a receiver: Logstash's beats input
// (Lumberjack v2, through Elastic's go-lumber client), Logstash's tcp input
// with the json_lines codec, standard output, or a file.
//
// An Output is opened from a URL with Open:
//
//	beats://host:port        Lumberjack v2; port defaults to 5044
//	beats+tls://host:port    the same over TLS
//	tcp://host:port          newline-delimited JSON (Logstash tcp input, json_lines codec)
//	tcp+tls://host:port      the same over TLS
//	stdout                   one JSON event per line on standard output
//	file:PATH                one JSON event per line appended to PATH
//
// # Delivery guarantee
//
// Send returns nil only when every event it was given is delivered, in the
// sense the output's Guarantee names:
//
//   - beats: Acknowledged. The receiver acknowledged every event with a
//     Lumberjack ACK; Logstash sends it once the events are in its queue
//     (with a persistent queue, once they are on disk).
//   - tcp: Written. Every event was written and flushed to the connection,
//     that is, handed to the kernel. The tcp protocol has no acknowledgement:
//     events in flight when the receiver dies are lost without any error.
//     This is weaker, and Logstash documents its tcp input as unprotected
//     against data loss; use beats where it matters.
//   - file: Written and synced (fsync) before Send returns.
//   - stdout: Written and flushed to file descriptor 1.
//
// On a connection error Send closes the connection, redials with capped,
// jittered backoff and sends again every event not yet acknowledged, until
// the events are delivered, the context is done, or an error is permanent
// (a certificate the TLS configuration rejects, an event that is not a JSON
// object). Events may therefore arrive more than once: at-least-once. Index
// with document_id => "%{[event][id]}" so duplicates overwrite themselves.
//
// # Connections
//
// Network outputs keep a bounded pool of Config.Connections long-lived
// connections. A connection is used by one writer at a time. It joins the
// pool only after it is connected (TCP connect and, for TLS, the handshake
// completed), is checked for a peer close or reset before every reuse (a
// connection reset while a Lambda environment was frozen is detected and
// redialed before anything is written to it), and is closed and replaced
// after any error. Send splits its events into windows of
// Config.WindowSize events and may send windows on several connections at
// once, so events can arrive out of slice order; Send is safe for
// concurrent use, and concurrent Sends share the pool.
//
// When Send fails, SendError.Delivered (or the Delivered function) says how
// many leading events are known delivered; a partially acknowledged beats
// window counts its acknowledged part.
package output
