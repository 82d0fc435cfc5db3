#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Privilege and namespace isolation, differential against C ip_vs:
# - a process without CAP_NET_ADMIN gets EPERM ("Permission denied (you must be root)") for
#   listing and every change, and nothing changes; so does every IPVS genl command sent by raw
#   netlink (tests/vm/genl_unpriv.py), the dumps included;
# - each network namespace has its own services: ipvsadm in one sees only its own.
. "$(dirname "$0")/lib.sh"
out=$(mktemp -d)
# Runs a command, printing its output and exit status (differences are the point).
x() { local rc=0; "$@" 2>&1 || rc=$?; echo "rc=$rc"; }
unpriv() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all ipvsadm "$@"; }
run() {
	x ipvsadm -A -t 10.1.1.1:80 -s rr
	x ipvsadm -a -t 10.1.1.1:80 -r 10.2.2.2:80 -m
	for args in "-Ln" "-A -t 10.1.1.2:80 -s rr" "-E -t 10.1.1.1:80 -s wrr" "-D -t 10.1.1.1:80" \
		"-a -t 10.1.1.1:80 -r 10.2.2.3:80 -m" "-e -t 10.1.1.1:80 -r 10.2.2.2:80 -m -w 5" \
		"-d -t 10.1.1.1:80 -r 10.2.2.2:80" "-Z" "-C" "--set 1 2 3" "-L -n --timeout"; do
		echo "## unprivileged: ipvsadm $args"
		# shellcheck disable=SC2086
		x unpriv $args
	done
	echo "## unprivileged: every genl command by raw netlink"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		python3 "$REPO/tests/vm/genl_unpriv.py" 2>&1 | tee "$out/raw.$impl"
	echo "## after the unprivileged attempts"
	x ipvsadm -Ln
	x ipvsadm -L -n --timeout
	ip netns add iso1
	ip netns add iso2
	ip -n iso2 link set lo up
	x ip netns exec iso1 ipvsadm -A -u 10.3.3.3:53 -s rr
	x ip netns exec iso2 ipvsadm -A -t 10.4.4.4:443 -s wlc
	x ip netns exec iso2 ipvsadm -a -t 10.4.4.4:443 -r 10.5.5.5 -m
	for ns in iso1 iso2; do
		echo "## netns $ns"
		x ip netns exec $ns ipvsadm -Ln
	done
	echo "## root netns"
	x ipvsadm -Ln
	x ip netns exec iso1 ipvsadm -C
	echo "## iso2 after flushing iso1"
	x ip netns exec iso2 ipvsadm -Ln
	ip netns del iso1
	ip netns del iso2
	x ipvsadm -C
}
set -e
x setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all id
for impl in c rs; do
	use_impl $impl
	run >"$out/$impl" 2>&1
done
cat "$out/rs"
grep -c 'Permission denied (you must be root)' "$out/rs" | grep -qx 11 || fail "not every unprivileged command got EPERM"
# 17 commands, 3 of them as dumps too: 20 answers. All EPERM but those that have no handler
# of their kind, which get EOPNOTSUPP before any permission check: SET_INFO (14), and GET_DEST
# (8) and GET_DAEMON (11) as doit (they are dump-only).
[ "$(grep -c ': errno 1$' "$out/raw.rs")" = 17 ] || fail "not every raw genl command got EPERM"
[ "$(grep -c ': errno 95$' "$out/raw.rs")" = 3 ] || fail "EOPNOTSUPP other than for 8, 11 and 14"
# ipvsadm runs modprobe when init fails; its complaints differ only by our autoload block.
diff -u <(grep -v "^modprobe: " "$out/c") <(grep -v "^modprobe: " "$out/rs")
rm -rf "$out"
