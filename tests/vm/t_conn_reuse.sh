#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Connection reuse (conn_reuse_mode 1): a client that reuses its source port opens a new
# connection while the old one is in TIME_WAIT in the table; it is scheduled afresh (rr moves
# on), the same under C ip_vs and ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
start_servers 2
get_from() { ip netns exec cl socat -T10 - "TCP:$VIP:80,sourceport=$1,reuseaddr,connect-timeout=10" </dev/null || echo none; }
for impl in c rs; do
	use_impl $impl
	ipvsadm -A -t $VIP:80 -s rr
	ipvsadm -a -t $VIP:80 -r 10.0.1.11:80 -m
	ipvsadm -a -t $VIP:80 -r 10.0.1.12:80 -m
	for p in 41000 41000 41000 41001 41001; do get_from $p; sleep 0.3; done >"$out/$impl"
	ipvsadm -Lcn | awk 'NR > 2 {print $1, $3, $4, $6}' | sort >"$out/$impl.conns"
	ipvsadm -C
	sleep 1
done
paste "$out/c" "$out/rs"
cat "$out/rs.conns"
[ "$(tr '\n' ' ' <"$out/rs")" = "rs2 rs1 rs2 rs1 rs2 " ] || fail "port reuse not rescheduled"
diff -u "$out/c" "$out/rs"
diff -u "$out/c.conns" "$out/rs.conns"
rm -rf "$out"
