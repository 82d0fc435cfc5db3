#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Connection synchronisation between two directors, under C ip_vs and under ipvs_rs: a master
# (this namespace) and a backup (netns bk), both LVS-DR directors of the same services on one
# LAN (a bridge in netns sw) with the client and two real servers. Started with stock
# `ipvsadm --start-daemon`; a client holds a TCP connection open, makes a request to a
# persistent service and UDP requests. Then:
# - the datagrams the master multicast, decoded (sorted, the client's ports fixed), the
#   backup's `ipvsadm -Lnc`, `/proc/net/ip_vs_conn_sync` and `-Ln`, and `-L --daemon` of both
#   are the same under C and ipvs_rs; so is what the backup makes of a version 0 message
#   (`sync_version` 0);
# - the VIP moves to the backup and the held connection keeps working (its next request is
#   answered through the backup's synced connection); with `backup_only` the backup does not
#   balance new connections;
# - malformed sync datagrams (mutations of the captured ones, truncations, garbage) reach the
#   backup: nothing breaks, and a valid one afterwards is still taken;
# - `rmmod` is refused while a daemon runs (the module is in use, as C's), stopping works, and
#   a namespace whose backup runs can be deleted.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
GROUP=224.0.0.81
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

# services NETNS|-: the same DR services on a director: TCP :80 rr, TCP :81 persistent, UDP :82.
services() {
	in_ns "$1" ipvsadm -A -t $VIP:80 -s rr
	in_ns "$1" ipvsadm -A -t $VIP:81 -s rr -p 120
	in_ns "$1" ipvsadm -A -u $VIP:82 -s rr
	local p r
	for p in "-t $VIP:80" "-t $VIP:81" "-u $VIP:82"; do
		for r in 10.0.0.11 10.0.0.12; do
			# shellcheck disable=SC2086
			in_ns "$1" ipvsadm -a $p -r $r -g
		done
	done
}

# The backup's connections, expiry left out.
bk_conns() { ip netns exec bk ipvsadm -Lnc | awk 'NR > 2 {$2 = "-"; print}' | sort; }

# capture: records every sync datagram reaching bk's group membership (hex, one per line).
capture() {
	ip netns exec bk python3 - "$GROUP" 8848 >"$out/cap" <<-'EOF' &
		import socket, struct, sys
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		s.bind((sys.argv[1], int(sys.argv[2])))
		m = struct.pack("4s4s", socket.inet_aton(sys.argv[1]), socket.inet_aton("10.0.0.3"))
		s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, m)
		while True:
		    print(s.recv(65535).hex(), flush=True)
	EOF
	for _ in $(seq 100); do
		ip netns exec bk ss -lunH | grep -q "$GROUP:8848" && return 0
		sleep 0.1
	done
	fail "capture did not start"
}

# udp3 SPORT: three datagrams to the VIP's port 82 from the client's port SPORT (one
# connection, sent by the master at its third packet).
udp3() {
	ip netns exec cl python3 - "$VIP" "$1" <<-'EOF'
		import socket, sys
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.bind(("10.0.0.2", int(sys.argv[2])))
		s.settimeout(2)
		for _ in range(3):
		    s.sendto(b"ping\n", (sys.argv[1], 82))
		    try:
		        s.recv(100)
		    except OSError:
		        print("udp: no answer")
	EOF
}

lan_topology
for ns in rs1 rs2; do
	serve_bg "$ns" --echo 80 "$ns"
	serve_bg "$ns" 81 "$ns"
	serve_bg "$ns" --udp-only --bind $VIP 82 "$ns"
