package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
)

// maxReopens is how many times a broken S3 body is re-opened (with a
// ranged GetObject from the first byte not yet read) before the read
// fails.
const maxReopens = 3

// Object reads one S3 object (from t.Offset on) into the stream. Reading
// is pinned to the version or ETag in t, and to the one first read, so a
// resumed or re-opened read never mixes two versions. A missing object is
// skipped (SkipMissing), and so is one overwritten since it was announced
// (SkipChanged), when reading from the start; a failure otherwise.
// The object's outcome is final once the run is closed.
func (r *Run) Object(t Task) *Result {
	res := &Result{Task: t, Name: t.Object.String()}
	r.add(res)
	if r.refused(res) {
		return res
	}
	if r.in.Objects == nil {
		res.readErr = errors.New("ingest: no S3 client configured")
		return res
	}
	body, err := r.open(res)
	switch {
	case errors.Is(err, ErrNotFound) && t.Offset == 0:
		res.Skipped = SkipMissing
		r.stats.Skip(SkipMissing)
		return res
	case errors.Is(err, ErrChanged) && t.Offset == 0:
		// Overwritten since it was announced or listed: what was announced
		// is gone, and no retry can read it; the new content has its own
		// notification. Failing would only send the message round to the
		// dead-letter queue. Part way through, a change is a failure.
		res.Skipped = SkipChanged
		r.stats.Skip(SkipChanged)
		return res
	case err != nil:
		res.readErr = err
		return res
	}
	defer body.Close()
	res.Source = S3Source(t.Bucket, res.Task.Key, res.ETag, res.VersionID)

	var content io.Reader = body
	if t.Offset > 0 && !t.Gzip {
		// The ranged read starts one byte early: that byte must end
		// the line before the offset.
		var b [1]byte
		if _, err := io.ReadFull(body, b[:]); err != nil {
			res.readErr = fmt.Errorf("resume at offset %d: %w", t.Offset, noEOF(err))
			return res
		}
		if b[0] != '\n' {
			res.readErr = fmt.Errorf("resume offset %d is not at a line boundary: the object changed", t.Offset)
			return res
		}
	} else {
		content, res.Gzip, err = Decompress(body)
		if err == nil {
			err = discard(content, t.Offset)
		}
		if err != nil {
			res.readErr = err
			return res
		}
	}
	r.ingest(res, content, t.Offset)
	r.count(res, body.off)
	return res
}

// open issues the GetObject for res.Task, trying the alternative key
// spelling (an EventBridge key as it came, where the decoded one was tried
// first) when the first names no object (not found, or access denied as S3
// answers a missing key without s3:ListBucket) or another object (changed:
// its ETag is not the one announced, as "a b.log" beside "a+b.log"). The
// announced ETag or version decides which spelling is the object.
func (r *Run) open(res *Result) (*s3Body, error) {
	t := res.Task
	req := GetRequest{Bucket: t.Bucket, Key: t.Key, VersionID: t.VersionID}
	if t.VersionID == "" {
		req.IfMatch = t.ETag
	}
	if t.Offset > 0 && !t.Gzip {
		req.Offset = t.Offset - 1
	}
	out, err := r.in.Objects.GetObject(r.ctx, req)
	if t.AltKey != "" && (errors.Is(err, ErrNotFound) || errors.Is(err, ErrDenied) || errors.Is(err, ErrChanged)) {
		alt := req
		alt.Key = t.AltKey
		aout, aerr := r.in.Objects.GetObject(r.ctx, alt)
		switch {
		case aerr == nil:
			out, err, req = aout, nil, alt
			res.Task.Key, res.Task.AltKey = t.AltKey, ""
			res.Name = res.Task.Object.String()
		case !errors.Is(err, ErrChanged):
			err = aerr // the first spelling names nothing: the other's answer says more
		}
	}
	if err != nil {
		return nil, fmt.Errorf("get object: %w", err)
	}
	res.ETag, res.VersionID = trimETag(out.ETag), out.VersionID
	// Re-opens read exactly what was opened first.
	if res.VersionID != "" {
		req.VersionID, req.IfMatch = res.VersionID, ""
	} else if res.ETag != "" {
		req.IfMatch = res.ETag
	}
	return &s3Body{ctx: r.ctx, get: r.in.Objects, req: req, body: out.Body, off: req.Offset, stored: &r.stats.storedBytes}, nil
}

// s3Body is an object's body that survives broken connections: a read
// error other than the context's re-opens the object from the first byte
// not yet read, up to maxReopens times.
type s3Body struct {
	ctx     context.Context
	get     ObjectGetter
	req     GetRequest
	body    io.ReadCloser
	off     int64
	reopens int
	stored  *atomic.Int64
}

func (b *s3Body) Read(p []byte) (int, error) {
	for {
		n, err := b.body.Read(p)
		b.off += int64(n)
		b.stored.Add(int64(n))
		if err == nil || errors.Is(err, io.EOF) || b.ctx.Err() != nil || b.reopens >= maxReopens {
			return n, err
		}
		b.reopens++
		b.body.Close()
		req := b.req
		req.Offset = b.off
		out, gerr := b.get.GetObject(b.ctx, req)
		if gerr != nil {
			b.body = io.NopCloser(errReader{err})
			return n, fmt.Errorf("%w (re-open: %v)", err, gerr)
		}
		b.body = out.Body
		if n > 0 {
			return n, nil
		}
	}
}

func (b *s3Body) Close() error { return b.body.Close() }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
