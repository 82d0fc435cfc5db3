#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The demo: stock ipvsadm configures ipvs_rs as a NAT load balancer in front of three real
# servers (network namespaces), a client makes TCP and UDP requests, the transcript shows who
# answered, and ipvsadm -Ln --stats shows the counters.
. "$(dirname "$0")/lib.sh"
set -e
show() { echo "# $*"; "$@"; }
echo "== loading ipvs_rs (C ip_vs autoload blocked)"
use_impl rs
grep '^ipvs_rs ' /proc/modules
nat_topology 3
start_servers 3
echo
echo "== configuring with stock ipvsadm ($(ipvsadm -v 2>&1 | head -1))"
show ipvsadm -A -t $VIP:80 -s rr
show ipvsadm -a -t $VIP:80 -r 10.0.1.11:80 -m
show ipvsadm -a -t $VIP:80 -r 10.0.1.12:80 -m
show ipvsadm -a -t $VIP:80 -r 10.0.1.13:80 -m
show ipvsadm -A -u $VIP:80 -s rr
show ipvsadm -a -u $VIP:80 -r 10.0.1.11:80 -m
show ipvsadm -a -u $VIP:80 -r 10.0.1.12:80 -m
show ipvsadm -Ln
echo
echo "== client 10.0.0.2 -> $VIP:80, 9 TCP connections"
for i in $(seq 9); do printf 'tcp request %d answered by %s\n' "$i" "$(tcp_get)"; done
echo "== client 10.0.0.2 -> $VIP:80, 4 UDP requests"
for i in $(seq 4); do printf 'udp request %d answered by %s\n' "$i" "$(udp_get)"; done
echo
show ipvsadm -Ln --stats
show ipvsadm -Ln
