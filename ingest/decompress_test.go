package ingest

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// TestDecompressErrorsSayGzipOnce: a broken gzip stream's error says
// "gzip: " once, whether the header or the data is broken.
func TestDecompressErrorsSayGzipOnce(t *testing.T) {
	var good bytes.Buffer
	zw := gzip.NewWriter(&good)
	zw.Write(bytes.Repeat([]byte("a log line\n"), 1000))
	zw.Close()
	badHeader := append([]byte{0x1f, 0x8b, 0x08, 0xff}, make([]byte, 20)...)
	badData := bytes.Clone(good.Bytes())
	badData[len(badData)/2] ^= 0xff
	for name, in := range map[string][]byte{"header": badHeader, "data": badData, "truncated": good.Bytes()[:good.Len()/2]} {
		r, gz, err := Decompress(bytes.NewReader(in))
		if err == nil {
			_, err = io.Copy(io.Discard, r)
		}
		if !gz || err == nil || !strings.HasPrefix(err.Error(), "gzip: ") || strings.Count(err.Error(), "gzip: ") != 1 {
			t.Errorf("%s: gzip %v, err %v: want one \"gzip: \" prefix", name, gz, err)
		}
	}
}
