// SPDX-License-Identifier: GPL-2.0

//! ICMP errors: the embedded packet, and the IPv4 header checksum used to rewrite it.

use crate::ipvs_proto::icmp::{
    fold, ipv4_header_checksum, is_relayed_error, parse_error, parse_tunnel_error, sum16,
    EmbeddedIn,
};
use crate::ipvs_proto::inet::{Addr, Family};
use crate::ipvs_proto::{Proto, TunnelKind};

/// The generic parser over the ICMP message `m` (header and embedded IPv4 header) followed by
/// `ports`.
fn parse_embedded(m: &[u8], ports: &[u8]) -> Option<EmbeddedIn> {
    parse_error(&[m, ports].concat()[..], 0, Family::V4)
}

/// A textbook IPv4 header (UDP, 192.168.0.1 -> 192.168.0.199) whose checksum is 0xb861.
const HDR: [u8; 20] = [
    0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01,
    0xc0, 0xa8, 0x00, 0xc7,
];

#[test]
fn ipv4_header_checksum_ignores_its_own_field() {
    assert_eq!(ipv4_header_checksum(&HDR), [0xb8, 0x61]);
    let mut h = HDR;
    h[10] = 0;
    h[11] = 0;
    assert_eq!(ipv4_header_checksum(&h), [0xb8, 0x61]);
    // A header with its checksum in place sums to all ones.
    assert_eq!(fold(sum16(&HDR, 0)), [0, 0]);
    // Changing the destination changes it the way incremental updates do.
    h[19] = 0xc8;
    assert_eq!(ipv4_header_checksum(&h), [0xb8, 0x60]);
}

#[test]
fn odd_lengths_are_padded() {
    assert_eq!(sum16(&[0x01], 0), 0x0100);
    assert_eq!(sum16(&[0xff, 0xff, 0x00, 0x01], 0), 0x0001);
    assert_eq!(fold(0x1_fffe), [0x00, 0x00]);
}

fn icmp(t: u8, code: u8, embedded: &[u8]) -> Vec<u8> {
    let mut v = vec![t, code, 0, 0, 0, 0, 0, 0];
    v.extend_from_slice(embedded);
    v
}

#[test]
fn embedded_udp_packet_of_a_port_unreachable() {
    let m = icmp(3, 3, &HDR);
    let e = parse_embedded(&m, &[0x80, 0x00, 0x00, 0x35]).unwrap();
    assert_eq!(e.proto, Proto::Udp);
    assert_eq!(
        (e.ip.saddr.to_v4(), e.ip.daddr.to_v4()),
        ([192, 168, 0, 1], [192, 168, 0, 199])
    );
    assert_eq!((e.sport, e.dport), (32768, 53));
    assert_eq!((e.ip.len, e.at), (20, 8));
}

#[test]
fn only_relayed_errors_about_first_tcp_udp_fragments() {
    for t in [3, 4, 11] {
        assert!(is_relayed_error(t));
        assert!(parse_embedded(&icmp(t, 0, &HDR), &[0, 1, 0, 2]).is_some());
    }
    // Echo request/reply, redirect, parameter problem: left alone.
    for t in [0, 5, 8, 12] {
        assert!(!is_relayed_error(t));
        assert!(parse_embedded(&icmp(t, 0, &HDR), &[0, 1, 0, 2]).is_none());
    }
    // No ports, a short header, not IPv4, not TCP/UDP, a later fragment: none.
    assert!(parse_embedded(&icmp(3, 3, &HDR), &[0, 1]).is_none());
    assert!(parse_embedded(&icmp(3, 3, &HDR[..19]), &[0, 1, 0, 2]).is_none());
    let mut v6 = HDR;
    v6[0] = 0x65;
    assert!(parse_embedded(&icmp(3, 3, &v6), &[0, 1, 0, 2]).is_none());
    let mut icmp_in_icmp = HDR;
    icmp_in_icmp[9] = 1;
    assert!(parse_embedded(&icmp(3, 3, &icmp_in_icmp), &[0, 1, 0, 2]).is_none());
    let mut later = HDR;
    later[7] = 0x10;
    assert!(parse_embedded(&icmp(3, 3, &later), &[0, 1, 0, 2]).is_none());
    // The first fragment (more fragments set, offset zero) has its ports.
    let mut first = HDR;
    first[6] = 0x20;
    assert!(parse_embedded(&icmp(3, 3, &first), &[0, 1, 0, 2]).is_some());
    // TCP.
    let mut tcp = HDR;
    tcp[9] = 6;
    assert_eq!(
        parse_embedded(&icmp(11, 0, &tcp), &[0, 80, 0x9c, 0x40])
            .map(|e| (e.proto, e.sport, e.dport)),
        Some((Proto::Tcp, 80, 40000))
    );
}

