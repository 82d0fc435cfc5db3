#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# insmod registers the IPVS genl family; rmmod removes everything; 20 cycles in a row, with and
# without configuration; loading next to the C ip_vs fails with a clear message.
. "$(dirname "$0")/lib.sh"
set -e
use_impl rs
rmmod ipvs_rs
for i in $(seq 20); do
	insmod_rs
	grep -q '^ipvs_rs ' /proc/modules
	ipvsadm -Ln | head -1 | grep -qx 'IP Virtual Server version 1.2.1 (size=0)'
	if [ $((i % 2)) = 0 ]; then
		ipvsadm -A -t 10.9.9.$i:80 -s rr
		ipvsadm -a -t 10.9.9.$i:80 -r 10.9.8.1:80 -m
		ipvsadm -a -t 10.9.9.$i:80 -r 10.9.8.2:80 -m -w 5
		[ "$(ipvsadm -Ln | grep -c -- '->.*Masq')" = 2 ]
	fi
	rmmod ipvs_rs
	! grep -q '^ipvs_rs ' /proc/modules
done
# With ipvs_rs gone and autoloading blocked, the family must be gone too.
if ipvsadm -Ln >/dev/null 2>&1; then
	fail "IPVS family still answers after rmmod"
fi
# Next to the C module: refused, with a message that says what to do.
rm -f /run/modprobe.d/ipvs-rs-block.conf
modprobe ip_vs
if insmod_rs 2>/dev/null; then
	fail "ipvs_rs loaded next to C ip_vs"
fi
dmesg | tail -n 5 | grep -q 'is the C ip_vs module loaded? rmmod ip_vs first'
rmmod ip_vs
