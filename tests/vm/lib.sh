# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for the VM tests (sourced). Runs as root inside the test VM.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KO=$REPO/ipvs_rs.ko
VIP=10.0.0.100
VIP6=fd00::100

fail() { echo "FAIL: $*" >&2; return 1; }

# kmsg_mark NAME: writes a unique marker line to the kernel log and prints it (for
# dmesg_since: a line count would miss what comes once the log is full and wraps).
kmsg_mark() {
	local m="ipvs-rs-mark $1 $$-$RANDOM-$SECONDS"
	echo "$m" >/dev/kmsg
	echo "$m"
}

# dmesg_since MARK: the kernel log's lines after marker MARK (all of it if MARK is gone).
dmesg_since() {
	dmesg | awk -v m="$1" 'seen; index($0, m) {seen = 1; n = NR} END {if (!n) exit 1}' ||
		dmesg
}

# kernel_reports MARK: the kernel reports (KASAN, lockdep, RCU, WARNING, oops...) in the dmesg
# lines after marker MARK.
kernel_reports() {
	dmesg_since "$1" |
		grep -E 'BUG:|WARNING:|Oops|KASAN|UBSAN|possible recursive locking|circular locking|lockdep|inconsistent lock state|rcu.*stall|RCU stall|panicked|kernel BUG|Call Trace|kmemleak: [0-9]+ new suspected' || true
}

# loaded MODULE: whether MODULE is loaded (the shell's own read: a process costs a tenth of a
# second on TCG, and tests ask often).
loaded() {
	local m _
	while read -r m _; do [ "$m" = "$1" ] && return 0; done </proc/modules
	return 1
}

# in_ns NETNS|- COMMAND...: runs COMMAND in network namespace NETNS (- for this one).
in_ns() { if [ "$1" = - ]; then "${@:2}"; else ip netns exec "$@"; fi; }

# use_impl rs|c: make exactly one IPVS implementation active, with an empty configuration.
# For rs, ip_vs autoloading is blocked (ipvsadm runs `modprobe ip_vs` when it cannot resolve the
# IPVS family), so a test of ipvs_rs can never silently exercise the C module.
# Loads ipvs_rs.ko: after nf_conntrack, whose functions it uses (its `conntrack` sysctl), as
# modprobe would from the module's dependencies.
insmod_rs() {
	modprobe nf_conntrack && insmod "$KO" "$@"
}

# use_impl c|rs [PARAM=VALUE...]: the implementation under test, loaded (with those module
# parameters: then it is loaded afresh) and the other one unloaded.
use_impl() {
	local m impl=$1
	shift
	# (Without a module loaded, ipvsadm would load ip_vs itself.)
	if loaded ip_vs || loaded ipvs_rs; then ipvsadm -C 2>/dev/null || true; fi
	[ $# -eq 0 ] || unload_ipvs
	case $impl in
	rs)
		for m in $(awk '/^ip_vs/ {print $1}' /proc/modules); do
			[ "$m" = ip_vs ] || rmmod "$m"
		done
		loaded ip_vs && rmmod ip_vs
		mkdir -p /run/modprobe.d
		echo "install ip_vs /bin/false" >/run/modprobe.d/ipvs-rs-block.conf
		loaded ipvs_rs || insmod_rs "$@" || fail "insmod ipvs_rs.ko"
		loaded ip_vs && fail "C ip_vs is loaded while testing ipvs_rs"
		loaded ipvs_rs || fail "ipvs_rs is not loaded"
		;;
	c)
		loaded ipvs_rs && { rmmod ipvs_rs || fail "rmmod ipvs_rs"; }
		rm -f /run/modprobe.d/ipvs-rs-block.conf
		modprobe ip_vs "$@" || fail "modprobe ip_vs"
		loaded ipvs_rs && fail "ipvs_rs is loaded while testing C ip_vs"
		loaded ip_vs || fail "C ip_vs is not loaded"
		;;
	*) fail "use_impl rs|c" ;;
	esac
}

# The client side: netns "cl" (10.0.0.2, default route via the director) -- director (this
# namespace: 10.0.0.1 and the VIP on vcl).
client_topology() {
	ip netns add cl
	# (One `ip` a namespace, reading its commands: a process costs a tenth of a second on TCG.)
	ip -b - <<-EOF
		link add vcl type veth peer name eth0 netns cl
		addr add 10.0.0.1/24 dev vcl
		addr add $VIP/32 dev vcl
		link set vcl up
	EOF
	ip -n cl -b - <<-EOF
		addr add 10.0.0.2/24 dev eth0
		link set eth0 up
		link set lo up
		route add default via 10.0.0.1
	EOF
}

