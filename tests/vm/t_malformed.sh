#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Malformed packets at a NAT service (tests/vm/pktfuzz.py cases: truncated TCP/UDP/SCTP headers,
# bad data offsets, UDP lengths and checksums, IP and TCP options, odd flag combinations, SCTP
# packets without chunks, with bad CRCs, chunk lengths, ABORTs), one
# source port each: the connections they leave (`ipvsadm -Lcn`) and the service's counters are
# the same under C ip_vs and ipvs_rs. Then FUZZ_COUNT (default 2000) random packets (any
# protocol, bad lengths, header lengths, options, fragments, checksums) at NAT, DR and TUN
# services of ipvs_rs, and as many IPv6 ones (extension headers, fragments, bad payload
# lengths, ICMPv6 errors) at IPv6 NAT, DR and TUN services: both families keep balancing and
# the module unloads cleanly (the VM harness fails the run on any kernel report).
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
add_v6 2
# Servers of both families (an IPv6 socket on :: takes IPv4 too).
for i in 1 2; do serve_bg "rs$i" --bind :: 80 "rs$i"; done
serve_wait
fuzz() { ip netns exec cl env ${DMAC:+DMAC=$DMAC} python3 "$REPO/tests/vm/pktfuzz.py" "$@"; }
for impl in c rs; do
	use_impl $impl
	ipvsadm -A -t $VIP:80 -s rr
	ipvsadm -a -t $VIP:80 -r 10.0.1.11:80 -m
	ipvsadm -A -u $VIP:80 -s rr
	ipvsadm -a -u $VIP:80 -r 10.0.1.11:80 -m
	ipvsadm -A --sctp-service $VIP:80 -s rr
	ipvsadm -a --sctp-service $VIP:80 -r 10.0.1.11:80 -m
	fuzz cases $VIP 80 >"$out/cases"
	# Each connection as "case-name protocol state" (expiry times left out), before SCTP's
	# INIT1 (4 s) expire.
	ipvsadm -Lcn | awk 'NR > 2 {split($4, a, ":"); print a[2], $1, $3}' | sort >"$out/conns"
	join "$out/cases" "$out/conns" | awk '{print $2, $3, $4}' >"$out/$impl.conns"
	settled_stats >"$out/$impl.stats"
	ipvsadm -C
done
cat "$out/rs.conns"
[ -s "$out/rs.conns" ] || fail "no connection listed"
cat "$out/rs.stats"
diff -u "$out/c.conns" "$out/rs.conns" || fail "connections left by malformed packets differ from C's"
diff -u "$out/c.stats" "$out/rs.stats" || fail "counters after malformed packets differ from C's"

ipvsadm -A -t $VIP:80 -s rr
ipvsadm -a -t $VIP:80 -r 10.0.1.11:80 -m
ipvsadm -a -t $VIP:80 -r 10.0.1.12:80 -m
ipvsadm -A -u $VIP:80 -s rr
ipvsadm -a -u $VIP:80 -r 10.0.1.11:80 -m
ipvsadm -A -t $VIP:81 -s rr
ipvsadm -a -t $VIP:81 -r 10.0.1.12:81 -g
ipvsadm -A -u $VIP:81 -s rr
ipvsadm -a -u $VIP:81 -r 10.0.1.12:81 -g
ipvsadm -A -t $VIP:82 -s rr
ipvsadm -a -t $VIP:82 -r 10.0.1.12:82 -i
ipvsadm -A -u $VIP:83 -s rr
ipvsadm -a -u $VIP:83 -r 10.0.1.11:83 -i
ipvsadm -A --sctp-service $VIP:80 -s rr
ipvsadm -a --sctp-service $VIP:80 -r 10.0.1.11:80 -m
ipvsadm -A --sctp-service $VIP:81 -s rr
ipvsadm -a --sctp-service $VIP:81 -r 10.0.1.12:81 -g
ipvsadm -A --sctp-service $VIP:82 -s rr
ipvsadm -a --sctp-service $VIP:82 -r 10.0.1.12:82 -i
DMAC=$(cat /sys/class/net/vcl/address) fuzz random $VIP "${FUZZ_COUNT:-2000}" "${FUZZ_SEED:-1}"
# IPv6 beside it: NAT, DR and TUN services for an IPv6 VIP, which go on balancing.
ipvsadm -A -t [fd00::100]:80 -s rr
ipvsadm -a -t [fd00::100]:80 -r [fd00:1::11]:80 -m
ipvsadm -a -t [fd00::100]:80 -r [fd00:1::12]:80 -m
ipvsadm -A -u [fd00::100]:81 -s rr
ipvsadm -a -u [fd00::100]:81 -r [fd00:1::12]:81 -g
ipvsadm -A -t [fd00::100]:82 -s rr
ipvsadm -a -t [fd00::100]:82 -r [fd00:1::12]:82 -i
DMAC=$(cat /sys/class/net/vcl/address) fuzz random6 fd00::100 "${FUZZ_COUNT:-2000}" "${FUZZ_SEED:-1}"
ipvsadm -Ln --stats
a=$(tcp_get)
b=$(tcp_get)
echo "after the fuzz: $a $b"
[ "$(printf '%s\n' "$a" "$b" | sort | tr '\n' ' ')" = "rs1 rs2 " ] || fail "not balanced after the fuzz: $a $b"
a=$(tcp6_get)
b=$(tcp6_get)
echo "IPv6 after the fuzz: $a $b"
[ "$(printf '%s\n' "$a" "$b" | sort | tr '\n' ' ')" = "rs1 rs2 " ] || fail "IPv6 not balanced after the fuzz: $a $b"
ipvsadm -C
rmmod ipvs_rs || fail "rmmod after the fuzz"
rm -rf "$out"
