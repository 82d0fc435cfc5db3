#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Tunnelling (-i) of every kind, differential: IP-in-IP, GUE (--tun-type gue --tun-port 6080)
# without and with UDP checksums and with remote checksum offload, GRE without and with
# checksums. Three real servers on the director's LAN, set up the standard way: the VIP on their
# loopback (not answering ARP for it), the ipip fallback device tunl0 up (IP-in-IP, and GUE,
# whose receive port `ip fou add port 6080 gue` hands the inner packet to it), the gre fallback
# device gre0 up, and for checksummed GRE a gre device that wants checksums (icsum). They answer
# the client directly from the VIP. For each kind:
# - every TCP and UDP request is answered, rr spreads them 3/3/3;
# - a capture on the real servers' wire (tuncap.py) shows the encapsulation: header fields,
#   checksum options, outer DF and TTLs (the director decrements the inner TTL, as a router);
# - a 1500-byte UDP datagram with DF gets "fragmentation needed" from the VIP with the
#   tunnel's MTU (1500 less its headers); with the pmtu_disc sysctl at 0 it is fragmented
#   instead, and answered;
# and all of it, with `ipvsadm -Ln --stats` and `-Ln --tun-info`, is the same under C ip_vs and
# ipvs_rs (four of the six kinds in make check, TUN_ALL=1 for all). An IPv4 service's IPv6
# tunnel real server (ipvs_rs only; t_ipv6_tunnels sends to one): its packets are never sent to
# an IPv4 address made of part of its address.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 3
dr_real_servers 3
for i in 1 2 3; do
	ip netns exec "rs$i" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	ip -n "rs$i" link set tunl0 up
	ip -n "rs$i" link set gre0 up
	ip -n "rs$i" fou add port 6080 gue
	ip netns exec "rs$i" sysctl -qw net.ipv4.conf.tunl0.rp_filter=0 net.ipv4.conf.gre0.rp_filter=0
	serve_bg "rs$i" --tcp-only --local 80 "rs$i"
	serve_bg "rs$i" --udp-only --local --bind $VIP 80 "rs$i"
