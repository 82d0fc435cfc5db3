// SPDX-License-Identifier: GPL-2.0

//! ICMP errors about connections (C: `ip_vs_in_icmp`, `ip_vs_out_icmp`): counted as their
//! connection's traffic and, for NAT, rewritten so that each side sees an error about its own
//! packet; errors about this host's tunnel packets relayed to the client.

use super::{ConnRef, NoConn};
use crate::ipvs_conn::{
    nfct::{self, Nat},
    FlowKey, Fwd,
};
use crate::ipvs_netns::Ipvs;
use crate::ipvs_proto::{
    self, icmp,
    inet::{Addr, Family},
    TunnelKind,
};
use crate::ipvs_xmit;
use crate::rust::{
    netfilter::Hook,
    pernet::{Net, Sysctl},
    skb::{SkBuff, Verdict},
};
use kernel::{prelude::*, sync::rcu};

/// The flow key of the packet that would answer an ICMP error's embedded packet.
fn reversed(e: &icmp::EmbeddedIn) -> FlowKey {
    FlowKey {
        family: e.ip.family,
        proto: e.proto,
        saddr: e.ip.daddr,
        sport: e.dport,
        daddr: e.ip.saddr,
        dport: e.sport,
    }
}

/// An ICMP message from the real-server side (C: `ip_vs_out_icmp`). An error about a packet of
/// a connection (unreachable, quench, TTL exceeded, embedding the packet the real server got:
/// client -> real server) is counted as the connection's reply traffic and, for NAT, made to
/// look as if it came from the virtual service: the outer source, the embedded destination
/// address and port become the virtual ones, and the IP and ICMP checksums are fixed. A bad
/// ICMP checksum on such an error drops it. Anything else passes untouched.
pub(super) fn from_real_server(
    ipvs: &Ipvs,
    net: Net,
    family: Family,
    hook: Hook,
    mut skb: SkBuff<'_>,
    ioff: usize,
) -> Verdict {
    let Some(e) = icmp::parse_error(&skb, ioff, family) else {
        return Verdict::Accept;
    };
    // The embedded packet went client -> real server: its reverse is the reply-direction key.
    let g = rcu::read_lock();
    let Some(c) = ipvs.conns.lookup_out(&g, &reversed(&e)) else {
        return Verdict::Accept;
    };
    if c.fwd == Fwd::Masq {
        let at = IcmpNat {
            family,
            ioff,
            eoff: e.at,
            eihl: e.ip.len,
            outer: End::Src,
            port: (!e.ipsec).then_some(2),
        };
        if !skb.icmp_csum_ok(ioff, family)
            || at.rewrite(&mut skb, c.vaddr(), c.vport()).is_err()
            || ipvs.reroute_reply(net, family, hook, &mut skb).is_err()
        {
            return Verdict::Drop;
        }
    }
    ipvs.count_out(&c, skb.len());
    nfct::claim_nat(&mut skb, &c, Nat::ToClient);
    Verdict::Accept
}

/// An ICMP message from the client side to a virtual service (C: `ip_vs_in_icmp`; tunnel
/// errors are [`tunnel_error`]'s). An error about a reply of a connection (embedding the
/// reply the client got: virtual service -> client) is counted as the connection's traffic and
/// goes to its real server: for NAT rewritten to be about the real server's own packet (outer
/// destination, embedded source address and port; checksums fixed; a bad ICMP checksum drops
/// it), for DR and tunnels forwarded as it is.
pub(super) fn from_client(
    ipvs: &Ipvs,
    net: Net,
    family: Family,
    hook: Hook,
    skb: SkBuff<'_>,
    ioff: usize,
) -> Verdict {
    // An error about one of this host's (IPv4) tunnel packets is addressed to this host.
    let mut skb = if hook == Hook::LocalIn && family == Family::V4 {
        match tunnel_error(ipvs, net, skb, ioff) {
            Ok(v) => return v,
            Err(skb) => skb,
        }
    } else {
        skb
    };
    let Some(e) = icmp::parse_error(&skb, ioff, family) else {
        return Verdict::Accept;
    };
    // The embedded packet went virtual service -> client: its reverse is the request key.
    let g = rcu::read_lock();
    let key = reversed(&e);
    let c = match ipvs.conns.lookup_in(&g, &key) {
        Some(c) => ConnRef::Hashed(c),
        // With schedule_icmp, an error about a connection this host does not know (another
        // director's, before a failover) makes one, as a first packet would (any TCP flags);
        // not for AH and ESP, which never start one.
        None if !e.ipsec && ipvs.sysctls.get(Sysctl::ScheduleIcmp) != 0 => {
            match ipvs.schedule(&g, &key, skb.mark(), None, false) {
                Ok(c) => c,
                Err(NoConn::Verdict(v)) => return v,
                Err(NoConn::NoDest) => return Verdict::Drop,
            }
        }
        None => return Verdict::Accept,
    };
    if c.fwd == Fwd::Masq && !skb.icmp_csum_ok(ioff, family) {
        return Verdict::Drop;
    }
    ipvs.count_in(&c, skb.len());
    match c.fwd {
        Fwd::Masq => {
            let at = IcmpNat {
                family,
                ioff,
                eoff: e.at,
                eihl: e.ip.len,
                outer: End::Dst,
                port: (!e.ipsec).then_some(0),
            };
            let forwarded = hook == Hook::Forward;
            ipvs_xmit::icmp_nat_xmit(net, skb, &c, forwarded, |skb| {
                at.rewrite(skb, c.daddr(), c.dport)
            })
        }
        Fwd::Droute => ipvs_xmit::dr_xmit(net, skb, &c, true),
        Fwd::Tunnel => ipvs_xmit::tun_xmit(net, &ipvs.sysctls, skb, &c, true),
        Fwd::Local => {
            nfct::claim(&mut skb, c.nfct());
            Verdict::Accept
        }
        Fwd::None => Verdict::Accept,
        // To the host the client's error is about.
        Fwd::Bypass => ipvs_xmit::bypass_xmit(net, (skb, c.nfct()), (key.family, key.daddr)),
    }
}

