// SPDX-License-Identifier: GPL-2.0

//! Transmitters: how a scheduled packet reaches its real server, and how replies are
//! rewritten on their way back (C: `net/netfilter/ipvs/ip_vs_xmit.c`).
//!
//! - [`route`]: the output step they share (route, local delivery rules, TTL, MTU).
//! - [`tunnel`]: IP-in-IP, GUE and GRE, and the ICMP errors about tunnelled packets.
//! - [`encap`]: the tunnel headers as bytes (pure, host-tested).

pub(crate) mod encap;
pub(crate) mod route;
pub(crate) mod tunnel;

use crate::ipvs_conn::{
    nfct::{self, Nat},
    Conn,
};
use crate::ipvs_proto::{
    self,
    inet::{Addr, Family},
    sctp, Proto, TunnelKind,
};
use crate::rust::{
    pernet::{Net, Sysctl, Sysctls},
    route::RouteCache,
    skb::{SkBuff, Verdict},
};
use kernel::prelude::*;
use route::{out_route, RouteOpts, Routed};

/// A tunnel destination's encapsulation settings.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tunnel {
    /// IP-in-IP, GUE or GRE.
    pub(crate) kind: TunnelKind,
    /// `IP_VS_TUNNEL_ENCAP_FLAG_*` (checksum, remote checksum offload).
    pub(crate) flags: u16,
    /// GUE's UDP destination port.
    pub(crate) port: u16,
}

/// The packet, for a real server on this host, continues up the stack (claimed by the
/// caller), without the socket early demux found for it unless `keep_sk` (its address and port
/// were not changed).
pub(crate) fn deliver_local(mut skb: SkBuff<'_>, keep_sk: bool) -> Verdict {
    if !keep_sk && skb.has_dev() {
        skb.orphan();
    }
    Verdict::Accept
}

/// Sends a routed packet of `family` on through the `LOCAL_OUT` hooks (which see it as IPVS's).
fn send(net: Net, family: Family, mut skb: SkBuff<'_>) -> Verdict {
    if skb.has_dev() {
        skb.orphan();
    }
    skb.prepare_xmit();
    skb.nf_local_out(net, family)
}

/// The output step without a tunnel, to `to` (family and address): `Ok(true)` when the packet
/// is to be delivered here.
fn route_plain(
    net: Net,
    skb: &mut SkBuff<'_>,
    cache: Option<&RouteCache>,
    to: (Family, Addr),
    opts: RouteOpts,
) -> Result<bool> {
    Ok(matches!(
        out_route(net, (skb, to.0), cache, to, opts, None)?,
        Routed::Local
    ))
}

/// The endpoint of a packet that NAT rewrites.
#[derive(Clone, Copy)]
enum End {
    /// The source (replies from a real server).
    Src,
    /// The destination (requests to a real server).
    Dst,
}

/// Where NAT finds a packet's ports: the transport protocol and the offset of its header.
/// AH and ESP have none (`None`): only their addresses change.
pub(crate) type Ports = Option<(Proto, usize)>;

