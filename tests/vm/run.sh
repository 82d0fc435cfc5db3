#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boots the test kernel under QEMU (TCG, 2 vCPUs or VM_CPUS) with virtme-ng, the host filesystem
# visible, and runs tests/vm/guest.sh SCRIPT inside it. Exits with the script's status; a kernel
# report in the guest's dmesg (BUG, WARNING, Oops, KASAN, lockdep, RCU stall, Rust panic) fails
# it.
#
# Usage: tests/vm/run.sh KDIR SCRIPT [ARGS...]   (SCRIPT relative to the repository)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kdir=$1
shift
[ -f "$kdir/arch/x86/boot/bzImage" ] || { echo "error: no kernel image in $kdir (run tests/bootstrap.sh)" >&2; exit 1; }
command -v vng >/dev/null || { echo "error: vng (virtme-ng) not on PATH (run tests/bootstrap.sh)" >&2; exit 1; }

log=$(mktemp /tmp/ipvs-rs-vm.XXXXXX)
trap 'rm -f "$log"' EXIT
args=$(printf ' %q' "$@")
# The guest does not inherit our environment: pass the test knobs on.
envs=$(env | { grep -E '^(FUZZ_[A-Z]+|STRESS_ROUNDS|CONNS|PERSIST|SCALE_SERVICES|SCHED_ALL|TUN_ALL|SCTP_ALL|SUITE_TRACES|BENCH_[A-Z_]+)=' || true; } | while IFS= read -r kv; do printf '%q ' "$kv"; done)
# VM_ICOUNT=1: QEMU's instruction counting (`-icount shift=0,sleep=off`): guest time advances
# a nanosecond per guest instruction (and jumps over idle), so whatever the guest measures in
# its own time repeats from run to run whatever the host is doing (the benchmark's
# deterministic pass). One TCG thread then runs every vCPU.
# Extra QEMU options: instruction counting (VM_ICOUNT), and VM_QEMU_OPTS (a second VM's link).
qemu_opts=${VM_QEMU_OPTS:-}
[ -n "${VM_ICOUNT:-}" ] && qemu_opts="-icount shift=0,sleep=off $qemu_opts"
qemu=()
[ -n "$qemu_opts" ] && qemu=(--qemu-opts="$qemu_opts")
# KVM hangs when nested here: always use TCG.
# A kernel log that holds a whole suite's messages (128 KiB, the config's, wrapped after about
# 2,000 lines: later tests' reports could then be missed).
# The root is the host's, over 9p, which virtme-ng mounts uncached: every exec, library and
# Python module read from the host each time. Its own mount options again (the last rootflags=
# is the kernel's), cached: the guest writes only to its overlays (tmpfs), and nothing on the
# host that a guest reads changes during a run. Process starts take a third less time.
rootflags=version=9p2000.L,trans=virtio,access=any,msize=524288,cache=loose
timeout "${VM_TIMEOUT:-3000}" vng --run "$kdir/arch/x86/boot/bzImage" --disable-kvm --force-9p \
	--append "log_buf_len=16M rootflags=$rootflags" \
	--cpus "${VM_CPUS:-2}" --memory "${VM_MEMORY:-2G}" --user root "${qemu[@]}" \
	--exec "cd $root && env $envs tests/vm/guest.sh $kdir$args" </dev/null 2>&1 | tee "$log" || true
rc=$(sed -n 's/^VM-RESULT: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
if [ -z "$rc" ]; then
	echo "error: the VM did not report a result (crashed or timed out)" >&2
	exit 1
fi
exit "$rc"
