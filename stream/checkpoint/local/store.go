package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/elbstream/elbstream/stream/checkpoint"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Options configure Open.
type Options struct {
	// LockTimeout is how long Open waits for another process to release
	// the file. Default: 1s
	LockTimeout time.Duration
}

// Store is a checkpoint.Store in one bbolt file.
type Store struct {
	db   *bolt.DB
	path string
	now  func() time.Time
}

var _ checkpoint.Store = (*Store)(nil)

// rootBucket holds one nested bucket per consumer, keyed by shard id.
var rootBucket = []byte("checkpoints")

// record is a checkpoint as stored.
type record struct {
	Sequence   string    `json:"seq,omitempty"`
	Owner      string    `json:"owner,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
	Rewound    bool      `json:"rewound,omitempty"`
}

// Open opens or creates the store at path, creating its directory.
func Open(path string) (*Store, error) { return OpenOptions(path, Options{}) }

// OpenOptions is Open with options.
func OpenOptions(path string, opts Options) (*Store, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("checkpoint/local: %w", err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("checkpoint/local: %s is locked by another process (a local store serves one process; use dynamodb:// to share checkpoints): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint/local: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(rootBucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("checkpoint/local: init %s: %w", path, err)
	}
	return &Store{db: db, path: path, now: time.Now}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) Get(ctx context.Context, consumer, shardID string) (checkpoint.Checkpoint, error) {
	c := checkpoint.Checkpoint{Consumer: consumer, ShardID: shardID}
	if err := check(ctx, consumer, shardID); err != nil {
		return c, fmt.Errorf("checkpoint/local: get %s/%s: %w", consumer, shardID, err)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := get(tx, consumer, shardID)
		c = r.checkpoint(consumer, shardID)
		return err
	})
	if err != nil {
		return c, fmt.Errorf("checkpoint/local: get %s/%s: %w", consumer, shardID, err)
	}
	return c, nil
}

func (s *Store) List(ctx context.Context, consumer string) ([]checkpoint.Checkpoint, error) {
	var out []checkpoint.Checkpoint
	if err := check(ctx, consumer, "-"); err != nil {
		return nil, fmt.Errorf("checkpoint/local: list %s: %w", consumer, err)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(rootBucket).Bucket([]byte(consumer))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("shard %s: %w", k, err)
			}
			out = append(out, r.checkpoint(consumer, string(k)))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("checkpoint/local: list %s: %w", consumer, err)
	}
	return out, nil
}

func (s *Store) Acquire(ctx context.Context, consumer, shardID, owner string, ttl time.Duration) (checkpoint.Checkpoint, error) {
	if owner == "" || ttl <= 0 {
		return checkpoint.Checkpoint{}, fmt.Errorf("checkpoint/local: acquire %s/%s: need an owner and a positive ttl", consumer, shardID)
	}
	var c checkpoint.Checkpoint
	err := s.update(ctx, consumer, shardID, func(r *record, now time.Time) error {
		if r.Owner != "" && r.Owner != owner && r.LeaseUntil.After(now) {
			return fmt.Errorf("%w: %s until %s", checkpoint.ErrLeaseHeld, r.Owner, r.LeaseUntil.Format(time.RFC3339Nano))
		}
		c = r.checkpoint(consumer, shardID)
		r.Owner, r.LeaseUntil, r.Rewound = owner, now.Add(ttl), false
		c.Owner, c.LeaseUntil = r.Owner, r.LeaseUntil
		return nil
	})
	if err != nil {
		return checkpoint.Checkpoint{}, fmt.Errorf("checkpoint/local: acquire %s/%s: %w", consumer, shardID, err)
	}
	return c, nil
}

func (s *Store) Set(ctx context.Context, consumer, shardID, owner, seq string) error {
	if err := checkpoint.Validate(seq); err != nil {
		return fmt.Errorf("checkpoint/local: %w", err)
	}
	err := s.update(ctx, consumer, shardID, func(r *record, now time.Time) error {
		if r.Owner != owner || owner == "" || !r.LeaseUntil.After(now) {
			return notOwner(r, owner, now)
		}
		if r.Rewound {
			return fmt.Errorf("%w: %w to %s since %s acquired the lease", checkpoint.ErrNotOwner, checkpoint.ErrRewound, r.Sequence, owner)
		}
		if r.Sequence != "" && checkpoint.Compare(seq, r.Sequence) < 0 {
			return fmt.Errorf("%w: %s is before %s", checkpoint.ErrBackwards, seq, r.Sequence)
		}
		r.Sequence, r.UpdatedAt = seq, now
		return nil
	})
	if err != nil {
		return fmt.Errorf("checkpoint/local: set %s/%s: %w", consumer, shardID, err)
	}
	return nil
}

func (s *Store) Release(ctx context.Context, consumer, shardID, owner string) error {
	err := s.update(ctx, consumer, shardID, func(r *record, now time.Time) error {
		switch {
		case r.Owner == owner && owner != "":
			r.Owner, r.LeaseUntil, r.Rewound = "", time.Time{}, false
			return nil
		case r.Owner != "" && r.LeaseUntil.After(now):
			return notOwner(r, owner, now)
		}
		return errUnchanged // nobody holds it, or another owner's lease lapsed
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checkpoint/local: release %s/%s: %w", consumer, shardID, err)
	}
	return nil
}

// Rewind sets seq whoever holds the lease, and fences the lease so that
// the holder cannot move the checkpoint forward again from where it was.
func (s *Store) Rewind(ctx context.Context, consumer, shardID, seq string) error {
	if err := checkpoint.Validate(seq); err != nil {
		return fmt.Errorf("checkpoint/local: %w", err)
	}
	err := s.update(ctx, consumer, shardID, func(r *record, now time.Time) error {
		r.Sequence, r.UpdatedAt = seq, now
		r.Rewound = r.Owner != ""
		return nil
	})
	if err != nil {
		return fmt.Errorf("checkpoint/local: rewind %s/%s: %w", consumer, shardID, err)
	}
	return nil
}

func notOwner(r *record, owner string, now time.Time) error {
	switch {
	case r.Owner == "":
		return fmt.Errorf("%w: %s holds no lease", checkpoint.ErrNotOwner, owner)
	case r.Owner == owner:
		return fmt.Errorf("%w: %s's lease expired at %s", checkpoint.ErrNotOwner, owner, r.LeaseUntil.Format(time.RFC3339Nano))
	}
	return fmt.Errorf("%w: lease held by %s until %s", checkpoint.ErrNotOwner, r.Owner, r.LeaseUntil.Format(time.RFC3339Nano))
}

// errUnchanged, returned by an update function, leaves the record as it was
// and is not an error of the operation.
var errUnchanged = errors.New("unchanged")

// update runs fn on the stored record in one write transaction and stores
// the result unless fn fails.
func (s *Store) update(ctx context.Context, consumer, shardID string, fn func(r *record, now time.Time) error) error {
	if err := check(ctx, consumer, shardID); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		r, err := get(tx, consumer, shardID)
		if err != nil {
			return err
		}
		if err := fn(&r, s.now()); err != nil {
			return err
		}
		b, err := tx.Bucket(rootBucket).CreateBucketIfNotExists([]byte(consumer))
		if err != nil {
			return err
		}
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put([]byte(shardID), v)
	})
}

// check refuses names bbolt cannot key by, and a context that is done
// (bbolt calls cannot be interrupted, so this is the one place ctx counts).
func check(ctx context.Context, consumer, shardID string) error {
	if consumer == "" || shardID == "" {
		return errors.New("consumer and shard id must not be empty")
	}
	return ctx.Err()
}

func get(tx *bolt.Tx, consumer, shardID string) (record, error) {
	var r record
	b := tx.Bucket(rootBucket).Bucket([]byte(consumer))
	if b == nil {
		return r, nil
	}
	v := b.Get([]byte(shardID))
	if v == nil {
		return r, nil
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("corrupt checkpoint: %w", err)
	}
	return r, nil
}

func (r record) checkpoint(consumer, shardID string) checkpoint.Checkpoint {
	return checkpoint.Checkpoint{
		Consumer:   consumer,
		ShardID:    shardID,
		Sequence:   r.Sequence,
		Owner:      r.Owner,
		LeaseUntil: r.LeaseUntil,
		Rewound:    r.Rewound,
		UpdatedAt:  r.UpdatedAt,
	}
}
