// SPDX-License-Identifier: GPL-2.0

//! `ipvs_sched`: the registry and round robin, checked against `ip_vs_rr.c`'s behaviour on a
//! list where new destinations are inserted at the head.

use crate::ipvs_sched::{DestState, Scheduler, NAMES};

/// An available destination of weight `w`.
fn up(w: i32) -> DestState {
    DestState {
        weight: w,
        ..DestState::default()
    }
}

/// An overloaded destination of weight 1.
fn overloaded() -> DestState {
    DestState {
        weight: 1,
        overloaded: true,
        ..DestState::default()
    }
}

fn rr() -> Scheduler {
    Scheduler::new(b"rr").expect("rr is registered")
}

/// The next `k` picks over `dests`.
fn picks(s: &mut Scheduler, dests: &[DestState], k: usize) -> Vec<Option<usize>> {
    (0..k).map(|_| s.pick(dests.len(), |i| dests[i])).collect()
}

#[test]
fn registry() {
    assert_eq!(
        NAMES,
        [
            "rr", "wrr", "lblc", "lblcr", "lc", "wlc", "sed", "nq", "fo", "ovf", "dh", "sh", "mh",
            "twos"
        ]
    );
    for n in NAMES {
        assert_eq!(Scheduler::new(n.as_bytes()).expect("registered").name(), *n);
    }
    for bad in [&b"foo"[..], b"", b"RR", b"rr\0", b"r", b"rrr", b"none"] {
        assert!(
            Scheduler::new(bad).is_none(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn availability() {
    assert!(up(1).available());
    assert!(!up(0).available());
    assert!(!up(-1).available());
    assert!(!overloaded().available());
    assert_eq!(
        DestState::default(),
        DestState {
            id: 0,
            weight: 0,
            last_weight: 0,
            active: 0,
            inactive: 0,
            overloaded: false,
            af: 0,
            addr: [0; 16],
            port: 0
        }
    );
    // Connection counts do not matter to availability.
    assert!(DestState {
        weight: 1,
        active: 1_000_000,
        inactive: 5,
        ..DestState::default()
    }
    .available());
}

#[test]
fn rr_starts_at_the_list_head_and_cycles() {
    let mut s = rr();
    let d = [up(1), up(5), up(1)];
    assert_eq!(
        picks(&mut s, &d, 7),
        [
            Some(0),
            Some(1),
            Some(2),
            Some(0),
            Some(1),
            Some(2),
            Some(0)
        ]
    );
}

#[test]
fn rr_single_destination() {
    let mut s = rr();
    assert_eq!(picks(&mut s, &[up(1)], 3), [Some(0); 3]);
}

#[test]
fn rr_skips_quiesced_and_overloaded() {
    let mut s = rr();
    let d = [up(0), up(1), overloaded(), up(-3), up(2)];
    assert_eq!(
        picks(&mut s, &d, 5),
        [Some(1), Some(4), Some(1), Some(4), Some(1)]
    );
}

#[test]
fn rr_none_when_nothing_is_available_and_cursor_kept() {
    let mut s = rr();
    let d = [up(1), up(1), up(1)];
    assert_eq!(picks(&mut s, &d, 2), [Some(0), Some(1)]);
    let down = [up(0), overloaded(), up(0)];
    assert_eq!(picks(&mut s, &down, 2), [None, None]);
    // The failed picks did not move the cursor (still on index 1).
    assert_eq!(picks(&mut s, &d, 1), [Some(2)]);
}

#[test]
fn rr_empty_list() {
    let mut s = rr();
    assert_eq!(
        s.pick(0, |_| unreachable!("no destination to look at")),
        None
    );
    // And afterwards it still starts at the head.
    assert_eq!(picks(&mut s, &[up(1), up(1)], 1), [Some(0)]);
}

#[test]
fn rr_wraps_to_the_cursor_itself_last() {
    let mut s = rr();
    let d = [up(1), up(1), up(1)];
    assert_eq!(picks(&mut s, &d, 2), [Some(0), Some(1)]);
    // Only the cursor's own destination is left: it is picked again.
    assert_eq!(picks(&mut s, &[up(0), up(1), up(0)], 2), [Some(1), Some(1)]);
}

#[test]
fn rr_add_at_head_keeps_the_cursor_on_its_destination() {
    // List [A, B, C]; cursor on B.
    let mut s = rr();
    assert_eq!(picks(&mut s, &[up(1); 3], 2), [Some(0), Some(1)]);
    // N is inserted at the head: [N, A, B, C]. The cursor stays on B (now index 2).
    s.add_dest(0, 0, |_| DestState::default());
    assert_eq!(
        picks(&mut s, &[up(1); 4], 5),
        [Some(3), Some(0), Some(1), Some(2), Some(3)]
    );
}

#[test]
fn rr_add_at_the_cursors_own_index_moves_it_along() {
    // List [A, B]; cursor on A (index 0).
    let mut s = rr();
    assert_eq!(picks(&mut s, &[up(1); 2], 1), [Some(0)]);
    // N is inserted at the head: [N, A, B]. The cursor follows A to index 1, so B is next.
    s.add_dest(0, 0, |_| DestState::default());
    assert_eq!(picks(&mut s, &[up(1); 3], 3), [Some(2), Some(0), Some(1)]);
}

#[test]
fn rr_add_after_the_cursor_leaves_it() {
    let mut s = rr();
    assert_eq!(picks(&mut s, &[up(1); 3], 1), [Some(0)]);
    s.add_dest(1, 0, |_| DestState::default()); // [A, N, B, C], cursor still on A
    assert_eq!(picks(&mut s, &[up(1); 4], 2), [Some(1), Some(2)]);
}

#[test]
fn rr_add_before_any_pick() {
    let mut s = rr();
    s.add_dest(0, 0, |_| DestState::default());
    assert_eq!(picks(&mut s, &[up(1); 2], 1), [Some(0)]);
}

#[test]
fn rr_del_of_the_cursor_moves_to_its_predecessor() {
    // [A, B, C, D]; cursor on B.
    let mut s = rr();
    assert_eq!(picks(&mut s, &[up(1); 4], 2), [Some(0), Some(1)]);
    // B is removed: [A, C, D]; the next pick is C, the destination after B.
    s.del_dest(1, 0, |_| DestState::default());
    assert_eq!(picks(&mut s, &[up(1); 3], 3), [Some(1), Some(2), Some(0)]);
}

#[test]
fn rr_del_of_the_head_under_the_cursor_restarts_at_the_new_head() {
    // [A, B, C]; cursor on A.
    let mut s = rr();
    assert_eq!(picks(&mut s, &[up(1); 3], 1), [Some(0)]);
    // A is removed: [B, C]; its predecessor is the list head, so the next pick is B.
    s.del_dest(0, 0, |_| DestState::default());
    assert_eq!(picks(&mut s, &[up(1); 2], 3), [Some(0), Some(1), Some(0)]);
}

#[test]
fn rr_del_before_and_after_the_cursor() {
    // [A, B, C, D]; cursor on C.
    let mut s = rr();
    assert_eq!(picks(&mut s, &[up(1); 4], 3), [Some(0), Some(1), Some(2)]);
    s.del_dest(0, 0, |_| DestState::default()); // [B, C, D]: cursor follows C to index 1
    assert_eq!(picks(&mut s, &[up(1); 3], 1), [Some(2)]); // D
    s.del_dest(0, 0, |_| DestState::default()); // [C, D]: cursor follows D to index 1
    s.add_dest(0, 0, |_| DestState::default()); // [N, C, D]: cursor follows D to index 2
    assert_eq!(picks(&mut s, &[up(1); 3], 1), [Some(0)]); // N
    s.del_dest(2, 0, |_| DestState::default()); // [N, C]: after the cursor, no change
    assert_eq!(picks(&mut s, &[up(1); 2], 1), [Some(1)]); // C
}

#[test]
fn rr_del_of_the_last_destination() {
    let mut s = rr();
    assert_eq!(picks(&mut s, &[up(1)], 1), [Some(0)]);
    s.del_dest(0, 0, |_| DestState::default());
    assert_eq!(s.pick(0, |_| up(1)), None);
    s.add_dest(0, 0, |_| DestState::default());
    assert_eq!(picks(&mut s, &[up(1)], 1), [Some(0)]);
}

#[test]
fn rr_del_before_any_pick() {
    let mut s = rr();
    s.del_dest(0, 0, |_| DestState::default());
    assert_eq!(picks(&mut s, &[up(1); 2], 1), [Some(0)]);
}
