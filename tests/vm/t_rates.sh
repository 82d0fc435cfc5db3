#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The rate estimator: while UDP requests flow steadily for about 8 s, `ipvsadm -Ln --rate` shows
# non-zero connection, packet and byte rates for the service and its real server, under C ip_vs
# and under ipvs_rs alike (rates depend on when each estimator ticks, so the values themselves
# are not compared); `-Z` zeroes them once the traffic has stopped.
. "$(dirname "$0")/lib.sh"
set -e
nat_topology 1
start_servers 1
# One service line of --rate: CPS InPPS OutPPS InBPS OutBPS (columns 3-7).
rates() { ipvsadm -Ln --rate --exact | awk -v k="$1" '$1 == k || $2 == k {print $3, $4, $5, $6, $7; exit}'; }
for impl in c rs; do
	use_impl $impl
	ipvsadm -A -u $VIP:80 -s rr
	ipvsadm -a -u $VIP:80 -r 10.0.1.11:80 -m
	# Requests from one process (a new socket, so a new connection, each), about 15 a second:
	# a socat per request manages only one every few seconds on a debug kernel, and rates that
	# low round to zero.
	udp_load 8
	svc=$(rates "$VIP:80")
	rs=$(rates "10.0.1.11:80")
	echo "$impl: service $svc; real server $rs"
	for r in $svc $rs; do [ "$r" -gt 0 ] || fail "$impl: a zero rate while traffic flows: $svc / $rs"; done
	# C folds its per-CPU counters into the estimator's totals only when the estimator ticks
	# (every 2 s): zeroing before that tick leaves the unfolded packets to show up as a rate
	# afterwards. Let one tick pass after the traffic so that -Z meets settled totals.
	sleep 3
	ipvsadm -Z
	[ "$(rates "$VIP:80")" = "0 0 0 0 0" ] || fail "$impl: -Z left rates $(rates "$VIP:80")"
	ipvsadm -C
done
