// SPDX-License-Identifier: GPL-2.0

//! ICMP errors that concern an IPVS connection: the embedded packet's headers, and the checksum
//! arithmetic for rewriting them.
//!
//! C: `ip_vs_out_icmp` and `ip_vs_nat_icmp` in `net/netfilter/ipvs/ip_vs_core.c`.

use super::{
    inet::{Bytes, Family, Frag, IpHdr},
    Ipv4, Proto, TunnelKind,
};

/// `ICMP_DEST_UNREACH`.
pub(crate) const DEST_UNREACH: u8 = 3;
/// `ICMP_SOURCE_QUENCH`.
pub(crate) const SOURCE_QUENCH: u8 = 4;
/// `ICMP_TIME_EXCEEDED`.
pub(crate) const TIME_EXCEEDED: u8 = 11;
/// `ICMP_PORT_UNREACH` (code of [`DEST_UNREACH`]).
pub(crate) const PORT_UNREACH: u8 = 3;
/// `ICMP_FRAG_NEEDED` (code of [`DEST_UNREACH`]).
pub(crate) const FRAG_NEEDED: u8 = 4;
/// `ICMP_EXC_TTL` (code of [`TIME_EXCEEDED`]).
pub(crate) const EXC_TTL: u8 = 0;
/// The IP protocol number of ICMP.
pub(crate) const PROTO_ICMP: u8 = 1;
/// Length of the ICMP header (type, code, checksum, 4 bytes of rest).
pub(crate) const HDR_LEN: usize = 8;

/// An ICMP error about a TCP or UDP packet, as found after the outer IP header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Embedded {
    /// The embedded packet's protocol.
    pub(crate) proto: Proto,
    /// The embedded IP header.
    pub(crate) ip: Ipv4,
    /// Its source port (host order).
    pub(crate) sport: u16,
    /// Its destination port (host order).
    pub(crate) dport: u16,
}

/// Whether an ICMP type is one of the errors IPVS relays (C: unreachable, quench, TTL
/// exceeded).
pub(crate) fn is_relayed_error(icmp_type: u8) -> bool {
    matches!(icmp_type, DEST_UNREACH | SOURCE_QUENCH | TIME_EXCEEDED)
}

/// ICMPv6 (`IPPROTO_ICMPV6`).
pub(crate) const PROTO_ICMPV6: u8 = 58;

/// ICMPv6 types and codes this host sends (`ICMPV6_*`).
pub(crate) mod v6 {
    /// `ICMPV6_DEST_UNREACH`.
    pub(crate) const DEST_UNREACH: u8 = 1;
    /// `ICMPV6_PKT_TOOBIG`.
    pub(crate) const PKT_TOOBIG: u8 = 2;
    /// `ICMPV6_TIME_EXCEED`.
    pub(crate) const TIME_EXCEED: u8 = 3;
    /// `ICMPV6_PORT_UNREACH` (code of [`DEST_UNREACH`]).
    pub(crate) const PORT_UNREACH: u8 = 4;
    /// `ICMPV6_EXC_HOPLIMIT` (code of [`TIME_EXCEED`]).
    pub(crate) const EXC_HOPLIMIT: u8 = 0;
}

/// An error this host sends about a packet, in either family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Error {
    /// Nothing listens on the port (no real server for a new connection).
    PortUnreachable,
    /// The packet is larger than the path MTU ("fragmentation needed", "packet too big").
    TooBig,
    /// The TTL or hop limit ran out.
    TimeExceeded,
}

impl Error {
    /// Its ICMP (IPv4) or ICMPv6 type and code.
    pub(crate) fn type_code(self, family: Family) -> (u8, u8) {
        match (family, self) {
            (Family::V4, Self::PortUnreachable) => (DEST_UNREACH, PORT_UNREACH),
            (Family::V4, Self::TooBig) => (DEST_UNREACH, FRAG_NEEDED),
            (Family::V4, Self::TimeExceeded) => (TIME_EXCEEDED, EXC_TTL),
            (Family::V6, Self::PortUnreachable) => (v6::DEST_UNREACH, v6::PORT_UNREACH),
            (Family::V6, Self::TooBig) => (v6::PKT_TOOBIG, 0),
            (Family::V6, Self::TimeExceeded) => (v6::TIME_EXCEED, v6::EXC_HOPLIMIT),
        }
    }
}

