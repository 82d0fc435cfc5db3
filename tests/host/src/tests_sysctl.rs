// SPDX-License-Identifier: GPL-2.0

//! The `net/ipv4/vs/` write rules and defaults (C 7.3's proc handlers in ip_vs_ctl.c).

use crate::ipvs_ctl::sysctl::{check, default_svc_lfactor, Accepted, Rule, CONN_MAX};

const OK: Option<Accepted> = Some(Accepted::Value);

#[test]
fn conn_max_privileged_writer_moves_value_and_ceiling_up_to_the_hard_limit() {
    assert_eq!(CONN_MAX, 1 << 30);
    for v in [0, 1, 5000, CONN_MAX] {
        assert_eq!(
            check(Rule::ConnMax, &[v], 10, true),
            Some(Accepted::ValueAndCeiling)
        );
    }
    assert_eq!(check(Rule::ConnMax, &[CONN_MAX + 1], 10, true), None);
    assert_eq!(check(Rule::ConnMax, &[-1], 10, true), None);
}

#[test]
fn conn_max_unprivileged_writer_stays_under_the_ceiling() {
    assert_eq!(check(Rule::ConnMax, &[10], 10, false), OK);
    assert_eq!(check(Rule::ConnMax, &[0], 10, false), OK);
    assert_eq!(check(Rule::ConnMax, &[11], 10, false), None);
    assert_eq!(check(Rule::ConnMax, &[-5], 10, false), None);
}

#[test]
fn defence_modes_are_0_to_3() {
    for v in 0..=3 {
        assert_eq!(check(Rule::DefenseMode, &[v], 0, false), OK);
    }
    assert_eq!(check(Rule::DefenseMode, &[4], 0, true), None);
    assert_eq!(check(Rule::DefenseMode, &[-1], 0, true), None);
}

#[test]
fn sync_threshold_is_below_its_period_unless_the_period_is_0() {
    assert_eq!(check(Rule::SyncThreshold, &[3, 50], 0, true), OK);
    assert_eq!(check(Rule::SyncThreshold, &[0, 0], 0, true), OK);
    assert_eq!(check(Rule::SyncThreshold, &[60, 0], 0, true), OK);
    assert_eq!(check(Rule::SyncThreshold, &[50, 50], 0, true), None);
    assert_eq!(check(Rule::SyncThreshold, &[51, 50], 0, true), None);
    assert_eq!(check(Rule::SyncThreshold, &[-1, 50], 0, true), None);
    assert_eq!(check(Rule::SyncThreshold, &[3, -1], 0, true), None);
    // Two values or nothing.
    assert_eq!(check(Rule::SyncThreshold, &[3], 0, true), None);
}

#[test]
fn sync_ports_is_a_power_of_two() {
    for v in [1, 2, 4, 64, 1 << 30] {
        assert_eq!(check(Rule::SyncPorts, &[v], 0, true), OK);
    }
    for v in [0, 3, 6, -2, i32::MIN] {
        assert_eq!(check(Rule::SyncPorts, &[v], 0, true), None);
    }
}

#[test]
fn nice_and_load_factors_ranges() {
    assert_eq!(check(Rule::Nice, &[-20], 0, true), OK);
    assert_eq!(check(Rule::Nice, &[19], 0, true), OK);
    assert_eq!(check(Rule::Nice, &[20], 0, true), None);
    assert_eq!(check(Rule::Nice, &[-21], 0, true), None);
    assert_eq!(check(Rule::LoadFactor, &[-8], 0, true), OK);
    assert_eq!(check(Rule::LoadFactor, &[8], 0, true), OK);
    assert_eq!(check(Rule::LoadFactor, &[9], 0, true), None);
    assert_eq!(check(Rule::LoadFactor, &[-9], 0, true), None);
    assert_eq!(check(Rule::Any, &[i32::MIN], 0, false), OK);
    assert_eq!(check(Rule::Any, &[], 0, false), None);
}

#[test]
fn service_table_load_factor_defaults() {
    assert_eq!(default_svc_lfactor(true), -3);
    assert_eq!(default_svc_lfactor(false), -2);
}

mod defense {
    use crate::ipvs_ctl::defense::{todrop, update, Level, Modes};

    fn modes(e: i32, p: i32, s: i32) -> Modes {
        Modes {
            drop_entry: e,
            drop_packet: p,
            secure_tcp: s,
        }
    }

