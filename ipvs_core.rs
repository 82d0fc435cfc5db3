// SPDX-License-Identifier: GPL-2.0

//! The packet path (C: `ip_vs_core.c`): the netfilter hooks of a namespace with services. A
//! client's packet finds its connection or makes one ([`sched`]: the service, its scheduler or
//! the client's persistence template) and goes to its transmitter ([`crate::ipvs_xmit`]); a
//! real server's reply is rewritten back for NAT. ICMP errors about connections go both ways
//! ([`icmp`]).

mod icmp;
mod sched;

use crate::ipvs_conn::{
    nfct::{self, Nat},
    Conn, ConnState, FlowKey, Fwd, Kind,
};
use crate::ipvs_ctl::Counters;
use crate::ipvs_netns::Ipvs;
use crate::ipvs_proto::{
    self,
    inet::{Bytes, Family, Frag, IpHdr},
    sctp, tcp, Ipv4, Proto, Signal,
};
use crate::ipvs_xmit;
use crate::rust::{
    netfilter::{self, Hook},
    pernet::{Net, Sysctl},
    skb::{DefragUser, Hooked, SkBuff, Verdict, PACKET_HOST},
    time,
};
use kernel::sync::{atomic::Relaxed, rcu, Arc, ArcBorrow};
use sched::PacketAt;

impl netfilter::Handler for Ipvs {
    fn hook_in(&self, net: Net, family: Family, hook: Hook, skb: Hooked<'_>) -> Verdict {
        hook_in(self, net, family, hook, skb)
    }

    fn hook_out(&self, net: Net, family: Family, hook: Hook, skb: Hooked<'_>) -> Verdict {
        hook_out(self, net, family, hook, skb)
    }

    fn hook_fwd_icmp(&self, net: Net, family: Family, hook: Hook, skb: Hooked<'_>) -> Verdict {
        hook_fwd_icmp(self, net, family, hook, skb)
    }
}

impl Ipvs {
    /// The timeout (seconds) of a TCP connection in state `st`.
    pub(crate) fn tcp_timeout(&self, st: tcp::State) -> u32 {
        match st {
            tcp::State::Established => self.timeouts.tcp.load(Relaxed),
            tcp::State::FinWait => self.timeouts.tcp_fin.load(Relaxed),
            s => tcp::Timeouts::default().get(s),
        }
    }

    /// The timeout (seconds) of a connection of `proto` in state `st`.
    pub(crate) fn timeout(&self, proto: Proto, st: &ConnState) -> u32 {
        match proto {
            Proto::Tcp => self.tcp_timeout(st.tcp()),
            Proto::Sctp => st.sctp().timeout(),
            Proto::Udp => self.timeouts.udp.load(Relaxed),
            // No connection has it (only firewall-mark templates).
            Proto::Ip => 0,
        }
    }

    /// Advances a connection's state for a packet from the client (`reply` false) or to it,
    /// whose transport header said `sig`, and pushes its expiry back. UDP has no state: no
    /// lock (like C).
    fn update_state(&self, c: &Conn, reply: bool, sig: Signal) {
        let now = time::jiffies();
        let secs = match (c.key_in.proto, sig) {
            (Proto::Tcp, Signal::Tcp(flags)) => {
                let mut st = c.st.lock();
                let dir = direction(&mut st, reply);
                let new = tcp::next(st.tcp(), dir, flags, self.secure_tcp());
                if new != st.tcp() {
                    enter_state(c, &mut st, new.is_active(), new == tcp::State::Established);
                    st.set_tcp(new);
                }
                self.tcp_timeout(st.tcp())
            }
            (Proto::Sctp, Signal::Sctp(chunks)) => {
                let mut st = c.st.lock();
                // A packet without a chunk changes nothing but the expiry.
                if let Some(ch) = chunks {
                    let dir = direction(&mut st, reply);
                    let new = sctp::next(st.sctp(), dir, ch.deciding);
                    if new != st.sctp() {
                        let est = new == sctp::State::Established;
                        enter_state(c, &mut st, new.is_active(), est);
                        st.set_sctp(new);
                    }
                }
                st.sctp().timeout()
            }
            // UDP; AH and ESP keep their ISAKMP connection (UDP) alive, with no say in its
            // state.
            (_, sig) => {
                if reply && sig != Signal::Ipsec {
                    c.assure_control();
                }
                self.timeouts.udp.load(Relaxed)
            }
        };
        self.conns
            .set_expiry(c, now.wrapping_add(u64::from(secs) * time::hz()));
    }

