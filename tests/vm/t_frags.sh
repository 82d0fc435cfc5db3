#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fragments, differential: UDP datagrams larger than the links' MTU (1500), through a NAT
# service to real servers that echo them. The director reassembles the client's datagram
# before scheduling it (the kernel does, before LOCAL_IN) and the real server's fragmented
# answer before rewriting it (IPVS does, in FORWARD, as C's ip_vs_gather_frags), so the client
# gets each echo whole from the virtual address. Answers and `ipvsadm -Ln --stats` are the same
# under C ip_vs and ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
pids=()
for i in 1 2; do
	ip netns exec "rs$i" python3 "$REPO/tests/vm/udpbig.py" serve 9000 &
	pids+=($!)
done
sleep 1
for impl in c rs; do
	use_impl $impl
	ipvsadm -A -u $VIP:9000 -s rr
	ipvsadm -a -u $VIP:9000 -r 10.0.1.11 -m
	ipvsadm -a -u $VIP:9000 -r 10.0.1.12 -m
	for size in 1000 3000 3000 8000 20000 1472; do
		ip netns exec cl python3 "$REPO/tests/vm/udpbig.py" ask $VIP 9000 $size
	done >"$out/$impl"
	settled_stats >>"$out/$impl"
	unload_ipvs
done
kill "${pids[@]}"
cat "$out/rs"
[ "$(grep -c 'the same$' "$out/rs")" = 6 ] || fail "ipvs_rs: not every echo came back whole"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
