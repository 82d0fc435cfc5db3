// SPDX-License-Identifier: GPL-2.0

//! Maglev hashing (mh), after Eisenbud et al., "Maglev: A Fast and Reliable Software Network
//! Load Balancer" (NSDI 2016), section 3.4, with C IPVS's parameters.
//!
//! Each destination gets a preference order over the 4093 slots of a lookup table (a start
//! offset and a skip, both hashes of its address and port); the table is filled by letting the
//! destinations take turns claiming their next free preferred slot, each taking as many slots
//! per turn as its weight (divided by the weights' gcd and scaled down to 6 bits). A connection
//! goes to the slot its source address (and port, with `mh-port`) hashes to. When destinations
//! change, the table is rebuilt; Maglev keeps most slots where they were.

use super::{siphash, Algorithm, DestState, Dests, Packet, SharedPick, SVC_F_SCHED1, SVC_F_SCHED2};
use crate::rust::avec::AVec;

/// Slots in the lookup table: `primes[CONFIG_IP_VS_MH_TAB_INDEX - 8]` with the default index 12.
pub(crate) const TAB_SIZE: usize = 4093;
/// Bits a weight may use per turn (`CONFIG_IP_VS_MH_TAB_INDEX / 2`).
const WEIGHT_BITS: u32 = 6;
/// An empty slot.
const EMPTY: u16 = u16::MAX;

/// The two hash keys C IPVS uses (fixed, so that every director builds the same table).
const KEY1: siphash::Key = siphash::Key([2_654_435_761, 2_654_435_761]);
const KEY2: siphash::Key = siphash::Key([2_654_446_892, 2_654_446_892]);

/// Hashes an address and port (host order) with `key`, after adding `offset`.
fn hashkey(af: u16, addr: &[u8; 16], port: u16, key: &siphash::Key, offset: u32) -> u32 {
    let v = offset
        .wrapping_add(u32::from(port))
        .wrapping_add(Packet::fold(af, addr));
    siphash::hsiphash_u32(v, key)
}

fn gcd(mut a: i32, mut b: i32) -> i32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Where one destination is in its preference order, and its turn size.
#[derive(Clone, Copy, Debug)]
struct Setup {
    skip: u32,
    next: u32,
    turns: i32,
}

/// Maglev hashing, with the `mh-fallback` and `mh-port` flags.
#[derive(Debug, Default)]
pub(crate) struct Mh {
    /// Destination list index per slot (empty until the first destination with a weight).
    lookup: AVec<u16>,
}

impl Mh {
    /// The service's address family, as the destinations report it.
    fn af(n: usize, dest: Dests<'_>) -> u16 {
        if n > 0 {
            dest(0).af
        } else {
            2
        }
    }

    /// Rebuilds the lookup table from the destination list.
    fn reassign(&mut self, n: usize, dest: Dests<'_>) {
        let weights = || (0..n).map(|i| dest(i).last_weight);
        let g = weights().filter(|&w| w > 0).fold(0, gcd);
        self.lookup.clear();
        // More destinations than slots: C refuses to rebuild (EINVAL) and keeps the table of
        // the list before; here the table is a function of the list, so there is none.
        if g < 1 || n > TAB_SIZE {
            return;
        }
        let max = weights().fold(0, i32::max);
        let shift = (32 - ((max / g) as u32).leading_zeros()).saturating_sub(WEIGHT_BITS);
        let af = Self::af(n, dest);
        let mut setup = AVec::new();
        for i in 0..n {
            let d = dest(i);
            let offset = hashkey(af, &d.addr, d.port, &KEY1, 0) % TAB_SIZE as u32;
            let skip = hashkey(af, &d.addr, d.port, &KEY2, 0) % (TAB_SIZE as u32 - 1) + 1;
            let lw = d.last_weight;
            let turns = match (lw / g) >> shift {
                0 => i32::from(lw != 0),
                t => t,
            };
            if setup
                .push(Setup {
                    skip,
                    next: offset,
                    turns,
                })
                .is_err()
            {
                return;
            }
        }
        for _ in 0..TAB_SIZE {
            if self.lookup.push(EMPTY).is_err() {
                self.lookup.clear();
                return;
            }
        }
        let mut taken = [0u64; TAB_SIZE.div_ceil(64)];
        let mut filled = 0;
        // Rounds over the list; every destination with turns claims that many slots in a row.
        // Some destination has turns (g >= 1), so every round fills at least one slot.
        while filled < TAB_SIZE {
            for (i, s) in setup.iter_mut().enumerate() {
                for _ in 0..s.turns {
                    let mut c = s.next as usize;
                    while taken[c / 64] & (1 << (c % 64)) != 0 {
                        s.next += s.skip;
                        if s.next >= TAB_SIZE as u32 {
                            s.next -= TAB_SIZE as u32;
                        }
                        c = s.next as usize;
                    }
                    taken[c / 64] |= 1 << (c % 64);
                    self.lookup[c] = i as u16;
                    filled += 1;
                    if filled == TAB_SIZE {
                        return;
                    }
                }
            }
        }
    }

    /// The destination in the slot `h` hashes to, if any.
    fn slot(&self, h: u32, n: usize) -> Option<usize> {
        match *self.lookup.get(h as usize % TAB_SIZE)? {
            EMPTY => None,
            i => Some(usize::from(i)).filter(|&i| i < n),
        }
    }
}

/// Whether the destination can take new connections (C's `!is_unavailable`).
fn usable(d: &DestState) -> bool {
    d.weight > 0 && !d.overloaded
}

impl Algorithm for Mh {
    fn init(&mut self, n: usize, dest: Dests<'_>) {
        self.reassign(n, dest);
    }

    fn add_dest(&mut self, _idx: usize, n: usize, dest: Dests<'_>) {
        self.reassign(n, dest);
    }

    fn del_dest(&mut self, _idx: usize, n: usize, dest: Dests<'_>) {
        self.reassign(n, dest);
    }

    fn upd_dest(&mut self, _idx: usize, n: usize, dest: Dests<'_>) {
        self.reassign(n, dest);
    }
}

impl SharedPick for Mh {
    fn pick(&self, n: usize, dest: Dests<'_>, pkt: &Packet) -> Option<usize> {
        let port = if pkt.svc_flags & SVC_F_SCHED2 != 0 {
            pkt.sport
        } else {
            0
        };
        let hash = |offset| hashkey(pkt.af, &pkt.saddr, port, &KEY1, offset) % TAB_SIZE as u32;
        let home = hash(0);
        let first = self.slot(home, n)?;
        if usable(&dest(first)) {
            return Some(first);
        }
        if pkt.svc_flags & SVC_F_SCHED1 == 0 {
            return None;
        }
        // Fallback: walk the table from the home slot, re-hashing with each offset.
        for offset in 0..TAB_SIZE as u32 {
            let i = self.slot(hash((offset + home) % TAB_SIZE as u32), n)?;
            if usable(&dest(i)) {
                return Some(i);
            }
        }
        None
    }
}
