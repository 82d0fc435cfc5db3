// SPDX-License-Identifier: GPL-2.0

//! Tunnel encapsulation, as bytes: which headers a tunnel destination's packets get, how long
//! they are, and the GUE, UDP and outer IPv4 or IPv6 headers themselves (GRE's is the kernel's
//! `gre_build_header`). The outer header is of the real server's family, the inner packet of
//! the service's: IPv4 or IPv6 in either. Pure: no kernel types.
//!
//! C: `ip_vs_tunnel_xmit`, `ip_vs_tunnel_xmit_v6`, `ipvs_gue_encap` and `ipvs_gre_encap` in
//! `net/netfilter/ipvs/ip_vs_xmit.c`.

use crate::ipvs_ctl::uapi::{TUNNEL_ENCAP_FLAG_CSUM, TUNNEL_ENCAP_FLAG_REMCSUM};
use crate::ipvs_proto::{
    inet::{Family, IPV6_HLEN},
    TunnelKind,
};

/// Length of an IPv4 header without options.
pub(crate) const IPV4_HLEN: usize = 20;
/// Length of a UDP header.
pub(crate) const UDP_HLEN: usize = 8;
/// Length of the GUE base header.
pub(crate) const GUE_HLEN: usize = 4;
/// Length of GUE's private flags word, and of the remote checksum offload option after it.
const GUE_LEN_PRIV: usize = 4;
const GUE_PLEN_REMCSUM: usize = 4;
/// GUE: the private flags word follows (`GUE_FLAG_PRIV`, in the header's flags).
const GUE_FLAG_PRIV: u16 = 1;
/// GUE private flag: remote checksum offload (`GUE_PFLAG_REMCSUM`).
const GUE_PFLAG_REMCSUM: u32 = 1 << 31;
/// IP protocol numbers of what the outer header carries.
pub(crate) const IPPROTO_IPIP: u8 = 4;
pub(crate) const IPPROTO_IPV6: u8 = 41;
pub(crate) const IPPROTO_UDP: u8 = 17;
pub(crate) const IPPROTO_GRE: u8 = 47;
/// The IPv4 "don't fragment" bit, in the flags byte of the header.
const IP_DF: u8 = 0x40;
/// GRE's protocol types of the inner packet (`ETH_P_IP`, `ETH_P_IPV6`).
pub(crate) const ETH_P_IP: u16 = 0x0800;
pub(crate) const ETH_P_IPV6: u16 = 0x86dd;

/// The length of an outer header of `family` (without options or extension headers).
pub(crate) fn outer_hlen(family: Family) -> usize {
    match family {
        Family::V4 => IPV4_HLEN,
        Family::V6 => IPV6_HLEN,
    }
}

/// The IP protocol number of a packet of `inner` family carried directly by IP (IP-in-IP: 4,
/// IPv6: 41), as the outer header or GUE names it.
pub(crate) fn inner_protocol(inner: Family) -> u8 {
    match inner {
        Family::V4 => IPPROTO_IPIP,
        Family::V6 => IPPROTO_IPV6,
    }
}

/// GRE's protocol type for a packet of `inner` family.
pub(crate) fn gre_protocol(inner: Family) -> u16 {
    match inner {
        Family::V4 => ETH_P_IP,
        Family::V6 => ETH_P_IPV6,
    }
}

/// A tunnel destination's encapsulation of one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encap {
    /// IP-in-IP (also any unknown type, as C treats it).
    Ipip,
    /// GUE over UDP to `port`: with a UDP checksum (`csum`), and with remote checksum offload
    /// (`remcsum`: asked for, and the packet's checksum is left to offload).
    Gue {
        port: u16,
        csum: bool,
        remcsum: bool,
    },
    /// GRE, with its checksum (`csum`).
    Gre { csum: bool },
}

impl Encap {
    /// The encapsulation of a packet for a destination of tunnel `kind` with `flags`
    /// (`IP_VS_TUNNEL_ENCAP_FLAG_*`) and GUE `port`; `csum_partial`: the packet's transport
    /// checksum is left to offload (remote checksum offload needs that).
    pub(crate) fn new(kind: TunnelKind, flags: u16, port: u16, csum_partial: bool) -> Self {
        let csum = flags & TUNNEL_ENCAP_FLAG_CSUM != 0;
        match kind {
            TunnelKind::Gue => Self::Gue {
                port,
                csum: csum || flags & TUNNEL_ENCAP_FLAG_REMCSUM != 0,
                remcsum: flags & TUNNEL_ENCAP_FLAG_REMCSUM != 0 && csum_partial,
            },
            TunnelKind::Gre => Self::Gre { csum },
            TunnelKind::Ipip | TunnelKind::Other => Self::Ipip,
        }
    }

    /// The length of GUE's header with its options.
    fn gue_len(remcsum: bool) -> usize {
        GUE_HLEN
            + if remcsum {
                GUE_LEN_PRIV + GUE_PLEN_REMCSUM
            } else {
                0
            }
    }

    /// The length of the GRE header.
    pub(crate) fn gre_len(csum: bool) -> usize {
        // The base header, and the checksum word with its reserved half.
        4 + if csum { 4 } else { 0 }
    }

    /// The headers it adds in front of the packet, the outer header (of `outer` family)
    /// included.
    pub(crate) fn overhead(self, outer: Family) -> usize {
        outer_hlen(outer)
            + match self {
                Self::Ipip => 0,
                Self::Gue { remcsum, .. } => UDP_HLEN + Self::gue_len(remcsum),
                Self::Gre { csum } => Self::gre_len(csum),
            }
    }