    /// With `snat_reroute` (C's default), a NAT reply on its way to a remote client (FORWARD,
    /// LOCAL_OUT) is routed again once its source is the virtual address, so that policy
    /// routing by source applies as to this host's own packets (C: `ip_vs_route_me_harder`).
    /// Fails if no route takes it: the reply is dropped.
    fn reroute_reply(
        &self,
        net: Net,
        family: Family,
        hook: Hook,
        skb: &mut SkBuff<'_>,
    ) -> kernel::error::Result {
        if hook == Hook::LocalIn || self.sysctls.get(Sysctl::SnatReroute) == 0 {
            return Ok(());
        }
        if skb.route(family).is_some_and(|rt| rt.is_local()) {
            return Ok(());
        }
        skb.route_me_harder(net, family)
    }

    /// The timeout (seconds) `c` has in state `st` (a template: its own).
    pub(crate) fn conn_timeout(&self, c: &Conn, st: &ConnState) -> u32 {
        match c.kind {
            Kind::Template => c.template_timeout(),
            Kind::Conn => self.timeout(c.key_in.proto, st),
        }
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
    /// Finds or creates the connection of a client packet; `Err` carries the verdict when the
    /// packet is not (or no longer) for IPVS.
    fn conn_for<'a>(
        &'a self,
        g: &'a rcu::Guard,
        key: &FlowKey,
        sig: Signal,
        pkt: PacketAt<'_, '_>,
    ) -> core::result::Result<ConnRef<'a>, NoConn> {
        let syn = sig.is_new_conn();
        let found = self
            .conns
            .lookup_in(g, key)
            .or_else(|| self.fill_client_port(g, key));
        if let Some(c) = found {
            let gone = c.dest.as_ref().is_some_and(|d| !d.is_available());
            // The common case, a packet of a live connection, reads no sysctl.
            if !syn && !gone {
                return Ok(ConnRef::Hashed(c));
            }
            let nodest = self.sysctls.get(Sysctl::ExpireNodestConn) != 0;
            // A client's new SYN (SCTP: INIT) on a connection's port: with expire_nodest_conn,
            // a quiesced real server's connection is replaced; else, per conn_reuse_mode, a
            // finished one.
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
            // A packet whose conntrack entry is confirmed already cannot go to another real
            // server (its entry's reply is fixed): the connection ends, killing that entry,
            // and this packet is dropped (the client sends again). Else the connection's entry,
            // if it kept one, is not this packet's (C: `ip_vs_conn_uses_old_conntrack`).
            let old_ct = pkt.skb.ct_confirmed();
            if !old_ct {
                c.stop_tracking();
            }
            self.conns.expire_now(&c, time::jiffies());
            if old_ct {
                return Err(Verdict::Drop.into());
            }
        }
        let sloppy = |s| self.sysctls.get(s) != 0;
        if !sig.may_start(sloppy(Sysctl::SloppyTcp), sloppy(Sysctl::SloppySctp)) {
            // An SCTP packet without a chunk header is malformed: dropped, as C does.
            let v = if sig == Signal::Sctp(None) {
                Verdict::Drop
            } else {
                Verdict::Accept
            };
            return Err(v.into());
        }
        self.schedule(g, key, pkt.skb.mark(), Some(pkt), true)
    }
}

