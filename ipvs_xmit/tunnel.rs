// SPDX-License-Identifier: GPL-2.0

//! Tunnelling to a real server (IP-in-IP, GUE, GRE) and the ICMP errors that come back about
//! tunnelled packets (C: `ip_vs_tunnel_xmit` and the tunnel case of `ip_vs_in_icmp` in
//! `net/netfilter/ipvs/`).

use super::{
    deliver_local,
    encap::{self, Encap},
    route::{out_route, RouteOpts, Routed},
    Tunnel,
};
use crate::ipvs_conn::nfct;
use crate::ipvs_proto::{
    icmp,
    inet::{Addr, Family, IPV6_HLEN},
    IPV4_DF,
};
use crate::rust::{
    pernet::Net,
    route::RouteCache,
    skb::{gso, SkBuff, Verdict},
};
use kernel::{prelude::*, sync::rcu};

/// Sends the packet (of `family`) to `to` (the real server's family and address) inside the
/// encapsulation `tun` (through `cache`): the outer header, of the real server's family, comes
/// from the route's preferred source, with the inner packet's TTL or hop limit and DS field
/// (ECN encapsulated), and for IPv4 in IPv4 its DF with `pmtu_disc`. A real server on this
/// host takes the packet as it is.
pub(crate) fn tun_xmit(
    net: Net,
    (mut skb, family): (SkBuff<'_>, Family),
    cache: Option<&RouteCache>,
    to: (Family, Addr),
    tun: Tunnel,
    o: TunOpts,
) -> Verdict {
    let enc = Encap::new(tun.kind, tun.flags, tun.port, skb.csum_partial());
    let opts = RouteOpts {
        icmp: o.icmp,
        pmtu_disc: o.pmtu_disc,
        ..Default::default()
    };
    let overhead = enc.overhead(to.0);
    let (saddr, ll_space) =
        match out_route(net, (&mut skb, family), cache, to, opts, Some(overhead)) {
            Ok(Routed::Local) => {
                nfct::claim(&mut skb, o.nfct);
                return deliver_local(skb, true);
            }
            Ok(Routed::Out { saddr, ll_space }) => (saddr, ll_space),
            Err(_) => return Verdict::Drop,
        };
    let ends = Ends {
        inner: family,
        outer: to.0,
        saddr,
        daddr: to.1,
    };
    if encapsulate(net, &mut skb, enc, o.pmtu_disc, ends, ll_space).is_err() {
        return Verdict::Drop;
    }
    // The MTU was checked before; the outer packet may be fragmented.
    skb.set_ignore_df();
    if let Err(v) = nfct::claim_tunnelled(&mut skb, o.nfct) {
        return v;
    }
    skb.prepare_xmit();
    skb.ip_local_out(net, to.0)
}

/// How [`tun_xmit`] sends a packet.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TunOpts {
    /// IPv4 in IPv4 keeps the inner packet's DF (the `pmtu_disc` sysctl).
    pub(crate) pmtu_disc: bool,
    /// The packet is an ICMP error relayed to the real server.
    pub(crate) icmp: bool,
    /// Its connection keeps conntrack entries.
    pub(crate) nfct: bool,
}

/// The families of a tunnelled packet and the outer header's addresses.
#[derive(Clone, Copy)]
struct Ends {
    inner: Family,
    outer: Family,
    saddr: Addr,
    daddr: Addr,
}

