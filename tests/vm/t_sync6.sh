#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Connection synchronisation over IPv6, differential: the two DR directors of t_sync.sh (this
# namespace the master, netns bk the backup) with an IPv6 virtual service and daemons on the
# IPv6 multicast group ff02::8848. A client holds an IPv6 TCP connection; the backup's
# `-L --daemon`, `-Lnc` and `ip_vs_conn_sync` are the same under C ip_vs and ipvs_rs (its
# records are IPv6 ones, sent to an IPv6 group); after the VIP moves, the held connection's
# next request is answered through the backup.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
lan_topology 6
for ns in rs1 rs2; do serve_bg "$ns" --echo --bind :: 80 "$ns"; done
serve_wait

services() {
	in_ns "$1" ipvsadm -A -t "[$VIP6]:80" -s rr
	in_ns "$1" ipvsadm -a -t "[$VIP6]:80" -r "[fd00::11]:80" -g
	in_ns "$1" ipvsadm -a -t "[$VIP6]:80" -r "[fd00::12]:80" -g
}
bk_conns() { ip netns exec bk ipvsadm -Lnc | awk 'NR > 2 {$2 = "-"; print}' | sort; }

for impl in c rs; do
	rm -f "$out/go"
	use_impl $impl
	ip addr add $VIP6/128 dev dm nodad
	# (The last round's failover left the client the backup's address for the VIP.)
	ip -n cl neigh del $VIP6 dev eth0 2>/dev/null || true
	services -
	services bk
	ipvsadm --start-daemon master --mcast-interface dm --mcast-group ff02::8848 --syncid 6
	ip netns exec bk ipvsadm --start-daemon backup --mcast-interface eth0 --mcast-group ff02::8848 --syncid 6
	ip netns exec cl python3 "$REPO/tests/vm/held_client.py" fd00::2 40001 $VIP6 80 "$out/go" >"$out/held" &
	held=$!
	for _ in $(seq 100); do
		[ -n "$(bk_conns)" ] && break
		sleep 0.1
	done
	{
		ipvsadm -L -n --daemon
		ip netns exec bk ipvsadm -L -n --daemon
		echo "== backup"
		bk_conns
		ip netns exec bk awk 'NR > 1 {$10 = "-"; print}' /proc/net/ip_vs_conn_sync
		echo "== failover"
		ip addr del $VIP6/128 dev dm
		ip -n bk addr add $VIP6/128 dev eth0 nodad
		ip -n cl neigh replace $VIP6 lladdr "$(ip -n bk -br link show eth0 | awk '{print $3}')" dev eth0
		touch "$out/go"
		wait $held
		cat "$out/held"
		ipvsadm --stop-daemon master
		ip netns exec bk ipvsadm --stop-daemon backup
	} >"$out/$impl" 2>&1
	ip netns exec bk ipvsadm -C
	ip -n bk addr del $VIP6/128 dev eth0
	unload_ipvs
done
show_both "$out"
grep -q '^held connection: b$' "$out/rs" || fail "ipvs_rs: the held IPv6 connection did not go on through the backup"
grep -q '^TCP - ESTABLISHED \[fd00::2\]:40001 \[fd00::100\]:80 \[fd00::1[12]\]:80$' "$out/rs" ||
	fail "ipvs_rs: the backup did not make the IPv6 connection"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
