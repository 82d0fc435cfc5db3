// SPDX-License-Identifier: GPL-2.0

//! The connection table's size policy (C 7.3's `ip_vs_rht_desired_size`).

use crate::ipvs_conn::sizing::{default_lfactor, desired_size};

const INIT: i32 = -4;

#[test]
fn starts_small_and_stays_at_the_minimum_while_empty() {
    assert_eq!(desired_size(0, 256, INIT, 8, 12), 256);
    assert_eq!(desired_size(16, 256, INIT, 8, 12), 256);
}

#[test]
fn grows_to_16_buckets_per_connection_up_to_the_maximum() {
    assert_eq!(desired_size(17, 256, INIT, 8, 12), 512);
    assert_eq!(desired_size(100, 256, INIT, 8, 12), 2048);
    assert_eq!(desired_size(100_000, 256, INIT, 8, 12), 4096);
    assert_eq!(desired_size(100_000, 256, INIT, 8, 20), 1 << 20);
}

#[test]
fn shrinks_only_when_16_times_too_big_and_then_to_twice_the_need() {
    // 20 connections want 512 buckets: more than 4096/16, so 4096 stays.
    assert_eq!(desired_size(20, 4096, INIT, 8, 12), 4096);
    // 10 want 256: not more than 4096/16, so shrink to 2 * 256.
    assert_eq!(desired_size(10, 4096, INIT, 8, 12), 512);
    assert_eq!(desired_size(0, 4096, INIT, 8, 12), 256);
}

#[test]
fn other_namespaces_and_positive_factors() {
    assert_eq!(default_lfactor(true), -4);
    assert_eq!(default_lfactor(false), -2);
    assert_eq!(desired_size(100, 256, default_lfactor(false), 8, 12), 512);
    // A positive factor allows 2^f connections per bucket.
    assert_eq!(desired_size(1000, 256, 2, 8, 12), 256);
    assert_eq!(desired_size(2000, 256, 2, 8, 12), 512);
}

#[test]
fn new_load_factor() {
    use crate::ipvs_conn::sizing::desired_size_at;
    // 600 connections in a table of 4096 sized at -4: another load factor gets exactly what
    // it asks for, shrinking included (where the same one keeps the table).
    assert_eq!(desired_size_at(600, 4096, (-4, -4), 8, 12), 4096);
    assert_eq!(desired_size_at(600, 4096, (0, -4), 8, 12), 1024);
    assert_eq!(desired_size_at(600, 1024, (2, 0), 8, 12), 256);
    assert_eq!(desired_size_at(600, 256, (-4, 2), 8, 12), 4096);
    assert_eq!(desired_size_at(600, 4096, (0, 0), 8, 12), 4096);
}

/// The largest connection table (C's `ip_vs_conn_init`): the `conn_tab_bits` parameter within
/// 8..=27 and within what half the memory holds.
#[test]
fn conn_tab_bits_is_clamped_like_c() {
    use crate::ipvs_conn::sizing::conn_tab_max_bits;
    // 2 GiB less what the kernel keeps (480,000 pages round up to 2^19), 4 KiB pages, entries
    // of 320 bytes (2^9): 19 + 12 - 9 = 22 bits at most.
    let (pages, shift, size) = (480_000, 12, 320);
    assert_eq!(conn_tab_max_bits(12, pages, shift, size), 12);
    assert_eq!(conn_tab_max_bits(21, pages, shift, size), 21);
    assert_eq!(conn_tab_max_bits(27, pages, shift, size), 22);
    assert_eq!(conn_tab_max_bits(i32::MAX, pages, shift, size), 22);
    assert_eq!(conn_tab_max_bits(-3, pages, shift, size), 8);
    assert_eq!(conn_tab_max_bits(0, pages, shift, size), 8);
    // 64 GiB: 27, the limit of 64-bit machines; and never below 8, however little memory.
    assert_eq!(conn_tab_max_bits(27, 1 << 24, shift, size), 27);
    assert_eq!(conn_tab_max_bits(30, 1 << 30, shift, size), 27);
    assert_eq!(conn_tab_max_bits(20, 16, shift, size), 8);
    // Entries of 513 bytes count as 1024.
    assert_eq!(conn_tab_max_bits(27, pages, shift, 513), 21);
    // C's connection (296 bytes: 2^9), whatever ipvs_rs's own: in a 4 GiB VM (about 980,000
    // pages: 2^20), 20 + 12 - 9 = 23 bits, C's 8,388,608 buckets.
    use crate::ipvs_conn::sizing::C_CONN_SIZE;
    assert_eq!(conn_tab_max_bits(27, 980_000, shift, C_CONN_SIZE), 23);
}
