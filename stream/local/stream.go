package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elbstream/elbstream/stream"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the database file Open keeps in the stream's directory.
const FileName = "stream.db"

var (
	// ErrClosed is returned by calls on a closed Stream.
	ErrClosed = errors.New("stream closed")
	// ErrInvalidArgument is returned, wrapped, for a Put that breaks the
	// stream's Limits and for a split or merge that cannot be done. Such a
	// call fails as a whole and changes nothing; retrying it cannot help.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrInUse is returned, wrapped, when another process has the stream
	// open.
	ErrInUse = errors.New("in use by another process")
)

// Stream is the embedded stream in one directory. It is safe for
// concurrent use; only one process may have a directory open at a time.
type Stream struct {
	dir    string
	db     *bolt.DB
	opts   Options
	limits stream.Limits

	// writeMu serializes the changes of routing: the put commit (which
	// routes with routes) and SplitShard and MergeShards (which change it).
	writeMu sync.Mutex
	routes  []*route // open shards by hash-key start; guarded by writeMu

	throttle  *throttle // nil without Options.Throttle
	putFault  atomic.Pointer[func(shardID string, e stream.Entry) string]
	readFault atomic.Pointer[func(shardID string) error]

	puts      chan *putRequest // unbuffered: a blocked sender is a queued put
	closing   chan struct{}
	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup
}

var _ stream.Stream = (*Stream)(nil)

// route is an open shard as the put path sees it. Routes are immutable: a
// reshard replaces the table.
type route struct {
	start, end hashKey
	id         string
	index      uint64
}

// Open opens the stream in dir, creating dir and the stream (with
// opts.Shards shards) if they do not exist. It fails with ErrInUse when
// another process holds the stream, after opts.LockTimeout.
func Open(dir string, opts Options) (*Stream, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("local: open %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("local: open: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if err := checkLength(path, opts.LockTimeout); errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("local: local://%s is %w (waited %v for its lock)", dir, ErrInUse, opts.LockTimeout)
	} else if err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: opts.LockTimeout,
		// The freelist is rebuilt on open instead of written on every
		// commit: fewer pages per put, at the cost of a scan at open
		// (etcd runs bbolt this way).
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		NoStatistics:   true,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("local: local://%s is %w (waited %v for its lock)", dir, ErrInUse, opts.LockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("local: open %s: %w (not a readable stream database)", path, err)
	}
	s := &Stream{
		dir:     dir,
		db:      db,
		opts:    opts,
		limits:  opts.limits(),
		puts:    make(chan *putRequest),
		closing: make(chan struct{}),
	}
	if opts.Throttle != nil {
		s.throttle = newThrottle(*opts.Throttle)
	}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("local: open %s: %w", path, err)
	}
	s.wg.Add(2)
	go s.commitLoop()
	go s.trimLoop()
	return s, nil
}

// checkLength refuses a database file shorter than its own meta page says
// (a copy cut short, a disk error): opened for writing, bbolt would walk
// it to rebuild its free list, in a goroutine of its own, and fault on
// the missing pages, killing the process. A read-only open walks nothing.
func checkLength(path string, lockTimeout time.Duration) error {
	fi, err := os.Stat(path)
	if err != nil || fi.Size() == 0 {
		return nil // new: nothing to check
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return err // held by another process
	}
	if err != nil {
		return fmt.Errorf("local: open %s: %w (not a readable stream database)", path, err)
	}
	defer db.Close()
	var want int64
	db.View(func(tx *bolt.Tx) error { want = tx.Size(); return nil })
	if fi.Size() < want {
		return fmt.Errorf("local: open %s: the file is cut short: %d bytes of the %d its pages need (a copy cut short, or a disk error); restore it or remove the directory", path, fi.Size(), want)
	}
	return nil
}

// init creates the stream on first open, checks it on later ones, and
// loads the routing table.
func (s *Stream) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketShards, bucketTips, bucketRecords} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch format := meta.Get(metaFormat); {
		case format == nil:
			if err := s.create(tx); err != nil {
				return err
			}
		case string(format) != formatVersion:
			return fmt.Errorf("database format %q, this build reads %q", format, formatVersion)
		default:
			created, _ := strconv.Atoi(string(meta.Get(metaShards)))
			if s.opts.Shards != 0 && s.opts.Shards != created {
				return fmt.Errorf("%w: the stream was created with %d shards, not %d (the count is fixed at creation)",
					ErrInvalidArgument, created, s.opts.Shards)
			}
		}
		if err := s.retention(meta); err != nil {
			return err
		}
		routes, err := loadRoutes(tx)
		s.routes = routes
		return err
	})
}

// retention settles the stream's retention: the Open's, which is stored,
// or the stored one, or the default.
func (s *Stream) retention(meta *bolt.Bucket) error {
	if s.opts.Retention > 0 {
		return meta.Put(metaRetention, []byte(s.opts.Retention.String()))
	}
	s.opts.Retention = DefaultRetention
	if v := meta.Get(metaRetention); v != nil {
		d, err := time.ParseDuration(string(v))
		if err != nil || d <= 0 {
			return fmt.Errorf("stored retention %q is not a duration", v)
		}
		s.opts.Retention = d
	}
	return nil
}

