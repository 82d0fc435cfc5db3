// SPDX-License-Identifier: GPL-2.0

//! The service table: creation order, lookups by identity and by packet, removal.

use crate::ipvs_ctl::msg::SvcKey;
use crate::ipvs_ctl::table::{Keyed, SvcTable};

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
    SvcKey { af: 2, protocol: 6, addr, port, fwmark: 0 }
}

#[test]
fn ten_thousand_services_keep_order_and_are_found() {
    let mut t = SvcTable::new().unwrap();
    let keys: Vec<SvcKey> = (0..10_000u32).map(|i| tcp([10, 1, (i >> 8) as u8, i as u8], 80 + (i % 3) as u16)).collect();
    for (i, k) in keys.iter().enumerate() {
        t.insert(S(*k, i as u32)).unwrap();
    }
    assert_eq!(t.iter().count(), 10_000);
    assert!(t.iter().map(|s| s.1).eq(0..10_000));
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(t.find(k).map(|s| s.1), Some(i as u32));
        assert_eq!(t.lookup(2, 6, &k.addr[..4], k.port).map(|s| s.1), Some(i as u32));
    }
    // Same address and port, other protocol or port: not found.
    assert!(t.lookup(2, 17, &keys[5].addr[..4], keys[5].port).is_none());
    assert!(t.lookup(2, 6, &keys[5].addr[..4], 9999).is_none());
    assert_eq!(t.get(9_999).map(|s| s.1), Some(9_999));
    assert!(t.get(10_000).is_none());
}

#[test]
fn remove_and_take_all() {
    let mut t = SvcTable::new().unwrap();
    let fw = SvcKey { af: 2, protocol: 6, addr: [0; 16], port: 0, fwmark: 7 };
    for (i, k) in [tcp([10, 0, 0, 1], 80), fw, tcp([10, 0, 0, 2], 80)].iter().enumerate() {
        t.insert(S(*k, i as u32)).unwrap();
    }
    assert_eq!(t.find(&fw).map(|s| s.1), Some(1));
    // A fwmark service is never a packet's address service.
    assert!(t.lookup(2, 6, &[0; 4], 0).is_none());
    assert_eq!(t.remove(&fw).map(|s| s.1), Some(1));
    assert!(t.remove(&fw).is_none());
    assert!(t.find(&fw).is_none());
    assert!(t.iter().map(|s| s.1).eq([0, 2]));
    let all = t.take_all();
    assert_eq!(all.len(), 2);
    assert!(t.is_empty());
    assert!(t.find(&tcp([10, 0, 0, 1], 80)).is_none());
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
