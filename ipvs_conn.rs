// SPDX-License-Identifier: GPL-2.0

//! Connections: the table that maps packets to their scheduled destination, per-connection
//! protocol state, and expiry.
//!
//! Each connection is hashed twice: by its request-direction key (client -> virtual service)
//! and by its reply-direction key (real server -> client), so both directions of a NAT flow find
//! it. Expiry runs from the namespace's 1 s tick.

pub(crate) mod jhash;
pub(crate) mod show;

use crate::ipvs_ctl::{uapi::CONN_F_MASQ, Dest, Service};
use crate::ipvs_proto::{tcp, Proto};
use crate::kernel_ext::sync::{new_spinlock_bh, SpinLockBh};
use kernel::{alloc::KVec, prelude::*, sync::Arc};

/// Bits of the connection hash table (C IPVS starts its table at 2^8 buckets).
const TAB_BITS: u32 = 8;

/// A flow key: protocol and two endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FlowKey {
    /// Protocol.
    pub(crate) proto: Proto,
    /// Source address.
    pub(crate) saddr: [u8; 4],
    /// Source port, host order.
    pub(crate) sport: u16,
    /// Destination address.
    pub(crate) daddr: [u8; 4],
    /// Destination port, host order.
    pub(crate) dport: u16,
}

impl FlowKey {
    fn hash(&self) -> usize {
        let a = u32::from_ne_bytes(self.saddr);
        let b = u32::from_ne_bytes(self.daddr);
        let c = (u32::from(self.sport) << 16) | u32::from(self.dport);
        let h = jhash::jhash_3words(a, b, c ^ u32::from(self.proto.ip()), 0x1f2e3d4c);
        (h & ((1 << TAB_BITS) - 1)) as usize
    }
}

/// The mutable state of a connection.
pub(crate) struct ConnState {
    /// TCP state (UDP connections stay in `None`).
    pub(crate) tcp: tcp::State,
    /// Whether the connection counts as inactive for its destination.
    pub(crate) inactive: bool,
    /// Expiry time in jiffies.
    pub(crate) expires: u64,
    /// Unhashed by expiry: no longer to be used.
    pub(crate) dead: bool,
    /// No reply seen yet from a real server that answers clients directly (DR, TUN): TCP
    /// follows the input-only transitions until one passes through this host.
    pub(crate) no_output: bool,
}

/// One connection.
#[pin_data]
pub(crate) struct Conn {
    /// Client to virtual service.
    pub(crate) key_in: FlowKey,
    /// Replies to the client: from the real server (NAT), or from the virtual service (DR and
    /// TUN real servers answer from the virtual address).
    pub(crate) key_out: FlowKey,
    /// The forwarding method (`IP_VS_CONN_F_*`), fixed when the connection is made.
    pub(crate) fwd: u32,
    /// The destination it is bound to.
    pub(crate) dest: Arc<Dest>,
    /// The service it was scheduled by.
    pub(crate) svc: Arc<Service>,
    /// The virtual address.
    pub(crate) vaddr: [u8; 4],
    /// The virtual port, host order.
    pub(crate) vport: u16,
    /// State and expiry.
    #[pin]
    pub(crate) st: SpinLockBh<ConnState>,
}

impl Conn {
    /// The real server's (IPv4) address.
    pub(crate) fn daddr(&self) -> [u8; 4] {
        let a = &self.dest.addr;
        [a[0], a[1], a[2], a[3]]
    }

    /// Creates a connection for `key_in` bound to `dest` (packet path: atomic allocation).
    pub(crate) fn new(key_in: FlowKey, dest: Arc<Dest>, svc: Arc<Service>, now: u64) -> Result<Arc<Self>> {
        let daddr = [dest.addr[0], dest.addr[1], dest.addr[2], dest.addr[3]];
        let fwd = dest.fwd();
        let masq = fwd == CONN_F_MASQ;
        let key_out = FlowKey {
            proto: key_in.proto,
            saddr: if masq { daddr } else { key_in.daddr },
            sport: if masq { dest.port } else { key_in.dport },
            daddr: key_in.saddr,
            dport: key_in.sport,
        };
        dest.bind_conn();
        let st = ConnState { tcp: tcp::State::None, inactive: true, expires: now, dead: false, no_output: !masq };
        Arc::pin_init(
            pin_init!(Conn {
                key_in,
                key_out,
                fwd,
                vaddr: key_in.daddr,
                vport: key_in.dport,
                dest,
                svc,
                st <- new_spinlock_bh!(st, c"ipvs_rs::Conn::st"),
            }),
            GFP_ATOMIC,
        )
    }
}

/// The connection table of a namespace.
pub(crate) struct ConnTable {
    by_in: KVec<KVec<Arc<Conn>>>,
    by_out: KVec<KVec<Arc<Conn>>>,
    count: usize,
}

impl ConnTable {
    /// An empty table with no buckets yet (C IPVS allocates it with the first service).
    pub(crate) fn new() -> Self {
        Self { by_in: KVec::new(), by_out: KVec::new(), count: 0 }
    }

    /// A table initialiser for pinned embedding.
    pub(crate) fn new_locked() -> impl PinInit<SpinLockBh<Self>> {
        new_spinlock_bh!(Self::new(), c"ipvs_rs::ConnTable")
    }

