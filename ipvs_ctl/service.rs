// SPDX-License-Identifier: GPL-2.0

//! Virtual services: their identity and settings, the service a packet is for (with C's
//! firewall-mark, port-0 and FTP fallbacks), and adding, editing, deleting and flushing them.

use super::{msg, procfmt, table, uapi, Counters, CtlState, Dest};
use crate::ipvs_conn::persist;
use crate::ipvs_netns::Ipvs;
use crate::ipvs_sched::{Locked, Packet, Scheduler, Shared};
use crate::rust::{
    netfilter::Hooks,
    pernet::{Net, Sysctl},
    rcubox::{RcuBox, Staged},
    rcuindex::{IndexLink, Indexed},
    sync::{new_spinlock_bh, SpinLockBh},
};
use kernel::{
    alloc::KVec,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        rcu, Arc, ArcBorrow,
    },
};
use msg::{Name, SvcConf, SvcKey, SvcView};
use uapi::{AF_INET6, SVC_F_HASHED};

/// What a pick reads: the destinations, and the scheduler if its picks only read it. Replaced
/// whole by the control plane ([`Service::set_dests`], [`Service::set_scheduler`]); the packet
/// path reads it under RCU, without a lock.
pub(crate) struct Picks {
    /// Destinations in C IPVS's list order (newest first).
    pub(crate) dests: KVec<Arc<Dest>>,
    /// The bound scheduler if it is one of the [`Shared`] (none otherwise).
    shared: Option<Shared>,
}

/// How a service's destination list changed (what a [`Locked`] scheduler is told).
#[derive(Clone, Copy)]
pub(super) enum Change {
    /// One was inserted at this index.
    Added(usize),
    /// The one at this index was removed.
    Removed(usize),
    /// The one at this index was edited.
    Edited(usize),
}

/// A copy of `dests` with room for `extra` more.
fn copy_of(dests: &[Arc<Dest>], extra: usize) -> Result<KVec<Arc<Dest>>> {
    let mut v = KVec::with_capacity(dests.len() + extra, GFP_KERNEL)?;
    for d in dests {
        v.push(d.clone(), GFP_KERNEL)?;
    }
    Ok(v)
}

/// A virtual service.
#[pin_data]
pub(crate) struct Service {
    /// Identity.
    pub(crate) key: SvcKey,
    /// Its namespace (services go before it does).
    pub(crate) net: Net,
    /// The protocol it was added with (C's `svc->protocol`): its key's, but for a
    /// firewall-mark service added by socket option, the one sent then (genl's are TCP). The
    /// socket options show it and refuse commands that name another (`ESRCH`).
    pub(crate) protocol: u16,
    /// Unique among the namespace's service objects, ever.
    pub(super) id: u64,
    /// Destinations and a [`Shared`] scheduler.
    #[pin]
    picks: RcuBox<Picks>,
    /// A [`Locked`] scheduler: its picks hold this lock and read `picks` inside it, and a new
    /// destination list is published inside it, so that the scheduler always works on the list
    /// it was told of.
    #[pin]
    locked: SpinLockBh<Option<Locked>>,
    /// `IP_VS_SVC_F_*` (without `HASHED`): read by the packet path without a lock, written
    /// under the control mutex, like the two below.
    pub(super) flags: Atomic<u32>,
    /// Persistence timeout, seconds.
    pub(super) timeout: Atomic<u32>,
    /// Persistence granularity: an IPv4 netmask as C stores it, or an IPv6 prefix length.
    pub(super) netmask: Atomic<u32>,
    /// Whether the persistence engine is `sip` (the only one there is, so this is all there
    /// is to know of it).
    pe_sip: Atomic<bool>,
    /// Traffic counters.
    pub(crate) stats: Counters,
    /// Its link in the namespace's service index.
    pub(super) link: IndexLink<Service>,
}

impl Indexed for Service {
    fn index_link(&self) -> &IndexLink<Self> {
        &self.link
    }

    fn index_hash(&self) -> u32 {
        table::hash(&self.key)
    }
}

