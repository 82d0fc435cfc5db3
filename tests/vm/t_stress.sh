#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Stress (short form; STRESS_ROUNDS for a longer one): while TCP and UDP requests flow through a
# NAT service, its real servers, their weights and forwarding methods and the service itself
# are added, edited and deleted in a loop; then network namespaces with their own services and
# traffic are created and destroyed while ipvs_rs is loaded; and the module is unloaded with
# connections in them. No kernel report may appear (guest.sh checks dmesg), every request that
# gets an answer gets one from a real server, and the service works afterwards. With
# nat_icmp_send on, and a real server switched from NAT to DR and back each round, the
# real-server index changes under the replies' lookups. Persistence comes and goes (templates of
# removed and quiesced real servers, -E without -p, one-packet UDP), with expire_nodest_conn
# and expire_quiescent_template toggled. IPv6 requests flow through an IPv6 service churned the
# same way (sh/mh/wlc, persistence by prefix length) at the same time.
. "$(dirname "$0")/lib.sh"
set -e
ROUNDS=${STRESS_ROUNDS:-$([ -n "${IPVS_DEBUG_KERNEL:-}" ] && echo 10 || echo 16)}
nat_topology 3
add_v6 3
# Servers of both families (an IPv6 socket on :: takes IPv4 too).
for i in 1 2 3; do serve_bg "rs$i" --bind :: 80 "rs$i"; done
serve_wait
use_impl rs
# Replies that find no connection (their service was just deleted) look up the real-server
# index while it changes.
sysctl -qw net.ipv4.vs.nat_icmp_send=1
answers=$(mktemp)
(
	while :; do
		tcp_get 2>/dev/null || true
		udp_get 2>/dev/null || true
	done >"$answers"
) &
load=$!
# The same over IPv6, against an IPv6 service churned alike.
answers6=$(mktemp)
(
	while :; do
		tcp6_get 2>/dev/null || true
		udp6_get 2>/dev/null || true
	done >"$answers6"
) &
load6=$!
for r in $(seq "$ROUNDS"); do
	ipvsadm -A -t $VIP:80 -s rr 2>/dev/null || true
	ipvsadm -A -u $VIP:80 -s wlc -p 2 2>/dev/null || true
	sysctl -qw net.ipv4.vs.expire_nodest_conn=$((r % 2)) net.ipv4.vs.expire_quiescent_template=$((r / 2 % 2))
	for i in 1 2 3; do
		ipvsadm -a -t $VIP:80 -r 10.0.1.1$i:80 -m -w $((r % 4 + 1)) 2>/dev/null || true
		ipvsadm -a -u $VIP:80 -r 10.0.1.1$i:80 -m 2>/dev/null || true
	done
	ipvsadm -e -t $VIP:80 -r 10.0.1.12:80 -m -w 0
	ipvsadm -E -t $VIP:80 -s $([ $((r % 2)) = 0 ] && echo 'wrr -p 3 -M 255.255.255.0' || echo lc)
	ipvsadm -E -u $VIP:80 -s wlc -p 2 $([ $((r % 3)) = 0 ] && echo -o)
	ipvsadm -d -t $VIP:80 -r 10.0.1.1$((r % 3 + 1)):80
	ipvsadm -e -u $VIP:80 -r 10.0.1.11:80 -g -w 2
	ipvsadm -e -u $VIP:80 -r 10.0.1.11:80 -m -w 3
	ipvsadm -d -u $VIP:80 -r 10.0.1.13:80
	ipvsadm -A -t "[$VIP6]:80" -s sh 2>/dev/null || true
	ipvsadm -A -u "[$VIP6]:80" -s rr -p 2 -M 64 2>/dev/null || true
	for i in 1 2 3; do
		ipvsadm -a -t "[$VIP6]:80" -r "[fd00:1::1$i]:80" -m -w $((r % 4 + 1)) 2>/dev/null || true
		ipvsadm -a -u "[$VIP6]:80" -r "[fd00:1::1$i]:80" -m 2>/dev/null || true
	done
	ipvsadm -e -t "[$VIP6]:80" -r "[fd00:1::12]:80" -m -w 0
	ipvsadm -E -t "[$VIP6]:80" -s $([ $((r % 2)) = 0 ] && echo 'mh -p 3 -M 120' || echo wlc)
	ipvsadm -d -t "[$VIP6]:80" -r "[fd00:1::1$((r % 3 + 1))]:80"
	ipvsadm -d -u "[$VIP6]:80" -r "[fd00:1::13]:80"
	# Every few rounds the whole configuration goes, connections still in the table.
	if [ $((r % 5)) = 0 ]; then
		ipvsadm -C
	else
		ipvsadm -D -u $VIP:80
		ipvsadm -D -u "[$VIP6]:80"
	fi
done
kill $load $load6
wait $load $load6 2>/dev/null || true
bad=$(grep -cv '^rs[123]$' "$answers" || true)
echo "churn: $ROUNDS rounds, $(grep -c '^rs' "$answers" || true) answers from real servers, $bad others"
[ "$bad" = 0 ] || { sort "$answers" | uniq -c; fail "answers that are not from a real server"; }
bad=$(grep -cv '^rs[123]$' "$answers6" || true)
echo "IPv6 churn: $(grep -c '^rs' "$answers6" || true) answers from real servers, $bad others"
[ "$bad" = 0 ] || { sort "$answers6" | uniq -c; fail "IPv6: answers that are not from a real server"; }
grep -q '^rs' "$answers6" || fail "IPv6: no request answered during the churn"

# Namespaces with services and connections, created and destroyed.
for n in $(seq 1 $((ROUNDS / 4 + 1))); do
	ip netns add "st$n"
	ip -n "st$n" link set lo up
	ip -n "st$n" addr add 10.9.0.1/32 dev lo
	ip netns exec "st$n" ipvsadm -A -t 10.9.0.1:80 -s rr
	ip netns exec "st$n" ipvsadm -a -t 10.9.0.1:80 -r 10.9.0.1:8080 -m
	ip netns exec "st$n" ipvsadm -A -u 10.9.0.1:53 -s sh
	# A connection in its table (the service answers locally with a reset or nothing).
	ip netns exec "st$n" socat -T1 - TCP:10.9.0.1:80,connect-timeout=1 </dev/null 2>/dev/null || true
	ip netns exec "st$n" ipvsadm -Ln | grep -q 10.9.0.1:80 || fail "service missing in st$n"
	ip netns del "st$n"
done

# The service works after all that; then rmmod with connections in the table.
ipvsadm -C
ipvsadm -A -t $VIP:80 -s rr
for i in 1 2 3; do ipvsadm -a -t $VIP:80 -r 10.0.1.1$i:80 -m; done
got=$(for _ in 1 2 3; do tcp_get; done | sort | tr '\n' ' ')
[ "$got" = "rs1 rs2 rs3 " ] || fail "after the churn: $got"
ipvsadm -A -t "[$VIP6]:80" -s rr
for i in 1 2 3; do ipvsadm -a -t "[$VIP6]:80" -r "[fd00:1::1$i]:80" -m; done
got=$(for _ in 1 2 3; do tcp6_get; done | sort | tr '\n' ' ')
[ "$got" = "rs1 rs2 rs3 " ] || fail "IPv6 after the churn: $got"
rmmod ipvs_rs
rm -f "$answers" "$answers6"
