// SPDX-License-Identifier: GPL-2.0

//! Connections: the table that maps packets to their scheduled destination, per-connection
//! protocol state, and expiry.
//!
//! Each connection is hashed twice: by its request-direction key (client -> virtual service)
//! and by its reply-direction key (real server -> client), so both directions of a NAT flow find
//! it. The table is read under RCU and written under striped bucket locks
//! ([`crate::rust::rcuhash`]); it grows and shrinks with the number of connections like
//! C IPVS 7.3's, up to `2^conn_tab_bits` buckets. Each connection has an expiry timer: packets
//! only push its deadline back (the timer, when it fires early, re-arms itself for the
//! deadline) and bring the timer forward when a state's timeout is shorter.
//!
//! Pure, host-tested: [`flow`] (flow keys of either family, forwarding methods, reply keys),
//! [`persist`] (persistence template keys), [`show`] (`/proc/net/ip_vs_conn` lines), [`jhash`],
//! [`sizing`] (the table's growth policy).

pub(crate) mod flow;
pub(crate) mod jhash;
pub(crate) mod nfct;
pub(crate) mod persist;
pub(crate) mod show;
pub(crate) mod sizing;
mod synced;

use crate::ipvs_app::ftp::Passive;
use crate::ipvs_ctl::{defense, uapi, Dest, Service};
use crate::ipvs_proto::{
    inet::{Addr, Family},
    sctp, sip, tcp, Proto,
};
use crate::ipvs_xmit::Tunnel;
use crate::rust::{
    random::random_u32,
    rcuhash::{self, Chain, Links},
    route::RouteCache,
    sync::{new_spinlock_bh, SpinLockBh},
    time,
};
use flow::reply_key;
pub(crate) use flow::{FlowKey, Fwd};
use kernel::{
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        rcu, Arc, ArcBorrow,
    },
};

/// The mutable state of a connection.
pub(crate) struct ConnState {
    /// The protocol's state in the low four bits ([`STATE_BITS`]): C's number of a TCP or SCTP
    /// state, 0 for others (see [`ConnState::tcp`], [`ConnState::sctp`]); above them, an FTP
    /// control connection's passive command awaiting the server's answer (C: `app_data`; see
    /// [`ConnState::ftp_passive`]). One byte for all keeps a connection within its slab object.
    state: u8,
    /// Whether the connection counts as inactive for its destination.
    pub(crate) inactive: bool,
    /// No reply seen yet from a real server that answers clients directly (DR, TUN): TCP and
    /// SCTP follow the input-only transitions until one passes through this host.
    pub(crate) no_output: bool,
    /// The state a sync master last sent it in (C: `old_state`), C's number.
    pub(crate) synced_state: u8,
}

/// The bits of [`ConnState`]'s byte that hold the protocol's state: every TCP and SCTP state
/// number fits.
const STATE_BITS: u8 = 0x0f;
const _: () =
    assert!(tcp::State::SynAck as u8 <= STATE_BITS && sctp::NSTATES as u8 <= STATE_BITS + 1);

impl ConnState {
    /// The TCP state of a TCP connection.
    pub(crate) fn tcp(&self) -> tcp::State {
        tcp::State::from_number((self.state & STATE_BITS).into()).unwrap_or(tcp::State::None)
    }

    /// Moves a TCP connection to `s`.
    pub(crate) fn set_tcp(&mut self, s: tcp::State) {
        self.state = (self.state & !STATE_BITS) | s as u8;
    }

    /// The SCTP state of an SCTP connection.
    pub(crate) fn sctp(&self) -> sctp::State {
        sctp::State::from_number((self.state & STATE_BITS).into()).unwrap_or(sctp::State::None)
    }

    /// Moves an SCTP connection to `s`.
    pub(crate) fn set_sctp(&mut self, s: sctp::State) {
        self.state = (self.state & !STATE_BITS) | s as u8;
    }

    /// An FTP control connection's passive command (PASV or EPSV) the server has not answered
    /// yet.
    pub(crate) fn ftp_passive(&self) -> Option<Passive> {
        match self.state >> 4 {
            1 => Some(Passive::Pasv),
            2 => Some(Passive::Epsv),
            _ => None,
        }
    }

