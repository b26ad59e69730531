package kinesis

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/elbstream/elbstream/stream"
)

// Put writes entries with one PutRecords call. It checks the limits first
// and sends nothing when a check fails. Per-entry failures come back in the
// entry's PutResult (ErrorCode and ErrorMessage as Kinesis gave them).
// No entries means no call.
//
// The request shares the entries' Data; Put does not keep them.
func (s *Stream) Put(ctx context.Context, entries []stream.Entry) ([]stream.PutResult, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	if err := checkPut(entries, s.Limits()); err != nil {
		return nil, fmt.Errorf("kinesis: put records %s: %w", s.Name(), err)
	}
	records := make([]types.PutRecordsRequestEntry, len(entries))
	for i, e := range entries {
		records[i] = types.PutRecordsRequestEntry{
			Data:         e.Data,
			PartitionKey: aws.String(e.PartitionKey),
		}
		if e.ExplicitHashKey != "" {
			records[i].ExplicitHashKey = aws.String(e.ExplicitHashKey)
		}
	}
	out, err := call(ctx, s.client.PutRecords, &kinesis.PutRecordsInput{
		Records:    records,
		StreamName: s.nameParam(),
		StreamARN:  s.arnParam(),
	})
	if err != nil {
		return nil, s.errorf(ctx, "put records", stream.ErrStreamNotFound, nil, err)
	}
	if len(out.Records) != len(entries) {
		// The response correlates with the request by position; without
		// that nothing is known about any entry.
		return nil, fmt.Errorf("kinesis: put records %s: %d results for %d entries: %w",
			s.Name(), len(out.Records), len(entries), stream.ErrTransient)
	}
	results := make([]stream.PutResult, len(entries))
	for i, r := range out.Records {
		results[i] = stream.PutResult{
			ShardID:        aws.ToString(r.ShardId),
			SequenceNumber: aws.ToString(r.SequenceNumber),
			ErrorCode:      aws.ToString(r.ErrorCode),
			ErrorMessage:   aws.ToString(r.ErrorMessage),
		}
		if results[i].ErrorCode == "" && results[i].SequenceNumber == "" {
			results[i].ErrorCode = stream.ErrCodeInternal
			results[i].ErrorMessage = "no sequence number and no error code in the response"
		}
	}
	return results, nil
}

// checkPut reports the first limit the entries break, before they are
// sent: the service would reject the whole request for it.
func checkPut(entries []stream.Entry, l stream.Limits) error {
	if len(entries) > l.MaxPutEntries {
		return fmt.Errorf("%d entries, more than the %d one request takes", len(entries), l.MaxPutEntries)
	}
	total := 0
	for i, e := range entries {
		// Kinesis counts the partition key in Unicode characters.
		if n := utf8.RuneCountInString(e.PartitionKey); n < 1 || n > l.MaxPartitionKey {
			return fmt.Errorf("entry %d: partition key of %d characters, want 1 to %d", i, n, l.MaxPartitionKey)
		}
		if e.Size() > l.MaxRecordBytes {
			return fmt.Errorf("entry %d: %d bytes of data and partition key, more than the stream's %d-byte records",
				i, e.Size(), l.MaxRecordBytes)
		}
		total += e.Size()
	}
	if total > l.MaxPutBytes {
		return fmt.Errorf("%d bytes of data and partition keys, more than the %d one request takes", total, l.MaxPutBytes)
	}
	return nil
}
