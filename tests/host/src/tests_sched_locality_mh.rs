// SPDX-License-Identifier: GPL-2.0

//! lblc, lblcr, mh, the kernel's hsiphash, and the overload thresholds (-x/-y).

use crate::ipvs_sched::mh::TAB_SIZE;
use crate::ipvs_sched::siphash::{hsiphash, Key};
use crate::ipvs_sched::{lower_threshold, overload_after, Crossing, DestState, Packet, Scheduler};

/// A destination with identity `id` (also its address 10.0.0.id, port 80).
fn dest(id: u64, weight: i32, active: u32) -> DestState {
    DestState {
        id,
        weight,
        last_weight: weight,
        active,
        af: 2,
        addr: v4([10, 0, 0, id as u8]),
        port: 80,
        ..DestState::default()
    }
}

fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut x = [0; 16];
    x[..4].copy_from_slice(&a);
    x
}

fn sched(name: &str, dests: &[DestState]) -> Scheduler {
    let mut s = Scheduler::new(name.as_bytes()).expect("registered");
    s.init(dests.len(), |i| dests[i]);
    s
}

/// A connection to `daddr` at `now` (HZ 100, expirations as given in seconds).
fn to(daddr: [u8; 4], now: u64, expiration_s: u64) -> Packet {
    Packet {
        af: 2,
        daddr: v4(daddr),
        now,
        hz: 100,
        lblc_expiration: expiration_s * 100,
        lblcr_expiration: expiration_s * 100,
        ..Packet::default()
    }
}

fn pick(s: &mut Scheduler, dests: &[DestState], pkt: &Packet) -> Option<u64> {
    s.pick_for(dests.len(), |i| dests[i], pkt)
        .map(|i| dests[i].id)
}

/// `lib/tests/siphash_kunit.c`: `hsiphash` of the bytes 0..len under the key 00..0f, 64-bit.
#[test]
fn hsiphash_matches_kernel_vectors() {
    const V: [u32; 64] = [
        0x050fc4dc, 0x7d57ca93, 0x4dc7d44d, 0xe7ddf7fb, 0x88d38328, 0x49533b67, 0xc59f22a7,
        0x9bb11140, 0x8d299a8e, 0x6c063de4, 0x92ff097f, 0xf94dc352, 0x57b4d9a2, 0x1229ffa7,
        0xc0f95d34, 0x2a519956, 0x7d908b66, 0x63dbd80c, 0xb473e63e, 0x8d297d1c, 0xa6cce040,
        0x2b45f844, 0xa320872e, 0xdae6c123, 0x67349c8c, 0x705b0979, 0xca9913a5, 0x4ade3b35,
        0xef6cd00d, 0x4ab1e1f4, 0x43c5e663, 0x8c21d1bc, 0x16a7b60d, 0x7a8ff9bf, 0x1f2a753e,
        0xbf186b91, 0xada26206, 0xa3c33057, 0xae3a36a1, 0x7b108392, 0x99e41531, 0x3f1ad944,
        0xc8138825, 0xc28949a6, 0xfaf8876b, 0x9f042196, 0x68b1d623, 0x8b5114fd, 0xdf074c46,
        0x12cc86b3, 0x0a52098f, 0x9d292f9a, 0xa2f41f12, 0x43a71ed0, 0x73f0bce6, 0x70a7e980,
        0x243c6d75, 0xfdb71513, 0xa67d8a08, 0xb7e8f148, 0xf7a644ee, 0x0f1837f2, 0x4b6694e0,
        0xb7bbb3a8,
    ];
    let key = Key([0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908]);
    let input: Vec<u8> = (0..64).collect();
    for (len, want) in V.iter().enumerate() {
        assert_eq!(hsiphash(&input[..len], &key), *want, "length {len}");
    }
}

/// Drives the overload flag the way C's bind/unbind do: re-evaluated only when the count
/// reaches the upper threshold on a bind, or leaves the lower one on an unbind.
struct Thresholds {
    upper: u32,
    lower: u32,
    conns: i64,
    overloaded: bool,
}

