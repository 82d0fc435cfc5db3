// SPDX-License-Identifier: GPL-2.0

//! ipvs_rs: the IP Virtual Server (Linux's in-kernel layer-4 load balancer) as a Rust module.
//!
//! It speaks the generic-netlink family `IPVS`, so the stock `ipvsadm` drives it. This file is
//! the crate root: the module, the per-namespace state and the packet hooks' entry points.

use kernel::prelude::*;

#[path = "rust/mod.rs"]
mod kernel_ext;

mod ipvs_conn;
mod ipvs_ctl;
mod ipvs_proto;
mod ipvs_sched;
mod ipvs_xmit;

// The kernel's numbers that the pure modules spell out (they import nothing from `kernel::`),
// checked against the kernel's own when the module is built.
const _: () = {
    use kernel::bindings as k;
    assert!(ipvs_proto::inet::AF_INET as u32 == k::AF_INET);
    assert!(ipvs_proto::inet::AF_INET6 as u32 == k::AF_INET6);
    assert!(ipvs_ctl::uapi::IPPROTO_TCP as u32 == k::IPPROTO_TCP);
    assert!(ipvs_ctl::uapi::IPPROTO_UDP as u32 == k::IPPROTO_UDP);
    assert!(ipvs_ctl::uapi::IPPROTO_SCTP as u32 == k::IPPROTO_SCTP);
    assert!(ipvs_xmit::encap::IPPROTO_IPIP as u32 == k::IPPROTO_IPIP);
    assert!(ipvs_xmit::encap::IPPROTO_UDP as u32 == k::IPPROTO_UDP);
    assert!(ipvs_xmit::encap::IPPROTO_GRE as u32 == k::IPPROTO_GRE);
};

use ipvs_conn::{persist, Conn, ConnTable, FlowKey, Fwd, PeData};
use ipvs_ctl::{
    table::SvcTable, uapi, Counters, CtlState, RealServer, Service, Timeouts, TrashEntry,
};
use ipvs_proto::{
    icmp,
    inet::{Addr, Family, IpHdr},
    tcp, Ipv4, Proto,
};
use ipvs_sched::Packet;
use kernel::{
    alloc::KVec,
    new_mutex,
    sync::{
        atomic::{Atomic, Relaxed},
        rcu, Arc, ArcBorrow, Mutex,
    },
};
use kernel_ext::{
    genl,
    netfilter::{self, Hook},
    pernet::{self, Net, PernetState, Sysctl, Sysctls},
    proc::{self, ProcFile, SeqWriter},
    rcuindex::RcuIndex,
    skb::{DefragUser, SkBuff, Verdict, PACKET_HOST},
    sync::{new_spinlock_bh, SpinLockBh},
    time,
};

module! {
    type: IpvsModule,
    name: "ipvs_rs",
    authors: ["ipvs-rs developers"],
    description: "IP Virtual Server (IPVS) load balancer, in Rust",
    license: "GPL",
    params: {
        conn_tab_bits: i32 {
            default: 12,
            description: "Largest size of the connection hash table, as a power of two (8-20)",
        },
    },
}

/// log2 of the largest connection table (the `conn_tab_bits` parameter, clamped like C's).
fn conn_tab_max_bits() -> u32 {
    module_parameters::conn_tab_bits.value().clamp(8, 20) as u32
}

/// The loaded module: its registrations, dropped in field order on unload: no new commands,
/// then every namespace's state (hooks first, then tables), then what RCU still runs.
struct IpvsModule {
    _genl: genl::Registration,
    _pernet: pernet::Registration,
    _unload: Unload,
}

impl kernel::Module for IpvsModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // The family first: it is what collides with the C ip_vs (and its /proc/net files would
        // next), so a conflict is found before anything else is set up. Until the pernet state
        // exists, commands get ENOENT. A failure drops what was registered before it.
        let genl = genl::Registration::new().inspect_err(|e| {
            pr_err!("cannot register the genl family IPVS ({e:?}): is the C ip_vs module loaded? rmmod ip_vs first\n");
        })?;
        let pernet = pernet::Registration::new()?;
        pr_info!("ipvs_rs loaded (IPVS 1.2.1 protocol)\n");
        Ok(IpvsModule {
            _genl: genl,
            _pernet: pernet,
            _unload: Unload,
        })
    }
}

/// The last part of the module to drop.
struct Unload;

