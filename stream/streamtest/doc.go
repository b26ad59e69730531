// Package streamtest is the conformance suite every stream.Stream backend
// must pass: the embedded local stream runs it in its own tests, the Kinesis
// backend runs it against kinesalite.
//
//	func TestConformance(t *testing.T) {
//		streamtest.Run(t, func(t *testing.T, shards int) stream.Stream {
//			s, err := local.Open(t.TempDir(), local.Options{Shards: shards})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite checks only what the contract in package stream promises, so
// that an emulator passes it as well as the service: ordering within a
// shard, per-entry put results and partial failure, every start position,
// arrival timestamps, the shard listing and its hash ranges, shard end and
// child shards after a split and a merge, batches at the service limits,
// and concurrent writers. Volumes stay small (a few thousand records and a
// few MiB in all) so that it runs in seconds against kinesalite.
//
// Optional capabilities are discovered by type assertion on the stream:
// Resharder (split and merge) and PutFaultInjector (fail chosen entries).
// Backends without them still get the parts of those tests that need no
// injection.
//
// Delivery guarantee checked: an entry whose PutResult is OK is readable,
// exactly once, in sequence order within its shard; an entry reported
// failed is not readable.
package streamtest
