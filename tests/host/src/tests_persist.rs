// SPDX-License-Identifier: GPL-2.0

//! Persistence template keys and ports (`ipvs_conn/persist.rs`), against C's
//! `ip_vs_sched_persist` for both families.

use crate::ipvs_conn::persist::*;
use crate::ipvs_ctl::msg::SvcKey;
use crate::ipvs_ctl::uapi::{AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP};
use crate::ipvs_proto::{inet::Family, Proto};

fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut w = [0u8; 16];
    w[..4].copy_from_slice(&a);
    w
}

fn v6(s: &[u16; 8]) -> [u8; 16] {
    let mut w = [0u8; 16];
    for (i, x) in s.iter().enumerate() {
        w[2 * i..2 * i + 2].copy_from_slice(&x.to_be_bytes());
    }
    w
}

/// An IPv4 netmask as the genl attribute carries it (network order bytes, read natively).
fn mask4(m: [u8; 4]) -> u32 {
    u32::from_ne_bytes(m)
}

fn svc4(protocol: u16, addr: [u8; 4], port: u16) -> SvcKey {
    SvcKey {
        af: AF_INET,
        protocol,
        addr: v4(addr),
        port,
        fwmark: 0,
    }
}

#[test]
fn ipv4_netmask_masks_the_client() {
    let c = v4([192, 168, 7, 201]);
    assert_eq!(mask_addr(AF_INET, &c, mask4([255, 255, 255, 255])), c);
    assert_eq!(
        mask_addr(AF_INET, &c, mask4([255, 255, 255, 0])),
        v4([192, 168, 7, 0])
    );
    assert_eq!(
        mask_addr(AF_INET, &c, mask4([255, 255, 240, 0])),
        v4([192, 168, 0, 0])
    );
    assert_eq!(
        mask_addr(AF_INET, &c, mask4([255, 255, 255, 128])),
        v4([192, 168, 7, 128])
    );
    assert_eq!(mask_addr(AF_INET, &c, 0), [0; 16]);
}

#[test]
fn ipv6_prefix_masks_the_client() {
    let c = v6(&[
        0xfd00, 0x1234, 0x5678, 0x9abc, 0xdef0, 0x1111, 0x2222, 0x3333,
    ]);
    assert_eq!(mask_addr(AF_INET6, &c, 128), c);
    assert_eq!(
        mask_addr(AF_INET6, &c, 64),
        v6(&[0xfd00, 0x1234, 0x5678, 0x9abc, 0, 0, 0, 0])
    );
    assert_eq!(
        mask_addr(AF_INET6, &c, 56),
        v6(&[0xfd00, 0x1234, 0x5678, 0x9a00, 0, 0, 0, 0])
    );
    assert_eq!(
        mask_addr(AF_INET6, &c, 61),
        v6(&[0xfd00, 0x1234, 0x5678, 0x9ab8, 0, 0, 0, 0])
    );
    assert_eq!(
        mask_addr(AF_INET6, &c, 1),
        v6(&[0x8000, 0, 0, 0, 0, 0, 0, 0])
    );
    assert_eq!(mask_addr(AF_INET6, &c, 0), [0; 16]);
    // C's ipv6_addr_prefix clamps at 128.
    assert_eq!(mask_addr(AF_INET6, &c, 200), c);
}

#[test]
fn service_port_template_keeps_the_virtual_port() {
    let svc = svc4(IPPROTO_TCP, [10, 0, 0, 100], 80);
    let k = template_key(
        &svc,
        mask4([255, 255, 255, 0]),
        Proto::Tcp,
        &v4([10, 0, 0, 2]),
        &v4([10, 0, 0, 100]),
        80,
    );
    assert_eq!(
        k,
        TemplateKey {
            family: Family::V4,
            proto: Proto::Tcp,
            cnet: v4([10, 0, 0, 0]),
            vaddr: v4([10, 0, 0, 100]),
            vport: 80
        }
    );
    // The real server's port is recorded, and connections go to it.
    assert_eq!(template_dport(80, 80, 8080), 8080);
    assert_eq!(persistent_dport(80, 80, 8080), 8080);
    // A real server without a port keeps the virtual one.
    assert_eq!(persistent_dport(80, 80, 0), 80);
}

