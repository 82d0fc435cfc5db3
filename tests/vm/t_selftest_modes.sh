#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's own IPVS selftest scenarios (tools/testing/selftests/net/netfilter/ipvs.sh),
# rebuilt here: the director is a network namespace of its own (st1) with the VIP on its
# loopback; the client (st0, 10.0.0.2) routes the VIP through it; the real server (st2) is
# 172.16.0.2 behind it and, for DR and TUN, also on the client's LAN (10.0.0.3), with the VIP
# on its loopback. Modes: DR, NAT (the real server routes back through the director) and
# IP-in-IP with forwarding off on the director, as the selftest has them, and GUE and GRE
# tunnels beside them. Each mode sends 1 MiB to the real server (socat, compared with cmp),
# from the client, and from a socket on the director itself (its LOCAL_OUT hook: large GSO
# packets go into the tunnels). The results and the connection counts are the same under C
# ip_vs and ipvs_rs, and every transfer arrives whole under ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
vip=10.0.9.110
head -c 1048576 /dev/urandom >"$out/in"
setup() {
	local ns
	for ns in st0 st1 st2; do ip netns add $ns; done
	ip link add veth01 netns st0 type veth peer name veth10 netns st1
	ip link add veth02 netns st0 type veth peer name veth20 netns st2
	ip link add veth12 netns st1 type veth peer name veth21 netns st2
	ip -n st0 link add br0 type bridge
	ip -n st0 link set veth01 master br0
	ip -n st0 link set veth02 master br0
	for l in st0:veth01 st0:veth02 st0:br0 st1:veth10 st1:veth12 st2:veth21 st2:veth20 st0:lo st1:lo st2:lo; do
		ip -n "${l%%:*}" link set "${l#*:}" up
	done
	ip -n st0 addr add 10.0.0.2/24 dev br0
	ip -n st1 addr add 10.0.0.1/24 dev veth10
	ip -n st1 addr add 172.16.0.1/24 dev veth12
	ip -n st2 addr add 172.16.0.2/24 dev veth21
	ip -n st2 addr add 10.0.0.3/24 dev veth20
	ip -n st0 route add $vip via 10.0.0.1 dev br0
	ip -n st1 addr add $vip/32 dev lo
}
# The real server side of DR and tunnels: the VIP on its loopback, not answered in ARP. The
# director takes the answers to its own socket, which come from the VIP, one of its own
# addresses (accept_local).
rs_vip() {
	ip netns exec st2 sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
	ip -n st2 addr add $vip/32 dev lo
	ip netns exec st1 sysctl -qw net.ipv4.conf.veth12.accept_local=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.veth12.rp_filter=0
}
# transfer NAME NETNS [socat address options]: 1 MiB to the real server's port 8080.
transfer() {
	local name=$1 ns=$2 opts=${3:-} pid r=ok
	rm -f "$out/got"
	ip netns exec st2 timeout 20 socat -u -4 TCP-LISTEN:8080,reuseaddr OPEN:"$out/got",creat &
	pid=$!
	for _ in $(seq 50); do
		ip netns exec st2 ss -lntH | grep -q ':8080 ' && break
		sleep 0.1
	done
	ip netns exec "$ns" timeout 20 socat -u -4 OPEN:"$out/in" "TCP:$vip:8080$opts" || r="client failed"
	wait $pid || r="server failed"
	cmp -s "$out/in" "$out/got" || [ "$r" != ok ] || r="data differs"
	echo "$mode $name: $r"
}
for impl in c rs; do
	use_impl $impl
	for mode in dr nat tun tun-gue tun-gre; do
		setup
		ip netns exec st1 sysctl -qw net.ipv4.ip_forward=1
		ip netns exec st1 ipvsadm -A -t $vip:8080 -s rr
		case $mode in
		dr)
			ip netns exec st1 ipvsadm -a -t $vip:8080 -r 172.16.0.2:8080 -g
			rs_vip
			;;
		nat)
			ip netns exec st1 ipvsadm -a -t $vip:8080 -r 172.16.0.2:8080 -m
			ip -n st2 link del veth20
			ip -n st2 route add default via 172.16.0.1 dev veth21
			;;
		tun*)
			ip netns exec st1 sysctl -qw net.ipv4.ip_forward=0 net.ipv4.conf.all.send_redirects=0 \
				net.ipv4.conf.default.send_redirects=0
			case $mode in
			tun) ip netns exec st1 ipvsadm -a -t $vip:8080 -r 172.16.0.2:8080 -i ;;
			tun-gue)
				ip netns exec st1 ipvsadm -a -t $vip:8080 -r 172.16.0.2:8080 -i --tun-type gue --tun-port 6080
				ip -n st2 fou add port 6080 gue
				;;
			tun-gre) ip netns exec st1 ipvsadm -a -t $vip:8080 -r 172.16.0.2:8080 -i --tun-type gre ;;
			esac
			rs_vip
			ip -n st2 link set tunl0 up
			ip -n st2 link set gre0 up
			ip netns exec st2 sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.tunl0.rp_filter=0 \
				net.ipv4.conf.gre0.rp_filter=0
			;;
		esac
		{
			transfer client st0
			# The director's own socket, from its address on the real server's side.
			transfer local st1 ",bind=172.16.0.1"
			ip netns exec st1 ipvsadm -Ln | awk '/->/ && NR > 3 {print "'"$mode"' conns:", $5 + $6}'
		} >>"$out/$impl"
		ip netns del st0
		ip netns del st1
		ip netns del st2
		sleep 0.5
	done
	unload_ipvs
done
show_both "$out"
grep -v ': ok$' "$out/rs" | grep -v conns: && fail "ipvs_rs: a transfer failed"
[ "$(grep -c ': ok$' "$out/rs")" = 10 ] || fail "ipvs_rs: not every transfer ran"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
