// SPDX-License-Identifier: GPL-2.0

//! The output step every transmitter takes (C: `__ip_vs_get_out_rt` and the checks that follow
//! it in `net/netfilter/ipvs/ip_vs_xmit.c`, and their `_v6` twins): the route to the real
//! server, whether the packet may go to this host instead, the TTL or hop limit, and the path
//! MTU, one function for both families.

use crate::ipvs_proto::{
    self, icmp,
    inet::{Addr, Family, IPV6_HLEN},
    IPV4_DF, IPV4_TTL_OFF,
};
use crate::rust::{pernet::Net, route::RouteCache, skb::SkBuff};
use kernel::{prelude::*, sync::rcu};

/// The smallest IPv4 MTU (`IPV4_MIN_MTU`).
const IPV4_MIN_MTU: u32 = 68;
/// The hop limit's offset in the IPv6 header.
const IPV6_HOPS_OFF: usize = 7;

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

/// The smallest MTU of `family` (`IPV4_MIN_MTU`, `IPV6_MIN_MTU`).
fn min_mtu(family: Family) -> u32 {
    match family {
        Family::V4 => IPV4_MIN_MTU,
        Family::V6 => 1280,
    }
}

/// Routes the packet of `family` to `daddr` of `to_family` through `cache` (none: looked up
/// afresh), as C IPVS does for both families (they differ only for a tunnel to a real server
/// of the other family, whose outer header is of `to_family`):
/// - A local route is taken only by a packet that was itself for this host, or with
///   `redirect`; never with `non_local`, nor to a loopback address for a packet from the
///   network.
/// - Otherwise a packet from a loopback source is dropped, the TTL or hop limit is decremented
///   ("time exceeded" to the sender at 1), and the path MTU, less `overhead` (a tunnel's
///   headers, the outer IP header included), checked; a local sender learns a tunnel's
///   smaller MTU. An IPv4 packet with DF that does not fit gets "fragmentation needed" (unless
///   it is an ICMP error relayed, or a tunnel without `pmtu_disc`); an IPv6 packet that does
///   not fit (or was reassembled from a fragment that did not) gets "packet too big" (unless
///   it is an ICMP error relayed).
///
/// `Err`: the packet is to be dropped (the sender was told when C tells it).
pub(crate) fn out_route(
    net: Net,
    (skb, family): (&mut SkBuff<'_>, Family),
    cache: Option<&RouteCache>,
    (to_family, daddr): (Family, Addr),
    opts: RouteOpts,
    overhead: Option<usize>,
) -> Result<Routed> {
    let g = rcu::read_lock();
    let (rt, saddr) = match RouteCache::route(cache, &g, net, (to_family, daddr), opts.known_nh) {
        Ok(r) => r,
        Err(e) => {
            skb.link_failure(net);
            return Err(e);
        }
    };
    if rt.get().is_local() {
        let own = skb.route(family);
        let was_local = own.is_some_and(|r| r.is_local());
        let from_network = match family {
            Family::V4 => own.is_some_and(|r| r.is_input()),
            Family::V6 => skb.has_dev() && !skb.dev_is_loopback(),
        };
        let ok = !opts.non_local
            && (was_local || opts.redirect)
            && !(daddr.is_loopback(to_family) && from_network);
        return if ok { Ok(Routed::Local) } else { Err(EINVAL) };
    }
    let nh = skb.network_offset();
    let mut b = [0u8; IPV6_HLEN];
    let (ip, src) = match family {
        Family::V4 => {
            let ip = skb.header(nh, &mut b[..20]).ok_or(EINVAL)?;
            (ip, Addr::v4([ip[12], ip[13], ip[14], ip[15]]))
        }
        Family::V6 => {
            let ip = skb.header(nh, &mut b).ok_or(EINVAL)?;
            let mut a = [0u8; 16];
            a.copy_from_slice(&ip[8..24]);
            (ip, Addr::from_raw(&a))
        }
    };
    let (hops, df) = match family {
        Family::V4 => (ip[IPV4_TTL_OFF], ip[6] & IPV4_DF != 0),
        Family::V6 => (ip[IPV6_HOPS_OFF], true),
    };
    // Only a packet of this host may come from a loopback address (IPv6: from a loopback
    // device too).
    let from_loopback = src.is_loopback(family)
        && (family == Family::V4 || !skb.has_dev() || skb.dev_is_loopback());
    if from_loopback {
        return Err(EINVAL);
    }
    if hops <= 1 {
        skb.count_header_error(net, family);
        if family == Family::V6 {
            // The error leaves from the device the packet came in by.
            skb.set_dev_from_route();
        }
        let (t, c) = icmp::Error::TimeExceeded.type_code(family);
        skb.icmp_send(family, t, c, 0);
        return Err(EINVAL);
    }
    decrease_hops(skb, family, nh)?;
    let mut mtu = rt.get().mtu();
    if let Some(overhead) = overhead {
        mtu = u32::try_from(overhead)
            .ok()
            .and_then(|o| mtu.checked_sub(o))
            .filter(|&m| m >= min_mtu(to_family))
            .ok_or(EINVAL)?;
        if !skb.has_dev() && skb.has_full_socket() {
            skb.update_own_pmtu(mtu);
        }
    }
    let too_big = match family {
        Family::V4 => {
            (overhead.is_none() || opts.pmtu_disc) && df && !skb.fits_mtu(mtu) && !opts.icmp
        }
        Family::V6 => match skb.frag_max_size6() {
            Some(largest) => largest > mtu,
            None => !skb.fits_mtu(mtu),
        },
    };
    if too_big {
        if family == Family::V6 {
            skb.ensure_dev(net);
        }
        if !opts.icmp {
            let (t, c) = icmp::Error::TooBig.type_code(family);
            skb.icmp_send(family, t, c, mtu);
        }
        return Err(EINVAL);
    }
    let ll_space = rt.get().ll_space();
    skb.set_route(rt);
    Ok(Routed::Out { saddr, ll_space })
}

/// One hop less: IPv4's TTL and, incrementally, its header checksum (`ip_decrease_ttl`);
/// IPv6's hop limit.
fn decrease_hops(skb: &mut SkBuff<'_>, family: Family, nh: usize) -> Result {
    match family {
        Family::V4 => {
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
        Family::V6 => {
            skb.make_writable(nh + IPV6_HLEN)?;
            let hops: [u8; 1] = skb.linear_bytes(nh + IPV6_HOPS_OFF).ok_or(EINVAL)?;
            skb.write(nh + IPV6_HOPS_OFF, &[hops[0].saturating_sub(1)])
        }
    }
}