    /// Records (or clears) the passive command awaiting the server's answer.
    pub(crate) fn set_ftp_passive(&mut self, p: Option<Passive>) {
        let v = match p {
            None => 0,
            Some(Passive::Pasv) => 1,
            Some(Passive::Epsv) => 2,
        };
        self.state = (self.state & STATE_BITS) | v << 4;
    }

    /// A new connection's: no state, inactive, `no_output` as its forwarding method says.
    pub(crate) fn initial(no_output: bool) -> Self {
        Self {
            state: 0,
            inactive: true,
            no_output,
            synced_state: 0,
        }
    }
}

/// What a connection table entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A connection: packets are forwarded by it.
    Conn,
    /// A persistence template (C: `IP_VS_CONN_F_TEMPLATE`): no packet uses it; it keeps a
    /// client (network) on a real server, and lives while it controls connections.
    Template,
}

/// A template's persistence-engine data: the Call-ID of the `sip` engine (C: `pe_data`).
pub(crate) struct PeData {
    len: u8,
    bytes: [u8; sip::CALLID_MAXLEN],
}

impl PeData {
    /// A copy of `data` (at most [`sip::CALLID_MAXLEN`] bytes; packet path: atomic allocation).
    pub(crate) fn new(data: &[u8]) -> Result<KBox<Self>> {
        let len = u8::try_from(data.len()).map_err(|_| EINVAL)?;
        let mut bytes = [0u8; sip::CALLID_MAXLEN];
        bytes
            .get_mut(..data.len())
            .ok_or(EINVAL)?
            .copy_from_slice(data);
        Ok(KBox::new(Self { len, bytes }, GFP_ATOMIC)?)
    }

