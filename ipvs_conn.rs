// SPDX-License-Identifier: GPL-2.0

//! Connections: the table that maps packets to their scheduled destination, per-connection
//! protocol state, and expiry.
//!
//! Each connection is hashed twice: by its request-direction key (client -> virtual service)
//! and by its reply-direction key (real server -> client), so both directions of a NAT flow find
//! it. The table is read under RCU and written under striped bucket locks
//! ([`crate::kernel_ext::rcuhash`]); it grows and shrinks with the number of connections like
//! C IPVS 7.3's, up to `2^conn_tab_bits` buckets. Each connection has an expiry timer: packets
//! only push its deadline back (the timer, when it fires early, re-arms itself for the
//! deadline) and bring the timer forward when a state's timeout is shorter.

pub(crate) mod jhash;
pub(crate) mod show;
pub(crate) mod sizing;

use crate::ipvs_ctl::{
    uapi::{CONN_F_BYPASS, CONN_F_MASQ},
    Dest, Service,
};
use crate::ipvs_proto::{tcp, Proto};
use crate::kernel_ext::{
    rcuhash::{self, Chain, Links},
    skb::{RouteCache, Tunnel},
    random::random_u32,
    sync::{new_spinlock_bh, SpinLockBh},
    time,
};
use kernel::{
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        rcu, Arc, ArcBorrow,
    },
};

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
    /// The key's hash under the table's random `seed`.
    fn hash(&self, seed: u32) -> u32 {
        let a = u32::from_ne_bytes(self.saddr);
        let b = u32::from_ne_bytes(self.daddr);
        let c = (u32::from(self.sport) << 16) | u32::from(self.dport);
        jhash::jhash_3words(a, b, c ^ u32::from(self.proto.ip()), seed)
    }
}

/// The mutable state of a connection.
pub(crate) struct ConnState {
    /// TCP state (UDP connections stay in `None`).
    pub(crate) tcp: tcp::State,
    /// Whether the connection counts as inactive for its destination.
    pub(crate) inactive: bool,
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
    /// The destination it is bound to; none for a cache-bypass connection, whose packets go
    /// to their own destination address.
    pub(crate) dest: Option<Arc<Dest>>,
    /// The service it was scheduled by.
    pub(crate) svc: Arc<Service>,
    /// The virtual address.
    pub(crate) vaddr: [u8; 4],
    /// The virtual port, host order.
    pub(crate) vport: u16,
    /// The real server's port, host order: the destination's, or the virtual port for a
    /// destination without one (firewall-mark services); zero for cache bypass.
    pub(crate) dport: u16,
    /// Protocol state.
    #[pin]
    pub(crate) st: SpinLockBh<ConnState>,
    /// Expiry time in jiffies. Packets push it back without a lock; the timer reads it when it
    /// fires (under `st`).
    expires: Atomic<u64>,
    /// When the expiry timer is due, at the latest (jiffies). Written under `st`; read without
    /// it to see whether a new deadline needs the timer moved.
    timer_at: Atomic<u64>,
    /// Expired (set under `st`): no longer to be used, on its way out of the table.
    dead: Atomic<bool>,
    /// Hashes of `key_in` and `key_out`.
    hashes: [u32; 2],
    /// Table links and expiry timer.
    #[pin]
    links: Links<Conn>,
}

impl rcuhash::Entry for Conn {
    fn links(&self) -> &Links<Self> {
        &self.links
    }

    fn hash(&self, chain: Chain) -> u32 {
        self.hashes[chain as usize]
    }

    fn expire(&self, now: u64, force: bool) -> Option<u64> {
        let st = self.st.lock();
        if !force && !self.is_dead() {
            let expires = self.expires.load(Relaxed);
            let left = expires.wrapping_sub(now);
            // The deadline moved on since the timer was set: wait for it.
            if left != 0 && before_wrap(left) {
                self.timer_at.store(expires, Relaxed);
                return Some(expires);
            }
        }
        if !self.dead.xchg(true, Relaxed) {
            self.unbind(!st.inactive);
        }
        None
    }
}

/// Whether a jiffies difference `later - earlier` (wrapping) means `later` is not before.
fn before_wrap(diff: u64) -> bool {
    diff < 1 << 62
}