/// Rewrites one endpoint of a packet of `family` to `addr` and `port` (`l4`: where its ports
/// are), and fixes the checksums: IPv4's header checksum, and the transport checksum (TCP's
/// and UDP's pseudo-header holds the address; SCTP's CRC32c covers the port).
fn rewrite(
    skb: &mut SkBuff<'_>,
    family: Family,
    l4: Ports,
    end: End,
    addr: Addr,
    port: u16,
) -> Result {
    let (saddr_off, daddr_off) = ipvs_proto::addr_offsets(family);
    let (addr_off, port_off) = match end {
        End::Src => (saddr_off, 0),
        End::Dst => (daddr_off, 2),
    };
    let nh = skb.network_offset();
    let Some((proto, l4off)) = l4 else {
        skb.make_writable(nh + addr_off + family.addr_len())?;
        skb.write(nh + addr_off, addr.bytes(family))?;
        if family == Family::V4 {
            skb.ip_send_check();
        }
        return Ok(());
    };
    skb.make_writable(l4off + proto.hdr_len())?;
    // The headers are linear now.
    let old_addr = match family {
        Family::V4 => Addr::v4(skb.linear_bytes(nh + addr_off).ok_or(EINVAL)?),
        Family::V6 => Addr::from_raw(&skb.linear_bytes(nh + addr_off).ok_or(EINVAL)?),
    };
    let old_port: [u8; 2] = skb.linear_bytes(l4off + port_off).ok_or(EINVAL)?;
    let new_port = port.to_be_bytes();
    let csum_off = l4off + proto.csum_off();
    if proto == Proto::Sctp {
        skb.write(l4off + port_off, &new_port)?;
        sctp_csum(skb, l4off, old_port != new_port)?;
    } else {
        let old_csum: [u8; 2] = skb.linear_bytes(csum_off).ok_or(EINVAL)?;
        // A UDP checksum of zero means "none" and stays so.
        let fix_l4 = proto == Proto::Tcp || old_csum != [0, 0] || skb.csum_partial();
        if fix_l4 {
            skb.csum_nat(csum_off, family, (old_addr, addr), (old_port, new_port))?;
            // A computed UDP checksum of zero is sent as all ones.
            if proto == Proto::Udp
                && !skb.csum_partial()
                && skb.linear_bytes(csum_off) == Some([0, 0])
            {
                skb.write(csum_off, &[0xff, 0xff])?;
            }
        }
        skb.write(l4off + port_off, &new_port)?;
    }
    skb.write(nh + addr_off, addr.bytes(family))?;
    if family == Family::V4 {
        skb.ip_send_check();
    }
    Ok(())
}

/// The CRC32c of an SCTP packet (common header at `l4off`, writable) after NAT: computed
/// again when a port changed (`changed`) or the sender left it to offload, unless segmentation
/// will compute it; the packet is then marked as checked (the addresses are not in it).
fn sctp_csum(skb: &mut SkBuff<'_>, l4off: usize, changed: bool) -> Result {
    if skb.is_gso() {
        return Ok(());
    }
    if changed || skb.csum_partial() {
        let at = l4off + sctp::CSUM_OFF;
        skb.write(at, &[0; 4])?;
        let crc = skb.crc32c(l4off).ok_or(EINVAL)?;
        skb.write(at, &sctp::checksum_bytes(crc))?;
    }
    skb.set_csum_unnecessary();
    Ok(())
}

/// NAT: sends a client packet to the connection's real server (`ip_vs_nat_xmit`'s job). A real
/// server on this host gets the rewritten packet through local delivery.
pub(crate) fn nat_xmit(net: Net, mut skb: SkBuff<'_>, c: &Conn, l4: Ports) -> Verdict {
    let daddr = c.daddr();
    let opts = RouteOpts {
        redirect: true,
        ..Default::default()
    };
    let Ok(local) = route_plain(net, &mut skb, c.route(), (c.family(), daddr), opts) else {
        return Verdict::Drop;
    };
    let dport = c.dport;
    if rewrite(&mut skb, c.family(), l4, End::Dst, daddr, dport).is_err() {
        return Verdict::Drop;
    }
    nfct::claim_nat(&mut skb, c, Nat::ToServer);
    if local {
        return deliver_local(skb, daddr == c.vaddr() && dport == c.vport());
    }
    // The MTU was checked by the route step.
    skb.set_ignore_df();
    send(net, c.family(), skb)
}

