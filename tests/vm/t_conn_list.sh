#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ipvsadm -Lcn (which reads /proc/net/ip_vs_conn) lists the same connections in the same states,
# with the same expiry (within a second), under C ip_vs and ipvs_rs, for finished TCP
# connections and UDP flows through NAT. Expiry is checked against the state's timeout and the
# time the traffic took (both implementations), since the two runs are not simultaneous.
# /proc/net/ip_vs_conn_sync lists them too, each of this host's origin. The file read in small
# pieces, and after a seek, gives the same entries.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 3
start_servers 3
# Drop the client port (ephemeral) and the expiry; sort, since table order is an implementation
# detail.
norm() { awk 'NR <= 2 {print; next} {sub(/:[0-9]+$/, "", $4); print $1, $3, $4, $5, $6}' | sort; }
# expiry ELAPSED: every entry expires within [timeout - ELAPSED - 1, timeout] seconds.
expiry() {
	awk -v el="$1" 'BEGIN {to["TIME_WAIT"] = 120; to["UDP"] = 300}
		NR > 2 {split($2, t, ":"); e = t[1] * 60 + t[2]; m = to[$3]
			if (m == "" || e > m || e < m - el - 1) {print "bad expiry:", $0; bad = 1}}
		END {exit bad}'
}
for impl in c rs; do
	use_impl $impl
	ipvsadm -A -t $VIP:80 -s rr
	ipvsadm -A -u $VIP:80 -s rr
	for i in 1 2 3; do
		ipvsadm -a -t $VIP:80 -r 10.0.1.1$i:80 -m
		ipvsadm -a -u $VIP:80 -r 10.0.1.1$i:80 -m
	done
	t0=$(date +%s)
	for _ in $(seq 6); do tcp_get; done >/dev/null
	for _ in $(seq 3); do udp_get; done >/dev/null
	sleep 1
	ipvsadm -Lcn >"$out/$impl.raw"
	norm <"$out/$impl.raw" >"$out/$impl.conns"
	# /proc/net/ip_vs_conn_sync: the same connections, all this host's own (no sync daemon runs);
	# the client port and the expiry left out.
	awk 'NR == 1 {print; next} {print $1, $2, $4, $5, $6, $7, $8, $9}' /proc/net/ip_vs_conn_sync |
		sort >>"$out/$impl.conns"
	expiry $(($(date +%s) - t0)) <"$out/$impl.raw" || fail "$impl: expiry out of range"
	# Read in pieces of 37 bytes (each read resumes where the last one stopped) and from the
	# middle on after a seek: the same entries as one read (the expiry left out).
	python3 - >>"$out/$impl.conns" <<-'EOF'
		import os
		path = "/proc/net/ip_vs_conn"
		def entries(data):
		    return sorted(" ".join(l.split()[:8]) for l in data.decode().splitlines())
		def rest(fd, n):
		    out = b""
		    while chunk := os.read(fd, n):
		        out += chunk
		    return out
		whole = open(path, "rb").read()
		fd = os.open(path, os.O_RDONLY)
		print("37-byte reads:", "same" if entries(rest(fd, 37)) == entries(whole) else "differ")
		off = len(whole) // 2
		os.lseek(fd, off, os.SEEK_SET)
		after = rest(fd, 4096)
		print("read after a seek:", "same" if entries(whole[:off] + after) == entries(whole) else "differ")
		os.close(fd)
	EOF
	ipvsadm -C
done
cat "$out/rs.raw"
[ "$(grep -c TIME_WAIT "$out/rs.raw")" = 6 ] || fail "expected 6 TIME_WAIT entries"
[ "$(grep -c '^UDP ' "$out/rs.raw")" = 3 ] || fail "expected 3 UDP entries"
diff -u "$out/c.conns" "$out/rs.conns"
rm -rf "$out"
