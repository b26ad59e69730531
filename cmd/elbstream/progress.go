package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// progressLine redraws one status line on w every interval while a command
// runs, when on; render writes the line's text, without a newline. Each
// redraw goes out in one write, so the line does not flicker. The returned
// function stops the redraws and clears the line: call it once, before the
// summary is written.
func progressLine(w io.Writer, on bool, every time.Duration, render func(w io.Writer)) (stop func()) {
	if !on {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		var line bytes.Buffer
		for {
			select {
			case <-done:
				io.WriteString(w, "\r\033[K")
				return
			case <-t.C:
				line.Reset()
				line.WriteString("\r\033[K")
				render(&line)
				w.Write(line.Bytes())
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// checkProgressMode checks a --progress value.
func checkProgressMode(mode string) error {
	switch mode {
	case "auto", "always", "never":
		return nil
	}
	return fmt.Errorf("--progress %q: want auto, always or never", mode)
}

// progressWanted decides --progress: always, never, or in auto mode
// whatever the command's auto condition says (usually: stderr is a
// terminal).
func progressWanted(mode string, auto bool) bool {
	return mode == "always" || mode == "auto" && auto
}
