package ingest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
)

// File reads one local file (gzip or plain) into the stream, with a
// FileSource provenance identity. Its outcome is final once the run is
// closed.
func (r *Run) File(path string) *Result { return r.FileFrom(path, 0) }

// FileFrom is File from the decompressed offset on, which must be a line
// boundary (a Result's Next): how a stopped read of the file resumes.
func (r *Run) FileFrom(path string, offset int64) *Result {
	res := &Result{Task: Task{Object: Object{Key: path}, Offset: offset}, Name: path}
	r.add(res)
	if r.refused(res) {
		return res
	}
	f, err := os.Open(path)
	if err != nil {
		res.readErr = err
		return res
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		res.readErr = err
		return res
	}
	if fi.IsDir() {
		res.readErr = fmt.Errorf("%s is a directory", path)
		return res
	}
	if res.Source, err = FileSource(path, fi); err != nil {
		res.readErr = err
		return res
	}
	// What is empty is told by the bytes read, not the size: a pipe
	// (`run <(zcat …)`, /dev/stdin) has none until it is read.
	body := &fileBody{f: f, stored: &r.stats.storedBytes}
	content, gz, err := Decompress(body)
	res.Gzip = gz
	if err == nil {
		err = discard(content, offset)
	}
	if err != nil {
		res.readErr = err
		return res
	}
	r.ingest(res, content, offset)
	r.count(res, body.n)
	return res
}

// fileBody reads a file, counting its bytes for the file and the run.
type fileBody struct {
	f      *os.File
	n      int64
	stored *atomic.Int64
}

func (b *fileBody) Read(p []byte) (int, error) {
	n, err := b.f.Read(p)
	b.n += int64(n)
	b.stored.Add(int64(n))
	return n, err
}

// WalkFiles calls fn for every regular file under root, recursively, in
// lexical order, with the file's path and the reason filter skips it (""
// to read it). The filter sees the path relative to root, with '/'
// separators. Symbolic links are followed to files, and root may be one to
// a directory; a link to a directory below root is not followed (it could
// loop) and, like anything else that is not a regular file (a FIFO, a
// socket, a broken link), is passed to fn with its reason, so that it is
// counted rather than silently passed over. A directory that cannot be
// read (no permission) is passed to fn with the error, and the walk goes
// on with the rest: one such directory must not hide the files beside
// it. fn's error stops the walk and is returned.
func WalkFiles(root string, filter Filter, fn func(path, skip string, err error) error) error {
	walkRoot := root
	if fi, err := os.Lstat(root); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		walkRoot = root + string(filepath.Separator) // walk the link's target
	}
	return filepath.WalkDir(walkRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if pe := (*fs.PathError)(nil); errors.As(err, &pe) && pe.Path == path {
				err = fmt.Errorf("cannot list the directory: %w", pe.Err) // fn names it
			}
			return fn(path, "", err)
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		typ := d.Type()
		if typ&fs.ModeSymlink != 0 {
			fi, err := os.Stat(path)
			switch {
			case err != nil:
				return fn(path, SkipNotRegular, nil)
			case fi.IsDir():
				return fn(path, SkipLinkedDir, nil)
			}
			typ = fi.Mode().Type()
		}
		if !typ.IsRegular() {
			return fn(path, SkipNotRegular, nil)
		}
		return fn(path, filter.Skip(filepath.ToSlash(rel)), nil)
	})
}

// Fail records an object that cannot be read at all, such as a directory
// a walk could not list: a failed object, named, with err.
func (r *Run) Fail(t Task, name string, err error) *Result {
	res := &Result{Task: t, Name: name, readErr: err}
	r.add(res)
	return res
}
