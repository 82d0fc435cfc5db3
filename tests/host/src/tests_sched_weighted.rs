// SPDX-License-Identifier: GPL-2.0

//! wrr and the connection-count schedulers (lc, wlc, sed, nq, fo, ovf): exact picks from the
//! C formulas (`ip_vs_<name>.c`), including ties (the earlier destination in list order wins).

use crate::ipvs_sched::{DestState, Scheduler};

fn d(weight: i32, active: u32, inactive: u32) -> DestState {
    DestState {
        weight,
        active,
        inactive,
        ..DestState::default()
    }
}

fn sched(name: &str, dests: &[DestState]) -> Scheduler {
    let mut s = Scheduler::new(name.as_bytes()).expect("registered");
    s.init(dests.len(), |i| dests[i]);
    s
}

fn pick(name: &str, dests: &[DestState]) -> Option<usize> {
    sched(name, dests).pick(dests.len(), |i| dests[i])
}

/// Picks as letters A, B, C... ('-' for none).
fn letters(s: &mut Scheduler, dests: &[DestState], k: usize) -> String {
    (0..k)
        .map(|_| {
            s.pick(dests.len(), |i| dests[i])
                .map_or('-', |i| (b'A' + i as u8) as char)
        })
        .collect()
}

#[test]
fn wrr_weights_4_3_2_cycle() {
    let dests = [d(4, 0, 0), d(3, 0, 0), d(2, 0, 0)];
    let mut s = sched("wrr", &dests);
    assert_eq!(letters(&mut s, &dests, 18), "AABABCABCAABABCABC");
}

#[test]
fn wrr_uses_gcd_steps() {
    // Weights 4 and 2 (gcd 2): A is picked twice as often, passes of step 2.
    let dests = [d(4, 0, 0), d(2, 0, 0)];
    let mut s = sched("wrr", &dests);
    assert_eq!(letters(&mut s, &dests, 6), "AABAAB");
}

#[test]
fn wrr_skips_quiesced_and_overloaded_and_reports_none() {
    let mut dests = [d(2, 0, 0), d(0, 0, 0), d(1, 0, 0)];
    let mut s = sched("wrr", &dests);
    assert_eq!(letters(&mut s, &dests, 6), "AACAAC");
    dests[0].overloaded = true;
    s.upd_dest(0, dests.len(), |i| dests[i]);
    assert_eq!(letters(&mut s, &dests, 3), "CCC");
    let none = [d(0, 0, 0), d(0, 0, 0)];
    let mut s = sched("wrr", &none);
    assert_eq!(letters(&mut s, &none, 2), "--");
}

#[test]
fn wrr_reweight_restarts_from_head() {
    let mut dests = [d(1, 0, 0), d(1, 0, 0)];
    let mut s = sched("wrr", &dests);
    assert_eq!(letters(&mut s, &dests, 1), "A");
    dests[1].weight = 3;
    s.upd_dest(1, dests.len(), |i| dests[i]);
    // Threshold 1 is kept (cw <= new max 3), list restarts at the head.
    assert_eq!(letters(&mut s, &dests, 8), "ABBBABBB");
}

#[test]
fn lc_least_overhead_ties_to_first() {
    // Overhead = active * 256 + active + inactive.
    assert_eq!(
        pick("lc", &[d(1, 1, 0), d(1, 0, 200), d(1, 0, 300)]),
        Some(1)
    );
    assert_eq!(pick("lc", &[d(1, 0, 5), d(9, 0, 5)]), Some(0));
    assert_eq!(pick("lc", &[d(0, 0, 0), d(1, 2, 0)]), Some(1));
    assert_eq!(pick("lc", &[d(0, 0, 0)]), None);
    // lc ignores weight size (only 0 excludes).
    assert_eq!(pick("lc", &[d(1, 0, 1), d(100, 0, 2)]), Some(0));
}

#[test]
fn wlc_exact_cross_products() {
    // loh * w(dest) > doh * w(least) picks the later one.
    // A: overhead 257 (1 active), w 1. B: overhead 772 (3 active, 1 inactive), w 3.
    // 257 * 3 = 771 > 772 * 1? no -> A stays.
    assert_eq!(pick("wlc", &[d(1, 1, 0), d(3, 3, 1)]), Some(0));
    // B: overhead 771, w 3: 771 > 771? no -> A (tie keeps the first).
    assert_eq!(pick("wlc", &[d(1, 1, 0), d(3, 3, 0)]), Some(0));
    // B: 2 active -> overhead 514, w 3: 257 * 3 = 771 > 514 -> B.
    assert_eq!(pick("wlc", &[d(1, 1, 0), d(3, 2, 0)]), Some(1));
    // The first destination must be available; later weight-0 ones never win.
    assert_eq!(pick("wlc", &[d(0, 0, 0), d(2, 5, 0), d(0, 0, 0)]), Some(1));
    assert_eq!(pick("wlc", &[d(0, 0, 0)]), None);
}

