#!/usr/bin/env bash
# Usage: scripts/fuzz-smoke.sh [DURATION]
#
# Runs every Go fuzz target in the module for DURATION each (default 5s),
# one target at a time, because `go test -fuzz` accepts one target per
# package run. The committed seeds under testdata/fuzz run first. New
# inputs are minimized for at most 1s, which would otherwise use up a
# short run.
set -euo pipefail

duration=${1:-5s}
cd "$(dirname "$0")/.."

# fuzz_once runs one target. It fails on a real failure, and also when
# the go command ends a run with only "context deadline exceeded" and no
# failing input, which Go 1.26.8 did here once when -fuzztime ran out while
# a worker was busy; the caller then runs the target once more.
fuzz_once() {
	local out
	if out=$(go test -run '^$' -fuzz "^${2}\$" -fuzztime "$duration" -fuzzminimizetime 1s "$1" 2>&1); then
		echo "$out"
		return 0
	fi
	echo "$out"
	if grep -q "Failing input written" <<<"$out" || ! grep -q "context deadline exceeded" <<<"$out"; then
		exit 1
	fi
	echo "fuzz: $2 ended with only a deadline error and no failing input; running it again"
	return 1
}

for pkg in $(go list ./...); do
	targets=$(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
	for target in $targets; do
		echo "fuzz: $pkg $target for $duration"
		fuzz_once "$pkg" "$target" || fuzz_once "$pkg" "$target"
	done
done