/// An outer IPv4 header (this host 10.0.1.1 -> real server 10.0.2.11) of protocol `proto`,
/// with DF; checksum not filled (nothing checks it).
fn outer(proto: u8) -> Vec<u8> {
    vec![
        0x45, 0, 0x05, 0xc8, 0, 0, 0x40, 0, 63, proto, 0, 0, 10, 0, 1, 1, 10, 0, 2, 11,
    ]
}

/// A "fragmentation needed" (MTU 1400) about `tunnel` (the outer header and the tunnel's
/// headers), carrying the client's UDP packet (HDR: 192.168.0.1 -> 192.168.0.199, port
/// 32768 -> 53).
fn frag_needed(tunnel: &[u8]) -> Vec<u8> {
    let mut v = vec![3, 4, 0, 0, 0, 0, 0x05, 0x78];
    v.extend_from_slice(tunnel);
    v.extend_from_slice(&HDR);
    v.extend_from_slice(&[0x80, 0x00, 0x00, 0x35]);
    v
}

#[test]
fn tunnel_errors_of_each_kind_find_the_clients_packet() {
    let ipip = outer(4);
    let mut gue = outer(17);
    // UDP 40000 -> 6080, then GUE: version 0, one word of options (hlen 1), IPv4, flags.
    gue.extend_from_slice(&[
        0x9c, 0x40, 0x17, 0xc0, 0, 0, 0, 0, 0x01, 4, 0, 1, 0x80, 0, 0, 0,
    ]);
    let mut gre = outer(47);
    gre.extend_from_slice(&[0, 0, 0x08, 0x00]);
    let mut gre_csum = outer(47);
    gre_csum.extend_from_slice(&[0x80, 0, 0x08, 0x00, 0x12, 0x34, 0, 0]);
    for (t, kind, port, overhead) in [
        (&ipip, TunnelKind::Ipip, 0, 20),
        (&gue, TunnelKind::Gue, 6080, 20 + 8 + 8),
        (&gre, TunnelKind::Gre, 0, 24),
        (&gre_csum, TunnelKind::Gre, 0, 28),
    ] {
        let e = parse_tunnel_error(&frag_needed(t)).unwrap();
        assert_eq!((e.icmp_type, e.code, e.info & 0xffff), (3, 4, 1400));
        assert_eq!(
            (e.kind, e.gue_port, e.daddr, e.overhead),
            (kind, port, [10, 0, 2, 11], overhead)
        );
        assert_eq!(e.inner.proto, Proto::Udp);
        assert_eq!(
            (e.inner.ip.saddr, e.inner.ip.daddr),
            ([192, 168, 0, 1], [192, 168, 0, 199])
        );
        assert_eq!((e.inner.sport, e.inner.dport), (32768, 53));
        // Cut anywhere before the client's ports: nothing to go on.
        let m = frag_needed(t);
        assert!(parse_tunnel_error(&m[..m.len() - 1]).is_none());
    }
}

#[test]
fn other_tunnels_and_messages_are_not_tunnel_errors() {
    // GUE: a control message, version 1, or carrying IPv6.
    for gue_hdr in [[0x20, 4, 0, 0], [0x40, 4, 0, 0], [0, 41, 0, 0]] {
        let mut t = outer(17);
        t.extend_from_slice(&[0x9c, 0x40, 0x17, 0xc0, 0, 0, 0, 0]);
        t.extend_from_slice(&gue_hdr);
        assert!(parse_tunnel_error(&frag_needed(&t)).is_none());
    }
    // GRE with a key or a sequence number, or carrying IPv6 or Ethernet.
    for gre_hdr in [
        [0x20, 0, 0x08, 0],
        [0x10, 0, 0x08, 0],
        [0, 0, 0x86, 0xdd],
        [0, 0, 0x65, 0x58],
    ] {
        let mut t = outer(47);
        t.extend_from_slice(&gre_hdr);
        t.extend_from_slice(&[0; 8]);
        assert!(parse_tunnel_error(&frag_needed(&t)).is_none());
    }
    // Not a tunnel (TCP outer), a later fragment of the outer packet, an echo reply.
    assert!(parse_tunnel_error(&frag_needed(&outer(6))).is_none());
    let mut later = outer(4);
    later[6] = 0x20;
    later[7] = 0x10;
    assert!(parse_tunnel_error(&frag_needed(&later)).is_none());
    let mut echo = frag_needed(&outer(4));
    echo[0] = 0;
    assert!(parse_tunnel_error(&echo).is_none());
}

