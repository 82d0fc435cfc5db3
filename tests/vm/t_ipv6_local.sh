#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# IPv6 real servers on the director itself, and schedule_icmp over IPv6, differential:
# - NAT to the director's own address (fd00::1:8081) beside a remote real server: the rewritten
#   packet goes up the director's stack and its answers leave through LOCAL_OUT rewritten back
#   to the VIP; rr alternates local and remote;
# - direct routing and tunnelling to the director's own address: delivered locally unchanged;
# - NAT from the network to ::1 is refused (no answer);
# - with schedule_icmp at 1, a client's ICMPv6 error about a connection the director does not
#   know makes one: the real server gets it translated.
# Answers, `ipvsadm -Ln --stats` and what the real server receives are the same under C ip_vs
# and ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 1
add_v6 1
serve_bg rs1 --bind :: --local 80 rs1
serve_bg - --bind :: --local 8081 director
serve_bg - --bind $VIP6 --local 8082 director
serve_bg - --bind $VIP6 --local 8083 director
serve_bg - --bind :: --local 8084 director
serve_wait
for impl in c rs; do
	use_impl $impl
	for p in t u; do
		ipvsadm -A -$p "[$VIP6]:80" -s rr
		ipvsadm -a -$p "[$VIP6]:80" -r "[fd00::1]:8081" -m
		ipvsadm -a -$p "[$VIP6]:80" -r "[fd00:1::11]:80" -m
		ipvsadm -A -$p "[$VIP6]:8082" -s rr
		ipvsadm -a -$p "[$VIP6]:8082" -r "[fd00::1]:8082" -g
		ipvsadm -A -$p "[$VIP6]:8083" -s rr
		ipvsadm -a -$p "[$VIP6]:8083" -r "[fd00::1]:8083" -i
		ipvsadm -A -$p "[$VIP6]:8084" -s rr
		ipvsadm -a -$p "[$VIP6]:8084" -r "[::1]:8084" -m
	done
	{
		for port in 80 80 80 80 8082 8083 8084; do
			echo "tcp $port: $(tcp6_get $port 2>/dev/null || echo none)"
			a=$(udp6_get $port 2>/dev/null || true)
			echo "udp $port: ${a:-none}"
		done
	} >"$out/$impl.answers"
	ipvsadm -A -u "[$VIP6]:90" -s rr
	ipvsadm -a -u "[$VIP6]:90" -r "[fd00:1::11]:90" -m
	sysctl -qw net.ipv4.vs.schedule_icmp=1
	ip netns exec rs1 python3 "$REPO/tests/vm/icmp6inject.py" capture 60 rs1 1 >"$out/cap" &
	pid=$!
	wait_raw_socket rs1
	ip netns exec cl python3 "$REPO/tests/vm/icmp6inject.py" inject $VIP6 90 40090 --no-request
	wait $pid
	sysctl -qw net.ipv4.vs.schedule_icmp=0
	sed 's/ csum [a-z]*$//' "$out/cap" >"$out/$impl.icmp"
	settled_stats >"$out/$impl.stats"
	unload_ipvs
done
cat "$out/rs.answers" "$out/rs.icmp" "$out/rs.stats"
diff -u "$out/c.answers" "$out/rs.answers"
diff -u "$out/c.icmp" "$out/rs.icmp"
diff -u "$out/c.stats" "$out/rs.stats"
grep -q "^tcp 80: director fd00::1$" "$out/rs.answers" || fail "no answer from the local NAT real server"
grep -q "^tcp 80: rs1 fd00:1::11$" "$out/rs.answers" || fail "no answer from the remote NAT real server"
grep -q "^tcp 8082: director $VIP6$" "$out/rs.answers" || fail "DR to this host not delivered locally"
grep -q "^tcp 8083: director $VIP6$" "$out/rs.answers" || fail "TUN to this host not delivered locally"
grep -q "^tcp 8084: none$" "$out/rs.answers" || fail "NAT to ::1 from the network not refused"
grep -q "^rs1 from fd00::2 type 1 code 4 embedded \[fd00:1::11\]:90 > \[fd00::2\]:40090$" "$out/rs.icmp" ||
	fail "schedule_icmp: the error did not reach the real server translated"
rm -rf "$out"
