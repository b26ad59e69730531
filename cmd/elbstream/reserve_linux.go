package main

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// reserve allocates n bytes of f from off on without changing its size,
// so that appends there need no new blocks. It fails only when there is
// no room (ENOSPC); a filesystem that cannot reserve (EOPNOTSUPP, …)
// reserves nothing, and appends take their chances.
func reserve(f *os.File, off, n int64) error {
	err := unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_KEEP_SIZE, off, n)
	if errors.Is(err, unix.ENOSPC) {
		return err
	}
	return nil
}