done
serve_wait
for impl in c rs; do
	rm -f "$out/go"
	use_impl $impl
	ip addr add $VIP/32 dev dm
	# (The last round's failover left the client the backup's address for the VIP.)
	ip -n cl neigh del $VIP dev eth0 2>/dev/null || true
	services -
	services bk
	ipvsadm --start-daemon master --mcast-interface dm --syncid 7
	ip netns exec bk ipvsadm --start-daemon backup --mcast-interface eth0 --syncid 7
	capture
	cap=$!
	{
		echo "== daemons"
		ipvsadm -L -n --daemon
		ip netns exec bk ipvsadm -L -n --daemon
	} >"$out/$impl"
	ip netns exec cl python3 "$REPO/tests/vm/held_client.py" 10.0.0.2 40001 $VIP 80 "$out/go" >"$out/held" &
	held=$!
	# A request to the persistent service (its template is sent too), three datagrams from
	# one UDP port.
	ip netns exec cl socat -T5 - TCP:$VIP:81,sourceport=40002,reuseaddr </dev/null >/dev/null
	udp3 40003
	# The master sends a message when it is full or 2 s old: wait for the four entries.
	for _ in $(seq 100); do
		[ "$(bk_conns | wc -l)" -ge 4 ] && break
		sleep 0.1
	done
	sleep 3
	{
		echo "== master"
		ipvsadm -Lnc | awk 'NR > 2 {$2 = "-"; print}' | sort
		echo "== backup"
		bk_conns
		awk 'NR > 1 {$10 = "-"; print}' /proc/net/ip_vs_conn_sync | sort
		ip netns exec bk awk 'NR > 1 {$10 = "-"; print}' /proc/net/ip_vs_conn_sync | sort
		ip netns exec bk ipvsadm -Ln
		echo "== sent"
		python3 "$REPO/tests/vm/syncdecode.py" "$out/cap"
		# The legacy format: a new UDP flow sent in a version 0 message.
		echo "== sync_version 0"
		sysctl -qw net.ipv4.vs.sync_version=0
		udp3 40004
		for _ in $(seq 100); do
			bk_conns | grep -q 40004 && break
			sleep 0.1
		done
		bk_conns | grep 40004 || echo "not synced"
		sysctl -qw net.ipv4.vs.sync_version=1
		# The VIP moves to the backup; the client learns its address (keepalived would send a
		# gratuitous ARP).
		echo "== failover"
		ip addr del $VIP/32 dev dm
		ip -n bk addr add $VIP/32 dev eth0
		ip -n cl neigh replace $VIP lladdr "$(ip -n bk -br link show eth0 | awk '{print $3}')" dev eth0
		touch "$out/go"
		wait $held
		cat "$out/held"
		# A backup with backup_only does not balance: a new connection reaches the director's
		# own stack (nothing listens there: refused); without it, a real server echoes.
		for b in 1 0; do
			ip netns exec bk sysctl -qw net.ipv4.vs.backup_only=$b
			if a=$(echo x | ip netns exec cl socat -T3 - TCP:$VIP:80,connect-timeout=3 2>/dev/null); then
				echo "backup_only $b: answered $a"
			else
				echo "backup_only $b: refused"
			fi
		done
		# (C's counters are folded in by its estimator every 2 s.)
		sleep 3
		ip netns exec bk ipvsadm -Ln --stats --exact | awk 'NR > 2 {print $1, $2, $3, $4}'
	} >>"$out/$impl"
	kill $cap
	# Malformed datagrams from the client: mutations of those captured, truncations, garbage;
	# then a valid one (written out here from C's layout) is still taken.
	ip netns exec cl python3 - "$GROUP" "$out/cap" $VIP <<-'EOF'
		import random, socket, struct, sys
		random.seed(7)
		good = [bytes.fromhex(l.strip()) for l in open(sys.argv[2]) if l.strip()]
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.0.0.2"))
		for i in range(3000):
		    m = bytearray(random.choice(good))
		    k = i % 4
		    if k == 0:
		        for _ in range(random.randint(1, 6)):
		            m[random.randrange(len(m))] = random.randrange(256)
		    elif k == 1:
		        m = m[:random.randrange(len(m))]
		    elif k == 2:
		        m = bytearray(random.randbytes(random.randrange(1, 300)))
		    else:
		        # The header's size made right, so that the entries are read.
		        for _ in range(random.randint(1, 4)):
		            m[random.randrange(8, len(m))] = random.randrange(256)
		    s.sendto(bytes(m), (sys.argv[1], 8848))
		# Sync ID 7, one IPv4 entry: TCP, DR with no output seen, established, 10.0.0.2:40009
		# to the VIP:80 by rs2, 900 s.
		a = socket.inet_aton
		e = struct.pack("!BBHIHHHHII4s4s4s", 0, 6, 36, 0x83, 1, 40009, 80, 80, 0, 900,
		                a("10.0.0.2"), a(sys.argv[3]), a("10.0.0.12"))
		s.sendto(struct.pack("!BBHBBH", 0, 7, 8 + len(e), 1, 1, 0) + e, (sys.argv[1], 8848))
	EOF
	for _ in $(seq 50); do
		bk_conns | grep -q 40009 && break
		sleep 0.1
	done
	{
		echo "== after the fuzzer, a valid datagram"
		# (A mutated record may name the same client port: those naming a real server the
		# backup does not have are left out, since only C makes connections of them; see
		# README, Status.)
		bk_conns | grep 40009 | grep -E ' 10\.0\.0\.1[12]:[0-9]+$' || true
		echo "== rmmod with a daemon running"
		if [ $impl = rs ]; then rmmod ipvs_rs 2>/dev/null; else rmmod ip_vs 2>/dev/null; fi &&
			echo "unloaded" || echo "refused"
		ipvsadm --stop-daemon master
		ipvsadm -L -n --daemon
		ipvsadm --stop-daemon master 2>&1 || true
		echo "== a namespace with a running backup goes"
	} >>"$out/$impl"
	ip netns del bk
	ip netns add bk
	ip -n sw link add p-bk type veth peer name eth0 netns bk
	ip -n sw link set p-bk master br0 up
	ip -n bk addr add 10.0.0.3/24 dev eth0
	ip -n bk link set eth0 up
	ipvsadm -C
	# The deleted namespace's daemon stops (and lets the module go) when the kernel has
	# dismantled it, in the background.
	for _ in $(seq 100); do
		unload_ipvs 2>/dev/null || true
		! loaded ipvs_rs && ! loaded ip_vs && break
		sleep 0.2
	done
	loaded ipvs_rs && fail "ipvs_rs still loaded"
	loaded ip_vs && fail "ip_vs still loaded"
