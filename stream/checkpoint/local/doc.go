// Package local is the embedded checkpoint store behind local://PATH: one
// bbolt file, pure Go, durable (every write is an fsynced transaction).
//
// It implements checkpoint.Store with the same fencing as the DynamoDB
// store: a shard's checkpoint moves only under an unexpired lease held by
// the writer, and only forward (numerically, with TRIM_HORIZON and LATEST
// before every sequence number and SHARD_END after). Rewind moves it
// anywhere and ends the current lease, so a running consumer loses the
// shard at its next Set and resumes from the rewound position.
//
// bbolt locks its file for one process: consumers in one process share a
// Store, and a second process opening the same file fails after
// Options.LockTimeout with an error that says so. For several processes or
// hosts, use the DynamoDB store.
//
// Delivery guarantee: a Set that returned nil survives a crash of the
// process; nothing is cached in memory.
package local