    /// The IP protocol of what the outer header carries, for an inner packet of `inner` family.
    pub(crate) fn outer_protocol(self, inner: Family) -> u8 {
        match self {
            Self::Ipip => inner_protocol(inner),
            Self::Gue { .. } => IPPROTO_UDP,
            Self::Gre { .. } => IPPROTO_GRE,
        }
    }
}

/// A GUE header (variant 0, carrying a packet of `inner` family) and its length. With
/// `remcsum`, the offsets (from the start of the inner packet) where the inner checksum's
/// coverage starts and where the checksum is: the receiver completes it (remote checksum
/// offload).
pub(crate) fn gue_header(inner: Family, remcsum: Option<(u16, u16)>) -> ([u8; 12], usize) {
    let len = Encap::gue_len(remcsum.is_some());
    let mut h = [0u8; 12];
    // Version 0, not a control message: the byte is the options' length in words.
    h[0] = ((len - GUE_HLEN) / 4) as u8;
    h[1] = inner_protocol(inner);
    if let Some((start, offset)) = remcsum {
        h[2..4].copy_from_slice(&GUE_FLAG_PRIV.to_be_bytes());
        h[4..8].copy_from_slice(&GUE_PFLAG_REMCSUM.to_be_bytes());
        h[8..10].copy_from_slice(&start.to_be_bytes());
        h[10..12].copy_from_slice(&start.wrapping_add(offset).to_be_bytes());
    }
    (h, len)
}

/// A UDP header from `sport` to `dport` for `len` bytes (header included), its checksum left
/// to be set.
pub(crate) fn udp_header(sport: u16, dport: u16, len: usize) -> [u8; UDP_HLEN] {
    let mut h = [0u8; UDP_HLEN];
    h[0..2].copy_from_slice(&sport.to_be_bytes());
    h[2..4].copy_from_slice(&dport.to_be_bytes());
    // A length beyond 16 bits (a GSO packet) is written as 0, the segments get theirs.
    h[4..6].copy_from_slice(&u16::try_from(len).unwrap_or(0).to_be_bytes());
    h
}

/// The outer DS field for an inner one (`INET_ECN_encapsulate`): the inner DSCP, and its ECN
/// codepoint unless that is "congestion experienced", which becomes ECT(0).
pub(crate) fn ecn_encapsulate(tos: u8) -> u8 {
    let ecn = tos & 3;
    (tos & !3) | if ecn == 3 { 2 } else { ecn }
}

/// What the outer header takes from the inner packet's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Inner {
    /// The DS field (IPv6: the traffic class).
    pub(crate) tos: u8,
    /// The TTL or hop limit (already decremented).
    pub(crate) ttl: u8,
    /// Whether "don't fragment" is set (never for IPv6).
    pub(crate) df: bool,
}

impl Inner {
    /// Reads them from the inner IP header `h` of `family` (20 bytes of IPv4, 40 of IPv6).
    pub(crate) fn of(family: Family, h: &[u8]) -> Option<Self> {
        match family {
            Family::V4 if h.len() >= IPV4_HLEN => Some(Self {
                tos: h[1],
                ttl: h[8],
                df: h[6] & IP_DF != 0,
            }),
            Family::V6 if h.len() >= IPV6_HLEN => Some(Self {
                tos: (h[0] << 4) | (h[1] >> 4),
                ttl: h[7],
                df: false,
            }),
            _ => None,
        }
    }
}

/// The outer IPv4 header of a tunnelled packet: no options; the DS field (ECN encapsulated) and
/// TTL from `inner`, and its DF bit with `pmtu_disc`; total length, identification and checksum
/// left zero (the output path sets them).
pub(crate) fn outer_ipv4(
    inner: Inner,
    pmtu_disc: bool,
    protocol: u8,
    saddr: [u8; 4],
    daddr: [u8; 4],
) -> [u8; IPV4_HLEN] {
    let mut h = [0u8; IPV4_HLEN];
    h[0] = 0x45;
    h[1] = ecn_encapsulate(inner.tos);
    if pmtu_disc && inner.df {
        h[6] = IP_DF;
    }
    h[8] = inner.ttl;
    h[9] = protocol;
    h[12..16].copy_from_slice(&saddr);
    h[16..20].copy_from_slice(&daddr);
    h
}

/// The outer IPv6 header of a tunnelled packet: the traffic class (ECN encapsulated) and hop
/// limit from `inner`, flow label 0, `payload_len` (0 beyond 16 bits: the output path sets it
/// anyway) and `protocol` as next header.
pub(crate) fn outer_ipv6(
    inner: Inner,
    protocol: u8,
    payload_len: usize,
    saddr: &[u8; 16],
    daddr: &[u8; 16],
) -> [u8; IPV6_HLEN] {
    let mut h = [0u8; IPV6_HLEN];
    let tc = ecn_encapsulate(inner.tos);
    h[0] = 0x60 | (tc >> 4);
    h[1] = tc << 4;
    h[4..6].copy_from_slice(&u16::try_from(payload_len).unwrap_or(0).to_be_bytes());
    h[6] = protocol;
    h[7] = inner.ttl;
    h[8..24].copy_from_slice(saddr);
    h[24..40].copy_from_slice(daddr);
    h
}
