#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The DoS defences in their automatic modes (1), differential against C ip_vs, under a flood of
# half-open connections: with amemthresh above the free memory they switch on (the modes read 2)
# within the defence tick, drop_packet refuses one new connection in three
# (amemthresh / shortfall) while legitimate clients still get answers (their SYNs are sent
# again), secure_tcp keeps the flood's connections half-open, drop_entry drops some of them;
# with amemthresh back at 1024 they switch off (the modes read 1) and clients are answered.
# The director survives it all.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
V=/proc/sys/net/ipv4/vs
nat_topology 2
start_servers 2
modes() { echo "drop_entry $(cat $V/drop_entry) drop_packet $(cat $V/drop_packet) secure_tcp $(cat $V/secure_tcp)"; }
# wait_modes M: up to 5 s for every mode to read M.
wait_modes() {
	for _ in $(seq 50); do
		[ "$(modes)" = "drop_entry $1 drop_packet $1 secure_tcp $1" ] && break
		sleep 0.1
	done
	modes
}
# The flood's connections: half-open (the real servers' SYN+ACKs make them SYNACK).
half_open() { ipvsadm -Lnc | grep -Ec "(SYN_RECV|SYNACK) .*$VIP:80" || true; }
for impl in c rs; do
	use_impl $impl
	{
		ipvsadm -A -t $VIP:80 -s rr
		for i in 1 2; do ipvsadm -a -t $VIP:80 -r 10.0.1.1$i:80 -m; done
		for f in drop_entry drop_packet secure_tcp; do echo 1 >$V/$f; done
		modes
		# Free memory (free and buffer pages) as the defences see it, times 1.4: one new
		# connection in amemthresh / shortfall = 3 is refused (the rate well clear of a
		# rounding edge, whatever memory does meanwhile).
		avail=$(awk '/^(MemFree|Buffers):/ {kb += $2} END {print int(kb / 4)}' /proc/meminfo)
		echo $((avail * 7 / 5)) >$V/amemthresh
		echo "short of memory:"
		wait_modes 2
		# The flood: SYNs then ACKs from 512 sources, which secure_tcp keeps half-open.
		ip netns exec cl python3 "$REPO/tests/vm/synflood.py" $VIP 80 512 10.3
		n=$(half_open)
		echo "the flood's connections half-open: $([ "$n" -gt 0 ] && echo yes || echo no)"
		echo "refused ones among them: $([ "$n" -lt 512 ] && echo yes || echo no)"
		ok=0
		for _ in 1 2 3 4; do [ -n "$(tcp_get)" ] && ok=$((ok + 1)); done
		echo "legitimate requests answered: $ok of 4"
		for _ in $(seq 20); do
			[ "$(half_open)" -lt "$n" ] && break
			sleep 1
		done
		echo "drop_entry dropped some within 20 s: $([ "$(half_open)" -lt "$n" ] && echo yes || echo no)"
		echo 1024 >$V/amemthresh
		echo "memory back:"
		wait_modes 1
		# (Sorted: where rr stands depends on how many of the flood's connections were made.)
		for _ in 1 2 3 4; do tcp_get; done | sort
		for f in drop_entry drop_packet secure_tcp; do echo 0 >$V/$f; done
		ipvsadm -C
	} >"$out/$impl" 2>&1
done
show_both "$out"
diff -u "$out/c" "$out/rs"
grep -q "^drop_entry 2 drop_packet 2 secure_tcp 2$" "$out/rs" || fail "ipvs_rs: the defences did not switch on"
grep -q "^legitimate requests answered: 4 of 4$" "$out/rs" || fail "ipvs_rs: clients not answered under the flood"
rm -rf "$out"
