#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Persistence (-p, -M), one-packet scheduling (-o) and the connection-lifecycle sysctls,
# differential against C ip_vs. With rr, a persistent service keeps each client (or client
# network, with -M) on one real server: TCP and UDP address services, a firewall-mark service
# over two ports (marked by nftables) and a port-0 service over any port. Then, as C: a
# quiesced real server keeps its persistent clients unless expire_quiescent_template; a removed
# one's template is not used again (shown with port 65535), and with expire_nodest_conn its
# connections and templates go at once; a client sending while its real server is removed is
# dropped (expire_nodest_conn 0) or moved on (UDP rescheduled, TCP reset; 1); templates expire after the -p timeout once they
# control nothing, and live on 60 s while they do; -o schedules each UDP datagram and lists no
# connection; conn_reuse_mode 0 reuses a finished connection, and expire_nodest_conn
# reschedules a reused port of a quiesced or removed real server; -E without -p ends persistence
# (templates stay until they expire), -E with -p -M starts it again, -D leaves the templates
# and connections of the deleted service in the table. With --pe sip, a real server's own
# request goes out as the virtual service's and its call stays on it. Answers, `ipvsadm -Lnc`
# (expiry column left out, client ports masked), `--persistent-conn` and `--stats` are
# compared.
. "$(dirname "$0")/lib.sh"
set -e
out=$(mktemp -d)
nat_topology 3
for i in 1 2 3; do
	serve_bg "rs$i" 80,90,91,92,93,94,95,96,97,98,5060 "rs$i"
