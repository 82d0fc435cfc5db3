// SPDX-License-Identifier: GPL-2.0

//! Protocol handling: header parsing and per-protocol connection states.
//!
//! Pure code: parsing works on byte slices copied or borrowed from the packet.
//!
//! - Here: the protocols IPVS balances ([`Proto`]), the tunnel kinds ([`TunnelKind`]), IPv4
//!   header fields and ports.
//! - [`inet`]: the family-generic address and IP header view the datapath carries.
//! - [`tcp`]: the TCP state machine and timeouts; [`udp`]: UDP's timeout; [`sctp`]: SCTP's
//!   association states, by chunk.
//! - [`icmp`]: ICMP errors about connections, embedded packets, tunnel errors, checksums.
//! - [`sip`]: the SIP Call-ID, for the `sip` persistence engine.

pub(crate) mod icmp;
pub(crate) mod inet;
pub(crate) mod sctp;
pub(crate) mod sip;
pub(crate) mod tcp;
pub(crate) mod udp;

/// A tunnel real server's encapsulation; the discriminants are the tunnel type numbers of the
/// ABI (`IP_VS_CONN_F_TUNNEL_TYPE_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum TunnelKind {
    /// IP-in-IP (the default).
    #[default]
    Ipip = 0,
    /// Generic UDP Encapsulation, to a configured port.
    Gue = 1,
    /// GRE.
    Gre = 2,
    /// Any other number, which C accepts: sent as IP-in-IP, and no ICMP error is ever about it.
    Other = 0xff,
}

impl TunnelKind {
    /// The kind of tunnel type number `t`.
    pub(crate) fn from_type(t: u8) -> Self {
        [Self::Ipip, Self::Gue, Self::Gre]
            .into_iter()
            .find(|k| *k as u8 == t)
            .unwrap_or(Self::Other)
    }
}

/// The fields of an IPv4 header that IPVS needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ipv4 {
    /// Header length in bytes.
    pub(crate) ihl: usize,
    /// Total length.
    pub(crate) tot_len: u16,
    /// Fragment offset and flags (host order).
    pub(crate) frag_off: u16,
    /// Protocol.
    pub(crate) protocol: u8,
    /// Source address, network order bytes.
    pub(crate) saddr: [u8; 4],
    /// Destination address, network order bytes.
    pub(crate) daddr: [u8; 4],
}

/// Offset of the IPv4 protocol.
pub(crate) const IPV4_PROTOCOL_OFF: usize = 9;
/// Offset of the IPv4 header checksum.
pub(crate) const IPV4_CSUM_OFF: usize = 10;
/// Offset of the IPv4 source address.
pub(crate) const IPV4_SADDR_OFF: usize = 12;
/// Offset of the IPv4 destination address.
pub(crate) const IPV4_DADDR_OFF: usize = 16;
/// Where the IPv6 header has its source and destination addresses.
pub(crate) const IPV6_SADDR_OFF: usize = 8;
pub(crate) const IPV6_DADDR_OFF: usize = 24;

/// Where an IP header of `family` has its source and destination addresses.
pub(crate) fn addr_offsets(family: inet::Family) -> (usize, usize) {
    match family {
        inet::Family::V4 => (IPV4_SADDR_OFF, IPV4_DADDR_OFF),
        inet::Family::V6 => (IPV6_SADDR_OFF, IPV6_DADDR_OFF),
    }
}

impl Ipv4 {
    /// Parses the first 20 bytes of an IPv4 header; `None` if it is not a sane one.
    pub(crate) fn parse(b: &[u8]) -> Option<Self> {
        let b = b.get(..20)?;
        let ihl = usize::from(b[0] & 0x0f) * 4;
        if b[0] >> 4 != 4 || ihl < 20 {
            return None;
        }
        Some(Self {
            ihl,
            tot_len: u16::from_be_bytes([b[2], b[3]]),
            frag_off: u16::from_be_bytes([b[6], b[7]]),
            protocol: b[9],
            saddr: [b[12], b[13], b[14], b[15]],
            daddr: [b[16], b[17], b[18], b[19]],
        })
    }

