// SPDX-License-Identifier: GPL-2.0

//! The service table of a namespace: a list in creation order (dumps, `/proc/net/ip_vs`, the
//! rate estimator) and the bucket function of its hash index (lookups by identity and, on the
//! packet path, by `<af, protocol, address, port>`), so that both stay O(1) with tens of
//! thousands of services; and the key of the real-server index (NAT destinations by address
//! and port).
//!
//! Pure code over any handle type that knows its key; the kernel side stores `Arc<Service>`
//! and keeps the index itself in an RCU hash (`rust/rcuindex.rs`).

use super::msg::SvcKey;
use crate::ipvs_sched::{hash_32, Packet};
use crate::rust::avec::AVec;

/// The service index's smallest and largest sizes, log2 (C: `IP_VS_SVC_TAB_MIN_BITS`,
/// `IP_VS_SVC_TAB_MAX_BITS`).
pub(crate) const SVC_MIN_BITS: u32 = 4;
pub(crate) const SVC_MAX_BITS: u32 = 20;

/// Bits of the real-server index (a fixed size: no one sees it).
pub(crate) const REAL_BITS: u32 = 10;

/// What the table needs of an entry.
pub(crate) trait Keyed {
    /// The service's identity.
    fn key(&self) -> &SvcKey;
}

/// The index hash of a key: by firewall mark, or by protocol, address and port. Its top bits
/// pick the bucket.
pub(crate) fn hash(key: &SvcKey) -> u32 {
    let h = if key.fwmark != 0 {
        key.fwmark
    } else {
        Packet::fold(key.af, &key.addr) ^ (u32::from(key.port) << 16 | u32::from(key.protocol))
    };
    hash_32(h, 32)
}

/// The bits of the service index for `count` services in `1 << bits` buckets sized at load
/// factor `table_lfactor`, when `svc_lfactor` is `lfactor` (C's resizer: it grows at once,
/// shrinks when 16 times too big, and a new load factor gets its size). Without services the
/// index is at its smallest, and a first service leaves it there whatever the load factor (C
/// allocates the table at its smallest with the first service and grows it from the next).
pub(crate) fn svc_index_bits(
    count: usize,
    bits: u32,
    (lfactor, table_lfactor): (i32, i32),
    first: bool,
) -> u32 {
    if count == 0 || first {
        return SVC_MIN_BITS;
    }
    crate::ipvs_conn::sizing::desired_size_at(
        count,
        1 << bits,
        (lfactor, table_lfactor),
        SVC_MIN_BITS,
        SVC_MAX_BITS,
    )
    .trailing_zeros()
}

/// The identity of the address service for a packet to `<af, protocol, addr, port>` (`addr`:
/// 4 or 16 bytes).
pub(crate) fn packet_key(af: u16, protocol: u16, addr: &[u8], port: u16) -> Option<SvcKey> {
    let mut key = SvcKey {
        af,
        protocol,
        addr: [0; 16],
        port,
        fwmark: 0,
    };
    key.addr.get_mut(..addr.len())?.copy_from_slice(addr);
    Some(key)
}

/// The identity of the firewall-mark service of family `af` for mark `mark` (for a request and
/// for a marked packet alike): protocol TCP, no address or port, like C.
pub(crate) fn fwmark_key(af: u16, mark: u32) -> SvcKey {
    SvcKey {
        af,
        protocol: super::uapi::IPPROTO_TCP,
        addr: [0; 16],
        port: 0,
        fwmark: mark,
    }
}

/// A NAT real server, as the namespace's real-server index holds it (C: an `rs_table` entry):
/// what `nat_icmp_send` looks a packet's source up in. One entry stands for every NAT
/// destination with the same endpoint and protocol, however many services have it, so chains
/// stay as short as the number of distinct real servers. The index's bucket is by address
/// and port only, so a packet finds the entries of every protocol in one chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RealKey {
    /// Address family.
    pub(crate) af: u16,
    /// Address (IPv4 in the first 4 bytes).
    pub(crate) addr: [u8; 16],
    /// Port, host order (zero for a destination of a firewall-mark service without one).
    pub(crate) port: u16,
    /// The IP protocol of its service, or [`ANY_PROTOCOL`] for a firewall-mark service's.
    pub(crate) protocol: u16,
}

/// [`RealKey::protocol`] of a firewall-mark service's real server: it sends any protocol.
pub(crate) const ANY_PROTOCOL: u16 = 0;

impl RealKey {
    /// The key of destination `<af, addr, port>` of service `svc`.
    pub(crate) fn new(svc: &SvcKey, af: u16, addr: [u8; 16], port: u16) -> Self {
        let protocol = if svc.fwmark != 0 {
            ANY_PROTOCOL
        } else {
            svc.protocol
        };
        Self {
            af,
            addr,
            port,
            protocol,
        }
    }

    /// Its hash in the real-server index.
    pub(crate) fn hash(&self) -> u32 {
        real_hash(self.af, &self.addr, self.port)
    }

    /// Whether a packet of IP protocol `proto` from `addr:port` comes from this real server:
    /// the same endpoint, for a service of that protocol or a firewall-mark one (any).
    pub(crate) fn sends(&self, af: u16, proto: u16, addr: &[u8; 16], port: u16) -> bool {
        self.af == af
            && self.port == port
            && self.addr == *addr
            && (self.protocol == proto || self.protocol == ANY_PROTOCOL)
    }
}

/// The real-server index's hash of the endpoint `addr:port` (`addr` zero-padded IPv4 or
/// IPv6).
pub(crate) fn real_hash(af: u16, addr: &[u8; 16], port: u16) -> u32 {
    hash_32(Packet::fold(af, addr) ^ u32::from(port), 32)
}

/// Allocation failed (the table is unchanged).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NoMemory;

/// Services in creation order.
#[derive(Debug, Default)]
pub(crate) struct SvcTable<T> {
    list: AVec<T>,
}

impl<T: Keyed> SvcTable<T> {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        Self { list: AVec::new() }
    }

    /// Appends a service (the caller has checked that its key is new).
    pub(crate) fn insert(&mut self, s: T) -> Result<(), NoMemory> {
        self.list.push(s).map_err(|_| NoMemory)
    }

    /// Removes and returns the service with identity `key`.
    pub(crate) fn remove(&mut self, key: &SvcKey) -> Option<T> {
        let j = self.list.iter().position(|s| s.key() == key)?;
        self.list.remove(j)
    }

    /// Empties the table; returns its services in creation order.
    pub(crate) fn take_all(&mut self) -> AVec<T> {
        core::mem::take(&mut self.list)
    }

    /// The services in creation order.
    pub(crate) fn iter(&self) -> core::slice::Iter<'_, T> {
        self.list.iter()
    }

    /// The `i`-th service in creation order (dump cursors).
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.list.get(i)
    }

    /// Whether there is no service.
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The number of services.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }
}
