// SPDX-License-Identifier: GPL-2.0

//! Tunnel headers (`ipvs_xmit/encap.rs`) and the TTL step's checksum update.

use crate::ipvs_proto::{
    csum_after_ttl_decrement, icmp::ipv4_header_checksum, inet::Family, TunnelKind,
};
use crate::ipvs_xmit::encap::*;

#[test]
fn overheads_as_c_computes_them() {
    assert_eq!(
        Encap::new(TunnelKind::Ipip, 0, 0, false).overhead(Family::V4),
        20
    );
    // An unknown type is IP-in-IP, as C sends it.
    assert_eq!(
        Encap::new(TunnelKind::from_type(9), 3, 0, true),
        Encap::Ipip
    );
    assert_eq!(
        Encap::new(TunnelKind::Gue, 0, 6080, true).overhead(Family::V4),
        20 + 8 + 4
    );
    assert_eq!(
        Encap::new(TunnelKind::Gue, 1, 6080, true).overhead(Family::V4),
        20 + 8 + 4
    );
    // Remote checksum offload adds the private flags and the option, only for a packet whose
    // checksum is left to offload.
    assert_eq!(
        Encap::new(TunnelKind::Gue, 2, 6080, true).overhead(Family::V4),
        20 + 8 + 12
    );
    assert_eq!(
        Encap::new(TunnelKind::Gue, 2, 6080, false).overhead(Family::V4),
        20 + 8 + 4
    );
    assert_eq!(
        Encap::new(TunnelKind::Gre, 0, 0, false).overhead(Family::V4),
        24
    );
    assert_eq!(
        Encap::new(TunnelKind::Gre, 1, 0, false).overhead(Family::V4),
        28
    );
}

#[test]
fn gue_udp_checksum_follows_either_flag() {
    assert_eq!(
        Encap::new(TunnelKind::Gue, 0, 1, true),
        Encap::Gue {
            port: 1,
            csum: false,
            remcsum: false
        }
    );
    assert_eq!(
        Encap::new(TunnelKind::Gue, 1, 1, true),
        Encap::Gue {
            port: 1,
            csum: true,
            remcsum: false
        }
    );
    assert_eq!(
        Encap::new(TunnelKind::Gue, 2, 1, false),
        Encap::Gue {
            port: 1,
            csum: true,
            remcsum: false
        }
    );
    assert_eq!(
        Encap::new(TunnelKind::Gue, 2, 1, true),
        Encap::Gue {
            port: 1,
            csum: true,
            remcsum: true
        }
    );
    assert_eq!(
        Encap::new(TunnelKind::Gre, 2, 1, true),
        Encap::Gre { csum: false }
    );
}

#[test]
fn gue_header_with_remote_checksum_offload() {
    // hlen 2 words of options, IPIP, FLAG_PRIV; REMCSUM; start 20, where 20 + 16.
    let (h, n) = gue_header(Family::V4, Some((20, 16)));
    assert_eq!(n, 12);
    assert_eq!(h, [2, 4, 0, 1, 0x80, 0, 0, 0, 0, 20, 0, 36]);
}

#[test]
fn gue_base_header_without_options() {
    let (h, n) = gue_header(Family::V4, None);
    assert_eq!(n, 4);
    assert_eq!(&h[..4], &[0, 4, 0, 0]);
}

#[test]
fn udp_header_and_big_lengths() {
    assert_eq!(
        udp_header(0x1234, 6080, 100),
        [0x12, 0x34, 0x17, 0xc0, 0, 100, 0, 0]
    );
    assert_eq!(udp_header(1, 2, 65535)[4..6], [0xff, 0xff]);
    assert_eq!(udp_header(1, 2, 65536)[4..6], [0, 0]);
}

#[test]
fn ecn_is_encapsulated_as_the_kernel_does() {
    // Not-ECT, ECT(1), ECT(0) are copied; CE becomes ECT(0); the DSCP stays.
    assert_eq!(ecn_encapsulate(0xb8), 0xb8);
    assert_eq!(ecn_encapsulate(0xb9), 0xb9);
    assert_eq!(ecn_encapsulate(0xba), 0xba);
    assert_eq!(ecn_encapsulate(0xbb), 0xba);
}

#[test]
fn outer_header_fields() {
    let inner = Inner {
        tos: 0x03,
        ttl: 63,
        df: true,
    };
    let h = outer_ipv4(inner, true, IPPROTO_GRE, [10, 0, 1, 1], [10, 0, 1, 11]);
    assert_eq!(
        h,
        [0x45, 0x02, 0, 0, 0, 0, 0x40, 0, 63, 47, 0, 0, 10, 0, 1, 1, 10, 0, 1, 11]
    );
    // Without pmtu_disc DF is not copied.
    assert_eq!(outer_ipv4(inner, false, IPPROTO_IPIP, [0; 4], [0; 4])[6], 0);
    assert_eq!(
        outer_ipv4(
            Inner { df: false, ..inner },
            true,
            IPPROTO_UDP,
            [0; 4],
            [0; 4]
        )[6],
        0
    );
}