/// An ICMPv6 error of `t`/`code` embedding `inner`, after a 40-byte IPv6 header.
fn icmpv6_error(t: u8, code: u8, inner: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0, 0, 0, 58, 64];
    p.extend_from_slice(&[0u8; 32]);
    p.extend_from_slice(&[t, code, 0, 0, 0, 0, 0x05, 0xdc]);
    p.extend_from_slice(inner);
    p
}

/// An IPv6 packet fd00::2 -> fd00::100 with next header `next`, then `rest`.
fn inner_v6(next: u8, rest: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0, 0, rest.len() as u8, next, 64];
    p.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    p.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    p.extend_from_slice(rest);
    p
}

#[test]
fn icmpv6_errors_about_tcp_and_udp() {
    use crate::ipvs_proto::icmp::{is_relayed, proto_of};
    use crate::ipvs_proto::inet::Frag;
    assert_eq!((proto_of(Family::V4), proto_of(Family::V6)), (1, 58));
    // Every ICMPv6 error type; no informational message (echo request 128, reply 129).
    for t in [1, 2, 3, 4, 100, 127] {
        assert!(is_relayed(Family::V6, t), "{t}");
    }
    for t in [128, 129, 135, 255] {
        assert!(!is_relayed(Family::V6, t), "{t}");
    }
    assert!(is_relayed(Family::V4, 3) && !is_relayed(Family::V4, 5) && !is_relayed(Family::V4, 0));
    // Port unreachable about a UDP datagram 5000 -> 80, behind a destination-options header.
    let mut dopt = vec![17, 0, 1, 4, 0, 0, 0, 0];
    dopt.extend_from_slice(&[0x13, 0x88, 0, 80, 0, 8, 0, 0]);
    let p = icmpv6_error(1, 4, &inner_v6(60, &dopt));
    let e = parse_error(&p[..], 40, Family::V6).unwrap();
    assert_eq!((e.icmp_type, e.code, e.at), (1, 4, 48));
    assert_eq!((e.proto, e.sport, e.dport), (Proto::Udp, 5000, 80));
    assert_eq!(
        (e.ip.len, e.ip.frag, e.ip.daddr.raw()[14]),
        (48, Frag::No, 1)
    );
    // Packet too big about TCP 80 -> 40000.
    let mut tcp = vec![0, 80, 0x9c, 0x40];
    tcp.resize(20, 0);
    let p = icmpv6_error(2, 0, &inner_v6(6, &tcp));
    let e = parse_error(&p[..], 40, Family::V6).unwrap();
    assert_eq!(
        (e.proto, e.sport, e.dport, e.ip.len),
        (Proto::Tcp, 80, 40000, 40)
    );
    // Left alone: an echo reply, ICMPv6 about ICMPv6, a later fragment (no ports), an IPv4
    // header inside, ports cut off.
    assert_eq!(
        parse_error(
            &icmpv6_error(129, 0, &inner_v6(6, &tcp))[..],
            40,
            Family::V6
        ),
        None
    );
    assert_eq!(
        parse_error(&icmpv6_error(1, 4, &inner_v6(58, &tcp))[..], 40, Family::V6),
        None
    );
    let later = [vec![17, 0, 0x05, 0xc9, 0, 0, 0, 1], tcp.clone()].concat();
    assert_eq!(
        parse_error(
            &icmpv6_error(1, 4, &inner_v6(44, &later))[..],
            40,
            Family::V6
        ),
        None
    );
    let mut v4 = inner_v6(6, &tcp);
    v4[0] = 0x45;
    assert_eq!(
        parse_error(&icmpv6_error(1, 4, &v4)[..], 40, Family::V6),
        None
    );
    assert_eq!(
        parse_error(
            &icmpv6_error(1, 4, &inner_v6(6, &[0, 80]))[..],
            40,
            Family::V6
        ),
        None
    );
}

