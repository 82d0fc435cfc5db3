#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ipvsadm --set: after `--set 5 5 5`, an idle ESTABLISHED TCP connection and a UDP flow expire
# from the connection table after 5 s, the same under C ip_vs and ipvs_rs (listed 2 s and 8 s
# after the traffic; expiry within a second). On the debug kernel, where starting the client
# and listing take seconds, 20 s (listed 2 s and 23 s after).
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 1
start_servers 1
serve_bg rs1 --tcp-only --echo 81 echo
serve_wait
t=5
[ -z "${IPVS_DEBUG_KERNEL:-}" ] || t=20
# state and seconds left of each entry, sorted
entries() { ipvsadm -Lcn | awk 'NR > 2 {split($2, t, ":"); print $1, $3, t[1] * 60 + t[2]}' | sort; }
for impl in c rs; do
	use_impl $impl
	ipvsadm --set $t $t $t
	ipvsadm -L -n --timeout >"$out/$impl.timeout"
	ipvsadm -A -t $VIP:81 -s rr
	ipvsadm -a -t $VIP:81 -r 10.0.1.11:81 -m
	ipvsadm -A -u $VIP:80 -s rr
	ipvsadm -a -u $VIP:80 -r 10.0.1.11:80 -m
	(echo hello; sleep $((t + 7))) | ip netns exec cl socat -T$((t + 15)) - TCP:$VIP:81 >"$out/$impl.echo" &
	client=$!
	udp_get >/dev/null
	sleep 2
	entries >"$out/$impl.t2"
	sleep $((t + 1))
	entries >"$out/$impl.t8"
	kill $client 2>/dev/null || true
	wait $client 2>/dev/null || true
	ipvsadm -C
	ipvsadm --set 900 120 300
done
pkill -f 'LISTEN:81' || true
echo "ipvs_rs at 2 s:"; cat "$out/rs.t2"
echo "ipvs_rs at $((t + 3)) s:"; cat "$out/rs.t8"
grep -q hello "$out/rs.echo" || fail "echo through NAT failed"
diff -u "$out/c.timeout" "$out/rs.timeout"
grep -qx "Timeout (tcp tcpfin udp): $t $t $t" "$out/rs.timeout" || fail "timeouts not set"
[ "$(awk '{print $1, $2}' "$out/rs.t2")" = "$(printf 'TCP ESTABLISHED\nUDP UDP')" ] || fail "entries at 2 s"
diff -u <(awk '{print $1, $2}' "$out/c.t2") <(awk '{print $1, $2}' "$out/rs.t2")
paste "$out/c.t2" "$out/rs.t2" | awk '{d = $3 - $6; if (d < -1 || d > 1) {print "expiry differs:", $0; bad = 1}} END {exit bad}'
[ ! -s "$out/rs.t8" ] || fail "entries left after the $t s timeout"
diff -u "$out/c.t8" "$out/rs.t8"
rm -rf "$out"
