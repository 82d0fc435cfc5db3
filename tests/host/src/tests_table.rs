// SPDX-License-Identifier: GPL-2.0

//! The service table: creation order, removal, the index's buckets and packet keys.

use crate::ipvs_ctl::msg::SvcKey;
use crate::ipvs_ctl::table::{
    fwmark_key, hash, packet_key, real_hash, svc_index_bits, Keyed, RealKey, SvcTable,
    ANY_PROTOCOL, SVC_MAX_BITS, SVC_MIN_BITS,
};
use crate::ipvs_sched::hash_32;

/// The chain of `hash` in an index of `1 << bits` chains: its top bits.
fn chain(hash: u32, bits: u32) -> usize {
    (hash >> (32 - bits)) as usize
}

/// An index size to look at the spread with.
const BITS: u32 = 10;

#[derive(Clone, Debug, PartialEq)]
struct S(SvcKey, u32);

impl Keyed for S {
    fn key(&self) -> &SvcKey {
        &self.0
    }
}

fn tcp(a: [u8; 4], port: u16) -> SvcKey {
    let mut addr = [0; 16];
    addr[..4].copy_from_slice(&a);
    SvcKey {
        af: 2,
        protocol: 6,
        addr,
        port,
        fwmark: 0,
    }
}

#[test]
fn ten_thousand_services_keep_order_and_spread_over_the_index() {
    let mut t = SvcTable::new();
    let keys: Vec<SvcKey> = (0..10_000u32)
        .map(|i| tcp([10, 1, (i >> 8) as u8, i as u8], 80 + (i % 3) as u16))
        .collect();
    for (i, k) in keys.iter().enumerate() {
        t.insert(S(*k, i as u32)).unwrap();
    }
    assert_eq!(t.iter().count(), 10_000);
    assert!(t.iter().map(|s| s.1).eq(0..10_000));
    assert_eq!(t.get(9_999).map(|s| s.1), Some(9_999));
    assert!(t.get(10_000).is_none());
    // The index: 1024 chains, none much longer than the mean (about 10).
    let mut chains = vec![0u32; 1 << BITS];
    for k in &keys {
        chains[chain(hash(k), BITS)] += 1;
    }
    assert!(
        chains.iter().all(|&n| n <= 40),
        "longest chain {}",
        chains.iter().max().unwrap()
    );
    assert!(chains.iter().filter(|&&n| n == 0).count() < 64);
}

#[test]
fn packet_keys_are_the_services_identities() {
    let k = tcp([10, 0, 0, 1], 80);
    let pk = packet_key(2, 6, &[10, 0, 0, 1], 80).unwrap();
    assert_eq!(pk, k);
    assert_eq!(hash(&pk), hash(&k));
    // IPv6: all 16 bytes; more than 16 is no key.
    let v6 = packet_key(
        10,
        17,
        &[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        53,
    )
    .unwrap();
    assert_eq!(v6.addr[15], 1);
    assert!(packet_key(10, 17, &[0; 17], 53).is_none());
    // Other protocol or port: other identities.
    assert_ne!(packet_key(2, 17, &[10, 0, 0, 1], 80), Some(k));
    assert_ne!(packet_key(2, 6, &[10, 0, 0, 1], 81), Some(k));
    // A fwmark service is never a packet's address service.
    let fw = SvcKey {
        af: 2,
        protocol: 6,
        addr: [0; 16],
        port: 0,
        fwmark: 7,
    };
    assert_ne!(packet_key(2, 6, &[0; 4], 0), Some(fw));
    assert_eq!(chain(hash(&fw), BITS), hash_32(7, BITS) as usize);
    // ... but a marked packet's fwmark service, whatever its protocol.
    assert_eq!(fwmark_key(2, 7), fw);
    assert_ne!(fwmark_key(10, 7), fw);
    assert_ne!(fwmark_key(2, 8), fw);
}

#[test]
fn remove_and_take_all() {
    let mut t = SvcTable::new();
    let fw = SvcKey {
        af: 2,
        protocol: 6,
        addr: [0; 16],
        port: 0,
        fwmark: 7,
    };
    for (i, k) in [tcp([10, 0, 0, 1], 80), fw, tcp([10, 0, 0, 2], 80)]
        .iter()
        .enumerate()
    {
        t.insert(S(*k, i as u32)).unwrap();
    }
    assert_eq!(t.remove(&fw).map(|s| s.1), Some(1));
    assert!(t.remove(&fw).is_none());
    assert!(t.iter().map(|s| s.1).eq([0, 2]));
    let all = t.take_all();
    assert_eq!(all.len(), 2);
    assert!(t.is_empty());
    assert!(t.remove(&tcp([10, 0, 0, 1], 80)).is_none());
}

/// The rate estimator: constant traffic converges to its rate; zero traffic decays to zero.
#[test]
fn estimator_converges_and_decays() {
    use crate::ipvs_ctl::est::Est;
    let mut e = Est::default();
    let mut c = [0u64; 5];
    // 100 conns/s, 1000 packets/s in, 500 out, 1.5 MB/s in, 64 kB/s out, sampled every 2 s.
    let per_s = [100u64, 1000, 500, 1_500_000, 64_000];
    let mut history = Vec::new();
    for _ in 0..60 {
        for i in 0..5 {
            c[i] += 2 * per_s[i];
        }
        e.update(c);
        history.push(e.rates()[0]);
    }
    assert_eq!(e.rates(), per_s);
    // The first estimate is a quarter of the rate, then it climbs monotonically.
    assert_eq!(history[0], 25);
    assert!(history.windows(2).all(|w| w[0] <= w[1]));
    for _ in 0..60 {
        e.update(c);
    }
    assert_eq!(e.rates(), [0; 5]);
}

fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut addr = [0; 16];
    addr[..4].copy_from_slice(&a);
    addr
}

