#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Packets that match no service pass untouched: with a TCP service on VIP:80, the director's own
# TCP service on VIP:8080 and on 10.0.0.1:80, and a UDP exchange on VIP:80 (no UDP service),
# reach the director's local sockets.
. "$(dirname "$0")/lib.sh"
set -e
nat_topology 1
start_servers 1
use_impl rs
ipvsadm -A -t $VIP:80 -s rr
ipvsadm -a -t $VIP:80 -r 10.0.1.11:80 -m
serve_bg - --tcp-only --bind $VIP 8080 director-8080
serve_bg - --tcp-only --bind 10.0.0.1 80 director-80
serve_bg - --udp-only --bind $VIP 80 director-udp
serve_wait
[ "$(tcp_get)" = rs1 ] || fail "service not balanced"
[ "$(tcp_get 8080)" = director-8080 ] || fail "other port intercepted"
[ "$(ip netns exec cl socat -T3 - TCP:10.0.0.1:80 </dev/null)" = director-80 ] || fail "other address intercepted"
[ "$(udp_get)" = director-udp ] || fail "UDP without a service intercepted"
pkill -f 'answer.py.* director-' || true
