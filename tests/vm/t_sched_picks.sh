#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Scheduler picks, differential: for every scheduler ipvs_rs has (SCHED_ALL=1; make check takes
# nine of the fifteen variants), the same sequence of TCP connections (with a destination
# re-weighted, quiesced and removed mid-way) lands on the same real servers under C ip_vs and
# ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 3
# (Answers at once: the picks are compared, not the packets; no block of a scheduler lasts
# long enough for one of its connections to expire, whatever state its close left it in.)
start_servers 3 --quick
# Clients: 10.0.0.2 and seven more addresses, taken in turn, so that the hashing schedulers
# (sh, mh) see varied sources.
for i in $(seq 3 9); do ip -n cl addr add 10.0.0.$i/24 dev eth0; done
tcpgets_start
# name[:flags] (flags for -b). make check leaves out wrr, lc, sed, nq, fo and ovf (their picks
# are counts and weights alone, which the host tests check pick by pick; rr and wlc, the ones
# most used, stay); SCHED_ALL=1 takes them.
scheds="rr wlc lblc lblcr dh sh sh:sh-fallback mh mh:mh-fallback"
[ -n "${SCHED_ALL:-}" ] && scheds="rr wrr lc wlc sed nq fo ovf lblc lblcr dh sh sh:sh-fallback mh mh:mh-fallback"
n=0
# Each scheduler gets its own virtual port (real servers on 80): a destination re-added to the
# same service would be revived from the trash with the counters of connections still in
# TIME_WAIT, and how many of those remain depends on how fast the run went.
# A refused connection (no destination available) is part of the sequence.
# get K: the next K connections of the sequence, from one process.
get() {
	local srcs=() _
	for _ in $(seq "$1"); do
		n=$((n + 1))
		srcs+=("10.0.0.$((2 + n % 8))")
	done
	tcpgets "$VIP" "$port" "${srcs[@]}"
}
run() {
	local s flags svc
	n=0
	port=8100
	for s in $scheds; do
		flags=
		case $s in *:*) flags="-b ${s#*:}" ;; esac
		port=$((port + 1))
		svc="-t $VIP:$port"
		ipvsadm -A $svc -s "${s%%:*}" $flags
		ipvsadm -a $svc -r 10.0.1.11:80 -m -w 3
		ipvsadm -a $svc -r 10.0.1.12:80 -m -w 2
		ipvsadm -a $svc -r 10.0.1.13:80 -m -w 1
		echo "== $s"
		get 8
		ipvsadm -e $svc -r 10.0.1.13:80 -m -w 4
		get 6
		ipvsadm -e $svc -r 10.0.1.11:80 -m -w 0
		get 4
		ipvsadm -d $svc -r 10.0.1.12:80
		get 4
		ipvsadm -C
	done
	# Connection thresholds: rs1 takes 2 connections (counted until they expire, 2 minutes in
	# TIME_WAIT), then is overloaded and skipped; raising the threshold above its count clears
	# the flag.
	echo "== thresholds"
	port=$((port + 1))
	svc="-t $VIP:$port"
	ipvsadm -A $svc -s rr
	ipvsadm -a $svc -r 10.0.1.11:80 -m -x 2
	ipvsadm -a $svc -r 10.0.1.12:80 -m
	get 6
	ipvsadm -e $svc -r 10.0.1.11:80 -m -x 20 -y 5
	get 4
	ipvsadm -e $svc -r 10.0.1.12:80 -m -x 1
	get 3
	# The thresholds as set (connection counts depend on how fast the run went: not compared).
	ipvsadm -L -n --thresholds | awk 'NR > 1 {print $1, $2, $3, $4}'
	ipvsadm -C
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
