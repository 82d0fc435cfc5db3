#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The cache_bypass sysctl, differential: a transparent cache. The client's TCP and UDP
# requests to port 80 of the origin server (rs1, 10.0.1.11, beyond the director) are marked 1
# by nftables and policy-routed to the director itself, where the firewall-mark service 1 sends
# them to the cache (rs2, NAT). With the cache quiesced (weight 0) the service has no
# destination: at cache_bypass 0 the client is refused, at 1 its packets go on to the origin
# server as they are (bypass connections, to 0.0.0.0:0, counted nowhere; the origin's replies
# still move their TCP state on). The answers (with the address a TCP request came to), the
# connection list and the counters are the same under C ip_vs and ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
serve rs1 --local 80 origin
serve rs2 --local 80 cache
nft -f - <<NFT
table ip bypass_test {
	chain pre {
		type filter hook prerouting priority mangle;
		iifname vcl ip daddr 10.0.1.0/24 tcp dport 80 meta mark set 1
		iifname vcl ip daddr 10.0.1.0/24 udp dport 80 meta mark set 1
	}
}
NFT
ip rule add fwmark 1 lookup 100 pref 100
ip route add local 0.0.0.0/0 dev lo table 100
get() {
	local t
	t=$(ip netns exec cl socat -T3 - "TCP:10.0.1.11:80,connect-timeout=5" </dev/null 2>/dev/null) || t=none
	echo "tcp: $t"
	t=$(echo ping | ip netns exec cl socat -T2 - "UDP:10.0.1.11:80" 2>/dev/null) || t=none
	echo "udp: ${t:-none}"
}
for impl in c rs; do
	use_impl $impl
	ipvsadm -A -f 1 -s rr
	ipvsadm -a -f 1 -r 10.0.1.12:80 -m
	{
		echo "== the cache takes the requests"
		get
		ipvsadm -e -f 1 -r 10.0.1.12:80 -m -w 0
		echo "== cache quiesced, cache_bypass=0"
		get
		sysctl -qw net.ipv4.vs.cache_bypass=1
		echo "== cache quiesced, cache_bypass=1"
		get
		sysctl -qw net.ipv4.vs.cache_bypass=0
		settled_stats
		ipvsadm -Lcn | awk 'NR > 2 {print $1, $3, $5, $6}' | sort
	} >"$out/$impl"
	unload_ipvs
done
ip rule del pref 100
ip route flush table 100
nft delete table ip bypass_test
show_both "$out"
sect() { sed -n "/^== $1\$/,/^==/p" "$out/rs"; }
[ "$(sect "the cache takes the requests" | grep -c ': cache ')" = 2 ] || fail "ipvs_rs: the cache did not answer"
[ "$(sect "cache quiesced, cache_bypass=0" | grep -c ': none$')" = 2 ] || fail "ipvs_rs: without bypass, a request was answered"
[ "$(sect "cache quiesced, cache_bypass=1" | grep -c ': origin ')" = 2 ] ||
	fail "ipvs_rs: with cache_bypass, the origin server did not answer"
[ "$(grep -c ' 10.0.1.11:80 0.0.0.0:0$' "$out/rs")" = 2 ] || fail "ipvs_rs: no bypass connections listed"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