    /// Whether this is a fragment (more fragments, or a non-zero offset).
    pub(crate) fn is_fragment(&self) -> bool {
        self.frag_off & 0x3fff != 0
    }

    /// Whether this is a fragment other than the first (it has no transport header).
    pub(crate) fn is_later_fragment(&self) -> bool {
        self.frag_off & 0x1fff != 0
    }
}

/// Offset of the IPv4 TTL.
pub(crate) const IPV4_TTL_OFF: usize = 8;
/// The IPv4 "don't fragment" bit, in the byte at offset 6 of the header.
pub(crate) const IPV4_DF: u8 = 0x40;

/// The IPv4 header checksum after the TTL went down by one (`ip_decrease_ttl`'s incremental
/// update, bit for bit: the TTL is the high byte of its 16-bit word).
pub(crate) fn csum_after_ttl_decrement(csum: [u8; 2]) -> [u8; 2] {
    let s = u32::from(u16::from_be_bytes(csum)) + 0x0100;
    let s = if s >= 0xffff { s + 1 } else { s };
    (s as u16).to_be_bytes()
}

/// The one's-complement sum of the pseudo-header a TCP or UDP checksum covers (RFC 9293 3.1,
/// RFC 8200 8.1): both addresses of `family`, the IP protocol and the segment's length.
pub(crate) fn pseudo_header_sum(
    family: inet::Family,
    (saddr, daddr): (&inet::Addr, &inet::Addr),
    protocol: u8,
    len: u32,
) -> u32 {
    let acc = icmp::sum16(saddr.bytes(family), 0);
    let acc = icmp::sum16(daddr.bytes(family), acc);
    // IPv4's 16-bit length and IPv6's 32-bit one sum alike.
    icmp::sum16(&len.to_be_bytes(), icmp::sum16(&[0, protocol], acc))
}

/// Whether `segment` (a whole TCP or UDP segment, its checksum included) sums right with its
/// pseudo-header's `pseudo` ([`pseudo_header_sum`]).
pub(crate) fn segment_checksum_ok(pseudo: u32, segment: &[u8]) -> bool {
    icmp::fold(icmp::sum16(segment, pseudo)) == [0, 0]
}

/// The checksum of `segment` (its checksum field at `csum_off` taken as zero) with its
/// pseudo-header's `pseudo`.
pub(crate) fn segment_checksum(pseudo: u32, segment: &[u8], csum_off: usize) -> [u8; 2] {
    let head = segment.get(..csum_off).unwrap_or(segment);
    let tail = segment.get(csum_off + 2..).unwrap_or(&[]);
    // `csum_off` is even: the words after the field line up as they do in the segment.
    icmp::fold(icmp::sum16(tail, icmp::sum16(head, pseudo)))
}

/// The transport ports of a TCP/UDP/SCTP header (first four bytes), host order.
pub(crate) fn ports(b: &[u8]) -> Option<(u16, u16)> {
    let b = b.get(..4)?;
    Some((
        u16::from_be_bytes([b[0], b[1]]),
        u16::from_be_bytes([b[2], b[3]]),
    ))
}

/// What a connection's state machine reads from a packet's transport header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Signal {
    /// TCP: the flags.
    Tcp(u8),
    /// SCTP: its chunk types (`None`: it has no chunk).
    Sctp(Option<sctp::Chunks>),
    /// Nothing (UDP).
    None,
    /// AH or ESP: no ports; the packet belongs to its client's ISAKMP connection (UDP, port
    /// 500 to port 500: [`ipsec_key_ports`]), which it never starts.
    Ipsec,
}

/// IP protocol numbers of ESP and AH.
pub(crate) const ESP: u8 = 50;
pub(crate) const AH: u8 = 51;

/// The ISAKMP port, which an IPsec peer's key exchange uses at both ends.
const ISAKMP_PORT: u16 = 500;

