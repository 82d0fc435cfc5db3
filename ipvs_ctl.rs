// SPDX-License-Identifier: GPL-2.0

//! The control plane: virtual services and their destinations, and the `IPVS` generic-netlink
//! commands that manage them.
//!
//! Tables are per network namespace. Changes are serialised by the namespace's control mutex.
//! The packet path finds services in an RCU hash index without a lock, and reads a service's
//! destinations under that service's bottom-half spinlock (which also serialises its
//! scheduler's state, like C's per-scheduler locks); connections keep references (`Arc`) to
//! what they use, so a removed service or destination lives on while connections point at it.

pub(crate) mod est;
pub(crate) mod msg;
pub(crate) mod nlattr;
pub(crate) mod procfmt;
pub(crate) mod table;
pub(crate) mod uapi;

use crate::ipvs_conn::persist;
use crate::ipvs_proto::inet::{Addr, Family};
use crate::ipvs_sched::{lower_threshold, overload_after, Crossing, DestState, Packet, Scheduler};
use crate::ipvs_xmit::Tunnel;
use crate::kernel_ext::{
    genl::{self, Dump, Reply, Request},
    netfilter::Hooks,
    percpu::PerCpuCounters,
    pernet::{Net, Sysctl},
    rcuindex::{IndexLink, Indexed},
    route::RouteCache,
    sync::{new_spinlock_bh, SpinLockBh},
};
use crate::Ipvs;
use kernel::{
    alloc::KVec,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        rcu, Arc, ArcBorrow,
    },
};
use msg::{DestConf, DestReq, DestView, Name, Stats, SvcConf, SvcKey, SvcReq, SvcView};
use nlattr::{Errno, Writer};
use uapi::{cmd, cmd_attr, AF_INET6, CONN_F_MASQ, CONN_F_TUNNEL, SVC_F_HASHED, TUNNEL_TYPE_GUE};

/// Size of the buffer one reply message is built in.
const MSG_BUF: usize = 1024;
/// Services taken per lock hold while dumping.
const DUMP_BATCH: usize = 32;

/// Converts a pure-code errno into a kernel error.
pub(crate) fn kerr(e: Errno) -> Error {
    Error::from_errno(-e.0)
}