# Topology for NAT: client_topology -- bridge br-rs (10.0.1.1) -- real servers "rs1".."rsN"
# (10.0.1.11..). Real servers route back through the director.
nat_topology() {
	local n=$1 i
	client_topology
	for i in $(seq 1 "$n"); do ip netns add "rs$i"; done
	{
		echo "link add br-rs type bridge"
		echo "addr add 10.0.1.1/24 dev br-rs"
		echo "link set br-rs up"
		for i in $(seq 1 "$n"); do
			echo "link add vrs$i type veth peer name eth0 netns rs$i"
			echo "link set vrs$i master br-rs up"
		done
	} | ip -b -
	for i in $(seq 1 "$n"); do
		ip -n "rs$i" -b - <<-EOF
			addr add 10.0.1.1$i/24 dev eth0
			link set eth0 up
			link set lo up
			route add default via 10.0.1.1
		EOF
	done
	sysctl -qw net.ipv4.ip_forward=1
}

# add_v6: nat_topology's links get IPv6 too: client fd00::2 -- director fd00::1 and VIP6 on vcl;
# br-rs fd00:1::1 -- real servers fd00:1::11.. (addresses without duplicate detection: usable at
# once). Real servers and client route through the director.
add_v6() {
	local i
	ip addr add fd00::1/64 dev vcl nodad
	ip addr add $VIP6/128 dev vcl nodad
	ip -n cl addr add fd00::2/64 dev eth0 nodad
	ip -n cl route add default via fd00::1
	ip addr add fd00:1::1/64 dev br-rs nodad
	for i in $(seq 1 "$1"); do
		ip -n "rs$i" addr add "fd00:1::1$i/64" dev eth0 nodad
		ip -n "rs$i" route add default via fd00:1::1
	done
	sysctl -qw net.ipv6.conf.all.forwarding=1
}

# serve NETNS|- [answer.py options] PORT[,PORT...] TEXT: starts tests/vm/answer.py in network
# namespace NETNS (- for this one) in the background and waits until it listens (its line on a
# FIFO: no polling, one Python start for all of a real server's ports), and until every server
# serve_bg started has.
serve() {
	serve_bg "$@"
	serve_wait
}

# serve_bg: serve's start alone; serve_wait waits for every server started so (their Python
# starts overlap, on the VM's two CPUs).
SERVE_PENDING=()
serve_bg() {
	local ns=$1 run=() fifo fd
	shift
	[ "$ns" = - ] || run=(ip netns exec "$ns")
	fifo=$(mktemp -u) && mkfifo "$fifo"
	# Opened read-write, the FIFO opens at once and a read of it can time out (a server that
	# could not bind its port never writes); the server opens it through this shell's
	# descriptor, so that its name can go at once.
	exec {fd}<>"$fifo"
	rm -f "$fifo"
	fifo=/proc/$BASHPID/fd/$fd
	"${run[@]}" env ANSWER_READY="$fifo" python3 "$REPO/tests/vm/answer.py" "$@" {fd}<&- &
	SERVE_PENDING+=("$fd:$ns: answer.py $*")
}
serve_wait() {
	local p fd line bad=
	for p in "${SERVE_PENDING[@]}"; do
		fd=${p%%:*} line=
		read -r -t 60 -u "$fd" line || true
		exec {fd}<&-
		[ "$line" = ready ] || bad="$bad; ${p#*:}"
	done
	SERVE_PENDING=()
	[ -z "$bad" ] || fail "no server in${bad#;}"
}

