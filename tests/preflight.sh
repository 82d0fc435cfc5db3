#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The module build's setup errors are one line and say what to do: a missing KDIR, a kernel
# without CONFIG_RUST, a rustc other than the kernel's, an LLVM other than the kernel's when it
# inlines its C helpers. Usage: tests/preflight.sh KDIR
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1
# The kernel's own LLVM (CONFIG_CLANG_VERSION 220108: -22), as tests/run.sh builds with.
llvm=-$(($(sed -n 's/^CONFIG_CLANG_VERSION=//p' "$kdir/.config") / 10000))
pass=0
failed=0
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT

expect() { # expect NAME PATTERN MAKE-ARGS...
	local name=$1 pat=$2 out
	shift 2
	out=$(make -s -C "$root" preflight "$@" 2>&1)
	if [ $? -ne 0 ] && [ "$(grep -c . <<<"$out")" -le 2 ] && grep -q "$pat" <<<"$out"; then
		echo "ok - preflight: $name"
		pass=$((pass + 1))
	else
		echo "not ok - preflight: $name: got: $out"
		failed=$((failed + 1))
	fi
}

expect "missing KDIR" "is not a configured, built kernel tree; pass KDIR=" KDIR=/nonexistent
mkdir -p "$fake/include/config"
touch "$fake/Makefile"
grep -v '^CONFIG_RUST=' "$kdir/include/config/auto.conf" >"$fake/include/config/auto.conf"
expect "kernel without CONFIG_RUST" "has no CONFIG_RUST=y" KDIR="$fake"
printf '#!/bin/sh\necho "rustc 0.0.1 (fake)"\n' >"$fake/rustc"
chmod +x "$fake/rustc"
expect "rustc mismatch" "but the kernel was built with .*pass RUSTC=" KDIR="$kdir" RUSTC="$fake/rustc"
expect "bindgen missing" "does not run; .*pass BINDGEN=" KDIR="$kdir" RUSTC=/usr/bin/rustc BINDGEN="$fake/no-bindgen"
# A kernel that inlines its C helpers into Rust takes a module built with its LLVM.
if grep -qx 'CONFIG_RUST_INLINE_HELPERS=y' "$kdir/.config"; then
	other=-19
	[ "$llvm" != -19 ] || other=-22
	expect "LLVM mismatch with inlined helpers" "takes its own LLVM .*pass LLVM=$llvm" KDIR="$kdir" RUSTC=/usr/bin/rustc LLVM=$other
fi
if make -s -C "$root" preflight KDIR="$kdir" RUSTC=/usr/bin/rustc LLVM="$llvm" >/dev/null 2>&1; then
	echo "ok - preflight: matching setup accepted"
	pass=$((pass + 1))
else
	echo "not ok - preflight: matching setup rejected"
	failed=$((failed + 1))
fi
echo "preflight: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