/// Counter indices in [`Counters`].
const CONNS: usize = 0;
const INPKTS: usize = 1;
const OUTPKTS: usize = 2;
const INBYTES: usize = 3;
const OUTBYTES: usize = 4;

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
    fn counters(&self) -> [u64; est::COUNTERS] {
        let mut v = self.pcpu.sum();
        for (c, b) in v.iter_mut().zip(self.base.iter()) {
            *c = c.wrapping_sub(b.load(Relaxed));
        }
        v
    }

    fn est(&self) -> est::Est {
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

/// Source of [`Dest`] identities (never reused while the module is loaded).
static NEXT_DEST_ID: Atomic<u64> = Atomic::new(1);

/// A real server of a service.
pub(crate) struct Dest {
    /// Address family.
    pub(crate) af: u16,
    /// Address (IPv4 in the first four bytes).
    pub(crate) addr: [u8; 16],
    /// Port, host order.
    pub(crate) port: u16,
    /// Identity for the schedulers' tables.
    id: u64,
    fwd: Atomic<u32>,
    weight: Atomic<i32>,
    /// The latest non-zero weight (mh keeps quiesced destinations' slots).
    last_weight: Atomic<i32>,
    u_thresh: Atomic<u32>,
    l_thresh: Atomic<u32>,
    /// The lower threshold in use (`l_thresh`, or 3/4 of `u_thresh`).
    l_thresh_val: Atomic<u32>,
    /// Over the upper threshold, not yet back under the lower one.
    overloaded: Atomic<bool>,
    tun: Atomic<u32>,
    tun_port: Atomic<u32>,
    active: Atomic<i32>,
    total: Atomic<i32>,
    /// Persistence templates bound to it (`PersistConn`); they count for nothing else.
    persist: Atomic<i32>,
    available: Atomic<bool>,
    /// The service it was created for (a trashed destination is only revived by it).
    pub(crate) svc_key: SvcKey,
    /// Identity of the service object it is linked to (revived under a new object: stats reset).
    svc_id: Atomic<u64>,
    /// Traffic counters.
    pub(crate) stats: Counters,
    /// Its route, cached.
    pub(crate) route: RouteCache,
}

impl Dest {
    fn new(svc: &Service, af: u16, req: &DestReq, conf: &DestConf) -> Result<Self> {
        let d = Self {
            af,
            addr: req.addr,
            port: req.port,
            id: NEXT_DEST_ID.fetch_add(1, Relaxed),
            fwd: Atomic::new(0),
            weight: Atomic::new(0),
            last_weight: Atomic::new(0),
            u_thresh: Atomic::new(0),
            l_thresh: Atomic::new(0),
            l_thresh_val: Atomic::new(0),
            overloaded: Atomic::new(false),
            tun: Atomic::new(0),
            tun_port: Atomic::new(0),
            active: Atomic::new(0),
            total: Atomic::new(0),
            persist: Atomic::new(0),
            available: Atomic::new(true),
            svc_key: svc.key,
            svc_id: Atomic::new(svc.id),
            stats: Counters::new()?,
            route: RouteCache::new(),
        };
        d.set_conf(conf, true);
        Ok(d)
    }

    /// Applies a configuration (`added`: the destination is being linked to a service).
    fn set_conf(&self, c: &DestConf, added: bool) {
        // The forwarding method decides how the route is looked up.
        self.route.reset();
        self.fwd.store(c.fwd, Relaxed);
        if added || c.weight != 0 {
            self.last_weight.store(c.weight as i32, Relaxed);
        }
        self.weight.store(c.weight as i32, Relaxed);
        if self.u_thresh.load(Relaxed) != c.u_thresh || self.l_thresh.load(Relaxed) != c.l_thresh {
            self.u_thresh.store(c.u_thresh, Relaxed);
            self.l_thresh.store(c.l_thresh, Relaxed);
            self.l_thresh_val
                .store(lower_threshold(c.u_thresh, c.l_thresh), Relaxed);
            self.update_overload(Crossing::Edit);
        }
        self.tun.store(
            u32::from(c.tun_type) | (u32::from(c.tun_flags) << 8),
            Relaxed,
        );
        self.tun_port.store(u32::from(c.tun_port), Relaxed);
    }

    fn conf(&self) -> DestConf {
        let tun = self.tun.load(Relaxed);
        DestConf {
            fwd: self.fwd.load(Relaxed),
            weight: self.weight.load(Relaxed) as u32,
            u_thresh: self.u_thresh.load(Relaxed),
            l_thresh: self.l_thresh.load(Relaxed),
            tun_type: tun as u8,
            tun_flags: (tun >> 8) as u16,
            tun_port: self.tun_port.load(Relaxed) as u16,
        }
    }

    /// The forwarding method (`IP_VS_CONN_F_*`).
    pub(crate) fn fwd(&self) -> u32 {
        self.fwd.load(Relaxed)
    }

    /// The real server's address family.
    pub(crate) fn family(&self) -> Family {
        Family::of_checked_af(self.af)
    }

    /// The real server's address (only its family's bytes, as C compares them).
    pub(crate) fn address(&self) -> Addr {
        Addr::new(self.family(), &self.addr)
    }

    /// The tunnel encapsulation (for the tunnelling method).
    pub(crate) fn tunnel(&self) -> Tunnel {
        let tun = self.tun.load(Relaxed);
        Tunnel {
            kind: tun as u8,
            flags: (tun >> 8) as u16,
            port: self.tun_port.load(Relaxed) as u16,
        }
    }

    /// Whether the destination is still linked to its service.
    pub(crate) fn is_available(&self) -> bool {
        self.available.load(Relaxed)
    }

    /// The scheduler's view of this destination.
    pub(crate) fn sched_state(&self) -> DestState {
        let active = self.active.load(Relaxed).max(0) as u32;
        DestState {
            id: self.id,
            weight: self.weight.load(Relaxed),
            last_weight: self.last_weight.load(Relaxed),
            active,
            inactive: self.inactive(),
            overloaded: self.overloaded.load(Relaxed),
            af: self.svc_key.af,
            addr: self.addr,
            port: self.port,
        }
    }

    /// Re-evaluates the overload flag after a threshold crossing. Concurrent crossings are
    /// resolved by retrying until the flag was computed from the count still current when it
    /// was stored (C serialises them with a lock instead).
    fn update_overload(&self, crossing: Crossing) {
        loop {
            let was = self.overloaded.load(Relaxed);
            let conns = i64::from(self.total.load(Relaxed));
            let u = self.u_thresh.load(Relaxed);
            let l = self.l_thresh_val.load(Relaxed);
            let now = overload_after(crossing, conns, u, l, was);
            if self.overloaded.cmpxchg(was, now, Relaxed).is_ok()
                && i64::from(self.total.load(Relaxed)) == conns
            {
                return;
            }
        }
    }

    /// Whether this is the destination `<af, addr, port>` of a request.
    fn is(&self, af: u16, req: &DestReq) -> bool {
        self.af == af && self.addr == req.addr && self.port == req.port
    }

    /// Whether no connection or template is bound to it any more.
    fn unused(&self) -> bool {
        self.total.load(Relaxed) <= 0 && self.persist.load(Relaxed) <= 0
    }

    fn inactive(&self) -> u32 {
        (self.total.load(Relaxed) - self.active.load(Relaxed)).max(0) as u32
    }

    /// A connection was bound to this destination (it starts inactive).
    pub(crate) fn bind_conn(&self) {
        let total = self.total.fetch_add(1, Relaxed) + 1;
        if total as u32 == self.u_thresh.load(Relaxed) {
            self.update_overload(Crossing::Up);
        }
    }

    /// A connection bound to this destination went away.
    pub(crate) fn unbind_conn(&self, was_active: bool) {
        if was_active {
            self.active.add(-1, Relaxed);
        }
        let was = self.total.fetch_add(-1, Relaxed);
        if was as u32 == self.l_thresh_val.load(Relaxed) {
            self.update_overload(Crossing::Down);
        }
    }

    /// A persistence template was bound to this destination.
    pub(crate) fn bind_template(&self) {
        self.persist.add(1, Relaxed);
    }

    /// A persistence template bound to this destination went away.
    pub(crate) fn unbind_template(&self) {
        self.persist.add(-1, Relaxed);
    }

    /// Whether the destination is quiesced (weight 0).
    pub(crate) fn is_quiesced(&self) -> bool {
        self.weight.load(Relaxed) == 0
    }

    /// A connection changed between active and inactive.
    pub(crate) fn conn_activity(&self, now_active: bool) {
        self.active.add(if now_active { 1 } else { -1 }, Relaxed);
    }

    fn view(&self) -> DestView {
        DestView {
            af: self.af,
            addr: self.addr,
            port: self.port,
            conf: self.conf(),
            active: self.active.load(Relaxed).max(0) as u32,
            inactive: self.inactive(),
            persist: self.persist.load(Relaxed).max(0) as u32,
            stats: self.stats.snapshot(),
        }
    }
}

/// An entry of the namespace's real-server index (C: `rs_table`): one NAT destination linked
/// to a service, by endpoint and protocol ([`table::RealKey`]). `nat_icmp_send` looks a
/// packet's source up in it, and so does a real server's own request to a client for a
/// persistence engine that takes those (SIP). Newest first in its chain, as C's.
pub(crate) struct RealServer {
    key: table::RealKey,
    dest: Arc<Dest>,
    link: IndexLink<RealServer>,
}

impl Indexed for RealServer {
    fn index_link(&self) -> &IndexLink<Self> {
        &self.link
    }
}

/// The mutable part of a service.
pub(crate) struct SvcInner {
    /// The bound scheduler (`None`: `-s none`).
    pub(crate) sched: Option<Scheduler>,
    /// Destinations in C IPVS's list order (newest first).
    pub(crate) dests: KVec<Arc<Dest>>,
}

impl SvcInner {
    /// The list index of the destination `<af, addr, port>`.
    fn find_dest(&self, af: u16, req: &DestReq) -> Option<usize> {
        self.dests.iter().position(|d| d.is(af, req))
    }

    /// Tells the bound scheduler (if any) about a change, with a view of the destinations.
    fn sched_event(&mut self, f: impl FnOnce(&mut Scheduler, usize, &dyn Fn(usize) -> DestState)) {
        let dests = &self.dests;
        if let Some(s) = self.sched.as_mut() {
            f(s, dests.len(), &|i| dests[i].sched_state());
        }
    }
}

/// A virtual service.
#[pin_data]
pub(crate) struct Service {
    /// Identity.
    pub(crate) key: SvcKey,
    /// Unique among the namespace's service objects, ever.
    id: u64,
    /// Scheduler and destinations.
    #[pin]
    pub(crate) inner: SpinLockBh<SvcInner>,
    /// `IP_VS_SVC_F_*` (without `HASHED`): read by the packet path without a lock, written
    /// under the control mutex, like the two below.
    flags: Atomic<u32>,
    /// Persistence timeout, seconds.
    timeout: Atomic<u32>,
    /// Persistence granularity: an IPv4 netmask as C stores it, or an IPv6 prefix length.
    netmask: Atomic<u32>,
    /// Whether the persistence engine is `sip` (the only one there is, so this is all there
    /// is to know of it).
    pe_sip: Atomic<bool>,
    /// Traffic counters.
    pub(crate) stats: Counters,
    /// Its link in the namespace's service index.
    link: IndexLink<Service>,
}

impl Indexed for Service {
    fn index_link(&self) -> &IndexLink<Self> {
        &self.link
    }
}

impl table::Keyed for Arc<Service> {
    fn key(&self) -> &SvcKey {
        &self.key
    }
}

impl Service {
    /// Picks a destination for a new connection (packet path).
    pub(crate) fn schedule(&self, mut pkt: Packet) -> Option<Arc<Dest>> {
        let mut g = self.inner.lock();
        let inner = &mut *g;
        pkt.af = self.key.af;
        pkt.svc_flags = self.flags();
        let dests = &inner.dests;
        let idx = inner
            .sched
            .as_mut()?
            .pick_for(dests.len(), |i| dests[i].sched_state(), &pkt)?;
        dests.get(idx).cloned()
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

    fn view<R>(&self, f: impl FnOnce(&SvcView<'_>) -> R) -> R {
        let g = self.inner.lock();
        let v = SvcView {
            key: self.key,
            sched: g
                .sched
                .as_ref()
                .map_or(b"none".as_slice(), |s| s.name().as_bytes()),
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
fn scheduler(name: &Name) -> Result<Option<Scheduler>> {
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

/// Timeouts (seconds) of `ipvsadm --set`.
pub(crate) struct Timeouts {
    /// TCP ESTABLISHED.
    pub(crate) tcp: Atomic<u32>,
    /// TCP FIN_WAIT.
    pub(crate) tcp_fin: Atomic<u32>,
    /// UDP.
    pub(crate) udp: Atomic<u32>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            tcp: Atomic::new(900),
            tcp_fin: Atomic::new(120),
            udp: Atomic::new(crate::ipvs_proto::udp::DEFAULT_TIMEOUT),
        }
    }
}

/// Seconds a destination stays in the trash once unused (`IP_VS_DEST_TRASH_PERIOD`).
const TRASH_PERIOD: u64 = 120;

/// A destination removed from its service, kept for connections and possible revival.
pub(crate) struct TrashEntry {
    dest: Arc<Dest>,
    /// When it was first seen unused (jiffies; 0: not yet).
    idle_start: u64,
}

/// State serialised by the control mutex.
#[derive(Default)]
pub(crate) struct CtlState {
    /// This namespace's hooks, registered while it has a service.
    pub(crate) hooks: Option<Hooks>,
}

impl Ipvs {
    /// Finds a service by identity, within the read section of `g`.
    pub(crate) fn find_service_rcu<'a>(
        &'a self,
        g: &'a rcu::Guard,
        key: &SvcKey,
    ) -> Option<ArcBorrow<'a, Service>> {
        self.svc_index
            .find(g, table::bucket(key), |s| s.key == *key)
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

    fn add_service(&self, ctl: &mut CtlState, key: SvcKey, conf: &SvcConf) -> Result {
        let sched = scheduler(&conf.sched)?;
        let pe = check_pe(&conf.pe)?;
        if key.af == AF_INET6 && !(1..=128).contains(&conf.netmask) {
            return Err(EINVAL);
        }
        let inner = SvcInner {
            sched,
            dests: KVec::new(),
        };
        let stats = Counters::new()?;
        let svc = Arc::pin_init(
            pin_init!(Service {
                key,
                id: self.next_svc_id.fetch_add(1, Relaxed),
                inner <- new_spinlock_bh!(inner, c"ipvs_rs::Service::inner"),
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
        self.conns.ensure_table()?;
        self.svcs.lock().insert(svc.clone()).map_err(|_| ENOMEM)?;
        self.count_fallback(&key, 1);
        self.count_conn_out(&svc, 1);
        // Visible to the packet path from here on (a new service is in no index).
        self.svc_index.insert(table::bucket(&key), svc)
    }

    fn edit_service(&self, svc: &Service, conf: &SvcConf) -> Result {
        let sched = scheduler(&conf.sched)?;
        let pe = check_pe(&conf.pe)?;
        if svc.key.af == AF_INET6 && !(1..=128).contains(&conf.netmask) {
            return Err(EINVAL);
        }
        let mut g = svc.inner.lock();
        let same = matches!((&g.sched, &sched), (Some(a), Some(b)) if a.name() == b.name());
        if !same {
            g.sched = sched;
            g.sched_event(|s, n, d| s.init(n, d));
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
        let dests = core::mem::take(&mut svc.inner.lock().dests);
        for d in dests.iter() {
            self.unlink_dest(d.clone());
        }
    }

    /// With `expire_nodest_conn`, destinations just removed take their connections and
    /// templates with them (C queues this as a work right after the removal; here it runs
    /// before the command returns).
    fn expire_nodest(&self) {
        if self.sysctls.get(Sysctl::ExpireNodestConn) != 0 {
            self.conns.expire_nodest(crate::kernel_ext::time::jiffies());
        }
    }

    /// Whether a packet of IP protocol `proto` from `addr:port` comes from a NAT real server
    /// (packet path: C's `ip_vs_has_real_service`).
    pub(crate) fn has_real_service(
        &self,
        g: &rcu::Guard,
        af: u16,
        proto: u16,
        addr: &[u8; 16],
        port: u16,
    ) -> bool {
        let bucket = table::real_bucket(af, addr, port);
        self.real_index
            .find(g, bucket, |e| e.key.sends(af, proto, addr, port))
            .is_some()
    }

    /// The NAT destination a packet of IP protocol `proto` from `addr:port` comes from: the
    /// newest of them if several services have it (packet path: C's
    /// `ip_vs_find_real_service`).
    pub(crate) fn find_real_service(
        &self,
        g: &rcu::Guard,
        af: u16,
        proto: u16,
        addr: &[u8; 16],
        port: u16,
    ) -> Option<Arc<Dest>> {
        let bucket = table::real_bucket(af, addr, port);
        self.real_index
            .find(g, bucket, |e| e.key.sends(af, proto, addr, port))
            .map(|e| e.dest.clone())
    }

    /// Indexes NAT destination `d` as a real server. Fails (`ENOMEM`,
    /// changing nothing) only when its entry cannot be allocated. Under the control mutex,
    /// like [`Self::real_unlink`].
    fn real_link(&self, d: &Arc<Dest>) -> Result {
        let key = table::RealKey::new(&d.svc_key, d.af, d.addr, d.port);
        let e = Arc::new(
            RealServer {
                key,
                dest: d.clone(),
                link: IndexLink::new(),
            },
            GFP_KERNEL,
        )?;
        // A new entry is in no index: this cannot fail.
        let _ = self.real_index.insert(key.bucket(), e);
        Ok(())
    }

    /// Takes `d`'s entry out of the real-server index (freed after a grace period, without
    /// waiting for it).
    fn real_unlink(&self, d: &Dest) {
        let key = table::RealKey::new(&d.svc_key, d.af, d.addr, d.port);
        self.real_index
            .remove_later(key.bucket(), |e| core::ptr::eq(&*e.dest, d));
    }

    /// Destination `d` leaves its service (deleted, or its service is): out of the
    /// real-server index if NAT, into the trash.
    fn unlink_dest(&self, d: Arc<Dest>) {
        if d.fwd() == CONN_F_MASQ {
            self.real_unlink(&d);
        }
        self.trash_put(d);
    }

    /// A destination leaves its service: it stays in the trash while connections use it, and
    /// is revived if re-added to the same service meanwhile (C IPVS's dest trash).
    fn trash_put(&self, d: Arc<Dest>) {
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
    fn trash_get(&self, svc: &Service, af: u16, req: &DestReq) -> Option<Arc<Dest>> {
        let mut t = self.trash.lock();
        let i = t.iter().position(|e| {
            let d = &e.dest;
            d.is(af, req) && d.svc_key == svc.key
        })?;
        t.remove(i).ok().map(|e| e.dest)
    }

    /// Frees trashed destinations unused for [`TRASH_PERIOD`] seconds.
    pub(crate) fn trash_expire(&self, now: u64) {
        let period = TRASH_PERIOD * crate::kernel_ext::time::hz();
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

    fn del_service(&self, ctl: &mut CtlState, svc: &Arc<Service>) {
        // Gone from the packet path (after a grace period), then from the list.
        drop(
            self.svc_index
                .remove(table::bucket(&svc.key), |s| s.key == svc.key),
        );
        self.count_fallback(&svc.key, -1);
        self.count_conn_out(svc, -1);
        let now_empty = {
            let mut svcs = self.svcs.lock();
            drop(svcs.remove(&svc.key));
            svcs.is_empty()
        };
        self.unlink_dests(svc);
        self.expire_nodest();
        if now_empty {
            ctl.hooks = None;
        }
    }

    fn flush(&self, ctl: &mut CtlState) {
        let svcs = self.svcs.lock().take_all();
        // Gone from the packet path after one grace period; without memory for the index's
        // list, after one each.
        if self.svc_index.take_all().is_err() {
            for s in svcs.iter() {
                drop(
                    self.svc_index
                        .remove(table::bucket(&s.key), |x| x.key == s.key),
                );
            }
        }
        for s in svcs.iter() {
            self.count_fallback(&s.key, -1);
            self.count_conn_out(s, -1);
            self.unlink_dests(s);
        }
        self.expire_nodest();
        ctl.hooks = None;
    }

    fn add_dest(&self, svc: &Service, af: u16, req: &DestReq, conf: &DestConf) -> Result {
        check_dest_conf(conf)?;
        if svc.inner.lock().find_dest(af, req).is_some() {
            return Err(EEXIST);
        }
        // Serialised by the control mutex: nothing can add the same destination meanwhile.
        let d = match self.trash_get(svc, af, req) {
            Some(d) => {
                if d.svc_id.xchg(svc.id, Relaxed) != svc.id {
                    d.stats.zero();
                }
                d.set_conf(conf, true);
                d.available.store(true, Relaxed);
                d
            }
            None => {
                let ok = if af == AF_INET6 {
                    self.net.ipv6_dest_ok(&req.addr)
                } else {
                    self.net.ipv4_unicast_or_local([
                        req.addr[0],
                        req.addr[1],
                        req.addr[2],
                        req.addr[3],
                    ])
                };
                if !ok {
                    return Err(EINVAL);
                }
                Arc::new(Dest::new(svc, af, req, conf)?, GFP_KERNEL)?
            }
        };
        // On failure a revived destination goes back to the trash.
        if conf.fwd == CONN_F_MASQ {
            if let Err(e) = self.real_link(&d) {
                self.trash_put(d);
                return Err(e);
            }
        }
        let mut g = svc.inner.lock();
        if let Err(e) = g.dests.reserve(1, GFP_ATOMIC) {
            drop(g);
            self.unlink_dest(d);
            return Err(e.into());
        }
        g.dests.insert_within_capacity(0, d).map_err(|_| ENOMEM)?;
        g.sched_event(|s, n, d| s.add_dest(0, n, d));
        Ok(())
    }

    fn edit_dest(&self, svc: &Service, af: u16, req: &DestReq, conf: &DestConf) -> Result {
        check_dest_conf(conf)?;
        let d = {
            let g = svc.inner.lock();
            g.dests[g.find_dest(af, req).ok_or(ENOENT)?].clone()
        };
        let was_nat = d.fwd() == CONN_F_MASQ;
        let now_nat = conf.fwd == CONN_F_MASQ;
        // Becoming NAT: indexed first, while failing changes nothing.
        if now_nat && !was_nat {
            self.real_link(&d)?;
        }
        let mut g = svc.inner.lock();
        // Still there: changes are serialised by the control mutex.
        let idx = g.find_dest(af, req).ok_or(ENOENT)?;
        g.dests[idx].set_conf(conf, false);
        g.sched_event(|s, n, d| s.upd_dest(idx, n, d));
        drop(g);
        if was_nat && !now_nat {
            self.real_unlink(&d);
        }
        Ok(())
    }

    fn del_dest(&self, svc: &Service, af: u16, req: &DestReq) -> Result {
        let mut g = svc.inner.lock();
        let i = g.find_dest(af, req).ok_or(ENOENT)?;
        let d = g.dests.remove(i).map_err(|_| EINVAL)?;
        g.sched_event(|s, n, d| s.del_dest(i, n, d));
        drop(g);
        self.unlink_dest(d);
        self.expire_nodest();
        Ok(())
    }

    /// Updates every rate estimator of the namespace (from the tick).
    pub(crate) fn estimate_rates(&self) {
        self.stats.estimate();
        for s in self.svcs.lock().iter() {
            s.stats.estimate();
            for d in s.inner.lock().dests.iter() {
                d.stats.estimate();
            }
        }
    }

    fn zero_all(&self) {
        for s in self.svcs.lock().iter() {
            Self::zero_service(s);
        }
        self.stats.zero();
    }

    fn zero_service(svc: &Service) {
        svc.stats.zero();
        for d in svc.inner.lock().dests.iter() {
            d.stats.zero();
        }
    }

    fn set_config(&self, a: &msg::CmdAttrs<'_>) -> Result {
        let get = |t: u16| a[usize::from(t)].map(nlattr::get_u32);
        let (tcp, fin, udp) = (
            get(cmd_attr::TIMEOUT_TCP),
            get(cmd_attr::TIMEOUT_TCP_FIN),
            get(cmd_attr::TIMEOUT_UDP),
        );
        // Timeouts are stored in jiffies as an int in C: larger values are invalid.
        let max = (i32::MAX as u64 / crate::kernel_ext::time::hz()) as u32;
        if [tcp, fin, udp].iter().flatten().any(|&v| v > max) {
            return Err(EINVAL);
        }
        for (v, slot) in [
            (tcp, &self.timeouts.tcp),
            (fin, &self.timeouts.tcp_fin),
            (udp, &self.timeouts.udp),
        ] {
            if let Some(v) = v.filter(|&v| v != 0) {
                slot.store(v, Relaxed);
            }
        }
        Ok(())
    }

    fn set_cmd(&self, net: Net, req: Request<'_>) -> Result {
        let a = msg::parse_cmd(req.attrs).map_err(kerr)?;
        let mut ctl = self.ctl.lock();
        match req.cmd {
            cmd::FLUSH => {
                self.flush(&mut ctl);
                return Ok(());
            }
            cmd::SET_CONFIG => return self.set_config(&a),
            cmd::ZERO if a[usize::from(cmd_attr::SERVICE)].is_none() => {
                self.zero_all();
                return Ok(());
            }
            _ => {}
        }
        let full_svc = matches!(req.cmd, cmd::NEW_SERVICE | cmd::SET_SERVICE);
        let SvcReq { key, conf } =
            msg::parse_service(a[usize::from(cmd_attr::SERVICE)], full_svc).map_err(kerr)?;
        let svc = self.find_service(&key);
        let svc = match (req.cmd, svc) {
            (cmd::NEW_SERVICE, Some(_)) => return Err(EEXIST),
            (cmd::NEW_SERVICE, None) => {
                let conf = conf.ok_or(EINVAL)?;
                return self.add_service(&mut ctl, key, &conf);
            }
            (_, None) => return Err(ESRCH),
            (_, Some(s)) => s,
        };
        let dest = if matches!(req.cmd, cmd::NEW_DEST | cmd::SET_DEST | cmd::DEL_DEST) {
            let d = msg::parse_dest(a[usize::from(cmd_attr::DEST)], req.cmd != cmd::DEL_DEST)
                .map_err(kerr)?;
            let af = if d.af == 0 { svc.key.af } else { d.af };
            if !msg::af_valid(af) {
                return Err(EAFNOSUPPORT);
            }
            if af != svc.key.af
                && req.cmd != cmd::DEL_DEST
                && d.conf.map(|c| c.fwd) != Some(CONN_F_TUNNEL)
            {
                return Err(EINVAL);
            }
            Some((af, d))
        } else {
            None
        };
        let _ = net;
        match (req.cmd, dest) {
            (cmd::SET_SERVICE, _) => self.edit_service(&svc, &conf.ok_or(EINVAL)?),
            (cmd::DEL_SERVICE, _) => {
                self.del_service(&mut ctl, &svc);
                Ok(())
            }
            (cmd::NEW_DEST, Some((af, d))) => self.add_dest(&svc, af, &d, &d.conf.ok_or(EINVAL)?),
            (cmd::SET_DEST, Some((af, d))) => self.edit_dest(&svc, af, &d, &d.conf.ok_or(EINVAL)?),
            (cmd::DEL_DEST, Some((af, d))) => self.del_dest(&svc, af, &d),
            (cmd::ZERO, _) => {
                Self::zero_service(&svc);
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }

    /// The doit requests that have a reply (only they need a message buffer: `ipvsadm -R`
    /// sends thousands of commands that don't).
    fn get_cmd(&self, req: Request<'_>, reply: Reply<'_>) -> Result {
        let mut buf = msg_buf()?;
        let mut w = Writer::new(&mut buf);
        match req.cmd {
            cmd::GET_INFO => {
                msg::put_info(&mut w, uapi::VERSION_CODE, self.conns.size()).map_err(kerr)?;
                reply.send(cmd::SET_INFO, w.bytes())
            }
            cmd::GET_CONFIG => {
                let t = &self.timeouts;
                msg::put_timeouts(
                    &mut w,
                    t.tcp.load(Relaxed),
                    t.tcp_fin.load(Relaxed),
                    t.udp.load(Relaxed),
                )
                .map_err(kerr)?;
                reply.send(cmd::SET_CONFIG, w.bytes())
            }
            cmd::GET_SERVICE => {
                let a = msg::parse_cmd(req.attrs).map_err(kerr)?;
                let s =
                    msg::parse_service(a[usize::from(cmd_attr::SERVICE)], false).map_err(kerr)?;
                let svc = self.find_service(&s.key).ok_or(ESRCH)?;
                svc.view(|v| msg::put_service(&mut w, v)).map_err(kerr)?;
                reply.send(cmd::NEW_SERVICE, w.bytes())
            }
            _ => Err(EINVAL),
        }
    }

    /// NEW/DEL_DAEMON: validated exactly like C IPVS; then, with no sync daemon implemented,
    /// a start is refused (`EPROTONOSUPPORT`: ipvsadm prints "Protocol not supported") and a
    /// stop finds none running (`ESRCH`).
    fn daemon_cmd(&self, req: Request<'_>) -> Result {
        let a = msg::parse_cmd(req.attrs).map_err(kerr)?;
        let new = req.cmd == cmd::NEW_DAEMON;
        let d = msg::parse_daemon(a[usize::from(cmd_attr::DAEMON)], new).map_err(kerr)?;
        if !new {
            return Err(ESRCH);
        }
        // The sync protocol cannot carry real servers of another family than their service.
        let mixed = self
            .svcs
            .lock()
            .iter()
            .any(|s| s.inner.lock().dests.iter().any(|d| d.af != s.key.af));
        if mixed {
            return Err(EINVAL);
        }
        if !self.net.has_device(&d.ifname) {
            return Err(ENODEV);
        }
        kernel::pr_info_once!("the IPVS connection synchronisation daemon is not implemented\n");
        Err(EPROTONOSUPPORT)
    }

    /// Writes `/proc/net/ip_vs`.
    pub(crate) fn show_services(&self, w: &mut impl core::fmt::Write) -> core::fmt::Result {
        let size = self.conns.size();
        procfmt::write_header(w, uapi::VERSION_CODE, size)?;
        let hz = crate::kernel_ext::time::hz();
        for svc in self.svcs.lock().iter() {
            let g = svc.inner.lock();
            let sched = g.sched.as_ref().map_or("none", |s| s.name());
            procfmt::write_service(
                w,
                &svc.key,
                sched,
                svc.flags(),
                u64::from(svc.timeout()) * hz,
                svc.netmask(),
            )?;
            for d in g.dests.iter() {
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

    /// Tears down the control plane of a namespace that is going away.
    pub(crate) fn ctl_exit(&self) {
        let mut ctl = self.ctl.lock();
        self.flush(&mut ctl);
    }
}

impl genl::Handler for Ipvs {
    /// Handles a genl doit request.
    fn doit(&self, net: Net, req: Request<'_>, reply: Reply<'_>) -> Result {
        match req.cmd {
            cmd::GET_INFO | cmd::GET_CONFIG | cmd::GET_SERVICE => self.get_cmd(req, reply),
            cmd::NEW_DAEMON | cmd::DEL_DAEMON => self.daemon_cmd(req),
            _ => self.set_cmd(net, req),
        }
    }

    /// Handles one round of a genl dump.
    fn dumpit(&self, _net: Net, req: Request<'_>, dump: &mut Dump<'_>) -> Result {
        let mut buf = msg_buf()?;
        match req.cmd {
            cmd::GET_SERVICE => {
                let mut idx = dump.cursor(0).max(0) as usize;
                let mut batch = KVec::with_capacity(DUMP_BATCH, GFP_KERNEL)?;
                'full: loop {
                    // Take a batch under the lock, render it outside (cost O(batch), not O(n)).
                    {
                        let g = self.svcs.lock();
                        for s in (idx..).map_while(|i| g.get(i)).take(DUMP_BATCH) {
                            batch.push(s.clone(), GFP_ATOMIC)?;
                        }
                    }
                    if batch.is_empty() {
                        break;
                    }
                    for svc in batch.drain_all() {
                        let mut w = Writer::new(&mut buf);
                        svc.view(|v| msg::put_service(&mut w, v)).map_err(kerr)?;
                        if dump.put(cmd::NEW_SERVICE, w.bytes()).is_err() {
                            break 'full;
                        }
                        idx += 1;
                    }
                }
                dump.set_cursor(0, idx as i64);
                Ok(())
            }
            cmd::GET_DEST => {
                let a = msg::parse_cmd(req.attrs).map_err(kerr)?;
                let Ok(s) = msg::parse_service(a[usize::from(cmd_attr::SERVICE)], false) else {
                    return Ok(());
                };
                let Some(svc) = self.find_service(&s.key) else {
                    return Ok(());
                };
                let dests = {
                    let g = svc.inner.lock();
                    let mut v = KVec::with_capacity(g.dests.len(), GFP_ATOMIC)?;
                    for d in g.dests.iter() {
                        v.push(d.clone(), GFP_ATOMIC)?;
                    }
                    v
                };
                let start = dump.cursor(0).max(0) as usize;
                let mut idx = start;
                for d in dests.iter().skip(start) {
                    let mut w = Writer::new(&mut buf);
                    msg::put_dest(&mut w, &d.view()).map_err(kerr)?;
                    if dump.put(cmd::NEW_DEST, w.bytes()).is_err() {
                        break;
                    }
                    idx += 1;
                }
                dump.set_cursor(0, idx as i64);
                Ok(())
            }
            cmd::GET_DAEMON => Ok(()),
            _ => Err(EOPNOTSUPP),
        }
    }
}

/// A zeroed buffer for one message's attributes (zeroed by the allocator, not element-wise).
fn msg_buf() -> Result<KVec<u8>> {
    Ok(KVec::zeroed(MSG_BUF, GFP_KERNEL)?)
}

/// Checks a destination's weight, thresholds and tunnel settings.
fn check_dest_conf(c: &DestConf) -> Result {
    if (c.weight as i32) < 0 {
        return Err(ERANGE);
    }
    if c.l_thresh > c.u_thresh {
        return Err(ERANGE);
    }
    if c.u_thresh > i32::MAX as u32 {
        return Err(EINVAL);
    }
    if c.fwd == CONN_F_TUNNEL && c.tun_type == TUNNEL_TYPE_GUE && c.tun_port == 0 {
        return Err(EINVAL);
    }
    Ok(())
}
