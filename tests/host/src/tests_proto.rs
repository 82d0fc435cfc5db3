// SPDX-License-Identifier: GPL-2.0

//! `ipvs_proto/mod.rs`: IPv4 header parsing, fragment detection, ports and `Proto`.

use crate::ipvs_proto::{ports, Ipv4, Proto, IPV4_CSUM_OFF, IPV4_DADDR_OFF, IPV4_SADDR_OFF};

/// A 20-byte IPv4 header: 10.0.0.1 -> 192.168.10.1, TTL 64, checksum 0xbeef.
fn hdr(ver_ihl: u8, tot_len: u16, frag_off: u16, protocol: u8) -> [u8; 20] {
    let [t0, t1] = tot_len.to_be_bytes();
    let [f0, f1] = frag_off.to_be_bytes();
    [
        ver_ihl, 0, t0, t1, 0x12, 0x34, f0, f1, 64, protocol, 0xbe, 0xef, 10, 0, 0, 1, 192, 168,
        10, 1,
    ]
}

#[test]
fn parses_a_plain_header() {
    let h = hdr(0x45, 60, 0x4000, 6);
    assert_eq!(
        Ipv4::parse(&h),
        Some(Ipv4 {
            ihl: 20,
            tot_len: 60,
            frag_off: 0x4000,
            protocol: 6,
            saddr: [10, 0, 0, 1],
            daddr: [192, 168, 10, 1]
        })
    );
    assert_eq!(&h[IPV4_CSUM_OFF..IPV4_CSUM_OFF + 2], [0xbe, 0xef]);
    assert_eq!(&h[IPV4_SADDR_OFF..IPV4_SADDR_OFF + 4], [10, 0, 0, 1]);
    assert_eq!(&h[IPV4_DADDR_OFF..IPV4_DADDR_OFF + 4], [192, 168, 10, 1]);
}

#[test]
fn header_length_includes_options_and_extra_bytes_are_ignored() {
    let mut pkt = hdr(0x4f, 1500, 0, 17).to_vec();
    pkt.extend_from_slice(&[0xff; 40]);
    let ip = Ipv4::parse(&pkt).unwrap();
    assert_eq!((ip.ihl, ip.tot_len, ip.protocol), (60, 1500, 17));
    // Only the fixed 20 bytes are needed, even when ihl says more.
    assert_eq!(Ipv4::parse(&hdr(0x46, 24, 0, 6)).unwrap().ihl, 24);
}

#[test]
fn rejects_bad_version_ihl_and_short_buffers() {
    for v in [0x05, 0x55, 0x65, 0xf5] {
        assert_eq!(
            Ipv4::parse(&hdr(v, 20, 0, 6)),
            None,
            "version/ihl byte {v:#x}"
        );
    }
    for ihl in 0..5 {
        assert_eq!(Ipv4::parse(&hdr(0x40 | ihl, 20, 0, 6)), None, "ihl {ihl}");
    }
    let h = hdr(0x45, 20, 0, 6);
    for n in 0..20 {
        assert_eq!(Ipv4::parse(&h[..n]), None, "{n} bytes");
    }
}

#[test]
fn fragment_detection() {
    let frag = |f: u16| Ipv4::parse(&hdr(0x45, 20, f, 17)).unwrap().is_fragment();
    assert!(!frag(0));
    assert!(!frag(0x4000)); // DF
    assert!(!frag(0x8000)); // reserved bit
    assert!(frag(0x2000)); // MF: first fragment
    assert!(frag(0x0001)); // offset 8: last fragment
    assert!(frag(0x1fff));
    assert!(frag(0x4001)); // DF with an offset
    assert!(frag(0x2000 | 0x00b9));
}

#[test]
fn transport_ports() {
    assert_eq!(ports(&[0x1f, 0x90, 0x00, 0x50]), Some((8080, 80)));
    assert_eq!(
        ports(&[0xff, 0xff, 0x00, 0x01, 0xaa, 0xbb]),
        Some((65535, 1))
    );
    assert_eq!(ports(&[0x1f, 0x90, 0x00]), None);
    assert_eq!(ports(&[]), None);
}

#[test]
fn protocols() {
    assert_eq!(Proto::from_ip(6), Some(Proto::Tcp));
    assert_eq!(Proto::from_ip(17), Some(Proto::Udp));
    assert_eq!(Proto::from_ip(132), Some(Proto::Sctp));
    for p in [0, 1, 41, 50, 51, 255] {
        assert_eq!(Proto::from_ip(p), None, "protocol {p}");
    }
    let tcp = Proto::Tcp;
    let udp = Proto::Udp;
    assert_eq!(
        (tcp.ip(), tcp.hdr_len(), tcp.csum_off(), tcp.name()),
        (6, 20, 16, "TCP")
    );
    assert_eq!(
        (udp.ip(), udp.hdr_len(), udp.csum_off(), udp.name()),
        (17, 8, 6, "UDP")
    );
}
