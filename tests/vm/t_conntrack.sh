#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Connection tracking, differential. With conntrack's hooks active in the director (an nftables
# rule that matches on ct state), the flows IPVS forwards and rewrites (NAT requests and
# replies, TCP and UDP, and DR) are not tracked, as C IPVS does with its conntrack sysctl at 0:
# no conntrack entry is left for them. Traffic of the director's own stays tracked.
# With the sysctl at 1 and an nftables masquerade rule on the real servers' side: NAT, DR and
# IP-in-IP traffic is answered as under C (the real servers see the director's address), the
# conntrack table holds the same entries (`conntrack -L`, client ports and timeouts
# normalised), and an idle connection's entry (TCP, 5 days in conntrack) and a UDP one go
# when IPVS's connections expire. The same traffic and entries with iptables-legacy's
# masquerade instead.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
start_servers 2
dr_real_servers 2
sysctl -qw net.ipv4.conf.br-rs.accept_local=1 net.ipv4.conf.br-rs.rp_filter=0 net.ipv4.conf.all.rp_filter=0
for i in 1 2; do
	serve_bg "rs$i" --tcp-only 81 "rs$i-dr"
	serve_bg "rs$i" --peer 82 "rs$i"
	serve_bg "rs$i" --tcp-only 83 "rs$i-tun"
	serve_bg "rs$i" --echo 84 "rs$i"
	ip -n "rs$i" link set tunl0 up
	ip netns exec "rs$i" sysctl -qw net.ipv4.conf.tunl0.rp_filter=0 net.ipv4.conf.all.rp_filter=0
done
serve_bg - --tcp-only --bind 10.0.0.1 8080 director
serve_wait
nft -f - <<'NFT'
table ip ct_test {
	chain pre { type filter hook prerouting priority 0; ct state new counter; }
}
NFT
count() { cat /proc/sys/net/netfilter/nf_conntrack_count; }
run() {
	use_impl "$1"
	ipvsadm -A -t $VIP:80 -s rr
	ipvsadm -A -u $VIP:80 -s rr
	ipvsadm -A -t $VIP:81 -s rr
	for i in 1 2; do
		ipvsadm -a -t $VIP:80 -r 10.0.1.1$i:80 -m
		ipvsadm -a -u $VIP:80 -r 10.0.1.1$i:80 -m
		ipvsadm -a -t $VIP:81 -r 10.0.1.1$i:81 -g
	done
	local n0 n1
	n0=$(count)
	for _ in 1 2 3 4; do
		echo "tcp $(tcp_get)"
		echo "udp $(udp_get)"
		echo "dr $(tcp_get 81)"
	done
	n1=$(count)
	echo "conntrack entries made by IPVS traffic: $((n1 - n0))"
	echo "director $(ip netns exec cl socat -T10 - TCP:10.0.0.1:8080,connect-timeout=10 </dev/null)"
	[ "$(count)" -gt "$n1" ] && echo "director's own flow tracked"
	settled_stats | sed 's/  */ /g'
	unload_ipvs
}
for impl in c rs; do run $impl >"$out/$impl"; done
nft delete table ip ct_test
cat "$out/rs"
diff -u "$out/c" "$out/rs" || fail "ipvs_rs differs from C ip_vs"
grep -q "entries made by IPVS traffic: 0$" "$out/rs" || fail "IPVS flows tracked"
grep -q "director's own flow tracked" "$out/rs" || fail "conntrack is not active: the test proves nothing"