impl Thresholds {
    fn new(upper: u32, lower: u32) -> Self {
        Self {
            upper,
            lower: lower_threshold(upper, lower),
            conns: 0,
            overloaded: false,
        }
    }
    fn bind(&mut self) -> bool {
        self.conns += 1;
        if self.conns == i64::from(self.upper) {
            self.overloaded = overload_after(
                Crossing::Up,
                self.conns,
                self.upper,
                self.lower,
                self.overloaded,
            );
        }
        self.overloaded
    }
    fn unbind(&mut self) -> bool {
        let was = self.conns;
        self.conns -= 1;
        if was == i64::from(self.lower) {
            self.overloaded = overload_after(
                Crossing::Down,
                self.conns,
                self.upper,
                self.lower,
                self.overloaded,
            );
        }
        self.overloaded
    }
}

#[test]
fn overload_hysteresis_default_lower_is_three_quarters() {
    assert_eq!(lower_threshold(8, 0), 6);
    assert_eq!(lower_threshold(8, 2), 2);
    let mut t = Thresholds::new(8, 0);
    let up: Vec<bool> = (0..9).map(|_| t.bind()).collect();
    assert_eq!(
        up,
        [false, false, false, false, false, false, false, true, true]
    );
    // 9 -> 8 -> 7 -> 6 stays overloaded; leaving 6 (down to 5) clears it.
    let down: Vec<bool> = (0..5).map(|_| t.unbind()).collect();
    assert_eq!(down, [true, true, true, false, false]);
    // Back up: set again only on reaching 8.
    let up: Vec<bool> = (0..4).map(|_| t.bind()).collect();
    assert_eq!(up, [false, false, false, true]);
}

#[test]
fn overload_with_explicit_lower_threshold() {
    let mut t = Thresholds::new(4, 2);
    let seq: Vec<bool> = [1, 1, 1, 1, -1, -1, -1, 1, 1, 1]
        .iter()
        .map(|&s| if s > 0 { t.bind() } else { t.unbind() })
        .collect();
    // conns: 1 2 3 4(set) 3 2 1(cleared leaving 2) 2 3 4(set)
    assert_eq!(
        seq,
        [false, false, false, true, true, true, false, false, false, true]
    );
}

#[test]
fn overload_edit_rules() {
    // No upper threshold: never overloaded.
    assert!(!overload_after(Crossing::Edit, 100, 0, 0, true));
    // Edit: set at/above upper, kept between lower and upper, cleared below lower.
    assert!(overload_after(Crossing::Edit, 10, 10, 7, false));
    assert!(overload_after(Crossing::Edit, 8, 10, 7, true));
    assert!(!overload_after(Crossing::Edit, 8, 10, 7, false));
    assert!(!overload_after(Crossing::Edit, 6, 10, 7, true));
}

#[test]
fn lblc_sticks_to_its_server_until_it_is_busy_and_another_is_idle() {
    let mut s = sched("lblc", &[]);
    // Both idle: wlc takes the first in list order.
    let mut dests = vec![dest(1, 2, 0), dest(2, 2, 0)];
    let x = to([192, 168, 1, 1], 1000, 86400);
    assert_eq!(pick(&mut s, &dests, &x), Some(1));
    // Another address is scheduled on its own (wlc: 1 is now busier).
    dests[0].active = 1;
    assert_eq!(
        pick(&mut s, &dests, &to([192, 168, 1, 2], 1000, 86400)),
        Some(2)
    );
    // x stays on 1 while 1 is not over its weight...
    dests[0].active = 2;
    assert_eq!(pick(&mut s, &dests, &x), Some(1));
    // ...and while no other server is below half its weight.
    dests[0].active = 3;
    dests[1].active = 1;
    assert_eq!(pick(&mut s, &dests, &x), Some(1));
    // 1 over its weight and 2 idle: x moves to 2, and stays there.
    dests[1].active = 0;
    assert_eq!(pick(&mut s, &dests, &x), Some(2));
    dests[0].active = 0;
    assert_eq!(pick(&mut s, &dests, &x), Some(2));
}