done
for i in 1 2 3; do serve_bg "rs$i" --echo 99 "rs$i"; done
# rs1's port 5062 is sipout.py's (a SIP request of its own).
serve_bg rs2 5062 rs2
serve_bg rs3 5062 rs3
serve_wait
for i in $(seq 3 12); do ip -n cl addr add "10.0.0.$i/24" dev eth0; done
tcpgets_start
nft -f - <<NFT
table ip persist_test {
	chain pre {
		type filter hook prerouting priority mangle;
		ip daddr $VIP tcp dport { 90, 91 } meta mark set 5
		ip daddr $VIP udp dport { 90, 91 } meta mark set 5
	}
}
NFT
# tcp PORT SRC...: a TCP request from each source in turn ("SRC ANSWER" lines).
tcp() {
	local port=$1
	shift
	tcpgets "$VIP" "$port" "$@"
}
# sip SPORT CALLID [VPORT]: a SIP request from 10.0.0.2:SPORT with that Call-ID ("-": not
# SIP) to VIP:VPORT (5060).
sip() {
	local msg="OPTIONS sip:svc@$VIP SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2:$1\r\nCall-ID: $2\r\nCSeq: 1 OPTIONS\r\n\r\n"
	[ "$2" = - ] && msg="hello\n"
	# shellcheck disable=SC2059
	local a
	a=$(printf "$msg" | ip netns exec cl socat -T2 - "UDP:$VIP:${3:-5060},bind=10.0.0.2:$1" 2>/dev/null) || true
	echo "$2 ${a:-none}"
}
# udp PORT SRC: a datagram from SRC; prints "SRC ANSWER".
udp() { udpgets "$VIP" "$1" "$2"; }
# reuse PORT SPORT: a TCP request from 10.0.0.2:SPORT (the client port reused); prints the answer.
reuse() {
	local a
	a=$(tcpgets "$VIP" "$1" "10.0.0.2/$2")
	echo "${a#* }"
}
# The connection list, sorted, without the expiry (times differ) and with client ports masked
# (a template's is 0).
conns() {
	ipvsadm -Lcn | awk 'NR > 2 { sub(/:[1-9][0-9]*$/, ":*", $4); print $1, $3, $4, $5, $6 }' | sort
}
# The answer to SRC's last request in the file of this run.
rs_of() { awk -v s="$1" '$1 == s {a = $2} END {print a}' "$out/$impl"; }
addr_of() { echo "10.0.1.1${1#rs}"; }
# svc3 SERVICE [PORT]: the three NAT real servers (with PORT, or none).
svc3() {
	local i
	for i in 1 2 3; do ipvsadm -a $1 -r "10.0.1.1$i${2:+:$2}" -m; done
}
for impl in c rs; do
	use_impl $impl
	sysctl -qw net.ipv4.vs.expire_nodest_conn=0 net.ipv4.vs.expire_quiescent_template=0 net.ipv4.vs.conn_reuse_mode=1
	{
		echo "== tcp -p"
		ipvsadm -A -t $VIP:80 -s rr -p 300
		svc3 "-t $VIP:80" 80
		tcp 80 10.0.0.2 10.0.0.3 10.0.0.2 10.0.0.4 10.0.0.3 10.0.0.2
		echo "== tcp -p -M 255.255.255.248"
		ipvsadm -A -t $VIP:81 -s rr -p 300 -M 255.255.255.248
		svc3 "-t $VIP:81" 80
		tcp 81 10.0.0.2 10.0.0.9 10.0.0.5 10.0.0.10 10.0.0.7 10.0.0.12
		echo "== udp -p"
		ipvsadm -A -u $VIP:80 -s rr -p 300
		svc3 "-u $VIP:80" 80
		for s in 10.0.0.2 10.0.0.3 10.0.0.2 10.0.0.3 10.0.0.4; do udp 80 $s; done
		echo "== fwmark -p"
		ipvsadm -A -f 5 -s rr -p 300
		svc3 "-f 5"
		tcp 90 10.0.0.2 10.0.0.3
		tcp 91 10.0.0.2 10.0.0.3
		udp 90 10.0.0.2
		udp 91 10.0.0.3
		echo "== port 0 -p"
		ipvsadm -A -t $VIP:0 -s rr -p 300
		svc3 "-t $VIP:0"
		tcp 92 10.0.0.2 10.0.0.3
		tcp 93 10.0.0.2 10.0.0.3
		ipvsadm -Ln --persistent-conn
		conns
	} >"$out/$impl"
	{
		echo "== quiesced"
		q=$(rs_of 10.0.0.2)
		ipvsadm -e -t $VIP:80 -r "$(addr_of "$q"):80" -m -w 0
		tcp 80 10.0.0.2
		sysctl -qw net.ipv4.vs.expire_quiescent_template=1
		tcp 80 10.0.0.2 10.0.0.2
		sysctl -qw net.ipv4.vs.expire_quiescent_template=0
		ipvsadm -e -t $VIP:80 -r "$(addr_of "$q"):80" -m -w 1
		echo "== removed"
		ipvsadm -d -t $VIP:80 -r "$(addr_of "$(rs_of 10.0.0.3)"):80"
		tcp 80 10.0.0.3 10.0.0.3
		echo "== removed, expire_nodest_conn"
		sysctl -qw net.ipv4.vs.expire_nodest_conn=1
		ipvsadm -d -t $VIP:81 -r "$(awk '$1 == "10.0.0.9" {print $2}' "$out/$impl" | sed 's/rs/10.0.1.1/'):80"
		sysctl -qw net.ipv4.vs.expire_nodest_conn=0
		tcp 81 10.0.0.9
		ipvsadm -Ln --persistent-conn
		conns
		echo "== removed while the client sends"
		ipvsadm -A -u $VIP:98 -s rr -p 300
		svc3 "-u $VIP:98" 98
		ipvsadm -A -t $VIP:99 -s rr
		svc3 "-t $VIP:99" 99
		# Ports of its own for each implementation: the real servers keep the sockets of the
		# connections ended by a reset of the director's.
		sport=6000
		[ $impl = rs ] && sport=6100
		# The client sends for 3 s: long enough for the listing and the removal on the test
		# kernel; the debug kernel took longer than that (C and ipvs_rs alike).
		secs=3
		[ -z "${IPVS_DEBUG_KERNEL:-}" ] || secs=15
		for nodest in 0 1; do
			sysctl -qw net.ipv4.vs.expire_nodest_conn=$nodest
			for svc in "u 98" "t 99"; do
				read -r l vport <<<"$svc"
				sport=$((sport + 1))
				proto=udp
				[ "$l" = t ] && proto=tcp
				ip netns exec cl python3 "$REPO/tests/vm/sender.py" $proto $VIP "$vport" $sport $secs >"$out/send" &
				pid=$!
				for _ in $(seq 100); do
					[ -s "$out/send" ] && break
					sleep 0.05
				done
				d=$(ipvsadm -Lnc | awk -v c="10.0.0.2:$sport" '$4 == c {print $6}')
				ipvsadm -d -"$l" $VIP:"$vport" -r "$d"
				wait $pid
				echo "expire_nodest_conn $nodest, $proto: $(tr '\n' ' ' <"$out/send")"
				ipvsadm -a -"$l" $VIP:"$vport" -r "$d" -m
			done
		done
		sysctl -qw net.ipv4.vs.expire_nodest_conn=0
		# (Packet counts depend on timing: out of the --stats compared.)
		ipvsadm -D -u $VIP:98
		ipvsadm -D -t $VIP:99
		conns | grep -E ':9[89] ' || true
		echo "== -o"
		ipvsadm -A -u $VIP:96 -s rr -o
		svc3 "-u $VIP:96" 96
		for s in 10.0.0.2 10.0.0.2 10.0.0.2 10.0.0.2; do udp 96 $s; done
		ipvsadm -A -u $VIP:97 -s rr -o -p 300
		svc3 "-u $VIP:97" 97
		for s in 10.0.0.2 10.0.0.3 10.0.0.2 10.0.0.3; do udp 97 $s; done
		conns | grep -E ':9[67] ' || true
		echo "== conn_reuse_mode"
		ipvsadm -A -t $VIP:98 -s rr
		ipvsadm -a -t $VIP:98 -r 10.0.1.11:98 -m
		ipvsadm -a -t $VIP:98 -r 10.0.1.12:98 -m
		sysctl -qw net.ipv4.vs.conn_reuse_mode=0
		echo "mode 0: $(reuse 98 43000) $(reuse 98 43000)"
		# Mode 2 (FIN_WAIT of DR/TUN only) without bit 1: NAT's TIME_WAIT still reschedules.
		sysctl -qw net.ipv4.vs.conn_reuse_mode=2
		echo "mode 2: $(reuse 98 43003) $(reuse 98 43003)"
		sysctl -qw net.ipv4.vs.conn_reuse_mode=0
		a=$(reuse 98 43001)
		ipvsadm -e -t $VIP:98 -r "$(addr_of "$a"):98" -m -w 0
		b=$(reuse 98 43001)
		sysctl -qw net.ipv4.vs.expire_nodest_conn=1
		echo "quiesced, mode 0: $a $b; with expire_nodest_conn: $(reuse 98 43001)"
		ipvsadm -e -t $VIP:98 -r "$(addr_of "$a"):98" -m -w 1
		sysctl -qw net.ipv4.vs.expire_nodest_conn=0
		a=$(reuse 98 43002)
		ipvsadm -d -t $VIP:98 -r "$(addr_of "$a"):98"
		b=$(reuse 98 43002)
		sysctl -qw net.ipv4.vs.expire_nodest_conn=1
		echo "removed: $a, then $b; with expire_nodest_conn: $(reuse 98 43002)"
		sysctl -qw net.ipv4.vs.conn_reuse_mode=1 net.ipv4.vs.expire_nodest_conn=0
		echo "== -E without -p, then -D, with templates in the table"
		ipvsadm -E -t $VIP:80 -s rr
		tcp 80 10.0.0.4 10.0.0.4 10.0.0.4
		ipvsadm -E -t $VIP:80 -s rr -p 300 -M 255.255.255.248
		tcp 80 10.0.0.5 10.0.0.4
		ipvsadm -D -t $VIP:81
		# The services, real servers and templates; not the TIME_WAIT connections nor the
		# counts of inactive ones, which hold the first sections' connections for their 120 s:
		# on a slow kernel (the debug one) some had expired by now, at a moment of their own
		# under each implementation (the answers above say where each request went).
		ipvsadm -Ln | awk '$1 == "->" { NF = 4 } { print }'
		conns | grep -E ':8[01] ' | grep -v ' TIME_WAIT '
	} >>"$out/$impl"
	settled_stats >>"$out/$impl"
	{
		echo "== template expiry"
		ipvsadm --set 0 0 2
		# (Short-lived, so that C's ip_vs_pe_sip, which its templates hold, can be unloaded.)
		echo "== --pe sip"
		ipvsadm -A -u $VIP:5060 -s rr -p 4 --pe sip
		svc3 "-u $VIP:5060" 5060
		# From one process: the requests of a call must come within the template's 4 s (its
		# connections have 2 s), which separate socat runs outlasted on the debug kernel.
		ip netns exec cl python3 "$REPO/tests/vm/sipreqs.py" $VIP 5060 \
			5001:a84b4c76e66710@pc33.example.com 5002:a84b4c76e66710@pc33.example.com \
			5003:other-call 5004:a84b4c76e66710@pc33.example.com 5005:- 5006:other-call
		awk '$5 == "13C4" && $3 == "0000" {$9 = "-"; print}' /proc/net/ip_vs_conn | sort
		echo "== --pe sip, a real server's own request"
		ipvsadm -A -u $VIP:5062 -s rr -p 4 --pe sip
		svc3 "-u $VIP:5062" 5062
		ip netns exec cl python3 "$REPO/tests/vm/sipout.py" client 10.0.0.2 5070 >"$out/sipcl" &
		cl=$!
		for _ in $(seq 100); do
			ip netns exec cl ss -lunH | grep -q '10.0.0.2:5070 ' && break
			sleep 0.1
		done
		ip netns exec rs1 python3 "$REPO/tests/vm/sipout.py" server 5062 10.0.0.2 5070 rs1-call@example.com rs1 >"$out/sipsrv" &
		srv=$!
		wait $cl
		# The same call from another port: to rs1 by the template its request made.
		sip 5073 rs1-call@example.com 5062
		wait $srv
		cat "$out/sipcl" "$out/sipsrv"
		# The call's template. (Not its connections, which have 2 s to live: that of rs1's own
		# request, made first, and that of the request from port 5073, whose socat waited 2 s
		# after the answer; either may be up by now or not, as the host's load has it.)
		awk '$5 == "13C6" && $3 == "0000" {$9 = "-"; print}' /proc/net/ip_vs_conn | sort
		ipvsadm -A -u $VIP:94 -s rr -p 4
		svc3 "-u $VIP:94" 94
		ipvsadm -A -u $VIP:95 -s rr -p 1
		svc3 "-u $VIP:95" 95
		# Each listed at once: the :94 connection has 2 s only.
		udp 94 10.0.0.2
		conns | grep -E ':94 '
		ipvsadm --set 0 0 5
		udp 95 10.0.0.2
		conns | grep -E ':95 '
		# The :94 connection expires after 2 s, its template 4 s after it was made; the :95
		# template's time is up after 1 s, while its connection lives 5 s: 60 s more. Listed
		# once all but that template are gone (up to 10 s).
		for _ in $(seq 50); do
			conns | awk '$4 ~ /:9[45]$/ && !($4 ~ /:95$/ && $3 ~ /:0$/) {n++} END {exit !n}' || break
			sleep 0.2
		done
		echo "after the :94 entries and the :95 connection expired:"
		conns | grep -E ':9[45] ' || true
		ipvsadm -Lcn | awk '$5 ~ /:95$/ && $4 ~ /:0$/ {print "template :95 expires in", ($2 >= "00:30" && $2 <= "01:00") ? "30-60 s" : $2}'
	} >>"$out/$impl"
	ipvsadm -C
	ipvsadm --set 900 120 300
	unload_ipvs
