package elblog

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
)

// Provenance identifies a line: where it came from and where in it.
type Provenance struct {
	Source   string // source object identity (as kpl.Record.Source), e.g. "s3://bucket/key#etag"
	Position int64  // position of the line in the source (byte offset or line number); -1 if unknown
}

// EventIDLen is the length of an event.id.
const EventIDLen = 32

// eventIDs computes event ids. The source part is cached: lines come in
// runs from one object.
type eventIDs struct {
	source string
	prefix [20]byte // base64url(SHA-256(source)[:15])
	ok     bool
}

// append appends the event.id of the line at p to dst: 32 characters of
// unpadded base64url encoding 24 bytes,
//
//	SHA-256(Source)[:15] || 0x00 || Position as 8 bytes, big-endian
//
// or, when Position is negative (unknown),
//
//	SHA-256(Source)[:15] || 0x01 || SHA-256(line)[:8]
//
// The id depends on nothing else — not the schema, not the version of
// elbstream — so the same line of the same object always gets the same id
// and Logstash can use it as the document id: a replay overwrites instead of
// duplicating. The definition is fixed; changing it would duplicate every
// document on the next replay.
//
// Two lines of one source never share an id (positions differ); two sources
// share the 120-bit prefix with probability about n²/2^121 for n sources.
// Ids of one source share their first 20 characters, which Elasticsearch's
// terms dictionary compresses well. The per-line cost is one 9-byte base64
// encoding, which is why the position is not hashed.
func (ids *eventIDs) append(dst []byte, p Provenance, line []byte) []byte {
	if !ids.ok || p.Source != ids.source {
		sum := sha256.Sum256([]byte(p.Source))
		base64.RawURLEncoding.Encode(ids.prefix[:], sum[:15])
		ids.source, ids.ok = p.Source, true
	}
	dst = append(dst, ids.prefix[:]...)
	var tail [9]byte
	if p.Position >= 0 {
		binary.BigEndian.PutUint64(tail[1:], uint64(p.Position))
	} else {
		tail[0] = 1
		sum := sha256.Sum256(line)
		copy(tail[1:], sum[:8])
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(tail); i += 3 {
		v := uint(tail[i])<<16 | uint(tail[i+1])<<8 | uint(tail[i+2])
		dst = append(dst, alphabet[v>>18&63], alphabet[v>>12&63], alphabet[v>>6&63], alphabet[v&63])
	}
	return dst
}

// AppendEventID appends the event.id that AppendJSON gives line at p. line
// matters only when p.Position is negative; pass it without its line ending.
func AppendEventID(dst []byte, p Provenance, line []byte) []byte {
	var ids eventIDs
	return ids.append(dst, p, line)
}