/// Whether a client's new SYN (INIT) replaces connection `c` under `conn_reuse_mode` `mode`
/// (C: `is_new_conn_expected`): a finished TCP or SCTP connection not controlled by a template
/// (TCP: TIME_WAIT or CLOSE, and with bit 2 also a DR/TUN connection in FIN_WAIT that has
/// seen no reply; SCTP: CLOSED).
fn reuse_expected(c: &Conn, mode: i32) -> bool {
    if c.control.is_some() {
        return false;
    }
    let st = c.st.lock();
    match c.key_in.proto {
        Proto::Tcp => {
            matches!(st.tcp(), tcp::State::TimeWait | tcp::State::Close)
                || (mode & 2 != 0 && st.tcp() == tcp::State::FinWait && st.no_output)
        }
        Proto::Sctp => st.sctp() == sctp::State::Closed,
        _ => false,
    }
}

/// The direction a packet moves a connection's state machine: a reply seen once means this
/// host is on the return path, full transitions from then; until then a DR/TUN connection's
/// client packets take the input-only ones.
fn direction(st: &mut ConnState, reply: bool) -> tcp::Dir {
    if reply {
        st.no_output = false;
        tcp::Dir::Output
    } else if st.no_output {
        tcp::Dir::InputOnly
    } else {
        tcp::Dir::Input
    }
}

/// Records that `c` enters a state that is `active` (or not) for its destination, and
/// `established` (its template, if any, is then assured).
fn enter_state(c: &Conn, st: &mut ConnState, active: bool, established: bool) {
    if active == st.inactive {
        if let Some(d) = &c.dest {
            d.conn_activity(active);
        }
        st.inactive = !active;
    }
    if established {
        c.assure_control();
    }
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

/// The packet's bytes, for the pure parsers.
impl Bytes for SkBuff<'_> {
    fn len(&self) -> usize {
        SkBuff::len(self) as usize
    }

    fn read<'a>(&'a self, off: usize, buf: &'a mut [u8]) -> Option<&'a [u8]> {
        self.header(off, buf)
    }
}

/// Parses the IP header of a packet of `family`: (header, transport offset). `None` for
/// packets IPVS leaves alone (not a sane header of the family).
fn parse_ip_any(skb: &SkBuff<'_>, family: Family) -> Option<(IpHdr, usize)> {
    let nh = skb.network_offset();
    match family {
        Family::V4 => {
            let mut b = [0u8; 20];
            let ip = IpHdr::from(skb.header(nh, &mut b).and_then(Ipv4::parse)?);
            Some((ip, nh + ip.len))
        }
        // (Apart, and returned as it is: the arms then write their answers each, not one join
        // of both, which the compiler assembled byte by byte.)
        Family::V6 => parse_v6(skb, nh),
    }
}

/// [`parse_ip_any`] for IPv6.
#[inline(never)]
fn parse_v6(skb: &SkBuff<'_>, nh: usize) -> Option<(IpHdr, usize)> {
    let ip = IpHdr::parse_v6(skb, nh)?;
    Some((ip, nh + ip.len))
}

/// [`parse_ip_any`], and `None` for a fragment IPVS does not handle as it is: any IPv4 one (C
/// reassembles them first, where it must), an IPv6 one but the first, which carries the
/// transport header (C: the later ones belong to no connection it can find).
fn parse_ip(skb: &SkBuff<'_>, family: Family) -> Option<(IpHdr, usize)> {
    parse_ip_any(skb, family).filter(|(ip, _)| match family {
        Family::V4 => !ip.is_fragment(),
        Family::V6 => ip.frag != Frag::Later,
    })
}

