// SPDX-License-Identifier: GPL-2.0

//! Scheduling of a new connection (C: `ip_vs_schedule`, `ip_vs_sched_persist`,
//! `ip_vs_new_conn_out`, `ip_vs_leave`): the service of a packet, its scheduler's pick or the
//! client's persistence template, and the connection made for it.

use super::{ConnRef, NoConn};
use crate::ipvs_conn::{persist, Conn, ConnFlags, FlowKey, Fwd, PeData};
use crate::ipvs_ctl::{uapi, Counters, Dest, Service};
use crate::ipvs_netns::Ipvs;
use crate::ipvs_proto::{self, inet::Addr, Proto};
use crate::ipvs_sched::Packet;
use crate::rust::{
    self,
    netfilter::Hook,
    pernet::Sysctl,
    skb::{SkBuff, Verdict},
    time,
};
use kernel::{
    alloc::KVec,
    prelude::*,
    sync::{atomic::Relaxed, rcu, Arc, ArcBorrow},
};

impl Ipvs {
    /// What the schedulers see of a packet opening a connection.
    fn sched_packet(&self, key: &FlowKey) -> Packet {
        // A negative expiration (the sysctl is a plain int) counts as none.
        let expiration = |s| u64::try_from(self.sysctls.get(s)).unwrap_or(0);
        let mut pkt = Packet {
            sport: key.sport,
            random: Some(rust::random::random_u32),
            now: time::jiffies(),
            hz: time::hz(),
            lblc_expiration: expiration(Sysctl::LblcExpiration),
            lblcr_expiration: expiration(Sysctl::LblcrExpiration),
            ..Packet::default()
        };
        pkt.saddr = *key.saddr.raw();
        pkt.daddr = *key.daddr.raw();
        pkt
    }