impl table::Keyed for Arc<Service> {
    fn key(&self) -> &SvcKey {
        &self.key
    }
}

impl Service {
    /// Picks a destination for a new connection (packet path, in the read section of `g`):
    /// without a lock if the scheduler's picks only read it.
    pub(crate) fn schedule(&self, g: &rcu::Guard, mut pkt: Packet) -> Option<Arc<Dest>> {
        pkt.af = self.key.af;
        pkt.svc_flags = self.flags();
        let shared = |p: &Picks, s: &Shared| {
            let i = s.pick(p.dests.len(), |i| p.dests[i].sched_state(), &pkt)?;
            p.dests.get(i).cloned()
        };
        let p = self.picks.get(g);
        if let Some(s) = &p.shared {
            return shared(p, s);
        }
        let mut l = self.locked.lock();
        // Inside the lock: the list the locked scheduler was told of (or, if a shared
        // scheduler replaced it meanwhile, that one).
        let p = self.picks.get(g);
        if let Some(s) = &p.shared {
            return shared(p, s);
        }
        let i = (*l)
            .as_mut()?
            .pick(p.dests.len(), |i| p.dests[i].sched_state(), &pkt)?;
        p.dests.get(i).cloned()
    }

    /// The destinations, in the read section of `g`.
    pub(crate) fn dests<'a>(&'a self, g: &'a rcu::Guard) -> &'a [Arc<Dest>] {
        &self.picks.get(g).dests
    }

    /// The bound scheduler's name (`none` without one).
    pub(super) fn sched_name(&self) -> &'static str {
        if let Some(s) = &self.picks.get(&rcu::read_lock()).shared {
            return s.name();
        }
        self.locked.lock().as_ref().map_or("none", Locked::name)
    }

    /// Publishes the next destination list, `change` from the current one (control plane).
    /// A shared scheduler is built anew for it, a locked one is told of the change.
    pub(super) fn set_dests(&self, dests: KVec<Arc<Dest>>, change: Change) -> Result {
        let mut w = self.picks.write();
        let shared = w.shared.as_ref().map(|s| {
            let mut s = s.fresh();
            s.init(dests.len(), |i| dests[i].sched_state());
            s
        });
        let next = Staged::new(Picks { dests, shared }, GFP_KERNEL)?;
        let mut l = self.locked.lock();
        if let Some(s) = (*l).as_mut() {
            let (n, d) = (next.dests.len(), |i: usize| next.dests[i].sched_state());
            match change {
                Change::Added(i) => s.add_dest(i, n, d),
                Change::Removed(i) => s.del_dest(i, n, d),
                Change::Edited(i) => s.upd_dest(i, n, d),
            }
        }
        w.publish(next);
        Ok(())
    }

    /// A copy of the destination list with room for `extra` more (the start of the next one).
    pub(super) fn dests_copy(&self, extra: usize) -> Result<KVec<Arc<Dest>>> {
        copy_of(&self.picks.write().dests, extra)
    }

    /// Binds `sched` (unbinds with `None`) to the current destinations. Picks always find a
    /// scheduler meanwhile: the new one is in place before the old one goes.
    fn set_scheduler(&self, sched: Option<Scheduler>) -> Result {
        let mut w = self.picks.write();
        let dests = copy_of(&w.dests, 0)?;
        let (n, d) = (dests.len(), |i: usize| dests[i].sched_state());
        let (shared, locked) = match sched {
            Some(Scheduler::Shared(mut s)) => {
                s.init(n, d);
                (Some(s), None)
            }
            Some(Scheduler::Locked(mut s)) => {
                s.init(n, d);
                (None, Some(s))
            }
            None => (None, None),
        };
        let next = Staged::new(Picks { dests, shared }, GFP_KERNEL)?;
        // A shared scheduler is picked from as soon as it is published; a locked one once the
        // list without a shared one is (both inside the lock).
        let old = {
            let mut l = self.locked.lock();
            w.publish(next);
            core::mem::replace(&mut *l, locked)
        };
        drop(old);
        Ok(())
    }

    /// Takes the destinations out (the service is going): hands each to `f` (which may sleep)
    /// and publishes an empty list (without memory for it, the list stays with the service,
    /// which is going anyway).
    fn take_dests(&self, mut f: impl FnMut(Arc<Dest>)) {
        let mut w = self.picks.write();
        for d in w.dests.iter() {
            f(d.clone());
        }
        let shared = w.shared.as_ref().map(Shared::fresh);
        if let Ok(next) = Staged::new(
            Picks {
                dests: KVec::new(),
                shared,
            },
            GFP_KERNEL,
        ) {
            w.publish(next);
        }
    }

    /// The service's flags (`IP_VS_SVC_F_*`).
    pub(crate) fn flags(&self) -> u32 {
        self.flags.load(Relaxed)
    }

    /// The persistence timeout, seconds.
    pub(crate) fn timeout(&self) -> u32 {
        self.timeout.load(Relaxed)
    }

    /// Whether templates are also keyed by the SIP Call-ID (`--pe sip`).
    pub(crate) fn pe_sip(&self) -> bool {
        self.pe_sip.load(Relaxed)
    }

    /// The persistence granularity (see [`crate::ipvs_conn::persist::mask_addr`]).
    pub(crate) fn netmask(&self) -> u32 {
        self.netmask.load(Relaxed)
    }

    pub(super) fn view<R>(&self, f: impl FnOnce(&SvcView<'_>) -> R) -> R {
        let v = SvcView {
            key: self.key,
            sched: self.sched_name().as_bytes(),
            pe: self.pe_sip().then_some(b"sip".as_slice()),
            flags: self.flags() | SVC_F_HASHED,
            timeout: self.timeout(),
            netmask: self.netmask(),
            stats: self.stats.snapshot(),
        };
        f(&v)
    }
}

