#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Scheduler picks and persistence over IPv6, differential: from eight client addresses
# (fd00::2..9) taken in turn, the same sequence of TCP connections (a destination re-weighted
# mid-way) lands on the same NAT real servers under C ip_vs and ipvs_rs, for the schedulers
# that hash the 128-bit addresses (sh, dh, mh, lblc, lblcr) and wrr; with SCHED_ALL=1 (the long
# form) for every scheduler but the random twos (the others pick by weights and counts alone,
# which t_sched_picks.sh covers over IPv4). And a persistent service with an IPv6 prefix length
# (-M 126: fd00::0-3, ::4-7, ::8-b share a template) keeps each prefix's clients on one real
# server.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 3
add_v6 3
# (Answers at once: as t_sched_picks.sh's.)
for i in 1 2 3; do serve_bg "rs$i" --quick --bind :: 80 "rs$i"; done
serve_wait
for i in $(seq 3 9); do ip -n cl addr add "fd00::$i/64" dev eth0 nodad; done
tcpgets_start
scheds="wrr lblc lblcr dh sh mh"
[ -n "${SCHED_ALL:-}" ] && scheds="rr wrr lc wlc sed nq fo ovf lblc lblcr dh sh mh"
n=0
# get K: the next K connections of the sequence, from one process.
get() {
	local srcs=() _
	for _ in $(seq "$1"); do
		n=$((n + 1))
		srcs+=("fd00::$((2 + n % 8))")
	done
	tcpgets $VIP6 "$port" "${srcs[@]}"
}
run() {
	local s svc
	n=0
	port=8100
	for s in $scheds; do
		port=$((port + 1))
		svc="-t [$VIP6]:$port"
		ipvsadm -A $svc -s $s
		for i in 1 2 3; do ipvsadm -a $svc -r "[fd00:1::1$i]:80" -m -w $((4 - i)); done
		echo "== $s"
		get 8
		ipvsadm -e $svc -r "[fd00:1::13]:80" -m -w 4
		get 6
		ipvsadm -C
	done
	echo "== persistent /126"
	port=$((port + 1))
	svc="-t [$VIP6]:$port"
	ipvsadm -A $svc -s rr -p 60 -M 126
	for i in 1 2 3; do ipvsadm -a $svc -r "[fd00:1::1$i]:80" -m; done
	get 16
	ipvsadm -Ln | grep -c 'persistent 60 mask 126' || true
	ipvsadm -C
}
for impl in c rs; do
	use_impl $impl
	run >"$out/$impl" 2>&1
done
paste -d' ' "$out/c" "$out/rs" | tr '\n' ';'
echo
grep -q none "$out/rs" && fail "ipvs_rs: a connection was not answered"
# Persistence: one real server per /126 prefix.
awk '/persistent/ {p = 1; next} p && NF == 2 {split($1, a, "::"); g = int((a[2] + 0) / 4); print g, $2}' "$out/rs" |
	sort -u | awk '{c[$1]++} END {for (g in c) if (c[g] != 1) exit 1}' || fail "persistence: a /126 prefix went to two servers"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
