#!/usr/bin/env bash
# Runs every fuzz target of the module briefly (FUZZTIME each, default 10s), so CI exercises
# the parsers of untrusted input beyond their seed corpus on every run.
set -euo pipefail
fuzztime=${FUZZTIME:-10s}
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "fuzz $pkg $target ($fuzztime)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg" >/tmp/nahbar-fuzz.log 2>&1 \
      || { cat /tmp/nahbar-fuzz.log; exit 1; }
  done
done