#[test]
fn lblc_reschedules_quiesced_and_removed_servers() {
    let mut s = sched("lblc", &[]);
    let mut dests = vec![dest(1, 1, 0), dest(2, 1, 0), dest(3, 1, 0)];
    let x = to([192, 168, 1, 1], 5, 86400);
    assert_eq!(pick(&mut s, &dests, &x), Some(1));
    dests[0].weight = 0;
    assert_eq!(pick(&mut s, &dests, &x), Some(2));
    // Server 2 leaves the service: its entry is stale.
    dests.remove(1);
    assert_eq!(pick(&mut s, &dests, &x), Some(3));
    // All quiesced: nothing.
    for d in &mut dests {
        d.weight = 0;
    }
    assert_eq!(pick(&mut s, &dests, &x), None);
}

#[test]
fn lblc_entries_expire_at_the_half_hourly_full_check() {
    let mut s = sched("lblc", &[]);
    let mut dests = vec![dest(1, 4, 0), dest(2, 4, 0)];
    // Expiration 10 s; checks every 60 s; the 30th check is a full one.
    let at = |t_s: u64| to([192, 168, 1, 1], 100 * t_s, 10);
    assert_eq!(pick(&mut s, &dests, &at(0)), Some(1));
    // 1 is now busier but not over its weight: the entry holds.
    dests[0].active = 3;
    assert_eq!(pick(&mut s, &dests, &at(1)), Some(1));
    // Periodic (not full) checks leave a small table alone, however old the entry.
    for k in 1..29 {
        assert_eq!(
            pick(&mut s, &dests, &to([10, 9, 9, 9], 100 * 60 * k + 5, 10)),
            Some(2)
        );
    }
    assert_eq!(pick(&mut s, &dests, &at(29 * 60 + 10)), Some(1));
    // The full check (the 30th) drops the entry: x is scheduled afresh, by wlc, to 2.
    assert_eq!(
        pick(&mut s, &dests, &to([10, 9, 9, 9], 100 * (30 * 60 + 20), 10)),
        Some(2)
    );
    assert_eq!(pick(&mut s, &dests, &at(30 * 60 + 21)), Some(2));
}

#[test]
fn lblcr_grows_its_set_and_sheds_the_busiest_after_expiration() {
    let mut s = sched("lblcr", &[]);
    let mut dests = vec![dest(1, 2, 0), dest(2, 2, 0), dest(3, 2, 0)];
    let at = |t_s: u64| to([192, 168, 1, 1], 100 * t_s, 100);
    assert_eq!(pick(&mut s, &dests, &at(0)), Some(1));
    // 1 over its weight, 2 and 3 idle: 2 joins the set.
    dests[0].active = 3;
    assert_eq!(pick(&mut s, &dests, &at(1)), Some(2));
    // Now the least loaded of the set {1, 2} is 2, even though 3 is idle too.
    dests[1].active = 1;
    assert_eq!(pick(&mut s, &dests, &at(2)), Some(2));
    // 2 is busier than 1 per weight: 1 again (it is in the set).
    dests[0].active = 1;
    dests[1].active = 2;
    assert_eq!(pick(&mut s, &dests, &at(3)), Some(1));
    // After the expiration without changes, the busiest member (2) leaves the set; the least
    // loaded (1) is still chosen this time.
    assert_eq!(pick(&mut s, &dests, &at(103)), Some(1));
    // 1 becomes much busier than 2: with 2 gone from the set, 1 stays unless overloaded.
    dests[0].active = 2;
    dests[1].active = 0;
    assert_eq!(pick(&mut s, &dests, &at(104)), Some(1));
}

fn mh_owners(dests: &[DestState], flags: u32) -> Vec<Option<u64>> {
    let mut s = sched("mh", dests);
    (0..TAB_SIZE as u32)
        .map(|k| {
            let mut p = Packet {
                af: 2,
                svc_flags: flags,
                ..Packet::default()
            };
            p.saddr[..4].copy_from_slice(&k.to_be_bytes());
            pick(&mut s, dests, &p)
        })
        .collect()
}