    /// The data.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// The flags of [`Conn::bits`].
mod bit {
    /// Expired (set under `st`): no longer to be used, on its way out of the table.
    pub(super) const DEAD: i8 = 1;
    /// A template a controlled connection reached ESTABLISHED through (TCP) or got a reply
    /// through (UDP) (C: `IP_VS_CTPL_S_ASSURED`).
    pub(super) const ASSURED: i8 = 2;
    /// A template found unusable (its real server gone or, with `expire_quiescent_template`,
    /// quiesced): no longer found, shown with port 65535 until it expires (C sets its `dport`).
    pub(super) const INVALID: i8 = 4;
    /// Its packets keep their conntrack entries (the `conntrack` sysctl when it was made; C:
    /// `IP_VS_CONN_F_NFCT`): see [`super::nfct`].
    pub(super) const NFCT: i8 = 8;
    /// Made for one packet only (`-o`, UDP): never hashed, gone after its packet (fixed).
    pub(super) const ONE_PACKET: i8 = 16;
    /// Made by the sync daemon from a master's message (C: `IP_VS_CONN_F_SYNC`; fixed).
    pub(super) const SYNCED: i8 = 32;
    /// An application helper watches its packets (an FTP control connection; C: `cp->app`;
    /// fixed).
    pub(super) const APP: i8 = 64;
}

/// Seconds a template's life is extended by when its time is up but it still controls
/// connections (C: `ip_vs_conn_expire`'s 60 s; its timeout stays at that from then on).
const CONTROL_GRACE_S: u32 = 60;

/// One connection.
#[pin_data]
pub(crate) struct Conn {
    /// A connection or a template.
    pub(crate) kind: Kind,
    /// Client to virtual service.
    pub(crate) key_in: FlowKey,
    /// The real server's address (C: `cp->daddr`); all zeros for cache bypass.
    daddr: Addr,
    /// The forwarding method, fixed when the connection is made.
    pub(crate) fwd: Fwd,
    /// The destination it is bound to; none for a cache-bypass connection, whose packets go
    /// to their own destination address.
    pub(crate) dest: Option<Arc<Dest>>,
    /// The service it was scheduled by.
    pub(crate) svc: Arc<Service>,
    /// The template that controls it (persistence), if any.
    pub(crate) control: Option<Arc<Conn>>,
    /// How many live connections this template controls.
    n_control: Atomic<u32>,
    /// A template's timeout in seconds (each connection it makes pushes its expiry this far);
    /// a connection's count of packets from the client (C: `in_pkts`, which the `drop_entry`
    /// defence reads). One field for both keeps a connection within its slab object.
    per_kind: Atomic<u32>,
    /// Flags ([`bit`]), in one byte so that a connection stays within its slab object.
    bits: Atomic<i8>,
    /// When a sync master sends it again at the latest (jiffies modulo 2^32; sends retried in
    /// the low two bits; C: `sync_endtime`).
    sync_endtime: Atomic<u32>,
    /// A template's persistence-engine data (the SIP Call-ID it is keyed by as well).
    pe_data: Option<KBox<PeData>>,
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
    /// Hashes of `key_in` and [`Conn::key_out`].
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
            // A template (or an FTP control connection) lives on while it controls
            // connections, like C's; a template's timeout is this grace from then on.
            if self.n_control.load(Relaxed) != 0 {
                if self.kind == Kind::Template {
                    self.per_kind.store(CONTROL_GRACE_S, Relaxed);
                }
                let at = now.wrapping_add(u64::from(CONTROL_GRACE_S) * time::hz());
                self.expires.store(at, Relaxed);
                self.timer_at.store(at, Relaxed);
                return Some(at);
            }
        }
        if self.swap_bit(bit::DEAD, true) {
            return None;
        }
        self.release(!st.inactive);
        drop(st);
        // A forced expiry is the namespace's end: conntrack's state may be gone already.
        if !force {
            self.forget_conntrack();
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

    /// Whether flag `b` is set.
    fn bit(&self, b: i8) -> bool {
        self.bits.load(Relaxed) & b != 0
    }

    /// Sets or clears flag `b`; returns whether it was set.
    fn swap_bit(&self, b: i8, on: bool) -> bool {
        let mut cur = self.bits.load(Relaxed);
        loop {
            let new = if on { cur | b } else { cur & !b };
            match self.bits.cmpxchg(cur, new, Relaxed) {
                Ok(_) => return cur & b != 0,
                Err(now) => cur = now,
            }
        }
    }

    /// Whether the connection expired (it may still be found until it leaves the table).
    pub(crate) fn is_dead(&self) -> bool {
        self.bit(bit::DEAD)
    }

    /// Made for one packet only (`-o`, UDP): never hashed, gone after its packet.
    pub(crate) fn one_packet(&self) -> bool {
        self.bit(bit::ONE_PACKET)
    }

    /// Whether this is a passive-mode FTP data connection the helper made before the client's
    /// port was known (C: `IP_VS_CONN_F_NO_CPORT`): TCP, client port 0, controlled by a
    /// connection (a control connection, not a template).
    pub(crate) fn waits_for_client_port(&self) -> bool {
        self.kind == Kind::Conn
            && self.key_in.proto == Proto::Tcp
            && self.key_in.sport == 0
            && self.control.as_ref().is_some_and(|c| c.kind == Kind::Conn)
    }

    /// Whether an application helper watches its packets (an FTP control connection).
    pub(crate) fn has_app(&self) -> bool {
        self.bit(bit::APP)
    }

    /// Whether a template was assured (see [`bit::ASSURED`]).
    fn assured(&self) -> bool {
        self.bit(bit::ASSURED)
    }

    /// Marks a template assured.
    fn assure(&self) {
        if !self.assured() {
            self.swap_bit(bit::ASSURED, true);
        }
    }

    /// The address family of the connection (its client's and its virtual service's).
    pub(crate) fn family(&self) -> Family {
        self.key_in.family
    }

    /// The virtual address (a template's: the virtual address or the firewall mark).
    pub(crate) fn vaddr(&self) -> Addr {
        self.key_in.daddr
    }

    /// The virtual port, host order.
    pub(crate) fn vport(&self) -> u16 {
        self.key_in.dport
    }

    /// The real server's address; all zeros for cache bypass.
    pub(crate) fn daddr(&self) -> Addr {
        self.daddr
    }

    /// The key of replies to the client: from the real server (NAT), or from the virtual
    /// service (DR and TUN real servers answer from the virtual address; a bypass
    /// connection's from the original destination). A template's is never looked up.
    pub(crate) fn key_out(&self) -> FlowKey {
        reply_key(&self.key_in, self.fwd, self.daddr, self.dport)
    }

    /// The destination's cached route (none for cache bypass).
    pub(crate) fn route(&self) -> Option<&RouteCache> {
        self.dest.as_ref().map(|d| &d.route)
    }

    /// The destination's tunnel encapsulation.
    pub(crate) fn tunnel(&self) -> Tunnel {
        self.dest.as_ref().map(|d| d.tunnel()).unwrap_or_default()
    }

    /// The connection went (it was marked dead just now): it no longer counts for its
    /// destination, nor for its template.
    fn release(&self, was_active: bool) {
        if let Some(d) = &self.dest {
            match self.kind {
                Kind::Conn => d.unbind_conn(was_active),
                Kind::Template => d.unbind_template(),
            }
        }
        if let Some(t) = &self.control {
            t.n_control.fetch_sub(1, Relaxed);
        }
    }

    /// A template's persistence-engine data.
    fn pe_bytes(&self) -> Option<&[u8]> {
        self.pe_data.as_deref().map(PeData::as_bytes)
    }

    /// Whether this is a template that new connections may use.
    pub(crate) fn is_usable_template(&self) -> bool {
        self.kind == Kind::Template && !self.is_dead() && !self.bit(bit::INVALID)
    }

    /// The template is not to be used again (it stays until it expires, like C's).
    pub(crate) fn invalidate(&self) {
        self.swap_bit(bit::INVALID, true);
    }

    /// How many connections this template controls.
    pub(crate) fn controls(&self) -> u32 {
        self.n_control.load(Relaxed)
    }

    /// A connection this template controls reached ESTABLISHED (TCP) or got a reply (UDP).
    pub(crate) fn assure_control(&self) {
        if let Some(t) = &self.control {
            t.assure();
        }
    }

    /// A packet came from the client (a connection's count; templates count none).
    pub(crate) fn count_in_packet(&self) {
        if self.kind == Kind::Conn {
            self.per_kind.add(1, Relaxed);
        }
    }

    /// Packets from the client so far (a template: 0).
    pub(crate) fn in_pkts(&self) -> u32 {
        match self.kind {
            Kind::Conn => self.per_kind.load(Relaxed),
            Kind::Template => 0,
        }
    }

    /// The template's timeout, seconds.
    pub(crate) fn template_timeout(&self) -> u32 {
        self.per_kind.load(Relaxed)
    }

    /// An entry that was never hashed goes (a one-packet connection after its packet, or an
    /// entry another CPU hashed first): it stops counting.
    pub(crate) fn release_unhashed(&self) {
        if !self.swap_bit(bit::DEAD, true) {
            self.release(false);
        }
    }

    /// The state `/proc/net/ip_vs_conn` shows.
    fn state_name(&self, st: &ConnState) -> &'static str {
        match (self.kind, self.key_in.proto) {
            (Kind::Template, _) if self.assured() => "ASSURED",
            (Kind::Template, _) | (Kind::Conn, Proto::Ip) => "NONE",
            (Kind::Conn, Proto::Tcp) => st.tcp().name(),
            (Kind::Conn, Proto::Udp) => "UDP",
            (Kind::Conn, Proto::Sctp) => st.sctp().name(),
        }
    }

