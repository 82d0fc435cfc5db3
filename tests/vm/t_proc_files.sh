#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# /proc/net/ip_vs, ip_vs_stats and ip_vs_stats_percpu, differential against C ip_vs: services of every
# kind (TCP, UDP with ops, persistent with a netmask, fwmark, IPv6) with destinations of every
# forwarding method, then the totals after NAT traffic (the rate lines are the estimator's and
# are left out). ip_vs_status (C 7.3's table diagnostics), loaded and then with services and
# connections: its mode, the connection table's entries, buckets and load factor, the number of
# services, the service table's size and load factor, and whether the estimator's thread runs;
# then the service table's size as services come and go and svc_lfactor changes, in init_net
# and in a new namespace. (Not compared: which buckets the hashes fill, and C's estimator chain
# lengths, which it measures.)
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
start_servers 2
# Each destination line is prefixed with its service line, then all lines are sorted: the
# table order of services is an implementation detail.
blocks() { awk 'NR <= 3 {print; next} /^  ->/ {print svc " |" $0; next} {svc = $0; print}' | sort; }
status() {
	echo "ip_vs_status $(stat -c %a /proc/net/ip_vs_status)"
	awk -F'\t' '/^(Conns|Conn buckets|Services|Service buckets):/ {print}
		/^Stats thread slots:/ {print $1 "\t" $2 + 0}' \
		/proc/net/ip_vs_status
}
# The service table's size line once it is steady (C resizes from a work item a tick later).
svc_buckets() {
	local a b i
	b=$(grep '^Service buckets:' /proc/net/ip_vs_status)
	for i in $(seq 30); do
		sleep 0.04
		a=$b
		b=$(grep '^Service buckets:' /proc/net/ip_vs_status)
		[ "$a" = "$b" ] && break
	done
	echo "$1: $b"
}
svc_sizes() {
	local i
	# A load factor set without services is the first table's (at its smallest size); the
	# second service grows it to 2 * 2^8.
	sysctl -qw net.ipv4.vs.svc_lfactor=-8
	ipvsadm -A -t 10.8.0.1:80
	svc_buckets "1 at -8"
	ipvsadm -A -t 10.8.0.2:80
	svc_buckets "2 at -8"
	sysctl -qw net.ipv4.vs.svc_lfactor=-3
	svc_buckets "2 at -3"
	for i in $(seq 3 40); do
		ipvsadm -A -t 10.8.0.$i:80
		case $i in 3 | 5 | 9 | 40) svc_buckets "$i" ;; esac
	done
	for i in -1 2 8 -3; do
		sysctl -qw net.ipv4.vs.svc_lfactor=$i
		svc_buckets "40 at $i"
	done
	# Shrinking: at 4 services (a sixteenth of the grown table), then no more.
	for i in $(seq 40 -1 2); do
		ipvsadm -D -t 10.8.0.$i:80
		case $i in 6 | 5 | 2) svc_buckets "$((i - 1))" ;; esac
	done
	ipvsadm -D -t 10.8.0.1:80
	svc_buckets "none"
	# A new namespace: its own default (-2).
	ip netns add svcsz
	ip netns exec svcsz sysctl net.ipv4.vs.svc_lfactor
	for i in $(seq 9); do
		ip netns exec svcsz ipvsadm -A -u 10.8.1.$i:53
	done
	ip netns exec svcsz bash -c "$(declare -f svc_buckets); svc_buckets 'namespace, 9'"
	ip netns exec svcsz ipvsadm -C
	ip netns del svcsz
}
for impl in c rs; do
	use_impl $impl
	status >"$out/$impl.status"
	ipvsadm -A -t $VIP:80 -s rr
	ipvsadm -a -t $VIP:80 -r 10.0.1.11:80 -m
	ipvsadm -a -t $VIP:80 -r 10.0.1.12:80 -m -w 7
	ipvsadm -A -u 10.9.0.1:53 -s wlc -o
	ipvsadm -a -u 10.9.0.1:53 -r 10.9.1.1 -g -w 0
	ipvsadm -A -t 10.9.0.2:443 -s sh -p 600 -M 255.255.255.0
	ipvsadm -a -t 10.9.0.2:443 -r 10.9.1.2 -i
	ipvsadm -A -f 77 -s lc
	ipvsadm -a -f 77 -r 10.9.1.3:8080 -g
	ipvsadm -A -t [2001:db8::10]:80 -s wrr -p
	ipvsadm -a -t [2001:db8::10]:80 -r [2001:db8::11]:8080 -m
	blocks </proc/net/ip_vs >"$out/$impl.ip_vs"
	for _ in 1 2 3 4; do tcp_get >/dev/null; done
	settle_counters
	status >>"$out/$impl.status"
	head -n 3 /proc/net/ip_vs_stats >"$out/$impl.stats"
	# Per CPU: the header, the totals line, and whether the CPUs' rows add up to it (which
	# CPU counted what differs from run to run).
	python3 - /proc/net/ip_vs_stats_percpu >>"$out/$impl.stats" <<-'EOF'
		import sys
		lines = open(sys.argv[1]).read().split("\n")
		print("\n".join(lines[:2]))
		t = next(i for i, l in enumerate(lines) if l.startswith("  ~"))
		rows = [[int(x, 16) for x in l.split()[1:]] for l in lines[2:t]]
		total = lines[t]
		print(total)
		sums = [sum(r[i] for r in rows) for i in range(5)]
		print("CPU rows add up:", "yes" if rows and sums == [int(x, 16) for x in total.split()[1:]] else "no")
	EOF
	ipvsadm -C
	svc_sizes >"$out/$impl.sizes"
done
cat "$out/rs.ip_vs" "$out/rs.stats" "$out/rs.status" "$out/rs.sizes"
diff -u "$out/c.ip_vs" "$out/rs.ip_vs"
diff -u "$out/c.status" "$out/rs.status"
diff -u "$out/c.stats" "$out/rs.stats"
diff -u "$out/c.sizes" "$out/rs.sizes"
rm -rf "$out"
