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

/// The connection table's size limits, log2 (C's `IP_VS_CONN_TAB_MIN_BITS` and, on 64-bit,
/// `IP_VS_CONN_TAB_MAX_BITS`).
pub(crate) const CONN_TAB_MIN_BITS: u32 = 8;
pub(crate) const CONN_TAB_MAX_BITS: u32 = 27;

/// `sizeof(struct ip_vs_conn)` in C IPVS on 64-bit 7.3 (296 bytes, read from `ip_vs.ko`'s slab
/// cache creation; debug options make it larger but leave it below 512, the power of two its
/// limit rounds it to): C sizes its connection table's limit by it.
pub(crate) const C_CONN_SIZE: usize = 296;

/// The largest connection table, log2, for the `conn_tab_bits` module parameter `param` on a
/// machine of `ram_pages` pages of `1 << page_shift` bytes, with entries of `entry_size` bytes
/// (C's `ip_vs_conn_init`): the parameter within 8..=27 and within what half the memory
/// holds at one entry per two buckets (at least 8 bits).
pub(crate) fn conn_tab_max_bits(
    param: i32,
    ram_pages: usize,
    page_shift: u32,
    entry_size: usize,
) -> u32 {
    // C's order_base_2: log2 rounded up.
    let order = |n: usize| {
        i64::from(
            n.max(1)
                .checked_next_power_of_two()
                .map_or(usize::BITS, |p| p.trailing_zeros()),
        )
    };
    let avail = order(ram_pages) + i64::from(page_shift) - order(entry_size);
    let max = avail.clamp(i64::from(CONN_TAB_MIN_BITS), i64::from(CONN_TAB_MAX_BITS));
    i64::from(param).clamp(i64::from(CONN_TAB_MIN_BITS), max) as u32
}