    /// Creates a connection for `key_in` bound to `dest`, or a cache-bypass connection
    /// without one, for the table `tab` (packet path: atomic allocation). `dport` is the
    /// real server's port it forwards to; `control` the template it was made through.
    pub(crate) fn new(
        tab: &ConnTable,
        key_in: FlowKey,
        dest: Option<(Arc<Dest>, u16)>,
        svc: Arc<Service>,
        control: Option<Arc<Conn>>,
        flags: ConnFlags,
        now: u64,
    ) -> Result<Arc<Self>> {
        let (dest, daddr, fwd, dport) = match dest {
            Some((d, port)) => {
                let (addr, fwd) = (d.address(), Fwd::from_flags(d.fwd()));
                (Some(d), addr, fwd, port)
            }
            None => (None, Addr::default(), Fwd::Bypass, 0),
        };
        let masq = fwd == Fwd::Masq;
        // Like C, a new connection has 3 s until its first state sets its timeout.
        let deadline = now.wrapping_add(3 * time::hz());
        // Only real servers that answer clients directly (DR, TUN) hide the replies; bypass
        // connections follow the full transitions, as C's (no "no output" flag without a
        // destination).
        let no_output = !masq && dest.is_some();
        let c = Self::build(
            tab,
            Parts {
                kind: Kind::Conn,
                key_in,
                daddr,
                fwd,
                dport,
                dest,
                svc,
                control,
                tpl_timeout: 0,
                flags,
                pe_data: None,
                no_output,
                deadline,
            },
        )?;
        // Counted once it exists: [`Conn::release`] undoes this.
        if let Some(d) = &c.dest {
            d.bind_conn();
        }
        if let Some(t) = &c.control {
            t.n_control.add(1, Relaxed);
        }
        Ok(c)
    }
}

