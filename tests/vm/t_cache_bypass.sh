#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The cache_bypass sysctl, differential: a transparent cache. The client's TCP and UDP
# requests to port 80 of the origin server (rs1, 10.0.1.11, beyond the director) are marked 1
# by nftables and policy-routed to the director itself, where the firewall-mark service 1 sends
# them to the cache (rs2, NAT). With the cache quiesced (weight 0) the service has no
# destination: at cache_bypass 0 the client is refused, at 1 its packets go on to the origin
# server as they are (bypass connections, to 0.0.0.0:0, counted nowhere; the origin's replies
# still move their TCP state on). The answers (with the address a TCP request came to), the
# connection list and the counters are the same under C ip_vs and ipvs_rs. The same over IPv6
# (origin fd00:1::11, an IPv6 firewall-mark service, cache fd00:1::12).
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
add_v6 2
# (An IPv6 wildcard socket takes both families.)
serve_bg rs1 --bind :: --local 80 origin
serve_bg rs2 --bind :: --local 80 cache
serve_wait
nft -f - <<NFT
table inet bypass_test {
	chain pre {
		type filter hook prerouting priority mangle;
		iifname vcl ip daddr 10.0.1.0/24 tcp dport 80 meta mark set 1
		iifname vcl ip daddr 10.0.1.0/24 udp dport 80 meta mark set 1
		iifname vcl ip6 daddr fd00:1::/64 tcp dport 80 meta mark set 1
		iifname vcl ip6 daddr fd00:1::/64 udp dport 80 meta mark set 1
	}
}
NFT
ip rule add fwmark 1 lookup 100 pref 100
ip route add local 0.0.0.0/0 dev lo table 100
ip -6 rule add fwmark 1 lookup 100 pref 100
ip -6 route add local ::/0 dev lo table 100
# get [ADDR]: a TCP and a UDP request to the origin server (the IPv4 one by default).
get() {
	local t o=${1:-10.0.1.11} p=TCP u=UDP
	case $o in *:*) o="[$o]" p=TCP6 u=UDP6 ;; esac
	t=$(ip netns exec cl socat -T3 - "$p:$o:80,connect-timeout=5" </dev/null 2>/dev/null) || t=none
	echo "tcp: $t"
	t=$(echo ping | ip netns exec cl socat -T2 - "$u:$o:80" 2>/dev/null) || t=none
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
		ipvsadm -A -f 1 -6 -s rr
		ipvsadm -a -f 1 -6 -r "[fd00:1::12]:80" -m
		echo "== IPv6: the cache takes the requests"
		get fd00:1::11
		ipvsadm -e -f 1 -6 -r "[fd00:1::12]:80" -m -w 0
		echo "== IPv6: cache quiesced, cache_bypass=0"
		get fd00:1::11
		sysctl -qw net.ipv4.vs.cache_bypass=1
		echo "== IPv6: cache quiesced, cache_bypass=1"
		get fd00:1::11
		sysctl -qw net.ipv4.vs.cache_bypass=0
		settled_stats
		ipvsadm -Lcn | awk 'NR > 2 {print $1, $3, $5, $6}' | sort
	} >"$out/$impl"
	unload_ipvs
done
ip rule del pref 100
ip route flush table 100
ip -6 rule del pref 100
ip -6 route flush table 100
nft delete table inet bypass_test
show_both "$out"
sect() { sed -n "/^== $1\$/,/^==/p" "$out/rs"; }
[ "$(sect "the cache takes the requests" | grep -c ': cache ')" = 2 ] || fail "ipvs_rs: the cache did not answer"
[ "$(sect "cache quiesced, cache_bypass=0" | grep -c ': none$')" = 2 ] || fail "ipvs_rs: without bypass, a request was answered"
[ "$(sect "cache quiesced, cache_bypass=1" | grep -c ': origin ')" = 2 ] ||
	fail "ipvs_rs: with cache_bypass, the origin server did not answer"
[ "$(grep -c ' 10.0.1.11:80 0.0.0.0:0$' "$out/rs")" = 2 ] || fail "ipvs_rs: no bypass connections listed"
[ "$(sect "IPv6: the cache takes the requests" | grep -Ec '^(tcp|udp): cache ')" = 2 ] || fail "ipvs_rs: IPv6: the cache did not answer"
[ "$(sect "IPv6: cache quiesced, cache_bypass=0" | grep -c ': none$')" = 2 ] ||
	fail "ipvs_rs: IPv6: without bypass, a request was answered"
[ "$(sect "IPv6: cache quiesced, cache_bypass=1" | grep -c ': origin ')" = 2 ] ||
	fail "ipvs_rs: IPv6: with cache_bypass, the origin server did not answer"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