    /// Schedules a new connection for `key` (a packet marked `mark`; the packet itself unless
    /// an ICMP error stands for it): `Err` when no service takes it (`Accept`), or its service
    /// has no destination for it. With the `cache_bypass` sysctl, a firewall-mark service
    /// without a destination for a packet to another host makes a bypass connection instead
    /// (not for ICMP errors: `bypass` false).
    pub(super) fn schedule<'a>(
        &'a self,
        g: &'a rcu::Guard,
        key: &FlowKey,
        mark: u32,
        pkt: Option<PacketAt<'_, '_>>,
        bypass: bool,
    ) -> core::result::Result<ConnRef<'a>, NoConn> {
        let svc = self
            .lookup_service(
                g,
                key.family.af(),
                mark,
                u16::from(key.proto.ip()),
                key.daddr.bytes(key.family),
                key.dport,
            )
            .ok_or(Verdict::Accept)?;
        // The `drop_packet` defence refuses one new connection in every few.
        if self.defense_todrop() {
            return Err(Verdict::Drop.into());
        }
        // Like C, an active FTP data connection (from port 20) is never scheduled.
        if key.sport == persist::FTPDATA {
            return Err(Verdict::Accept.into());
        }
        let flags = svc.flags();
        // One-packet scheduling is for UDP only.
        let one_packet = flags & uapi::SVC_F_ONEPACKET != 0 && key.proto == Proto::Udp;
        let now = time::jiffies();
        let picked = if flags & uapi::SVC_F_PERSISTENT != 0 {
            self.schedule_persistent(g, svc, key, pkt, one_packet, now)?
        } else if svc.key.fwmark == 0 && key.dport != svc.key.port {
            // C: a port-0 (or FTP) address service schedules only when persistent.
            None
        } else {
            match svc.schedule(g, self.sched_packet(key)) {
                Some(d) => {
                    let dport = if d.port != 0 { d.port } else { key.dport };
                    Some(self.new_conn(g, svc, key, Some((d, dport)), None, one_packet, now)?)
                }
                None => None,
            }
        };
        match picked {
            Some(c) => Ok(c),
            None => self.leave(g, svc, key, bypass, one_packet, now),
        }
    }

    /// A persistent service's connection for `key`: through the client's template when it
    /// has a usable one, else scheduled and recorded in a new template (C:
    /// `ip_vs_sched_persist`). `None`: no destination.
    fn schedule_persistent<'a>(
        &'a self,
        g: &'a rcu::Guard,
        svc: ArcBorrow<'a, Service>,
        key: &FlowKey,
        pkt: Option<PacketAt<'_, '_>>,
        one_packet: bool,
        now: u64,
    ) -> core::result::Result<Option<ConnRef<'a>>, NoConn> {
        let tkey = persist::template_key(
            &svc.key,
            svc.netmask(),
            key.proto,
            key.saddr.raw(),
            key.daddr.raw(),
            key.dport,
        );
        // With the SIP engine, templates are per Call-ID too; a packet without one is dropped,
        // as C drops it.
        let mut pe = if svc.pe_sip() {
            Some(sip_pe_data(key, pkt)?)
        } else {
            None
        };
        let tpl = match self
            .conns
            .lookup_template(g, &tkey, pe.as_deref().map(PeData::as_bytes))
        {
            Some(t) if self.template_usable(&t) => t,
            found => {
                // Its real server is gone (or quiesced, with expire_quiescent_template): the
                // template is not used again, and the client is scheduled afresh.
                if let Some(t) = found {
                    t.invalidate();
                }
                let Some(dest) = svc.schedule(g, self.sched_packet(key)) else {
                    return Ok(None);
                };
                let dport = persist::template_dport(svc.key.port, key.dport, dest.port);
                let t = Conn::new_template(
                    &self.conns,
                    &tkey,
                    pe.take(),
                    dest,
                    dport,
                    svc.into(),
                    svc.timeout(),
                    now,
                )
                .map_err(|_| Verdict::Drop)?;
                self.hash_conn(g, t).map_err(|_| Verdict::Drop)?
            }
        };
        // Each connection it makes keeps the template for its timeout from now, as C's.
        self.conns.set_expiry(
            &tpl,
            now.wrapping_add(u64::from(tpl.template_timeout()) * time::hz()),
        );
        let Some(dest) = tpl.dest.clone() else {
            return Ok(None);
        };
        let dport = persist::persistent_dport(svc.key.port, key.dport, dest.port);
        Ok(Some(self.new_conn(
            g,
            svc,
            key,
            Some((dest, dport)),
            Some(tpl.into()),
            one_packet,
            now,
        )?))
    }

    /// The connection for a NAT real server's own request to a client (C:
    /// `__ip_vs_rs_conn_out` and `ip_vs_new_conn_out`, UDP only, for the SIP engine): made as
    /// if the client had sent to the virtual service, with its template, so the client's
    /// answers reach this real server. `None`: the packet is no such request.
    pub(super) fn rs_conn_out<'a>(
        &'a self,
        g: &'a rcu::Guard,
        hook: Hook,
        key: &FlowKey,
        pkt: PacketAt<'_, '_>,
    ) -> Option<ConnRef<'a>> {
        if self.conn_out_svcs.load(Relaxed) == 0 || key.proto != Proto::Udp || hook == Hook::LocalIn
        {
            return None;
        }
        let dest = self.find_real_service(
            g,
            key.family.af(),
            uapi::IPPROTO_UDP,
            key.saddr.raw(),
            key.sport,
        )?;
        let svc = self.find_service_rcu(g, &dest.svc_key)?;
        // A firewall-mark or port-0 service has no virtual port to answer from.
        if !svc.pe_sip() || svc.key.fwmark != 0 || svc.key.port == 0 || key.sport == 0 {
            return None;
        }
        let now = time::jiffies();
        let vaddr = Addr::new(key.family, &svc.key.addr);
        let control = if svc.flags() & uapi::SVC_F_PERSISTENT != 0 {
            let tkey = persist::template_key(
                &svc.key,
                svc.netmask(),
                Proto::Udp,
                key.daddr.raw(),
                vaddr.raw(),
                svc.key.port,
            );
            let pe = sip_pe_data(key, Some(pkt)).ok()?;
            let tpl = match self.conns.lookup_template(g, &tkey, Some(pe.as_bytes())) {
                Some(t)
                    if self.template_usable(&t)
                        && t.dest.as_ref().is_some_and(|d| Arc::ptr_eq(d, &dest)) =>
                {
                    t
                }
                found => {
                    // Another real server's, or unusable: not used again.
                    if let Some(t) = found {
                        t.invalidate();
                    }
                    let t = Conn::new_template(
                        &self.conns,
                        &tkey,
                        Some(pe),
                        dest.clone(),
                        key.sport,
                        svc.into(),
                        svc.timeout(),
                        now,
                    )
                    .ok()?;
                    self.hash_conn(g, t).ok()?
                }
            };
            self.conns.set_expiry(
                &tpl,
                now.wrapping_add(u64::from(tpl.template_timeout()) * time::hz()),
            );
            Some(tpl.into())
        } else {
            None
        };
        let one_packet = svc.flags() & uapi::SVC_F_ONEPACKET != 0;
        let ckey = FlowKey {
            saddr: key.daddr,
            sport: key.dport,
            daddr: vaddr,
            dport: svc.key.port,
            ..*key
        };
        self.new_conn(
            g,
            svc,
            &ckey,
            Some((dest, key.sport)),
            control,
            one_packet,
            now,
        )
        .ok()
    }

    /// Whether a template's real server may take its client's new connection (C:
    /// `ip_vs_check_template`).
    fn template_usable(&self, t: &Conn) -> bool {
        t.dest.as_ref().is_some_and(|d| {
            d.is_available()
                && !(d.is_quiesced() && self.sysctls.get(Sysctl::ExpireQuiescentTemplate) != 0)
        })
    }

    /// The most connections and templates the namespace may have (`conn_max`).
    pub(crate) fn conn_max(&self) -> usize {
        usize::try_from(self.sysctls.get(Sysctl::ConnMax)).unwrap_or(0)
    }

    /// Hashes `c` ([`ConnTable::insert_or_get`](crate::ipvs_conn::ConnTable::insert_or_get))
    /// within `conn_max`; a table it leaves with more connections than buckets are for is
    /// resized at once, from a work, as C's is.
    pub(crate) fn hash_conn<'a>(
        &'a self,
        g: &'a rcu::Guard,
        c: Arc<Conn>,
    ) -> Result<ArcBorrow<'a, Conn>> {
        let r = self.conns.insert_or_get(g, c, self.conn_max());
        if self.conns.outgrown() {
            self.net.resize_soon();
        }
        r
    }

    /// Makes the connection of `key` to `dest` (the destination and its port; none: cache
    /// bypass), controlled by the template `control`: hashed, or only for this packet. A
    /// connection to a destination counts on it, on `svc` and on the namespace.
    #[allow(clippy::too_many_arguments)]
    fn new_conn<'a>(
        &'a self,
        g: &'a rcu::Guard,
        svc: ArcBorrow<'a, Service>,
        key: &FlowKey,
        dest: Option<(Arc<Dest>, u16)>,
        control: Option<Arc<Conn>>,
        one_packet: bool,
        now: u64,
    ) -> core::result::Result<ConnRef<'a>, NoConn> {
        // At `conn_max`, no connection is made (not even one for a single packet): the packet
        // is dropped, as C's.
        if self.conns.count() >= self.conn_max() {
            return Err(Verdict::Drop.into());
        }
        // A destination's own bits (set by socket option) apply to its connections too.
        let d = dest.as_ref().map(|(d, _)| d);
        // An FTP control connection keeps its conntrack entries (C: `ip_vs_ftp_init_conn`).
        let ftp =
            d.is_some_and(|d| self.ftp_control(key.proto, key.dport, Fwd::from_flags(d.fwd())));
        let flags = ConnFlags {
            one_packet: one_packet || d.is_some_and(|d| d.one_packet()),
            nfct: self.sysctls.get(Sysctl::Conntrack) != 0 || d.is_some_and(|d| d.nfct()) || ftp,
            synced: false,
            app: ftp,
        };
        let c = Conn::new(&self.conns, *key, dest, svc.into(), control, flags, now)
            .map_err(|_| Verdict::Drop)?;
        let c = if flags.one_packet {
            ConnRef::OnePacket(c)
        } else {
            ConnRef::Hashed(self.hash_conn(g, c).map_err(|_| Verdict::Drop)?)
        };
        // A bypass connection counts nowhere.
        if let Some(d) = &c.dest {
            Counters::conn([&d.stats, &svc.stats, &self.stats]);
        }
        Ok(c)
    }

    /// No destination for a new connection of `svc` (C: `ip_vs_leave`): with `cache_bypass`,
    /// a firewall-mark service's packet for another host goes on to it through a bypass
    /// connection; an FTP service leaves packets for other ports alone; anything else gets
    /// "port unreachable".
    fn leave<'a>(
        &'a self,
        g: &'a rcu::Guard,
        svc: ArcBorrow<'a, Service>,
        key: &FlowKey,
        bypass: bool,
        one_packet: bool,
        now: u64,
    ) -> core::result::Result<ConnRef<'a>, NoConn> {
        if bypass
            && svc.key.fwmark != 0
            && self.sysctls.get(Sysctl::CacheBypass) != 0
            && self.net.unicast(key.family, key.daddr)
        {
            return self.new_conn(g, svc, key, None, None, one_packet, now);
        }
        if svc.key.port == persist::FTPPORT && key.dport != persist::FTPPORT {
            return Err(Verdict::Accept.into());
        }
        Err(NoConn::NoDest)
    }
}

