#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A highly available pair, as in production: keepalived (Debian's) on two LVS-DR directors
# (this namespace and netns bk, on one LAN with the client and two real servers) runs VRRP for
# the VIP, the same virtual_server, and `lvs_sync_daemon`: the VRRP master's IPVS runs the
# master sync daemon, the other's the backup. A client holds a TCP connection through the
# master; once the backup has it, the master's keepalived is stopped: the VIP moves to the
# backup, whose keepalived switches its IPVS to the master daemon, and the held connection's
# next request is answered through the synced connection. Under C ip_vs and ipvs_rs alike.
. "$(dirname "$0")/lib.sh"
set -e
command -v keepalived >/dev/null || fail "keepalived is not installed (tests/bootstrap.sh installs it)"
out=$(mktemp -d)
# On failure, what was recorded and keepalived's logs.
trap 'rc=$?; kill $(jobs -p) 2>/dev/null; [ $rc = 0 ] || tail -n 40 "$out"/c "$out"/rs "$out"/ka-*.log 2>/dev/null; true' EXIT

# The LAN of the sync tests (lib.sh).
lan_topology
for ns in rs1 rs2; do serve_bg "$ns" --echo 80 "$ns"; done
serve_wait

# config NAME IFACE PRIORITY: a director's keepalived.conf.
config() {
	cat <<-EOF
		global_defs {
			router_id $1
			lvs_sync_daemon $2 VI_1 id 7
		}
		vrrp_instance VI_1 {
			state BACKUP
			interface $2
			virtual_router_id 51
			priority $3
			advert_int 1
			virtual_ipaddress {
				$VIP/32 dev $2
			}
		}
		virtual_server $VIP 80 {
			delay_loop 1
			lb_algo rr
			lb_kind DR
			protocol TCP
			real_server 10.0.0.11 80 {
				weight 1
			}
			real_server 10.0.0.12 80 {
				weight 1
			}
		}
	EOF
}
config ka_m dm 150 >"$out/m.conf"
config ka_b eth0 100 >"$out/b.conf"

# keepalived_in NETNS|- NAME: starts keepalived (VRRP and checker) with NAME.conf.
keepalived_in() {
	in_ns "$1" keepalived --dont-fork --log-console --use-file "$out/$2.conf" \
		--pid "$out/$2.pid" --vrrp_pid "$out/$2-vrrp.pid" --checkers_pid "$out/$2-check.pid" \
		>>"$out/ka-$2.log" 2>&1 &
}

# until_true SECONDS COMMAND...: waits until COMMAND succeeds.
until_true() {
	local n=$(($1 * 10))
	shift
	for _ in $(seq "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
has_vip() { in_ns "${1:--}" ip -br addr show | grep -q " $VIP/32"; }
daemons() { in_ns "${1:--}" ipvsadm -L -n --daemon; }
bk_has_conn() { ip netns exec bk ipvsadm -Lnc | grep -q '10.0.0.2:40001 '; }

for impl in c rs; do
	rm -f "$out/go"
	use_impl $impl
	ip -n cl neigh flush dev eth0
	keepalived_in - m
	ka_m=$!
	keepalived_in bk b
	ka_b=$!
	{
		echo "== elected"
		until_true 10 test -s "$out/m.pid" -a -s "$out/b.pid"
		until_true 30 has_vip || fail "$impl: no VRRP master took the VIP"
		until_true 10 eval '[ -n "$(daemons)" ] && [ -n "$(daemons bk)" ]' ||
			fail "$impl: keepalived did not start the sync daemons"
		daemons
		daemons bk
		ipvsadm -Ln | tail -n +4
		ip netns exec cl python3 "$REPO/tests/vm/held_client.py" 10.0.0.2 40001 $VIP 80 "$out/go" >"$out/held" &
		held=$!
		until_true 15 bk_has_conn || fail "$impl: the backup did not get the connection"
		ip netns exec bk ipvsadm -Lnc | awk 'NR > 2 {print $1, $3, $4, $5, $6}'
		echo "== the master's keepalived stops"
		start=$(date +%s%N)
		kill "$(cat "$out/m.pid")"
		until_true 10 has_vip bk || fail "$impl: the VIP did not move to the backup"
		echo "VIP moved in $((($(date +%s%N) - start) / 1000000)) ms" >"$out/moved-$impl"
		wait $ka_m || true
		has_vip && fail "$impl: the old master kept the VIP"
		until_true 10 eval 'daemons bk | grep -q "^master"' ||
			fail "$impl: the new master's keepalived did not start the master daemon"
		daemons bk
		touch "$out/go"
		wait $held
		cat "$out/held"
	} >"$out/$impl" 2>&1
	kill "$(cat "$out/b.pid")"
	wait $ka_b || true
	unload_ipvs
done
show_both "$out"
cat "$out/moved-c" "$out/moved-rs"
grep -q '^held connection: b$' "$out/rs" ||
	fail "ipvs_rs: the held connection did not go on through the new master"
# VRRP: the stopping master's priority-0 advertisement makes the backup take over at once, so
# the move takes about what the old master's keepalived takes to send it as it stops: within
# a second of C's (1.4 s under both on the test kernel, 4.2 s on the debug kernel).
[ "$(awk '{print $4}' "$out/moved-rs")" -lt "$(($(awk '{print $4}' "$out/moved-c") + 1000))" ] ||
	fail "ipvs_rs: the VIP took a second or more longer to move than under C"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
