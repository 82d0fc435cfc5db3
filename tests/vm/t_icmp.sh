#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ICMP errors about connections, differential (same output under C ip_vs and ipvs_rs):
# - from NAT real servers: a UDP service whose real servers have no socket on the port; their
#   "port unreachable" reaches the client translated (from the virtual address, embedding
#   client -> VIP:port, IP and ICMP checksums valid), so the client's connected socket gets
#   ECONNREFUSED; counted as the connection's outgoing traffic;
# - from the client, about a reply: goes to the connection's real server, for NAT translated
#   (to the real server, embedding real server -> client), for DR as it was sent; counted as
#   incoming traffic;
# - the same for a transparent cache (a firewall-mark service for an address that is not the
#   director's, delivered locally by policy routing): the client's error about a reply is
#   forwarded, not delivered, and C's FORWARD hook at priority 99 sends it to the real server.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
start_servers 2
dr_real_servers 2
# Client-side errors: NAT (UDP :80) and DR (UDP :81), from fixed client ports; each real
# server's capture prints what reaches it.
client_errors() {
	local i pids=()
	for i in 1 2; do
		ip netns exec "rs$i" python3 "$REPO/tests/vm/icmpcheck.py" capture 30 "rs$i" 1 >"$out/cap$i" &
		pids+=($!)
	done
	for i in 1 2; do wait_raw_socket "rs$i"; done
	ip netns exec cl python3 "$REPO/tests/vm/icmpcheck.py" inject $VIP 80 40080
	ip netns exec cl python3 "$REPO/tests/vm/icmpcheck.py" inject $VIP 81 40081
	wait "${pids[@]}"
	cat "$out/cap1" "$out/cap2"
}
# The transparent cache: UDP to 10.0.9.9:80 gets mark 9 and is delivered here; 10.0.9.0/24
# is otherwise routed on (to nowhere) through br-rs.
nft -f - <<-'EOF'
	table ip tcache {
		chain pre {
			type filter hook prerouting priority mangle;
			ip daddr 10.0.9.9 udp dport 80 meta mark set 9
		}
	}
EOF
ip rule add fwmark 9 lookup 109 pref 109
ip route add local 0.0.0.0/0 dev lo table 109
ip route add 10.0.9.0/24 dev br-rs
forwarded_error() {
	ip netns exec rs1 python3 "$REPO/tests/vm/icmpcheck.py" capture 30 rs1-fwd 1 >"$out/capf" &
	local pid=$!
	wait_raw_socket rs1
	ip netns exec cl python3 "$REPO/tests/vm/icmpcheck.py" inject 10.0.9.9 80 40090
	wait $pid
	cat "$out/capf"
}
for impl in c rs; do
	use_impl $impl
	ipvsadm -A -u $VIP:53 -s rr
	for i in 1 2; do ipvsadm -a -u $VIP:53 -r 10.0.1.1$i:53 -m; done
	for _ in 1 2 3 4; do
		ip netns exec cl python3 "$REPO/tests/vm/icmpcheck.py" $VIP 53
		# The real servers rate-limit their ICMP errors per destination.
		sleep 1
	done >"$out/$impl"
	ipvsadm -A -u $VIP:80 -s rr
	ipvsadm -A -u $VIP:81 -s rr
	ipvsadm -a -u $VIP:80 -r 10.0.1.11:80 -m
	ipvsadm -a -u $VIP:81 -r 10.0.1.12:81 -g
	client_errors >>"$out/$impl"
	ipvsadm -A -f 9 -s rr
	ipvsadm -a -f 9 -r 10.0.1.11:80 -m
	forwarded_error >>"$out/$impl"
	settled_stats >>"$out/$impl"
	unload_ipvs
done
cat "$out/rs"
diff -u "$out/c" "$out/rs" || fail "ipvs_rs differs from C ip_vs"
[ "$(grep -c "socket refused; icmp 3/3 from $VIP icmp-csum ok embedded CLIENT:CPORT -> $VIP:53 ip-csum ok" "$out/rs")" = 4 ] ||
	fail "port unreachable not translated"
grep -q "^rs1 got icmp 3/3 10.0.0.2 -> 10.0.1.11 icmp-csum ok embedded 10.0.1.11:80 -> 10.0.0.2:40080 ip-csum ok$" "$out/rs" ||
	fail "client's error about a NAT reply not translated to the real server"
grep -q "^rs2 got icmp 3/3 10.0.0.2 -> $VIP icmp-csum ok embedded $VIP:81 -> 10.0.0.2:40081 ip-csum ok$" "$out/rs" ||
	fail "client's error about a DR reply not forwarded"
grep -q "^rs1-fwd got icmp 3/3 10.0.0.2 -> 10.0.1.11 icmp-csum ok embedded 10.0.1.11:80 -> 10.0.0.2:40090 ip-csum ok$" "$out/rs" ||
	fail "client's error about a transparent cache's reply not sent to the real server"
nft delete table ip tcache
ip rule del pref 109
