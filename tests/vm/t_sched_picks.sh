#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Scheduler picks, differential: for every scheduler ipvs_rs has, the same sequence of TCP
# connections (with a destination re-weighted, quiesced and removed mid-way) lands on the same
# real servers under C ip_vs and ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 3
start_servers 3
scheds="rr wrr lc wlc sed nq fo ovf dh sh"
# A refused connection (no destination available) is part of the sequence.
get() { tcp_get 2>/dev/null || echo none; }
run() {
	local s
	for s in $scheds; do
		ipvsadm -A -t $VIP:80 -s "$s"
		ipvsadm -a -t $VIP:80 -r 10.0.1.11:80 -m -w 3
		ipvsadm -a -t $VIP:80 -r 10.0.1.12:80 -m -w 2
		ipvsadm -a -t $VIP:80 -r 10.0.1.13:80 -m -w 1
		echo "== $s"
		for _ in $(seq 8); do get; done
		ipvsadm -e -t $VIP:80 -r 10.0.1.13:80 -m -w 4
		for _ in $(seq 6); do get; done
		ipvsadm -e -t $VIP:80 -r 10.0.1.11:80 -m -w 0
		for _ in $(seq 4); do get; done
		ipvsadm -d -t $VIP:80 -r 10.0.1.12:80
		for _ in $(seq 4); do get; done
		ipvsadm -C
	done
}
for impl in c rs; do
	use_impl $impl
	run >"$out/$impl" 2>&1
done
paste -d' ' "$out/c" "$out/rs" | tr '\n' ';'
echo
diff -u "$out/c" "$out/rs"

# twos draws at random, so it cannot be compared pick by pick: every connection is answered and,
# with equal weights, both servers get some (a miss has probability below (4/9)^11, about 1e-4).
# A new virtual port, so no real server is revived from the trash with old counters.
use_impl rs
ipvsadm -A -t $VIP:8080 -s twos
ipvsadm -a -t $VIP:8080 -r 10.0.1.11:80 -m
ipvsadm -a -t $VIP:8080 -r 10.0.1.12:80 -m
twos=$(for _ in $(seq 12); do tcp_get 8080 2>/dev/null || echo none; done | sort | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' ')
echo "twos: $twos"
case $twos in "rs1:"*" rs2:"*) ;; *) fail "twos: $twos" ;; esac
[ "$(echo "$twos" | tr ' ' '\n' | awk -F: '{s += $2} END {print s}')" = 12 ] || fail "twos: unanswered"
ipvsadm -C
rm -rf "$out"
