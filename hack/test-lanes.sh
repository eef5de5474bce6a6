#!/usr/bin/env bash
# The Go tests of `make test`: three lanes at once, then the fault suite alone.
#
# Why lanes: the suite mostly waits for etcd, kube-apiservers, kwok and the
# agents' own intervals. One package at a time used about a third of one core
# (user+sys CPU 14 min over a 35 min run), so three lanes cut the wall time to
# about half without contending much for the machine's two cores. The fault
# suite (lane 4) measures how fast the fleet recovers from outages it causes,
# so it runs after the others, alone, with the machine to itself. Lanes are
# balanced by measured times (docs/performance.md, "CI time").
#
# Nothing can be left out: lane 1 runs the e2e tests named in E2E_LANE1, lane
# 2 runs every other e2e test (the same pattern through -skip), lane 4 the
# fault suite (afterwards), and lane 3 every package not named elsewhere. A new package or
# test lands in lane 2 or 3 without an edit here.
#
# GO_TEST_FLAGS (from the Makefile) apply to every lane; HOTPLUG_TEST_LANES=1
# runs the same lanes one after the other (for a machine with one core or
# for comparing times).
set -uo pipefail
cd "$(dirname "$0")/.."

read -r -a flags <<<"${GO_TEST_FLAGS:--count=1 -timeout 60m -p 1}"

# About half of test/e2e's time (measured: 436 s of 872 s).
E2E_LANE1='^(TestProgressiveRolloutOfCommon|TestMirrorTrust|TestHealthWatchCost|TestAgentKilledMidUpgrade|TestCRDDeletionKeepsReleases|TestIdleAgentWrites)$'
LANE1_PKGS=(./test/dev ./test/deploy ./internal/cli)
LANE2_PKGS=(./internal/mirror)
LANE4_PKGS=(./test/faults)

mod=$(go list -m) || exit 1
named=("${LANE1_PKGS[@]}" "${LANE2_PKGS[@]}" "${LANE4_PKGS[@]}" ./test/e2e)
skip_re=$(printf '%s\n' "${named[@]}" | sed "s|^\./|^$mod/|; s|$|\$|" | paste -sd'|')
mapfile -t LANE3_PKGS < <(go list ./... | grep -Ev "$skip_re")
if [[ ${#LANE3_PKGS[@]} -eq 0 ]]; then
	echo "test-lanes: no package left for lane 3; is the module path $mod right?" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# lane NAME: runs its go test commands (separated by ';;') in order, prefixes
# every output line with the lane's name, and records a failure.
lane() {
	local name=$1
	shift
	local start=$SECONDS rc=0 args=()
	for a in "$@" ';;'; do
		if [[ $a == ';;' ]]; then
			[[ ${#args[@]} -gt 0 ]] || continue
			go test "${flags[@]}" "${args[@]}" 2>&1 | sed -u "s/^/[$name] /"
			[[ ${PIPESTATUS[0]} -eq 0 ]] || rc=1
			args=()
		else
			args+=("$a")
		fi
	done
	echo "[$name] lane finished in $((SECONDS - start)) s, exit $rc"
	echo "$rc" >"$tmp/$name"
}

lanes=(
	"lane1 ./test/e2e -run $E2E_LANE1 ;; ${LANE1_PKGS[*]}"
	"lane2 ./test/e2e -skip $E2E_LANE1 ;; ${LANE2_PKGS[*]}"
	"lane3 ${LANE3_PKGS[*]}"
)
alone="lane4 ${LANE4_PKGS[*]}"
start=$SECONDS
for l in "${lanes[@]}"; do
	read -r -a words <<<"$l"
	if [[ ${HOTPLUG_TEST_LANES:-3} == 1 ]]; then
		lane "${words[@]}"
	else
		lane "${words[@]}" &
	fi
done
wait
read -r -a words <<<"$alone"
lane "${words[@]}"
lanes+=("$alone")

failed=0
for l in "${lanes[@]}"; do
	name=${l%% *}
	if [[ "$(cat "$tmp/$name" 2>/dev/null)" != 0 ]]; then
		echo "test-lanes: $name failed" >&2
		failed=1
	fi
done
echo "test-lanes: all lanes finished in $((SECONDS - start)) s"
exit "$failed"
