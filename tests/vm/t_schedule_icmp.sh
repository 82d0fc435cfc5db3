#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The schedule_icmp sysctl, differential: a client's ICMP port unreachable about a reply of a
# connection the director does not know (VIP:80 -> client:40090, no request before it) is left
# alone with schedule_icmp at 0 (the default): no connection, nothing reaches the real server.
# At 1 it schedules a connection, as its first packet would, and goes to the connection's real
# server translated (NAT). The real server's capture and the counters (one connection, one
# packet in) are the same under C ip_vs and ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 1
for impl in c rs; do
	use_impl $impl
	ipvsadm -A -u $VIP:80 -s rr
	ipvsadm -a -u $VIP:80 -r 10.0.1.11:80 -m
	for v in 0 1; do
		sysctl -qw net.ipv4.vs.schedule_icmp=$v
		ip netns exec rs1 python3 "$REPO/tests/vm/icmpcheck.py" capture $((v ? 20 : 6)) rs1 1 >"$out/cap" &
		pid=$!
		wait_raw_socket rs1
		ip netns exec cl python3 "$REPO/tests/vm/icmpcheck.py" inject $VIP 80 $((40090 + v)) --no-request >/dev/null
		wait $pid
		{
			echo "== schedule_icmp=$v"
			cat "$out/cap"
		} >>"$out/$impl"
	done
	sysctl -qw net.ipv4.vs.schedule_icmp=0
	settled_stats >>"$out/$impl"
	unload_ipvs
done
show_both "$out"
[ "$(sed -n '/^== schedule_icmp=0$/,/^==/p' "$out/rs" | wc -l)" = 2 ] || fail "ipvs_rs: schedule_icmp=0 did something"
grep -q "^rs1 got icmp 3/3 10.0.0.2 -> 10.0.1.11 icmp-csum ok embedded 10.0.1.11:80 -> 10.0.0.2:40091 ip-csum ok" "$out/rs" ||
	fail "ipvs_rs: schedule_icmp=1: the error did not reach the real server translated"
grep -q "^UDP  $VIP:80 *1 *1 *0 " "$out/rs" || fail "ipvs_rs: schedule_icmp=1 made no connection"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
