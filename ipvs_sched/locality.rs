// SPDX-License-Identifier: GPL-2.0

//! Locality-based schedulers: lblc and lblcr.
//!
//! Both remember, per destination address of the traffic (the address a cache cluster is
//! asked for), which real server took it: lblc one server, lblcr a set of servers. A request
//! goes back there unless that server is overloaded while another one is at less than half its
//! weight; then the least weighted-loaded server (wlc) is picked and remembered.
//!
//! Entries live in a 1024-bucket hash table keyed by the folded address. Unused entries are
//! collected every minute as in C IPVS: once the table holds more than 16 entries per bucket,
//! those unused for six minutes; every half hour, those unused for the `lblc_expiration` /
//! `lblcr_expiration` sysctl (a day by default). The collection runs from the scheduling path,
//! so an idle service keeps its (bounded) table until its next connection.

use super::{hash_32, least::least_weighted, Algorithm, DestState, Dests, LockedPick, Packet};
use crate::rust::avec::AVec;

/// Bits of the entry hash table (`CONFIG_IP_VS_LBLC_TAB_BITS`, `..._LBLCR_TAB_BITS`).
const TAB_BITS: u32 = 10;
const TAB_SIZE: usize = 1 << TAB_BITS;
/// Entries beyond which the periodic check collects entries unused for [`ENTRY_TIMEOUT_S`].
const MAX_ENTRIES: usize = TAB_SIZE * 16;
/// Seconds between periodic checks.
const CHECK_INTERVAL_S: u64 = 60;
/// Seconds an entry may stay unused before a partial collection may drop it.
const ENTRY_TIMEOUT_S: u64 = 6 * 60;
/// Every this many periodic checks, a full check applies the expiration sysctl.
const FULL_CHECK_EVERY: u32 = 30;

/// `time_before(a, b)` on jiffies.
fn before(a: u64, b: u64) -> bool {
    (a.wrapping_sub(b) as i64) < 0
}

/// The list index of the destination `id`, if it is still linked to the service.
fn find(n: usize, dest: Dests<'_>, id: u64) -> Option<usize> {
    (0..n).find(|&i| dest(i).id == id)
}

/// Whether `d` is overloaded while some destination of the service is at less than half its
/// weight (then a better one is worth a new pick).
fn is_overloaded(d: &DestState, n: usize, dest: Dests<'_>) -> bool {
    i64::from(d.active) > i64::from(d.weight)
        && (0..n).any(|i| {
            let o = dest(i);
            i64::from(o.active) * 2 < i64::from(o.weight)
        })
}

/// An entry's key: the folded, hashed destination address of the traffic.
fn bucket(pkt: &Packet) -> usize {
    hash_32(Packet::fold(pkt.af, &pkt.daddr), TAB_BITS) as usize
}

/// What both tables store per entry.
trait Entry {
    fn key(&self) -> (u16, &[u8; 16]);
    fn lastuse(&self) -> u64;
}

/// The entry table with its periodic collection.
#[derive(Debug)]
struct Table<E> {
    buckets: AVec<AVec<E>>,
    entries: usize,
    rover: usize,
    counter: u32,
    /// When the next periodic check is due (`None` until the first connection).
    next_check: Option<u64>,
}

impl<E> Default for Table<E> {
    fn default() -> Self {
        Self {
            buckets: AVec::new(),
            entries: 0,
            rover: 0,
            counter: 1,
            next_check: None,
        }
    }
}

impl<E: Entry> Table<E> {
    fn get_mut(&mut self, pkt: &Packet) -> Option<&mut E> {
        let b = self.buckets.get_mut(bucket(pkt))?;
        b.iter_mut().find(|e| e.key() == (pkt.af, &pkt.daddr))
    }

    /// Adds an entry; on allocation failure the connection is scheduled without one.
    fn insert(&mut self, pkt: &Packet, e: E) {
        if self.buckets.is_empty() {
            for _ in 0..TAB_SIZE {
                if self.buckets.push(AVec::new()).is_err() {
                    self.buckets.clear();
                    return;
                }
            }
        }
        if self.buckets[bucket(pkt)].push(e).is_ok() {
            self.entries += 1;
        }
    }

    /// Removes the entries of the bucket after the rover that `stale` selects; returns how many.
    fn collect_next(&mut self, stale: &impl Fn(&E) -> bool) -> usize {
        self.rover = (self.rover + 1) % TAB_SIZE;
        let Some(b) = self.buckets.get_mut(self.rover) else {
            return 0;
        };
        let before_len = b.len();
        b.retain(|e| !stale(e));
        let removed = before_len - b.len();
        self.entries -= removed;
        removed
    }

    /// Runs the periodic check if it is due.
    fn maybe_check(&mut self, pkt: &Packet, expiration: u64) {
        let now = pkt.now;
        let due = *self
            .next_check
            .get_or_insert(now.wrapping_add(CHECK_INTERVAL_S * pkt.hz));
        if before(now, due) {
            return;
        }
        self.next_check = Some(now.wrapping_add(CHECK_INTERVAL_S * pkt.hz));
        if self.counter % FULL_CHECK_EVERY == 0 {
            // Full check: everything unused for the expiration time.
            let stale = |e: &E| !before(now, e.lastuse().wrapping_add(expiration));
            for _ in 0..TAB_SIZE {
                self.collect_next(&stale);
            }
            self.counter = 1;
            return;
        }
        if self.entries <= MAX_ENTRIES {
            self.counter += 1;
            return;
        }
        let mut goal = ((self.entries - MAX_ENTRIES) * 4 / 3).min(MAX_ENTRIES / 2) as i64;
        let timeout = ENTRY_TIMEOUT_S * pkt.hz;
        let stale = |e: &E| !before(now, e.lastuse().wrapping_add(timeout));
        for _ in 0..TAB_SIZE {
            goal -= self.collect_next(&stale) as i64;
            if goal <= 0 {
                break;
            }
        }
    }
}