impl Drop for Unload {
    fn drop(&mut self) {
        // Connections released by RCU callbacks run this module's code: wait for them.
        kernel::sync::rcu::rcu_barrier();
        pr_info!("ipvs_rs unloaded\n");
    }
}

// The C shim's entry points, served by the per-namespace state.
kernel_ext::entry_points!(Ipvs);

/// The IPVS state of one network namespace.
#[pin_data]
pub(crate) struct Ipvs {
    /// The namespace.
    pub(crate) net: Net,
    /// Its `net/ipv4/vs/` sysctls.
    pub(crate) sysctls: Sysctls,
    /// Serialises configuration changes.
    #[pin]
    pub(crate) ctl: Mutex<CtlState>,
    /// Virtual services in creation order (control plane and the tick).
    #[pin]
    pub(crate) svcs: SpinLockBh<SvcTable<Arc<Service>>>,
    /// The same services, hashed by identity, read under RCU (the packet path).
    #[pin]
    pub(crate) svc_index: RcuIndex<Service>,
    /// The NAT destinations of all services, by address and port, read under RCU (the packet
    /// path, for `nat_icmp_send` and real servers' own SIP requests).
    #[pin]
    pub(crate) real_index: RcuIndex<RealServer>,
    /// Connections.
    #[pin]
    pub(crate) conns: ConnTable,
    /// The connection table's load factor (see [`ipvs_conn::sizing`]).
    conn_lfactor: i32,
    /// Destinations removed from their services (see `Ipvs::trash_put`).
    #[pin]
    pub(crate) trash: SpinLockBh<KVec<TrashEntry>>,
    /// Source of service object identities.
    pub(crate) next_svc_id: Atomic<u64>,
    /// Services on the FTP port (a TCP packet to a data port may be theirs).
    pub(crate) ftp_svcs: Atomic<u32>,
    /// Address services on port 0 (they catch every port of their address).
    pub(crate) null_svcs: Atomic<u32>,
    /// Services whose persistence engine (SIP) makes connections for their real servers' own
    /// requests to clients.
    pub(crate) conn_out_svcs: Atomic<u32>,
    /// Protocol timeouts.
    pub(crate) timeouts: Timeouts,
    /// Totals over all services.
    pub(crate) stats: Counters,
    /// Seconds ticked (the rate estimator runs every other one).
    ticks: Atomic<u32>,
}

impl netfilter::Handler for Ipvs {
    fn hook_in(&self, net: Net, family: Family, hook: Hook, skb: SkBuff<'_>) -> Verdict {
        hook_in(self, net, family, hook, skb)
    }

    fn hook_out(&self, net: Net, family: Family, hook: Hook, skb: SkBuff<'_>) -> Verdict {
        hook_out(self, net, family, hook, skb)
    }
}

impl proc::Handler for Ipvs {
    fn show(&self, file: ProcFile, w: &mut SeqWriter<'_>) {
        self.proc_show(file, w)
    }
}

impl PernetState for Ipvs {
    fn new(net: Net) -> Result<Arc<Self>> {
        let svc_index = RcuIndex::new(ipvs_ctl::table::BITS)?;
        let real_index = RcuIndex::new(ipvs_ctl::table::BITS)?;
        let conns = ConnTable::new()?;
        let stats = Counters::new()?;
        let conn_lfactor = ipvs_conn::sizing::default_lfactor(net.is_init());
        let sysctls = net.sysctls().ok_or(EINVAL)?;
        Arc::pin_init(
            try_pin_init!(Ipvs {
                net,
                sysctls,
                ctl <- new_mutex!(CtlState::default(), "ipvs_rs::Ipvs::ctl"),
                svcs <- new_spinlock_bh!(SvcTable::new(), c"ipvs_rs::Ipvs::svcs"),
                svc_index <- svc_index,
                real_index <- real_index,
                conns <- conns,
                conn_lfactor,
                trash <- new_spinlock_bh!(KVec::new(), c"ipvs_rs::Ipvs::trash"),
                next_svc_id: Atomic::new(1),
                ftp_svcs: Atomic::new(0),
                null_svcs: Atomic::new(0),
                conn_out_svcs: Atomic::new(0),
                ticks: Atomic::new(0),
                timeouts: Timeouts::default(),
                stats,
            }),
            GFP_KERNEL,
        )
    }

    fn exit(&self, _net: Net) {
        self.ctl_exit();
        self.conns.flush();
    }

