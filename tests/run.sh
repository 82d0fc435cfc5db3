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
make -s -C "$root" KDIR="$kdir" LLVM=-19 RUSTC=/usr/bin/rustc

case $what in
check)
	echo "[run] build preflight checks"
	"$root/tests/preflight.sh" "$kdir"
	echo "[run] host tests (cargo test)"
	(cd "$root/tests/host" && cargo test -q 2>&1)
	echo "[run] VM tests"
	"$root/tests/vm/run.sh" "$kdir" tests/vm/suite.sh
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
debug)
	# The VM suite (or the tests named in TESTS) on the debug kernel: KASAN, lockdep, RCU and
	# atomic-sleep checks, kmemleak scanned at the end. About 6x slower than the test kernel.
	# shellcheck disable=SC2086
	VM_TIMEOUT=${VM_TIMEOUT:-14400} "$root/tests/vm/run.sh" "$kdir" tests/vm/suite.sh ${TESTS:-}
	;;
*)
	echo "usage: $0 check|demo|matrix|fuzz|debug" >&2
	exit 2
	;;
esac
