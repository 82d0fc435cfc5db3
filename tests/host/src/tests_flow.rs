// SPDX-License-Identifier: GPL-2.0

//! Flow keys and reply keys (`ipvs_conn/flow.rs`).

use crate::ipvs_conn::flow::{reply_key, FlowKey, Fwd};
use crate::ipvs_conn::jhash::jhash_3words;
use crate::ipvs_conn::persist::TemplateKey;
use crate::ipvs_proto::inet::{Addr, Family};
use crate::ipvs_proto::Proto;

fn client_to_vip() -> FlowKey {
    FlowKey {
        family: Family::V4,
        proto: Proto::Tcp,
        saddr: Addr::v4([10, 0, 0, 2]),
        sport: 40000,
        daddr: Addr::v4([10, 0, 0, 100]),
        dport: 80,
    }
}

#[test]
fn ipv4_hash_is_the_three_word_jhash_of_the_key() {
    let k = client_to_vip();
    let words = (
        u32::from_ne_bytes([10, 0, 0, 2]),
        u32::from_ne_bytes([10, 0, 0, 100]),
    );
    let ports = (40000u32 << 16) | 80;
    assert_eq!(
        k.hash(0x1234_5678),
        jhash_3words(words.0, words.1, ports ^ 6, 0x1234_5678)
    );
    // Every field counts.
    let h = k.hash(7);
    assert_ne!(FlowKey { sport: 40001, ..k }.hash(7), h);
    assert_ne!(
        FlowKey {
            proto: Proto::Udp,
            ..k
        }
        .hash(7),
        h
    );
    assert_ne!(
        FlowKey {
            daddr: Addr::v4([10, 0, 0, 101]),
            ..k
        }
        .hash(7),
        h
    );
    assert_ne!(k.hash(8), h);
}

#[test]
fn ipv6_hash_folds_the_addresses() {
    let mut a = [0u8; 16];
    a[0] = 0xfd;
    a[15] = 2;
    let mut b = a;
    b[15] = 0x64;
    let k = FlowKey {
        family: Family::V6,
        proto: Proto::Udp,
        saddr: Addr::from_raw(&a),
        sport: 5060,
        daddr: Addr::from_raw(&b),
        dport: 5060,
    };
    let fold = |x: &[u8; 16]| Addr::from_raw(x).fold(Family::V6);
    assert_eq!(
        k.hash(1),
        jhash_3words(fold(&a), fold(&b), ((5060u32 << 16) | 5060) ^ 17, 1)
    );
    // A change in the middle of an address moves the hash.
    let mut c = a;
    c[8] = 1;
    assert_ne!(
        FlowKey {
            saddr: Addr::from_raw(&c),
            ..k
        }
        .hash(1),
        k.hash(1)
    );
}

#[test]
fn nat_replies_come_from_the_real_server() {
    let k = client_to_vip();
    let rs = Addr::v4([192, 168, 0, 2]);
    assert_eq!(
        reply_key(&k, Fwd::Masq, rs, 8080),
        FlowKey {
            family: Family::V4,
            proto: Proto::Tcp,
            saddr: rs,
            sport: 8080,
            daddr: Addr::v4([10, 0, 0, 2]),
            dport: 40000,
        }
    );
}

#[test]
fn other_replies_come_from_the_virtual_service() {
    let k = client_to_vip();
    let want = FlowKey {
        saddr: k.daddr,
        sport: 80,
        daddr: k.saddr,
        dport: 40000,
        ..k
    };
    for fwd in [Fwd::Droute, Fwd::Tunnel, Fwd::Local, Fwd::None] {
        assert_eq!(
            reply_key(&k, fwd, Addr::v4([192, 168, 0, 2]), 8080),
            want,
            "{fwd:?}"
        );
    }
    // Cache bypass has no real server: the original destination answers.
    assert_eq!(reply_key(&k, Fwd::Bypass, Addr::default(), 0), want);
}

#[test]
fn forwarding_methods_from_flags() {
    let m = |f| Fwd::from_flags(f);
    assert_eq!(
        [m(0), m(1), m(2), m(3), m(4)],
        [Fwd::Masq, Fwd::Local, Fwd::Tunnel, Fwd::Droute, Fwd::Bypass]
    );
    // Only the method bits count; 5 to 7 have no transmitter.
    assert_eq!(m(0x0100 | 3), Fwd::Droute);
    assert_eq!([m(5), m(6), m(7)], [Fwd::None; 3]);
}

#[test]
fn template_keys_have_no_client_port() {
    let mut cnet = [0u8; 16];
    cnet[..4].copy_from_slice(&[10, 0, 0, 0]);
    let mut vaddr = [0u8; 16];
    vaddr[..4].copy_from_slice(&[10, 0, 0, 100]);
    let t = TemplateKey {
        family: Family::V4,
        proto: Proto::Udp,
        cnet,
        vaddr,
        vport: 53,
    };
    assert_eq!(
        FlowKey::of_template(&t),
        FlowKey {
            family: Family::V4,
            proto: Proto::Udp,
            saddr: Addr::v4([10, 0, 0, 0]),
            sport: 0,
            daddr: Addr::v4([10, 0, 0, 100]),
            dport: 53,
        }
    );
}
