#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs the VM suite in VM_JOBS VMs at once (default 1), each booted on its own with a share of
# the tests, balanced by tests/vm/durations (longest first, each to the least loaded VM). Each
# VM's lines are printed as they come, prefixed "[vmN]"; fails if any VM fails. Two VMs want
# four cores (each has two vCPUs): on two, every test ran about 1.8 times slower, which gained
# little and made time-bound checks flaky (a UDP connection of 2 s listed after it expired);
# with one vCPU each, tests that pin threads to CPU 1 (t_sysctls.sh) cannot pass.
#
# Usage: tests/vm/shards.sh KDIR   (TESTS="t_a.sh t_b.sh": only those)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kdir=$1
jobs=${VM_JOBS:-1}
cd "$root/tests/vm" || exit 1
declare -A secs
while read -r t s; do
	case $t in '#'* | '') continue ;; esac
	secs[$t]=$s
done <durations
# shellcheck disable=SC2086
mapfile -t order < <(for t in ${TESTS:-t_*.sh}; do echo "${secs[$t]:-60} $t"; done | sort -k1,1rn -k2 | awk '{print $2}')
load=()
lists=()
for ((i = 0; i < jobs; i++)); do
	load[i]=0
	lists[i]=
done
for t in "${order[@]}"; do
	best=0
	for ((i = 1; i < jobs; i++)); do
		((load[i] < load[best])) && best=$i
	done
	lists[best]+=" $t"
	load[best]=$((load[best] + ${secs[$t]:-60}))
done
pids=()
for ((i = 0; i < jobs; i++)); do
	echo "[shards] VM $i (about ${load[i]} s):${lists[i]}"
	# shellcheck disable=SC2086
	(VM_TIMEOUT=${VM_TIMEOUT:-4500} "$root/tests/vm/run.sh" "$kdir" tests/vm/suite.sh ${lists[i]} 2>&1 |
		sed -u "s/^/[vm$i] /"
	exit "${PIPESTATUS[0]}") &
	pids[i]=$!
done
rc=0
for ((i = 0; i < jobs; i++)); do
	if wait "${pids[i]}"; then
		echo "[shards] VM $i passed"
	else
		echo "[shards] VM $i FAILED"
		rc=1
	fi
done
exit "$rc"