    fn tick(&self) {
        let now = time::jiffies();
        self.conns.resize(self.conn_lfactor, conn_tab_max_bits());
        self.trash_expire(now);
        if u64::from(self.ticks.fetch_add(1, Relaxed)) % ipvs_ctl::est::PERIOD_S == 0 {
            self.estimate_rates();
        }
    }
}

impl Ipvs {
    /// The timeout (seconds) of a connection of `proto` in TCP state `st`.
    fn timeout(&self, proto: Proto, st: tcp::State) -> u32 {
        match (proto, st) {
            (Proto::Udp, _) => self.timeouts.udp.load(Relaxed),
            (Proto::Tcp, tcp::State::Established) => self.timeouts.tcp.load(Relaxed),
            (Proto::Tcp, tcp::State::FinWait) => self.timeouts.tcp_fin.load(Relaxed),
            (Proto::Tcp, s) => tcp::Timeouts::default().get(s),
            // No connection has it (only firewall-mark templates).
            (Proto::Ip, _) => 0,
        }
    }

    /// Advances a connection's state for a packet from the client (`reply` false) or to it,
    /// and pushes its expiry back. UDP has no state: no lock (like C).
    fn update_state(&self, c: &Conn, reply: bool, tcp_flags: u8) {
        let now = time::jiffies();
        let secs = if c.key_in.proto == Proto::Tcp {
            let mut st = c.st.lock();
            // A reply seen once means this host is on the return path: full transitions from
            // then.
            let dir = if reply {
                st.no_output = false;
                tcp::Dir::Output
            } else if st.no_output {
                tcp::Dir::InputOnly
            } else {
                tcp::Dir::Input
            };
            let new = tcp::next(st.tcp, dir, tcp_flags);
            if new != st.tcp {
                let active = new.is_active();
                if active == st.inactive {
                    if let Some(d) = &c.dest {
                        d.conn_activity(active);
                    }
                    st.inactive = !active;
                }
                if new == tcp::State::Established {
                    c.assure_control();
                }
                st.tcp = new;
            }
            self.timeout(Proto::Tcp, st.tcp)
        } else {
            if reply {
                c.assure_control();
            }
            self.timeout(c.key_in.proto, tcp::State::None)
        };
        self.conns
            .set_expiry(c, now.wrapping_add(u64::from(secs) * time::hz()));
    }

    /// Counts a packet of `len` bytes from the client side of `c` (its destination, service
    /// and the namespace's totals). Like C, cache-bypass traffic counts nowhere.
    fn count_in(&self, c: &Conn, len: u32) {
        if let Some(d) = &c.dest {
            Counters::packet_in([&d.stats, &c.svc.stats, &self.stats], len);
        }
    }

    /// Counts a packet of `len` bytes towards the client of `c`.
    fn count_out(&self, c: &Conn, len: u32) {
        if let Some(d) = &c.dest {
            Counters::packet_out([&d.stats, &c.svc.stats, &self.stats], len);
        }
    }

    /// Renders a `/proc/net` file.
    fn proc_show(&self, file: ProcFile, w: &mut impl core::fmt::Write) {
        // A short buffer is retried by seq_file with a larger one: errors need no handling.
        let _ = match file {
            ProcFile::Conn => self.conns.show(w, time::jiffies(), time::hz()),
            ProcFile::Services => self.show_services(w),
            ProcFile::Stats => ipvs_ctl::procfmt::write_stats(w, &self.stats.snapshot()),
        };
    }

