// SPDX-License-Identifier: GPL-2.0

//! wrr and the connection-count schedulers (lc, wlc, sed, nq, fo, ovf): exact picks from the
//! C formulas (`ip_vs_<name>.c`), including ties (the earlier destination in list order wins).

use crate::ipvs_sched::{DestState, Scheduler};

fn d(weight: i32, active: u32, inactive: u32) -> DestState {
    DestState { weight, active, inactive, overloaded: false }
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
        .map(|_| s.pick(dests.len(), |i| dests[i]).map_or('-', |i| (b'A' + i as u8) as char))
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
    assert_eq!(pick("lc", &[d(1, 1, 0), d(1, 0, 200), d(1, 0, 300)]), Some(1));
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
