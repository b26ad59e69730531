package stream

// Ready returns the shards that may be read now: those not finished whose
// parents (and adjacent parents) are finished or no longer listed.
// finished reports a shard as done, that is read to its end and processed.
//
// This is what keeps records of one partition key in order across a
// resharding: a split's children and a merge's child hold records written
// after every record of their parents, so they are read only once the
// parents are exhausted. A parent that is no longer listed has passed the
// stream's retention and holds nothing more to read.
//
// The result keeps the order of shards and shares no memory with it.
func Ready(shards []Shard, finished func(shardID string) bool) []Shard {
	listed := make(map[string]bool, len(shards))
	for _, s := range shards {
		listed[s.ID] = true
	}
	done := func(id string) bool { return id == "" || !listed[id] || finished(id) }

	var ready []Shard
	for _, s := range shards {
		if finished(s.ID) {
			continue
		}
		if done(s.ParentID) && done(s.AdjacentParentID) {
			ready = append(ready, s)
		}
	}
	return ready
}
