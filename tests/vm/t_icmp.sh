#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ICMP errors from NAT real servers, differential: a UDP service whose real servers have no
# socket on the port; their "port unreachable" reaches the client translated (from the
# virtual address, embedding client -> VIP:port, IP and ICMP checksums valid), so the client's
# connected socket gets ECONNREFUSED; counted as the connection's outgoing traffic. Same under
# C ip_vs and ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
for impl in c rs; do
	use_impl $impl
	ipvsadm -A -u $VIP:53 -s rr
	for i in 1 2; do ipvsadm -a -u $VIP:53 -r 10.0.1.1$i:53 -m; done
	for _ in 1 2 3 4; do
		ip netns exec cl python3 "$REPO/tests/vm/icmpcheck.py" $VIP 53
		# The real servers rate-limit their ICMP errors per destination.
		sleep 1
	done >"$out/$impl"
	ipvsadm -Ln --stats --exact >>"$out/$impl"
	unload_ipvs
done
cat "$out/rs"
diff -u "$out/c" "$out/rs" || fail "ipvs_rs differs from C ip_vs"
[ "$(grep -c "socket refused; icmp 3/3 from $VIP icmp-csum ok embedded CLIENT:CPORT -> $VIP:53 ip-csum ok" "$out/rs")" = 4 ] ||
	fail "port unreachable not translated"
