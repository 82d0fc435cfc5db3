#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The sync daemons when their interfaces go and come back, differential: a master (on dummy
# s0) and a backup (on dummy s1), two threads each (`sync_ports` 2: their names and the
# backup's ports are compared), run in one namespace while a NAT service has traffic; both
# interfaces are deleted under traffic and made again. Nothing breaks (no kernel report), the
# daemons stay listed and stop, a new one starts on the new interface, and `ipvsadm -Ln` and
# `-L --daemon` say the same under C ip_vs and ipvs_rs at each step.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 1
start_servers 1
ifaces() {
	local i
	for i in 0 1; do
		ip link add "s$i" type dummy
		ip addr add "10.0.8.$((i + 1))/24" dev "s$i"
		ip link set "s$i" up
	done
}
requests() { for _ in 1 2 3; do tcp_get >/dev/null; done; }
for impl in c rs; do
	use_impl $impl
	ifaces
	{
		ipvsadm -A -t $VIP:80 -s rr
		ipvsadm -a -t $VIP:80 -r 10.0.1.11 -m
		# Two threads a daemon (ports 8848 and 8849).
		sysctl -qw net.ipv4.vs.sync_ports=2
		ipvsadm --start-daemon master --mcast-interface s0 --syncid 3
		ipvsadm --start-daemon backup --mcast-interface s1 --syncid 3
		echo "== running"
		requests
		ipvsadm -L -n --daemon
		ps -eo comm | grep '^ipvs-[mb]:' | sed 's/:[0-9]*:/:G:/' | sort
		ss -lunH | awk '$4 ~ /:884[89]$/ {print "listening", $4}' | sort
		echo "== interfaces deleted"
		ip link del s0
		ip link del s1
		requests
		# (A message waits up to 2 s before the master sends it, and fails.)
		sleep 3
		ipvsadm -L -n --daemon
		echo "== interfaces back"
		ifaces
		requests
		ipvsadm -L -n --daemon
		ipvsadm --start-daemon master --mcast-interface s0 2>&1 || true
		ipvsadm --stop-daemon master
		ipvsadm --stop-daemon backup
		ipvsadm -L -n --daemon
		echo "== a new master on the new interface"
		ipvsadm --start-daemon master --mcast-interface s0 --syncid 4
		requests
		ipvsadm -L -n --daemon
		ipvsadm --stop-daemon master
		ipvsadm -Ln
	} >"$out/$impl" 2>&1
	ip link del s0
	ip link del s1
	unload_ipvs
done
show_both "$out"
grep -q '^master sync daemon (mcast=s0, syncid=4' "$out/rs" ||
	fail "ipvs_rs: no master started on the re-created interface"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
