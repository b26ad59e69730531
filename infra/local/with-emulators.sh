#!/usr/bin/env bash
# Usage: infra/local/with-emulators.sh COMMAND [ARGS...]
#
# Installs the pinned emulators (npm ci) when absent, starts kinesalite and
# dynalite on free loopback ports, exports the endpoint variables and dummy
# credentials, runs COMMAND, and stops the emulators whatever happens.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ ! -d "$here/node_modules/kinesalite" ] || [ ! -d "$here/node_modules/dynalite" ]; then
  echo "with-emulators: installing kinesalite and dynalite (npm ci)" >&2
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

out="$(mktemp)"
fifo="$(mktemp -u)"
mkfifo "$fifo"
# The emulators exit when their stdin (the fifo) closes, so they die with
# this script even if it is killed hard.
node "$here/emulators.js" <"$fifo" >"$out" 2>&1 &
pid=$!
exec 9>"$fifo"
cleanup() {
  exec 9>&- || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$out" "$fifo"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  grep -q READY "$out" && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "with-emulators: emulators failed to start:" >&2
    cat "$out" >&2
    exit 1
  fi
  sleep 0.1
done
grep -q READY "$out" || { echo "with-emulators: emulators did not start in 10s" >&2; cat "$out" >&2; exit 1; }

while IFS= read -r line; do
  case "$line" in AWS_ENDPOINT_URL_*=*) export "${line?}" ;; esac
done <"$out"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-elbstream-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-elbstream-test}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
echo "with-emulators: kinesis $AWS_ENDPOINT_URL_KINESIS, dynamodb $AWS_ENDPOINT_URL_DYNAMODB" >&2

set +e
"$@"
status=$?
set -e
exit $status
