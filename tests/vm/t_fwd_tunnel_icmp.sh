#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ICMP errors about tunnel packets, differential: the real server sits behind a router whose
# link to it has an MTU of 1400, smaller than the director's (1500). A client's 1450-byte UDP
# datagram with DF fits the director's own check (1500 less the tunnel's headers) but its
# tunnel packet does not fit the router's link: the router's "fragmentation needed" comes back
# to the director, about the director's tunnel packet. For IP-in-IP, GUE and GRE the director
# turns it into "fragmentation needed" to the client, about the client's own datagram, and
# remembers the narrower path; the client's next such datagram gets the director's own
# "fragmentation needed" with 1400 less the tunnel's headers; small requests are answered.
# Everything is the same under C ip_vs but one number, on purpose: the MTU the client is told
# in the relayed error. C takes it from the real server's cached route, which the router's
# error has just made stale and which still has the director's own 1500, so it tells the client
# 1500 less the tunnel's headers, a size that does not get through either; ipvs_rs tells it
# what the router said less the tunnel's headers, as the director itself says next.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
client_topology
ip link add br-rs type bridge
ip addr add 10.0.1.1/24 dev br-rs
ip link set br-rs up
ip netns add rt
ip link add vrt type veth peer name eth0 netns rt
ip link set vrt master br-rs up
ip -n rt addr add 10.0.1.2/24 dev eth0
ip -n rt link set eth0 up
ip netns add rs1
ip -n rt link add eth1 mtu 1400 type veth peer name eth0 netns rs1
ip -n rt addr add 10.0.2.1/24 dev eth1
ip -n rt link set eth1 up
ip -n rt route add default via 10.0.1.1
ip netns exec rt sysctl -qw net.ipv4.ip_forward=1
ip -n rs1 link set eth0 mtu 1400
ip -n rs1 addr add 10.0.2.11/24 dev eth0
ip -n rs1 link set eth0 up
ip -n rs1 link set lo up
ip -n rs1 route add default via 10.0.2.1
ip -n rs1 addr add $VIP/32 dev lo
ip netns exec rs1 sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
ip -n rs1 link set tunl0 up
ip -n rs1 link set gre0 up
ip -n rs1 fou add port 6080 gue
ip netns exec rs1 sysctl -qw net.ipv4.conf.tunl0.rp_filter=0 net.ipv4.conf.gre0.rp_filter=0
serve_bg rs1 --udp-only --bind $VIP 80 rs1
serve_wait
sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.br-rs.accept_local=1 net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.br-rs.rp_filter=0
kinds="ipip:--tun-type=ipip gue:--tun-type=gue,--tun-port=6080 gre:--tun-type=gre"
for impl in c rs; do
	use_impl $impl
	for k in $kinds; do
		name=${k%%:*}
		# A new route: the path MTU learnt by the previous run is forgotten with the old one.
		ip route del 10.0.2.0/24 2>/dev/null || true
		ip route add 10.0.2.0/24 via 10.0.1.2
		ipvsadm -A -u $VIP:80 -s rr
		ipvsadm -a -u $VIP:80 -r 10.0.2.11 -i $(echo "${k#*:}" | tr ',=' '  ')
		{
			echo "== $name"
			echo "small: $(udp_get 2>/dev/null || true)"
			echo "big, the router's error: $(ip netns exec cl python3 "$REPO/tests/vm/icmpcheck.py" pmtu $VIP 80 1450)"
			echo "big again, the director's: $(ip netns exec cl python3 "$REPO/tests/vm/icmpcheck.py" pmtu $VIP 80 1450)"
			echo "small: $(udp_get 2>/dev/null || true)"
			settled_stats | tail -n +4
		} >>"$out/$impl"
		ipvsadm -C
	done
	unload_ipvs
done
cat "$out/rs"
for e in ipip:1380 gue:1368 gre:1376; do
	sed -n "/^== ${e%%:*}\$/,/^==/p" "$out/rs" | grep -q "^big, the router's error: errno 90 icmp 3/4 from $VIP mtu ${e#*:}\$" ||
		fail "${e%%:*}: ipvs_rs did not relay the router's error with MTU ${e#*:}"
	sed -n "/^== ${e%%:*}\$/,/^==/p" "$out/rs" | grep -q "^big again, the director's: errno 90 icmp 3/4 from $VIP mtu ${e#*:}\$" ||
		fail "${e%%:*}: ipvs_rs did not learn the path MTU"
done
[ "$(grep -c '^small: rs1$' "$out/rs")" = 6 ] || fail "ipvs_rs: a small request was not answered"
echo "C ip_vs relayed: $(grep "^big, the router's error" "$out/c" | sed 's/.* mtu //' | tr '\n' ' ')"
diff -u <(grep -v "^big, the router's error" "$out/c") <(grep -v "^big, the router's error" "$out/rs")
rm -rf "$out"
