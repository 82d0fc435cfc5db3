// SPDX-License-Identifier: GPL-2.0

//! The destination trash (C: `dest_trash`): a removed real server lives on while connections
//! use it, and is revived, with its counters, when it is added again.

use super::{msg, Dest, Service};
use crate::ipvs_netns::Ipvs;
use kernel::{
    prelude::*,
    sync::{atomic::Relaxed, rcu, Arc},
};
use msg::DestReq;

/// Seconds a destination stays in the trash once unused (`IP_VS_DEST_TRASH_PERIOD`).
const TRASH_PERIOD: u64 = 120;

/// A destination removed from its service, kept for connections and possible revival.
pub(crate) struct TrashEntry {
    pub(super) dest: Arc<Dest>,
    /// When it was first seen unused (jiffies; 0: not yet).
    idle_start: u64,
}

impl Ipvs {
    /// Forgets the cached route of every destination, of services and in the trash.
    pub(crate) fn forget_routes(&self) {
        for s in self.svcs.lock().iter() {
            for d in s.dests(&rcu::read_lock()).iter() {
                d.route.reset();
            }
        }
        for t in self.trash.lock().iter() {
            t.dest.route.reset();
        }
    }

    /// A destination leaves its service: it stays in the trash while connections use it, and
    /// is revived if re-added to the same service meanwhile (C IPVS's dest trash).
    pub(super) fn trash_put(&self, d: Arc<Dest>) {
        d.available.store(false, Relaxed);
        // Without memory the destination is simply dropped: connections keep it alive anyway.
        let _ = self.trash.lock().push(
            TrashEntry {
                dest: d,
                idle_start: 0,
            },
            GFP_ATOMIC,
        );
    }

    /// Takes a trashed destination of `svc` with this identity back out of the trash.
    pub(super) fn trash_get(&self, svc: &Service, af: u16, req: &DestReq) -> Option<Arc<Dest>> {
        let mut t = self.trash.lock();
        let i = t.iter().position(|e| {
            let d = &e.dest;
            d.is(af, req) && d.svc_key == svc.key
        })?;
        t.remove(i).ok().map(|e| e.dest)
    }

    /// Frees trashed destinations unused for [`TRASH_PERIOD`] seconds.
    pub(crate) fn trash_expire(&self, now: u64) {
        let period = TRASH_PERIOD * crate::rust::time::hz();
        self.trash.lock().retain(|e| {
            if !e.dest.unused() {
                return true;
            }
            if e.idle_start == 0 {
                e.idle_start = now.max(1);
                return true;
            }
            now.wrapping_sub(e.idle_start) < period
        });
    }
}
