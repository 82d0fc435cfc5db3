#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The walking skeleton, differential: the same ipvsadm configuration (rr, two NAT real servers)
# and 10 TCP connections from a client netns, once on C ip_vs and once on ipvs_rs. ipvs_rs's
# answers must alternate between the servers, and ipvsadm -Ln must print the same text for both
# implementations, before and after the traffic, and so must --stats, -S, -Z and -C.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
start_servers 2
for impl in c rs; do
	use_impl $impl
	ipvsadm -A -t $VIP:80 -s rr
	ipvsadm -a -t $VIP:80 -r 10.0.1.11:80 -m
	ipvsadm -a -t $VIP:80 -r 10.0.1.12:80 -m
	ipvsadm -Ln >"$out/$impl.config"
	for _ in $(seq 10); do tcp_get; done >"$out/$impl.answers"
	settle_counters
	ipvsadm -Ln >"$out/$impl.after"
	ipvsadm -Ln --stats --exact >"$out/$impl.stats"
	ipvsadm -S -n >"$out/$impl.save"
	ipvsadm -Z
	ipvsadm -Ln --stats --exact >"$out/$impl.zeroed"
	ipvsadm -C
	ipvsadm -Ln >"$out/$impl.flushed"
done
echo "ipvs_rs answers: $(tr '\n' ' ' <"$out/rs.answers")"
cat "$out/rs.after"
[ "$(wc -l <"$out/rs.answers")" = 10 ] || fail "ipvs_rs answered $(wc -l <"$out/rs.answers") of 10"
[ "$(sort "$out/rs.answers" | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "5 5 " ] || fail "not balanced"
! uniq -d "$out/rs.answers" | grep -q . || fail "answers do not alternate"
diff -u "$out/c.answers" "$out/rs.answers"
diff -u "$out/c.config" "$out/rs.config"
diff -u "$out/c.after" "$out/rs.after"
for f in stats save zeroed flushed; do diff -u "$out/c.$f" "$out/rs.$f"; done
rm -rf "$out"
