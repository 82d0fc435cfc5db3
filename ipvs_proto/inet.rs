// SPDX-License-Identifier: GPL-2.0

//! Addresses and IP header views of either address family.
//!
//! The datapath carries these and not IPv4's 4-byte arrays, so that IPv6 adds its parser and
//! its route and transmit steps beside IPv4's, over the same flow keys, connections and
//! transmitters. Pure code.

/// The address families IPVS forwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// IPv4 (`AF_INET`).
    V4,
    /// IPv6 (`AF_INET6`).
    V6,
}

/// `AF_INET`.
pub(crate) const AF_INET: u16 = 2;
/// `AF_INET6`.
pub(crate) const AF_INET6: u16 = 10;

impl Family {
    /// The `AF_*` number the control plane and the kernel use.
    pub(crate) const fn af(self) -> u16 {
        match self {
            Self::V4 => AF_INET,
            Self::V6 => AF_INET6,
        }
    }

    /// The family of an `AF_*` number.
    pub(crate) const fn from_af(af: u16) -> Option<Self> {
        match af {
            AF_INET => Some(Self::V4),
            AF_INET6 => Some(Self::V6),
            _ => None,
        }
    }

    /// The family of a control-plane `af`, which the genl parser has checked is one of the
    /// two: IPv6 for `AF_INET6`, IPv4 otherwise.
    pub(crate) const fn of_checked_af(af: u16) -> Self {
        if af == AF_INET6 {
            Self::V6
        } else {
            Self::V4
        }
    }

    /// Bytes of an address.
    pub(crate) const fn addr_len(self) -> usize {
        match self {
            Self::V4 => 4,
            Self::V6 => 16,
        }
    }
}

/// An address of either family in 16 bytes, network order (C's `union nf_inet_addr`): an IPv4
/// address takes the first four, the rest stay zero, so addresses of one family compare and
/// hash by the whole array.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Addr([u8; 16]);

impl Addr {
    /// An IPv4 address.
    pub(crate) const fn v4(a: [u8; 4]) -> Self {
        Self([a[0], a[1], a[2], a[3], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    /// An address as the control plane stores it (16 bytes, IPv4 in the first four), or an
    /// IPv6 address.
    pub(crate) const fn from_raw(a: &[u8; 16]) -> Self {
        Self(*a)
    }

    /// The address of family `f` in the 16 bytes `a` (a control-plane address: the bytes past
    /// an IPv4 address are ignored, as C ignores them).
    pub(crate) fn new(f: Family, a: &[u8; 16]) -> Self {
        let mut b = [0u8; 16];
        b[..f.addr_len()].copy_from_slice(&a[..f.addr_len()]);
        Self(b)
    }

    /// The 16 bytes, as the control plane and the schedulers take them.
    pub(crate) const fn raw(&self) -> &[u8; 16] {
        &self.0
    }

    /// The IPv4 address in the first four bytes.
    pub(crate) const fn to_v4(self) -> [u8; 4] {
        [self.0[0], self.0[1], self.0[2], self.0[3]]
    }

    /// The address bytes of family `f` (what goes on the wire).
    pub(crate) fn bytes(&self, f: Family) -> &[u8] {
        &self.0[..f.addr_len()]
    }

    /// The address as one 32-bit word for hashing: IPv4's own, IPv6's four words folded
    /// (C: `ip_vs_conn_hashkey`'s `addr_fold`), in memory order.
    pub(crate) fn fold(&self, f: Family) -> u32 {
        let w =
            |i: usize| u32::from_ne_bytes([self.0[i], self.0[i + 1], self.0[i + 2], self.0[i + 3]]);
        match f {
            Family::V4 => w(0),
            Family::V6 => w(0) ^ w(4) ^ w(8) ^ w(12),
        }
    }

    /// Whether this is a loopback address of family `f` (127.0.0.0/8, ::1).
    pub(crate) fn is_loopback(&self, f: Family) -> bool {
        match f {
            Family::V4 => self.0[0] == 127,
            Family::V6 => self.0[..15].iter().all(|&b| b == 0) && self.0[15] == 1,
        }
    }
}

/// Whether, and which, fragment a packet is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Frag {
    /// A whole datagram.
    No,
    /// The first fragment: it has the transport header.
    First,
    /// A later fragment: no transport header.
    Later,
}

/// What IPVS reads of a packet's IP header, either family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IpHdr {
    /// The family.
    pub(crate) family: Family,
    /// Bytes from the IP header to the transport header (IPv4: the header length).
    pub(crate) len: usize,
    /// The transport protocol.
    pub(crate) protocol: u8,
    /// Whether it is a fragment.
    pub(crate) frag: Frag,
    /// Source address.
    pub(crate) saddr: Addr,
    /// Destination address.
    pub(crate) daddr: Addr,
}

impl IpHdr {
    /// Whether this is a fragment of a datagram.
    pub(crate) fn is_fragment(&self) -> bool {
        self.frag != Frag::No
    }
}

impl From<super::Ipv4> for IpHdr {
    fn from(ip: super::Ipv4) -> Self {
        let frag = if ip.is_later_fragment() {
            Frag::Later
        } else if ip.is_fragment() {
            Frag::First
        } else {
            Frag::No
        };
        Self {
            family: Family::V4,
            len: ip.ihl,
            protocol: ip.protocol,
            frag,
            saddr: Addr::v4(ip.saddr),
            daddr: Addr::v4(ip.daddr),
        }
    }
}
