#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A persistence engine's data through the sync daemon, differential: the two DR directors of
# t_sync.sh with a UDP service persistent by SIP Call-ID (`--pe sip`) on both; a client's SIP
# requests (three from one port, so that its connection is sent, with its template) reach the
# master; the backup makes the template with the engine's name and the Call-ID (records with
# the PE_DATA and PE_NAME options), as `/proc/net/ip_vs_conn` shows, the same under C ip_vs and
# ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
lan_topology
for ns in rs1 rs2; do serve_bg "$ns" --udp-only --bind $VIP 5060 "$ns"; done
serve_wait
services() {
	# (Short-lived, so that C's ip_vs_pe_sip, which its templates hold, can be unloaded.)
	in_ns "$1" ipvsadm --set 0 0 2
	in_ns "$1" ipvsadm -A -u $VIP:5060 -s rr -p 4 --pe sip
	in_ns "$1" ipvsadm -a -u $VIP:5060 -r 10.0.0.11 -g
	in_ns "$1" ipvsadm -a -u $VIP:5060 -r 10.0.0.12 -g
}
# The backup's entries with their engine data, expiry left out.
bk_entries() { ip netns exec bk awk 'NR > 1 {$9 = "-"; print}' /proc/net/ip_vs_conn | sort; }
for impl in c rs; do
	use_impl $impl
	ip addr add $VIP/32 dev dm
	ip -n cl neigh del $VIP dev eth0 2>/dev/null || true
	services -
	services bk
	ipvsadm --start-daemon master --mcast-interface dm --syncid 8
	ip netns exec bk ipvsadm --start-daemon backup --mcast-interface eth0 --syncid 8
	{
		ip netns exec cl python3 "$REPO/tests/vm/sipreqs.py" $VIP 5060 \
			5001:call-a@example.com 5001:call-a@example.com 5001:call-a@example.com
		for _ in $(seq 100); do
			[ "$(bk_entries | wc -l)" -ge 2 ] && break
			sleep 0.1
		done
		# (The master's 2 s connection expires about when its message goes: not compared.)
		echo "== backup"
		bk_entries
	} >"$out/$impl" 2>&1
	ipvsadm --stop-daemon master
	ip netns exec bk ipvsadm --stop-daemon backup
	for _ in $(seq 200); do
		[ -z "$(bk_entries)" ] && [ "$(wc -l </proc/net/ip_vs_conn)" = 1 ] && break
		sleep 0.1
	done
	ip netns exec bk ipvsadm -C
	ip addr del $VIP/32 dev dm
	unload_ipvs
done
show_both "$out"
sed -n '/^== backup$/,$p' "$out/rs" | grep -q ' sip call-a@example.com$' ||
	fail "ipvs_rs: the backup made no template with the master's Call-ID"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
