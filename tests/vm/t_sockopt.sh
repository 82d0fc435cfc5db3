#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The legacy socket options (IP_VS_SO_SET_* / IP_VS_SO_GET_*, what ipvsadm and keepalived use
# when built without libnl), differential: tests/vm/sockopt.py runs every SET and GET option
# with good and malformed arguments (lengths, option numbers, protocols, schedulers, missing
# and duplicate services and destinations, zeroing, timeouts, daemons, the IPv4-only listings)
# on a freshly loaded module, then as an unprivileged caller (EPERM for everything); the
# results, and the configuration ipvsadm (through genl) lists afterwards, are the same under
# C ip_vs and ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
for impl in c rs; do
	use_impl $impl
	{
		python3 "$REPO/tests/vm/sockopt.py"
		python3 "$REPO/tests/vm/sockopt.py" --unpriv
		ipvsadm -Ln
	} >"$out/$impl" 2>&1
	unload_ipvs
done
cat "$out/rs"
diff -u "$out/c" "$out/rs" || fail "ipvs_rs answers the socket options differently from C ip_vs"
grep -c ': ok' "$out/rs" | sed 's/^/options answered ok: /'
grep -q '^TCP  192.168.10.1:80 wlc$' "$out/rs" || fail "the configuration made by socket options is not listed"
grep -q '^add: EPERM\|: EPERM$' "$out/rs" || fail "the unprivileged run was not refused"
rm -rf "$out"