/// The IP protocol number of ICMP in `family`.
pub(crate) fn proto_of(family: Family) -> u8 {
    match family {
        Family::V4 => PROTO_ICMP,
        Family::V6 => PROTO_ICMPV6,
    }
}

/// Whether an ICMP message of `family` with type `t` is an error IPVS relays: IPv4's
/// unreachable, quench and TTL exceeded; every ICMPv6 error (types below 128: C's test of
/// `ICMPV6_INFOMSG_MASK`).
pub(crate) fn is_relayed(family: Family, t: u8) -> bool {
    match family {
        Family::V4 => is_relayed_error(t),
        Family::V6 => t & 0x80 == 0,
    }
}

/// An ICMP or ICMPv6 error about a TCP or UDP packet, of either family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EmbeddedIn {
    /// The error's type and code.
    pub(crate) icmp_type: u8,
    pub(crate) code: u8,
    /// The embedded packet's IP header (its `len` reaches the transport header: IPv6's
    /// extension headers are walked as for any packet), and where it starts in the packet.
    pub(crate) ip: IpHdr,
    pub(crate) at: usize,
    /// The embedded packet's protocol and ports (host order): for AH and ESP, the UDP ISAKMP
    /// ones their connections go by (see [`EmbeddedIn::ipsec`]).
    pub(crate) proto: Proto,
    pub(crate) sport: u16,
    pub(crate) dport: u16,
    /// The embedded packet is AH or ESP: it has no ports of its own to rewrite.
    pub(crate) ipsec: bool,
}

/// Parses the ICMP (IPv4) or ICMPv6 message at `ioff` of packet `p` of `family` as an error
/// about a TCP, UDP, SCTP, AH or ESP packet (C: the first steps of `ip_vs_in_icmp`,
/// `ip_vs_out_icmp` and their `_v6` twins). `None` leaves the message alone: another type, an
/// embedded header that is short, insane or of the other family, another protocol, or an
/// embedded fragment that is not the first (it has no transport header).
pub(crate) fn parse_error(
    p: &(impl Bytes + ?Sized),
    ioff: usize,
    family: Family,
) -> Option<EmbeddedIn> {
    let mut hb = [0u8; 2];
    let (icmp_type, code) = match p.read(ioff, &mut hb)? {
        &[t, c] => (t, c),
        _ => return None,
    };
    if !is_relayed(family, icmp_type) {
        return None;
    }
    let at = ioff + HDR_LEN;
    let ip = match family {
        Family::V4 => {
            let mut b = [0u8; 20];
            IpHdr::from(Ipv4::parse(p.read(at, &mut b)?)?)
        }
        Family::V6 => IpHdr::parse_v6(p, at)?,
    };
    let ipsec = matches!(ip.protocol, super::AH | super::ESP);
    let proto = if ipsec {
        Proto::Udp
    } else {
        Proto::from_ip(ip.protocol)?
    };
    if ip.frag == Frag::Later {
        return None;
    }
    let (sport, dport) = if ipsec {
        let (_, s, d) = super::ipsec_key_ports();
        (s, d)
    } else {
        let mut pb = [0u8; 4];
        super::ports(p.read(at + ip.len, &mut pb)?)?
    };
    Some(EmbeddedIn {
        icmp_type,
        code,
        ip,
        at,
        proto,
        sport,
        dport,
        ipsec,
    })
}

/// An ICMP error about a packet this host tunnelled to a real server: the error was sent to
/// the tunnel's outer source (this host) and embeds the outer header, the tunnel's headers and
/// the start of the client's packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TunnelError {
    /// ICMP type, code and the rest of the header (for "fragmentation needed": the MTU in its
    /// low 16 bits).
    pub(crate) icmp_type: u8,
    pub(crate) code: u8,
    pub(crate) info: u32,
    /// The tunnel (IP-in-IP, GUE or GRE), and for GUE its UDP destination port.
    pub(crate) kind: TunnelKind,
    pub(crate) gue_port: u16,
    /// The outer header's destination: the real server.
    pub(crate) daddr: [u8; 4],
    /// Bytes of outer IP header and tunnel headers before the client's packet.
    pub(crate) overhead: usize,
    /// The client's packet.
    pub(crate) inner: Embedded,
}

