// SPDX-License-Identifier: GPL-2.0

//! ICMP errors that concern an IPVS connection: the embedded packet's headers, and the checksum
//! arithmetic for rewriting them.
//!
//! C: `ip_vs_out_icmp` and `ip_vs_nat_icmp` in `net/netfilter/ipvs/ip_vs_core.c`.

use super::{Ipv4, Proto};

/// `ICMP_DEST_UNREACH`.
pub(crate) const DEST_UNREACH: u8 = 3;
/// `ICMP_SOURCE_QUENCH`.
pub(crate) const SOURCE_QUENCH: u8 = 4;
/// `ICMP_TIME_EXCEEDED`.
pub(crate) const TIME_EXCEEDED: u8 = 11;
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

/// Parses an ICMP error about a TCP/UDP packet. `hdr` holds the ICMP header and the first 20
/// bytes of the embedded IP header (`HDR_LEN + 20`), `ports` the 4 bytes that follow the
/// embedded header and its options. `None` (the message is left alone) for other ICMP types,
/// short or insane embedded headers, other protocols, and embedded fragments that are not the
/// first (they have no ports).
pub(crate) fn parse_embedded(hdr: &[u8], ports: &[u8]) -> Option<Embedded> {
    if !is_relayed_error(*hdr.first()?) {
        return None;
    }
    let ip = Ipv4::parse(hdr.get(HDR_LEN..)?)?;
    let proto = Proto::from_ip(ip.protocol)?;
    if ip.frag_off & 0x1fff != 0 {
        return None;
    }
    let (sport, dport) = super::ports(ports)?;
    Some(Embedded { proto, ip, sport, dport })
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
