#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The nat_icmp_send sysctl, differential. Real servers send single packets to the client that
# belong to no connection (tests/vm/stray.py): from a NAT real server's service port (UDP, TCP
# ACK, TCP RST), from a port no service uses, from the real server of a firewall-mark service
# (any protocol), and from a DR real server. At 0 (the default) they all pass to the client. At
# 1, those from a NAT real service (but the RST) get "port unreachable" from the director and
# go no further. A real server removed from its service is forgotten. What the client and the
# real servers receive, and the counters, are the same under C ip_vs and ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
# Sends the strays for round $1 (client ports 40100 + 10 * $1 + i) and records what arrives:
# once the client has its $2, the real servers' errors have a second more to come.
strays() {
	local b=$((40100 + 10 * $1)) caps
	ip netns exec cl python3 "$REPO/tests/vm/stray.py" watch 60 cl "$b" "$2" >"$out/cl" &
	local watch=$!
	ip netns exec rs1 python3 "$REPO/tests/vm/icmpcheck.py" capture 120 rs1 >"$out/rs1" &
	caps=$!
	ip netns exec rs2 python3 "$REPO/tests/vm/icmpcheck.py" capture 120 rs2 >"$out/rs2" &
	caps="$caps $!"
	wait_raw_socket cl
	wait_raw_socket rs1
	wait_raw_socket rs2
	ip netns exec rs1 python3 "$REPO/tests/vm/stray.py" send 10.0.0.2 8080:$b:udp 8080:$((b + 1)):ack \
		8080:$((b + 2)):rst 8081:$((b + 3)):udp
	ip netns exec rs2 python3 "$REPO/tests/vm/stray.py" send 10.0.0.2 9000:$((b + 4)):udp 81:$((b + 5)):ack
	wait $watch
	sleep 1
	# shellcheck disable=SC2086 # the list of pids
	kill $caps
	wait $caps || true
	sort "$out/cl" "$out/rs1" "$out/rs2"
}
for impl in c rs; do
	use_impl $impl
	ipvsadm -A -t $VIP:80 -s rr
	ipvsadm -a -t $VIP:80 -r 10.0.1.11:8080 -m
	ipvsadm -A -u $VIP:80 -s rr
	ipvsadm -a -u $VIP:80 -r 10.0.1.11:8080 -m
	ipvsadm -A -f 5 -s rr
	ipvsadm -a -f 5 -r 10.0.1.12:9000 -m
	ipvsadm -A -t $VIP:81 -s rr
	ipvsadm -a -t $VIP:81 -r 10.0.1.12:81 -g
	{
		echo "== nat_icmp_send=0"
		strays 0 6
		sysctl -qw net.ipv4.vs.nat_icmp_send=1
		echo "== nat_icmp_send=1"
		strays 1 3
		# Removed from their services, the real servers are NAT real servers no more.
		ipvsadm -d -t $VIP:80 -r 10.0.1.11:8080
		ipvsadm -d -f 5 -r 10.0.1.12:9000
		echo "== nat_icmp_send=1, TCP and fwmark real servers removed"
		strays 2 5
		sysctl -qw net.ipv4.vs.nat_icmp_send=0
		settled_stats
	} >"$out/$impl"
	unload_ipvs
done
show_both "$out"
sect() { sed -n "/^== nat_icmp_send=$1\$/,/^==/p" "$out/rs"; }
[ "$(sect 0 | grep -c '^cl got')" = 6 ] || fail "ipvs_rs: nat_icmp_send=0: not every stray reached the client"
sect 1 | grep -q "^rs1 got icmp 3/3 10.0.1.1 -> 10.0.1.11 icmp-csum ok embedded 10.0.1.11:8080 -> 10.0.0.2:40111 ip-csum ok" ||
	fail "ipvs_rs: nat_icmp_send=1: the NAT real server's stray TCP ACK got no port unreachable"
sect 1 | grep -q "^rs2 got icmp 3/3 .* embedded 10.0.1.12:9000 -> 10.0.0.2:40114" ||
	fail "ipvs_rs: nat_icmp_send=1: the fwmark service's real server got no port unreachable"
[ "$(sect 1 | grep -c '^cl got')" = 3 ] || fail "ipvs_rs: nat_icmp_send=1: the client did not get exactly the RST, the other port's and the DR server's"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
