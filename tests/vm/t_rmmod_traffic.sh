#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# rmmod while TCP and UDP traffic flows through NAT services: no oops or warning (guest.sh checks
# dmesg), the module goes away, traffic to the VIP stops, and a fresh load works again.
. "$(dirname "$0")/lib.sh"
set -e
nat_topology 2
start_servers 2
use_impl rs
configure() {
	ipvsadm -A -t $VIP:80 -s rr
	ipvsadm -A -u $VIP:80 -s rr
	for i in 1 2; do
		ipvsadm -a -t $VIP:80 -r 10.0.1.1$i:80 -m
		ipvsadm -a -u $VIP:80 -r 10.0.1.1$i:80 -m
	done
}
configure
(for _ in $(seq 400); do tcp_get >/dev/null 2>&1; udp_get >/dev/null 2>&1; done) &
load=$!
sleep 4
rmmod ipvs_rs
! loaded ipvs_rs || fail "ipvs_rs still loaded"
kill $load 2>/dev/null || true
wait $load 2>/dev/null || true
# Nothing answers on the VIP any more (the director has no listener on port 80).
[ -z "$(tcp_get 2>/dev/null)" ] || fail "VIP still balanced after rmmod"
insmod_rs
configure
[ -n "$(tcp_get)" ] || fail "no answer after reload"