/// NAT for an ICMP error about a connection: routes it to the real server, lets `rewrite`
/// translate it, and sends it (`ip_vs_icmp_xmit`'s NAT case), or delivers it here for a real
/// server on this host (not for an error being `forwarded`: dropped, as C's).
pub(crate) fn icmp_nat_xmit(
    net: Net,
    mut skb: SkBuff<'_>,
    c: &Conn,
    forwarded: bool,
    rewrite: impl FnOnce(&mut SkBuff<'_>) -> Result,
) -> Verdict {
    // Like C, a real server on this host is not reached from the FORWARD hook.
    let opts = RouteOpts {
        icmp: true,
        redirect: !forwarded,
        non_local: forwarded,
        ..Default::default()
    };
    let Ok(local) = route_plain(net, &mut skb, c.route(), (c.family(), c.daddr()), opts) else {
        return Verdict::Drop;
    };
    if rewrite(&mut skb).is_err() {
        return Verdict::Drop;
    }
    nfct::claim_nat(&mut skb, c, Nat::ToServer);
    if local {
        return deliver_local(skb, false);
    }
    skb.set_ignore_df();
    send(net, c.family(), skb)
}

/// Direct routing: the packet goes out unchanged but for its TTL, to the real server's
/// link-layer address (the real server, which also has the virtual address, answers the client
/// directly). A real server that is this host gets the packet through local delivery. `icmp`:
/// the packet is an ICMP error relayed to the real server.
pub(crate) fn dr_xmit(net: Net, skb: SkBuff<'_>, c: &Conn, icmp: bool) -> Verdict {
    send_unchanged(
        net,
        (skb, c.nfct()),
        c.route(),
        (c.family(), c.daddr()),
        RouteOpts {
            known_nh: true,
            icmp,
            ..Default::default()
        },
    )
}

/// Routes a packet that leaves as it is but for its TTL (direct routing, cache bypass) by
/// `cache` to `to` and sends it; a local route delivers it here. `nfct`: its connection keeps
/// conntrack entries.
fn send_unchanged(
    net: Net,
    (mut skb, nfct): (SkBuff<'_>, bool),
    cache: Option<&RouteCache>,
    to: (Family, Addr),
    opts: RouteOpts,
) -> Verdict {
    let local = match route_plain(net, &mut skb, cache, to, opts) {
        Ok(local) => local,
        Err(_) => return Verdict::Drop,
    };
    nfct::claim(&mut skb, nfct);
    if local {
        return deliver_local(skb, true);
    }
    if to.0 == Family::V4 {
        skb.ip_send_check();
    }
    skb.set_ignore_df();
    send(net, to.0, skb)
}

/// Tunnelling (IP-in-IP, GUE or GRE as the destination says): the packet goes to the real
/// server inside an outer header of the real server's family (an IPv4 service's packets may
/// go to an IPv6 real server, and the reverse); the real server decapsulates it (its tunnel
/// device has the virtual address) and answers the client directly. `icmp` as for
/// [`dr_xmit`].
pub(crate) fn tun_xmit(
    net: Net,
    sysctls: &Sysctls,
    skb: SkBuff<'_>,
    c: &Conn,
    icmp: bool,
) -> Verdict {
    let Some(dest) = c.dest.as_ref() else {
        return Verdict::Drop;
    };
    let opts = tunnel::TunOpts {
        pmtu_disc: sysctls.get(Sysctl::PmtuDisc) != 0,
        icmp,
        nfct: c.nfct(),
    };
    tunnel::tun_xmit(
        net,
        (skb, c.family()),
        c.route(),
        (dest.family(), c.daddr()),
        c.tunnel(),
        opts,
    )
}

/// Cache bypass: a packet for a firewall-mark service that has no destination for it goes to
/// its own destination address, unchanged but for its TTL (`ip_vs_bypass_xmit`): never to this
/// host, whatever the rule that delivered it here. `nfct` as for [`send_unchanged`].
pub(crate) fn bypass_xmit(net: Net, skb: (SkBuff<'_>, bool), to: (Family, Addr)) -> Verdict {
    send_unchanged(
        net,
        skb,
        None,
        to,
        RouteOpts {
            non_local: true,
            ..Default::default()
        },
    )
}

/// NAT replies: the real server's address becomes the virtual service's (`snat_handler`).
pub(crate) fn nat_reply(skb: &mut SkBuff<'_>, c: &Conn, l4: Ports) -> Result {
    rewrite(skb, c.family(), l4, End::Src, c.vaddr(), c.vport())
}
