// Package kinesis is the Amazon Kinesis Data Streams backend of the stream
// contract, through aws-sdk-go-v2. It is the only package that calls the
// Kinesis API.
//
// A Stream is opened by stream name or by stream ARN (kinesis://NAME or
// arn:aws:kinesis:REGION:ACCOUNT:stream/NAME on the command line). Its Put
// is one PutRecords call, checked against the service limits before it is
// sent: at most 500 entries, each record (data + partition key) within the
// stream's maximum record size — read from DescribeStreamSummary's
// MaxRecordSizeInKiB, 1 MiB by default — and the whole request within
// 5 MiB, or 10 MiB for a stream that accepts records larger than 1 MiB.
// Shards is ListShards, paginated. Iterate is GetShardIterator and then
// GetRecords; the end of a closed shard reports its children.
//
// Errors are classified with the typed errors of the SDK and wrapped with
// the sentinels of package stream: throttling (ProvisionedThroughputExceeded,
// KMSThrottling, LimitExceeded) as stream.ErrThrottled, server faults,
// network failures and ResourceInUseException (a stream not ACTIVE: being
// created or updated) as stream.ErrTransient, ExpiredIteratorException as
// stream.ErrExpiredIterator, ResourceNotFoundException as
// stream.ErrStreamNotFound or stream.ErrShardNotFound. The SDK's own retryer
// still runs under them, as the aws.Config configures it; this package adds
// no retry loop of its own: stream.Reader and the stage writers retry what
// is classified as retryable. Each call, the SDK's retries included, is
// bounded to 30 seconds, as KCL bounds its requests, so that a request lost
// on a dead connection fails as stream.ErrTransient instead of stalling a
// shard until TCP notices.
//
// A stream opened by ARN is addressed by StreamARN alone (the form that
// reaches another account's stream through its resource policy), in the
// ARN's region.
//
// Delivery guarantee: an entry is durable once its PutResult carries a
// sequence number and no error code; a per-entry error code or an error of
// the call means it may not have been written and must be retried. A retry
// after an error of the call may write the entry twice (Kinesis PutRecords
// is not idempotent), which is why elbstream events carry a deterministic
// event.id.
//
// Kinesalite (the emulator the tests run against) differs from Kinesis in
// ways this package works around or the tests note:
//   - it predates StreamARN: it ignores the parameter and requires
//     StreamName, so the ARN path is tested against a fake HTTP server;
//   - GetRecords never returns ChildShards; children are then found with
//     ListShards (shards whose parent or adjacent parent is the ended shard);
//   - MillisBehindLatest is always 0 before the end of a shard;
//   - ListShards does not paginate;
//   - DescribeStreamSummary has no MaxRecordSizeInKiB (1 MiB applies);
//   - GetShardIterator AT_TIMESTAMP never answers when no record arrived at
//     or after the timestamp (the call then times out as ErrTransient), and
//     fails with InvalidArgumentException for a timestamp in the future;
//   - iterators expire after 5 minutes, as in Kinesis, so expiry is tested
//     with a fake.
package kinesis