/// Parses an ICMP error about a tunnelled packet (C: the tunnel cases of `ip_vs_in_icmp`, with
/// `ipvs_udp_decap` and `ipvs_gre_decap`). `b` holds the ICMP message from its header on, as
/// much of it as there is. IP-in-IP, GUE (version 0, no control message, carrying IPv4) and GRE
/// (version 0, no flags but the checksum, carrying IPv4) are recognised; whether the tunnel is
/// one of this host's is for the caller to check (by the connection of the client's packet).
pub(crate) fn parse_tunnel_error(b: &[u8]) -> Option<TunnelError> {
    let icmp_type = *b.first()?;
    if !is_relayed_error(icmp_type) {
        return None;
    }
    let info = u32::from_be_bytes(b.get(4..8)?.try_into().ok()?);
    let outer_at = HDR_LEN;
    let outer = Ipv4::parse(b.get(outer_at..)?)?;
    // Only a first fragment has the tunnel's headers.
    if outer.is_later_fragment() {
        return None;
    }
    let t = outer_at + outer.ihl;
    let (kind, gue_port, tun_len) = match outer.protocol {
        4 => (TunnelKind::Ipip, 0, 0),
        17 => {
            let udp = b.get(t..t + 8)?;
            let gue = b.get(t + 8..t + 12)?;
            // Version 0, not a control message, carrying IPv4.
            if gue[0] >> 5 != 0 || gue[1] != 4 {
                return None;
            }
            (
                TunnelKind::Gue,
                u16::from_be_bytes([udp[2], udp[3]]),
                8 + 4 + usize::from(gue[0] & 0x1f) * 4,
            )
        }
        47 => {
            let gre = b.get(t..t + 4)?;
            let flags = u16::from_be_bytes([gre[0], gre[1]]);
            // Version 0 and at most a checksum (C bit), carrying IPv4.
            if flags & !0x8000 != 0 || u16::from_be_bytes([gre[2], gre[3]]) != 0x0800 {
                return None;
            }
            (TunnelKind::Gre, 0, if flags & 0x8000 != 0 { 8 } else { 4 })
        }
        _ => return None,
    };
    let at = t + tun_len;
    let ip = Ipv4::parse(b.get(at..)?)?;
    let proto = Proto::from_ip(ip.protocol)?;
    if ip.is_later_fragment() {
        return None;
    }
    let (sport, dport) = super::ports(b.get(at + ip.ihl..)?)?;
    Some(TunnelError {
        icmp_type,
        code: *b.get(1)?,
        info,
        kind,
        gue_port,
        daddr: outer.daddr,
        overhead: outer.ihl + tun_len,
        inner: Embedded {
            proto,
            ip,
            sport,
            dport,
        },
    })
}

/// The one's-complement sum of `b` as 16-bit big-endian words (an odd last byte is padded).
pub(crate) fn sum16(b: &[u8], mut acc: u32) -> u32 {
    let mut it = b.chunks_exact(2);
    for w in &mut it {
        acc = acc.wrapping_add(u32::from(u16::from_be_bytes([w[0], w[1]])));
        acc = (acc & 0xffff) + (acc >> 16);
    }
    if let [last] = it.remainder() {
        acc = acc.wrapping_add(u32::from(*last) << 8);
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc
}

/// The internet checksum to store for data summing to `acc` (with the checksum field zero).
pub(crate) fn fold(acc: u32) -> [u8; 2] {
    let mut a = acc;
    while a >> 16 != 0 {
        a = (a & 0xffff) + (a >> 16);
    }
    (!(a as u16)).to_be_bytes()
}

/// The checksum of an IPv4 header (`ihl` bytes, its checksum field taken as zero).
pub(crate) fn ipv4_header_checksum(h: &[u8]) -> [u8; 2] {
    let acc = sum16(h.get(..super::IPV4_CSUM_OFF).unwrap_or(h), 0);
    fold(sum16(h.get(super::IPV4_CSUM_OFF + 2..).unwrap_or(&[]), acc))
}