# One LAN for two directors (the sync tests): bridge br0 in netns sw; this namespace 10.0.0.1 on
# dm, netns bk (a second director) 10.0.0.3, the client cl 10.0.0.2, real servers rs1, rs2
# 10.0.0.11, .12 (LVS-DR: the VIP on their loopback); with "6" IPv6 too (fd00::1, ::3, ::2,
# ::11, ::12; the IPv6 VIP on the real servers' loopback).
lan_topology() {
	ip netns add sw
	ip -n sw link add br0 type bridge
	ip -n sw link set br0 up
	ip link add dm type veth peer name p-dm netns sw
	ip -n sw link set p-dm master br0 up
	ip addr add 10.0.0.1/24 dev dm
	[ "${1-}" = 6 ] && ip addr add fd00::1/64 dev dm nodad
	ip link set dm up
	local ns addr
	for ns in cl:2 bk:3 rs1:11 rs2:12; do
		addr=${ns#*:} ns=${ns%:*}
		ip netns add "$ns"
		ip -n sw link add "p-$ns" type veth peer name eth0 netns "$ns"
		ip -n sw link set "p-$ns" master br0 up
		ip -n "$ns" addr add "10.0.0.$addr/24" dev eth0
		[ "${1-}" = 6 ] && ip -n "$ns" addr add "fd00::$addr/64" dev eth0 nodad
		ip -n "$ns" link set eth0 up
		ip -n "$ns" link set lo up
	done
	dr_real_servers 2
	if [ "${1-}" = 6 ]; then
		ip -n rs1 addr add $VIP6/128 dev lo
		ip -n rs2 addr add $VIP6/128 dev lo
	fi
	return 0
}

# Real servers 1..N as LVS-DR real servers: the VIP on their loopback, never answering ARP for
# it (arp_ignore/arp_announce).
dr_real_servers() {
	local i
	for i in $(seq 1 "$1"); do
		ip -n "rs$i" addr add $VIP/32 dev lo
		ip netns exec "rs$i" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
	done
}

# dr_tun_real_servers N: real servers 1..N for direct routing and IP-in-IP: the VIP on their
# loopback, never answering ARP for it, the ipip fallback device tunl0 up, reverse-path
# filtering off; they answer the client directly through their default router, the director,
# which so accepts packets from its own VIP (accept_local).
dr_tun_real_servers() {
	local i
	for i in $(seq 1 "$1"); do
		ip -n "rs$i" addr add $VIP/32 dev lo
		ip netns exec "rs$i" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2 net.ipv4.conf.all.rp_filter=0
		ip -n "rs$i" link set tunl0 up
		ip netns exec "rs$i" sysctl -qw net.ipv4.conf.tunl0.rp_filter=0
	done
	sysctl -qw net.ipv4.conf.br-rs.accept_local=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.br-rs.rp_filter=0
}

# wait_listen NETNS KIND PORT: waits (up to 10 s) until a socket of KIND (ss's -t TCP, -S SCTP)
# listens on PORT in NETNS.
wait_listen() {
	for _ in $(seq 100); do
		[ -n "$(ip netns exec "$1" ss "$2" -lnH "sport = :$3")" ] && return 0
		sleep 0.1
	done
	fail "nothing listens on port $3 in $1"
}

# wait_raw_socket NETNS: waits (up to 60 s: python starts slowly on the debug kernel beside
# another VM) until a raw socket is open in NETNS (a capture has started listening).
wait_raw_socket() {
	for _ in $(seq 600); do
		[ -n "$(ip netns exec "$1" ss -wanH 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	fail "no raw socket in $1"
}

# start_servers N [answer.py options]: real server i answers every TCP connection (and UDP
# datagram) on port 80 with "rs<i>".
start_servers() {
	local n=$1 i
	shift
	for i in $(seq 1 "$n"); do serve_bg "rs$i" "$@" 80 "rs$i"; done
	serve_wait
}

# One TCP request from the client; prints the answer.
tcp_get() { ip netns exec cl socat -T10 - "TCP:$VIP:${1:-80},connect-timeout=10" </dev/null; }

# tcpgets_start: one tcpgets.py in the client namespace for the test's `tcpgets` calls (a
# Python start per call takes a second and more on TCG); it goes with the test (cleanup_net).
tcpgets_start() {
	coproc TCPGETS { ip netns exec cl python3 "$REPO/tests/vm/tcpgets.py" -; }
	# (Plain descriptors: the subshells a test calls from do not get the coprocess's.)
	exec 8>&"${TCPGETS[1]}" 9<&"${TCPGETS[0]}"
}

# tcpgets ADDR PORT SRC...: a TCP request to ADDR:PORT from each SRC in turn, by tcpgets_start's
# process ("SRC ANSWER" lines, as tcpgets.py prints them).
tcpgets() {
	echo "$*" >&8
	local line
	while IFS= read -r line <&9 && [ "$line" != . ]; do echo "$line"; done
}

# udpgets ADDR PORT SRC...: the same with a datagram from each SRC ("SRC ANSWER" or "SRC none").
udpgets() { tcpgets udp "$@"; }

# udp_ask NETNS ADDR PORT [SECS]: one datagram ("ping") from NETNS to ADDR:PORT; prints the
# answer if one comes within SECS (2) and fails on an ICMP error (refused), as socat -T2 did,
# but by bash's own UDP socket and one read of a datagram: socat waited half a second more
# after the answer.
udp_ask() {
	# shellcheck disable=SC2016
	ip netns exec "$1" bash -c 'exec 3<>"/dev/udp/$0/$1" && echo ping >&3 || exit 1
		timeout "$2" dd bs=65536 count=1 status=none <&3 || [ $? = 124 ]' "$2" "$3" "${4:-2}"
}

# One UDP request from the client; prints the answer.
udp_get() { udp_ask cl $VIP "${1:-80}"; }

# udp_load SECONDS: about 15 UDP requests a second from the client to the VIP, port 80, from
# one process, each from a new socket (so a new connection): a socat per request manages only
# one every few seconds on a debug kernel.
udp_load() {
	ip netns exec cl python3 - "$VIP" "$1" <<-'EOF'
		import socket, sys, time
		end = time.monotonic() + float(sys.argv[2])
		while time.monotonic() < end:
		    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
		        s.settimeout(1)
		        s.sendto(b"ping\n", (sys.argv[1], 80))
		        try:
		            s.recv(100)
		        except OSError:
		            pass
		    time.sleep(0.05)
	EOF
}

# The same to the IPv6 VIP.
tcp6_get() { ip netns exec cl socat -T10 - "TCP6:[$VIP6]:${1:-80},connect-timeout=10" </dev/null; }
udp6_get() { udp_ask cl $VIP6 "${1:-80}"; }

# settle_counters: waits until C's counters have caught up with the traffic (its estimator
# folds the per-CPU counters in every 2 s, each service's and real server's at a time of its
# own: no one change says all are done); ipvs_rs sums them when asked, so there only the last
# packets in flight are waited for.
settle_counters() {
	if loaded ipvs_rs; then sleep 0.5; else sleep 3; fi
}

# settled_stats: `ipvsadm -Ln --stats --exact` once the counters have settled.
settled_stats() {
	settle_counters
	ipvsadm -Ln --stats --exact
}

# show_both DIR: prints a differential test's two records, DIR/c (C ip_vs) and DIR/rs.
show_both() {
	echo "C ip_vs:"
	cat "$1/c"
	echo "ipvs_rs:"
	cat "$1/rs"
}

# Unreclaimable slab memory, kB.
unreclaimable_kb() { awk '/^SUnreclaim:/ {print $2}' /proc/meminfo; }

# Lets RCU callbacks run, then has SLUB give back empty slabs from its partial lists, so that
# what unreclaimable_kb measures next is memory in use, not fragmentation.
settle_slab() {
	local f
	sync
	sleep 3
	for f in /sys/kernel/slab/*/shrink; do [ -e "$f" ] && echo 1 >"$f"; done 2>/dev/null || true
	sleep 1
}

# scale_restore N: an `ipvsadm -R` input of N TCP services 10.100.<i/250>.<i%250+1>:80, wlc,
# with 4 NAT real servers 10.200.0.1..4:8080 of weights 1..4 (addresses only; no traffic).
scale_restore() {
	awk -v n="$1" 'BEGIN {
		for (i = 0; i < n; i++) {
			vip = sprintf("10.100.%d.%d:80", int(i / 250), i % 250 + 1)
			printf "-A -t %s -s wlc\n", vip
			for (d = 1; d <= 4; d++) printf "-a -t %s -r 10.200.0.%d:8080 -m -w %d\n", vip, d, d
		}
	}'
}

# Unloads ipvs_rs and C ip_vs (with its schedulers), whichever is loaded.
unload_ipvs() {
	local m
	ipvsadm -C 2>/dev/null || true
	loaded ipvs_rs && rmmod ipvs_rs
	for m in $(awk '/^ip_vs/ {print $1}' /proc/modules); do [ "$m" = ip_vs ] || rmmod "$m"; done
	loaded ip_vs && rmmod ip_vs
	return 0
}

cleanup_net() {
	# Every helper server a test started (they keep its namespaces, and their devices, alive).
	pkill -f 'tests/vm/[a-z_]+\.py' 2>/dev/null || true
	local ns
	for ns in $(ip netns list | awk '{print $1}'); do ip netns del "$ns"; done
	# A deleted namespace (and the veth ends in it) goes only when its last reference does:
	# after a SYN flood, the real servers' half-open requests hold theirs for a minute. Every
	# device this namespace did not have at boot goes now (a veth takes its peer with it).
	local dev
	for dev in $(extra_links); do ip link del "$dev" 2>/dev/null || true; done
	for _ in $(seq 50); do
		[ -z "$(extra_links)" ] && return 0
		sleep 0.1
	done
	echo "cleanup_net: devices left: $(extra_links)" >&2
}

# The devices of this namespace that it did not have at boot (BOOT_LINKS, set by suite.sh;
# without it, the client's and the bridge), the tunnel modules' fallback devices aside.
extra_links() {
	ip -o link show | awk -F': ' -v boot="${BOOT_LINKS-lo}" '
		BEGIN { n = split(boot, b, "\n"); for (i = 1; i <= n; i++) known[b[i]] = 1 }
		$2 ~ /@NONE$/ { next }
		{ sub(/@.*/, "", $2) }
		known[$2] != 1 && (boot != "lo" || $2 == "vcl" || $2 == "br-rs") { print $2 }'
}