#[test]
fn a_real_server_sends_for_its_own_protocol_or_for_a_fwmark_service() {
    let rs = [10, 0, 1, 11];
    let tcp_rs = RealKey::new(&tcp([10, 0, 0, 100], 80), 2, v4(rs), 8080);
    assert_eq!(tcp_rs.protocol, 6);
    // Its endpoint and protocol.
    assert!(tcp_rs.sends(2, 6, &v4(rs), 8080));
    // Another protocol, port, address or family: not this real server.
    assert!(!tcp_rs.sends(2, 17, &v4(rs), 8080));
    assert!(!tcp_rs.sends(2, 6, &v4(rs), 80));
    assert!(!tcp_rs.sends(2, 6, &v4([10, 0, 1, 12]), 8080));
    assert!(!tcp_rs.sends(10, 6, &v4(rs), 8080));
    // A firewall-mark service's real server (the service is keyed TCP) sends any protocol.
    let fwm_rs = RealKey::new(&fwmark_key(2, 7), 2, v4(rs), 0);
    assert_eq!(fwm_rs.protocol, ANY_PROTOCOL);
    assert!(fwm_rs.sends(2, 17, &v4(rs), 0));
    assert!(fwm_rs.sends(2, 132, &v4(rs), 0));
    assert!(!fwm_rs.sends(2, 17, &v4(rs), 53));
}

#[test]
fn real_servers_share_an_entry_per_endpoint_and_protocol() {
    let rs = v4([10, 0, 1, 11]);
    let a = RealKey::new(&tcp([10, 0, 0, 100], 80), 2, rs, 80);
    // The same real server of another TCP service: the same entry.
    assert_eq!(a, RealKey::new(&tcp([10, 0, 0, 101], 443), 2, rs, 80));
    // Of a firewall-mark service: another entry, in the same chain.
    let b = RealKey::new(&fwmark_key(2, 1), 2, rs, 80);
    assert_ne!(a, b);
    assert_eq!(a.hash(), b.hash());
    assert_eq!(a.hash(), real_hash(2, &rs, 80));
    // 40,000 real servers (10,000 addresses, 4 ports) spread over the chains.
    let mut chains = vec![0u32; 1 << BITS];
    for i in 0..10_000u32 {
        for port in [80, 8080, 443, 8443] {
            let h = real_hash(2, &v4([10, 1, (i >> 8) as u8, i as u8]), port);
            chains[chain(h, BITS)] += 1;
        }
    }
    assert!(
        chains.iter().all(|&n| n <= 120),
        "longest chain {}",
        chains.iter().max().unwrap()
    );
    assert!(chains.iter().filter(|&&n| n == 0).count() < 16);
}

/// The service index's sizes, as C 7.3's service table takes them (its `ip_vs_status`
/// "Service buckets" line): 16 buckets from the first service on, growing when there are more
/// services than a bucket per `2^-svc_lfactor`, shrinking when 16 times too big.
#[test]
fn the_service_index_is_sized_like_c_service_table() {
    let lf = (-3, -3);
    // No service, or a first one: the smallest index, whatever the load factor.
    assert_eq!(svc_index_bits(0, 9, lf, false), SVC_MIN_BITS);
    assert_eq!(svc_index_bits(1, SVC_MIN_BITS, (-8, -8), true), 4);
    // The second service at -8 asks for 2 * 2^8 buckets.
    assert_eq!(svc_index_bits(2, 4, (-8, -8), false), 9);
    // At -3 (the initial namespace's default): 2 services fit 16 buckets, 3 need 32.
    assert_eq!(svc_index_bits(2, 4, lf, false), 4);
    assert_eq!(svc_index_bits(3, 4, lf, false), 5);
    // 40: 64 * 8.
    assert_eq!(svc_index_bits(40, 5, lf, false), 9);
    assert_eq!(svc_index_bits(40, 9, lf, false), 9);
    // A new load factor: exactly its size (-1: 64 * 2; 2: 64 / 4, at least 16).
    assert_eq!(svc_index_bits(40, 9, (-1, -3), false), 7);
    assert_eq!(svc_index_bits(40, 9, (2, -3), false), 4);
    // Down to 5 services: 8 * 8 is more than a sixteenth of 512, the size stays; at 4, 4 * 8
    // is not, and it shrinks to twice the need.
    assert_eq!(svc_index_bits(5, 9, lf, false), 9);
    assert_eq!(svc_index_bits(4, 9, lf, false), 6);
    // Never above 2^20 buckets.
    assert_eq!(svc_index_bits(1 << 20, 20, lf, false), SVC_MAX_BITS);
}
