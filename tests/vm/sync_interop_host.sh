#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make sync-interop`: connection synchronisation between C ip_vs and ipvs_rs, both ways. Two
# VMs (one vCPU each) joined by a QEMU datagram link on the host's loopback run
# tests/vm/sync_interop.sh, one the master director, one the backup, for the four pairs
# (master, backup) = (c, c), (c, rs), (rs, c), (rs, rs). What each backup made of its master's
# messages (`-Lnc`, `ip_vs_conn_sync`, `-Ln`) and the records it received must be the same for
# all four: a mixed pair syncs as a C pair does.
# usage: sync_interop_host.sh KDIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kdir=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
port=$((20000 + RANDOM % 20000))
rc=0
for pair in c:c c:rs rs:c rs:rs; do
	m=${pair%:*} b=${pair#*:}
	link() { # link LOCAL REMOTE MAC
		echo "-netdev dgram,id=s0,local.type=inet,local.host=127.0.0.1,local.port=$1,remote.type=inet,remote.host=127.0.0.1,remote.port=$2 -device virtio-net-pci,netdev=s0,mac=$3"
	}
	echo "[interop] master $m, backup $b"
	VM_CPUS=1 VM_TIMEOUT=900 VM_QEMU_OPTS="$(link $port $((port + 1)) 52:54:00:00:09:01)" \
		"$root/tests/vm/run.sh" "$kdir" tests/vm/sync_interop.sh master "$m" >"$out/$m-$b.master" 2>&1 &
	mpid=$!
	VM_CPUS=1 VM_TIMEOUT=900 VM_QEMU_OPTS="$(link $((port + 1)) $port 52:54:00:00:09:02)" \
		"$root/tests/vm/run.sh" "$kdir" tests/vm/sync_interop.sh backup "$b" >"$out/$m-$b.backup" 2>&1 &
	bpid=$!
	wait $mpid || { echo "[interop] the master VM failed:"; tail -n 40 "$out/$m-$b.master"; rc=1; }
	wait $bpid || { echo "[interop] the backup VM failed:"; tail -n 40 "$out/$m-$b.backup"; rc=1; }
	sed -n 's/^IOP: //p' "$out/$m-$b.master" "$out/$m-$b.backup" | tr -d '\r' >"$out/$m-$b"
	port=$((port + 2))
done
echo "[interop] master c, backup c:"
cat "$out/c-c"
for pair in c-rs rs-c rs-rs; do
	if diff -u "$out/c-c" "$out/$pair" >"$out/diff"; then
		echo "[interop] $pair: the same"
	else
		echo "[interop] $pair differs from c-c:"
		cat "$out/diff"
		rc=1
	fi
done
grep -q '^conn TCP - ESTABLISHED 10.0.0.2:40001 10.0.0.100:80 10.0.1.11:80$' "$out/c-rs" ||
	{ echo "[interop] the ipvs_rs backup did not make the C master's established connection"; rc=1; }
grep -q '^conn TCP - ESTABLISHED 10.0.0.2:40001 10.0.0.100:80 10.0.1.11:80$' "$out/rs-c" ||
	{ echo "[interop] the C backup did not make the ipvs_rs master's established connection"; rc=1; }
exit $rc