/// How a new connection treats its packets, fixed when it is made.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ConnFlags {
    /// Made for one packet only (`-o`, UDP).
    pub(crate) one_packet: bool,
    /// Its packets keep their conntrack entries (the `conntrack` sysctl).
    pub(crate) nfct: bool,
    /// Made by the sync daemon.
    pub(crate) synced: bool,
    /// An application helper watches its packets.
    pub(crate) app: bool,
}

impl ConnFlags {
    /// The flags of a new connection.
    fn bits(self) -> i8 {
        let mut b = 0;
        for (on, v) in [
            (self.one_packet, bit::ONE_PACKET),
            (self.nfct, bit::NFCT),
            (self.synced, bit::SYNCED),
            (self.app, bit::APP),
        ] {
            if on {
                b |= v;
            }
        }
        b
    }
}

/// What [`Conn::build`] makes an entry of.
struct Parts {
    kind: Kind,
    key_in: FlowKey,
    daddr: Addr,
    fwd: Fwd,
    dport: u16,
    dest: Option<Arc<Dest>>,
    svc: Arc<Service>,
    control: Option<Arc<Conn>>,
    tpl_timeout: u32,
    flags: ConnFlags,
    pe_data: Option<KBox<PeData>>,
    no_output: bool,
    deadline: u64,
}

impl Conn {
    /// Writes the connection's line of `/proc/net/ip_vs_conn` (or of `ip_vs_conn_sync`) at
    /// `now` (jiffies, `hz` a second).
    pub(crate) fn show(
        &self,
        w: &mut impl core::fmt::Write,
        now: u64,
        hz: u64,
        sync_file: bool,
    ) -> core::fmt::Result {
        let st = self.st.lock();
        let left = self.expires.load(Relaxed).wrapping_sub(now);
        let expires = if left < (1 << 62) {
            (left / hz.max(1)) as u32
        } else {
            0
        };
        let state = self.state_name(&st);
        // An invalidated template shows C's marker port.
        let dport = if self.bit(bit::INVALID) {
            0xffff
        } else {
            self.dport
        };
        let line = show::ConnLine {
            proto: self.key_in.proto.name(),
            family: self.family(),
            client: (self.key_in.saddr, self.key_in.sport),
            virt: (self.vaddr(), self.vport()),
            dest: (
                self.dest.as_ref().map_or(self.family(), |d| d.family()),
                self.daddr(),
                dport,
            ),
            state,
            expires,
            pe: self.pe_bytes().map(|d| ("sip", d)),
        };
        if sync_file {
            show::write_conn_sync(w, &line, self.bit(bit::SYNCED))
        } else {
            show::write_conn(w, &line)
        }
    }

