#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Connection tracking, differential: with conntrack's hooks active in the director (an nftables
# rule that matches on ct state), the flows IPVS forwards and rewrites (NAT requests and
# replies, TCP and UDP, and DR) are not tracked, as C IPVS does with its conntrack sysctl at 0:
# no conntrack entry is left for them. Traffic of the director's own stays tracked.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
start_servers 2
dr_real_servers 2
sysctl -qw net.ipv4.conf.br-rs.accept_local=1 net.ipv4.conf.br-rs.rp_filter=0 net.ipv4.conf.all.rp_filter=0
for i in 1 2; do serve "rs$i" --tcp-only 81 "rs$i-dr"; done
serve - --tcp-only --bind 10.0.0.1 8080 director
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
