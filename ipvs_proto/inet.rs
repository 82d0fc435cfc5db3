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

/// A packet's bytes, as the parsers read them: the packet itself in the kernel, a slice in tests.
pub(crate) trait Bytes {
    /// The packet's length.
    fn len(&self) -> usize;
    /// The `buf.len()` bytes at `off`: borrowed where they lie together, else copied to `buf`;
    /// `None` past the end.
    fn read<'a>(&'a self, off: usize, buf: &'a mut [u8]) -> Option<&'a [u8]>;
}

impl Bytes for [u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }

    fn read<'a>(&'a self, off: usize, buf: &'a mut [u8]) -> Option<&'a [u8]> {
        self.get(off..off.checked_add(buf.len())?)
    }
}

/// IPv6 next-header numbers of the extension headers (`NEXTHDR_*`), and "no next header".
pub(crate) mod nexthdr {
    pub(crate) const HOP: u8 = 0;
    pub(crate) const ROUTING: u8 = 43;
    pub(crate) const FRAGMENT: u8 = 44;
    pub(crate) const AUTH: u8 = 51;
    pub(crate) const NONE: u8 = 59;
    pub(crate) const DEST: u8 = 60;
}

/// Length of the fixed IPv6 header.
pub(crate) const IPV6_HLEN: usize = 40;
/// The most extension headers walked (`IP6_MAX_EXT_HDRS_CNT`).
const IPV6_MAX_EXT_HDRS: usize = 32;

/// Whether `h` is an extension header (C: `ipv6_ext_hdr`).
fn is_ext_hdr(h: u8) -> bool {
    use nexthdr::*;
    matches!(h, HOP | ROUTING | FRAGMENT | AUTH | NONE | DEST)
}

impl IpHdr {
    /// Parses the IPv6 header at `nh` of `p` and walks its extension headers to the first
    /// header that is not one, as C IPVS does (`ipv6_find_hdr` for any protocol): `len` is the
    /// offset of that header from `nh` and `protocol` its number (`NONE` included). A fragment
    /// header makes it a fragment: the first (offset 0) is walked on; a later one ends the walk
    /// with the fragment's own next header and `len` 0, or fails if that is an extension
    /// header. `None` for a malformed chain (more than 32 headers, one past the packet's end)
    /// or a header that is not IPv6's.
    pub(crate) fn parse_v6(p: &(impl Bytes + ?Sized), nh: usize) -> Option<Self> {
        let mut b = [0u8; IPV6_HLEN];
        let h = p.read(nh, &mut b)?;
        if h[0] >> 4 != 6 {
            return None;
        }
        let addr = |at: usize| {
            let mut a = [0u8; 16];
            a.copy_from_slice(&h[at..at + 16]);
            Addr(a)
        };
        let (saddr, daddr) = (addr(8), addr(24));
        let mut next = h[6];
        let mut start = nh + IPV6_HLEN;
        let mut frag = Frag::No;
        let mut count = 0;
        while is_ext_hdr(next) && next != nexthdr::NONE {
            count += 1;
            if count > IPV6_MAX_EXT_HDRS {
                return None;
            }
            let mut hb = [0u8; 4];
            let (hnext, hlen) = match p.read(start, &mut hb[..2])? {
                &[n, l] => (n, usize::from(l)),
                _ => return None,
            };
            let len = match next {
                nexthdr::FRAGMENT => {
                    let off = p.read(start + 2, &mut hb[2..])?;
                    if u16::from_be_bytes([off[0], off[1]]) & !7 != 0 {
                        // A later fragment: no upper-layer header here.
                        if is_ext_hdr(hnext) && hnext != nexthdr::NONE {
                            return None;
                        }
                        return Some(Self {
                            family: Family::V6,
                            len: 0,
                            protocol: hnext,
                            frag: Frag::Later,
                            saddr,
                            daddr,
                        });
                    }
                    frag = Frag::First;
                    8
                }
                nexthdr::AUTH => (hlen + 2) << 2,
                _ => (hlen + 1) << 3,
            };
            if p.len().saturating_sub(start) < len {
                return None;
            }
            next = hnext;
            start += len;
        }
        Some(Self {
            family: Family::V6,
            len: start - nh,
            protocol: next,
            frag,
            saddr,
            daddr,
        })
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