done
show_both "$out"
grep -q '^held connection: a$' "$out/rs" && grep -q '^held connection: b$' "$out/rs" ||
	fail "ipvs_rs: the held connection did not go on through the backup"
grep -Eq '^TCP - ESTABLISHED 10.0.0.2:40001 10.0.0.100:80 10.0.0.1[12]:80$' "$out/rs" ||
	fail "ipvs_rs: the backup has no established connection from the master"
grep -Eq '^TCP 0A000002 9C41 0A000064 0050 0A00000[BC] 0050 ESTABLISHED SYNC -$' "$out/rs" ||
	fail "ipvs_rs: /proc/net/ip_vs_conn_sync does not show the backup's connection as synced"
grep -q 'proto 6 len 36 flags 0x83 state 1 10.0.0.2:40001 10.0.0.100:80' "$out/rs" ||
	fail "ipvs_rs: no record of the held connection (DR, no output, inactive, established) was sent"
grep -q 'proto 6 len 36 flags 0x1183 state 1 10.0.0.2:0 10.0.0.100:81' "$out/rs" ||
	fail "ipvs_rs: no record of the assured template (DR, template, inactive, no output) was sent"
grep -q '^UDP - UDP 10.0.0.2:40004 10.0.0.100:82 10.0.0.1[12]:82$' "$out/rs" ||
	fail "ipvs_rs: a connection sent in a version 0 message was not made"
grep -q '^backup_only 1: refused$' "$out/rs" && grep -q '^backup_only 0: answered x$' "$out/rs" ||
	fail "ipvs_rs: backup_only did not stop the backup balancing, or clearing it did not let it"
grep -q '^refused$' "$out/rs" || fail "ipvs_rs: rmmod with a daemon running was not refused"
grep -q '^TCP - ESTABLISHED 10.0.0.2:40009 10.0.0.100:80 10.0.0.12:80$' "$out/rs" ||
	fail "ipvs_rs: after the malformed datagrams, the backup did not take a valid one"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