#[test]
fn ftp_template_has_no_port() {
    let svc = svc4(IPPROTO_TCP, [10, 0, 0, 100], FTPPORT);
    let all = mask4([255; 4]);
    let ctl = template_key(
        &svc,
        all,
        Proto::Tcp,
        &v4([10, 0, 0, 2]),
        &v4([10, 0, 0, 100]),
        21,
    );
    let data = template_key(
        &svc,
        all,
        Proto::Tcp,
        &v4([10, 0, 0, 2]),
        &v4([10, 0, 0, 100]),
        40000,
    );
    assert_eq!(ctl.vport, 0);
    // The control and data connections share the template.
    assert_eq!(ctl, data);
    assert_eq!(template_dport(21, 21, 2121), 0);
    assert_eq!(persistent_dport(21, 21, 2121), 2121);
    // A data connection keeps its own port, whatever the real server's.
    assert_eq!(persistent_dport(21, 40000, 2121), 40000);
    assert!(may_be_ftp_data(FTPDATA, false));
    assert!(may_be_ftp_data(40000, true));
    assert!(!may_be_ftp_data(443, false));
}

#[test]
fn port_zero_template_covers_every_port() {
    let svc = svc4(IPPROTO_UDP, [10, 0, 0, 100], 0);
    let all = mask4([255; 4]);
    let a = template_key(
        &svc,
        all,
        Proto::Udp,
        &v4([10, 0, 0, 2]),
        &v4([10, 0, 0, 100]),
        53,
    );
    let b = template_key(
        &svc,
        all,
        Proto::Udp,
        &v4([10, 0, 0, 2]),
        &v4([10, 0, 0, 100]),
        5353,
    );
    assert_eq!(a, b);
    assert_eq!(
        a,
        TemplateKey {
            family: Family::V4,
            proto: Proto::Udp,
            cnet: v4([10, 0, 0, 2]),
            vaddr: v4([10, 0, 0, 100]),
            vport: 0
        }
    );
    assert_eq!(template_dport(0, 53, 8053), 0);
    // Like C, the packet's port is kept even if the real server has one.
    assert_eq!(persistent_dport(0, 53, 8053), 53);
}

#[test]
fn fwmark_template_is_protocol_ip_with_the_mark() {
    let svc = SvcKey {
        af: AF_INET,
        protocol: IPPROTO_TCP,
        addr: [0; 16],
        port: 0,
        fwmark: 0x1234,
    };
    let all = mask4([255; 4]);
    let tcp = template_key(
        &svc,
        all,
        Proto::Tcp,
        &v4([10, 0, 0, 2]),
        &v4([10, 0, 0, 100]),
        80,
    );
    let udp = template_key(
        &svc,
        all,
        Proto::Udp,
        &v4([10, 0, 0, 2]),
        &v4([10, 0, 0, 101]),
        443,
    );
    assert_eq!(tcp, udp);
    assert_eq!(
        tcp,
        TemplateKey {
            family: Family::V4,
            proto: Proto::Ip,
            cnet: v4([10, 0, 0, 2]),
            vaddr: v4([0, 0, 0x12, 0x34]),
            vport: 0
        }
    );
    assert_eq!(Proto::Ip.name(), "IP");
    assert_eq!(Proto::from_ip(0), None);
}

#[test]
fn ipv6_templates_mask_by_prefix() {
    let vip = v6(&[0xfd00, 0, 0, 0, 0, 0, 0, 0x100]);
    let svc = SvcKey {
        af: AF_INET6,
        protocol: IPPROTO_TCP,
        addr: vip,
        port: 443,
        fwmark: 0,
    };
    let a = template_key(
        &svc,
        64,
        Proto::Tcp,
        &v6(&[0xfd00, 1, 2, 3, 4, 5, 6, 7]),
        &vip,
        443,
    );
    let b = template_key(
        &svc,
        64,
        Proto::Tcp,
        &v6(&[0xfd00, 1, 2, 3, 9, 9, 9, 9]),
        &vip,
        443,
    );
    let c = template_key(
        &svc,
        64,
        Proto::Tcp,
        &v6(&[0xfd00, 1, 2, 4, 4, 5, 6, 7]),
        &vip,
        443,
    );
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.cnet, v6(&[0xfd00, 1, 2, 3, 0, 0, 0, 0]));
    assert_eq!(a.family, Family::V6);
}