done
serve_wait
sysctl -qw net.ipv4.conf.br-rs.accept_local=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.br-rs.rp_filter=0
# name:ipvsadm options
# The make check form takes four: plain GUE and GRE are the checksummed kinds' paths without
# the checksum; TUN_ALL=1 for all six.
kinds="ipip:--tun-type=ipip gue-csum:--tun-type=gue,--tun-port=6080,--tun-csum
gue-remcsum:--tun-type=gue,--tun-port=6080,--tun-remcsum gre-csum:--tun-type=gre,--tun-csum"
[ -n "${TUN_ALL:-}" ] && kinds="$kinds gue:--tun-type=gue,--tun-port=6080 gre:--tun-type=gre"
run_kind() {
	local name=$1 opts=$2 i pids=()
	for i in 1 2 3; do
		ipvsadm -a -t $VIP:80 -r 10.0.1.1$i -i $opts
		ipvsadm -a -u $VIP:80 -r 10.0.1.1$i -i $opts
	done
	for i in 1 2 3; do
		ip netns exec "rs$i" python3 "$REPO/tests/vm/tuncap.py" eth0 6080 >"$out/cap$i" &
		pids+=($!)
	done
	sleep 1
	{
		for _ in $(seq 6); do tcp_get || echo none; done
		for _ in $(seq 3); do udp_get || echo none; done
	} >"$out/$name.$impl.answers" 2>/dev/null
	kill -TERM "${pids[@]}"
	wait "${pids[@]}" || true
	sort -u "$out/cap1" "$out/cap2" "$out/cap3" >"$out/$name.$impl.capture"
	ip netns exec cl python3 "$REPO/tests/vm/icmpcheck.py" pmtu $VIP 80 1500 >"$out/$name.$impl.pmtu"
	settle_counters
	# Without the connection counts: a destination re-added to the same virtual service is
	# revived from the trash with connections of earlier kinds, still in TIME_WAIT or not
	# depending on how fast the run went. The table's size (size=) goes by all of those
	# connections too: left out as well.
	{
		ipvsadm -Ln --stats --exact
		ipvsadm -Ln --tun-info | awk '$1 == "->" && NF > 3 {NF -= 2} {print}'
	} | sed 's/(size=[0-9]*)/(size=*)/' >"$out/$name.$impl.list"
	ipvsadm -D -t $VIP:80
	ipvsadm -D -u $VIP:80
}
for impl in c rs; do
	use_impl $impl
	for k in $kinds; do
		name=${k%%:*}
		ipvsadm -A -t $VIP:80 -s rr
		ipvsadm -A -u $VIP:80 -s rr
		if [ "$name" = gre-csum ]; then
			for i in 1 2 3; do
				ip -n "rs$i" link add gtc type gre local 10.0.1.1$i icsum
				ip -n "rs$i" link set gtc up
				ip netns exec "rs$i" sysctl -qw net.ipv4.conf.gtc.rp_filter=0
			done
		fi
		run_kind "$name" "$(echo "${k#*:}" | tr ',=' '  ')"
		[ "$name" = gre-csum ] && for i in 1 2 3; do ip -n "rs$i" link del gtc; done
	done
	# pmtu_disc off: tunnels neither copy DF nor refuse; the outer packet is fragmented.
	sysctl -qw net.ipv4.vs.pmtu_disc=0
	ipvsadm -A -u $VIP:80 -s rr
	ipvsadm -a -u $VIP:80 -r 10.0.1.11 -i
	ip netns exec cl python3 "$REPO/tests/vm/icmpcheck.py" pmtu $VIP 80 1500 >"$out/nopmtu.$impl"
	ipvsadm -C
	sysctl -qw net.ipv4.vs.pmtu_disc=1
	if [ $impl = rs ]; then
		# An IPv6 real server of an IPv4 service, accepted as C accepts it: its packets go in
		# IPv6 (here unroutable), never to the IPv4 address its first four bytes make
		# (fd00:1::11: 253.0.0.1, routed here so that such a packet would be seen).
		ip route add 253.0.0.1/32 dev br-rs
		nft -f - <<-'NFT'
			table ip v6tun {
				chain out {
					type filter hook output priority 0;
					ip daddr 253.0.0.1 counter
				}
			}
		NFT
		ipvsadm -A -t $VIP:81 -s rr
		ipvsadm -a -t $VIP:81 -r "[fd00:1::11]:81" -i
		ip netns exec cl socat -T2 - "TCP:$VIP:81,connect-timeout=2" </dev/null >/dev/null 2>&1 || true
		leaked=$(nft list table ip v6tun | grep -o 'packets [0-9]*' | awk '{print $2}')
		ipvsadm -Ln | grep -q 'fd00:1::11' || fail "the IPv6 tunnel real server of an IPv4 service was refused"
		[ "$leaked" = 0 ] || fail "ipvs_rs: $leaked packet(s) for an IPv6 real server sent to 253.0.0.1"
		nft delete table ip v6tun
		ip route del 253.0.0.1/32 dev br-rs
		ipvsadm -C
	fi
	unload_ipvs
done
for k in $kinds; do
	name=${k%%:*}
	r=$out/$name.rs
	echo "== $name: ipvs_rs answers: $(tr '\n' ' ' <"$r.answers")"
	cat "$r.capture" "$r.pmtu"
	grep -q none "$r.answers" && fail "$name: ipvs_rs: a request was not answered"
	[ "$(sort "$r.answers" | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "3 3 3 " ] || fail "$name: ipvs_rs: rr did not spread 9 requests 3/3/3"
	grep -q . "$r.capture" || fail "$name: ipvs_rs: nothing tunnelled reached the real servers"
	diff -u "$out/$name.c.answers" "$r.answers"
	diff -u "$out/$name.c.capture" "$r.capture"
	diff -u "$out/$name.c.pmtu" "$r.pmtu"
	diff -u "$out/$name.c.list" "$r.list"
done
# The MTU each kind leaves: 1500 less the outer IP header (20) and GUE's UDP + GUE headers
# (8 + 4; remote checksum offload adds 8), GRE's header (4; with a checksum 8).
for e in ipip:1480 gue:1468 gue-csum:1468 gue-remcsum:1460 gre:1476 gre-csum:1472; do
	[ -e "$out/${e%%:*}.rs.pmtu" ] || continue
	grep -qx "errno 90 icmp 3/4 from $VIP mtu ${e#*:}" "$out/${e%%:*}.rs.pmtu" || fail "${e%%:*}: ipvs_rs: $(cat "$out/${e%%:*}.rs.pmtu"), not fragmentation needed with MTU ${e#*:}"
done
echo "pmtu_disc=0: C $(cat "$out/nopmtu.c"), ipvs_rs $(cat "$out/nopmtu.rs")"
grep -q "^answered rs1" "$out/nopmtu.rs" || fail "pmtu_disc=0: ipvs_rs: $(cat "$out/nopmtu.rs")"
diff -u "$out/nopmtu.c" "$out/nopmtu.rs"
rm -rf "$out"