    /// Allocates an entry of table `tab` (packet path: atomic allocation), counted nowhere
    /// yet; it starts inactive, in no TCP state, due at `deadline`.
    fn build(tab: &ConnTable, p: Parts) -> Result<Arc<Self>> {
        let st = ConnState::initial(p.no_output);
        let reply = reply_key(&p.key_in, p.fwd, p.daddr, p.dport);
        Arc::pin_init(
            pin_init!(Conn {
                kind: p.kind,
                key_in: p.key_in,
                daddr: p.daddr,
                fwd: p.fwd,
                dport: p.dport,
                dest: p.dest,
                svc: p.svc,
                control: p.control,
                n_control: Atomic::new(0),
                per_kind: Atomic::new(p.tpl_timeout),
                bits: Atomic::new(p.flags.bits()),
                sync_endtime: Atomic::new(0),
                pe_data: p.pe_data,
                st <- new_spinlock_bh!(st, c"ipvs_rs::Conn::st"),
                expires: Atomic::new(p.deadline),
                timer_at: Atomic::new(p.deadline),
                hashes: [p.key_in.hash(tab.seed), reply.hash(tab.seed)],
                links <- Links::new(),
            }),
            GFP_ATOMIC,
        )
    }

    /// Creates the template `key` (with the persistence engine's data `pe_data`) of a
    /// persistent service `svc` for the client network, bound to `dest` (recording the real
    /// server's port `dport`, or 0), living `timeout_s` seconds from each connection it makes
    /// (packet path: atomic allocation).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new_template(
        tab: &ConnTable,
        key: &persist::TemplateKey,
        pe_data: Option<KBox<PeData>>,
        dest: Arc<Dest>,
        dport: u16,
        svc: Arc<Service>,
        timeout_s: u32,
        now: u64,
    ) -> Result<Arc<Self>> {
        let key_in = FlowKey::of_template(key);
        let (daddr, fwd) = (dest.address(), Fwd::from_flags(dest.fwd()));
        let deadline = now.wrapping_add(u64::from(timeout_s) * time::hz());
        let t = Self::build(
            tab,
            Parts {
                kind: Kind::Template,
                key_in,
                daddr,
                fwd,
                dport,
                dest: Some(dest),
                svc,
                control: None,
                tpl_timeout: timeout_s,
                flags: ConnFlags::default(),
                pe_data,
                no_output: false,
                deadline,
            },
        )?;
        if let Some(d) = &t.dest {
            d.bind_template();
        }
        Ok(t)
    }
}

/// The connection table of a namespace.
#[pin_data]
pub(crate) struct ConnTable {
    #[pin]
    tab: rcuhash::Table<Conn>,
    /// Hash seed, random per namespace.
    seed: u32,
    /// The load factor the buckets were sized at (`conn_lfactor` then).
    lfactor: Atomic<i32>,
    /// A resize was asked for by [`ConnTable::outgrown`] and has not begun yet.
    resize_asked: Atomic<bool>,
    /// log2 of the most buckets the table may grow to (fixed when it is made: working it out
    /// asks for the machine's memory, which is not for the packet path).
    max_bits: u32,
}

impl ConnTable {
    /// An empty table with no buckets yet (C IPVS allocates it with the first service), that
    /// grows to at most `1 << max_bits` of them.
    pub(crate) fn new(max_bits: u32) -> Result<impl PinInit<Self>> {
        let tab = rcuhash::Table::new(c"ipvs_rs::ConnTable", kernel::static_lock_class!())?;
        Ok(pin_init!(Self {
            tab <- tab,
            seed: random_u32(),
            lfactor: Atomic::new(0),
            resize_asked: Atomic::new(false),
            max_bits,
        }))
    }

    /// Allocates the buckets if they do not exist yet (process context), at load factor
    /// `lfactor`.
    pub(crate) fn ensure_table(&self, lfactor: i32) -> Result {
        if self.tab.size() == 0 {
            self.lfactor.store(lfactor, Relaxed);
        }
        self.tab.ensure()
    }

    /// The number of connections and templates in the table.
    pub(crate) fn count(&self) -> usize {
        self.tab.count()
    }

    /// The load factor the buckets were sized at.
    pub(crate) fn lfactor(&self) -> i32 {
        self.lfactor.load(Relaxed)
    }

    /// The number of buckets (`IPVS_INFO_ATTR_CONN_TAB_SIZE`).
    pub(crate) fn size(&self) -> u32 {
        self.tab.size()
    }

