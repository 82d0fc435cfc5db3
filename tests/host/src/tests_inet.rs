// SPDX-License-Identifier: GPL-2.0

//! Addresses and IP header views of either family (`ipvs_proto/inet.rs`).

use crate::ipvs_proto::inet::{Addr, Family, Frag, IpHdr, AF_INET, AF_INET6};
use crate::ipvs_proto::Ipv4;

#[test]
fn families_map_to_af_numbers() {
    assert_eq!(Family::V4.af(), AF_INET);
    assert_eq!(Family::V6.af(), AF_INET6);
    assert_eq!(Family::from_af(2), Some(Family::V4));
    assert_eq!(Family::from_af(10), Some(Family::V6));
    assert_eq!(Family::from_af(0), None);
    assert_eq!(Family::from_af(1), None);
    assert_eq!(Family::of_checked_af(AF_INET6), Family::V6);
    assert_eq!(Family::of_checked_af(AF_INET), Family::V4);
    assert_eq!((Family::V4.addr_len(), Family::V6.addr_len()), (4, 16));
}

#[test]
fn ipv4_takes_the_first_four_bytes() {
    let a = Addr::v4([10, 0, 0, 1]);
    assert_eq!(a.raw(), &[10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(a.to_v4(), [10, 0, 0, 1]);
    assert_eq!(a.bytes(Family::V4), &[10, 0, 0, 1]);
    assert_eq!(Addr::from_raw(a.raw()), a);
    assert_ne!(a, Addr::v4([10, 0, 0, 2]));
    assert_eq!(Addr::default(), Addr::v4([0; 4]));
}

#[test]
fn control_plane_addresses_keep_their_family_bytes() {
    let mut raw = [0xaau8; 16];
    raw[..4].copy_from_slice(&[10, 0, 0, 1]);
    // What follows an IPv4 address in the attribute does not count, as in C.
    assert_eq!(Addr::new(Family::V4, &raw), Addr::v4([10, 0, 0, 1]));
    assert_eq!(Addr::new(Family::V6, &raw).raw(), &raw);
}

#[test]
fn fold_is_the_ipv4_word_or_the_xor_of_ipv6_words() {
    let a = Addr::v4([192, 168, 1, 2]);
    assert_eq!(a.fold(Family::V4), u32::from_ne_bytes([192, 168, 1, 2]));
    let mut b = [0u8; 16];
    b[..4].copy_from_slice(&[0xfd, 0, 0, 1]);
    b[12..].copy_from_slice(&[0, 0, 0, 3]);
    let v6 = Addr::from_raw(&b);
    assert_eq!(
        v6.fold(Family::V6),
        u32::from_ne_bytes([0xfd, 0, 0, 1]) ^ u32::from_ne_bytes([0, 0, 0, 3])
    );
    assert_eq!(v6.bytes(Family::V6), &b);
}

#[test]
fn loopback_per_family() {
    assert!(Addr::v4([127, 0, 0, 1]).is_loopback(Family::V4));
    assert!(Addr::v4([127, 255, 3, 4]).is_loopback(Family::V4));
    assert!(!Addr::v4([128, 0, 0, 1]).is_loopback(Family::V4));
    let mut one = [0u8; 16];
    one[15] = 1;
    assert!(Addr::from_raw(&one).is_loopback(Family::V6));
    one[0] = 0xfe;
    assert!(!Addr::from_raw(&one).is_loopback(Family::V6));
    assert!(!Addr::from_raw(&[0; 16]).is_loopback(Family::V6));
}

fn ipv4(frag_off: u16) -> Ipv4 {
    let mut h = [0u8; 20];
    h[0] = 0x46;
    h[6..8].copy_from_slice(&frag_off.to_be_bytes());
    h[9] = 17;
    h[12..16].copy_from_slice(&[10, 0, 0, 2]);
    h[16..20].copy_from_slice(&[10, 0, 0, 100]);
    Ipv4::parse(&h).unwrap()
}

#[test]
fn ipv4_header_view() {
    let ip = IpHdr::from(ipv4(0x4000));
    assert_eq!(
        ip,
        IpHdr {
            family: Family::V4,
            len: 24,
            protocol: 17,
            frag: Frag::No,
            saddr: Addr::v4([10, 0, 0, 2]),
            daddr: Addr::v4([10, 0, 0, 100]),
        }
    );
    assert!(!ip.is_fragment());
    // More fragments at offset 0: the first; any offset: a later one.
    assert_eq!(IpHdr::from(ipv4(0x2000)).frag, Frag::First);
    assert_eq!(IpHdr::from(ipv4(0x0001)).frag, Frag::Later);
    assert_eq!(IpHdr::from(ipv4(0x2001)).frag, Frag::Later);
    assert!(IpHdr::from(ipv4(0x2000)).is_fragment());
}

/// An IPv6 header (fd00::2 -> fd00::100, next header `next`) followed by `rest`.
fn ipv6(next: u8, rest: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&(rest.len() as u16).to_be_bytes());
    p.extend_from_slice(&[next, 64]);
    p.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    p.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    p.extend_from_slice(rest);
    p
}

/// An extension header with next header `next` and `len` bytes in all (a multiple of 8).
fn ext(next: u8, len: usize) -> Vec<u8> {
    let mut h = vec![next, (len / 8 - 1) as u8];
    h.resize(len, 0);
    h
}

/// A fragment header: next header `next`, offset `off` (in 8-byte units), more fragments `m`.
fn frag(next: u8, off: u16, m: bool) -> Vec<u8> {
    let mut h = vec![next, 0];
    h.extend_from_slice(&(off << 3 | u16::from(m)).to_be_bytes());
    h.extend_from_slice(&[0, 0, 0x12, 0x34]);
    h
}

const UDP8: [u8; 8] = [0x13, 0x88, 0, 80, 0, 8, 0, 0];

#[test]
fn ipv6_header_and_addresses() {
    let p = ipv6(6, &[0u8; 20]);
    let ip = IpHdr::parse_v6(&p[..], 0).unwrap();
    assert_eq!(
        (ip.family, ip.len, ip.protocol, ip.frag),
        (Family::V6, 40, 6, Frag::No)
    );
    assert_eq!(ip.saddr.bytes(Family::V6)[15], 2);
    assert_eq!(ip.daddr.raw()[14..], [1, 0]);
    // At an offset into the buffer, as in a packet with a link header before it.
    let mut q = vec![0xee; 14];
    q.extend_from_slice(&p);
    assert_eq!(IpHdr::parse_v6(&q[..], 14), Some(ip));
    // Not IPv6, or shorter than its header.
    let mut v4 = p.clone();
    v4[0] = 0x45;
    assert_eq!(IpHdr::parse_v6(&v4[..], 0), None);
    assert_eq!(IpHdr::parse_v6(&p[..39], 0), None);
}

#[test]
fn ipv6_extension_headers_are_walked_as_c_walks_them() {
    // Hop-by-hop (8), destination options (16), routing (8), then UDP.
    let mut rest = ext(60, 8);
    rest.extend(ext(43, 16));
    rest.extend(ext(17, 8));
    rest.extend_from_slice(&UDP8);
    let ip = IpHdr::parse_v6(&ipv6(0, &rest)[..], 0).unwrap();
    assert_eq!((ip.len, ip.protocol, ip.frag), (40 + 32, 17, Frag::No));
    // AH's length is in 4-byte words, less two: hdrlen 4 is 24 bytes.
    let mut ah = vec![6, 4];
    ah.resize(24, 0);
    ah.extend_from_slice(&[0u8; 20]);
    let ip = IpHdr::parse_v6(&ipv6(51, &ah)[..], 0).unwrap();
    assert_eq!((ip.len, ip.protocol), (64, 6));
    // "No next header" ends the walk, and is what the packet carries.
    let ip = IpHdr::parse_v6(&ipv6(0, &ext(59, 8))[..], 0).unwrap();
    assert_eq!((ip.len, ip.protocol), (48, 59));
    // ICMPv6 after hop-by-hop (an MLD report, say).
    let ip = IpHdr::parse_v6(&ipv6(0, &[ext(58, 8), vec![143, 0, 0, 0]].concat())[..], 0);
    assert_eq!(ip.map(|i| (i.len, i.protocol)), Some((48, 58)));
}

#[test]
fn ipv6_fragments() {
    // The first fragment is walked through to its transport header.
    let rest = [frag(17, 0, true), UDP8.to_vec()].concat();
    let ip = IpHdr::parse_v6(&ipv6(44, &rest)[..], 0).unwrap();
    assert_eq!((ip.len, ip.protocol, ip.frag), (48, 17, Frag::First));
    assert!(ip.is_fragment());
    // So is an atomic fragment (offset 0, no more fragments), as a fragment.
    let rest = [frag(6, 0, false), vec![0u8; 20]].concat();
    let ip = IpHdr::parse_v6(&ipv6(44, &rest)[..], 0).unwrap();
    assert_eq!((ip.len, ip.protocol, ip.frag), (48, 6, Frag::First));
    // A later fragment has no transport header: its protocol, no offset.
    let rest = [ext(44, 8), frag(17, 185, true), vec![0u8; 32]].concat();
    let ip = IpHdr::parse_v6(&ipv6(0, &rest)[..], 0).unwrap();
    assert_eq!((ip.len, ip.protocol, ip.frag), (0, 17, Frag::Later));
    // ... unless what it carries next is an extension header: C gives up (-ENOENT).
    let rest = [frag(60, 185, true), vec![0u8; 32]].concat();
    assert_eq!(IpHdr::parse_v6(&ipv6(44, &rest)[..], 0), None);
    // A fragment header cut short.
    assert_eq!(IpHdr::parse_v6(&ipv6(44, &[17, 0, 0])[..], 0), None);
}

#[test]
fn ipv6_malformed_chains() {
    // A header longer than what is left of the packet.
    let mut rest = ext(17, 16);
    rest.truncate(12);
    assert_eq!(IpHdr::parse_v6(&ipv6(0, &rest)[..], 0), None);
    // A header whose first two bytes are not there.
    assert_eq!(IpHdr::parse_v6(&ipv6(60, &[17])[..], 0), None);
    // 32 extension headers are walked, a 33rd is one too many (IP6_MAX_EXT_HDRS_CNT).
    let chain = |n: usize| {
        let mut r: Vec<u8> = (0..n)
            .flat_map(|i| ext(if i + 1 == n { 17 } else { 60 }, 8))
            .collect();
        r.extend_from_slice(&UDP8);
        ipv6(60, &r)
    };
    let ip = IpHdr::parse_v6(&chain(32)[..], 0).unwrap();
    assert_eq!((ip.len, ip.protocol), (40 + 32 * 8, 17));
    assert_eq!(IpHdr::parse_v6(&chain(33)[..], 0), None);
}
