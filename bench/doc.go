// Package bench holds elbstream's benchmarks and their committed results.
//
// parser_test.go measures transform/elblog against what a Go user would
// write first, on the same generated lines in the same run: a regular
// expression per format with encoding/json marshalling the captures, and
// encoding/json marshalling a struct. results.txt is the raw output of
//
//	go test -run '^$' -bench Parser -benchmem -count 5 ./bench/
//
// benchstat.txt its summary, and parser.svg the plot that
// `go run ./bench/plot` draws from it (task bench-plot). README.md describes
// the machines (the committed run is a Zen 5 host's; results-zen4.txt and
// results-zen3.txt are earlier hosts').
package bench
