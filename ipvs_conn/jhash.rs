// SPDX-License-Identifier: GPL-2.0

//! Bob Jenkins' lookup3 hash as the kernel's `jhash_3words` computes it (`include/linux/jhash.h`).
//!
//! Pure code, checked against values computed by the C implementation in the host tests.

/// The kernel's `JHASH_INITVAL`.
const INITVAL: u32 = 0xdeadbeef;

/// lookup3's final mixing of three words.
fn fold(mut a: u32, mut b: u32, mut c: u32) -> u32 {
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(14));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(11));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(25));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(16));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(4));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(14));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(24));
    c
}

/// Hashes three words with a seed, like the kernel's `jhash_3words`.
pub(crate) fn jhash_3words(a: u32, b: u32, c: u32, initval: u32) -> u32 {
    let base = INITVAL.wrapping_add(initval).wrapping_add(3 << 2);
    fold(
        a.wrapping_add(base),
        b.wrapping_add(base),
        c.wrapping_add(base),
    )
}
