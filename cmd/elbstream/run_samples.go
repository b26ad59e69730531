package main

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/elbstream/elbstream/ingest"
	"github.com/elbstream/elbstream/testdata/gen"
)

// writeSamples writes n generated lines of every format under
// dir/N, named and compressed as AWS writes them (gzip for ALB and NLB,
// plain for Classic), plus the ELBAccessLogTestFile object AWS writes when
// logging is enabled, and returns that directory. Existing samples are
// kept as they are, so a kept data directory does not see them as new.
func writeSamples(dir string, n int) (string, error) {
	final := filepath.Join(dir, fmt.Sprint(n))
	if _, err := os.Stat(final); err == nil {
		return final, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("samples: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-")
	if err != nil {
		return "", fmt.Errorf("samples: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("samples: %w", err)
	}
	const account, region = "123456789012", "eu-west-1"
	day := filepath.Join("AWSLogs", account, "elasticloadbalancing", region, "2024", "03", "01")
	prefix := account + "_elasticloadbalancing_" + region + "_"
	files := []struct {
		name   string
		format gen.Format
		gzip   bool
	}{
		{prefix + "app.my-alb.50dc6c495c0c9188_20240301T0005Z_198.51.100.10_1d9c3jke.log.gz", gen.ALB, true},
		{prefix + "conn_log.app.my-alb.50dc6c495c0c9188_20240301T0005Z_198.51.100.10_5e3b1af0.log.gz", gen.ALBConnection, true},
		{prefix + "my-clb_20240301T0005Z_198.51.100.20_3kq7x9za.log", gen.CLB, false},
		{prefix + "net.my-nlb.73e2d6bc24d8a067_20240301T0005Z_9f2c4e1d.log.gz", gen.NLB, true},
	}
	for i, f := range files {
		data := gen.Object(f.format, uint64(i+1), n, gen.Options{Messy: 0.05})
		if err := writeSample(filepath.Join(tmp, day, f.name), data, f.gzip); err != nil {
			return "", err
		}
	}
	test := fmt.Sprintf("Enable AccessLog for ELB: my-clb at %s\n", gen.Start.Format("2006-01-02T15:04:05.000Z"))
	if err := writeSample(filepath.Join(tmp, "AWSLogs", account, ingest.ELBTestFile), []byte(test), false); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("samples: %w", err)
	}
	return final, nil
}

func writeSample(path string, data []byte, gz bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	var w io.Writer = f
	var z *gzip.Writer
	if gz {
		z = gzip.NewWriter(f)
		w = z
	}
	_, err = w.Write(data)
	if z != nil && err == nil {
		err = z.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	return nil
}
