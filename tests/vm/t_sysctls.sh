#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Differential against C ip_vs (with its lblc and lblcr schedulers loaded, which own two of the
# files): the net/ipv4/vs/ files
# - their names, modes and values after load, in the initial namespace, in a new namespace
#   (conn_max inherited from the initial one) and in a namespace of another user namespace
#   (lblc/lblcr hidden, the host-wide files read-only, conn_max capped for its root);
# - writes of good and bad values: the error (or none) and the value read back;
# - conn_max: with 3, a fourth UDP flow gets no connection (its request is dropped);
# - drop_packet 3 refuses one new connection in am_droprate; secure_tcp 3 keeps a handshake
#   the real server has not sent data on in SYNACK; drop_entry 3 drops half-open connections
#   at random (some within 20 s); snat_reroute routes a NAT reply again
#   once its source is the VIP (policy routing by source: a blackhole drops it);
# - ignore_tunneled: a TCP connection to the VIP whose packets reach the director in an xfrm
#   (IPComp/IPIP) tunnel is load-balanced with 0, refused by the director's own stack with 1;
# - run_estimation 0 and an empty est_cpulist stop the rate estimator, 1 starts it again;
# - the estimator's thread (ipvs-e:0:0): est_nice is its nice value, est_cpulist its CPUs, and
#   run_estimation 0 stops it;
# - conn_lfactor: the connection table's size for 512 more connections, at -4, 0 and 2.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
V=/proc/sys/net/ipv4/vs

# est_thread WANT: waits up to 5 s for the estimator's thread to be as WANT says ("NAME nice N
# cpus LIST", or "" for none), then prints what it is.
est_thread() {
	local now
	for _ in $(seq 50); do
		now=$(ps -eo pid=,ni=,comm= | awk '$3 ~ /^ipvs-e:/ {print $1, $3, $2}' | while read -r pid name ni; do
			# (A thread that was just restarted is gone: the next round sees the new one.)
			echo "$name nice $ni cpus $(taskset -pc "$pid" 2>/dev/null | sed 's/.*: //')"
		done)
		[ "$now" = "$1" ] && break
		sleep 0.1
	done
	echo "estimator thread: ${now:-none}"
}

# The connection table's size once it has not changed for 1.5 s (up to 10 s).
settled_size() {
	local last='' same=0 size
	for _ in $(seq 20); do
		size=$(ipvsadm -Ln | sed -n '1s/.*size=\([0-9]*\).*/\1/p')
		if [ "$size" = "$last" ]; then
			same=$((same + 1))
			[ $same -ge 3 ] && break
		else
			same=0
		fi
		last=$size
		sleep 0.5
	done
	echo "$size"
}

