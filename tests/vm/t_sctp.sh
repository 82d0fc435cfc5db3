#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# SCTP through NAT (-m) and direct routing (-g) (IP-in-IP sends what DR would, inside a header:
# SCTP_ALL=1 adds it), differential: the kernel's SCTP
# on client and real servers (tests/vm/sctp.py), two short associations and one held open.
# Under C ip_vs and ipvs_rs alike: the same real servers answer, in the same order (rr), the
# real servers see the VIP (DR, TUN) or their own address (NAT) as the association's local
# one; `ipvsadm -Lnc` shows the same connections in the same states while the held association
# is open (ESTABLISHED), and (NAT) once it has shut down (CLOSED); `-Ln` the same
# active/inactive counts. (NAT rewrites the port-changed packets'
# CRC32c: the real servers' SCTP drops packets with a bad one, so no association completes
# without it.) Then with `sloppy_sctp`, the connections that packets other than INIT make
# (pktfuzz.py's SCTP cases: DATA, ABORT, COOKIE ECHO + ABORT, bad CRC, short headers) are C's;
# t_malformed.sh has the same cases without it. Last, IPv6 NAT: the same, to fd00::100.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
add_v6 2
dr_tun_real_servers 2
modprobe sctp
for i in 1 2; do
	ip netns exec "rs$i" python3 "$REPO/tests/vm/sctp.py" serve 80 "rs$i" &
done
for i in 1 2; do wait_listen "rs$i" -S 80; done
sget() { ip netns exec cl python3 "$REPO/tests/vm/sctp.py" get "$@" "${V:-$VIP}" 80; }
# fmt_rs ADDR: real server ADDR, port 80, as -r takes it.
fmt_rs() { case $1 in *:*) echo "[$1]:80" ;; *) echo "$1:80" ;; esac; }
# The connections, without expiry times and the client's (ephemeral) ports.
conns() { ipvsadm -Lnc | awk 'NR > 2 {sub(/:[0-9]+$/, "", $4); print $1, $3, $4, $5, $6}' | sort; }
# wait_state PORT STATE [TENTHS]: until the client port PORT's connection is in STATE (up to 10
# s, or TENTHS tenths of a second).
wait_state() {
	for _ in $(seq "${3:-100}"); do
		ipvsadm -Lnc | awk -v p=":$1" -v s="$2" 'index($4, p) && $3 == s {f = 1} END {exit !f}' && return 0
		sleep 0.1
	done
	echo "no connection from port $1 in state $2" >>"$out/$m.$impl.waits"
}
for m in m g ${SCTP_ALL:+i} m6; do
	case $m in
	m6) V=$VIP6 svc=[$VIP6]:80 rs=fd00:1::1 fwd=m ;;
	*) V=$VIP svc=$VIP:80 rs=10.0.1.1 fwd=$m ;;
	esac
	for impl in c rs; do
		use_impl $impl
		: >"$out/$m.$impl.waits"
		ipvsadm -A --sctp-service "$svc" -s rr
		for i in 1 2; do ipvsadm -a --sctp-service "$svc" -r "$(fmt_rs "$rs$i")" -$fwd; done
		for _ in 1 2; do sget; done >"$out/$m.$impl.answers" 2>&1
		rm -f "$out/release"
		sget --until "$out/release" --from 5000 >"$out/$m.$impl.held" 2>&1 &
		wait_state 5000 ESTABLISHED
		conns >"$out/$m.$impl.open"
		ipvsadm -Ln >"$out/$m.$impl.list"
		touch "$out/release"
		wait $!
		# NAT sees the whole shutdown. DR/TUN see the client's side: its SHUTDOWN, and its
		# SHUTDOWN COMPLETE only if sent to the VIP (not to another address the real server's
		# INIT ACK listed): CLOSED or S-RECEIVED, by timing; not compared.
		case $m in
		m*) wait_state 5000 CLOSED ;;
		*) wait_state 5000 CLOSED 30 && : >"$out/$m.$impl.waits" ;;
		esac
		conns >"$out/$m.$impl.closed"
		ipvsadm -C
	done
	r=$out/$m.rs
	echo "-$m: ipvs_rs answers: $(tr '\n' ';' <"$r.answers") held: $(cat "$r.held")"
	cat "$r.open" "$r.list" "$r.closed"
	cat "$out/$m.c.waits" "$r.waits"
	grep -q none "$r.answers" "$r.held" && fail "-$m: ipvs_rs: an association was not answered"
	[ "$(awk '{print $1}' "$r.answers" | sort | tr '\n' ' ')" = "rs1 rs2 " ] ||
		fail "-$m: ipvs_rs: rr did not spread 2 associations"
	[ -s "$r.waits" ] && fail "-$m: ipvs_rs: $(cat "$r.waits")"
	for f in answers held open list waits $([ "${m#m}" = "$m" ] || echo closed); do
		diff -u "$out/$m.c.$f" "$r.$f" || fail "-$m: $f differ from C's"
	done
done

fuzz() { ip netns exec cl python3 "$REPO/tests/vm/pktfuzz.py" "$@"; }
V=$VIP
for impl in c rs; do
	use_impl $impl
	sysctl -qw net.ipv4.vs.sloppy_sctp=1
	ipvsadm -A --sctp-service $VIP:80 -s rr
	ipvsadm -a --sctp-service $VIP:80 -r 10.0.1.11:80 -m
	fuzz cases $VIP 80 | grep sctp >"$out/cases"
	ipvsadm -Lcn | awk 'NR > 2 {split($4, a, ":"); print a[2], $1, $3}' | sort >"$out/lcn"
	join "$out/cases" "$out/lcn" | awk '{print $2, $3, $4}' >"$out/sloppy.$impl"
	sysctl -qw net.ipv4.vs.sloppy_sctp=0
	ipvsadm -C
done
echo "sloppy_sctp=1: connections made by the SCTP cases (ipvs_rs):"
cat "$out/sloppy.rs"
diff -u "$out/sloppy.c" "$out/sloppy.rs" || fail "sloppy_sctp: connections differ from C's"
grep -q "^sctp-data-no-conn SCTP" "$out/sloppy.rs" || fail "sloppy_sctp: DATA made no connection"
rm -rf "$out"
