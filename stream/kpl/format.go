package kpl

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// Magic is the four bytes every KPL aggregated record starts with.
var Magic = [4]byte{0xF3, 0x89, 0x9A, 0xC2}

const (
	magicLen  = len(Magic)
	digestLen = 16 // MD5 trailer
	overhead  = magicLen + digestLen
)

// Field numbers of AggregatedRecord.
const (
	aggPartitionKeyTable    protowire.Number = 1
	aggExplicitHashKeyTable protowire.Number = 2
	aggRecords              protowire.Number = 3
	aggSourceTable          protowire.Number = 1000 // elbstream extension
)

// Field numbers of Record.
const (
	recPartitionKeyIndex    protowire.Number = 1
	recExplicitHashKeyIndex protowire.Number = 2
	recData                 protowire.Number = 3
	recTags                 protowire.Number = 4
	recSourceIndex          protowire.Number = 1000 // elbstream extension
	recPosition             protowire.Number = 1001 // elbstream extension
)

// Tag sizes, precomputed: fields 1..15 take one byte, 1000 and 1001 two.
var (
	tagLenSmall = protowire.SizeTag(1)
	tagLenExt   = protowire.SizeTag(aggSourceTable)
)

// MaxPartitionKey is the longest partition key Kinesis accepts, in
// characters.
const MaxPartitionKey = 256

var (
	// ErrTooLarge: the user record does not fit in an aggregate of
	// MaxBytes even on its own.
	ErrTooLarge = errors.New("kpl: record too large")
	// ErrPartitionKey: the partition key is empty or longer than
	// MaxPartitionKey characters, which Kinesis would reject.
	ErrPartitionKey = errors.New("kpl: invalid partition key")
	// ErrChecksum: the MD5 trailer does not match the protobuf message.
	ErrChecksum = errors.New("kpl: checksum mismatch")
	// ErrMalformed: the record has the magic number but its protobuf
	// message cannot be parsed.
	ErrMalformed = errors.New("kpl: malformed aggregated record")
)

// Record is one user record inside an aggregated record.
type Record struct {
	PartitionKey    string
	ExplicitHashKey string
	Data            []byte
	// Provenance, carried in elbstream extension fields of the protobuf
	// messages that KCL and Firehose deaggregation ignore as unknown fields:
	Source   string // identity of the source object, e.g. "s3://bucket/key#etag"
	Position int64  // byte offset of the line in the decompressed object; -1 if unknown
}
