#!/usr/bin/env bash
# Runs every Go fuzz target of the project for FUZZTIME each (default 10s):
# the merge, template, YAML and chart-loading steps. Their seed corpora are
# committed under each package's testdata/fuzz; a failure writes the input
# there too, so it becomes a regression case.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
grep -rl --include='*_test.go' '^func Fuzz' internal | xargs -n1 dirname | sort -u | while read -r pkg; do
  for target in $(grep -h '^func Fuzz' "$pkg"/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
    echo "fuzz: $pkg $target for $fuzztime"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "./$pkg"
  done
done
