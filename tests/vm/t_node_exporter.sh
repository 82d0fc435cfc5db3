#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# prometheus-node-exporter (Debian's) with only its ipvs collector, differential against C
# ip_vs: after the same NAT traffic through TCP and UDP services, the same node_ipvs_* series
# with the same values (the totals from /proc/net/ip_vs_stats, the real servers' weights and
# connection counts from /proc/net/ip_vs), and the collector succeeds.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 2
start_servers 2
scrape() {
	prometheus-node-exporter --collector.disable-defaults --collector.ipvs \
		--web.listen-address=127.0.0.1:9109 >"$out/log" 2>&1 &
	local pid=$!
	python3 - <<-'EOF'
		import time, urllib.request
		for _ in range(100):
		    try:
		        body = urllib.request.urlopen("http://127.0.0.1:9109/metrics", timeout=5).read().decode()
		        break
		    except OSError:
		        time.sleep(0.1)
		else:
		    raise SystemExit("no metrics")
		for line in body.splitlines():
		    if line.startswith("node_ipvs") or 'collector="ipvs"' in line and "success" in line:
		        print(line)
	EOF
	kill $pid
	wait $pid 2>/dev/null || true
}
for impl in c rs; do
	use_impl $impl
	ipvsadm -A -t $VIP:80 -s rr
	ipvsadm -A -u $VIP:80 -s rr
	for i in 1 2; do
		ipvsadm -a -t $VIP:80 -r 10.0.1.1$i:80 -m -w $i
		ipvsadm -a -u $VIP:80 -r 10.0.1.1$i:80 -m
	done
	for _ in 1 2 3 4; do tcp_get; done >/dev/null
	for _ in 1 2 3; do udp_get; done >/dev/null
	settle_counters
	scrape | sort >"$out/$impl"
	ipvsadm -C
done
cat "$out/rs"
grep -q '^node_ipvs_connections_total 7$' "$out/rs" || fail "ipvs_rs: no connection total"
grep -q 'node_ipvs_backend_weight{.*remote_address="10.0.1.12".*} 2' "$out/rs" ||
	fail "ipvs_rs: no backend weight"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
