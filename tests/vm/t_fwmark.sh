#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Firewall-mark services (-f), differential: an nftables rule marks the client's TCP and UDP
# packets to the VIP's ports 80 and 81 with mark 1; the service for mark 1 has NAT real servers
# without a port (each connection keeps its virtual port: 80 or 81) and one with port 80 (every
# connection goes to 80). An address service for VIP:82, unmarked, still works beside it, and a
# packet marked 2 (no such service) to VIP:83 is not IPVS's. The answers, `ipvsadm -Ln
# --stats` and the connection list are the same under C ip_vs and ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 3
for i in 1 2 3; do
	serve_bg "rs$i" --local 80 "rs$i:80"
	serve_bg "rs$i" --local 81 "rs$i:81"
	serve_bg "rs$i" --local 82 "rs$i:82"
done
serve_bg - --local 83 director
serve_wait
nft -f - <<NFT
table ip fwm_test {
	chain pre {
		type filter hook prerouting priority mangle;
		ip daddr $VIP tcp dport { 80, 81 } meta mark set 1
		ip daddr $VIP udp dport { 80, 81 } meta mark set 1
		ip daddr $VIP tcp dport 83 meta mark set 2
	}
}
NFT
for impl in c rs; do
	use_impl $impl
	ipvsadm -A -f 1 -s rr
	ipvsadm -a -f 1 -r 10.0.1.11 -m
	ipvsadm -a -f 1 -r 10.0.1.12 -m
	ipvsadm -a -f 1 -r 10.0.1.13:80 -m
	ipvsadm -A -t $VIP:82 -s rr
	ipvsadm -a -t $VIP:82 -r 10.0.1.11:82 -m
	{
		for port in 80 81 80 81 80 81; do
			echo "tcp $port: $(tcp_get $port 2>/dev/null || echo none)"
			echo "udp $port: $(udp_get $port 2>/dev/null || echo none)"
		done
		echo "tcp 82: $(tcp_get 82 2>/dev/null || echo none)"
		echo "tcp 83: $(tcp_get 83 2>/dev/null || echo none)"
	} >"$out/$impl"
	settled_stats >>"$out/$impl"
	ipvsadm -Lcn | awk 'NR > 2 {print $1, $3, $5, $6}' | sort >>"$out/$impl"
	unload_ipvs
done
nft delete table ip fwm_test
cat "$out/rs"
head -14 "$out/rs" | grep -q none && fail "ipvs_rs: a request to the fwmark service was not answered"
[ "$(grep -c '^[tu][cd]p 8[01]: rs3:80 ' "$out/rs")" = 4 ] || fail "ipvs_rs: rs3 (port 80) did not take its 4 requests on port 80"
grep -q "^tcp 83: director $VIP" "$out/rs" || fail "ipvs_rs: the packet marked 2 did not reach the director itself"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