impl Conn {
    /// Whether the expiry timer is due after `at` (jiffies).
    fn timer_later_than(&self, at: u64) -> bool {
        let t = self.timer_at.load(Relaxed);
        at != t && before_wrap(t.wrapping_sub(at))
    }

    /// Whether the connection expired (it may still be found until it leaves the table).
    pub(crate) fn is_dead(&self) -> bool {
        self.dead.load(Relaxed)
    }

    /// The real server's (IPv4) address; 0.0.0.0 for cache bypass.
    pub(crate) fn daddr(&self) -> [u8; 4] {
        self.dest.as_ref().map_or([0; 4], |d| [d.addr[0], d.addr[1], d.addr[2], d.addr[3]])
    }

    /// The destination's cached route (none for cache bypass).
    pub(crate) fn route(&self) -> Option<&RouteCache> {
        self.dest.as_ref().map(|d| &d.route)
    }

    /// The destination's tunnel encapsulation.
    pub(crate) fn tunnel(&self) -> Tunnel {
        self.dest.as_ref().map(|d| d.tunnel()).unwrap_or_default()
    }

    /// The connection no longer counts for its destination.
    fn unbind(&self, was_active: bool) {
        if let Some(d) = &self.dest {
            d.unbind_conn(was_active);
        }
    }

    /// Creates a connection for `key_in` bound to `dest`, or a cache-bypass connection
    /// without one, for the table `tab` (packet path: atomic allocation).
    pub(crate) fn new(tab: &ConnTable, key_in: FlowKey, dest: Option<Arc<Dest>>, svc: Arc<Service>, now: u64) -> Result<Arc<Self>> {
        let (daddr, fwd, dport) = match &dest {
            Some(d) => ([d.addr[0], d.addr[1], d.addr[2], d.addr[3]], d.fwd(), if d.port != 0 { d.port } else { key_in.dport }),
            None => ([0; 4], CONN_F_BYPASS, 0),
        };
        let masq = fwd == CONN_F_MASQ;
        // Replies come from the real server (NAT), or else from the virtual address: the
        // original destination for a bypass connection.
        let key_out = FlowKey {
            proto: key_in.proto,
            saddr: if masq { daddr } else { key_in.daddr },
            sport: if masq { dport } else { key_in.dport },
            daddr: key_in.saddr,
            dport: key_in.sport,
        };
        if let Some(d) = &dest {
            d.bind_conn();
        }
        // Like C, a new connection has 3 s until its first state sets its timeout.
        let deadline = now.wrapping_add(3 * time::hz());
        // Only real servers that answer clients directly (DR, TUN) hide the replies; bypass
        // connections follow the full transitions, as C's (no "no output" flag without a
        // destination).
        let no_output = !masq && dest.is_some();
        let st = ConnState { tcp: tcp::State::None, inactive: true, no_output };
        Arc::pin_init(
            pin_init!(Conn {
                key_in,
                key_out,
                fwd,
                vaddr: key_in.daddr,
                vport: key_in.dport,
                dport,
                dest,
                svc,
                st <- new_spinlock_bh!(st, c"ipvs_rs::Conn::st"),
                expires: Atomic::new(deadline),
                timer_at: Atomic::new(deadline),
                dead: Atomic::new(false),
                hashes: [key_in.hash(tab.seed), key_out.hash(tab.seed)],
                links <- Links::new(),
            }),
            GFP_ATOMIC,
        )
    }
}

/// The connection table of a namespace.
#[pin_data]
pub(crate) struct ConnTable {
    #[pin]
    tab: rcuhash::Table<Conn>,
    /// Hash seed, random per namespace.
    seed: u32,
}

impl ConnTable {
    /// An empty table with no buckets yet (C IPVS allocates it with the first service).
    pub(crate) fn new() -> Result<impl PinInit<Self>> {
        let tab = rcuhash::Table::new(c"ipvs_rs::ConnTable", kernel::static_lock_class!())?;
        Ok(pin_init!(Self { tab <- tab, seed: random_u32() }))
    }

    /// Allocates the buckets if they do not exist yet (process context).
    pub(crate) fn ensure_table(&self) -> Result {
        self.tab.ensure()
    }

