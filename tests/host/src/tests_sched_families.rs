// SPDX-License-Identifier: GPL-2.0

//! The two families of schedulers: which picks need the service's lock, and the promise the
//! lock-free ones make (their state is a function of the destination list, so the control
//! plane may build a new one for each list instead of telling the old one of the change).

use crate::ipvs_sched::{DestState, Packet, Scheduler, SVC_F_SCHED1, SVC_F_SCHED2};

/// Like C, only the schedulers whose picks move a position or fill a cache lock.
#[test]
fn families() {
    let locked: Vec<_> = ["rr", "wrr", "lblc", "lblcr"].into();
    for name in crate::ipvs_sched::NAMES {
        let s = Scheduler::new(name.as_bytes()).expect("registered");
        let is_locked = matches!(s, Scheduler::Locked(_));
        assert_eq!(is_locked, locked.contains(name), "{name}");
    }
}

fn dest(id: u64, weight: i32) -> DestState {
    let mut addr = [0; 16];
    addr[..4].copy_from_slice(&[10, 0, (id >> 8) as u8, id as u8]);
    DestState {
        id,
        weight,
        last_weight: weight,
        active: (id * 7 % 5) as u32,
        inactive: (id * 3 % 4) as u32,
        af: 2,
        addr,
        port: 80,
        ..DestState::default()
    }
}

fn r1() -> u32 {
    0x9e37_79b9
}

fn r2() -> u32 {
    0x1234_5678
}

/// Connections from many sources and ports, with and without the scheduler flags.
fn packets() -> Vec<Packet> {
    let mut v = Vec::new();
    for i in 0..64u32 {
        for flags in [0, SVC_F_SCHED1, SVC_F_SCHED1 | SVC_F_SCHED2] {
            let mut saddr = [0; 16];
            saddr[..4].copy_from_slice(&(0xc0a8_0000 + i * 37).to_be_bytes());
            let mut daddr = [0; 16];
            daddr[..4].copy_from_slice(&(0x0a01_0000 + i * 11).to_be_bytes());
            v.push(Packet {
                af: 2,
                saddr,
                daddr,
                sport: (1024 + i * 13) as u16,
                svc_flags: flags,
                random: Some(if i % 2 == 0 { r1 } else { r2 }),
                ..Packet::default()
            });
        }
    }
    v
}

/// For every lock-free scheduler, through adds at the head (as the control plane inserts),
/// weight edits, a quiesced destination, an overloaded one and deletions: the scheduler told of
/// each change and one built for the resulting list pick the same destinations.
#[test]
fn shared_state_follows_the_list() {
    let pkts = packets();
    for name in crate::ipvs_sched::NAMES {
        let mut told = Scheduler::new(name.as_bytes()).expect("registered");
        if matches!(told, Scheduler::Locked(_)) {
            continue;
        }
        let mut dests: Vec<DestState> = Vec::new();
        told.init(0, |i| dests[i]);
        let check = |told: &mut Scheduler, dests: &[DestState], step: &str| {
            let Scheduler::Shared(s) = &*told else {
                unreachable!()
            };
            let mut built = s.fresh();
            built.init(dests.len(), |i| dests[i]);
            for p in &pkts {
                let a = told.pick_for(dests.len(), |i| dests[i], p);
                let b = built.pick(dests.len(), |i| dests[i], p);
                assert_eq!(a, b, "{name} after {step}");
            }
        };
        for id in 1..=9u64 {
            dests.insert(0, dest(id, (id % 4) as i32 + 1));
            told.add_dest(0, dests.len(), |i| dests[i]);
            check(&mut told, &dests, &format!("adding {id}"));
        }
        for (idx, w) in [(2usize, 7), (5, 1), (0, 3)] {
            dests[idx].weight = w;
            dests[idx].last_weight = w;
            told.upd_dest(idx, dests.len(), |i| dests[i]);
            check(&mut told, &dests, &format!("weight {w} at {idx}"));
        }
        dests[3].weight = 0;
        told.upd_dest(3, dests.len(), |i| dests[i]);
        check(&mut told, &dests, "quiescing");
        dests[4].overloaded = true;
        check(&mut told, &dests, "an overload");
        for idx in [8usize, 0, 3] {
            dests.remove(idx);
            told.del_dest(idx, dests.len(), |i| dests[i]);
            check(&mut told, &dests, &format!("deleting at {idx}"));
        }
    }
}
