#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The KUnit suites of the glue's unsafe containers (the RCU hash table of connections, the RCU
# index of services, the RCU box of a service's picks, the per-CPU counters), compiled into the
# suite's module (IPVS_KUNIT=1), run when it is loaded (here only: guest.sh filters them out of
# the other tests' loads): every suite is there and every case passes.
. "$(dirname "$0")/lib.sh"
set -e
loaded ipvs_rs && rmmod ipvs_rs
seen=$(kmsg_mark t_kunit)
# guest.sh keeps KUnit from running the suites at every load: this one runs them.
filter=/sys/module/kunit/parameters/filter_glob
printf '%s' 'ipvs_rs_*' >"$filter"
use_impl rs
printf '%s' ipvs_rs_kunit_off >"$filter"
ktap=$(dmesg_since "$seen" | sed -n 's/^\[[^]]*\] //p')
# The cases' and suites' result lines, and KUnit's summary of each suite.
grep -E '^ *(not )?ok [0-9]+ |^ *# ipvs_rs_[a-z]+: pass:' <<<"$ktap" || true
# A failed case's assertion, as KUnit reported it.
grep -Eq '^ *not ok ' <<<"$ktap" && grep -E 'ASSERTION|Expected|check failed|at rust/|# [a-z_]+: ' <<<"$ktap"
for suite in ipvs_rs_rcuhash ipvs_rs_rcuindex ipvs_rs_rcubox ipvs_rs_percpu; do
	grep -Eq "^ *ok [0-9]+ $suite\$" <<<"$ktap" || fail "KUnit suite $suite did not pass (or did not run)"
done
! grep -Eq '^ *not ok ' <<<"$ktap" || fail "a KUnit case failed"