/// Puts the tunnel headers of `enc` and the outer header from `ends.saddr` to `ends.daddr` in
/// front of the routed packet.
fn encapsulate(
    net: Net,
    skb: &mut SkBuff<'_>,
    enc: Encap,
    pmtu_disc: bool,
    ends: Ends,
    ll_space: u32,
) -> Result {
    // A received packet may carry the socket early demux found for it: not on the way out.
    if skb.has_dev() {
        skb.orphan();
    }
    let overhead = u32::try_from(enc.overhead(ends.outer)).map_err(|_| EINVAL)?;
    skb.reserve_headroom(ll_space + overhead)?;
    let nh = skb.network_offset();
    let mut b = [0u8; IPV6_HLEN];
    let hlen = encap::outer_hlen(ends.inner);
    let h = skb.header(nh, &mut b[..hlen]).ok_or(EINVAL)?;
    let inner = encap::Inner::of(ends.inner, h).ok_or(EINVAL)?;
    // The inner packet's length, the outer IPv6 header's payload.
    let inner_len = skb.len() as usize;
    if ends.inner == Family::V4 {
        skb.ip_send_check();
    }
    let gso = match ends.outer {
        Family::V4 => gso::IPXIP4,
        Family::V6 => gso::IPXIP6,
    } | match enc {
        Encap::Ipip => 0,
        Encap::Gue { csum, remcsum, .. } => {
            (if csum {
                gso::UDP_TUNNEL_CSUM
            } else {
                gso::UDP_TUNNEL
            }) | if remcsum { gso::TUNNEL_REMCSUM } else { 0 }
        }
        Encap::Gre { csum } => {
            if csum {
                gso::GRE_CSUM
            } else {
                gso::GRE
            }
        }
    };
    skb.tunnel_offloads(gso, encap::inner_protocol(ends.inner))?;
    match enc {
        Encap::Ipip => {}
        Encap::Gue {
            port,
            csum,
            remcsum,
        } => {
            let sport = skb.flow_src_port(net);
            // Remote checksum offload: where the inner checksum starts and is, for the
            // receiver to complete it.
            let where_ = if remcsum {
                let (start, offset) = skb.csum_start().ok_or(EINVAL)?;
                Some((u16::try_from(start).map_err(|_| EINVAL)?, offset))
            } else {
                None
            };
            let (h, len) = encap::gue_header(ends.inner, where_);
            skb.push(&h[..len])?;
            if remcsum && !skb.is_gso() {
                skb.csum_none();
            }
            let udp_len = skb.len() as usize + encap::UDP_HLEN;
            skb.push(&encap::udp_header(sport, port, udp_len))?;
            skb.reset_transport_header();
            skb.udp_set_csum(!csum, ends.outer, ends.saddr, ends.daddr);
        }
        Encap::Gre { csum } => {
            skb.push_gre(csum, Encap::gre_len(csum), encap::gre_protocol(ends.inner))?
        }
    }
    let protocol = enc.outer_protocol(ends.inner);
    match ends.outer {
        Family::V4 => skb.push(&encap::outer_ipv4(
            inner,
            pmtu_disc,
            protocol,
            ends.saddr.to_v4(),
            ends.daddr.to_v4(),
        ))?,
        Family::V6 => {
            // Like C, the payload length is the inner packet's (the output path sets the
            // real one).
            skb.push(&encap::outer_ipv6(
                inner,
                protocol,
                inner_len,
                ends.saddr.raw(),
                ends.daddr.raw(),
            ))?
        }
    }
    skb.reset_network_header();
    skb.clear_ip_options();
    if ends.outer == Family::V4 {
        skb.select_ident(net);
    }
    Ok(())
}

/// Where a tunnel error's packets are: the offsets (from the ICMP message's IP header) of the
/// outer IP header this host sent and of the client's packet inside it, and the tunnel's
/// headers' length.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TunnelErrorAt {
    pub(crate) outer: usize,
    pub(crate) inner: usize,
    pub(crate) overhead: usize,
}

/// Turns an ICMP error about a packet this host tunnelled to a real server (routed through
/// `cache`) into the same error to the client about its own packet, consuming it. For
/// "fragmentation needed" the route to the real server learns the smaller MTU, and a client
/// that discovers the path MTU is told what is left of it inside the tunnel (one that does
/// not gets nothing: its packets get fragmented). Returns whether an error was sent.
pub(crate) fn tunnel_error_to_client(
    net: Net,
    mut skb: SkBuff<'_>,
    cache: &RouteCache,
    at: TunnelErrorAt,
    (icmp_type, code, info): (u8, u8, u32),
) -> bool {
    let sent = relay_error(net, &mut skb, cache, at, icmp_type, code, info).is_ok();
    skb.consume();
    sent
}

fn relay_error(
    net: Net,
    skb: &mut SkBuff<'_>,
    cache: &RouteCache,
    TunnelErrorAt {
        outer,
        mut inner,
        overhead,
    }: TunnelErrorAt,
    icmp_type: u8,
    code: u8,
    mut info: u32,
) -> Result {
    if icmp_type == icmp::DEST_UNREACH && code == icmp::FRAG_NEEDED {
        let mut b = [0u8; 20];
        let df = skb.header(inner, &mut b).ok_or(EINVAL)?[6] & IPV4_DF != 0;
        let mut mtu = info & 0xffff;
        // The embedded outer header is the packet this host sent: its route learns the MTU.
        skb.pull(outer)?;
        skb.reset_network_header();
        skb.update_pmtu_of_header(net, mtu)?;
        if !df {
            return Err(EINVAL);
        }
        {
            let g = rcu::read_lock();
            if let Some((rt, _)) = cache.get(&g) {
                mtu = rt.mtu();
            }
        }
        let overhead = u32::try_from(overhead).map_err(|_| EINVAL)?;
        if mtu > 68u32.saturating_add(overhead) {
            mtu -= overhead;
        }
        info = mtu;
        inner = inner.checked_sub(outer).ok_or(EINVAL)?;
    }
    skb.pull(inner)?;
    skb.reset_network_header();
    skb.clear_ip_options();
    skb.may_pull(20)?;
    let mut b = [0u8; 1];
    let ihl = usize::from(skb.header(0, &mut b).ok_or(EINVAL)?[0] & 0x0f) * 4;
    if ihl < 20 {
        return Err(EINVAL);
    }
    skb.may_pull(ihl)?;
    skb.set_transport_header(ihl)?;
    skb.icmp_send(Family::V4, icmp_type, code, info);
    Ok(())
}