/// An lblc entry: the server that last took this address.
#[derive(Debug)]
struct LblcEntry {
    af: u16,
    addr: [u8; 16],
    dest: u64,
    lastuse: u64,
}

impl Entry for LblcEntry {
    fn key(&self) -> (u16, &[u8; 16]) {
        (self.af, &self.addr)
    }
    fn lastuse(&self) -> u64 {
        self.lastuse
    }
}

/// Locality-based least connections.
#[derive(Debug, Default)]
pub(crate) struct Lblc {
    table: Table<LblcEntry>,
}

impl Algorithm for Lblc {}

impl LockedPick for Lblc {
    fn pick(&mut self, n: usize, dest: Dests<'_>, pkt: &Packet) -> Option<usize> {
        self.table.maybe_check(pkt, pkt.lblc_expiration);
        let Some(en) = self.table.get_mut(pkt) else {
            let i = least_weighted(n, dest, DestState::overhead)?;
            let e = LblcEntry {
                af: pkt.af,
                addr: pkt.daddr,
                dest: dest(i).id,
                lastuse: pkt.now,
            };
            self.table.insert(pkt, e);
            return Some(i);
        };
        en.lastuse = pkt.now;
        if let Some(i) = find(n, dest, en.dest) {
            let d = dest(i);
            if d.weight > 0 && !is_overloaded(&d, n, dest) {
                return Some(i);
            }
        }
        // The entry now points at the new pick (C replaces it with one used now: same thing).
        let i = least_weighted(n, dest, DestState::overhead)?;
        en.dest = dest(i).id;
        Some(i)
    }
}

/// An lblcr entry: the set of servers this address was given to, newest last.
#[derive(Debug)]
struct LblcrEntry {
    af: u16,
    addr: [u8; 16],
    set: AVec<u64>,
    /// When the set last changed.
    lastmod: u64,
    lastuse: u64,
}

impl Entry for LblcrEntry {
    fn key(&self) -> (u16, &[u8; 16]) {
        (self.af, &self.addr)
    }
    fn lastuse(&self) -> u64 {
        self.lastuse
    }
}

impl LblcrEntry {
    /// The set's members that are still linked to the service, newest first (C's list order),
    /// with their list index.
    fn members<'a>(
        &'a self,
        n: usize,
        dest: Dests<'a>,
    ) -> impl Iterator<Item = (usize, DestState)> + 'a {
        self.set
            .iter()
            .rev()
            .filter_map(move |&id| find(n, dest, id).map(|i| (i, dest(i))))
    }

    /// The member with the least load per weight (not overloaded, weight above 0).
    fn least(&self, n: usize, dest: Dests<'_>) -> Option<usize> {
        let mut best: Option<(usize, DestState)> = None;
        for (i, d) in self.members(n, dest) {
            if d.overloaded {
                continue;
            }
            match &best {
                None if d.weight > 0 => best = Some((i, d)),
                None => {}
                Some((_, b)) => {
                    if b.overhead() * i64::from(d.weight) > d.overhead() * i64::from(b.weight) {
                        best = Some((i, d));
                    }
                }
            }
        }
        best.map(|(i, _)| i)
    }

    /// The member with the most load per weight (weight above 0).
    fn most(&self, n: usize, dest: Dests<'_>) -> Option<u64> {
        let mut best: Option<DestState> = None;
        for (_, d) in self.members(n, dest) {
            if d.weight <= 0 {
                continue;
            }
            match &best {
                Some(b)
                    if b.overhead() * i64::from(d.weight) >= d.overhead() * i64::from(b.weight) => {
                }
                _ => best = Some(d),
            }
        }
        best.map(|d| d.id)
    }

    fn add(&mut self, id: u64, now: u64) {
        if !self.set.contains(&id) && self.set.push(id).is_ok() {
            self.lastmod = now;
        }
    }

    fn remove(&mut self, id: u64, now: u64) {
        if let Some(p) = self.set.iter().position(|&m| m == id) {
            if self.set.remove(p).is_some() {
                self.lastmod = now;
            }
        }
    }
}

/// Locality-based least connections with replication.
#[derive(Debug, Default)]
pub(crate) struct Lblcr {
    table: Table<LblcrEntry>,
}

impl Algorithm for Lblcr {}

impl LockedPick for Lblcr {
    fn pick(&mut self, n: usize, dest: Dests<'_>, pkt: &Packet) -> Option<usize> {
        self.table.maybe_check(pkt, pkt.lblcr_expiration);
        let now = pkt.now;
        let Some(en) = self.table.get_mut(pkt) else {
            let i = least_weighted(n, dest, DestState::overhead)?;
            let mut set = AVec::new();
            if set.push(dest(i).id).is_ok() {
                let e = LblcrEntry {
                    af: pkt.af,
                    addr: pkt.daddr,
                    set,
                    lastmod: now,
                    lastuse: now,
                };
                self.table.insert(pkt, e);
            }
            return Some(i);
        };
        en.lastuse = now;
        let least = en.least(n, dest);
        // A set that has not changed for the expiration time sheds its busiest member.
        if en.set.len() > 1 && before(en.lastmod.wrapping_add(pkt.lblcr_expiration), now) {
            if let Some(m) = en.most(n, dest) {
                en.remove(m, now);
            }
        }
        if let Some(i) = least {
            if !is_overloaded(&dest(i), n, dest) {
                return Some(i);
            }
        }
        let i = least_weighted(n, dest, DestState::overhead)?;
        en.add(dest(i).id, now);
        Some(i)
    }
}
