#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The director forwards like a router, differential: a client datagram that reaches it with
# TTL 1 gets "time exceeded" instead of going on to its real server, through NAT, DR and a
# tunnel alike (the connection is made and counted, as in C); one with TTL 2 goes on with TTL 1
# (the NAT one is answered). The client's capture (nothing but the 3 errors, from the sending
# until 3 s after it) and the counters are the same under C ip_vs and ipvs_rs.
# (Python starts slowly in the VM, the more on the debug kernel: the capture runs until the
# sender is done, not for a fixed time from its own start.)
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 1
dr_real_servers 1
ip -n rs1 link set tunl0 up
ip netns exec rs1 sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.tunl0.rp_filter=0
serve_bg rs1 --udp-only 80,81,82 rs1
serve_wait
# From the client, for each of VIP's ports 80, 81, 82: a datagram with TTL 2, then one with
# TTL 1 (from local ports 40202 and 40201). The sockets stay open a while, so that an answer
# never gets a "port unreachable" back (when it would depends on the timing).
send_ttls() {
	ip netns exec cl python3 -c "import socket, time
socks = {ttl: socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for ttl in (2, 1)}
for ttl, s in socks.items():
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    s.bind(('0.0.0.0', 40200 + ttl))
for port in (80, 81, 82):
    for ttl in (2, 1):
        socks[ttl].sendto(b'ttl', ('$VIP', port))
time.sleep(3)"
}
for impl in c rs; do
	use_impl $impl
	ipvsadm -A -u $VIP:80 -s rr
	ipvsadm -a -u $VIP:80 -r 10.0.1.11:80 -m
	ipvsadm -A -u $VIP:81 -s rr
	ipvsadm -a -u $VIP:81 -r 10.0.1.11 -g
	ipvsadm -A -u $VIP:82 -s rr
	ipvsadm -a -u $VIP:82 -r 10.0.1.11 -i
	ip netns exec cl python3 "$REPO/tests/vm/icmpcheck.py" capture 300 cl 4 >"$out/cap" &
	pid=$!
	wait_raw_socket cl
	send_ttls
	kill $pid 2>/dev/null || true
	wait $pid || true
	{
		sort "$out/cap"
		settled_stats
	} >"$out/$impl"
	unload_ipvs
done
show_both "$out"
for port in 80 81 82; do
	grep -q "^cl got icmp 11/0 .* -> 10.0.0.2 icmp-csum ok embedded 10.0.0.2:40201 -> $VIP:$port ip-csum ok" "$out/rs" ||
		fail "ipvs_rs: no time exceeded for TTL 1 to port $port"
done
grep -q "40202" "$out/rs" && fail "ipvs_rs: an error about a TTL 2 datagram"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
