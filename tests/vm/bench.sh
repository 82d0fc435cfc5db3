#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark (`make bench`), inside the VM: C ip_vs ("c"), ipvs_rs ("rs") and plain IP
# forwarding without IPVS ("fwd", the ceiling) over the same topology and load, alternated in
# rotating order for BENCH_ROUNDS rounds. Prints one line per measurement:
#   BENCH <scenario> <impl> <round> <value> <unit>
# which tests/bench/report.py turns into the tables.
#
# Topology: client netns "cl" (10.0.0.2) -- director (this namespace; VIP 10.0.0.100) -- bridge
# -- real servers rs1..rs4 (10.0.1.11-14), which also hold the VIP on lo for DR. The load
# generator (tests/bench, ipvs-bench-load) runs pinned to CPU 0, the servers to CPU 1.
#
# Scenarios (BENCH_SECS seconds each):
#   udp_nat     UDP request/response from 64 flows through NAT (replies/s; 2 packets each)
#   crr_nat     TCP connect/request/response/close, 4 loops, through NAT (connections/s)
#   udp_nat6, crr_nat6  the same two over IPv6 (VIP fd00::100, real servers fd00:1::11-14)
#   crr_dr      the same through DR (replies go around the director's IPVS)
#   crr_persist crr_nat through a persistent service (-p 300: every connection finds the
#               client's template)
#   stream_nat  one TCP connection's throughput through NAT (bit/s)
#   conn_mem    unreclaimable slab per connection for BENCH_CONNS ESTABLISHED connections (bytes)
#   ctl_restore, ctl_list  ipvsadm -R / -Ln of BENCH_SERVICES services x 4 real servers (s)
#   profile     (BENCH_PROFILE=1) where the director's CPU time goes during udp_nat and crr_nat
#               (and, with the ctl part, ipvsadm -R / -Ln of BENCH_PROFILE_SERVICES services), for c and rs: perf's cpu-clock samples over both vCPUs, by symbol
#               ("PROFILE <impl> <scenario> <view> <share%> <symbol> <object>" lines), and the IPVS
#               modules' CPU time per request or connection ("PROFILE-COST" lines, tests/vm/profile.py)
# BENCH_PARTS picks among "traffic mem ctl" (default: all).
# For fwd, the client addresses a real server directly; the director only routes.
#
# Every traffic measurement also prints the vCPUs' busy time per operation:
#   BENCH-COST <scenario> <impl> <round> <ns per operation> <operation>
# (busy: not idle, summed over the vCPUs, from /proc/stat, over the load's window; an operation
# is a request and its reply, a whole connection, or a MB of the stream). Under QEMU's
# instruction counting with one vCPU (tests/run.sh's deterministic pass: `-icount shift=0`,
# guest time advances a nanosecond per guest instruction) that is the guest instructions each
# operation costs the whole system: load generator, stack, IPVS and servers.
. "$(dirname "$0")/lib.sh"
set -e
ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-5}
CONNS=${BENCH_CONNS:-100000}
SERVICES=${BENCH_SERVICES:-10000}
PARTS=${BENCH_PARTS:-traffic mem ctl}
# perf's sampling frequency in the profiling runs (Hz).
FREQ=${BENCH_PROFILE_FREQ:-499}
LOAD="$REPO/tests/bench/target/release/ipvs-bench-load"
[ -x "$LOAD" ] || { echo "no $LOAD (cargo build --release in tests/bench)"; exit 1; }

nat_topology 4
add_v6 4
dr_real_servers 4
# (With one vCPU, everything shares it.)
srv_cpu=$(($(nproc) > 1 ? 1 : 0))
for i in 1 2 3 4; do
	ip netns exec "rs$i" taskset -c $srv_cpu "$LOAD" serve 80 &
done
# Many short connections: any local port, reuse of TIME_WAIT ports.
ip netns exec cl sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
for i in 1 2 3 4; do ip netns exec "rs$i" sysctl -qw net.ipv4.tcp_tw_reuse=1; done
# conn_mem: real servers 10.0.9.11-14 whose frames nobody takes; the flood's sources route back
# to the client namespace, which drops the answers.
ip route add 10.2.0.0/16 via 10.0.0.2
for i in 1 2 3 4; do ip neigh replace 10.0.9.1$i lladdr 02:00:00:00:09:1$i dev br-rs nud permanent; done
ip route add 10.0.9.0/24 dev br-rs
sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.vcl.rp_filter=0
sysctl -qw net.core.netdev_max_backlog=200000
# DR: the real servers' answers come back from the VIP, an address of this host.
sysctl -qw net.ipv4.conf.br-rs.accept_local=1 net.ipv4.conf.br-rs.rp_filter=0
sleep 1

