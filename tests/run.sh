#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The two top-level entry points (make check / make demo): set everything up on a fresh Debian
# machine, build ipvs_rs.ko against the cached test kernel, then run the tests or the demo.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-check}
cache=${IPVS_CACHE:-$HOME/.cache/ipvs-rs}

flavour=test
[ "$what" = debug ] && flavour=debug
kdir=$("$root/tests/bootstrap.sh" "$flavour" | tail -n 1)
export PATH="$HOME/.cargo/bin:$cache/venv/bin:$PATH"

echo "[run] building ipvs_rs.ko against $kdir"
build_log=$(mktemp)
trap 'rm -f "$build_log"' EXIT
# With the kernel's own LLVM (CONFIG_CLANG_VERSION 220108: LLVM=-22).
llvm=-$(($(sed -n 's/^CONFIG_CLANG_VERSION=//p' "$kdir/.config") / 10000))
# make check builds through clippy (the kernel's CLIPPY=1 lints, Debian's clippy of the kernel's
# rustc); the module's code is the same.
lint=()
[ "$what" = check ] && lint=(CLIPPY=1 CLIPPY_DRIVER=/usr/bin/clippy-driver)
# The tests' module carries the KUnit suites (t_kunit.sh reads their results); the demo's and
# the benchmark's is the users' build.
case $what in demo | bench) ;; *) lint+=(IPVS_KUNIT=1) ;; esac
make -s -C "$root" KDIR="$kdir" LLVM="$llvm" RUSTC=/usr/bin/rustc "${lint[@]}" 2>&1 | tee "$build_log"
# The tests' build is warning-free (compiler, clippy and objtool alike): a warning fails
# `make check`.
if [ "$what" = check ] && grep -qi 'warning' "$build_log"; then
	echo "error: the module build printed warnings (above)" >&2
	exit 1
fi

case $what in
check)
	echo "[run] build preflight checks"
	"$root/tests/preflight.sh" "$kdir"
	echo "[run] rustfmt with the kernel's settings, 100 columns"
	make -s -C "$root" fmtcheck RUSTFMT=/usr/bin/rustfmt
	echo "[run] host tests (cargo test)"
	(cd "$root/tests/host" && cargo test -q 2>&1)
	echo "[run] VM tests"
	# In one VM (about 45 minutes here, 2 cores, TCG; VM_JOBS=2 on four cores or more: two
	# at once); the bound is for a VM that hangs.
	VM_TIMEOUT=${VM_TIMEOUT:-4500} "$root/tests/vm/shards.sh" "$kdir"
	;;
demo)
	"$root/tests/vm/run.sh" "$kdir" tests/vm/demo.sh
	;;
matrix)
	"$root/tests/vm/run.sh" "$kdir" tests/vm/suite.sh t_ctl_matrix.sh
	;;
fuzz)
	"$root/tests/vm/run.sh" "$kdir" tests/vm/suite.sh t_genl_fuzz.sh
	;;
interop)
	# Two VMs at a time: C ip_vs and ipvs_rs as sync master and backup, both ways.
	"$root/tests/vm/sync_interop_host.sh" "$kdir"
	;;
vm)
	# The tests named in TESTS (default: all) on the test kernel, e.g. their long forms:
	# CONNS=1000000 TESTS=t_conn_100k.sh, FUZZ_COUNT=100000 TESTS=t_malformed.sh.
	# shellcheck disable=SC2086
	VM_TIMEOUT=${VM_TIMEOUT:-14400} "$root/tests/vm/run.sh" "$kdir" tests/vm/suite.sh ${TESTS:-}
	;;
bench)
	# The chart; the tables do without it.
	/usr/bin/python3 -c 'import matplotlib' 2>/dev/null ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-matplotlib >/dev/null || true
	# The profiling mode (BENCH_PROFILE=1) runs the host's perf inside the VM.
	if [ -n "${BENCH_PROFILE:-}" ] && ! command -v perf >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q linux-perf >/dev/null || true
	fi
	echo "[run] building the load generator (tests/bench)"
	(cd "$root/tests/bench" && cargo build --release -q)
	out=${BENCH_DIR:-$root/bench-results}
	mkdir -p "$out"
	VM_TIMEOUT=${VM_TIMEOUT:-5400} "$root/tests/vm/run.sh" "$kdir" tests/vm/bench.sh | tee "$out/vm.log"
	# The deterministic pass (BENCH_ICOUNT=0: none): the traffic and control-plane parts again
	# under QEMU's instruction counting on one vCPU, BENCH_ICOUNT_ROUNDS (2) rounds of
	# BENCH_ICOUNT_SECS (2) seconds, whose figures are guest instructions (tests/vm/bench.sh,
	# BENCH-COST).
	rm -f "$out/vm-icount.log"
	icount_parts=$(for p in ${BENCH_PARTS:-traffic mem ctl}; do case $p in traffic | ctl) echo "$p" ;; esac; done)
	if [ "${BENCH_ICOUNT:-1}" != 0 ] && [ -z "${BENCH_PROFILE:-}" ] && [ -n "$icount_parts" ]; then
		echo "[run] the deterministic pass (QEMU -icount, 1 vCPU)"
		# Its profile (perf at 4999 Hz of guest time: the test kernel's high-resolution timers)
		# gives the IPVS modules' own instructions per operation.
		command -v perf >/dev/null ||
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q linux-perf >/dev/null || true
		# shellcheck disable=SC2046,SC2116
		VM_CPUS=1 VM_ICOUNT=1 BENCH_ROUNDS=${BENCH_ICOUNT_ROUNDS:-2} BENCH_SECS=${BENCH_ICOUNT_SECS:-2} \
			BENCH_PARTS="$(echo $icount_parts)" BENCH_PROFILE=1 BENCH_PROFILE_FREQ=4999 VM_TIMEOUT=${VM_TIMEOUT:-5400} "$root/tests/vm/run.sh" "$kdir" tests/vm/bench.sh | tee "$out/vm-icount.log"
	fi
	machine="$(nproc) host CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)); VM: QEMU TCG, 2 vCPUs, 2 GiB; kernel $(basename "$kdir")"
	# Debian's python3 (the one python3-matplotlib is for), not the virtme-ng venv's.
	/usr/bin/python3 "$root/tests/bench/report.py" "$out/vm.log" "$out" "$machine" "$out/vm-icount.log"
	;;
debug)
	# The VM suite (or the tests named in TESTS) on the debug kernel: KASAN, lockdep, RCU and
	# atomic-sleep checks, kmemleak scanned at the end. A test takes 3 to 7 times as long there.
	# shellcheck disable=SC2086
	VM_TIMEOUT=${VM_TIMEOUT:-14400} "$root/tests/vm/run.sh" "$kdir" tests/vm/suite.sh ${TESTS:-}
	;;
*)
	echo "usage: $0 check|demo|matrix|fuzz|interop|debug|vm|bench" >&2
	exit 2
	;;
esac
