#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Control plane at scale, differential: 10,000 TCP services with 4 NAT real servers each are
# restored with `ipvsadm -R` and listed with `ipvsadm -Ln` and `-S`, under C ip_vs and ipvs_rs;
# the listings are complete and identical (as sorted text: the kernel's listing order is its
# hash order). Times are printed for the record, never asserted.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
N=${SCALE_SERVICES:-$([ -n "${IPVS_DEBUG_KERNEL:-}" ] && echo 1000 || echo 10000)}
scale_restore "$N" >"$out/restore"
secs() { date +%s.%N; }
for impl in c rs; do
	use_impl $impl
	t0=$(secs)
	ipvsadm -R <"$out/restore"
	t1=$(secs)
	ipvsadm -Ln >"$out/$impl.list"
	t2=$(secs)
	ipvsadm -S -n >"$out/$impl.save"
	t3=$(secs)
	ipvsadm -C
	t4=$(secs)
	echo "$impl: restore $(echo "$t1 - $t0" | bc) s, list $(echo "$t2 - $t1" | bc) s, save $(echo "$t3 - $t2" | bc) s, clear $(echo "$t4 - $t3" | bc) s"
	[ "$(grep -c '^TCP ' "$out/$impl.list")" = "$N" ] || fail "$impl: -Ln lists $(grep -c '^TCP ' "$out/$impl.list") services"
	[ "$(grep -c ' -> 10.200.0.' "$out/$impl.list")" = $((4 * N)) ] || fail "$impl: -Ln lists the wrong number of real servers"
	[ "$(ipvsadm -Ln | grep -c '^TCP ')" = 0 ] || fail "$impl: -C left services"
done
# The save is the restore input in ipvsadm's own spelling; same set of lines for both.
sort "$out/c.save" >"$out/c.sorted"
sort "$out/rs.save" >"$out/rs.sorted"
diff -u "$out/c.sorted" "$out/rs.sorted" | head -20
cmp -s "$out/c.sorted" "$out/rs.sorted" || fail "ipvsadm -S differs (sorted)"
[ "$(wc -l <"$out/rs.save")" = $((5 * N)) ] || fail "ipvsadm -S has $(wc -l <"$out/rs.save") lines"
# -Ln groups real servers under their service: compare per-service blocks, sorted.
block() { awk '/^TCP /{if (b) print b; b = $0; next} / -> /{b = b "|" $0} END {print b}' "$1" | sort; }
cmp -s <(block "$out/c.list") <(block "$out/rs.list") || fail "ipvsadm -Ln differs (sorted by service)"
rm -rf "$out"