/// Parses the TCP/UDP/SCTP header at `l4off` of a packet whose IP header is `ip`: (flow key,
/// what its state machine reads). An AH or ESP packet has its ISAKMP connection's key. `Err`
/// carries the verdict for packets IPVS does not handle.
fn parse_l4(
    skb: &SkBuff<'_>,
    ip: &IpHdr,
    l4off: usize,
) -> core::result::Result<(FlowKey, Signal), Verdict> {
    let (proto, sport, dport, sig) = if matches!(ip.protocol, ipvs_proto::AH | ipvs_proto::ESP) {
        let (proto, sport, dport) = ipvs_proto::ipsec_key_ports();
        (proto, sport, dport, Signal::Ipsec)
    } else {
        let proto = Proto::from_ip(ip.protocol).ok_or(Verdict::Accept)?;
        let mut t = [0u8; 20];
        // A transport header too short to read is dropped, as C IPVS does.
        let th = skb
            .header(l4off, &mut t[..proto.hdr_len()])
            .ok_or(Verdict::Drop)?;
        let (sport, dport) = ipvs_proto::ports(th).ok_or(Verdict::Drop)?;
        let sig = match proto {
            Proto::Tcp => Signal::Tcp(th[13]),
            Proto::Sctp => Signal::Sctp(sctp::chunks(skb, l4off)),
            Proto::Udp | Proto::Ip => Signal::None,
        };
        (proto, sport, dport, sig)
    };
    let key = FlowKey {
        family: ip.family,
        proto,
        saddr: ip.saddr,
        sport,
        daddr: ip.daddr,
        dport,
    };
    Ok((key, sig))
}

