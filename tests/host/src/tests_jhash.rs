// SPDX-License-Identifier: GPL-2.0

//! `ipvs_conn/jhash.rs` against the kernel's `jhash_3words`.

use crate::ipvs_conn::jhash::jhash_3words;

/// `(a, b, c, initval, jhash_3words(a, b, c, initval))`.
///
/// Produced by a throw-away C program (not kept) that `#include`d the unmodified
/// `include/linux/jhash.h` of linux-source-7.3, with stub `<linux/bitops.h>` (`u32`, `rol32`)
/// and `<linux/unaligned.h>` headers, built with gcc on x86-64, printing
/// `jhash_3words(a, b, c, initval)` for each row.
const VECTORS: [(u32, u32, u32, u32, u32); 9] = [
    (0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x1b68e557),
    (0x00000001, 0x00000002, 0x00000003, 0x00000000, 0xa46158f5),
    (0x00000001, 0x00000002, 0x00000003, 0x00000001, 0x0e3bbaf2),
    (0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xc343af0b),
    (0x0100000a, 0x0200000a, 0x00500006, 0x12345678, 0xf810d7a1),
    (0xdeadbeef, 0xcafebabe, 0x8badf00d, 0x00000000, 0x1bd4fe67),
    (0xc0a80001, 0x00001f90, 0x00000006, 0x9e3779b9, 0x4415c403),
    (0x80000000, 0x7fffffff, 0x00000001, 0x21524111, 0xb9992191),
    (0x0a000001, 0xac100002, 0x00000011, 0xfffffff3, 0xf22e2fb3),
];

#[test]
fn matches_the_kernel() {
    for (a, b, c, init, want) in VECTORS {
        assert_eq!(
            jhash_3words(a, b, c, init),
            want,
            "jhash_3words({a:#x}, {b:#x}, {c:#x}, {init:#x})"
        );
    }
}