/// Looks up a scheduler by name: `None` for `none`, `ENOENT` for an unknown one.
pub(super) fn scheduler(name: &Name) -> Result<Option<Scheduler>> {
    if name.as_bytes() == b"none" {
        return Ok(None);
    }
    Scheduler::new(name.as_bytes()).map(Some).ok_or(ENOENT)
}

/// Persistence engines known by name (C IPVS has `sip`: templates keyed by the Call-ID too).
const PE_NAMES: &[&[u8]] = &[b"sip"];

/// Checks a persistence engine name: empty means none, unknown is `ENOENT`.
fn check_pe(pe: &Option<Name>) -> Result<Option<Name>> {
    match pe {
        Some(p) if p.as_bytes().is_empty() => Ok(None),
        Some(p) if PE_NAMES.contains(&p.as_bytes()) => Ok(Some(*p)),
        Some(_) => Err(ENOENT),
        None => Ok(None),
    }
}

impl Ipvs {
    /// Finds a service by identity, within the read section of `g`.
    pub(crate) fn find_service_rcu<'a>(
        &'a self,
        g: &'a rcu::Guard,
        key: &SvcKey,
    ) -> Option<ArcBorrow<'a, Service>> {
        self.svc_index.find(g, table::hash(key), |s| s.key == *key)
    }

    /// Finds a service by identity (control plane).
    pub(crate) fn find_service(&self, key: &SvcKey) -> Option<Arc<Service>> {
        let g = rcu::read_lock();
        self.find_service_rcu(&g, key).map(Arc::from)
    }

    /// Finds the service for a packet (packet path: no lock): like C, a marked packet's
    /// firewall-mark service first, then the one of `<proto, vaddr, vport>`.
    pub(crate) fn lookup_service<'a>(
        &'a self,
        g: &'a rcu::Guard,
        af: u16,
        mark: u32,
        proto: u16,
        addr: &[u8],
        port: u16,
    ) -> Option<ArcBorrow<'a, Service>> {
        if mark != 0 {
            if let Some(s) = self.find_service_rcu(g, &table::fwmark_key(af, mark)) {
                return Some(s);
            }
        }
        let mut key = table::packet_key(af, proto, addr, port)?;
        if let Some(s) = self.find_service_rcu(g, &key) {
            return Some(s);
        }
        // Like C: a TCP packet to a data port may be for a (persistent) FTP service on the
        // address, and a port-0 service catches every port.
        if proto == uapi::IPPROTO_TCP
            && self.ftp_svcs.load(Relaxed) != 0
            && persist::may_be_ftp_data(port, !self.net.port_requires_bind(port))
        {
            key.port = persist::FTPPORT;
            if let Some(s) = self.find_service_rcu(g, &key) {
                return Some(s);
            }
        }
        if self.null_svcs.load(Relaxed) == 0 {
            return None;
        }
        key.port = 0;
        self.find_service_rcu(g, &key)
    }

    /// Counts a service in (`1`) or out (`-1`) of the services whose persistence engine makes
    /// connections for real servers' own requests (C: `conn_out_counter`).
    fn count_conn_out(&self, svc: &Service, by: i32) {
        if svc.pe_sip() {
            self.conn_out_svcs.add(by as u32, Relaxed);
        }
    }

    /// Counts a service in (`1`) or out (`-1`) of the port-based lookups' fallbacks.
    fn count_fallback(&self, key: &SvcKey, by: i32) {
        let counter = if key.port == persist::FTPPORT {
            &self.ftp_svcs
        } else if key.port == 0 && key.fwmark == 0 {
            &self.null_svcs
        } else {
            return;
        };
        counter.add(by as u32, Relaxed);
    }

    /// Adds service `key` with `conf`; `protocol` as [`Service::protocol`] says.
    pub(super) fn add_service(
        &self,
        ctl: &mut CtlState,
        (key, protocol): (SvcKey, u16),
        conf: &SvcConf,
    ) -> Result {
        let sched = scheduler(&conf.sched)?;
        let pe = check_pe(&conf.pe)?;
        if key.af == AF_INET6 && !(1..=128).contains(&conf.netmask) {
            return Err(EINVAL);
        }
        let (shared, locked) = match sched {
            Some(Scheduler::Shared(s)) => (Some(s), None),
            Some(Scheduler::Locked(s)) => (None, Some(s)),
            None => (None, None),
        };
        let picks = Staged::new(
            Picks {
                dests: KVec::new(),
                shared,
            },
            GFP_KERNEL,
        )?;
        let stats = Counters::new()?;
        let svc = Arc::pin_init(
            pin_init!(Service {
                key,
                net: self.net,
                protocol,
                id: self.next_svc_id.fetch_add(1, Relaxed),
                picks <- RcuBox::new(picks),
                locked <- new_spinlock_bh!(locked, c"ipvs_rs::Service::locked"),
                flags: Atomic::new(conf.flags & conf.mask),
                timeout: Atomic::new(conf.timeout),
                netmask: Atomic::new(conf.netmask),
                pe_sip: Atomic::new(pe.is_some()),
                stats,
                link: IndexLink::new(),
            }),
            GFP_KERNEL,
        )?;
        if ctl.hooks.is_none() {
            ctl.hooks = Some(Hooks::register(self.net)?);
        }
        // From the first service on, the rate estimator's thread runs (the next tick starts it).
        self.enabled.store(true, Relaxed);
        self.conns
            .ensure_table(self.sysctls.get(Sysctl::ConnLfactor))?;
        let first = {
            let mut svcs = self.svcs.lock();
            let first = svcs.is_empty();
            svcs.insert(svc.clone()).map_err(|_| ENOMEM)?;
            first
        };
        self.count_fallback(&key, 1);
        self.count_ftp_control(&key, 1);
        self.count_conn_out(&svc, 1);
        // Visible to the packet path from here on (a new service is in no index).
        self.svc_index.insert(svc)?;
        self.size_svc_index(first);
        Ok(())
    }

    /// Sizes the service index for the services there are (C's service table resizer, run at
    /// once instead of from a work item); `first`: the first one was just added. Under the
    /// control mutex. Without memory the index keeps its size (and load factor).
    pub(crate) fn size_svc_index(&self, first: bool) {
        let lfactor = self.sysctls.get(Sysctl::SvcLfactor);
        let count = self.svcs.lock().len();
        let bits = self.svc_index.size().trailing_zeros();
        let sized_at = if first {
            lfactor
        } else {
            self.svc_index_lfactor.load(Relaxed)
        };
        let want = table::svc_index_bits(count, bits, (lfactor, sized_at), first);
        if want == bits || self.svc_index.resize(want).is_ok() {
            self.svc_index_lfactor.store(lfactor, Relaxed);
        }
    }

    pub(super) fn edit_service(&self, svc: &Service, conf: &SvcConf) -> Result {
        let sched = scheduler(&conf.sched)?;
        let pe = check_pe(&conf.pe)?;
        if svc.key.af == AF_INET6 && !(1..=128).contains(&conf.netmask) {
            return Err(EINVAL);
        }
        let same = sched.as_ref().map_or("none", Scheduler::name) == svc.sched_name();
        if !same {
            svc.set_scheduler(sched)?;
        }
        self.count_conn_out(svc, -1);
        svc.pe_sip.store(pe.is_some(), Relaxed);
        self.count_conn_out(svc, 1);
        let flags = svc.flags();
        svc.flags
            .store((flags & !conf.mask) | (conf.flags & conf.mask), Relaxed);
        svc.timeout.store(conf.timeout, Relaxed);
        svc.netmask.store(conf.netmask, Relaxed);
        Ok(())
    }

    fn unlink_dests(&self, svc: &Service) {
        svc.take_dests(|d| self.unlink_dest(d));
    }

    pub(super) fn del_service(&self, ctl: &mut CtlState, svc: &Arc<Service>) {
        // Gone from the packet path (after a grace period), then from the list.
        drop(
            self.svc_index
                .remove(table::hash(&svc.key), |s| s.key == svc.key),
        );
        self.count_fallback(&svc.key, -1);
        self.count_ftp_control(&svc.key, -1);
        self.count_conn_out(svc, -1);
        let now_empty = {
            let mut svcs = self.svcs.lock();
            drop(svcs.remove(&svc.key));
            svcs.is_empty()
        };
        self.size_svc_index(false);
        self.unlink_dests(svc);
        self.expire_nodest();
        self.ftp_conntrack_check(ctl);
        if now_empty {
            ctl.hooks = None;
        }
    }

    pub(super) fn flush(&self, ctl: &mut CtlState) {
        let svcs = self.svcs.lock().take_all();
        // Gone from the packet path after one grace period; without memory for the index's
        // list, after one each.
        if self.svc_index.take_all().is_err() {
            for s in svcs.iter() {
                drop(
                    self.svc_index
                        .remove(table::hash(&s.key), |x| x.key == s.key),
                );
            }
        }
        // Every real server goes too: at once (their chains are singly linked, so taking
        // entries out one by one, as `unlink_dests` would, walks a chain each time: with the same
        // few real servers behind 10,000 services, seconds).
        drop(self.real_index.take_all());
        for s in svcs.iter() {
            self.count_fallback(&s.key, -1);
            self.count_ftp_control(&s.key, -1);
            self.count_conn_out(s, -1);
            self.unlink_dests(s);
        }
        self.size_svc_index(false);
        self.expire_nodest();
        ctl.ftp_conntrack = Default::default();
        ctl.hooks = None;
    }

    /// Writes `/proc/net/ip_vs`.
    pub(crate) fn show_services(&self, w: &mut impl core::fmt::Write) -> core::fmt::Result {
        let size = self.conns.size();
        procfmt::write_header(w, uapi::VERSION_CODE, size)?;
        let hz = crate::rust::time::hz();
        for svc in self.svcs.lock().iter() {
            let sched = svc.sched_name();
            procfmt::write_service(
                w,
                &svc.key,
                sched,
                svc.flags(),
                u64::from(svc.timeout()) * hz,
                svc.netmask(),
            )?;
            for d in svc.dests(&rcu::read_lock()).iter() {
                let st = d.sched_state();
                procfmt::write_dest(
                    w,
                    d.af,
                    &d.addr,
                    d.port,
                    d.fwd(),
                    st.weight,
                    (st.active, st.inactive),
                )?;
            }
        }
        Ok(())
    }
}