/// The protocol and ports an AH or ESP packet's connection is looked up by (C:
/// `ah_esp_conn_fill_param_proto`): its ISAKMP exchange's UDP ones.
pub(crate) fn ipsec_key_ports() -> (Proto, u16, u16) {
    (Proto::Udp, ISAKMP_PORT, ISAKMP_PORT)
}

impl Signal {
    /// Whether the packet may start a connection: a TCP SYN (or any TCP packet but a reset with
    /// `sloppy_tcp`), an SCTP INIT (any chunk but ABORT with `sloppy_sctp`), any UDP datagram.
    pub(crate) fn may_start(self, sloppy_tcp: bool, sloppy_sctp: bool) -> bool {
        match self {
            Self::Tcp(f) => f & tcp::flags::RST == 0 && (sloppy_tcp || f & tcp::flags::SYN != 0),
            Self::Sctp(c) => c.is_some_and(|c| sctp::may_start(c.first, sloppy_sctp)),
            Self::None => true,
            Self::Ipsec => false,
        }
    }

    /// Whether the packet asks for a new connection where one exists (C: `is_new_conn`): a TCP
    /// SYN, an SCTP INIT.
    pub(crate) fn is_new_conn(self) -> bool {
        match self {
            Self::Tcp(f) => f & tcp::flags::SYN != 0,
            Self::Sctp(c) => c.is_some_and(|c| c.first == sctp::chunk::INIT),
            Self::None | Self::Ipsec => false,
        }
    }

    /// Whether the packet ends its association at once: a TCP reset, an SCTP ABORT first.
    pub(crate) fn is_reset(self) -> bool {
        match self {
            Self::Tcp(f) => f & tcp::flags::RST != 0,
            Self::Sctp(c) => c.is_some_and(|c| c.first == sctp::chunk::ABORT),
            Self::None | Self::Ipsec => false,
        }
    }
}

/// Protocols the datapath handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
    /// No transport protocol: only the persistence template of a firewall-mark service, which
    /// every protocol of the mark shares, has it (C: `IPPROTO_IP`). No packet parses as it.
    Ip,
}

impl Proto {
    /// Maps an IP protocol number.
    pub(crate) fn from_ip(p: u8) -> Option<Self> {
        match p {
            6 => Some(Self::Tcp),
            17 => Some(Self::Udp),
            132 => Some(Self::Sctp),
            _ => None,
        }
    }

    /// Whether C IPVS has a protocol handler for IP protocol `p` (TCP, UDP, SCTP, AH, ESP):
    /// packets of the others are what `ignore_tunneled` marks.
    pub(crate) fn c_handles(p: u8) -> bool {
        matches!(p, 6 | 17 | 132 | ESP | AH)
    }

    /// The IP protocol number.
    pub(crate) fn ip(self) -> u8 {
        match self {
            Self::Tcp => 6,
            Self::Udp => 17,
            Self::Sctp => 132,
            Self::Ip => 0,
        }
    }

    /// Bytes of transport header the datapath needs to read (`Ip`: none; SCTP: the common
    /// header, its chunks are read apart).
    pub(crate) fn hdr_len(self) -> usize {
        match self {
            Self::Tcp => 20,
            Self::Udp => 8,
            Self::Sctp => sctp::HDR_LEN,
            Self::Ip => 0,
        }
    }

    /// Offset of the checksum inside the transport header (`Ip` has none: 0). SCTP's is a
    /// CRC32c of the whole packet, not the Internet checksum.
    pub(crate) fn csum_off(self) -> usize {
        match self {
            Self::Tcp => 16,
            Self::Udp => 6,
            Self::Sctp => sctp::CSUM_OFF,
            Self::Ip => 0,
        }
    }

    /// Name as `/proc/net/ip_vs_conn` prints it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Tcp => "TCP",
            Self::Udp => "UDP",
            Self::Sctp => "SCTP",
            Self::Ip => "IP",
        }
    }
}
