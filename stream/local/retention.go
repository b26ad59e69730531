package local

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Retention is exact for readers (records older than Options.Retention are
// skipped at read time, closed shards past it are no longer listed) and
// lazy for the file: trimLoop deletes them in the background, in small
// transactions, so that a large backlog never stalls writers.

func (s *Stream) trimLoop() {
	defer s.wg.Done()
	every := min(max(s.opts.Retention/10, trimIntervalMin), trimIntervalMax)
	timer := time.NewTimer(0) // trim once at open
	defer timer.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-timer.C:
		}
		// An error here (the disk is full, say) is retried at the next tick;
		// readers skip expired records whether or not they are deleted yet.
		_ = s.trim()
		timer.Reset(every)
	}
}

// trim deletes the records older than retention, and the closed shards
// whose records are all gone.
func (s *Stream) trim() error {
	cutoff := s.cutoffKey(s.opts.Now())
	type shardEnd struct {
		id  string
		end uint64
	}
	var shards []shardEnd
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTips).ForEach(func(k, v []byte) error {
			if len(v) == 16 {
				shards = append(shards, shardEnd{string(k), binary.BigEndian.Uint64(v[8:])})
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("local: trim: %w", s.dbErr(err))
	}
	for _, sh := range shards {
		if expired(sh.end, cutoff) {
			err = s.dropShard(sh.id)
		} else {
			err = s.trimShard(sh.id, cutoff)
		}
		if err != nil {
			return fmt.Errorf("local: trim %s: %w", sh.id, s.dbErr(err))
		}
		select {
		case <-s.closing:
			return nil
		default:
		}
	}
	return nil
}

// trimShard deletes a shard's records below cutoff, trimDeletesPerTx at a
// time.
func (s *Stream) trimShard(id string, cutoff uint64) error {
	keys := make([][]byte, 0, trimDeletesPerTx)
	for {
		keys = keys[:0]
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketRecords).Bucket([]byte(id))
			if b == nil {
				return nil
			}
			c := b.Cursor()
			for k, _ := c.First(); k != nil && len(keys) < trimDeletesPerTx; k, _ = c.Next() {
				if binary.BigEndian.Uint64(k) >= cutoff {
					break
				}
				keys = append(keys, k) // valid until the transaction ends
			}
			// Deleting while a cursor walks can skip keys: collect, then delete.
			for _, k := range keys {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || len(keys) < trimDeletesPerTx {
			return err
		}
		select {
		case <-s.closing:
			return nil
		default:
		}
	}
}

// dropShard deletes a closed shard that passed retention. Its children
// keep naming it as their parent, as in Kinesis.
func (s *Stream) dropShard(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketRecords).DeleteBucket([]byte(id)); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		if err := tx.Bucket(bucketTips).Delete([]byte(id)); err != nil {
			return err
		}
		return tx.Bucket(bucketShards).Delete([]byte(id))
	})
}