# Every file: mode, name, value (sync_qlen_max, a share of free memory, as whether it is one).
# (Read by the shell itself: two processes a file took seconds on TCG.)
listing() {
	local mode f v
	while read -r mode f; do
		v=
		IFS= read -r v <"$f" || true
		v=${v//$'\t'/ }
		[ "${f##*/}" = sync_qlen_max ] && { [ "$v" -gt 0 ] && v=positive; }
		echo "$mode ${f##*/} = $v"
	done < <(stat -c '%a %n' "$V"/*)
}

# try FILE VALUE...: writes each value (restoring the file's value after), printing the error
# and what the file reads then.
# (The shell's own reads and edits: no process per value.)
try() {
	local f=$V/$1 v old err now
	shift
	IFS= read -r old <"$f" || true
	for v in "$@"; do
		err=$({ printf '%s\n' "$v" >"$f"; } 2>&1) || true
		err=${err##*error: }
		now=
		IFS= read -r now <"$f" || true
		echo "${f##*/} <- '$v': ${err:-ok}; reads ${now//$'\t'/ }"
	done
	printf '%s\n' "$old" >"$f" 2>/dev/null || true
}

# One UDP request from a new socket (so a new connection): "answered" or "dropped".
# (An answer comes within a second even on a slow kernel: a dropped request costs no more.)
udp_once() {
	[ -n "$(udp_ask cl $VIP 80 1)" ] && echo answered || echo dropped
}

# xfrm_tunnel add|del: the client's TCP to the VIP's port 80 goes through an IPComp tunnel-mode
# SA to the director (10.0.0.2 -> 10.0.0.1). Packets too small to compress travel as IPIP, which
# the director's xfrm4_tunnel decapsulates (its tunl0 stays down, so ipip passes them on): the
# outer packet is of a protocol IPVS has no handler for, and xfrm keeps skb->ipvs_property.
xfrm_tunnel() {
	local sa="src 10.0.0.2 dst 10.0.0.1 proto comp spi 0x4242 mode tunnel"
	local sel="src 10.0.0.2/32 dst $VIP/32 proto tcp dport 80"
	local tmpl="tmpl src 10.0.0.2 dst 10.0.0.1 proto comp mode tunnel"
	if [ "$1" = add ]; then
		ip link set tunl0 down
		ip xfrm state add $sa comp deflate
		ip xfrm policy add $sel dir in $tmpl level use
		ip -n cl xfrm state add $sa comp deflate
		ip -n cl xfrm policy add $sel dir out $tmpl
	else
		ip xfrm policy flush && ip xfrm state flush
		ip -n cl xfrm policy flush && ip -n cl xfrm state flush
	fi
}

# One TCP request through that tunnel: the answer, or why there is none.
tunneled_get() {
	ip netns exec cl socat -T5 - "TCP:$VIP:80,connect-timeout=5" </dev/null 2>&1 |
		grep -o 'rs1\|Connection refused\|Connection timed out' || echo nothing
}

# One service line of --rate: CPS InPPS OutPPS InBPS OutBPS.
rates() { ipvsadm -Ln --rate --exact | awk -v k="$VIP:80" '$2 == k {print $3, $4, $5, $6, $7}'; }

# rates_move: waits (up to 12 s) for non-zero rates.
rates_move() {
	local _
	for _ in $(seq 12); do
		[ "$(rates)" != "0 0 0 0 0" ] && { echo "rates move"; return 0; }
		udp_load 1
	done
	echo "rates stay $(rates)"
}

nat_topology 1
start_servers 1
# A real server that takes TCP connections on port 81 and never sends.
ip netns exec rs1 socat -u TCP-LISTEN:81,reuseaddr,fork OPEN:/dev/null &
sink=$!
# (It keeps rs1's namespace, and so its link here, alive: it goes whatever happens.)
trap 'kill $sink 2>/dev/null' EXIT
for impl in c rs; do
	use_impl $impl
	[ $impl = c ] && modprobe ip_vs_lblc && modprobe ip_vs_lblcr
	# What goes wrong shows in the record: the differences are the test's verdict.
	set +e
	{
		echo "# initial namespace"
		listing
		echo "# writes"
		try amemthresh 2048 -5 abc '1 2' ''
		try am_droprate 0 20
		try conn_max 5000 0 -1 1073741824 1073741825 2147483648
		try drop_entry 1 3 4 -1
		try drop_packet 2 5
		try secure_tcp 1 9
		try conntrack 1 0
		try snat_reroute 0 7
		try sync_version 0 1 2 -1
		try sync_ports 4 3 0 -4 1024
		try sync_persist_mode 1
		try sync_qlen_max 100 -1 abc 18446744073709551615
		try sync_sock_size 65536 -1
		try sync_threshold '10 20' '20 10' '50 50' '5 0' '-1 5' '7' '0 0'
		try sync_refresh_period 5 0 -1
		try sync_retries 3 4 -1
		try expire_nodest_conn 1
		try backup_only 1
		try ignore_tunneled 1
		try run_estimation 7 0 -3
		try est_nice -20 19 20 -21
		try conn_lfactor -8 8 9 -9
		try svc_lfactor -8 8 9 -9
		try est_cpulist 0 0-1 1 abc 63 64 '' 0,1
		try lblc_expiration 30 0
		echo "# a new namespace (conn_max 5000 in the initial one)"
		echo 5000 >$V/conn_max
		ip netns add sctl
		ip netns exec sctl bash -c "V=$V && $(declare -f listing try) && listing && try conn_max 6000 1073741824"
		ip netns del sctl
		echo "# a namespace of another user namespace, whose root lacks CAP_NET_ADMIN"
		unshare -U -r -n bash -c "V=$V && $(declare -f listing try) && listing && try conn_max 4000 5000 5001 && try run_estimation 0 && try est_cpulist 0 && try sync_qlen_max 5 && try secure_tcp 1"
		echo 1073741824 >$V/conn_max
		echo "# conn_max 3: the fourth flow"
		ipvsadm -A -u $VIP:80 -s rr
		ipvsadm -a -u $VIP:80 -r 10.0.1.11:80 -m
		echo 3 >$V/conn_max
		for _ in 1 2 3 4; do udp_once; done
		ipvsadm -Lnc | awk 'NR > 2' | wc -l
		echo 1073741824 >$V/conn_max
		udp_once
		ipvsadm -C
		echo "# drop_packet 3, am_droprate 2: every other new connection is refused"
		ipvsadm -A -u $VIP:80 -s rr
		ipvsadm -a -u $VIP:80 -r 10.0.1.11:80 -m
		echo 2 >$V/am_droprate
		echo 3 >$V/drop_packet
		for _ in 1 2 3 4; do udp_once; done
		echo 0 >$V/drop_packet
		echo "# secure_tcp 3: a handshake without data stays SYNACK (ESTABLISHED without it)"
		ipvsadm -A -t $VIP:81 -s rr
		ipvsadm -a -t $VIP:81 -r 10.0.1.11:81 -m
		for mode in 3 0; do
			echo $mode >$V/secure_tcp
			# A client port of its own (the other run's is in TIME_WAIT).
			port=$((41000 + mode + ${#impl} * 10))
			# The client holds the connection open until its state is read (its input, a
			# FIFO, ends then), however long the guest takes to start socat.
			rm -f "$out/hold" && mkfifo "$out/hold"
			ip netns exec cl socat -u - "TCP:$VIP:81,sourceport=$port" <"$out/hold" &
			client=$!
			exec {hold}>"$out/hold"
			for _ in $(seq 100); do
				st=$(ipvsadm -Lnc | awk '$1 == "TCP" && $4 == "10.0.0.2:'$port'" {print $3}')
				case $st in SYN_RECV | '') sleep 0.1 ;; *) break ;; esac
			done
			echo "secure_tcp $mode: $st"
			exec {hold}>&-
			wait $client
			# Then both ends close it (the real server's FIN comes a moment later).
			for _ in $(seq 100); do
				st=$(ipvsadm -Lnc | awk '$1 == "TCP" && $4 == "10.0.0.2:'$port'" {print $3}')
				[ "$st" = TIME_WAIT ] && break
				sleep 0.1
			done
			# (Under secure_tcp C may still read FIN_WAIT here, or TIME_WAIT, as the last
			# packets' timing goes: either is a connection closing.)
			case $st in FIN_WAIT | TIME_WAIT) st=closing ;; esac
			echo "closed: $st"
		done
		ipvsadm -C
		echo "# drop_entry 3: half-open connections are dropped at random (20 s: some, not all)"
		ipvsadm -A -t $VIP:82 -s rr
		ipvsadm -a -t $VIP:82 -r 10.0.1.99:82 -m
		ip netns exec cl python3 "$REPO/tests/vm/synflood.py" $VIP 82 64 10.3 syn
		half_open() { ipvsadm -Lnc | grep -c "SYN_RECV .*$VIP:82" || true; }
		echo "half-open: $(half_open)"
		sleep 2
		echo "after 2 s without drop_entry: $(half_open)"
		echo 3 >$V/drop_entry
		for _ in $(seq 20); do
			[ "$(half_open)" -lt 64 ] && break
			sleep 1
		done
		n=$(half_open)
		echo "drop_entry dropped some within 20 s: $([ "$n" -lt 64 ] && echo yes || echo no)"
		echo 0 >$V/drop_entry
		ipvsadm -C
		echo "# snat_reroute: replies from the VIP are policy-routed into a blackhole (1), or not (0)"
		ip rule add from $VIP lookup 100 pref 100
		ip route add blackhole 10.0.0.0/24 table 100
		ipvsadm -A -u $VIP:80 -s rr
		ipvsadm -a -u $VIP:80 -r 10.0.1.11:80 -m
		for mode in 1 0; do
			echo $mode >$V/snat_reroute
			echo "snat_reroute $mode: $(udp_once)"
		done
		ip rule del pref 100
		ip route flush table 100
		echo 1 >$V/snat_reroute
		settled_stats | awk 'NR > 3 {print $1, $2, $3, $4, $5}'
		ipvsadm -C
		echo "# ignore_tunneled: TCP to the VIP from inside an xfrm tunnel (1: left to the director's stack)"
		ipvsadm -A -t $VIP:80 -s rr
		ipvsadm -a -t $VIP:80 -r 10.0.1.11:80 -m
		xfrm_tunnel add
		for mode in 0 1 0; do
			echo $mode >$V/ignore_tunneled
			echo "ignore_tunneled $mode: $(tunneled_get)"
		done
		xfrm_tunnel del
		ipvsadm -C
		echo "# run_estimation 0: rates stay 0"
		echo 0 >$V/run_estimation
		ipvsadm -A -u $VIP:80 -s rr
		ipvsadm -a -u $VIP:80 -r 10.0.1.11:80 -m
		udp_load 3
		echo "rates $(rates)"
		echo 1 >$V/run_estimation
		rates_move
		echo "# est_cpulist empty: rates freeze"
		printf '\n' >$V/est_cpulist
		cat $V/est_cpulist
		ipvsadm -Z
		udp_load 3
		echo "rates $(rates)"
		echo 0-1 >$V/est_cpulist
		rates_move
		echo "# the estimator's thread"
		est_thread "ipvs-e:0:0 nice 0 cpus 0,1"
		echo 5 >$V/est_nice
		est_thread "ipvs-e:0:0 nice 5 cpus 0,1"
		echo 1 >$V/est_cpulist
		est_thread "ipvs-e:0:0 nice 5 cpus 1"
		echo 0 >$V/run_estimation
		est_thread ""
		echo 1 >$V/run_estimation
		est_thread "ipvs-e:0:0 nice 5 cpus 1"
		echo 0 >$V/est_nice
		echo 0-1 >$V/est_cpulist
		echo "# conn_lfactor: the connection table's size for 512 more connections"
		ipvsadm -A -t $VIP:82 -s rr
		ipvsadm -a -t $VIP:82 -r 10.0.1.11:82 -m
		ip netns exec cl python3 "$REPO/tests/vm/synflood.py" $VIP 82 512 10.4
		for lf in -4 0 2 -4; do
			echo $lf >$V/conn_lfactor
			echo "conn_lfactor $lf: size $(settled_size)"
		done
		ipvsadm -C
	} >"$out/$impl" 2>&1
	set -e
done
cat "$out/rs"
grep -q '^conn_max <- .-1.: Invalid argument' "$out/rs" || fail "ipvs_rs: conn_max took -1"
grep -q '^644 conn_max = 1073741824$' "$out/rs" || fail "ipvs_rs: no conn_max at C's default"
grep -q '^# a namespace of another user namespace' "$out/rs" || fail "no user-namespace part"
grep -qx 'ignore_tunneled 0: rs1' "$out/rs" || fail "ipvs_rs: no tunneled connection balanced"
grep -qx 'ignore_tunneled 1: Connection refused' "$out/rs" || fail "ipvs_rs: ignore_tunneled 1 not left alone"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
