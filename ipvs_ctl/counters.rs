// SPDX-License-Identifier: GPL-2.0

//! Traffic counters of destinations, services and the namespace (per CPU), their rates and
//! zeroing.

use super::{est, msg, Service};
use crate::ipvs_netns::Ipvs;
use crate::rust::percpu::PerCpuCounters;
use kernel::{
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        rcu,
    },
};
use msg::Stats;

/// Counter indices in [`Counters`].
pub(super) const CONNS: usize = 0;
pub(super) const INPKTS: usize = 1;
pub(super) const OUTPKTS: usize = 2;
pub(super) const INBYTES: usize = 3;
pub(super) const OUTBYTES: usize = 4;

/// Counters updated on the packet path without shared writes (per-CPU), with the rate
/// estimator's state.
pub(crate) struct Counters {
    /// conns, inpkts, outpkts, inbytes, outbytes: monotonic, per CPU.
    pcpu: PerCpuCounters<{ est::COUNTERS }>,
    /// The sums at the last zeroing (`ipvsadm -Z`): shown values are relative to them.
    base: [Atomic<u64>; est::COUNTERS],
    /// Rate estimator state ([`est::Est`]): written by the namespace's tick only.
    est_last: [Atomic<u64>; est::COUNTERS],
    est_avg: [Atomic<u64>; est::COUNTERS],
}

impl Counters {
    /// Zeroed counters (process context).
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            pcpu: PerCpuCounters::new()?,
            base: [const { Atomic::new(0) }; est::COUNTERS],
            est_last: [const { Atomic::new(0) }; est::COUNTERS],
            est_avg: [const { Atomic::new(0) }; est::COUNTERS],
        })
    }

    /// A new connection was scheduled: counted in each of `sets` (its destination's, its
    /// service's and the namespace's counters).
    pub(crate) fn conn(sets: [&Self; 3]) {
        PerCpuCounters::add2(sets.map(|c| &c.pcpu), CONNS, 1, CONNS, 0);
    }

    /// A packet of `bytes` went from client to server (counted as for [`Self::conn`]).
    pub(crate) fn packet_in(sets: [&Self; 3], bytes: u32) {
        PerCpuCounters::add2(sets.map(|c| &c.pcpu), INPKTS, 1, INBYTES, u64::from(bytes));
    }

    /// A packet of `bytes` went from server to client (counted as for [`Self::conn`]).
    pub(crate) fn packet_out(sets: [&Self; 3], bytes: u32) {
        PerCpuCounters::add2(
            sets.map(|c| &c.pcpu),
            OUTPKTS,
            1,
            OUTBYTES,
            u64::from(bytes),
        );
    }

    /// The counters since the last zeroing.
    pub(super) fn counters(&self) -> [u64; est::COUNTERS] {
        let mut v = self.pcpu.sum();
        for (c, b) in v.iter_mut().zip(self.base.iter()) {
            *c = c.wrapping_sub(b.load(Relaxed));
        }
        v
    }

    pub(super) fn est(&self) -> est::Est {
        est::Est {
            last: self.est_last.each_ref().map(|a| a.load(Relaxed)),
            avg: self.est_avg.each_ref().map(|a| a.load(Relaxed)),
        }
    }

    /// Takes one rate estimation (every [`est::PERIOD_S`] seconds, from the tick).
    pub(crate) fn estimate(&self) {
        let mut e = self.est();
        e.update(self.counters());
        for (a, v) in self.est_last.iter().zip(e.last) {
            a.store(v, Relaxed);
        }
        for (a, v) in self.est_avg.iter().zip(e.avg) {
            a.store(v, Relaxed);
        }
    }

    /// A snapshot in the form the codec writes.
    pub(crate) fn snapshot(&self) -> Stats {
        let [cps, inpps, outpps, inbps, outbps] = self.est().rates();
        let [conns, inpkts, outpkts, inbytes, outbytes] = self.counters();
        Stats {
            conns,
            inpkts,
            outpkts,
            inbytes,
            outbytes,
            cps,
            inpps,
            outpps,
            inbps,
            outbps,
        }
    }

    /// Calls `f` with each possible CPU's own counters (since the counters were made: zeroing
    /// does not touch them, as C's `ip_vs_stats_percpu` rows).
    pub(crate) fn for_each_cpu(&self, f: impl FnMut(u32, [u64; est::COUNTERS])) {
        self.pcpu.for_each_cpu(f)
    }

    /// Zeroes the counters and the rates.
    pub(crate) fn zero(&self) {
        for (b, v) in self.base.iter().zip(self.pcpu.sum()) {
            b.store(v, Relaxed);
        }
        for (last, avg) in self.est_last.iter().zip(self.est_avg.iter()) {
            last.store(0, Relaxed);
            avg.store(0, Relaxed);
        }
    }
}

impl Ipvs {
    /// Updates every rate estimator of the namespace (from the tick).
    pub(crate) fn estimate_rates(&self) {
        self.stats.estimate();
        for s in self.svcs.lock().iter() {
            s.stats.estimate();
            for d in s.dests(&rcu::read_lock()).iter() {
                d.stats.estimate();
            }
        }
    }

    pub(super) fn zero_all(&self) {
        for s in self.svcs.lock().iter() {
            Self::zero_service(s);
        }
        self.stats.zero();
    }

    pub(super) fn zero_service(svc: &Service) {
        svc.stats.zero();
        for d in svc.dests(&rcu::read_lock()).iter() {
            d.stats.zero();
        }
    }
}
