#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# One side of `make sync-interop` (tests/vm/sync_interop_host.sh boots two VMs joined by a
# QEMU datagram link): ROLE master or backup, IMPL c or rs.
# - master (10.0.9.1 on the link): a NAT director (client netns cl, real server rs1) of TCP :80,
#   persistent TCP :81 and UDP :82, its master daemon on the link; once the backup says it is
#   ready, a held TCP connection, a request to :81 and three datagrams to :82, then "done".
# - backup (10.0.9.2): the same services, its backup daemon on the link; says "ready" until the
#   master says "done", then prints what it made: `-Lnc`, `ip_vs_conn_sync`, `-Ln`, and the
#   records of the datagrams it received, decoded.
# Everything compared is printed behind "IOP: " (the guest cannot write the host's files).
. "$(dirname "$0")/lib.sh"
set -e
role=$1 impl=$2
# The link: the virtio NIC QEMU was given.
nic=
for d in /sys/class/net/*; do
	[ "$(basename "$(readlink -f "$d/device/driver" 2>/dev/null)")" = virtio_net ] && nic=$(basename "$d")
done
[ -n "$nic" ] || fail "no virtio NIC"
me=1 peer=2
[ "$role" = backup ] && me=2 peer=1
ip addr add "10.0.9.$me/24" dev "$nic"
ip link set "$nic" up
use_impl "$impl"

services() {
	ipvsadm -A -t $VIP:80 -s rr
	ipvsadm -A -t $VIP:81 -s rr -p 120
	ipvsadm -A -u $VIP:82 -s rr
	ipvsadm -a -t $VIP:80 -r 10.0.1.11 -m
	ipvsadm -a -t $VIP:81 -r 10.0.1.11 -m
	ipvsadm -a -u $VIP:82 -r 10.0.1.11 -m
}

# say WORD UNTIL: sends WORD to the peer's port 9999 every half second until UNTIL arrives on
# this side's, then thrice more (or once, UNTIL "-"); up to 120 s.
say() {
	python3 - "10.0.9.$me" "10.0.9.$peer" "$1" "$2" <<-'EOF'
		import socket, sys, time
		me, peer, word, until = sys.argv[1:]
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.bind((me, 9999))
		s.settimeout(0.5)
		end = time.monotonic() + 120
		while time.monotonic() < end:
		    s.sendto(word.encode(), (peer, 9999))
		    if until == "-":
		        sys.exit(0)
		    try:
		        if s.recv(100).decode() == until:
		            # (The peer may have bound its socket after our last word.)
		            for _ in range(3):
		                s.sendto(word.encode(), (peer, 9999))
		            sys.exit(0)
		    except OSError:
		        pass
		sys.exit("no " + until + " from the peer")
	EOF
}

if [ "$role" = master ]; then
	nat_topology 1
	serve rs1 --echo 80 rs1
	serve rs1 81 rs1
	serve rs1 --udp-only 82 rs1
	services
	ipvsadm --start-daemon master --mcast-interface "$nic" --syncid 9
	# The backup's "ready" (its say waits for "go").
	say go ready
	ip netns exec cl python3 - "$VIP" <<-'EOF' &
		import socket, sys, time
		s = socket.socket()
		s.bind(("10.0.0.2", 40001))
		s.connect((sys.argv[1], 80))
		s.sendall(b"a\n")
		s.recv(100)
		time.sleep(30)
	EOF
	held=$!
	ip netns exec cl socat -T5 - TCP:$VIP:81,sourceport=40002,reuseaddr </dev/null >/dev/null
	ip netns exec cl python3 - "$VIP" <<-'EOF'
		import socket, sys
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.bind(("10.0.0.2", 40003))
		s.settimeout(2)
		for _ in range(3):
		    s.sendto(b"ping\n", (sys.argv[1], 82))
		    s.recv(100)
	EOF
	# A message goes when full or 2 s old.
	sleep 4
	ipvsadm -Lnc | awk 'NR > 2 {$2 = "-"; print "IOP: master", $0}' | sort
	say done -
	say done -
	kill $held 2>/dev/null || true
else
	services
	ipvsadm --start-daemon backup --mcast-interface "$nic" --syncid 9
	python3 - "$nic" <<-'EOF' >/tmp/cap &
		import socket, struct, sys
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		s.bind(("224.0.0.81", 8848))
		m = struct.pack("4s4s", socket.inet_aton("224.0.0.81"), socket.inet_aton("10.0.9.2"))
		s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, m)
		while True:
		    print(s.recv(65535).hex(), flush=True)
	EOF
	cap=$!
	say ready go
	python3 - <<-'EOF'
		import socket, sys
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.bind(("10.0.9.2", 9999))
		s.settimeout(120)
		while s.recv(100).decode() != "done":
		    pass
	EOF
	sleep 1
	ipvsadm -Lnc | awk 'NR > 2 {$2 = "-"; print "IOP: conn", $0}' | sort
	awk 'NR > 1 {$10 = "-"; print "IOP: sync", $0}' /proc/net/ip_vs_conn_sync | sort
	ipvsadm -Ln | sed 's/^/IOP: /'
	kill $cap
	python3 "$REPO/tests/vm/syncdecode.py" /tmp/cap | sed 's/^/IOP: sent /'
fi