    /// Finds or creates the connection of a client packet; `Err` carries the verdict when the
    /// packet is not (or no longer) for IPVS.
    fn conn_for<'a>(
        &'a self,
        g: &'a rcu::Guard,
        key: &FlowKey,
        tcp_flags: u8,
        pkt: PacketAt<'_, '_>,
    ) -> core::result::Result<ConnRef<'a>, NoConn> {
        let syn = key.proto == Proto::Tcp && tcp_flags & tcp::flags::SYN != 0;
        if let Some(c) = self.conns.lookup_in(g, key) {
            let gone = c.dest.as_ref().is_some_and(|d| !d.is_available());
            // The common case, a packet of a live connection, reads no sysctl.
            if !syn && !gone {
                return Ok(ConnRef::Hashed(c));
            }
            let nodest = self.sysctls.get(Sysctl::ExpireNodestConn) != 0;
            // A client's new SYN on a connection's port: with expire_nodest_conn, a quiesced
            // real server's connection is replaced; else, per conn_reuse_mode, a finished one.
            let resched = syn
                && if nodest && c.dest.as_ref().is_some_and(|d| d.is_quiesced()) {
                    true
                } else {
                    let mode = self.sysctls.get(Sysctl::ConnReuseMode);
                    mode != 0 && reuse_expected(&c, mode)
                };
            if !resched && !gone {
                return Ok(ConnRef::Hashed(c));
            }
            // A connection whose real server was removed gets no more packets, or with
            // expire_nodest_conn ends, and the packet may start a new one.
            if gone && !resched && !nodest {
                return Err(Verdict::Drop.into());
            }
            self.conns.expire_now(&c, time::jiffies());
        }
        if key.proto == Proto::Tcp
            && (tcp_flags & tcp::flags::RST != 0
                || !(syn || self.sysctls.get(Sysctl::SloppyTcp) != 0))
        {
            return Err(Verdict::Accept.into());
        }
        self.schedule(g, key, pkt.skb.mark(), Some(pkt), true)
    }

    /// What the schedulers see of a packet opening a connection.
    fn sched_packet(&self, key: &FlowKey) -> Packet {
        // A negative expiration (the sysctl is a plain int) counts as none.
        let expiration = |s| u64::try_from(self.sysctls.get(s)).unwrap_or(0);
        let mut pkt = Packet {
            sport: key.sport,
            random: Some(kernel_ext::random::random_u32),
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
    fn schedule<'a>(
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
            match svc.schedule(self.sched_packet(key)) {
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
                let Some(dest) = svc.schedule(self.sched_packet(key)) else {
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
                self.conns.insert_or_get(g, t).map_err(|_| Verdict::Drop)?
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
    fn rs_conn_out<'a>(
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
                    self.conns.insert_or_get(g, t).ok()?
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

    /// Makes the connection of `key` to `dest` (the destination and its port; none: cache
    /// bypass), controlled by the template `control`: hashed, or only for this packet. A
    /// connection to a destination counts on it, on `svc` and on the namespace.
    #[allow(clippy::too_many_arguments)]
    fn new_conn<'a>(
        &'a self,
        g: &'a rcu::Guard,
        svc: ArcBorrow<'a, Service>,
        key: &FlowKey,
        dest: Option<(Arc<ipvs_ctl::Dest>, u16)>,
        control: Option<Arc<Conn>>,
        one_packet: bool,
        now: u64,
    ) -> core::result::Result<ConnRef<'a>, NoConn> {
        let c = Conn::new(
            &self.conns,
            *key,
            dest,
            svc.into(),
            control,
            one_packet,
            now,
        )
        .map_err(|_| Verdict::Drop)?;
        let c = if one_packet {
            ConnRef::OnePacket(c)
        } else {
            ConnRef::Hashed(self.conns.insert_or_get(g, c).map_err(|_| Verdict::Drop)?)
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
struct PacketAt<'s, 'b> {
    skb: &'s SkBuff<'b>,
    l4off: usize,
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

/// Whether a client's new SYN replaces connection `c` under `conn_reuse_mode` `mode` (C:
/// `is_new_conn_expected`): a finished TCP connection not controlled by a template (bit 1:
/// TIME_WAIT or CLOSE; bit 2: also a DR/TUN connection in FIN_WAIT that has seen no reply).
fn reuse_expected(c: &Conn, mode: i32) -> bool {
    if c.control.is_some() || c.key_in.proto != Proto::Tcp {
        return false;
    }
    let st = c.st.lock();
    matches!(st.tcp, tcp::State::TimeWait | tcp::State::Close)
        || (mode & 2 != 0 && st.tcp == tcp::State::FinWait && st.no_output)
}

/// The connection a packet goes by: one of the table's, or a one-packet connection of its
/// own, which goes (and stops counting) when this does.
enum ConnRef<'a> {
    /// Found in, or added to, the table.
    Hashed(ArcBorrow<'a, Conn>),
    /// Never hashed (`-o`).
    OnePacket(Arc<Conn>),
}

impl core::ops::Deref for ConnRef<'_> {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        match self {
            Self::Hashed(c) => c,
            Self::OnePacket(c) => c,
        }
    }
}

impl Drop for ConnRef<'_> {
    fn drop(&mut self) {
        if let Self::OnePacket(c) = self {
            c.release_unhashed();
        }
    }
}

/// Parses the IP header of a packet of `family`: (header, transport offset). `None` for
/// packets IPVS leaves alone (not a sane header of the family).
fn parse_ip_any(skb: &SkBuff<'_>, family: Family) -> Option<(IpHdr, usize)> {
    let nh = skb.network_offset();
    let ip = match family {
        Family::V4 => {
            let mut b = [0u8; 20];
            IpHdr::from(skb.header(nh, &mut b).and_then(Ipv4::parse)?)
        }
        // The IPv6 datapath is not there yet: no hook of this family is registered.
        Family::V6 => return None,
    };
    Some((ip, nh + ip.len))
}

/// [`parse_ip_any`], and `None` for a fragment too.
fn parse_ip(skb: &SkBuff<'_>, family: Family) -> Option<(IpHdr, usize)> {
    parse_ip_any(skb, family).filter(|(ip, _)| !ip.is_fragment())
}

/// Parses the TCP/UDP header at `l4off` of a packet whose IP header is `ip`: (flow key, TCP
/// flags). `Err` carries the verdict for packets IPVS does not handle.
fn parse_l4(
    skb: &SkBuff<'_>,
    ip: &IpHdr,
    l4off: usize,
) -> core::result::Result<(FlowKey, u8), Verdict> {
    let proto = Proto::from_ip(ip.protocol).ok_or(Verdict::Accept)?;
    let mut t = [0u8; 20];
    // A transport header too short to read is dropped, as C IPVS does.
    let th = skb
        .header(l4off, &mut t[..proto.hdr_len()])
        .ok_or(Verdict::Drop)?;
    let (sport, dport) = ipvs_proto::ports(th).ok_or(Verdict::Drop)?;
    let flags = if proto == Proto::Tcp { th[13] } else { 0 };
    Ok((
        FlowKey {
            family: ip.family,
            proto,
            saddr: ip.saddr,
            sport,
            daddr: ip.daddr,
            dport,
        },
        flags,
    ))
}

/// Why a packet of the request direction has no connection.
enum NoConn {
    /// Leave the packet with this verdict.
    Verdict(Verdict),
    /// A new connection found no available destination.
    NoDest,
}

impl From<Verdict> for NoConn {
    fn from(v: Verdict) -> Self {
        Self::Verdict(v)
    }
}

/// The request-direction hook: schedule new flows, forward packets of known ones.
fn hook_in(ipvs: &Ipvs, net: Net, family: Family, hook: Hook, skb: SkBuff<'_>) -> Verdict {
    if skb.ipvs_property()
        || !skb.has_dst()
        || (hook != Hook::LocalOut && skb.pkt_type() != PACKET_HOST)
    {
        return Verdict::Accept;
    }
    let Some((ip, l4off)) = parse_ip(&skb, family) else {
        return Verdict::Accept;
    };
    if ip.protocol == icmp::PROTO_ICMP {
        return icmp_in(ipvs, net, hook, skb, l4off);
    }
    let (key, flags) = match parse_l4(&skb, &ip, l4off) {
        Ok(p) => p,
        Err(v) => return v,
    };
    let g = rcu::read_lock();
    let c = match ipvs.conn_for(&g, &key, flags, PacketAt { skb: &skb, l4off }) {
        Ok(c) => c,
        Err(NoConn::Verdict(v)) => return v,
        Err(NoConn::NoDest) => {
            // Like C: tell the client (there is no socket to reset), drop the packet.
            skb.icmp_send(icmp::DEST_UNREACH, icmp::PORT_UNREACH, 0);
            return Verdict::Drop;
        }
    };
    ipvs.count_in(&c, skb.len());
    ipvs.update_state(&c, false, flags);
    match c.fwd {
        Fwd::Masq => ipvs_xmit::nat_xmit(net, skb, &c, l4off),
        Fwd::Droute => ipvs_xmit::dr_xmit(net, skb, &c, false),
        Fwd::Tunnel => ipvs_xmit::tun_xmit(net, &ipvs.sysctls, skb, &c, false),
        // The packet is for this host as it is (C's null transmitter); with no transmitter,
        // C lets it pass too.
        Fwd::Local | Fwd::None => Verdict::Accept,
        Fwd::Bypass => ipvs_xmit::bypass_xmit(net, skb, (key.family, key.daddr)),
    }
}

/// The reply-direction hook: rewrite NAT replies from real servers, and ICMP errors about
/// connections; count DR/TUN replies that pass.
fn hook_out(ipvs: &Ipvs, net: Net, family: Family, hook: Hook, skb: SkBuff<'_>) -> Verdict {
    if skb.ipvs_property() {
        return Verdict::Accept;
    }
    let Some((ip, l4off)) = parse_ip_any(&skb, family) else {
        return Verdict::Accept;
    };
    // Like C, fragments of what IPVS may have to rewrite are reassembled first (a NAT real
    // server's large UDP answer, an ICMP error); the datagram leaves fragmented again.
    let (mut skb, ip, l4off) = if ip.is_fragment() {
        if ip.protocol != icmp::PROTO_ICMP && Proto::from_ip(ip.protocol).is_none() {
            return Verdict::Accept;
        }
        let user = match hook {
            Hook::LocalIn => DefragUser::In,
            Hook::Forward => DefragUser::Fwd,
            _ => DefragUser::Out,
        };
        let Some(mut skb) = skb.defrag(net, user) else {
            return Verdict::Stolen;
        };
        skb.ip_send_check();
        let Some((ip, l4off)) = parse_ip(&skb, family) else {
            return Verdict::Accept;
        };
        (skb, ip, l4off)
    } else {
        (skb, ip, l4off)
    };
    if ip.protocol == icmp::PROTO_ICMP {
        return icmp_out(ipvs, skb, l4off);
    }
    let Ok((key, flags)) = parse_l4(&skb, &ip, l4off) else {
        return Verdict::Accept;
    };
    let g = rcu::read_lock();
    let c = match ipvs.conns.lookup_out(&g, &key) {
        Some(c) => ConnRef::Hashed(c),
        None => match ipvs.rs_conn_out(&g, hook, &key, PacketAt { skb: &skb, l4off }) {
            Some(c) => c,
            None => return stray_from_real_server(ipvs, &g, &skb, &key, flags),
        },
    };
    ipvs.count_out(&c, skb.len());
    ipvs.update_state(&c, true, flags);
    if c.fwd != Fwd::Masq {
        // A DR/TUN real server's reply routed through this host: counted, left as it is.
        skb.set_ipvs_property();
        return Verdict::Accept;
    }
    match ipvs_xmit::nat_reply(&mut skb, &c, l4off) {
        Ok(()) => Verdict::Accept,
        Err(_) => Verdict::Drop,
    }
}

/// A packet from the real-server side that belongs to no connection. With the `nat_icmp_send`
/// sysctl, one from a NAT real server's service endpoint (a reply to a connection that has
/// expired, say) is answered with "port unreachable" and dropped instead of leaking to the
/// client untranslated; a TCP reset still passes (C: the end of `ip_vs_out_hook`).
fn stray_from_real_server(
    ipvs: &Ipvs,
    g: &rcu::Guard,
    skb: &SkBuff<'_>,
    key: &FlowKey,
    tcp_flags: u8,
) -> Verdict {
    if ipvs.sysctls.get(Sysctl::NatIcmpSend) == 0 {
        return Verdict::Accept;
    }
    if !ipvs.has_real_service(
        g,
        key.family.af(),
        u16::from(key.proto.ip()),
        key.saddr.raw(),
        key.sport,
    ) || (key.proto == Proto::Tcp && tcp_flags & tcp::flags::RST != 0)
    {
        return Verdict::Accept;
    }
    skb.icmp_send(icmp::DEST_UNREACH, icmp::PORT_UNREACH, 0);
    Verdict::Drop
}

/// The embedded packet of an ICMP error at `ioff` that IPVS relays: (packet, offset of its
/// IP header, that header's length). `None` leaves the message alone.
fn icmp_embedded(skb: &SkBuff<'_>, ioff: usize) -> Option<(icmp::Embedded, usize, usize)> {
    let mut hb = [0u8; icmp::HDR_LEN + 20];
    let hdr = skb.header(ioff, &mut hb)?;
    let (eoff, eihl) = (
        ioff + icmp::HDR_LEN,
        usize::from(hdr[icmp::HDR_LEN] & 0x0f) * 4,
    );
    let mut pb = [0u8; 4];
    let ports = skb.header(eoff + eihl, &mut pb).unwrap_or(&[]);
    Some((icmp::parse_embedded(hdr, ports)?, eoff, eihl))
}

/// The flow key of the packet that would answer an ICMP error's embedded packet.
fn reversed(e: &icmp::Embedded) -> FlowKey {
    FlowKey {
        family: Family::V4,
        proto: e.proto,
        saddr: Addr::v4(e.ip.daddr),
        sport: e.dport,
        daddr: Addr::v4(e.ip.saddr),
        dport: e.sport,
    }
}

/// An ICMP message from the real-server side (C: `ip_vs_out_icmp`). An error about a packet of
/// a connection (unreachable, quench, TTL exceeded, embedding the packet the real server got:
/// client -> real server) is counted as the connection's reply traffic and, for NAT, made to
/// look as if it came from the virtual service: the outer source, the embedded destination
/// address and port become the virtual ones, and the IP and ICMP checksums are fixed. A bad
/// ICMP checksum on such an error drops it. Anything else passes untouched.
fn icmp_out(ipvs: &Ipvs, mut skb: SkBuff<'_>, ioff: usize) -> Verdict {
    let Some((e, eoff, eihl)) = icmp_embedded(&skb, ioff) else {
        return Verdict::Accept;
    };
    // The embedded packet went client -> real server: its reverse is the reply-direction key.
    let g = rcu::read_lock();
    let Some(c) = ipvs.conns.lookup_out(&g, &reversed(&e)) else {
        return Verdict::Accept;
    };
    if c.fwd == Fwd::Masq {
        let at = IcmpNat {
            ioff,
            eoff,
            eihl,
            outer: ipvs_proto::IPV4_SADDR_OFF,
            inner: ipvs_proto::IPV4_DADDR_OFF,
            port: 2,
        };
        if !skb.icmp_csum_ok(ioff) || at.rewrite(&mut skb, c.vaddr().to_v4(), c.vport()).is_err() {
            return Verdict::Drop;
        }
    }
    ipvs.count_out(&c, skb.len());
    skb.set_ipvs_property();
    Verdict::Accept
}

/// An ICMP message from the client side to a virtual service (C: `ip_vs_in_icmp`; tunnel
/// errors are [`icmp_tunnel_error`]'s). An error about a reply of a connection (embedding the
/// reply the client got: virtual service -> client) is counted as the connection's traffic and
/// goes to its real server: for NAT rewritten to be about the real server's own packet (outer
/// destination, embedded source address and port; checksums fixed; a bad ICMP checksum drops
/// it), for DR and tunnels forwarded as it is.
fn icmp_in(ipvs: &Ipvs, net: Net, hook: Hook, skb: SkBuff<'_>, ioff: usize) -> Verdict {
    // An error about one of this host's tunnel packets is addressed to this host.
    let mut skb = if hook == Hook::LocalIn {
        match icmp_tunnel_error(ipvs, net, skb, ioff) {
            Ok(v) => return v,
            Err(skb) => skb,
        }
    } else {
        skb
    };
    let Some((e, eoff, eihl)) = icmp_embedded(&skb, ioff) else {
        return Verdict::Accept;
    };
    // The embedded packet went virtual service -> client: its reverse is the request key.
    let g = rcu::read_lock();
    let key = reversed(&e);
    let c = match ipvs.conns.lookup_in(&g, &key) {
        Some(c) => ConnRef::Hashed(c),
        // With schedule_icmp, an error about a connection this host does not know (another
        // director's, before a failover) makes one, as a first packet would (any TCP flags).
        None if ipvs.sysctls.get(Sysctl::ScheduleIcmp) != 0 => {
            match ipvs.schedule(&g, &key, skb.mark(), None, false) {
                Ok(c) => c,
                Err(NoConn::Verdict(v)) => return v,
                Err(NoConn::NoDest) => return Verdict::Drop,
            }
        }
        None => return Verdict::Accept,
    };
    if c.fwd == Fwd::Masq && !skb.icmp_csum_ok(ioff) {
        return Verdict::Drop;
    }
    ipvs.count_in(&c, skb.len());
    match c.fwd {
        Fwd::Masq => {
            let at = IcmpNat {
                ioff,
                eoff,
                eihl,
                outer: ipvs_proto::IPV4_DADDR_OFF,
                inner: ipvs_proto::IPV4_SADDR_OFF,
                port: 0,
            };
            ipvs_xmit::icmp_nat_xmit(net, skb, &c, |skb| {
                at.rewrite(skb, c.daddr().to_v4(), c.dport)
            })
        }
        Fwd::Droute => ipvs_xmit::dr_xmit(net, skb, &c, true),
        Fwd::Tunnel => ipvs_xmit::tun_xmit(net, &ipvs.sysctls, skb, &c, true),
        Fwd::Local | Fwd::None => Verdict::Accept,
        // To the host the client's error is about.
        Fwd::Bypass => ipvs_xmit::bypass_xmit(net, skb, (key.family, key.daddr)),
    }
}

/// An ICMP error about a packet this host tunnelled (IP-in-IP, GUE, GRE) to a connection's
/// real server, sent by a router on the way (C: the tunnel case of `ip_vs_in_icmp`): counted
/// as the connection's reply traffic and turned into the same error to the client about its
/// own packet ("fragmentation needed" with the MTU left inside the tunnel). The packet comes
/// back untouched (`Err`) when the error is not about one of this host's tunnels.
fn icmp_tunnel_error<'a>(
    ipvs: &Ipvs,
    net: Net,
    mut skb: SkBuff<'a>,
    ioff: usize,
) -> core::result::Result<Verdict, SkBuff<'a>> {
    let mut b = [0u8; 256];
    let n = (skb.len() as usize).saturating_sub(ioff).min(b.len());
    let Some(t) = skb
        .header(ioff, &mut b[..n])
        .and_then(icmp::parse_tunnel_error)
    else {
        return Err(skb);
    };
    // The error is about the client's request, as it went in.
    let key = FlowKey {
        family: Family::V4,
        proto: t.inner.proto,
        saddr: Addr::v4(t.inner.ip.saddr),
        sport: t.inner.sport,
        daddr: Addr::v4(t.inner.ip.daddr),
        dport: t.inner.dport,
    };
    let g = rcu::read_lock();
    let Some(c) = ipvs.conns.lookup_in(&g, &key) else {
        return Err(skb);
    };
    let Some(dest) = &c.dest else {
        return Err(skb);
    };
    let tun = dest.tunnel();
    if c.fwd != Fwd::Tunnel
        || c.daddr() != Addr::v4(t.daddr)
        || tun.kind != t.kind
        || (t.kind == uapi::TUNNEL_TYPE_GUE && tun.port != t.gue_port)
    {
        return Err(skb);
    }
    if !skb.icmp_csum_ok(ioff) {
        return Ok(Verdict::Drop);
    }
    let outer = ioff + icmp::HDR_LEN;
    let inner = outer + t.overhead;
    let inner_len = skb
        .len()
        .saturating_sub(u32::try_from(inner).unwrap_or(u32::MAX));
    let at = ipvs_xmit::tunnel::TunnelErrorAt {
        outer,
        inner,
        overhead: t.overhead,
    };
    if ipvs_xmit::tunnel::tunnel_error_to_client(
        net,
        skb,
        &dest.route,
        at,
        (t.icmp_type, t.code, t.info),
    ) {
        ipvs.count_out(&c, inner_len);
    }
    Ok(Verdict::Stolen)
}

