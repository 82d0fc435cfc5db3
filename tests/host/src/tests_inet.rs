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
