package main

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestPackKeepsExecutableBootstrap(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "elbstream")
	if err := os.WriteFile(bin, []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "fn.zip")
	if err := pack(bin, out); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		t.Fatalf("entries = %v, want just bootstrap", zr.File)
	}
	if m := zr.File[0].Mode(); m&0o111 == 0 {
		t.Errorf("bootstrap mode %v is not executable", m)
	}
	rc, _ := zr.File[0].Open()
	b, _ := io.ReadAll(rc)
	if string(b) != "#!/bin/true\n" {
		t.Errorf("content = %q", b)
	}
}
