// SPDX-License-Identifier: GPL-2.0

//! Real servers (destinations) of a service: their settings and connection counts, what the
//! schedulers see of them, and adding, editing and deleting them.

use super::{msg, service::Change, uapi, Counters, CtlState, Service};
use crate::ipvs_netns::Ipvs;
use crate::ipvs_proto::{
    inet::{Addr, Family},
    TunnelKind,
};
use crate::ipvs_sched::{lower_threshold, overload_after, Crossing, DestState};
use crate::ipvs_xmit::Tunnel;
use crate::rust::{pernet::Sysctl, route::RouteCache};
use kernel::{
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
};
use msg::{DestConf, DestReq, DestView, SvcKey};
use uapi::{AF_INET6, CONN_F_MASQ, CONN_F_NFCT, CONN_F_ONE_PACKET, CONN_F_TUNNEL, TUNNEL_TYPE_GUE};

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
    pub(super) id: u64,
    pub(super) fwd: Atomic<u32>,
    /// C's other destination bits (see [`DestConf::flags`]).
    flags: Atomic<u32>,
    pub(super) weight: Atomic<i32>,
    /// The latest non-zero weight (mh keeps quiesced destinations' slots).
    last_weight: Atomic<i32>,
    pub(super) u_thresh: Atomic<u32>,
    pub(super) l_thresh: Atomic<u32>,
    /// The lower threshold in use (`l_thresh`, or 3/4 of `u_thresh`).
    l_thresh_val: Atomic<u32>,
    /// Over the upper threshold, not yet back under the lower one.
    overloaded: Atomic<bool>,
    tun: Atomic<u32>,
    pub(super) tun_port: Atomic<u32>,
    pub(super) active: Atomic<i32>,
    pub(super) total: Atomic<i32>,
    /// Persistence templates bound to it (`PersistConn`); they count for nothing else.
    pub(super) persist: Atomic<i32>,
    pub(super) available: Atomic<bool>,
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
    pub(super) fn new(svc: &Service, af: u16, req: &DestReq, conf: &DestConf) -> Result<Self> {
        let d = Self {
            af,
            addr: req.addr,
            port: req.port,
            id: NEXT_DEST_ID.fetch_add(1, Relaxed),
            fwd: Atomic::new(0),
            flags: Atomic::new(0),
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
        self.flags.store(c.flags, Relaxed);
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

    pub(super) fn conf(&self) -> DestConf {
        let tun = self.tun.load(Relaxed);
        DestConf {
            fwd: self.fwd.load(Relaxed),
            flags: self.flags.load(Relaxed),
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

    /// Whether its connections are made for one packet only (a socket option's
    /// `IP_VS_CONN_F_ONE_PACKET`).
    pub(crate) fn one_packet(&self) -> bool {
        self.flags.load(Relaxed) & CONN_F_ONE_PACKET != 0
    }

    /// Whether its connections keep their conntrack entries (a socket option's
    /// `IP_VS_CONN_F_NFCT`).
    pub(crate) fn nfct(&self) -> bool {
        self.flags.load(Relaxed) & CONN_F_NFCT != 0
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
            kind: TunnelKind::from_type(tun as u8),
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
    pub(super) fn is(&self, af: u16, req: &DestReq) -> bool {
        self.af == af && self.addr == req.addr && self.port == req.port
    }

    /// Whether no connection or template is bound to it any more.
    pub(super) fn unused(&self) -> bool {
        self.total.load(Relaxed) <= 0 && self.persist.load(Relaxed) <= 0
    }

    pub(super) fn inactive(&self) -> u32 {
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

    pub(super) fn view(&self) -> DestView {
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

impl Ipvs {
    /// With `expire_nodest_conn`, destinations just removed take their connections and
    /// templates with them (C queues this as a work right after the removal; here it runs
    /// before the command returns).
    pub(super) fn expire_nodest(&self) {
        if self.sysctls.get(Sysctl::ExpireNodestConn) != 0 {
            self.conns.expire_nodest(crate::rust::time::jiffies());
        }
    }

    /// Destination `d` leaves its service (deleted, or its service is): out of the
    /// real-server index if NAT, into the trash.
    pub(super) fn unlink_dest(&self, d: Arc<Dest>) {
        if d.fwd() == CONN_F_MASQ {
            self.real_unlink(&d);
        }
        self.trash_put(d);
    }

    pub(super) fn add_dest(
        &self,
        ctl: &mut CtlState,
        svc: &Service,
        af: u16,
        req: &DestReq,
        conf: &DestConf,
    ) -> Result {
        check_dest_conf(conf)?;
        // The next list, with room for the new destination at its head.
        let mut dests = svc.dests_copy(1)?;
        if dests.iter().any(|d| d.is(af, req)) {
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
        // Within the capacity of the copy.
        if dests.insert_within_capacity(0, d.clone()).is_err() {
            self.unlink_dest(d);
            return Err(ENOMEM);
        }
        if let Err(e) = svc.set_dests(dests, Change::Added(0)) {
            self.unlink_dest(d);
            return Err(e);
        }
        self.ftp_conntrack_on(ctl, svc, conf.fwd);
        Ok(())
    }

    pub(super) fn edit_dest(
        &self,
        ctl: &mut CtlState,
        svc: &Service,
        af: u16,
        req: &DestReq,
        conf: &DestConf,
    ) -> Result {
        check_dest_conf(conf)?;
        let dests = svc.dests_copy(0)?;
        let idx = dests.iter().position(|d| d.is(af, req)).ok_or(ENOENT)?;
        let d = dests[idx].clone();
        let was_nat = d.fwd() == CONN_F_MASQ;
        let now_nat = conf.fwd == CONN_F_MASQ;
        // Becoming NAT: indexed first, while failing changes nothing.
        if now_nat && !was_nat {
            self.real_link(&d)?;
        }
        // Still there: changes are serialised by the control mutex. The schedulers see the new
        // settings; without memory for that, the old ones come back.
        let before = d.conf();
        d.set_conf(conf, false);
        if let Err(e) = svc.set_dests(dests, Change::Edited(idx)) {
            d.set_conf(&before, false);
            if now_nat && !was_nat {
                self.real_unlink(&d);
            }
            return Err(e);
        }
        if was_nat && !now_nat {
            self.real_unlink(&d);
        }
        self.ftp_conntrack_on(ctl, svc, conf.fwd);
        Ok(())
    }

    pub(super) fn del_dest(&self, svc: &Service, af: u16, req: &DestReq) -> Result {
        let mut dests = svc.dests_copy(0)?;
        let i = dests.iter().position(|d| d.is(af, req)).ok_or(ENOENT)?;
        let d = dests.remove(i).map_err(|_| EINVAL)?;
        svc.set_dests(dests, Change::Removed(i))?;
        self.unlink_dest(d);
        self.expire_nodest();
        Ok(())
    }
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
