// SPDX-License-Identifier: GPL-2.0

//! The output step every transmitter takes (C: `__ip_vs_get_out_rt` and the checks that follow
//! it in `net/netfilter/ipvs/ip_vs_xmit.c`): the route to the real server, whether the packet
//! may go to this host instead, the TTL, and the path MTU.

use crate::ipvs_proto::{
    self, icmp,
    inet::{Addr, Family},
    IPV4_DF, IPV4_TTL_OFF,
};
use crate::rust::{pernet::Net, route::RouteCache, skb::SkBuff};
use kernel::{prelude::*, sync::rcu};

/// The smallest IPv4 MTU (`IPV4_MIN_MTU`).
const IPV4_MIN_MTU: u32 = 68;

/// How a transmitter routes a packet.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RouteOpts {
    /// The destination is the next hop whatever the packet's own destination (direct routing).
    pub(crate) known_nh: bool,
    /// The packet is an ICMP error being relayed: it never gets "fragmentation needed".
    pub(crate) icmp: bool,
    /// The `pmtu_disc` sysctl: tunnels copy DF and check the path MTU.
    pub(crate) pmtu_disc: bool,
    /// NAT: a packet being forwarded may be turned to a real server on this host.
    pub(crate) redirect: bool,
    /// Never to this host (cache bypass), even for a packet that was for it.
    pub(crate) non_local: bool,
}

/// Where the output step leaves a packet.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Routed {
    /// The destination is this host: the packet goes up the stack as it is.
    Local,
    /// The packet has its output route; `saddr` is the route's preferred source, `ll_space`
    /// the room its device's link-layer header needs.
    Out { saddr: Addr, ll_space: u32 },
}

/// The output step of a packet of `family` to `daddr`: [`out_route4`] for IPv4.
pub(crate) fn out_route(
    net: Net,
    skb: &mut SkBuff<'_>,
    cache: Option<&RouteCache>,
    (family, daddr): (Family, Addr),
    opts: RouteOpts,
    overhead: Option<usize>,
) -> Result<Routed> {
    match family {
        Family::V4 => out_route4(net, skb, cache, daddr.to_v4(), opts, overhead),
        // IPv6's output step comes with the IPv6 datapath: no IPv6 hook is registered yet, and
        // an IPv4 service's IPv6 tunnel real server is refused before this.
        Family::V6 => Err(EAFNOSUPPORT),
    }
}

/// Routes the packet to `daddr` through `cache` (none: looked up afresh), as C IPVS does:
/// - A local route is taken only by a packet that was itself for this host, or with
///   `redirect`; never with `non_local`, nor to a loopback address for a packet from the
///   network.
/// - Otherwise a packet from a loopback source is dropped, the TTL is decremented ("time
///   exceeded" to the sender at 1), and the path MTU, less `overhead` (a tunnel's headers, the
///   outer IP header included), checked: a DF packet that does not fit gets "fragmentation
///   needed" (unless it is an ICMP error relayed, or a tunnel without `pmtu_disc`); a local
///   sender learns a tunnel's smaller MTU.
///
/// `Err`: the packet is to be dropped (the sender was told when C tells it).
pub(crate) fn out_route4(
    net: Net,
    skb: &mut SkBuff<'_>,
    cache: Option<&RouteCache>,
    daddr: [u8; 4],
    opts: RouteOpts,
    overhead: Option<usize>,
) -> Result<Routed> {
    let g = rcu::read_lock();
    let (rt, saddr) = match RouteCache::route(cache, &g, net, daddr, opts.known_nh) {
        Ok(r) => r,
        Err(e) => {
            skb.link_failure(net);
            return Err(e);
        }
    };
    if rt.get().is_local() {
        let own = skb.route();
        let was_local = own.is_some_and(|r| r.is_local());
        let from_network = own.is_some_and(|r| r.is_input());
        let ok = !opts.non_local
            && (was_local || opts.redirect)
            && !(Addr::v4(daddr).is_loopback(Family::V4) && from_network);
        return if ok { Ok(Routed::Local) } else { Err(EINVAL) };
    }
    let nh = skb.network_offset();
    let mut b = [0u8; 20];
    let ip = skb.header(nh, &mut b).ok_or(EINVAL)?;
    let (ttl, df) = (ip[IPV4_TTL_OFF], ip[6] & IPV4_DF != 0);
    if Addr::v4([ip[12], ip[13], ip[14], ip[15]]).is_loopback(Family::V4) {
        return Err(EINVAL);
    }
    if ttl <= 1 {
        skb.count_header_error(net);
        skb.icmp_send(icmp::TIME_EXCEEDED, icmp::EXC_TTL, 0);
        return Err(EINVAL);
    }
    decrease_ttl(skb, nh)?;
    let mut mtu = rt.get().mtu();
    if let Some(overhead) = overhead {
        mtu = u32::try_from(overhead)
            .ok()
            .and_then(|o| mtu.checked_sub(o))
            .filter(|&m| m >= IPV4_MIN_MTU)
            .ok_or(EINVAL)?;
        if !skb.has_dev() && skb.has_full_socket() {
            skb.update_own_pmtu(mtu);
        }
    }
    if (overhead.is_none() || opts.pmtu_disc) && df && !skb.fits_mtu(mtu) && !opts.icmp {
        skb.icmp_send(icmp::DEST_UNREACH, icmp::FRAG_NEEDED, mtu);
        return Err(EINVAL);
    }
    let ll_space = rt.get().ll_space();
    skb.set_route(rt);
    Ok(Routed::Out {
        saddr: Addr::v4(saddr),
        ll_space,
    })
}

/// One hop less (`ip_decrease_ttl`): the TTL and, incrementally, the header checksum.
fn decrease_ttl(skb: &mut SkBuff<'_>, nh: usize) -> Result {
    skb.make_writable(nh + 20)?;
    let ttl: [u8; 1] = skb.linear_bytes(nh + IPV4_TTL_OFF).ok_or(EINVAL)?;
    let csum: [u8; 2] = skb
        .linear_bytes(nh + ipvs_proto::IPV4_CSUM_OFF)
        .ok_or(EINVAL)?;
    skb.write(nh + IPV4_TTL_OFF, &[ttl[0].saturating_sub(1)])?;
    skb.write(
        nh + ipvs_proto::IPV4_CSUM_OFF,
        &ipvs_proto::csum_after_ttl_decrement(csum),
    )
}
