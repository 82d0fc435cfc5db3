#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Connection reuse (conn_reuse_mode 1): a client that reuses its source port opens a new
# connection while the old one is in TIME_WAIT in the table; it is scheduled afresh (rr moves
# on), the same under C ip_vs and ipvs_rs. Bit 2 of the mode: a DR connection that has seen no
# reply (the real servers' answers take another path; here they are never sent) is in
# FIN_WAIT after the client's FIN; a new SYN on its port stays on its real server with mode 1
# and is scheduled afresh with mode 3, as C.
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
	# The real servers do not have the VIP: what DR hands them is dropped, unanswered.
	sport=42000
	for mode in 1 3; do
		sysctl -qw net.ipv4.vs.conn_reuse_mode=$mode
		ipvsadm -A -t $VIP:81 -s rr
		ipvsadm -a -t $VIP:81 -r 10.0.1.11 -g
		ipvsadm -a -t $VIP:81 -r 10.0.1.12 -g
		sport=$((sport + 1))
		ip netns exec cl python3 "$REPO/tests/vm/tcpsegs.py" 10.0.0.2 $sport $VIP 81 S A FA
		first=$(ipvsadm -Lcn | awk -v c="10.0.0.2:$sport" '$4 == c {print $3, $6}')
		ip netns exec cl python3 "$REPO/tests/vm/tcpsegs.py" 10.0.0.2 $sport $VIP 81 S
		echo "mode $mode: $first, then $(ipvsadm -Lcn | awk -v c="10.0.0.2:$sport" '$3 == "SYN_RECV" && $4 == c {print $3, $6}')"
		ipvsadm -C
	done >>"$out/$impl"
	sysctl -qw net.ipv4.vs.conn_reuse_mode=1
	sleep 1
done
paste "$out/c" "$out/rs"
cat "$out/rs.conns"
[ "$(head -n 5 "$out/rs" | tr '\n' ' ')" = "rs2 rs1 rs2 rs1 rs2 " ] || fail "port reuse not rescheduled"
grep -Eq '^mode 1: FIN_WAIT (10.0.1.1[12]:[0-9]+), then SYN_RECV \1$' "$out/rs" ||
	fail "conn_reuse_mode 1 rescheduled a DR connection in FIN_WAIT"
grep -Eq '^mode 3: FIN_WAIT 10.0.1.11:[0-9]+, then SYN_RECV 10.0.1.12:|^mode 3: FIN_WAIT 10.0.1.12:[0-9]+, then SYN_RECV 10.0.1.11:' "$out/rs" ||
	fail "conn_reuse_mode 3 did not reschedule a DR connection in FIN_WAIT"
diff -u "$out/c" "$out/rs"
diff -u "$out/c.conns" "$out/rs.conns"
rm -rf "$out"
