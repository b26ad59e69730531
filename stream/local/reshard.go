package local

import (
	"context"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// SplitShard closes shardID and opens two children: one for its hash keys
// below newStartingHashKey (decimal), one for newStartingHashKey and above.
// As in Kinesis, the parent keeps its records until retention removes
// them, its EndingSequence is set, and readers that reach its end get the
// children in Batch.ChildShards. The split is done when SplitShard returns.
func (s *Stream) SplitShard(ctx context.Context, shardID, newStartingHashKey string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local: split %s: %w", shardID, err)
	}
	at, err := parseHashKey(newStartingHashKey)
	if err != nil {
		return fmt.Errorf("local: split %s: %w: new starting hash key %q: %v", shardID, ErrInvalidArgument, newStartingHashKey, err)
	}
	err = s.reshard(func(tx *bolt.Tx) ([]*shardMeta, []*shardMeta, error) {
		parent, err := openShard(tx, shardID)
		if err != nil {
			return nil, nil, err
		}
		if at.cmp(mustHashKey(parent.HashKeyStart)) <= 0 || at.cmp(mustHashKey(parent.HashKeyEnd)) > 0 {
			return nil, nil, fmt.Errorf("%w: new starting hash key %s is not in (%s, %s]",
				ErrInvalidArgument, newStartingHashKey, parent.HashKeyStart, parent.HashKeyEnd)
		}
		low := &shardMeta{ParentID: parent.ID, HashKeyStart: parent.HashKeyStart, HashKeyEnd: at.sub1().String()}
		high := &shardMeta{ParentID: parent.ID, HashKeyStart: at.String(), HashKeyEnd: parent.HashKeyEnd}
		return []*shardMeta{parent}, []*shardMeta{low, high}, nil
	})
	if err != nil {
		return fmt.Errorf("local: split %s: %w", shardID, s.dbErr(err))
	}
	return nil
}

// MergeShards closes shardID and adjacentShardID, whose hash-key ranges
// must touch, and opens one child covering both, with ParentID shardID and
// AdjacentParentID adjacentShardID. The merge is done when MergeShards
// returns.
func (s *Stream) MergeShards(ctx context.Context, shardID, adjacentShardID string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local: merge %s and %s: %w", shardID, adjacentShardID, err)
	}
	err := s.reshard(func(tx *bolt.Tx) ([]*shardMeta, []*shardMeta, error) {
		a, err := openShard(tx, shardID)
		if err != nil {
			return nil, nil, err
		}
		b, err := openShard(tx, adjacentShardID)
		if err != nil {
			return nil, nil, err
		}
		lo, hi := a, b
		if mustHashKey(a.HashKeyStart).cmp(mustHashKey(b.HashKeyStart)) > 0 {
			lo, hi = b, a
		}
		if mustHashKey(lo.HashKeyEnd).add1() != mustHashKey(hi.HashKeyStart) {
			return nil, nil, fmt.Errorf("%w: %s [%s, %s] and %s [%s, %s] are not adjacent", ErrInvalidArgument,
				a.ID, a.HashKeyStart, a.HashKeyEnd, b.ID, b.HashKeyStart, b.HashKeyEnd)
		}
		child := &shardMeta{ParentID: a.ID, AdjacentParentID: b.ID, HashKeyStart: lo.HashKeyStart, HashKeyEnd: hi.HashKeyEnd}
		return []*shardMeta{a, b}, []*shardMeta{child}, nil
	})
	if err != nil {
		return fmt.Errorf("local: merge %s and %s: %w", shardID, adjacentShardID, s.dbErr(err))
	}
	return nil
}

// reshard closes the parents plan returns and opens its children, in one
// transaction under writeMu, so no put lands on a parent after it closed.
// Every parent closes at one key, at or after its last record; the children
// start there, so sequence numbers keep increasing from parent to child.
func (s *Stream) reshard(plan func(tx *bolt.Tx) (parents, children []*shardMeta, err error)) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	var routes []*route
	err := s.db.Update(func(tx *bolt.Tx) error {
		closeKey := s.nowKey()
		parents, children, err := plan(tx)
		if err != nil {
			return err
		}
		for _, p := range parents {
			t, _ := getTip(tx, p.ID)
			closeKey = max(closeKey, t.last)
		}
		meta := tx.Bucket(bucketMeta)
		next, err := strconv.ParseUint(string(meta.Get(metaNextIndex)), 10, 64)
		if err != nil {
			return fmt.Errorf("corrupt next shard index: %w", err)
		}
		var ids []string
		for _, c := range children {
			c.Index, c.ID, c.StartKey = next, shardID(next), closeKey
			next++
			if err := s.addShard(tx, c); err != nil {
				return err
			}
			ids = append(ids, c.ID)
		}
		for _, p := range parents {
			t, _ := getTip(tx, p.ID)
			p.EndKey, p.Children = closeKey, ids
			t.end = closeKey
			if err := putShardMeta(tx, p); err != nil {
				return err
			}
			if err := putTip(tx, p.ID, t); err != nil {
				return err
			}
		}
		if err := meta.Put(metaNextIndex, []byte(strconv.FormatUint(next, 10))); err != nil {
			return err
		}
		routes, err = loadRoutes(tx)
		return err
	})
	if err != nil {
		return err // rolled back: the old routes are still right
	}
	s.routes = routes
	return nil
}

// openShard returns the metadata of an open shard.
func openShard(tx *bolt.Tx, id string) (*shardMeta, error) {
	m, err := getShardMeta(tx, id)
	if err != nil {
		return nil, err
	}
	if m.EndKey != 0 {
		return nil, fmt.Errorf("%w: %s is closed", ErrInvalidArgument, id)
	}
	return m, nil
}

func mustHashKey(s string) hashKey {
	k, _ := parseHashKey(s) // shard ranges were checked when the routes loaded
	return k
}
