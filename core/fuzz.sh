#!/usr/bin/env bash
# Runs one fuzz target for a duration: fuzz.sh TARGET DURATION [DIR], DIR
# the package's directory relative to the repository (default core).
# Go's fuzzer sometimes ends a short run with "context deadline exceeded"
# when the time is up while a worker is still minimizing a new interesting
# input: no input failed, no crasher is written. Only that case is run once
# more, and said so; any failing input fails at once.
set -uo pipefail
target=$1 duration=$2
cd "$(dirname "$0")/../${3:-core}" || exit 1
run() { go test -run='^$' -fuzz="^${target}\$" -fuzztime="$duration" . 2>&1 | tee "$log"; return "${PIPESTATUS[0]}"; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
run && exit 0
if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
  echo "core/fuzz.sh: $target stopped mid-minimization when its time was up (no failing input); running it once more"
  run && exit 0
fi
exit 1
