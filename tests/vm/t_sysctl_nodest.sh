#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Differential against C ip_vs:
# - the lblc/lblcr sysctls: net.ipv4.vs.lblc_expiration and lblcr_expiration exist once the
#   schedulers are in use, default to a day, can be set, and are per network namespace;
# - a new connection that finds no available real server is refused with ICMP port
#   unreachable (the client sees "Connection refused" at once, not a timeout).
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 1
start_servers 1
for impl in c rs; do
	use_impl $impl
	{
		ipvsadm -A -t $VIP:80 -s lblc
		ipvsadm -A -t $VIP:81 -s lblcr
		sysctl net.ipv4.vs.lblc_expiration net.ipv4.vs.lblcr_expiration
		sysctl -w net.ipv4.vs.lblc_expiration=60 net.ipv4.vs.lblcr_expiration=120
		sysctl net.ipv4.vs.lblc_expiration net.ipv4.vs.lblcr_expiration
		ip netns add sysctl-ns
		ip netns exec sysctl-ns sysctl net.ipv4.vs.lblc_expiration net.ipv4.vs.lblcr_expiration
		ip netns del sysctl-ns
		sysctl -qw net.ipv4.vs.lblc_expiration=86400 net.ipv4.vs.lblcr_expiration=86400
		# The only real server is quiesced: no destination for a new connection.
		ipvsadm -a -t $VIP:80 -r 10.0.1.11:80 -m -w 0
		t0=$SECONDS
		ip netns exec cl socat -T10 - "TCP:$VIP:80,connect-timeout=10" </dev/null 2>&1 | grep -o 'Connection refused\|Connection timed out' || true
		[ $((SECONDS - t0)) -lt 5 ] && echo "refused within 5 s"
		ipvsadm -C
	} >"$out/$impl" 2>&1
done
cat "$out/rs"
grep -q 'Connection refused' "$out/rs" || fail "ipvs_rs: no port unreachable for a connection without real server"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
