#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# IPv6 end to end, differential (the same script under C ip_vs and ipvs_rs, outputs diffed):
# client fd00::2 -> director (VIP6 fd00::100) -> two real servers fd00:1::11/12.
# - NAT (-m), TCP and UDP, rr: every request answered, alternating; `ipvsadm -Ln --stats`,
#   `-Lnc` and /proc/net/ip_vs_conn (client ports and expiry masked) the same as C's.
# - ICMPv6 from a NAT real server (no socket on the port): the client's socket gets "port
#   unreachable" (type 1 code 4) about its own datagram, from the VIP, checksum valid (the
#   kernel matched it to the socket).
# - ICMPv6 from the client about a reply: reaches the NAT real server translated (embedding
#   real server -> client, valid checksum).
# - nat_icmp_send: a NAT real server's stray datagram gets "port unreachable".
# - Hop limit 1: "time exceeded" (type 3) from the director, nothing forwarded.
# - A narrower link behind the director (MTU 1400): a 1452-byte datagram gets "packet too big"
#   with MTU 1400.
# - Direct routing (-g), TCP and UDP: the real servers get the requests addressed to VIP6 and
#   answer the client directly.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
add_v6 2
for i in 1 2; do
	ip -n "rs$i" addr add $VIP6/128 dev lo
	serve_bg "rs$i" --bind :: 80 "rs$i"
	# Direct routing (port 8080): TCP names the address it was reached at; UDP is bound to
	# the VIP, so that its answers leave from it.
	serve_bg "rs$i" --tcp-only --bind :: --local 8080 "rs$i"
	serve_bg "rs$i" --udp-only --bind $VIP6 --local 8080 "rs$i"
done
serve_wait
# Masks what differs between two runs: client ports and expiry times.
mask_conns() { sed -E 's/\]:[0-9]+ +/]:CPORT /; s/ +[0-9]{2}:[0-9]{2} +/ EXP /' | sort; }
mask_proc() { awk 'NR == 1 {print; next} {$3 = "CPORT"; $9 = "EXP"; print}' | sort; }
check6() { ip netns exec cl python3 "$REPO/tests/vm/icmp6check.py" "$@"; }
for impl in c rs; do
	use_impl $impl
	r=$out/$impl
	ipvsadm -A -t "[$VIP6]:80" -s rr
	ipvsadm -A -u "[$VIP6]:80" -s rr
	ipvsadm -A -u "[$VIP6]:81" -s rr
	for i in 1 2; do
		ipvsadm -a -t "[$VIP6]:80" -r "[fd00:1::1$i]:80" -m
		ipvsadm -a -u "[$VIP6]:80" -r "[fd00:1::1$i]:80" -m
		ipvsadm -a -u "[$VIP6]:81" -r "[fd00:1::1$i]:81" -m
	done
	{
		for _ in 1 2 3 4; do tcp6_get || echo none; done
		for _ in 1 2 3 4; do udp6_get || echo none; done
	} >"$r.nat" 2>&1
	ipvsadm -Lnc | mask_conns >"$r.lnc"
	mask_proc </proc/net/ip_vs_conn >"$r.proc"
	check6 $VIP6 81 >"$r.icmp"
	# An error from the client about a reply: to the connection's real server, translated.
	pids=()
	for i in 1 2; do
		ip netns exec "rs$i" python3 "$REPO/tests/vm/icmp6inject.py" capture 60 "rs$i" 1 >"$out/cap$i" &
		pids+=($!)
	done
	for i in 1 2; do wait_raw_socket "rs$i"; done
	ip netns exec cl python3 "$REPO/tests/vm/icmp6inject.py" inject $VIP6 80 40080
	# One real server gets it: the other capture need not run out its time.
	wait -n "${pids[@]}" || true
	kill "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
	# C leaves that ICMPv6 checksum to offload (CHECKSUM_PARTIAL), which a veth never
	# completes: the real server's kernel trusts it, a capture reads it unfinished. ipvs_rs
	# computes it (checked below); the comparison leaves it out.
	cat "$out/cap1" "$out/cap2" >"$r.icmpin.raw"
	sed 's/ csum [a-z]*$//' "$r.icmpin.raw" >"$r.icmpin"
	check6 $VIP6 80 --hops 1 >>"$r.icmp"
	# nat_icmp_send: a NAT real server's datagram from its service port that belongs to no
	# connection gets "port unreachable" from the director.
	ipvsadm -A -u "[$VIP6]:82" -s rr
	ipvsadm -a -u "[$VIP6]:82" -r "[fd00:1::11]:82" -m
	sysctl -qw net.ipv4.vs.nat_icmp_send=1
	ip netns exec rs1 python3 "$REPO/tests/vm/icmp6inject.py" capture 60 rs1 1 >"$out/cap1" &
	pid=$!
	wait_raw_socket rs1
	ip netns exec rs1 python3 -c 'import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", 82)); s.sendto(b"stray", ("fd00::2", 40200))'
	wait $pid
	sed 's/ csum [a-z]*$//' "$out/cap1" >"$r.stray"
	sysctl -qw net.ipv4.vs.nat_icmp_send=0
	ip link set br-rs mtu 1400
	check6 $VIP6 80 --size 1452 >>"$r.icmp"
	ip link set br-rs mtu 1500
	settled_stats >"$r.stats"
	ipvsadm -C
	ipvsadm -A -t "[$VIP6]:8080" -s rr
	ipvsadm -A -u "[$VIP6]:8080" -s rr
	for i in 1 2; do
		ipvsadm -a -t "[$VIP6]:8080" -r "[fd00:1::1$i]:8080" -g
		ipvsadm -a -u "[$VIP6]:8080" -r "[fd00:1::1$i]:8080" -g
	done
	{
		for _ in 1 2 3 4; do tcp6_get 8080 || echo none; done
		for _ in 1 2; do udp6_get 8080 || echo none; done
	} >"$r.dr" 2>&1
	ipvsadm -Lnc | mask_conns >"$r.drlnc"
	settled_stats >"$r.drstats"
	ipvsadm -C
