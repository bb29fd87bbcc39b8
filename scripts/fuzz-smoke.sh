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

for pkg in $(go list ./...); do
	targets=$(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
	for target in $targets; do
		echo "fuzz: $pkg $target for $duration"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$duration" -fuzzminimizetime 1s "$pkg"
	done
done