#[test]
fn icmp_errors_of_ipv4_through_the_generic_parser() {
    // Port unreachable about UDP 192.168.0.1:5000 -> 192.168.0.199:80, after a 20-byte header.
    let mut p = vec![0u8; 20];
    p.extend_from_slice(&[3, 3, 0, 0, 0, 0, 0, 0]);
    p.extend_from_slice(&HDR);
    p.extend_from_slice(&[0x13, 0x88, 0, 80]);
    let e = parse_error(&p[..], 20, Family::V4).unwrap();
    assert_eq!((e.icmp_type, e.code, e.at, e.ip.len), (3, 3, 28, 20));
    assert_eq!((e.proto, e.sport, e.dport), (Proto::Udp, 5000, 80));
    assert_eq!(e.ip.saddr.to_v4(), [192, 168, 0, 1]);
    // An echo request is no error; a redirect neither (C relays only these three).
    p[20] = 8;
    assert_eq!(parse_error(&p[..], 20, Family::V4), None);
    p[20] = 5;
    assert_eq!(parse_error(&p[..], 20, Family::V4), None);
}

#[test]
fn icmp_errors_about_ah_and_esp_go_by_isakmp() {
    // Host unreachable about ESP (then AH) 192.168.0.1 -> 192.168.0.199: looked up as that
    // pair's UDP 500 -> 500, whatever follows the embedded header (even nothing).
    for proto in [50, 51] {
        let mut h = HDR;
        h[9] = proto;
        let m = icmp(3, 1, &h);
        for rest in [&[0x00, 0x00, 0x10, 0x00][..], &[]] {
            let e = parse_embedded(&m, rest).unwrap();
            assert!(e.ipsec);
            assert_eq!((e.proto, e.sport, e.dport), (Proto::Udp, 500, 500));
            assert_eq!(e.ip.daddr.to_v4(), [192, 168, 0, 199]);
        }
    }
    // Others have their own ports, and are not AH/ESP.
    let e = parse_embedded(&icmp(3, 3, &HDR), &[0x80, 0x00, 0x00, 0x35]).unwrap();
    assert!(!e.ipsec);
    // A later fragment of an ESP packet is left alone, as any.
    let mut h = HDR;
    h[9] = 50;
    h[6] = 0x00;
    h[7] = 0x10;
    assert_eq!(parse_embedded(&icmp(3, 1, &h), &[]), None);
}

/// A TCP segment (21 -> 40123, seq 1000, ack 2000, PSH|ACK, window 502) carrying `payload`,
/// its checksum zero.
fn segment(payload: &[u8]) -> Vec<u8> {
    let mut s = vec![
        0x00, 0x15, 0x9c, 0xbb, 0, 0, 0x03, 0xe8, 0, 0, 0x07, 0xd0, 0x50, 0x18,
    ];
    s.extend_from_slice(&[0x01, 0xf6, 0, 0, 0, 0]);
    s.extend_from_slice(payload);
    s
}

#[test]
fn tcp_segment_checksums() {
    use crate::ipvs_proto::{pseudo_header_sum, segment_checksum, segment_checksum_ok};
    // Expected values from an independent RFC 1071 sum (Python) over the same bytes.
    let cases: [(Family, Addr, Addr, &[u8], [u8; 2]); 2] = [
        (
            Family::V4,
            Addr::v4([10, 0, 1, 11]),
            Addr::v4([10, 0, 0, 1]),
            b"227 Entering Passive Mode (10,0,1,11,156,64).\r\n",
            [0xa6, 0xfd],
        ),
        (
            Family::V6,
            Addr::from_raw(&[0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11]),
            Addr::from_raw(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            b"229 Entering extended passive mode (|||40000|).\r\n",
            [0x8c, 0x93],
        ),
    ];
    for (family, s, d, payload, want) in cases {
        let mut seg = segment(payload);
        let pseudo = pseudo_header_sum(family, (&s, &d), 6, seg.len() as u32);
        // The field's old contents do not count.
        seg[16..18].copy_from_slice(&[0x12, 0x34]);
        assert_eq!(segment_checksum(pseudo, &seg, 16), want);
        assert!(!segment_checksum_ok(pseudo, &seg));
        seg[16..18].copy_from_slice(&want);
        assert!(segment_checksum_ok(pseudo, &seg));
        // One byte changed: wrong.
        *seg.last_mut().unwrap() ^= 1;
        assert!(!segment_checksum_ok(pseudo, &seg));
    }
}