/// Where NAT rewrites the ports of a packet of flow `key` (transport header at `l4off`):
/// nowhere for AH and ESP, whose key's ports are not theirs.
fn ports(key: &FlowKey, sig: Signal, l4off: usize) -> ipvs_xmit::Ports {
    (sig != Signal::Ipsec).then_some((key.proto, l4off))
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

/// Whether a packet this host sends is a raw IPv4 socket's with `IP_NODEFRAG` set, which both
/// hooks leave alone, as C does ("do not break raw sockets": such a sender builds its packets
/// itself, and they are not reassembled).
fn raw_nodefrag(hook: Hook, family: Family, pkt: &Hooked<'_>) -> bool {
    hook == Hook::LocalOut && family == Family::V4 && pkt.sent_by_nodefrag_socket()
}

/// The request-direction hook: schedule new flows, forward packets of known ones.
fn hook_in(ipvs: &Ipvs, net: Net, family: Family, hook: Hook, pkt: Hooked<'_>) -> Verdict {
    // (A packet IPVS sent on, re-entering LOCAL_OUT: the test most calls end at.)
    if pkt.ipvs_property() || raw_nodefrag(hook, family, &pkt) {
        return Verdict::Accept;
    }
    let mut skb = pkt.skb();
    if !skb.has_dst()
        || (hook != Hook::LocalOut && skb.pkt_type() != PACKET_HOST)
        || ipvs.backup_only()
    {
        return Verdict::Accept;
    }
    let Some((ip, l4off)) = parse_ip(&skb, family) else {
        return Verdict::Accept;
    };
    if ip.protocol == ipvs_proto::icmp::proto_of(family) {
        return icmp::from_client(ipvs, net, family, hook, skb, l4off);
    }
    // A packet of a protocol C IPVS has no handler for comes back only decapsulated: with
    // `ignore_tunneled` it is marked as IPVS's, so what it carries is left alone.
    if !Proto::c_handles(ip.protocol) && ipvs.sysctls.get(Sysctl::IgnoreTunneled) != 0 {
        skb.set_ipvs_property();
        return Verdict::Accept;
    }
    let (key, sig) = match parse_l4(&skb, &ip, l4off) {
        Ok(p) => p,
        Err(v) => return v,
    };
    let g = rcu::read_lock();
    let c = match ipvs.conn_for(&g, &key, sig, PacketAt { skb: &skb, l4off }) {
        Ok(c) => c,
        Err(NoConn::Verdict(v)) => return v,
        Err(NoConn::NoDest) => {
            // Like C: tell the client (there is no socket to reset), drop the packet.
            port_unreachable(net, &mut skb, family);
            return Verdict::Drop;
        }
    };
    ipvs.count_in(&c, skb.len());
    c.count_in_packet();
    ipvs.update_state(&c, false, sig);
    if let ConnRef::Hashed(h) = &c {
        if h.has_app() && !ipvs.ftp_from_client(&g, *h, &mut skb, l4off) {
            return Verdict::Drop;
        }
    }
    let verdict = match c.fwd {
        Fwd::Masq => ipvs_xmit::nat_xmit(net, skb, &c, ports(&key, sig, l4off)),
        Fwd::Droute => ipvs_xmit::dr_xmit(net, skb, &c, false),
        Fwd::Tunnel => ipvs_xmit::tun_xmit(net, &ipvs.sysctls, skb, &c, false),
        // The packet is for this host as it is (C's null transmitter).
        Fwd::Local => {
            nfct::claim(&mut skb, c.nfct());
            Verdict::Accept
        }
        // With no transmitter, C lets it pass.
        Fwd::None => Verdict::Accept,
        Fwd::Bypass => ipvs_xmit::bypass_xmit(net, (skb, c.nfct()), (key.family, key.daddr)),
    };
    ipvs.sync_conn(&c);
    verdict
}

/// The FORWARD hook before [`hook_out`]: a client's ICMP error about a reply, on its way to a
/// virtual address that is not this host's (a firewall-mark service that intercepts traffic to
/// other hosts, a transparent cache), goes to the connection's real server as at LOCAL_IN (C:
/// `ip_vs_forward_icmp`).
fn hook_fwd_icmp(ipvs: &Ipvs, net: Net, family: Family, hook: Hook, pkt: Hooked<'_>) -> Verdict {
    if ipvs.backup_only() {
        return Verdict::Accept;
    }
    let skb = pkt.skb();
    // Most forwarded IPv4 packets are not ICMP: their protocol byte tells, before the header is
    // parsed (as C reads `ip_hdr()->protocol`).
    let nh = skb.network_offset();
    if family == Family::V4
        && skb
            .linear_bytes::<1>(nh + ipvs_proto::IPV4_PROTOCOL_OFF)
            .is_some_and(|[p]| p != ipvs_proto::icmp::proto_of(family))
    {
        return Verdict::Accept;
    }
    let Some((ip, _)) = parse_ip_any(&skb, family) else {
        return Verdict::Accept;
    };
    if ip.protocol != ipvs_proto::icmp::proto_of(family) {
        return Verdict::Accept;
    }
    // A forwarded IPv4 error may come in fragments: like C, reassembled first.
    let skb = if family == Family::V4 && ip.is_fragment() {
        let Some(mut skb) = skb.defrag(net, DefragUser::Fwd) else {
            return Verdict::Stolen;
        };
        skb.ip_send_check();
        skb
    } else {
        skb
    };
    let Some((_, l4off)) = parse_ip(&skb, family) else {
        return Verdict::Accept;
    };
    icmp::from_client(ipvs, net, family, hook, skb, l4off)
}

/// The reply-direction hook: rewrite NAT replies from real servers, and ICMP errors about
/// connections; count DR/TUN replies that pass.
fn hook_out(ipvs: &Ipvs, net: Net, family: Family, hook: Hook, pkt: Hooked<'_>) -> Verdict {
    if pkt.ipvs_property() || raw_nodefrag(hook, family, &pkt) {
        return Verdict::Accept;
    }
    let skb = pkt.skb();
    // Like C (and as at the request hook): a packet with no route attached passes untouched.
    if !skb.has_dst() {
        return Verdict::Accept;
    }
    let Some((ip, l4off)) = parse_ip_any(&skb, family) else {
        return Verdict::Accept;
    };
    // Like C, IPv4 fragments of what IPVS may have to rewrite are reassembled first (a NAT real
    // server's large UDP answer, an ICMP error); the datagram leaves fragmented again. IPv6
    // ones are not: the first is handled as a whole packet, the later ones pass. AH and ESP
    // go by their addresses alone: each fragment is handled as it is (C: `dont_defrag`).
    let ipsec = matches!(ip.protocol, ipvs_proto::AH | ipvs_proto::ESP);
    if family == Family::V6 && ip.frag == Frag::Later && !ipsec {
        return Verdict::Accept;
    }
    let (mut skb, ip, l4off) = if family == Family::V4 && ip.is_fragment() && !ipsec {
        if ip.protocol != ipvs_proto::icmp::proto_of(family)
            && Proto::from_ip(ip.protocol).is_none()
        {
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
    if ip.protocol == ipvs_proto::icmp::proto_of(family) {
        return icmp::from_real_server(ipvs, net, family, hook, skb, l4off);
    }
    let Ok((key, sig)) = parse_l4(&skb, &ip, l4off) else {
        return Verdict::Accept;
    };
    let g = rcu::read_lock();
    let c = match ipvs.conns.lookup_out(&g, &key) {
        Some(c) => ConnRef::Hashed(c),
        // AH and ESP from a real server only ever belong to a connection of a client's.
        None if sig == Signal::Ipsec => return Verdict::Accept,
        None => match ipvs.rs_conn_out(&g, hook, &key, PacketAt { skb: &skb, l4off }) {
            Some(c) => c,
            None => return stray_from_real_server(ipvs, net, &g, skb, &key, sig),
        },
    };
    // The FTP helper reads (and may rewrite) a control connection's replies first.
    if let ConnRef::Hashed(h) = &c {
        if h.has_app() && !ipvs.ftp_from_server(&g, *h, &mut skb, l4off) {
            return Verdict::Drop;
        }
    }
    // Like C, a NAT reply that cannot be translated or routed counts nowhere; a DR/TUN real
    // server's reply routed through this host is counted and left as it is.
    if c.fwd == Fwd::Masq
        && ipvs_xmit::nat_reply(&mut skb, &c, ports(&key, sig, l4off))
            .and_then(|()| ipvs.reroute_reply(net, family, hook, &mut skb))
            .is_err()
    {
        return Verdict::Drop;
    }
    ipvs.count_out(&c, skb.len());
    ipvs.update_state(&c, true, sig);
    nfct::claim_nat(&mut skb, &c, Nat::ToClient);
    Verdict::Accept
}

/// A packet from the real-server side that belongs to no connection. With the `nat_icmp_send`
/// sysctl, one from a NAT real server's service endpoint (a reply to a connection that has
/// expired, say) is answered with "port unreachable" and dropped instead of leaking to the
/// client untranslated; a TCP reset or SCTP ABORT still passes (C: the end of
/// `ip_vs_out_hook`).
fn stray_from_real_server(
    ipvs: &Ipvs,
    net: Net,
    g: &rcu::Guard,
    mut skb: SkBuff<'_>,
    key: &FlowKey,
    sig: Signal,
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
    ) || sig.is_reset()
    {
        return Verdict::Accept;
    }
    port_unreachable(net, &mut skb, key.family);
    Verdict::Drop
}

/// Sends the packet's sender "port unreachable" (ICMP or ICMPv6 by `family`). Like C, an IPv6
/// packet without a device (locally generated) gets the loopback device first: the error
/// finds its namespace through it.
fn port_unreachable(net: Net, skb: &mut SkBuff<'_>, family: Family) {
    if family == Family::V6 {
        skb.ensure_dev(net);
    }
    let (t, code) = ipvs_proto::icmp::Error::PortUnreachable.type_code(family);
    skb.icmp_send(family, t, code, 0);
}