done
nft delete table ip persist_test
show_both "$out"
# Affinity itself, whatever C does.
for s in 10.0.0.2 10.0.0.3; do
	[ "$(sed -n '/^== tcp -p$/,/^== tcp -p -M/p' "$out/rs" | awk -v s=$s '$1 == s {print $2}' | sort -u | wc -l)" = 1 ] ||
		fail "ipvs_rs: client $s of the persistent service went to more than one real server"
done
[ "$(sed -n '/-M 255/,/^== udp/p' "$out/rs" | awk '$1 ~ /^10\.0\.0\.[257]$/ {print $2}' | sort -u | wc -l)" = 1 ] ||
	fail "ipvs_rs: the clients of one /29 went to more than one real server"
[ "$(sed -n '/^== fwmark/,/^== port 0/p' "$out/rs" | awk '$1 == "10.0.0.2" {print $2}' | sort -u | wc -l)" = 1 ] ||
	fail "ipvs_rs: the firewall-mark service did not keep the client across ports and protocols"
grep -Eq '^IP (NONE|ASSURED) 10.0.0.2:0 0.0.0.5:0 ' "$out/rs" || fail "ipvs_rs: no firewall-mark template listed"
grep -q '^expire_nodest_conn 0, udp: rs[123] none $' "$out/rs" &&
	grep -q '^expire_nodest_conn 1, udp: rs[123] rs[123] $' "$out/rs" &&
	grep -q '^expire_nodest_conn 0, tcp: echo stalled $' "$out/rs" &&
	grep -q '^expire_nodest_conn 1, tcp: echo reset $' "$out/rs" ||
	fail "ipvs_rs: a sending client of a removed real server was not dropped (expire_nodest_conn 0) or moved (1)"
