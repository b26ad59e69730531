package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/elbstream/elbstream/internal/lambdart"
)

// TestMain removes the binary buildBinary built (40 MB a run otherwise
// left in the temporary directory).
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var binDir string // where buildBinary built, if it did

// buildBinary builds elbstream once per test binary run.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "elbstream-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "elbstream")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func elbstreamBinary(t *testing.T) string {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// startBinary starts the built binary with args and, after the process's
// own environment, env. Its stderr collects in the returned buffer: read
// it once the process has exited. A process still running when the test
// ends is killed.
func startBinary(t *testing.T, env []string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(elbstreamBinary(t), args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	stderr := new(bytes.Buffer)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil { // not waited for
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, stderr
}

// startFunction runs the built binary as a Lambda function, with env
// (ELBSTREAM_HANDLER and its settings), against a local Runtime API. stop
// ends the function process (also done when the test ends); its stderr is
// logged when the test fails.
func startFunction(t *testing.T, env ...string) (rt *lambdart.Server, stop func()) {
	t.Helper()
	rt, err := lambdart.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	cmd, stderr := startBinary(t, append(rt.Env("elbstream"), env...))
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("function stderr:\n%s", stderr.String())
		}
	})
	return rt, stop
}