done
r=$out/rs
for f in nat icmp icmpin.raw stray dr; do echo "ipvs_rs $f:" && cat "$r.$f"; done
cat "$r.stats" "$r.lnc"
differs=''
for f in nat lnc proc icmp icmpin stray stats dr drlnc drstats; do diff -u "$out/c.$f" "$r.$f" || differs="$differs $f"; done
[ -z "$differs" ] || fail "differs from C:$differs"
grep -q none "$r.nat" && fail "NAT: ipvs_rs left a request unanswered"
[ "$(sort "$r.nat" | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" = "4rs1 4rs2 " ] || fail "NAT: not 4 requests to each server"
! uniq -d "$r.nat" | grep -q . || fail "NAT: answers do not alternate"
[ "$(grep -c "rs[12] $VIP6" "$r.dr")" = 6 ] || fail "DR: not every request answered from the VIP"
grep -q "^error type 1 code 4 info 0 from $VIP6\$" "$r.icmp" || fail "no translated port unreachable"
grep -q "^error type 3 code 0 " "$r.icmp" || fail "no time exceeded for hop limit 1"
grep -q "^error type 2 code 0 info 1400 " "$r.icmp" || fail "no packet too big with MTU 1400"
grep -Eq "^rs[12] from fd00::2 type 1 code 4 embedded \[fd00:1::1[12]\]:80 > \[fd00::2\]:40080 csum ok\$" "$r.icmpin.raw" ||
	fail "the client's ICMPv6 error did not reach the real server translated"
grep -Eq "^rs1 from .* type 1 code 4 embedded \[fd00:1::11\]:82 > \[fd00::2\]:40200\$" "$r.stray" ||
	fail "nat_icmp_send: no port unreachable to the real server"
rm -rf "$out"
