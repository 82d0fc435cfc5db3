#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Real servers on the director itself ("local node"), differential:
# - NAT to one of the director's own addresses (10.0.0.1:8081) beside a remote real server: the
#   rewritten packet goes up the director's own stack, and the local server's answers leave
#   through LOCAL_OUT rewritten back to the VIP; rr alternates local and remote;
# - direct routing and tunnelling to the director's own address: the packet, unchanged, is
#   delivered locally (to a server listening on the virtual port);
# - NAT from the network to a loopback address is refused (no answer);
# - the LOCALNODE forwarding method (set by raw netlink, tests/vm/genl_dest.py: ipvsadm has no
#   option for it) takes the packet up the director's stack as it is;
# - a forwarding method number no transmitter has (5, raw netlink too): C lets the packet pass,
#   so it too reaches the director's own server.
# - a raw socket on the director: its datagram to a service is scheduled at LOCAL_OUT, but
#   not with IP_NODEFRAG set (C: "do not break raw sockets").
# Every TCP and UDP request gets the same answer, and `ipvsadm -Ln --stats` counts the same,
# under C ip_vs and ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 1
serve_bg rs1 --local 80 rs1
serve_bg - --local 8081 director
# Bound to the VIP, as a DR or TUN real server's service is: its UDP answers leave from the VIP.
serve_bg - --bind $VIP --local 8082 director
serve_bg - --bind $VIP --local 8083 director
serve_bg - --local 8084 director
serve_bg - --bind $VIP --local 8085 director
serve_bg - --bind $VIP --local 8086 director
serve_wait
for impl in c rs; do
	use_impl $impl
	for p in t u; do
		ipvsadm -A -$p $VIP:80 -s rr
		ipvsadm -a -$p $VIP:80 -r 10.0.0.1:8081 -m
		ipvsadm -a -$p $VIP:80 -r 10.0.1.11:80 -m
		ipvsadm -A -$p $VIP:8082 -s rr
		ipvsadm -a -$p $VIP:8082 -r 10.0.0.1 -g
		ipvsadm -A -$p $VIP:8083 -s rr
		ipvsadm -a -$p $VIP:8083 -r 10.0.0.1 -i
		ipvsadm -A -$p $VIP:8084 -s rr
		ipvsadm -a -$p $VIP:8084 -r 127.0.0.1:8084 -m
		ipvsadm -A -$p $VIP:8085 -s rr
		ipvsadm -A -$p $VIP:8086 -s rr
	done
	for p in tcp udp; do
		[ "$(python3 "$REPO/tests/vm/genl_dest.py" $p $VIP 8085 10.0.0.1 8085 1)" = "errno 0" ] ||
			fail "$impl: cannot add a LOCALNODE real server"
		[ "$(python3 "$REPO/tests/vm/genl_dest.py" $p $VIP 8086 10.0.0.1 8086 5)" = "errno 0" ] ||
			fail "$impl: cannot add a real server with forwarding method 5"
	done
	ipvsadm -Ln | grep -A1 ":8085 " | grep -q " 10.0.0.1:8085 *Local " || fail "$impl: -Ln shows no Local real server"
	{
		for port in 80 80 80 80 8082 8082 8083 8083 8084 8085 8086; do
			echo "tcp $port: $(tcp_get $port 2>/dev/null || echo none)"
			a=$(udp_get $port 2>/dev/null || true)
			echo "udp $port: ${a:-none}"
		done
	} >"$out/$impl.answers"
	settled_stats >"$out/$impl.stats"
	# A raw socket's datagram from the director itself, to a service at an address that is not
	# the director's (the client's: one of its own comes back through LOCAL_IN, where C
	# schedules it whatever sent it), is scheduled at LOCAL_OUT like any local client's, but not
	# one sent with IP_NODEFRAG: C leaves those to the director's own stack.
	ipvsadm -A -u 10.0.0.2:9 -s rr
	ipvsadm -a -u 10.0.0.2:9 -r 10.0.1.11:80 -m
	for nf in 0 1; do
		python3 - 10.0.0.2 9 $((41000 + nf)) $nf <<-'EOF'
			import socket, struct, sys
			s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
			if sys.argv[4] == "1":
			    s.setsockopt(socket.SOL_IP, 22, 1)  # IP_NODEFRAG
			udp = struct.pack("!HHHH", int(sys.argv[3]), int(sys.argv[2]), 13, 0) + b"ping\n"
			s.sendto(udp, (sys.argv[1], 0))
		EOF
		echo "raw socket, IP_NODEFRAG $nf: $(ipvsadm -Lnc | grep -c ":$((41000 + nf)) ") connection(s)"
	done >"$out/$impl.raw"
	unload_ipvs
done
cat "$out/rs.answers" "$out/rs.stats"
diff -u "$out/c.answers" "$out/rs.answers"
diff -u "$out/c.stats" "$out/rs.stats"
cat "$out/rs.raw"
diff -u "$out/c.raw" "$out/rs.raw"
[ "$(cat "$out/rs.raw")" = "raw socket, IP_NODEFRAG 0: 1 connection(s)
raw socket, IP_NODEFRAG 1: 0 connection(s)" ] ||
	fail "ipvs_rs: a raw socket's datagram was not scheduled, or one with IP_NODEFRAG was"
# (A UDP server bound to 0.0.0.0 does not know the address it was asked at.)
want="tcp 80: rs1 10.0.1.11
udp 80: rs1 0.0.0.0
tcp 80: director 10.0.0.1
udp 80: director 0.0.0.0
tcp 80: rs1 10.0.1.11
udp 80: rs1 0.0.0.0
tcp 80: director 10.0.0.1
udp 80: director 0.0.0.0
tcp 8082: director $VIP
udp 8082: director $VIP
tcp 8082: director $VIP
udp 8082: director $VIP
tcp 8083: director $VIP
udp 8083: director $VIP
tcp 8083: director $VIP
udp 8083: director $VIP
tcp 8084: none
udp 8084: none
tcp 8085: director $VIP
udp 8085: director $VIP
tcp 8086: director $VIP
udp 8086: director $VIP"
[ "$(cat "$out/rs.answers")" = "$want" ] || fail "ipvs_rs's answers are not the expected ones"
rm -rf "$out"