grep -q ':65535$' "$out/rs" || fail "ipvs_rs: the removed real server's template is not shown invalidated"
grep -q 'template :95 expires in 30-60 s' "$out/rs" || fail "ipvs_rs: a controlling template did not live on 60 s"
[ "$(grep -c '^a84b4c76e66710@pc33.example.com rs' "$out/rs")" = 3 ] &&
	[ "$(grep '^a84b4c76e66710@pc33.example.com rs' "$out/rs" | sort -u | wc -l)" = 1 ] ||
	fail "ipvs_rs: SIP requests of one Call-ID from several ports went to more than one real server"
grep -q '^- none' "$out/rs" || fail "ipvs_rs: a datagram without Call-ID to a --pe sip service was answered"
grep -q ' sip other-call$' "$out/rs" || fail "ipvs_rs: no template listed with its Call-ID"
grep -q "^client: INVITE sip:user@10.0.0.2 SIP/2.0 from $VIP:5062$" "$out/rs" &&
	grep -q '^server answer: SIP/2.0 200 OK from 10.0.0.2$' "$out/rs" &&
	grep -q '^rs1-call@example.com rs1$' "$out/rs" ||
	fail "ipvs_rs: a real server's SIP request did not go out as the virtual service's, or its call did not stay on it"
diff -u "$out/c" "$out/rs"
rm -rf "$out"
