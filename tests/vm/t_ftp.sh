#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The FTP helper through a NAT director, differential (C ip_vs with ip_vs_ftp): two FTP
# sessions (python's ftplib) to a NAT service on port 21 with two pyftpdlib real servers, each
# fetching a file four times, and one IPv6 session (EPRT and EPSV only: PORT and PASV are IPv4's).
# - Active mode, after PORT and after EPRT: the real server connects from its port 20 to the
#   client's announced port; that connection leaves from the VIP (the client sees it from
#   10.0.0.100:20) because the helper made it from the client's command.
# - Passive mode, after PASV and after EPSV: the real server's answer names its own address
#   (10.0.1.1x) and port 40000; the helper rewrites PASV's to the VIP (a longer answer: the
#   rest of the session's sequence numbers move, conntrack's seqadj carries that, or the
#   session breaks), and makes the connection the client then opens to the VIP's port 40000
#   before the client's port is known.
# Under C and ipvs_rs alike: the transfers complete with every byte, passive ones at the VIP,
# `ipvsadm -Lnc` lists the same control and data connections in the same states (the client's
# ports left out), `/proc/net/ip_vs_app` the same helper line and count, `-Ln --stats` the
# same connection counts. Then the `ports` parameter: the helper on port 2121 instead.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
add_v6 2
mkdir -p "$out/pub"
head -c 300000 /dev/urandom >"$out/pub/f"
for i in 1 2; do
	for a in 0.0.0.0 "fd00:1::1$i"; do
		ip netns exec "rs$i" python3 "$REPO/tests/vm/ftpd.py" "rs$i" "$out/pub" "$a" >/dev/null 2>&1 &
	done
done
for i in 1 2; do
	for _ in $(seq 100); do
		[ "$(ip netns exec "rs$i" ss -tlnH 'sport = :21' | wc -l)" = 2 ] && break
		sleep 0.1
	done
done
# syn_counters: counters of the SYNs from port 20 the client gets (from anywhere, from the
# VIP, from VIP6), made afresh.
syn_counters() {
	ip netns exec cl nft delete table inet t 2>/dev/null || true
	ip netns exec cl nft -f - <<-'EOF2'
		table inet t {
			chain in {
				type filter hook input priority 0;
				tcp flags & (syn | ack) == syn tcp sport 20 counter
				tcp flags & (syn | ack) == syn tcp sport 20 ip saddr 10.0.0.100 counter
				tcp flags & (syn | ack) == syn tcp sport 20 ip6 saddr fd00::100 counter
			}
		}
	EOF2
}
ftpget() { ip netns exec cl python3 "$REPO/tests/vm/ftpget.py" "$@"; }
# The connections, without expiry times and the client's ports.
conns() { ipvsadm -Lnc | awk 'NR > 2 {sub(/:[0-9]+$/, "", $4); print $1, $3, $4, $5, $6}' | sort; }
for impl in c rs; do
	use_impl $impl
	[ $impl = c ] && modprobe ip_vs_ftp
	syn_counters
	ipvsadm -A -t $VIP:21 -s rr
	ipvsadm -A -t "[$VIP6]:21" -s rr
	for i in 1 2; do
		ipvsadm -a -t $VIP:21 -r 10.0.1.1$i -m
		ipvsadm -a -t "[$VIP6]:21" -r "[fd00:1::1$i]:21" -m
	done
	# The rewritten answers' TCP checksums as the client gets them (ipvs_rs computes them whole;
	# C's may be left to offload, which on a veth looks wrong: only ipvs_rs's are checked).
	ip netns exec cl python3 "$REPO/tests/vm/tcpcsum.py" eth0 120 "227 " "229 " >"$out/$impl.csum" &
	csum_pid=$!
	for _ in $(seq 50); do grep -q ready "$out/$impl.csum" && break; sleep 0.1; done
	{
		ftpget $VIP f
		ftpget $VIP f
		ftpget $VIP6 f
	} >"$out/$impl.sessions"
	kill $csum_pid
	wait $csum_pid 2>/dev/null || true
	# The connections once their last packets have passed: every one in TIME_WAIT (up to 5 s;
	# the last data connection's closing ACK may still be on its way).
	for _ in $(seq 50); do
		[ -z "$(ipvsadm -Lnc | awk 'NR > 2 && $3 != "TIME_WAIT"')" ] && break
		sleep 0.1
	done
	conns >"$out/$impl.conns"
	cat /proc/net/ip_vs_app >"$out/$impl.app"
	# SYNs from port 20: from anywhere, from the VIP, from VIP6.
	ip netns exec cl nft list chain inet t in | grep -o 'packets [0-9]*' | awk '{print $2}' |
		tr '\n' ' ' >"$out/$impl.syns"
	# Connections counted (packet counts of bulk TCP vary with ACK timing).
	settled_stats | awk '{print $1, $2, $3}' >"$out/$impl.stats"
	# C's connections hold ip_vs_ftp while they live (TIME_WAIT: 2 minutes): with
	# expire_nodest_conn they go with their real servers, so that it can be unloaded.
	sysctl -qw net.ipv4.vs.expire_nodest_conn=1
	ipvsadm -C
	for _ in $(seq 50); do
		[ -z "$(ipvsadm -Lnc | tail -n +3)" ] && break
		sleep 0.1
	done
done
echo "ipvs_rs sessions:"
cat "$out/rs.sessions"
cat "$out/rs.conns" "$out/rs.app" "$out/rs.syns" "$out/rs.stats"
[ "$(grep -c ' 300000$' "$out/rs.sessions")" = 10 ] || fail "ipvs_rs: not every transfer completed"
[ "$(grep -c '^PASV 10.0.0.100 300000$' "$out/rs.sessions")" = 2 ] ||
	fail "ipvs_rs: PASV answers not rewritten to the VIP"
grep -v ready "$out/rs.csum"
[ "$(grep -c '^22[79]  *correct$' "$out/rs.csum")" = 5 ] && [ "$(grep -vc ready "$out/rs.csum")" = 5 ] ||
	fail "ipvs_rs: the rewritten answers' checksums"
[ "$(cat "$out/rs.syns")" = "5 4 1 " ] || fail "ipvs_rs: SYNs from port 20 (all, from the VIP, from VIP6): $(cat "$out/rs.syns")"
for f in sessions conns app syns stats; do
	diff -u "$out/c.$f" "$out/rs.$f" || fail "$f differ from C's"
done

# ports=2121: the helper there, none on 21.
unload_ipvs
pkill -f 'tests/vm/ftpd.py' || true
use_impl rs ports=2121
grep -q '^TCP  2121 ' /proc/net/ip_vs_app || fail "ports=2121: $(cat /proc/net/ip_vs_app)"
grep -q '^TCP  21 ' /proc/net/ip_vs_app && fail "ports=2121: still on 21"
[ "$(cat /sys/module/ipvs_rs/parameters/ports)" = 2121 ] || fail "ports parameter: $(cat /sys/module/ipvs_rs/parameters/ports)"
rm -rf "$out"
