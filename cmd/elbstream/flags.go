package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

var (
	// errUsage: the command line was wrong; the flag set already said why.
	errUsage = errors.New("usage")
	// errHelp: --help was asked for and printed.
	errHelp = errors.New("help")
)

// newFlags returns a flag set for a subcommand. synopsis is the line after
// "Usage: elbstream NAME"; about is printed below it.
func newFlags(name, synopsis, about string, io stdio) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.err)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: elbstream %s %s\n\n", name, synopsis)
		if about != "" {
			fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(about))
		}
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 { // checkpoints and lambda have none of their own
			fmt.Fprintln(w, "Flags (each also read from ELBSTREAM_<FLAG>):")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args, then fills every flag not given on the command
// line from its ELBSTREAM_<FLAG> environment variable, so that Lambda
// functions and containers are configured by environment alone.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := parseOnce(fs, args); err != nil {
		return err
	}
	if err := applyEnv(fs, os.LookupEnv); err != nil {
		return usageError(fs, err.Error())
	}
	return checkNumbers(fs)
}

// negativeMeans names the number flags whose negative values mean
// something (their help says what); every other number flag is 0 for its
// default or more, and a negative value is refused rather than taken as
// the default.
var negativeMeans = map[string]bool{"idle-timeout": true, "checkpoint-interval": true}

// checkNumbers refuses a negative value of a number flag that has no
// meaning for one, naming the flag.
func checkNumbers(fs *flag.FlagSet) error {
	var bad *flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if bad != nil || negativeMeans[f.Name] {
			return
		}
		g, ok := f.Value.(flag.Getter)
		if !ok {
			return
		}
		negative := false
		switch v := g.Get().(type) {
		case int:
			negative = v < 0
		case time.Duration:
			negative = v < 0
		}
		if negative {
			bad = f
		}
	})
	if bad != nil {
		return usageError(fs, fmt.Sprintf("--%s %s: want 0 (the default) or more", bad.Name, bad.Value))
	}
	return nil
}

// parseOnce is fs.Parse that prints the whole usage only for --help: a
// wrong flag gets the flag package's one-line reason and a pointer to
// --help, not a screenful that hides the reason.
func parseOnce(fs *flag.FlagSet, args []string) error {
	full := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = full
	switch {
	case errors.Is(err, flag.ErrHelp):
		full()
		return errHelp
	case err != nil:
		helpHint(fs)
		return errUsage
	}
	return nil
}

// usageError reports a command line that parsed but makes no sense, in one
// line, and points to --help.
func usageError(fs *flag.FlagSet, msg string) error {
	fmt.Fprintf(fs.Output(), "elbstream %s: %s\n", fs.Name(), msg)
	helpHint(fs)
	return fmt.Errorf("%w: %s", errUsage, msg) // the text for Lambda's init error
}

// flagError is the parser package's error about a flag's value, told as
// the flag's: "--format: unknown format …", not "elblog: unknown format …".
func flagError(flag string, err error) error {
	return fmt.Errorf("%s: %s", flag, strings.TrimPrefix(err.Error(), "elblog: "))
}

func helpHint(fs *flag.FlagSet) {
	fmt.Fprintf(fs.Output(), "Run 'elbstream %s --help' for usage.\n", fs.Name())
}

// parseInterspersed parses flags placed before, between and after the
// positional arguments (`elbstream run logs/ --to beats://…`), which the
// flag package alone stops at, and returns those arguments. Everything after
// "--" is an argument. Flags not given come from ELBSTREAM_<FLAG>, as
// parseFlags does.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	sources, err := parseCommandLine(fs, args)
	if err != nil {
		return nil, err
	}
	return sources, applyEnvAndCheck(fs)
}

// parseCommandLine is parseInterspersed without the environment, for a
// command that must tell a flag given on its command line from one set by
// a variable (see applyEnvAndCheck).
func parseCommandLine(fs *flag.FlagSet, args []string) ([]string, error) {
	var sources []string
	for {
		if err := parseOnce(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			sources = append(sources, rest...)
			break
		}
		sources = append(sources, rest[0])
		args = rest[1:]
	}
	return sources, nil
}

// applyEnvAndCheck sets the flags not given from ELBSTREAM_<FLAG> and checks
// the numbers, as usage errors.
func applyEnvAndCheck(fs *flag.FlagSet) error {
	if err := applyEnv(fs, os.LookupEnv); err != nil {
		return usageError(fs, err.Error())
	}
	return checkNumbers(fs)
}

func applyEnv(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		name := envName(f.Name)
		v, ok := lookup(name)
		if !ok || v == "" {
			return // an empty variable (FOO= in a container's environment) is no value
		}
		vals := []string{v}
		if _, ok := f.Value.(*listFlag); ok {
			vals = strings.Split(v, ",")
		}
		for _, v := range vals {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %v", name, v, e)
				return
			}
		}
	})
	return err
}

// envName maps a flag name to its environment variable: start-at →
// ELBSTREAM_START_AT.
func envName(flagName string) string {
	return "ELBSTREAM_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// listFlag is a repeatable string flag. From the environment it takes a
// comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}