/// What the scheduling of a new connection may read of its packet: the packet, and the offset
/// of its transport header.
#[derive(Clone, Copy)]
pub(super) struct PacketAt<'s, 'b> {
    pub(super) skb: &'s SkBuff<'b>,
    pub(super) l4off: usize,
}

/// The SIP Call-ID of a UDP packet, for the `sip` persistence engine (C: `ip_vs_sip_fill_param`):
/// `Err` (drop) when the packet is not UDP or has none.
fn sip_pe_data(
    key: &FlowKey,
    pkt: Option<PacketAt<'_, '_>>,
) -> core::result::Result<KBox<PeData>, NoConn> {
    let pkt = pkt
        .filter(|_| key.proto == Proto::Udp)
        .ok_or(Verdict::Drop)?;
    let off = pkt.l4off + 8;
    let len = (pkt.skb.len() as usize)
        .checked_sub(off)
        .filter(|&n| n > 0)
        .ok_or(Verdict::Drop)?;
    let mut buf = KVec::zeroed(len, GFP_ATOMIC).map_err(|_| Verdict::Drop)?;
    let msg = pkt.skb.header(off, &mut buf).ok_or(Verdict::Drop)?;
    let (at, n) = ipvs_proto::sip::call_id(msg).ok_or(Verdict::Drop)?;
    Ok(PeData::new(&msg[at..at + n]).map_err(|_| Verdict::Drop)?)
}
