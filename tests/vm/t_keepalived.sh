#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# keepalived (Debian's, run here without systemd: its checker process only) drives IPVS as in
# production: a virtual_server with persistence_timeout, persistence_granularity, lb_algo wlc,
# TCP_CHECK health checks of two NAT real servers and a sorry_server. Clients of two /29
# networks keep their real server; when one real server fails its check keepalived removes it
# and its clients move; when both fail the sorry server takes them. Answers, `ipvsadm -Ln`,
# `--persistent-conn` and `-Lnc` (expiry left out, client ports masked) at each step are the
# same under C ip_vs and ipvs_rs.
. "$(dirname "$0")/lib.sh"
set -e
command -v keepalived >/dev/null || fail "keepalived is not installed (tests/bootstrap.sh installs it)"
out=$(mktemp -d)
nat_topology 3
start_servers 3
for i in $(seq 3 12); do ip -n cl addr add "10.0.0.$i/24" dev eth0; done
cat >"$out/keepalived.conf" <<EOF
global_defs {
	router_id ipvs_rs_test
}
virtual_server $VIP 80 {
	delay_loop 1
	lb_algo wlc
	lb_kind NAT
	persistence_timeout 300
	persistence_granularity 255.255.255.248
	protocol TCP
	sorry_server 10.0.1.13 80
	real_server 10.0.1.11 80 {
		weight 1
		TCP_CHECK {
			connect_timeout 1
		}
	}
	real_server 10.0.1.12 80 {
		weight 2
		TCP_CHECK {
			connect_timeout 1
		}
	}
}
EOF
conns() {
	ipvsadm -Lcn | awk 'NR > 2 { sub(/:[1-9][0-9]*$/, ":*", $4); print $1, $3, $4, $5, $6 }' | sort
}
# until_dests N: waits (up to 30 s) until the virtual server has exactly the real servers N...
until_dests() {
	local want=$* have
	for _ in $(seq 300); do
		have=$(ipvsadm -Ln | awk '$1 == "->" && $2 != "RemoteAddress:Port" {print $2}' | sort | tr '\n' ' ')
		[ "$have" = "$want " ] && return 0
		sleep 0.1
	done
	fail "real servers '$have', not '$want'"
}
# Stops real server i's answer.py (its health check then fails).
fail_server() { pkill -f "answer.py 80 rs$1\$"; }
requests() { ip netns exec cl python3 "$REPO/tests/vm/tcpgets.py" "$VIP" 80 10.0.0.2 10.0.0.9 10.0.0.5 10.0.0.10 10.0.0.3 10.0.0.11; }
state() {
	ipvsadm -Ln
	ipvsadm -Ln --persistent-conn | tail -n +4
	conns
}
for impl in c rs; do
	use_impl $impl
	keepalived --dont-fork --log-console --check --use-file "$out/keepalived.conf" \
		--pid "$out/ka.pid" --checkers_pid "$out/ka-check.pid" >"$out/ka-$impl.log" 2>&1 &
	ka=$!
	{
		echo "== both real servers up"
		until_dests 10.0.1.11:80 10.0.1.12:80
		requests
		state
		echo "== rs1 fails its check"
		fail_server 1
		until_dests 10.0.1.12:80
		requests
		state
		echo "== rs2 fails too: the sorry server"
		fail_server 2
		until_dests 10.0.1.13:80
		requests
		state
	} >"$out/$impl" 2>&1 || { cat "$out/$impl" "$out/ka-$impl.log"; kill $ka; fail "keepalived under $impl"; }
	kill $ka
	wait $ka || true
	# Its servers back for the next round.
	pkill -f 'answer.py 80 rs' || true
	start_servers 3
	unload_ipvs
done
show_both "$out"
grep -q '^10.0.0.2 rs' "$out/rs" || fail "ipvs_rs: keepalived's service did not answer"
[ "$(sed -n '/both real servers up/,/rs1 fails/p' "$out/rs" | awk '$1 ~ /^10\.0\.0\.[235]$/ {print $2}' | sort -u | wc -l)" = 1 ] ||
	fail "ipvs_rs: the clients of one /29 went to more than one real server"
[ "$(sed -n '/sorry server/,$p' "$out/rs" | awk '$1 ~ /^10\.0\.0\./ {print $2}' | sort -u)" = rs3 ] ||
	fail "ipvs_rs: the sorry server did not take every client"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
