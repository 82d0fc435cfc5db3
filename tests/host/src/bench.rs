// SPDX-License-Identifier: GPL-2.0

//! Scheduler micro-benchmark support (run by `benches/sched.rs`, `make sched-bench`).

use crate::ipvs_sched::{DestState, Packet, Scheduler, NAMES};
use std::hint::black_box;
use std::time::Instant;

/// Every registered scheduler's name.
pub fn schedulers() -> &'static [&'static str] {
    NAMES
}

/// Mean nanoseconds per pick of scheduler `name` over `n` destinations (weights 1..=5,
/// varied connection counts), over `picks` picks from varied client addresses and ports.
pub fn ns_per_pick(name: &str, n: usize, picks: u32) -> f64 {
    let dests: Vec<DestState> = (0..n)
        .map(|i| DestState {
            id: i as u64 + 1,
            weight: (i % 5) as i32 + 1,
            last_weight: (i % 5) as i32 + 1,
            active: (i * 7 % 13) as u32,
            inactive: (i * 3 % 11) as u32,
            af: 2,
            addr: {
                let mut a = [0; 16];
                a[..4].copy_from_slice(&(0x0a01_0000 + i as u32).to_be_bytes());
                a
            },
            port: 80,
            ..DestState::default()
        })
        .collect();
    let mut s = Scheduler::new(name.as_bytes()).expect("registered");
    s.init(n, |i| dests[i]);
    let mut pkt = Packet {
        af: 2,
        hz: 250,
        random: Some(xorshift),
        lblc_expiration: u64::MAX / 4,
        lblcr_expiration: u64::MAX / 4,
        ..Packet::default()
    };
    let start = Instant::now();
    for k in 0..picks {
        pkt.saddr[..4].copy_from_slice(&(0xc0a8_0000 + (k & 0xffff)).to_be_bytes());
        pkt.daddr[..4].copy_from_slice(&(0x0a00_0064 + (k & 0xff)).to_be_bytes());
        pkt.sport = (1024 + k % 60000) as u16;
        pkt.now = u64::from(k / 1000);
        black_box(s.pick_for(n, |i| dests[i], black_box(&pkt)));
    }
    start.elapsed().as_nanos() as f64 / f64::from(picks)
}

/// Advances an xorshift32 state and returns the new value.
pub fn xorshift_step(s: &std::cell::Cell<u32>) -> u32 {
    let mut x = s.get();
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s.set(x);
    x
}

/// A fast deterministic random source for twos.
fn xorshift() -> u32 {
    thread_local!(static S: std::cell::Cell<u32> = const { std::cell::Cell::new(0x9e37_79b9) });
    S.with(xorshift_step)
}
