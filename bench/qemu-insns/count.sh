#!/usr/bin/env bash
# Instructions per line of transform/elblog's BenchmarkFormat on arm64, run
# under qemu-aarch64 with the counting plugin in insns.c: the NEON build
# against the portable one (-tags purego), per format. Each count is the
# difference between runs of 2N and N lines, divided by N, so start-up and
# the generator's lines cancel out. Needs gcc and qemu-aarch64 (Debian:
# qemu-user).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-50000}
for tool in gcc qemu-aarch64; do
	command -v "$tool" >/dev/null || { echo "bench-arm64-insns: needs $tool (Debian: apt-get install gcc qemu-user)" >&2; exit 1; }
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
gcc -shared -fPIC -O2 -fvisibility=hidden -o "$dir/insns.so" bench/qemu-insns/insns.c
GOARCH=arm64 go test -c -o "$dir/neon.test" ./transform/elblog
GOARCH=arm64 go test -c -tags purego -o "$dir/purego.test" ./transform/elblog

count() { # binary format lines
	(cd transform/elblog && GOMAXPROCS=1 GOGC=off qemu-aarch64 -plugin "$dir/insns.so" -d plugin \
		"$1" -test.run '^$' -test.bench "^BenchmarkFormat/format=$2\$" -test.benchtime "$3x" 2>&1) |
		sed -n 's/^insns: //p'
}
perline() { # binary format
	local a b
	a=$(count "$1" "$2" "$N")
	b=$(count "$1" "$2" $((2 * N)))
	echo $(((b - a) / N))
}
printf '%-8s %10s %10s %8s\n' format purego neon change
for f in alb albconn clb nlb; do
	p=$(perline "$dir/purego.test" "$f")
	v=$(perline "$dir/neon.test" "$f")
	printf '%-8s %10d %10d %+7.1f%%\n' "$f" "$p" "$v" "$(awk -v v="$v" -v p="$p" 'BEGIN { print 100 * (v - p) / p }')"
done
