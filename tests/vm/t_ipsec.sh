#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# AH and ESP follow their client's ISAKMP connection (C: ip_vs_proto_ah_esp.c), differential,
# through NAT (-m) and direct routing (-g). Two clients (10.0.0.2, 10.0.0.3) start an ISAKMP
# exchange (UDP 500 to VIP:500, a persistent service: rr puts them on different real
# servers), then send ESP and AH packets to the VIP; a third address (10.0.0.4) sends ESP
# without ISAKMP first. Each real server's ESP/AH packets, and (NAT) the client's view of the
# real servers' ESP answers (their source rewritten to the VIP), `ipvsadm -Lnc` and the
# counters are the same under C ip_vs and ipvs_rs: the packets reach the real server of their
# client's ISAKMP connection and count on it; the stray ESP reaches none. ICMP errors about
# ESP packets, both ways, go by the same connection (NAT: rewritten to be about the receiver's
# own packet); a real server's fragmented ESP answer is translated fragment by fragment.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
ip -n cl addr add 10.0.0.3/24 dev eth0
ip -n cl addr add 10.0.0.4/24 dev eth0
for i in 1 2; do
	ip -n "rs$i" addr add $VIP/32 dev lo
	ip netns exec "rs$i" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
		net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2
done
ipsec() { in_ns "$1" python3 "$REPO/tests/vm/ipsec.py" "${@:2}"; }
# listen NS FILE: ESP/AH packets received in NS, into FILE, until the listeners are stopped.
listen() {
	# A new file: the previous run's "listening" must not be mistaken for this one's.
	rm -f "$2"
	ipsec "$1" listen 30 >"$2" &
	for _ in $(seq 100); do
		grep -q listening "$2" && return 0
		sleep 0.1
	done
	fail "no listener in $1"
}
for m in m g; do
	for impl in c rs; do
		use_impl $impl
		ipvsadm -A -u $VIP:500 -s rr -p 600
		for i in 1 2; do ipvsadm -a -u $VIP:500 -r 10.0.1.1$i -$m; done
		for i in 1 2; do listen "rs$i" "$out/rs$i"; done
		listen cl "$out/cl"
		# ICMP errors about ESP go by the ISAKMP connection too: the client's about an ESP
		# packet it got from the VIP reaches that client's real server (NAT: about the real
		# server's own packet).
		{
			for c in 2 3; do echo "isakmp 10.0.0.$c $VIP"; done
			for c in 2 3; do
				echo "send esp 10.0.0.$c $VIP 3"
				echo "send ah 10.0.0.$c $VIP 1"
			done
			echo "send esp 10.0.0.4 $VIP 2"
			echo "icmp 10.0.0.2 $VIP $VIP 10.0.0.2"
		} | ipsec cl -
		# NAT: each real server answers its client in ESP (from its own address), and reports
		# an error about the client's ESP, which the client gets from the VIP about its own
		# packet to the VIP.
		if [ $m = m ]; then
			for i in 1 2; do
				c=$(awk '$1 == "ESP" {print $2; exit}' "$out/rs$i")
				[ -z "$c" ] && continue
				# The third in fragments: each is translated (C does not reassemble
				# AH/ESP), so that the client can reassemble it.
				printf '%s\n' "send esp 10.0.1.1$i $c 2" "send esp 10.0.1.1$i $c 1 3000" \
					"icmp 10.0.1.1$i $c $c 10.0.1.1$i" | ipsec "rs$i" -
			done
		fi
		# Until the listeners have printed everything (nothing new for half a second).
		prev=
		for _ in $(seq 40); do
			sleep 0.5
			now=$(cat "$out/rs1" "$out/rs2" "$out/cl" | wc -l)
			[ "$now" = "$prev" ] && break
			prev=$now
		done
		pkill -f 'tests/vm/ipsec.py listen' || true
		{ wait; } 2>/dev/null || true
		for f in rs1 rs2 cl; do grep -v listening "$out/$f" | sort | uniq -c >"$out/$m.$impl.$f" || true; done
		ipvsadm -Lnc | awk 'NR > 2 {print $1, $3, $4, $5, $6}' | sort >"$out/$m.$impl.conns"
		settled_stats >"$out/$m.$impl.stats"
		ipvsadm -C
	done
	r=$out/$m.rs
	for f in rs1 rs2 cl; do echo "-$m: ipvs_rs: ESP/AH received in $f:" && cat "$r.$f"; done
	cat "$r.conns" "$r.stats"
	[ "$(cat "$r.rs1" "$r.rs2" | grep -v ICMP | awk '{s += $1} END {print s}')" = 8 ] ||
		fail "-$m: ipvs_rs: the real servers did not get the 8 ESP/AH packets of the two clients"
	icmp_rs=$(cat "$r.rs1" "$r.rs2" | grep ICMP | awk '{$1 = ""; print}')
	# (Not 10.0.0.4's: this host's own "protocol unreachable" about its stray ESP.)
	icmp_cl=$(grep ICMP "$r.cl" | grep -v 10.0.0.4 | awk '{$1 = ""; print}' | sort | tr '\n' ';')
	if [ $m = m ]; then
		echo "$icmp_rs" | grep -Eq '^ ICMP 10.0.0.2 10.0.1.1[12] 10.0.1.1[12] 10.0.0.2 ESP$' ||
			fail "-m: ipvs_rs: the client's ICMP error did not reach its real server about its packet"
		[ "$icmp_cl" = " ICMP 10.0.0.100 10.0.0.2 10.0.0.2 10.0.0.100 ESP; ICMP 10.0.0.100 10.0.0.3 10.0.0.3 10.0.0.100 ESP;" ] ||
			fail "-m: ipvs_rs: the real servers' ICMP errors as the clients got them: $icmp_cl"
		[ "$(grep -Ec '^ *3 ESP 10.0.0.100 10.0.0.[23]$' "$r.cl")" = 2 ] ||
			fail "-m: ipvs_rs: the clients did not get their real servers' 3 ESP answers (one fragmented)"
	else
		echo "$icmp_rs" | grep -q '^ ICMP 10.0.0.2 10.0.0.100 10.0.0.100 10.0.0.2 ESP$' ||
			fail "-g: ipvs_rs: the client's ICMP error did not reach its real server"
	fi
	grep -q 10.0.0.4 "$r.rs1" "$r.rs2" && fail "-$m: ipvs_rs: ESP without an ISAKMP connection was forwarded"
	for f in rs1 rs2 cl conns stats; do
		diff -u "$out/$m.c.$f" "$r.$f" || fail "-$m: $f differ from C's"
	done
done
rm -rf "$out"