// create writes a new stream's shards, splitting the hash space evenly.
func (s *Stream) create(tx *bolt.Tx) error {
	n := s.opts.Shards
	if n == 0 {
		n = DefaultShards
	}
	now := s.nowKey()
	for i, r := range evenSplit(n) {
		m := &shardMeta{
			ID:           shardID(uint64(i)),
			Index:        uint64(i),
			HashKeyStart: r[0].String(),
			HashKeyEnd:   r[1].String(),
			StartKey:     now,
		}
		if err := s.addShard(tx, m); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bucketMeta)
	if err := meta.Put(metaShards, []byte(strconv.Itoa(n))); err != nil {
		return err
	}
	if err := meta.Put(metaNextIndex, []byte(strconv.Itoa(n))); err != nil {
		return err
	}
	return meta.Put(metaFormat, []byte(formatVersion))
}

// addShard writes a new open shard: its metadata, tip and record bucket.
func (s *Stream) addShard(tx *bolt.Tx, m *shardMeta) error {
	if err := putShardMeta(tx, m); err != nil {
		return err
	}
	if err := putTip(tx, m.ID, tip{last: m.StartKey}); err != nil {
		return err
	}
	_, err := tx.Bucket(bucketRecords).CreateBucket([]byte(m.ID))
	return err
}

// loadRoutes builds the routing table from the open shards.
func loadRoutes(tx *bolt.Tx) ([]*route, error) {
	var routes []*route
	err := tx.Bucket(bucketShards).ForEach(func(k, v []byte) error {
		var m shardMeta
		if err := json.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("shard %s: corrupt metadata: %w", k, err)
		}
		if m.EndKey != 0 {
			return nil
		}
		start, err1 := parseHashKey(m.HashKeyStart)
		end, err2 := parseHashKey(m.HashKeyEnd)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("shard %s: corrupt hash range: %w", k, err)
		}
		routes = append(routes, &route{start: start, end: end, id: m.ID, index: m.Index})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(routes, func(i, j int) bool { return routes[i].start.cmp(routes[j].start) < 0 })
	// The open shards must partition the hash space, or some entry would
	// have nowhere to go.
	var next hashKey // where the next range must start
	for i, r := range routes {
		if r.start != next || r.end.cmp(r.start) < 0 || (r.end == maxHashKey && i != len(routes)-1) {
			return nil, fmt.Errorf("open shards do not partition the hash space (at %s, shard %s)", next, r.id)
		}
		next = r.end.add1()
	}
	if len(routes) == 0 || routes[len(routes)-1].end != maxHashKey {
		return nil, errors.New("open shards do not cover the hash space up to 2^128-1")
	}
	return routes, nil
}

// route returns the open shard holding k. The caller holds writeMu.
func (s *Stream) route(k hashKey) *route {
	i := sort.Search(len(s.routes), func(i int) bool { return s.routes[i].start.cmp(k) > 0 })
	return s.routes[i-1] // routes[0].start is 0, so i >= 1
}

// nowKey is the current time as a record key: Unix nanoseconds, at least 1.
func (s *Stream) nowKey() uint64 { return max(1, timeKey(s.opts.Now())) }

// cutoffKey is the smallest record key retention keeps at now.
func (s *Stream) cutoffKey(now time.Time) uint64 {
	return timeKey(now.Add(-s.opts.Retention))
}

// expired reports whether a closed shard has passed retention: Kinesis
// stops listing a closed shard once its records are all gone.
func expired(endKey, cutoff uint64) bool { return endKey != 0 && endKey < cutoff }

// Dir returns the stream's directory.
func (s *Stream) Dir() string { return s.dir }

// Limits reports the put limits: Kinesis's, with Options.MaxRecordBytes.
func (s *Stream) Limits() stream.Limits { return s.limits }

// Shards lists the shards still retained, open and closed, by id.
func (s *Stream) Shards(ctx context.Context) ([]stream.Shard, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("local: shards: %w", err)
	}
	cutoff := s.cutoffKey(s.opts.Now())
	var shards []stream.Shard
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketShards).ForEach(func(k, v []byte) error {
			var m shardMeta
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("shard %s: corrupt metadata: %w", k, err)
			}
			if !expired(m.EndKey, cutoff) {
				shards = append(shards, m.shard())
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("local: shards: %w", s.dbErr(err))
	}
	return shards, nil
}

// Close waits for the put in progress, stops the background trim and
// closes the file. Puts waiting to be committed fail with ErrClosed.
func (s *Stream) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.wg.Wait()
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("local: close: %w", err)
		}
	})
	return s.closeErr
}

// dbErr turns bbolt's "database not open" into ErrClosed.
func (s *Stream) dbErr(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}
