#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# LLVM_LINK for ipvs_main.o when the kernel inlines its C helpers into Rust (see Kbuild):
#   link-helpers.sh <extra.bc> <llvm-link> --internalize ... <crate.bc> <helpers.bc> -o <out>
# runs the kernel's llvm-link command with <extra.bc> appended. llvm-link internalizes every
# file after the first, so the crate stays first and keeps its symbols; the appended wrappers
# become internal, inlined where called, and dropped when no call is left.
extra=$1
shift
exec "$@" "$extra"