/// An ICMP error about a packet this host tunnelled (IP-in-IP, GUE, GRE) to a connection's
/// real server, sent by a router on the way (C: the tunnel case of `ip_vs_in_icmp`): counted
/// as the connection's reply traffic and turned into the same error to the client about its
/// own packet ("fragmentation needed" with the MTU left inside the tunnel). The packet comes
/// back untouched (`Err`) when the error is not about one of this host's tunnels.
fn tunnel_error<'a>(
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
        || (t.kind == TunnelKind::Gue && tun.port != t.gue_port)
    {
        return Err(skb);
    }
    if !skb.icmp_csum_ok(ioff, Family::V4) {
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

/// Which address of the outer header an ICMP error's NAT rewrite changes (the embedded
/// packet's other one changes with it).
#[derive(Clone, Copy)]
enum End {
    /// The outer source (and the embedded destination): errors from real servers.
    Src,
    /// The outer destination (and the embedded source): errors to real servers.
    Dst,
}

/// Where an ICMP error's NAT rewrite goes: the packet of `family`, its ICMP header at `ioff`,
/// the embedded IP header at `eoff` (`eihl` bytes to its transport header); `outer` says which
/// addresses change, `port` is the embedded port's offset in the embedded transport header
/// (none for AH and ESP: only the addresses change).
struct IcmpNat {
    family: Family,
    ioff: usize,
    eoff: usize,
    eihl: usize,
    outer: End,
    port: Option<usize>,
}

impl IcmpNat {
    /// Writes `addr` and `port` there and fixes the checksums: IPv4's outer and embedded header
    /// checksums, and the ICMP (ICMPv6: with its pseudo-header) checksum (C: `ip_vs_nat_icmp`,
    /// `ip_vs_nat_icmp_v6`; the embedded transport checksum is left, as C does).
    fn rewrite(&self, skb: &mut SkBuff<'_>, addr: Addr, port: u16) -> Result {
        let (src, dst) = ipvs_proto::addr_offsets(self.family);
        let (outer, inner) = match self.outer {
            End::Src => (src, dst),
            End::Dst => (dst, src),
        };
        let addr = addr.bytes(self.family);
        let nh = skb.network_offset();
        // Through the embedded ports, or the embedded IP header when there are none.
        let ports = if self.port.is_some() { 4 } else { 0 };
        skb.make_writable(self.eoff + self.eihl + ports)?;
        skb.write(nh + outer, addr)?;
        skb.write(self.eoff + inner, addr)?;
        if let Some(p) = self.port {
            skb.write(self.eoff + self.eihl + p, &port.to_be_bytes())?;
        }
        if self.family == Family::V4 {
            skb.ip_send_check();
            let mut eh = [0u8; 60];
            let h = skb
                .header(self.eoff, eh.get_mut(..self.eihl).ok_or(EINVAL)?)
                .ok_or(EINVAL)?;
            let sum = icmp::ipv4_header_checksum(h);
            skb.write(self.eoff + ipvs_proto::IPV4_CSUM_OFF, &sum)?;
        }
        skb.icmp_csum_set(self.ioff, self.family)
    }
}