    /// The number of buckets (`IPVS_INFO_ATTR_CONN_TAB_SIZE`).
    pub(crate) fn size(&self) -> u32 {
        self.tab.size()
    }

    /// Grows or shrinks the table for the current number of connections (process context).
    pub(crate) fn resize(&self, lfactor: i32, max_bits: u32) {
        let size = self.tab.size() as usize;
        if size == 0 {
            return;
        }
        let want = sizing::desired_size(self.tab.count(), size, lfactor, rcuhash::MIN_BITS, max_bits);
        // Without memory for the new buckets the table keeps its size; the next tick retries.
        let _ = self.tab.resize(want.trailing_zeros());
    }

    /// Finds the live connection of a client-to-service packet.
    pub(crate) fn lookup_in<'a>(&'a self, g: &'a rcu::Guard, key: &FlowKey) -> Option<ArcBorrow<'a, Conn>> {
        self.tab.find(g, Chain::In, key.hash(self.seed), |c| c.key_in == *key && !c.is_dead())
    }

    /// Finds the live connection of a server-to-client packet.
    pub(crate) fn lookup_out<'a>(&'a self, g: &'a rcu::Guard, key: &FlowKey) -> Option<ArcBorrow<'a, Conn>> {
        self.tab.find(g, Chain::Out, key.hash(self.seed), |c| c.key_out == *key && !c.is_dead())
    }

    /// Sets `c`'s deadline to `at` (jiffies). The timer is left alone unless it is due later,
    /// then it is brought forward (under `c`'s state lock, with the timer's own updates).
    pub(crate) fn set_expiry(&self, c: &Conn, at: u64) {
        c.expires.store(at, Relaxed);
        if !c.timer_later_than(at) {
            return;
        }
        let _st = c.st.lock();
        if c.timer_later_than(at) {
            c.timer_at.store(at, Relaxed);
            self.tab.arm(c, at);
        }
    }

    /// Hashes a new connection unless another CPU hashed the same flow first; returns the
    /// connection to use.
    pub(crate) fn insert_or_get<'a>(&'a self, g: &'a rcu::Guard, c: Arc<Conn>) -> Result<ArcBorrow<'a, Conn>> {
        let dest = c.dest.clone();
        let key = c.key_in;
        let expires = c.timer_at.load(Relaxed);
        let r = self.tab.insert_unique(g, c, expires, |x| x.key_in == key && !x.is_dead());
        if !matches!(r, Ok((_, true))) {
            // Not hashed: the new connection never counted.
            if let Some(d) = dest {
                d.unbind_conn(false);
            }
        }
        r.map(|(c, _)| c)
    }

    /// Ends `c` now (a new connection takes its place), unbinding it from its destination;
    /// its timer takes it out of the table.
    pub(crate) fn expire_now(&self, c: &Conn, now: u64) {
        let st = c.st.lock();
        if c.dead.xchg(true, Relaxed) {
            return;
        }
        c.unbind(!st.inactive);
        c.expires.store(now, Relaxed);
        c.timer_at.store(now, Relaxed);
        self.tab.arm(c, now);
    }

    /// Writes `/proc/net/ip_vs_conn`.
    pub(crate) fn show(&self, w: &mut impl core::fmt::Write, now: u64, hz: u64) -> core::fmt::Result {
        w.write_str(show::HEADER)?;
        let g = rcu::read_lock();
        let mut res = Ok(());
        self.tab.for_each(&g, |c| {
            if res.is_err() {
                return;
            }
            let st = c.st.lock();
            let left = c.expires.load(Relaxed).wrapping_sub(now);
            let expires = if left < (1 << 62) { (left / hz.max(1)) as u32 } else { 0 };
            let state = match c.key_in.proto {
                Proto::Tcp => st.tcp.name(),
                Proto::Udp => "UDP",
            };
            res = show::write_conn(
                w,
                &show::ConnLine {
                    proto: c.key_in.proto.name(),
                    client: (c.key_in.saddr, c.key_in.sport),
                    virt: (c.vaddr, c.vport),
                    dest: (c.daddr(), c.dport),
                    state,
                    expires,
                },
            );
        });
        res
    }

    /// Removes every connection (the namespace is going away; process context).
    pub(crate) fn flush(&self) {
        self.tab.drain();
    }
}
