package ingest

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// TestWalkFilesLinksAndOddFiles: links to files are read, a root that is a
// link to a directory is walked, and a link to a directory below the root,
// a FIFO and a broken link are reported with their reason, never dropped.
func TestWalkFilesLinksAndOddFiles(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	for _, p := range []string{"a.log", "sub/b.log", "sub/" + ELBTestFile} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(logs, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(logs, p), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("a.log", filepath.Join(logs, "c.log")))
	must(os.Symlink("sub", filepath.Join(logs, "linked")))
	must(os.Symlink("nowhere", filepath.Join(logs, "broken.log")))
	must(syscall.Mkfifo(filepath.Join(logs, "fifo"), 0o644))
	must(os.Symlink("logs", filepath.Join(dir, "current")))

	want := []string{
		"a.log ",
		"broken.log " + SkipNotRegular,
		"c.log ",
		"fifo " + SkipNotRegular,
		"linked " + SkipLinkedDir,
		"sub/" + ELBTestFile + " " + SkipTestFile,
		"sub/b.log ",
	}
	for _, root := range []string{logs, filepath.Join(dir, "current")} {
		var got []string
		err := WalkFiles(root, Filter{}, func(path, skip string) error {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, filepath.ToSlash(rel)+" "+skip)
			return nil
		})
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("WalkFiles(%s) = %v\n%q\nwant\n%q", root, err, got, want)
		}
	}
}
