#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs every tests/vm/t_*.sh (or the ones named) in this VM, each in its own shell, with the
# network cleaned up in between. Prints a TAP-like line per test and "N passed, N failed".
cd "$(dirname "$0")" || exit 1
. ./lib.sh
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(t_*.sh)
# The devices the VM boots with (the tunnel modules' fallback devices among them): everything
# else is a test's and goes after it.
BOOT_LINKS=$(ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}')
pass=0
failed=0
# Each traced command carries its time (bash's own clock: no fork), so a kept trace shows where a
# test's time goes: SUITE_TRACES=1 prints every test's trace after it, its lines prefixed with
# "TRACE <test> " (the guest cannot write to the host's files).
# (Root's bash takes no PS4 from the environment: the file BASH_ENV names sets it.)
ps4=$(mktemp)
echo "PS4='+ \${EPOCHREALTIME} '" >"$ps4"
for t in "${tests[@]}"; do
	echo "--- $t"
	trace=$(mktemp)
	start=$SECONDS
	seen=$(kmsg_mark "$t")
	# The test's own output is shown; its shell trace only when it fails.
	if BASH_ENV=$ps4 BASH_XTRACEFD=7 bash -x "./$t" 7>"$trace"; then
		echo "ok - $t"
		pass=$((pass + 1))
	else
		echo "--- last commands of $t:"
		tail -n 25 "$trace"
		echo "not ok - $t"
		failed=$((failed + 1))
	fi
	[ -z "${SUITE_TRACES:-}" ] || sed "s/^/TRACE $t /" "$trace"
	rm -f "$trace"
	cleanup_net
	# Every test starts with neither implementation loaded (no state left by a failed one).
	unload_ipvs
	# A kernel report fails the whole run (guest.sh); this says which test it came in.
	[ -z "$(kernel_reports "$seen")" ] || echo "--- kernel report in dmesg during $t"
	echo "--- $t took $((SECONDS - start)) s"
done
echo "vm: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