    /// Calls `f` with the length of every bucket's chains (both directions, up to `cap`).
    pub(crate) fn chain_lengths(&self, g: &rcu::Guard, cap: usize, f: impl FnMut(usize)) {
        self.tab.chain_lengths(g, cap, f)
    }

    /// Whether the table now holds more connections than its buckets are for, when no resize
    /// was asked for since the last began: the caller then asks for one (C checks its
    /// `u_thresh` as it hashes a connection and queues its resize work at once).
    pub(crate) fn outgrown(&self) -> bool {
        let size = self.tab.size() as usize;
        size != 0
            && sizing::desired_size(
                self.tab.count(),
                size,
                self.lfactor.load(Relaxed),
                rcuhash::MIN_BITS,
                self.max_bits,
            ) > size
            && !self.resize_asked.xchg(true, Relaxed)
    }

    /// Grows or shrinks the table for the current number of connections (process context).
    pub(crate) fn resize(&self, lfactor: i32) {
        // Growth seen from here on asks again.
        self.resize_asked.store(false, Relaxed);
        let size = self.tab.size() as usize;
        if size == 0 {
            return;
        }
        let want = sizing::desired_size_at(
            self.tab.count(),
            size,
            (lfactor, self.lfactor.load(Relaxed)),
            rcuhash::MIN_BITS,
            self.max_bits,
        );
        // Without memory for the new buckets the table keeps its size (and load factor); the
        // next tick retries.
        if want == size || self.tab.resize(want.trailing_zeros()).is_ok() {
            self.lfactor.store(lfactor, Relaxed);
        }
    }