/// Where an ICMP error's NAT rewrite goes: the ICMP header at `ioff`, the embedded IP header at
/// `eoff` (`eihl` bytes); `outer` and `inner` are the address fields (offsets in an IP header)
/// of the outer and the embedded header that change, `port` the embedded port's offset in the
/// embedded transport header.
struct IcmpNat {
    ioff: usize,
    eoff: usize,
    eihl: usize,
    outer: usize,
    inner: usize,
    port: usize,
}

impl IcmpNat {
    /// Writes `addr` and `port` there and fixes the outer IP, embedded IP and ICMP checksums
    /// (C: `ip_vs_nat_icmp`; the embedded transport checksum is left, as C does).
    fn rewrite(&self, skb: &mut SkBuff<'_>, addr: [u8; 4], port: u16) -> Result {
        let nh = skb.network_offset();
        // Through the embedded ports.
        skb.make_writable(self.eoff + self.eihl + 4)?;
        skb.write(nh + self.outer, &addr)?;
        skb.ip_send_check();
        skb.write(self.eoff + self.inner, &addr)?;
        skb.write(self.eoff + self.eihl + self.port, &port.to_be_bytes())?;
        let mut eh = [0u8; 60];
        let h = skb
            .header(self.eoff, eh.get_mut(..self.eihl).ok_or(EINVAL)?)
            .ok_or(EINVAL)?;
        let sum = icmp::ipv4_header_checksum(h);
        skb.write(self.eoff + ipvs_proto::IPV4_CSUM_OFF, &sum)?;
        skb.icmp_csum_set(self.ioff)
    }
}