load() { ip netns exec cl taskset -c 0 "$LOAD" "$@"; }
report() { echo "BENCH $1 $2 $3 $4 $5"; }

# measure SCENARIO IMPL ROUND UNIT LOAD-ARGS...: runs the load, reports its rate and its cost.
measure() {
	local sc=$1 impl=$2 r=$3 unit=$4 v what
	shift 4
	v=$(load "$@")
	report "$sc" "$impl" "$r" "${v% *}" "$unit"
	case $unit in bit/s) what=MB ;; *) what=${unit%/s} ;; esac
	echo "BENCH-COST $sc $impl $r ${v#* } $what"
}


services() { # fwd-method
	ipvsadm -C
	ipvsadm -A -t $VIP:80 -s rr
	ipvsadm -A -u $VIP:80 -s rr
	ipvsadm -A -t "[$VIP6]:80" -s rr
	ipvsadm -A -u "[$VIP6]:80" -s rr
	for i in 1 2 3 4; do
		ipvsadm -a -t $VIP:80 -r 10.0.1.1$i:80 "$1"
		ipvsadm -a -u $VIP:80 -r 10.0.1.1$i:80 "$1"
		ipvsadm -a -t "[$VIP6]:80" -r "[fd00:1::1$i]:80" "$1"
		ipvsadm -a -u "[$VIP6]:80" -r "[fd00:1::1$i]:80" "$1"
	done
}

traffic_round() { # impl round
	local impl=$1 r=$2 dst=$VIP dst6=$VIP6
	if [ "$impl" = fwd ]; then
		unload_ipvs
		dst=10.0.1.11
		dst6=fd00:1::11
	else
		use_impl "$impl"
		services -m
	fi
	measure udp_nat "$impl" "$r" replies/s udp $dst 80 64 "$SECS"
	measure crr_nat "$impl" "$r" conn/s crr $dst 80 4 "$SECS"
	measure udp_nat6 "$impl" "$r" replies/s udp $dst6 80 64 "$SECS"
	measure crr_nat6 "$impl" "$r" conn/s crr $dst6 80 4 "$SECS"
	measure stream_nat "$impl" "$r" bit/s stream $dst 80 "$SECS"
	if [ "$impl" != fwd ]; then
		services -g
		measure crr_dr "$impl" "$r" conn/s crr $dst 80 4 "$SECS"
		services -m
		ipvsadm -E -t $VIP:80 -s rr -p 300
		measure crr_persist "$impl" "$r" conn/s crr $dst 80 4 "$SECS"
		ipvsadm -C
	fi
}

mem_run() { # impl
	local before after
	use_impl "$1"
	ipvsadm -A -t $VIP:90 -s rr
	for i in 1 2 3 4; do ipvsadm -a -t $VIP:90 -r 10.0.9.1$i:90 -m; done
	settle_slab
	before=$(unreclaimable_kb)
	ip netns exec cl taskset -c 0 python3 "$REPO/tests/vm/synflood.py" $VIP 90 "$CONNS"
	settle_slab
	after=$(unreclaimable_kb)
	held=$(ipvsadm -Ln | awk '/->/ && $2 ~ /:90$/ {a += $5} END {print a + 0}')
	[ "$held" = "$CONNS" ] || echo "warning: $1 held $held of $CONNS connections"
	report conn_mem "$1" 1 $(((after - before) * 1024 / CONNS)) bytes/conn
	unload_ipvs
}

# The CPUs' busy nanoseconds since boot (/proc/stat: all but idle and iowait, USER_HZ 100).
busy_ns() { awk 'NR == 1 {printf "%.0f\n", ($2 + $3 + $4 + $7 + $8 + $9) * 10000000; exit}' /proc/stat; }

