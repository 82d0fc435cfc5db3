#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Direct routing (-g) and IP-in-IP tunnelling (-i), differential. Three real servers on the
# director's LAN (br-rs) are set up the standard way: the VIP on their loopback with
# arp_ignore/arp_announce (DR), and the ipip fallback device tunl0 up with reverse-path
# filtering off (TUN). The director hands them the client's packets unchanged (DR: only the MAC
# changes) or inside an outer IPv4 header (TUN); they answer the client directly, from the VIP,
# through their default router, which here is the director (so it accepts packets from its own
# VIP: accept_local). For each method: every TCP and UDP request is answered, rr spreads them,
# the real servers receive them addressed to the VIP itself, the director's IPIP packets reach
# the real servers' tunl0, and `ipvsadm -Ln --stats` counts the same (inbound only) under
# C ip_vs and ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 3
dr_tun_real_servers 3
# Servers that answer "rs<i> <the local address the connection came to>"; the UDP one is bound
# to the VIP, so that it hears only requests to the VIP and its answers leave from the VIP.
for i in 1 2 3; do
	serve_bg "rs$i" --tcp-only --local 80 "rs$i"
	serve_bg "rs$i" --udp-only --local --bind $VIP 80 "rs$i"
done
serve_wait
# IPIP packets received by the real servers' tunl0.
tunl_rx() { for i in 1 2 3; do ip netns exec "rs$i" cat /sys/class/net/tunl0/statistics/rx_packets; done | awk '{s += $1} END {print s + 0}'; }
for m in g i; do
	for impl in c rs; do
		use_impl $impl
		ipvsadm -A -t $VIP:80 -s rr
		ipvsadm -A -u $VIP:80 -s rr
		for i in 1 2 3; do
			ipvsadm -a -t $VIP:80 -r 10.0.1.1$i -$m
			ipvsadm -a -u $VIP:80 -r 10.0.1.1$i -$m
		done
		tun_before=$(tunl_rx)
		{
			for _ in $(seq 6); do tcp_get || echo none; done
			for _ in $(seq 3); do udp_get || echo none; done
		} >"$out/$m.$impl.answers" 2>/dev/null
		echo "$(($(tunl_rx) - tun_before))" >"$out/$m.$impl.tunl_rx"
		settled_stats >"$out/$m.$impl.stats"
		ipvsadm -Ln >"$out/$m.$impl.list"
		ipvsadm -C
	done
	r=$out/$m.rs
	echo "-$m: ipvs_rs answers: $(tr '\n' ';' <"$r.answers") IPIP packets into tunl0: C $(cat "$out/$m.c.tunl_rx"), ipvs_rs $(cat "$r.tunl_rx")"
	cat "$r.stats"
	grep -q none "$r.answers" && fail "-$m: ipvs_rs: a request was not answered"
	[ "$(awk '{print $1}' "$r.answers" | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "3 3 3 " ] || fail "-$m: ipvs_rs: rr did not spread 9 requests 3/3/3"
	# Answers name the address the request came to.
	[ "$(awk -v v=$VIP '$2 == v' "$r.answers" | wc -l)" = 9 ] || fail "-$m: ipvs_rs: a real server got a request not addressed to the VIP"
	case $m in
	g) [ "$(cat "$r.tunl_rx")" = 0 ] || fail "-g: ipvs_rs: direct routing went through a tunnel" ;;
	i) [ "$(cat "$r.tunl_rx")" -ge 9 ] || fail "-i: ipvs_rs: the real servers' tunl0 got $(cat "$r.tunl_rx") packets" ;;
	esac
	diff -u "$out/$m.c.answers" "$r.answers"
	diff -u "$out/$m.c.stats" "$r.stats"
	diff -u "$out/$m.c.list" "$r.list"
done
rm -rf "$out"
