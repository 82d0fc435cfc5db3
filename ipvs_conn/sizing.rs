// SPDX-License-Identifier: GPL-2.0

//! How many buckets the connection table wants (pure; host-tested).

/// The hash table's size policy (C 7.3's `ip_vs_rht_desired_size` with its load factor): the
/// number of buckets wanted for `count` connections in a table of `size` buckets. A negative
/// `lfactor` asks for `2^-lfactor` buckets per connection, a positive one allows `2^lfactor`
/// connections per bucket. It grows at once, shrinks only when 16 times too big (to twice the
/// need), and stays within `2^min_bits..=2^max_bits`.
pub(crate) fn desired_size(
    count: usize,
    size: usize,
    lfactor: i32,
    min_bits: u32,
    max_bits: u32,
) -> usize {
    let (min, max) = (1usize << min_bits, 1usize << max_bits);
    let n = need(count, lfactor, max_bits);
    if n > size {
        n
    } else if n > size >> 4 {
        size
    } else {
        (n << 1).clamp(min, max)
    }
}

/// The buckets `count` connections need at load factor `lfactor` (at most `2^max_bits`).
fn need(count: usize, lfactor: i32, max_bits: u32) -> usize {
    let max = 1usize << max_bits;
    let n = count.max(1).checked_next_power_of_two().unwrap_or(max);
    let f = lfactor.unsigned_abs().min(max_bits);
    if lfactor < 0 {
        n.min(1 << (max_bits - f)) << f
    } else {
        (n >> f).min(max)
    }
}

/// [`desired_size`] for a table sized at load factor `table_lfactor` when `lfactor` is wanted:
/// a new load factor gets exactly the size it asks for (C replaces a table of another
/// `lfactor` with one of that size).
pub(crate) fn desired_size_at(
    count: usize,
    size: usize,
    (lfactor, table_lfactor): (i32, i32),
    min_bits: u32,
    max_bits: u32,
) -> usize {
    if lfactor == table_lfactor {
        desired_size(count, size, lfactor, min_bits, max_bits)
    } else {
        need(count, lfactor, max_bits).clamp(1 << min_bits, 1 << max_bits)
    }
}

/// The load factor C IPVS 7.3 starts a namespace with (`conn_lfactor`): 16 buckets per
/// connection in the initial namespace, 4 in others (its chains hold NAT connections twice).
pub(crate) fn default_lfactor(init_net: bool) -> i32 {
    if init_net {
        -4
    } else {
        -2
    }
}