#[test]
fn sed_expected_delay() {
    // (active + 1) / weight: A 3/1, B 5/2 -> B; ties keep the first.
    assert_eq!(pick("sed", &[d(1, 2, 0), d(2, 4, 0)]), Some(1));
    assert_eq!(pick("sed", &[d(1, 1, 0), d(2, 3, 0)]), Some(0));
    // Inactive connections do not count.
    assert_eq!(pick("sed", &[d(1, 0, 1000), d(1, 1, 0)]), Some(0));
}

#[test]
fn nq_takes_first_idle_else_sed() {
    assert_eq!(pick("nq", &[d(5, 3, 0), d(1, 0, 50), d(1, 0, 0)]), Some(1));
    assert_eq!(pick("nq", &[d(1, 2, 0), d(2, 4, 0)]), Some(1));
    assert_eq!(pick("nq", &[d(0, 0, 0), d(1, 7, 0)]), Some(1));
    assert_eq!(pick("nq", &[d(0, 0, 0)]), None);
}

#[test]
fn fo_highest_weight_first_wins_ties() {
    assert_eq!(pick("fo", &[d(1, 0, 0), d(5, 9, 0), d(5, 0, 0)]), Some(1));
    let mut o = d(9, 0, 0);
    o.overloaded = true;
    assert_eq!(pick("fo", &[o, d(2, 0, 0)]), Some(1));
    assert_eq!(pick("fo", &[d(0, 0, 0)]), None);
}

#[test]
fn ovf_highest_weight_not_over_its_weight() {
    // A has weight 3 and 4 active: over -> B (weight 2, 2 active is not over).
    assert_eq!(pick("ovf", &[d(3, 4, 0), d(2, 2, 0), d(1, 0, 0)]), Some(1));
    assert_eq!(pick("ovf", &[d(3, 3, 0), d(3, 0, 0)]), Some(0));
    assert_eq!(pick("ovf", &[d(1, 2, 0), d(0, 0, 0)]), None);
}

// dh and sh: bucket = hash_32(address, 8) (multiplier 0x61C88647), expected buckets computed
// independently (Python): 10.0.0.2 -> 137, 10.0.0.3 -> 235, 192.168.7.9 -> 74,
// 10.0.0.2 + port 1234 -> 226, 2001:db8::1 folded (0x20010db9) -> 63.

use crate::ipvs_sched::{Packet, SVC_F_SCHED1, SVC_F_SCHED2};

fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut x = [0u8; 16];
    x[..4].copy_from_slice(&a);
    x
}

fn pick_pkt(s: &mut Scheduler, dests: &[DestState], pkt: Packet) -> Option<usize> {
    s.pick_for(dests.len(), |i| dests[i], &pkt)
}