# conntrack = 1.
nft -f - <<'NFT'
table ip masq_test {
	chain post { type nat hook postrouting priority srcnat; oifname "br-rs" masquerade; }
}
NFT
# The entries of the client's flows, sorted, with their timeouts and the client's (and the
# masquerade's) ephemeral ports normalised.
entries() {
	conntrack -L 2>/dev/null | grep -E "src=10\.0\.(0\.2|1\.1) " |
		awk '{$3 = "T"; print}' | sed -E 's/(sport|dport)=[0-9]{4,5}/\1=P/g; s/ id=[0-9]+//' | sort
}
# tracked IMPL [short]: with short, only the traffic and its entries (not the expiry).
tracked() {
	use_impl "$1"
	conntrack -F 2>/dev/null
	echo 1 >/proc/sys/net/ipv4/vs/conntrack
	ipvsadm -A -t $VIP:82 -s rr
	ipvsadm -A -u $VIP:82 -s rr
	ipvsadm -A -t $VIP:81 -s rr
	ipvsadm -A -t $VIP:83 -s rr
	ipvsadm -A -t $VIP:84 -s rr
	ipvsadm -A -u $VIP:84 -s rr
	for i in 1 2; do
		ipvsadm -a -t $VIP:82 -r 10.0.1.1$i:82 -m
		ipvsadm -a -u $VIP:82 -r 10.0.1.1$i:82 -m
		ipvsadm -a -t $VIP:81 -r 10.0.1.1$i:81 -g
		ipvsadm -a -t $VIP:83 -r 10.0.1.1$i:83 -i
		ipvsadm -a -t $VIP:84 -r 10.0.1.1$i:84 -m
		ipvsadm -a -u $VIP:84 -r 10.0.1.1$i:84 -m
	done
	for _ in 1 2; do
		echo "nat tcp $(tcp_get 82)"
		echo "nat udp $(udp_get 82)"
		echo "dr $(tcp_get 81)"
		echo "tun $(tcp_get 83)"
	done
	echo "conntrack entries:"
	entries
	if [ "${2-}" = short ]; then
		unload_ipvs
		return
	fi
	# Connections that expire T s after their last packet: an idle TCP one (its client waits),
	# and a UDP one, both counted before T is up. (Longer on a debug kernel, where making the
	# second takes seconds; 4 s was too short on a loaded host, where the UDP connection had
	# expired before the count.)
	local t=${IPVS_DEBUG_KERNEL:+20}
	t=${t:-10}
	ipvsadm --set "$t" "$t" "$t"
	ip netns exec cl python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 84), timeout=30)
s.sendall(b"x")
s.recv(10)
time.sleep(int(sys.argv[2]))
' $VIP $((t * 10)) &
	local idle=$!
	echo "nat udp $(udp_get 84)"
	for _ in $(seq 50); do
		[ "$(ipvsadm -Lnc | grep -c "$VIP:84")" = 2 ] && break
		sleep 0.2
	done
	echo "tracked while IPVS has them: $(entries | grep -c "dport=84 ")"
	for _ in $(seq $((t * 5 + 50))); do
		[ "$(ipvsadm -Lnc | grep -c "$VIP:84")" = 0 ] && break
		sleep 0.2
	done
	echo "left after they expired: $(entries | grep -c "dport=84 ")"
	kill $idle 2>/dev/null || echo "the idle client ended early"
	wait $idle 2>/dev/null || true
	settled_stats | sed 's/  */ /g'
	unload_ipvs
}
for impl in c rs; do tracked $impl >"$out/$impl"; done
nft delete table ip masq_test
cat "$out/rs"
diff -u "$out/c" "$out/rs" || fail "ipvs_rs differs from C ip_vs (conntrack = 1)"
grep -q "^nat tcp rs[12] from 10.0.1.1$" "$out/rs" || fail "NAT traffic not masqueraded"
grep -q "^tracked while IPVS has them: 2$" "$out/rs" || fail "connections not tracked"
grep -q "^left after they expired: 0$" "$out/rs" || fail "conntrack entries left after expiry"

# The same traffic with iptables-legacy's masquerade instead of nftables'.
iptables-legacy -t nat -A POSTROUTING -o br-rs -j MASQUERADE
for impl in c rs; do tracked $impl short >"$out/$impl"; done
masqueraded=$(iptables-legacy -t nat -L POSTROUTING -n -v -x | awk '/MASQUERADE/ {print $1}')
iptables-legacy -t nat -F
cat "$out/rs"
diff -u "$out/c" "$out/rs" || fail "ipvs_rs differs from C ip_vs (iptables-legacy masquerade)"
grep -q "^nat tcp rs[12] from 10.0.1.1$" "$out/rs" || fail "NAT traffic not masqueraded by iptables"
[ "${masqueraded:-0}" -gt 0 ] || fail "the iptables rule never matched"
rm -rf "$out"
