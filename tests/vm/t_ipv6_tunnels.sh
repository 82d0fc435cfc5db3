#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Tunnelling (-i) with IPv6, differential: an IPv6 service to IPv6 real servers by IPv6-in-IPv6,
# GUE and GRE over IPv6; the mixed families C allows for tunnels: an IPv4 service to IPv6 real
# servers (IPv4-in-IPv6 and GUE over IPv6), an IPv6 service to IPv4 real servers (IPv6-in-IPv4).
# The real servers have both VIPs on their loopback and decapsulate with the kernel's own
# devices (an ip6tnl device of any inner protocol, ip6gre, sit0, and GUE on UDP 6080 over IPv6);
# they answer the client directly, naming the address the request came to. For each kind every
# TCP and UDP request is answered, rr spreads them, and the answers and
# `ipvsadm -Ln --stats --exact` and `-Lnc` are the same under C ip_vs and ipvs_rs. (The make
# check form runs three of the six kinds: TUN_ALL=1 for all.)
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
add_v6 2
dr_real_servers 2
modprobe sit
for i in 1 2; do
	ip -n "rs$i" addr add $VIP6/128 dev lo
	ip netns exec "rs$i" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	ip -n "rs$i" link add t6 type ip6tnl mode any local "fd00:1::1$i"
	ip -n "rs$i" link add g6 type ip6gre local "fd00:1::1$i"
	for d in t6 g6 sit0; do ip -n "rs$i" link set $d up; done
	ip -n "rs$i" fou add port 6080 gue -6
	serve_bg "rs$i" --tcp-only --bind :: --local 80 "rs$i"
	serve_bg "rs$i" --udp-only --bind $VIP6 --local 80 "rs$i"
	serve_bg "rs$i" --udp-only --bind $VIP --local 80 "rs$i"
done
serve_wait
sysctl -qw net.ipv4.conf.br-rs.accept_local=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.br-rs.rp_filter=0
# name:service family:real server family:ipvsadm options
# The short form takes IPv6-in-IPv6, GUE over IPv6 and IPv4-in-IPv6 (the mixed family of the
# IPv6 acceptance); TUN_ALL=1 all six.
kinds="ip6ip6:6:6:--tun-type=ipip gue6:6:6:--tun-type=gue,--tun-port=6080 ip4ip6:4:6:--tun-type=ipip"
[ -n "${TUN_ALL:-}" ] && kinds="$kinds gre6:6:6:--tun-type=gre gue4in6:4:6:--tun-type=gue,--tun-port=6080
ip6ip4:6:4:--tun-type=ipip"
run_kind() {
	local name=$1 sf=$2 rf=$3 opts=$4 vip i rs
	vip=$VIP
	[ "$sf" = 6 ] && vip="[$VIP6]"
	ipvsadm -A -t $vip:80 -s rr
	ipvsadm -A -u $vip:80 -s rr
	for i in 1 2; do
		rs=10.0.1.1$i
		[ "$rf" = 6 ] && rs="[fd00:1::1$i]"
		ipvsadm -a -t $vip:80 -r $rs:80 -i $opts
		ipvsadm -a -u $vip:80 -r $rs:80 -i $opts
	done
	{
		if [ "$sf" = 6 ]; then
			for _ in 1 2 3 4; do tcp6_get || echo none; done
			for _ in 1 2; do udp6_get || echo none; done
		else
			for _ in 1 2 3 4; do tcp_get || echo none; done
			for _ in 1 2; do udp_get || echo none; done
		fi
	} >"$out/$name.$impl.answers" 2>/dev/null
	# The connections (client ports and expiry masked): the real server in its own family.
	ipvsadm -Lnc | sed -E 's/:[0-9]+ +([[0-9])/:CPORT \1/; s/ +[0-9]{2}:[0-9]{2} +/ EXP /' | sort >"$out/$name.$impl.conns"
	settled_stats >"$out/$name.$impl.stats"
	ipvsadm -C
}
for impl in c rs; do
	for k in $kinds; do
		# A fresh module for each kind: no connection of the kind before is listed (how many of
		# those have expired depends on how fast the run went).
		unload_ipvs
		use_impl $impl
		IFS=: read -r name sf rf opts <<<"$k"
		run_kind "$name" "$sf" "$rf" "$(echo "$opts" | tr ',=' '  ')"
	done
done
for k in $kinds; do
	name=${k%%:*}
	r=$out/$name.rs
	echo "== $name: ipvs_rs answers: $(tr '\n' ';' <"$r.answers")"
	cat "$r.stats"
	grep -q none "$r.answers" && fail "$name: ipvs_rs: a request was not answered"
	[ "$(awk '{print $1}' "$r.answers" | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "3 3 " ] || fail "$name: ipvs_rs: rr did not spread 6 requests 3/3"
	diff -u "$out/$name.c.answers" "$r.answers"
	diff -u "$out/$name.c.stats" "$r.stats"
	diff -u "$out/$name.c.conns" "$r.conns"
done
rm -rf "$out"