    /// Allocates the buckets if they do not exist yet (process context).
    pub(crate) fn ensure_table(&mut self) -> Result {
        if !self.by_in.is_empty() {
            return Ok(());
        }
        let n = 1usize << TAB_BITS;
        let mut a = KVec::with_capacity(n, GFP_ATOMIC)?;
        let mut b = KVec::with_capacity(n, GFP_ATOMIC)?;
        for _ in 0..n {
            a.push(KVec::new(), GFP_ATOMIC)?;
            b.push(KVec::new(), GFP_ATOMIC)?;
        }
        self.by_in = a;
        self.by_out = b;
        Ok(())
    }

    /// The number of buckets (`IPVS_INFO_ATTR_CONN_TAB_SIZE`).
    pub(crate) fn size(&self) -> u32 {
        self.by_in.len() as u32
    }

    /// The number of connections.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    fn find(tab: &KVec<KVec<Arc<Conn>>>, key: &FlowKey, out: bool) -> Option<Arc<Conn>> {
        let bucket = tab.get(key.hash())?;
        bucket
            .iter()
            .find(|c| if out { c.key_out == *key } else { c.key_in == *key })
            .cloned()
    }

    /// Finds the connection of a client-to-service packet.
    pub(crate) fn lookup_in(&self, key: &FlowKey) -> Option<Arc<Conn>> {
        Self::find(&self.by_in, key, false)
    }

    /// Finds the connection of a server-to-client packet.
    pub(crate) fn lookup_out(&self, key: &FlowKey) -> Option<Arc<Conn>> {
        Self::find(&self.by_out, key, true)
    }

    /// Hashes a new connection unless another CPU hashed the same flow first; returns the
    /// connection to use.
    pub(crate) fn insert_or_get(&mut self, c: Arc<Conn>) -> Result<Arc<Conn>> {
        if let Some(old) = self.lookup_in(&c.key_in) {
            c.dest.unbind_conn(false);
            return Ok(old);
        }
        self.insert(c.clone()).inspect_err(|_| c.dest.unbind_conn(false))?;
        Ok(c)
    }

    /// Hashes a new connection in both directions.
    fn insert(&mut self, c: Arc<Conn>) -> Result {
        let hi = c.key_in.hash();
        let ho = c.key_out.hash();
        let (Some(_), Some(_)) = (self.by_in.get(hi), self.by_out.get(ho)) else {
            return Err(ENOMEM);
        };
        self.by_in[hi].push(c.clone(), GFP_ATOMIC)?;
        if let Err(e) = self.by_out[ho].push(c, GFP_ATOMIC) {
            self.by_in[hi].pop();
            return Err(e.into());
        }
        self.count += 1;
        Ok(())
    }

    /// Unhashes `c` now (its time is up early), unbinding it from its destination.
    pub(crate) fn expire_now(&mut self, c: &Arc<Conn>) {
        let mut st = c.st.lock();
        if st.dead {
            return;
        }
        st.dead = true;
        c.dest.unbind_conn(!st.inactive);
        drop(st);
        let (hi, ho) = (c.key_in.hash(), c.key_out.hash());
        if let Some(b) = self.by_in.get_mut(hi) {
            b.retain(|x| !Arc::ptr_eq(x, c));
        }
        if let Some(b) = self.by_out.get_mut(ho) {
            b.retain(|x| !Arc::ptr_eq(x, c));
        }
        self.count -= 1;
    }

    /// Writes `/proc/net/ip_vs_conn`.
    pub(crate) fn show(&self, w: &mut impl core::fmt::Write, now: u64, hz: u64) -> core::fmt::Result {
        w.write_str(show::HEADER)?;
        for c in self.by_in.iter().flat_map(|b| b.iter()) {
            let st = c.st.lock();
            let left = st.expires.wrapping_sub(now);
            let expires = if left < (1 << 62) { (left / hz.max(1)) as u32 } else { 0 };
            let state = match c.key_in.proto {
                Proto::Tcp => st.tcp.name(),
                Proto::Udp => "UDP",
            };
            show::write_conn(
                w,
                &show::ConnLine {
                    proto: c.key_in.proto.name(),
                    client: (c.key_in.saddr, c.key_in.sport),
                    virt: (c.vaddr, c.vport),
                    dest: (c.daddr(), c.dest.port),
                    state,
                    expires,
                },
            )?;
        }
        Ok(())
    }

    /// Removes every connection whose time is up (all of them if `all`), unbinding it from its
    /// destination.
    pub(crate) fn expire(&mut self, now: u64, all: bool) {
        let mut gone = 0;
        for bucket in self.by_in.iter_mut() {
            bucket.retain(|c| {
                let mut st = c.st.lock();
                // `now >= expires` in wrapping jiffies arithmetic.
                st.dead = all || now.wrapping_sub(st.expires) < (1 << 62);
                if st.dead {
                    c.dest.unbind_conn(!st.inactive);
                    gone += 1;
                }
                !st.dead
            });
        }
        for bucket in self.by_out.iter_mut() {
            bucket.retain(|c| !c.st.lock().dead);
        }
        self.count -= gone;
    }
}