ctl_run() { # impl restore-file
	local t0 t1 t2 b0 b1 b2
	use_impl "$1"
	b0=$(busy_ns)
	t0=$(date +%s.%N)
	ipvsadm -R <"$2"
	t1=$(date +%s.%N)
	b1=$(busy_ns)
	ipvsadm -Ln >/dev/null
	t2=$(date +%s.%N)
	b2=$(busy_ns)
	report ctl_restore "$1" 1 "$(echo "$t1 - $t0" | bc)" s
	report ctl_list "$1" 1 "$(echo "$t2 - $t1" | bc)" s
	# Busy time per ipvsadm command of the restore (a service and its 4 real servers: 5), and
	# for the whole listing.
	echo "BENCH-COST ctl_restore $1 1 $(((b1 - b0) / (SERVICES * 5))) command"
	echo "BENCH-COST ctl_list $1 1 $((b2 - b1)) listing"
	unload_ipvs
}

# tests/vm/profile.py resolves kernel and module addresses from /proc/kallsyms itself and
# prints three views: "objects" (the share of each binary: the IPVS module's is the director's
# IPVS cost), "module" (the IPVS modules' symbols) and "all" (the top symbols anywhere).
# Shares are of all samples, both vCPUs.
profile_run() { # impl
	local sc data rate ops
	use_impl "$1"
	services -m
	for sc in udp crr; do
		data=$(mktemp)
		# The load's own rate (its stdout) turns the module's samples into CPU time per operation.
		case $sc in
		udp) rate=$(ip netns exec cl taskset -c 0 perf record -q -a -F $FREQ -e cpu-clock -o "$data" -- "$LOAD" udp $VIP 80 64 "$SECS" 2>/dev/null) ;;
		crr) rate=$(ip netns exec cl taskset -c 0 perf record -q -a -F $FREQ -e cpu-clock -o "$data" -- "$LOAD" crr $VIP 80 4 "$SECS" 2>/dev/null) ;;
		esac
		# (The load prints its rate, then its cost.)
		rate=${rate%% *}
		perf script -i "$data" -F ip,sym,dso 2>/dev/null |
			python3 "$REPO/tests/vm/profile.py" "$1" "${sc}_nat" "${rate:-0}" "$SECS" "$FREQ"
		rm -f "$data"
	done
	ipvsadm -C
	part ctl || return 0
	# The control plane: BENCH_PROFILE_SERVICES (2000) services x 4 restored, then listed.
	local restore
	restore=$(mktemp)
	scale_restore "${BENCH_PROFILE_SERVICES:-2000}" >"$restore"
	for sc in restore list; do
		data=$(mktemp)
		case $sc in
		restore) perf record -q -a -F $FREQ -e cpu-clock -o "$data" -- ipvsadm -R <"$restore" >/dev/null 2>&1 ;;
		list) perf record -q -a -F $FREQ -e cpu-clock -o "$data" -- ipvsadm -Ln >/dev/null 2>&1 ;;
		esac
		# Per operation: per ipvsadm command of the restore (a service and its 4 real
		# servers: 5), per listing.
		case $sc in restore) ops=$((${BENCH_PROFILE_SERVICES:-2000} * 5)) ;; list) ops=1 ;; esac
		perf script -i "$data" -F ip,sym,dso 2>/dev/null | python3 "$REPO/tests/vm/profile.py" "$1" "ctl_$sc" "$ops" 1 "$FREQ"
		rm -f "$data"
	done
	rm -f "$restore"
	ipvsadm -C
}

part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
impls=(c rs fwd)
if part traffic; then
	for r in $(seq 1 "$ROUNDS"); do
		for k in 0 1 2; do traffic_round "${impls[$(((r + k) % 3))]}" "$r"; done
	done
	unload_ipvs
fi
if part mem; then
	for impl in c rs; do mem_run $impl; done
fi
if [ -n "${BENCH_PROFILE:-}" ]; then
	if command -v perf >/dev/null && [ -e /proc/sys/kernel/perf_event_paranoid ]; then
		sysctl -qw kernel.perf_event_paranoid=-1 kernel.kptr_restrict=0
		for impl in c rs; do profile_run $impl; done
		unload_ipvs
	else
		echo "warning: no perf in the VM (linux-perf) or no CONFIG_PERF_EVENTS: no profile"
	fi
fi
part ctl || { echo "BENCH-DONE"; exit 0; }
restore=$(mktemp)
scale_restore "$SERVICES" >"$restore"
for impl in rs c; do ctl_run $impl "$restore"; done
rm -f "$restore"
echo "BENCH-DONE"