    /// Finds the live connection of a client-to-service packet.
    pub(crate) fn lookup_in<'a>(
        &'a self,
        g: &'a rcu::Guard,
        key: &FlowKey,
    ) -> Option<ArcBorrow<'a, Conn>> {
        self.tab.find(g, Chain::In, key.hash(self.seed), |c| {
            c.key_in == *key && c.kind == Kind::Conn && !c.is_dead()
        })
    }

    /// Calls `f` on every live entry (a walk of the whole table).
    pub(crate) fn for_each_live(&self, mut f: impl FnMut(&Conn)) {
        let g = rcu::read_lock();
        self.tab.for_each(&g, |c| {
            if !c.is_dead() {
                f(&c);
            }
        });
    }

    /// Finds the usable template `key`, with the persistence engine's data `pe` if there is
    /// one (C: `ip_vs_ct_in_get`, whose lookup without engine data ignores the templates').
    pub(crate) fn lookup_template<'a>(
        &'a self,
        g: &'a rcu::Guard,
        key: &persist::TemplateKey,
        pe: Option<&[u8]>,
    ) -> Option<ArcBorrow<'a, Conn>> {
        let key = FlowKey::of_template(key);
        self.tab.find(g, Chain::In, key.hash(self.seed), |c| {
            c.key_in == key && c.is_usable_template() && pe.is_none_or(|p| c.pe_bytes() == Some(p))
        })
    }

    /// Finds the live connection of a server-to-client packet.
    pub(crate) fn lookup_out<'a>(
        &'a self,
        g: &'a rcu::Guard,
        key: &FlowKey,
    ) -> Option<ArcBorrow<'a, Conn>> {
        self.tab.find(g, Chain::Out, key.hash(self.seed), |c| {
            c.key_out() == *key && c.kind == Kind::Conn && !c.is_dead()
        })
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
    /// connection to use. Fails when the table holds `max` entries (C's `conn_max`).
    /// A template is unique by its key and engine data among usable templates.
    pub(crate) fn insert_or_get<'a>(
        &'a self,
        g: &'a rcu::Guard,
        c: Arc<Conn>,
        max: usize,
    ) -> Result<ArcBorrow<'a, Conn>> {
        let mine = c.clone();
        let (key, kind) = (c.key_in, c.kind);
        let expires = c.timer_at.load(Relaxed);
        let r = self.tab.insert_unique(g, c, expires, max, |x| {
            x.key_in == key
                && x.kind == kind
                && match kind {
                    Kind::Conn => !x.is_dead(),
                    Kind::Template => x.is_usable_template() && x.pe_bytes() == mine.pe_bytes(),
                }
        });
        if !matches!(r, Ok((_, true))) {
            // Not hashed: the new entry goes, and stops counting.
            mine.release_unhashed();
        }
        r.map(|(c, _)| c)
    }

    /// Ends `c` now (a new connection takes its place), unbinding it from its destination;
    /// its timer takes it out of the table. False if it had ended already.
    pub(crate) fn expire_now(&self, c: &Conn, now: u64) -> bool {
        let st = c.st.lock();
        if c.swap_bit(bit::DEAD, true) {
            return false;
        }
        c.release(!st.inactive);
        c.expires.store(now, Relaxed);
        c.timer_at.store(now, Relaxed);
        self.tab.arm(c, now);
        drop(st);
        c.forget_conntrack();
        true
    }

    /// The connection or template at place (`bucket`, `skip`) of a walk through the table, or
    /// else the next one, whose place the two become (`rcuhash::Table::seek`).
    pub(crate) fn seek<'a>(
        &'a self,
        g: &'a rcu::Guard,
        bucket: &mut u32,
        skip: &mut u32,
    ) -> Option<ArcBorrow<'a, Conn>> {
        self.tab.seek(g, bucket, skip)
    }

    /// Ends every connection and template whose real server was removed, and the templates
    /// that controlled only such connections (C: `ip_vs_expire_nodest_conn_flush`, run when a
    /// destination goes with `expire_nodest_conn` set; process context).
    pub(crate) fn expire_nodest(&self, now: u64) {
        let g = rcu::read_lock();
        self.tab.for_each(&g, |c| {
            if c.is_dead() || c.dest.as_ref().is_none_or(|d| d.is_available()) || c.controls() != 0
            {
                return;
            }
            self.expire_now(&c, now);
            if let Some(t) = c.control.as_ref().filter(|t| t.controls() == 0) {
                self.expire_now(t, now);
            }
        });
    }

    /// The `drop_entry` defence, once a second: looks at 1/32 of the buckets from a random
    /// one and ends the connections [`defense::drop_entry`] picks (C: `ip_vs_random_dropentry`).
    /// `timeout` gives a connection's current timeout in seconds, to tell how long it has been
    /// idle.
    pub(crate) fn random_drop(
        &self,
        now: u64,
        hz: u64,
        counters: &mut defense::DropCounters,
        timeout: impl Fn(&Conn, &ConnState) -> u32,
    ) {
        let g = rcu::read_lock();
        let n = self.tab.size() >> 5;
        self.tab.for_each_in_buckets(&g, random_u32(), n, |c| {
            if c.is_dead() {
                return;
            }
            let st = c.st.lock();
            let tcp_state = st.tcp();
            let entry = match (c.kind, c.key_in.proto) {
                (Kind::Template, _) => defense::Entry::Template {
                    one_packet: c.svc.flags() & uapi::SVC_F_ONEPACKET != 0,
                    assured: c.assured(),
                },
                (Kind::Conn, Proto::Tcp) => defense::Entry::Tcp(tcp_state),
                (Kind::Conn, _) => defense::Entry::Other,
            };
            // Idle: its last packet (which set its expiry a timeout ahead) was 60 s or more ago.
            let secs = u64::from(timeout(&c, &st));
            drop(st);
            let last_plus_60 = c.expires.load(Relaxed).wrapping_sub(secs * hz) + 60 * hz;
            let idle = now.wrapping_sub(last_plus_60) as i64 >= 0;
            let pkts = c.in_pkts();
            if defense::drop_entry(entry, c.controls(), idle, pkts, counters) {
                self.expire_now(&c, now);
            }
        });
    }

    /// Removes every connection (the namespace is going away; process context).
    pub(crate) fn flush(&self) {
        self.tab.drain();
    }
}

// With its `Arc`'s count, a connection stays within one 256-byte slab object (the table
// holds up to millions). Lock debugging (the debug kernel) makes its locks much larger.
#[cfg(not(CONFIG_DEBUG_SPINLOCK))]
const _: () = assert!(core::mem::size_of::<Conn>() <= 248);
