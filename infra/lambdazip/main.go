// Command lambdazip packs the elbstream binary as a Lambda deployment
// package: a zip holding one executable named bootstrap, as the
// provided.al2023 runtime expects. It exists so packaging needs nothing but Go.
//
// Usage: go run ./infra/lambdazip BINARY ZIPFILE
package main

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: lambdazip BINARY ZIPFILE")
		os.Exit(2)
	}
	if err := pack(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "lambdazip:", err)
		os.Exit(1)
	}
}

func pack(binary, out string) error {
	in, err := os.Open(binary)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)                   // Lambda runs bootstrap; it must keep its execute bit.
	h.Modified = time.Unix(0, 0).UTC() // reproducible archives
	w, err := zw.CreateHeader(h)
	if err != nil {
		f.Close()
		return err
	}
	if _, err := io.Copy(w, in); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