    #[test]
    fn off_modes_stay_off() {
        let mut m = modes(0, 0, 0);
        let l = update(&mut m, 10, 1024, 10);
        assert_eq!(m, modes(0, 0, 0));
        assert_eq!(
            l,
            Level {
                drop_entry: false,
                drop_rate: 0,
                restart_count: false,
                secure_tcp: false
            }
        );
    }

    #[test]
    fn automatic_modes_switch_with_memory() {
        // Plenty of memory: 2 falls back to 1, nothing on.
        let mut m = modes(2, 2, 2);
        let l = update(&mut m, 100_000, 1024, 10);
        assert_eq!(m, modes(1, 1, 1));
        assert!(!l.drop_entry && l.drop_rate == 0 && !l.secure_tcp);
        // Short of memory: 1 becomes 2, everything on; the drop rate is thresh / shortfall.
        let l = update(&mut m, 768, 1024, 10);
        assert_eq!(m, modes(2, 2, 2));
        assert_eq!(
            l,
            Level {
                drop_entry: true,
                drop_rate: 4,
                restart_count: true,
                secure_tcp: true
            }
        );
        // A negative threshold counts as 0: memory is never short.
        let l = update(&mut m, 0, -5, 10);
        assert_eq!(m, modes(1, 1, 1));
        assert!(!l.drop_entry);
    }

    #[test]
    fn always_on_modes() {
        let mut m = modes(3, 3, 3);
        let l = update(&mut m, 100_000, 1024, 7);
        assert_eq!(m, modes(3, 3, 3));
        assert_eq!(
            l,
            Level {
                drop_entry: true,
                drop_rate: 7,
                restart_count: false,
                secure_tcp: true
            }
        );
    }

    #[test]
    fn todrop_refuses_one_in_rate() {
        assert_eq!(todrop(0, 5), (false, 5));
        let (mut c, mut dropped) = (3, 0);
        for _ in 0..9 {
            let (d, n) = todrop(3, c);
            c = n;
            dropped += d as u32;
        }
        assert_eq!(dropped, 3);
        // A negative rate (am_droprate) refuses every one, as C's.
        assert_eq!(todrop(-1, -1), (true, -1));
    }
}

mod drop_entry {
    use crate::ipvs_ctl::defense::{drop_entry, DropCounters, Entry};
    use crate::ipvs_proto::tcp::State;

    #[test]
    fn half_open_and_unassured_always_controlling_never() {
        let mut c: DropCounters = [0; 8];
        assert!(drop_entry(Entry::Tcp(State::SynRecv), 0, false, 0, &mut c));
        assert!(drop_entry(Entry::Tcp(State::SynAck), 0, false, 99, &mut c));
        let tpl = |assured| Entry::Template {
            one_packet: false,
            assured,
        };
        assert!(drop_entry(tpl(false), 0, false, 0, &mut c));
        assert!(!drop_entry(tpl(true), 0, true, 1, &mut c));
        assert!(!drop_entry(tpl(false), 1, true, 1, &mut c));
        assert!(!drop_entry(Entry::Tcp(State::SynRecv), 2, true, 1, &mut c));
        for s in [
            State::TimeWait,
            State::Close,
            State::FinWait,
            State::SynSent,
        ] {
            assert!(!drop_entry(Entry::Tcp(s), 0, true, 1, &mut c));
        }
        assert_eq!(c, [0; 8]);
    }

    #[test]
    fn idle_ones_by_packet_count() {
        let mut c: DropCounters = [0; 8];
        // Not idle, or 0 or more than 8 packets: kept, nothing counted.
        assert!(!drop_entry(Entry::Other, 0, false, 1, &mut c));
        assert!(!drop_entry(Entry::Other, 0, true, 0, &mut c));
        assert!(!drop_entry(
            Entry::Tcp(State::Established),
            0,
            true,
            9,
            &mut c
        ));
        assert_eq!(c, [0; 8]);
        // One packet: every one; three packets: the first, then one in three.
        let ones: Vec<bool> = (0..3)
            .map(|_| drop_entry(Entry::Other, 0, true, 1, &mut c))
            .collect();
        assert_eq!(ones, [true, true, true]);
        let threes: Vec<bool> = (0..7)
            .map(|_| drop_entry(Entry::Tcp(State::Established), 0, true, 3, &mut c))
            .collect();
        assert_eq!(threes, [true, false, false, true, false, false, true]);
        let ops = Entry::Template {
            one_packet: true,
            assured: true,
        };
        assert!(drop_entry(ops, 0, true, 1, &mut c));
    }
}