/// Slot owners straight from the table (through `pick` on keys that hash to each slot would
/// need inverting siphash; counting over many source addresses measures the same shares).
fn mh_counts(dests: &[DestState], keys: u32) -> Vec<usize> {
    let mut s = sched("mh", dests);
    let mut counts = vec![0; dests.len()];
    for k in 0..keys {
        let mut p = Packet {
            af: 2,
            ..Packet::default()
        };
        p.saddr[..4].copy_from_slice(&(0x0a00_0000 + k).to_be_bytes());
        let i = s
            .pick_for(dests.len(), |i| dests[i], &p)
            .expect("all slots are assigned");
        counts[i] += 1;
    }
    counts
}

#[test]
fn mh_assigns_every_slot_in_proportion_to_weight() {
    let dests = [dest(1, 1, 0), dest(2, 2, 0), dest(3, 3, 0)];
    // Every key finds a server (no slot is empty).
    assert!(mh_owners(&dests, 0).iter().all(Option::is_some));
    // Weight shares over 60,000 source addresses: 1/6, 2/6, 3/6 within 1.5 points.
    let c = mh_counts(&dests, 60_000);
    for (i, w) in [1.0, 2.0, 3.0].iter().enumerate() {
        let share = c[i] as f64 / 60_000.0;
        assert!(
            (share - w / 6.0).abs() < 0.015,
            "dest {i}: share {share}, counts {c:?}"
        );
    }
}

#[test]
fn mh_removing_a_server_moves_mostly_its_own_slots() {
    let dests: Vec<DestState> = (1..=8).map(|i| dest(i, 1, 0)).collect();
    let before = mh_owners(&dests, 0);
    let mut fewer = dests.clone();
    fewer.remove(3); // id 4
    let after = mh_owners(&fewer, 0);
    let (mut own, mut others_moved, mut others) = (0, 0, 0);
    for (b, a) in before.iter().zip(&after) {
        if *b == Some(4) {
            own += 1;
            assert_ne!(*a, Some(4));
        } else {
            others += 1;
            others_moved += usize::from(a != b);
        }
    }
    assert!(own > 0);
    // Maglev's guarantee is minimal, not zero, disruption: with 8 equal servers and the
    // table of 4093 slots, under 3% of the other servers' keys move.
    assert!(
        others_moved * 100 < others * 3,
        "{others_moved} of {others} keys moved"
    );
}

#[test]
fn mh_quiesced_server_keeps_its_slots_and_fallback_skips_it() {
    let mut dests: Vec<DestState> = (1..=3).map(|i| dest(i, 1, 0)).collect();
    let before = mh_owners(&dests, 0);
    // Quiescing keeps last_weight: the table is the same, its keys find no server...
    dests[1].weight = 0;
    let quiet = mh_owners(&dests, 0);
    for (b, q) in before.iter().zip(&quiet) {
        if *b == Some(2) {
            assert_eq!(*q, None);
        } else {
            assert_eq!(q, b);
        }
    }
    // ...unless mh-fallback is set, which finds another server for each.
    let fb = mh_owners(&dests, crate::ipvs_sched::SVC_F_SCHED1);
    assert!(fb.iter().all(|o| o.is_some() && *o != Some(2)));
    // No weights at all: an empty table.
    for d in &mut dests {
        d.weight = 0;
        d.last_weight = 0;
    }
    assert!(mh_owners(&dests, crate::ipvs_sched::SVC_F_SCHED1)
        .iter()
        .all(Option::is_none));
}

#[test]
fn mh_port_flag_spreads_one_client_over_servers() {
    let dests: Vec<DestState> = (1..=4).map(|i| dest(i, 1, 0)).collect();
    let mut s = sched("mh", &dests);
    let from = |sport, flags| Packet {
        af: 2,
        saddr: v4([10, 1, 2, 3]),
        sport,
        svc_flags: flags,
        ..Packet::default()
    };
    let without: std::collections::HashSet<_> = (1000..1100)
        .map(|p| pick(&mut s, &dests, &from(p, 0)))
        .collect();
    assert_eq!(without.len(), 1);
    let with: std::collections::HashSet<_> = (1000..1100)
        .map(|p| pick(&mut s, &dests, &from(p, crate::ipvs_sched::SVC_F_SCHED2)))
        .collect();
    assert_eq!(with.len(), 4);
}