#[test]
fn ttl_decrement_checksum_matches_a_full_recompute() {
    // Every TTL and a spread of other header contents: the incremental update equals the
    // checksum computed afresh (up to the one's-complement zero, 0x0000 vs 0xffff).
    let mut h = [
        0x45u8, 0, 0, 60, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 100,
    ];
    for seed in 0u32..2000 {
        h[4] = (seed * 7) as u8;
        h[5] = (seed * 13) as u8;
        h[8] = 2 + (seed % 254) as u8;
        h[15] = (seed >> 3) as u8;
        let c = ipv4_header_checksum(&h);
        h[10..12].copy_from_slice(&c);
        let inc = csum_after_ttl_decrement(c);
        h[8] -= 1;
        let full = ipv4_header_checksum(&h);
        let norm = |x: [u8; 2]| if x == [0xff, 0xff] { [0, 0] } else { x };
        assert_eq!(norm(inc), norm(full), "seed {seed}");
        h[10] = 0;
        h[11] = 0;
    }
}

#[test]
fn ttl_decrement_checksum_corner_values() {
    // The kernel's arithmetic: a carry out wraps around; a sum of exactly 0xffff becomes 0.
    assert_eq!(csum_after_ttl_decrement([0x12, 0x34]), [0x13, 0x34]);
    assert_eq!(csum_after_ttl_decrement([0xff, 0x10]), [0x00, 0x11]);
    assert_eq!(csum_after_ttl_decrement([0xfe, 0xff]), [0x00, 0x00]);
    assert_eq!(csum_after_ttl_decrement([0xff, 0xff]), [0x01, 0x00]);
}

#[test]
fn tunnel_kinds_from_type_numbers() {
    assert_eq!(TunnelKind::from_type(0), TunnelKind::Ipip);
    assert_eq!(TunnelKind::from_type(1), TunnelKind::Gue);
    assert_eq!(TunnelKind::from_type(2), TunnelKind::Gre);
    assert_eq!(TunnelKind::from_type(3), TunnelKind::Other);
    assert_eq!(TunnelKind::from_type(0xff), TunnelKind::Other);
    assert_eq!(Encap::new(TunnelKind::Other, 1, 6080, true), Encap::Ipip);
}

#[test]
fn ipv6_outer_headers_and_mixed_families() {
    // A 40-byte outer header instead of 20, whatever the inner packet.
    assert_eq!(
        Encap::new(TunnelKind::Ipip, 0, 0, false).overhead(Family::V6),
        40
    );
    assert_eq!(
        Encap::new(TunnelKind::Gue, 0, 6080, true).overhead(Family::V6),
        40 + 8 + 4
    );
    assert_eq!(
        Encap::new(TunnelKind::Gre, 1, 0, false).overhead(Family::V6),
        48
    );
    // IP-in-IP names the inner family: 4in4/4in6 IPIP, 6in4/6in6 IPV6; GUE and GRE too.
    assert_eq!(Encap::Ipip.outer_protocol(Family::V4), IPPROTO_IPIP);
    assert_eq!(Encap::Ipip.outer_protocol(Family::V6), IPPROTO_IPV6);
    assert_eq!(
        Encap::Gre { csum: false }.outer_protocol(Family::V6),
        IPPROTO_GRE
    );
    assert_eq!(gue_header(Family::V6, None).0[1], 41);
    assert_eq!(gre_protocol(Family::V4), 0x0800);
    assert_eq!(gre_protocol(Family::V6), 0x86dd);
}

#[test]
fn inner_fields_of_both_families() {
    let mut v4 = [0u8; 20];
    v4[1] = 0xb9;
    v4[6] = 0x40;
    v4[8] = 7;
    assert_eq!(
        Inner::of(Family::V4, &v4),
        Some(Inner {
            tos: 0xb9,
            ttl: 7,
            df: true
        })
    );
    // Traffic class 0xbb spread over the first two bytes; hop limit 9; never DF.
    let mut v6 = [0u8; 40];
    v6[0] = 0x6b;
    v6[1] = 0xb1;
    v6[7] = 9;
    assert_eq!(
        Inner::of(Family::V6, &v6),
        Some(Inner {
            tos: 0xbb,
            ttl: 9,
            df: false
        })
    );
    assert_eq!(Inner::of(Family::V6, &v6[..20]), None);
}

#[test]
fn outer_ipv6_header_fields() {
    let inner = Inner {
        tos: 0xbb,
        ttl: 63,
        df: false,
    };
    let (s, d) = ([0xfd; 16], [0x20; 16]);
    let h = outer_ipv6(inner, IPPROTO_IPIP, 1000, &s, &d);
    // Version 6, traffic class 0xba (CE encapsulated as ECT(0)), flow label 0.
    assert_eq!(&h[..4], &[0x6b, 0xa0, 0, 0]);
    assert_eq!(&h[4..8], &[0x03, 0xe8, 4, 63]);
    assert_eq!(&h[8..24], &s);
    assert_eq!(&h[24..40], &d);
    assert_eq!(&outer_ipv6(inner, 41, 70000, &s, &d)[4..6], &[0, 0]);
}
