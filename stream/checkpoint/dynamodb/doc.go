// Package dynamodb is the checkpoint store behind dynamodb://TABLE: one
// DynamoDB item per consumer and shard, fenced with conditional writes so
// that any number of processes on any number of hosts can share it.
//
// # Table
//
//	consumer (S, partition key) | shard (S, sort key)
//	seq         S  the checkpoint as given: a sequence number or a sentinel
//	seq_order   S  a copy of seq that sorts as the checkpoint orders
//	owner       S  the lease holder, absent when nobody holds the lease
//	lease_until N  end of the lease, Unix milliseconds
//	updated_at  N  last Set or Rewind, Unix milliseconds
//	rewound     BOOL  present after a Rewind until the next Acquire or Release
//
// Options.Create (or ?create=true on the URL) creates the table, billed
// PAY_PER_REQUEST, and waits until it is ACTIVE.
//
// # Fencing
//
// Every write is one UpdateItem with a ConditionExpression, so no
// read-modify-write race exists:
//
//   - Acquire: attribute_not_exists(owner) OR owner = :me OR lease_until < :now
//     (and it removes rewound, returning the item as it was so that the
//     caller learns of the rewind)
//   - Set: owner = :me AND lease_until > :now AND attribute_not_exists(rewound)
//     AND (attribute_not_exists(seq_order) OR seq_order <= :new)
//   - Release: owner = :me (and it removes rewound)
//   - Rewind: unconditional; it sets rewound, which fences the lease
//     without ending it: a running consumer loses the shard at its next Set
//     or renewal and resumes from the rewound position, and nobody else
//     takes the lease until it is released or expires.
//
// Kinesis sequence numbers are decimal strings of up to 129 digits (56 in
// practice), beyond DynamoDB's 38-digit numbers, and as strings they do not
// sort numerically ("1000" < "999"). Rather than read, compare in Go and
// write conditionally on a version attribute (two round trips and a retry
// loop under contention), the store keeps seq_order, a copy that sorts
// byte-wise exactly as checkpoints order: "0" for TRIM_HORIZON and LATEST,
// "1" + the three-digit length + the digits (leading zeros dropped) for a
// sequence number, "2" for SHARD_END. A single conditional write then
// enforces "never backwards".
//
// Leases are compared with the writer's clock: hosts sharing a table need
// clocks that agree to well within the lease TTL (NTP does).
//
// # IAM
//
// dynamodb:GetItem, dynamodb:UpdateItem, dynamodb:Query and
// dynamodb:DescribeTable on the table; dynamodb:CreateTable as well when
// Create is set.
package dynamodb