#[test]
fn dh_maps_destination_address_to_bucket_round_robin_fill() {
    let dests = [d(1, 0, 0), d(1, 0, 0), d(5, 0, 0)];
    let mut s = sched("dh", &dests);
    let to = |a| Packet {
        af: 2,
        daddr: v4(a),
        ..Packet::default()
    };
    assert_eq!(pick_pkt(&mut s, &dests, to([10, 0, 0, 2])), Some(137 % 3));
    assert_eq!(pick_pkt(&mut s, &dests, to([10, 0, 0, 3])), Some(235 % 3));
    assert_eq!(pick_pkt(&mut s, &dests, to([192, 168, 7, 9])), Some(74 % 3));
    let mut six = [0u8; 16];
    six[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    six[15] = 1;
    assert_eq!(
        pick_pkt(
            &mut s,
            &dests,
            Packet {
                af: 10,
                daddr: six,
                ..Packet::default()
            }
        ),
        Some(63 % 3)
    );
    // The bucket's destination quiesced: no fallback in dh.
    let quiet = [d(1, 0, 0), d(1, 0, 0), d(0, 0, 0)];
    assert_eq!(pick_pkt(&mut s, &quiet, to([10, 0, 0, 2])), None);
}

#[test]
fn sh_fills_by_weight_and_hashes_source() {
    // Weights 2, 1: buckets A A B A A B ...
    let dests = [d(2, 0, 0), d(1, 0, 0)];
    let mut s = sched("sh", &dests);
    let from = |a, sport, flags| Packet {
        af: 2,
        saddr: v4(a),
        sport,
        svc_flags: flags,
        ..Packet::default()
    };
    // 137 % 3 == 2
    assert_eq!(
        pick_pkt(&mut s, &dests, from([10, 0, 0, 2], 1234, 0)),
        Some(1)
    );
    // 235 % 3 == 1
    assert_eq!(pick_pkt(&mut s, &dests, from([10, 0, 0, 3], 0, 0)), Some(0));
    // sh-port: the port is added before hashing (226 % 3 == 1 -> A).
    assert_eq!(
        pick_pkt(&mut s, &dests, from([10, 0, 0, 2], 1234, SVC_F_SCHED2)),
        Some(0)
    );
}

#[test]
fn sh_fallback_probes_other_buckets() {
    let dests = [d(2, 0, 0), d(1, 0, 0)];
    let mut s = sched("sh", &dests);
    let mut over = dests;
    over[1].overloaded = true;
    let from = |flags| Packet {
        af: 2,
        saddr: v4([10, 0, 0, 2]),
        svc_flags: flags,
        ..Packet::default()
    };
    assert_eq!(pick_pkt(&mut s, &over, from(0)), None);
    // Offset 0 probes bucket (137 + 137) & 255 = 18 -> 18 % 3 == 0 -> A.
    assert_eq!(pick_pkt(&mut s, &over, from(SVC_F_SCHED1)), Some(0));
}

// twos: two weighted random draws in [0, total weight] (inclusive, as C), lower overhead per
// weight wins, ties keep the first draw.

use std::cell::Cell;

thread_local! {
    static RNG: Cell<u32> = const { Cell::new(0x1234_5678) };
    static FIXED: Cell<[u32; 2]> = const { Cell::new([0, 0]) };
    static NEXT: Cell<usize> = const { Cell::new(0) };
}

/// A deterministic stand-in for get_random_u32.
fn xorshift() -> u32 {
    RNG.with(|s| crate::bench::xorshift_step(s))
}

/// Returns the two FIXED values in turn.
fn fixed() -> u32 {
    let i = NEXT.with(|n| {
        let i = n.get();
        n.set(i + 1);
        i
    });
    FIXED.with(|f| f.get()[i % 2])
}

#[test]
fn twos_draws_in_proportion_to_weight() {
    let dests = [d(1, 0, 0), d(2, 0, 0), d(3, 0, 0)];
    let mut s = sched("twos", &dests);
    let pkt = Packet {
        random: Some(xorshift),
        ..Packet::default()
    };
    let n = 70_000;
    let mut hits = [0usize; 3];
    for _ in 0..n {
        hits[pick_pkt(&mut s, &dests, pkt).unwrap()] += 1;
    }
    // With equal (zero) loads the first draw wins: P = (w1 + 1) / 7, w2 / 7, w3 / 7.
    // Bound: 1.5 percentage points (about 10 standard deviations at n = 70,000).
    for (h, p) in hits.iter().zip([2.0 / 7.0, 2.0 / 7.0, 3.0 / 7.0]) {
        let f = *h as f64 / n as f64;
        assert!((f - p).abs() < 0.015, "{hits:?}");
    }
}

#[test]
fn twos_prefers_lower_overhead_per_weight() {
    let dests = [d(1, 5, 0), d(1, 0, 0)];
    let mut s = sched("twos", &dests);
    let pkt = Packet {
        random: Some(fixed),
        ..Packet::default()
    };
    // Draws 0 and 0xC0000000 (below bound 3: 0 and 2): first A, second B; B has the lower overhead.
    FIXED.with(|f| f.set([0, 0xC000_0000]));
    NEXT.with(|n| n.set(0));
    assert_eq!(pick_pkt(&mut s, &dests, pkt), Some(1));
    // Both draws A: A.
    FIXED.with(|f| f.set([0, 0]));
    NEXT.with(|n| n.set(0));
    assert_eq!(pick_pkt(&mut s, &dests, pkt), Some(0));
    // Nothing available, or no random source: none.
    let none = [d(0, 0, 0)];
    assert_eq!(pick_pkt(&mut s, &none, pkt), None);
    assert_eq!(pick_pkt(&mut s, &dests, Packet::default()), None);
}
