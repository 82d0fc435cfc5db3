// SPDX-License-Identifier: GPL-2.0

//! Static hashing: dh (by destination address) and sh (by source address, optionally port).
//!
//! Both keep a 256-bucket table filled by walking the destination list when it changes (sh
//! gives each destination as many consecutive buckets as its weight); a connection goes to the
//! bucket its address hashes to.

use super::{hash_32, Algorithm, DestState, Dests, Packet, SharedPick, SVC_F_SCHED1, SVC_F_SCHED2};
use crate::rust::avec::AVec;

/// Bits of the tables (`IP_VS_DH_TAB_BITS`, default `IP_VS_SH_TAB_BITS`).
const TAB_BITS: u32 = 8;
const TAB_SIZE: usize = 1 << TAB_BITS;
/// An empty bucket.
const NONE: u16 = u16::MAX;

/// A bucket table of destination list indices (empty until there is a destination; allocated
/// apart, so that a service's picks stay small whatever its scheduler).
#[derive(Debug, Default)]
struct Table(AVec<u16>);

impl Table {
    /// Fills the buckets by cycling through the list; each destination takes `share(dest)`
    /// consecutive buckets (at least one). Without destinations, or memory, the table is empty.
    fn fill(&mut self, n: usize, dest: Dests<'_>, share: impl Fn(&DestState) -> i64) {
        self.0.clear();
        if n == 0 || n >= usize::from(NONE) {
            return;
        }
        let (mut i, mut count) = (0usize, 0i64);
        for _ in 0..TAB_SIZE {
            if self.0.push(i as u16).is_err() {
                self.0.clear();
                return;
            }
            count += 1;
            if count >= share(&dest(i)) {
                i = (i + 1) % n;
                count = 0;
            }
        }
    }

    fn get(&self, h: u32) -> Option<usize> {
        match *self.0.get(h as usize % TAB_SIZE)? {
            NONE => None,
            i => Some(usize::from(i)),
        }
    }
}

/// Destination hashing.
#[derive(Debug, Default)]
pub(crate) struct Dh {
    table: Table,
}

impl Algorithm for Dh {
    fn init(&mut self, n: usize, dest: Dests<'_>) {
        self.table.fill(n, dest, |_| 1);
    }

    fn add_dest(&mut self, _idx: usize, n: usize, dest: Dests<'_>) {
        self.init(n, dest);
    }

    fn del_dest(&mut self, _idx: usize, n: usize, dest: Dests<'_>) {
        self.init(n, dest);
    }
}

impl SharedPick for Dh {
    fn pick(&self, n: usize, dest: Dests<'_>, pkt: &Packet) -> Option<usize> {
        let i = self
            .table
            .get(hash_32(Packet::fold(pkt.af, &pkt.daddr), TAB_BITS))?;
        (i < n && dest(i).available()).then_some(i)
    }
}

/// Source hashing, with the `sh-fallback` and `sh-port` flags.
#[derive(Debug, Default)]
pub(crate) struct Sh {
    table: Table,
}

impl Sh {
    fn bucket(pkt: &Packet, port: u16, offset: u32) -> u32 {
        let key = u32::from(port).wrapping_add(Packet::fold(pkt.af, &pkt.saddr));
        offset.wrapping_add(hash_32(key, TAB_BITS)) & (TAB_SIZE as u32 - 1)
    }
}

impl Algorithm for Sh {
    fn init(&mut self, n: usize, dest: Dests<'_>) {
        self.table.fill(n, dest, |d| i64::from(d.weight));
    }

    fn add_dest(&mut self, _idx: usize, n: usize, dest: Dests<'_>) {
        self.init(n, dest);
    }

    fn del_dest(&mut self, _idx: usize, n: usize, dest: Dests<'_>) {
        self.init(n, dest);
    }

    fn upd_dest(&mut self, _idx: usize, n: usize, dest: Dests<'_>) {
        self.init(n, dest);
    }
}

impl SharedPick for Sh {
    fn pick(&self, n: usize, dest: Dests<'_>, pkt: &Packet) -> Option<usize> {
        let port = if pkt.svc_flags & SVC_F_SCHED2 != 0 {
            pkt.sport
        } else {
            0
        };
        let usable = |i: usize| i < n && !dest(i).overloaded && dest(i).weight > 0;
        let home = Self::bucket(pkt, port, 0);
        let first = self.table.get(home)?;
        if usable(first) {
            return Some(first);
        }
        if pkt.svc_flags & SVC_F_SCHED1 == 0 {
            return None;
        }
        // Fallback: probe the following buckets (re-hashed with the offset), once around.
        for offset in 0..TAB_SIZE as u32 {
            let roffset = (offset + home) % TAB_SIZE as u32;
            let i = self.table.get(Self::bucket(pkt, port, roffset))?;
            if usable(i) {
                return Some(i);
            }
        }
        None
    }
}
