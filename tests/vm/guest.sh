#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM: makes the test kernel's C modules loadable (the differential oracle), runs
# SCRIPT, then fails the run on any kernel report in dmesg. Prints "VM-RESULT: <status>".
kdir=$1
script=$2
shift 2
. "$(dirname "$0")/lib.sh"
ver=$(uname -r)
if ! modprobe -n -q ip_vs 2>/dev/null; then
	mount -t tmpfs none /lib/modules
	ln -s "$kdir/mod/lib/modules/$ver" "/lib/modules/$ver"
fi
sysctl -qw kernel.panic_on_oops=0
# Debug kernels: kmemleak reports only what leaks from here on.
leaks=/sys/kernel/debug/kmemleak
[ -d /sys/kernel/debug/tracing ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null || true
[ -w "$leaks" ] && echo clear >"$leaks"
# The module's KUnit suites (IPVS_KUNIT=1) run when it is loaded: only for t_kunit.sh's load
# (it widens the filter), not for the dozens of loads of the other tests.
kunit_filter=/sys/module/kunit/parameters/filter_glob
[ -w "$kunit_filter" ] && printf %s ipvs_rs_kunit_off >"$kunit_filter"
# Tests scale their loads down on a debug kernel (several times slower).
[ -e "$leaks" ] && export IPVS_DEBUG_KERNEL=1
before=$(kmsg_mark guest)
bash "$script" "$@"
rc=$?
# Give deferred work (RCU callbacks, timers) a moment to report.
sleep 1
if [ -w "$leaks" ]; then
	# Objects must be unreferenced for two scans in a row to be reported.
	echo scan >"$leaks"
	sleep 6
	echo scan >"$leaks"
	if grep -q ipvs "$leaks"; then
		echo "=== kmemleak: objects leaked by ipvs_rs ==="
		cat "$leaks"
		rc=1
	fi
fi
reports=$(kernel_reports "$before")
if [ -n "$reports" ]; then
	echo "=== kernel reports in dmesg ==="
	dmesg_since "$before"
	echo "=== end of dmesg ==="
	rc=1
fi
echo "VM-RESULT: $rc"
