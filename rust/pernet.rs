// SPDX-License-Identifier: GPL-2.0

//! Per network namespace state (`register_pernet_subsys` + `net_generic`) and a 1 s tick.
//!
//! C header: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h)

use super::shim;
use crate::ipvs_proto::inet::{Addr, Family};
use core::ptr::NonNull;
use kernel::{
    ffi::{c_int, c_void},
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
    sync::{Arc, ArcBorrow},
    types::ForeignOwnable,
};

/// What the per-namespace state must provide.
pub(crate) trait PernetState: Send + Sync + Sized + 'static {
    /// Creates the state of a new namespace.
    fn new(net: Net) -> Result<Arc<Self>>;
    /// The namespace is going away: before its devices do, what holds them goes (sockets,
    /// whose cached routes do).
    fn pre_exit(&self);
    /// Tears down before the state is dropped (the namespace is going away).
    fn exit(&self, net: Net);
    /// Called once a second from a delayed work (process context: it may sleep).
    fn tick(this: ArcBorrow<'_, Self>);
    /// Called from a work that [`Net::resize_soon`] queues (process context: it may sleep).
    fn resize(this: ArcBorrow<'_, Self>);
    /// A device of the namespace went down (under RTNL).
    fn netdev_down(&self);
    /// A write of `vals` to the file of `which` whose rule is Rust's (process context):
    /// takes it, or refuses it with an error. `privileged`: the writer has `CAP_NET_ADMIN`.
    fn sysctl_write(&self, which: Sysctl, vals: &[i32], privileged: bool) -> Result;
}

/// A network namespace (`struct net`).
///
/// # Invariants
///
/// The namespace is alive for as long as any IPVS code can see this handle: handles come from
/// hook, netlink and pernet callbacks, and the per-namespace state that stores one is dropped in
/// the namespace's exit callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Net(NonNull<shim::RawNet>);

// SAFETY: `struct net` is a kernel object usable from any thread; the handle is only passed
// back to kernel functions while the namespace is alive (type invariant).
unsafe impl Send for Net {}
// SAFETY: As above; the handle itself is immutable.
unsafe impl Sync for Net {}

impl Net {
    /// Wraps a namespace pointer received from a kernel callback (`None` if it is null).
    ///
    /// # Safety
    ///
    /// `ptr` must be null or point to a namespace that stays alive for as long as the handle
    /// (and any copy of it) is used: the argument of the running hook, netlink, proc or pernet
    /// callback, used only during that callback or by state the namespace's exit callback drops.
    pub(crate) unsafe fn from_raw(ptr: *mut shim::RawNet) -> Option<Self> {
        NonNull::new(ptr).map(Self)
    }

    /// The raw pointer, for the shim.
    pub(crate) fn raw(self) -> *mut shim::RawNet {
        self.0.as_ptr()
    }

    /// Has [`PernetState::resize`] run soon, from a work (any context; once the namespace's
    /// state is going, nothing).
    pub(crate) fn resize_soon(self) {
        // SAFETY: The namespace is alive (type invariant); its IPVS data, whose work this
        // queues, is set up before any handle to the namespace reaches IPVS code.
        unsafe { shim::ipvs_rs_net_resize_soon(self.raw()) }
    }
}

/// A per-namespace value of `net/ipv4/vs/` (the index is `IPVS_RS_SYSCTL_*` of the shim).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sysctl {
    /// `lblc_expiration` (jiffies).
    LblcExpiration = 0,
    /// `lblcr_expiration` (jiffies).
    LblcrExpiration = 1,
    /// `pmtu_disc`: tunnels copy DF and send "fragmentation needed" (default 1).
    PmtuDisc = 2,
    /// `schedule_icmp`: an ICMP error about an unknown connection schedules one (default 0).
    ScheduleIcmp = 3,
    /// `cache_bypass`: a firewall-mark service without a destination sends packets on to
    /// their own destination (default 0).
    CacheBypass = 4,
    /// `nat_icmp_send`: a NAT real server's packet that belongs to no connection gets "port
    /// unreachable" (default 0).
    NatIcmpSend = 5,
    /// `expire_nodest_conn`: connections whose real server was removed are expired (at once
    /// when it goes, and by their next packet) instead of dropping their packets (default 0).
    ExpireNodestConn = 6,
    /// `expire_quiescent_template`: a persistence template whose real server is quiesced
    /// (weight 0) is not used again (default 0).
    ExpireQuiescentTemplate = 7,
    /// `conn_reuse_mode`: which finished connections a client's new SYN on the same port
    /// replaces with a newly scheduled one (bit 1: TIME_WAIT and CLOSE; bit 2: also FIN_WAIT
    /// of DR/TUN connections; default 1).
    ConnReuseMode = 8,
    /// `sloppy_tcp`: a TCP connection may start with any packet but a reset (default 0).
    SloppyTcp = 9,
    /// `sloppy_sctp`: the same for SCTP (no SCTP datapath yet: the value is only kept).
    SloppySctp = 10,
    /// `amemthresh`: the free memory (pages) below which the defences switch on (default
    /// 1024; kept, the defences are not built yet).
    Amemthresh = 11,
    /// `am_droprate`: `drop_packet`'s rate at mode 3 (default 10; kept).
    AmDroprate = 12,
    /// `conn_max`: the most connections and templates the namespace may have.
    ConnMax = 13,
    /// `drop_entry` defence mode 0-3 (kept).
    DropEntry = 14,
    /// `drop_packet` defence mode 0-3 (kept).
    DropPacket = 15,
    /// `conntrack`: connections made keep their packets' conntrack entries.
    Conntrack = 16,
    /// `secure_tcp` defence mode 0-3 (kept).
    SecureTcp = 17,
    /// `snat_reroute`: NAT replies are routed again after their source is rewritten (default 1).
    SnatReroute = 18,
    /// `sync_version` 0-1 (default 1; for the sync daemon).
    SyncVersion = 19,
    /// `sync_ports`: a power of two (default 1; for the sync daemon).
    SyncPorts = 20,
    /// `sync_persist_mode` (for the sync daemon).
    SyncPersistMode = 21,
    /// `sync_sock_size` (for the sync daemon).
    SyncSockSize = 22,
    /// `sync_threshold`'s first value (default 3; for the sync daemon).
    SyncThreshold = 23,
    /// `sync_threshold`'s second value (default 50).
    SyncPeriod = 24,
    /// `sync_refresh_period` (jiffies; for the sync daemon).
    SyncRefreshPeriod = 25,
    /// `sync_retries` 0-3 (for the sync daemon).
    SyncRetries = 26,
    /// `backup_only`: a backup director does not balance (for the sync daemon).
    BackupOnly = 27,
    /// `ignore_tunneled`: packets of protocols IPVS does not handle are marked as IPVS's, so
    /// what they carry is not balanced (default 0).
    IgnoreTunneled = 28,
    /// `run_estimation`: the rate estimator runs (default 1).
    RunEstimation = 29,
    /// `est_nice`: the estimator's nice value (kept).
    EstNice = 30,
    /// `conn_lfactor`: the connection table's load factor (see `ipvs_conn::sizing`).
    ConnLfactor = 31,
    /// `svc_lfactor`: the service index's load factor (see `ipvs_ctl::table::svc_index_bits`).
    SvcLfactor = 32,
    /// No file: the ceiling of `conn_max` for writers without `CAP_NET_ADMIN`.
    ConnMaxLimit = 33,
}

impl Sysctl {
    /// Every value, by index.
    const ALL: [Sysctl; 34] = [
        Sysctl::LblcExpiration,
        Sysctl::LblcrExpiration,
        Sysctl::PmtuDisc,
        Sysctl::ScheduleIcmp,
        Sysctl::CacheBypass,
        Sysctl::NatIcmpSend,
        Sysctl::ExpireNodestConn,
        Sysctl::ExpireQuiescentTemplate,
        Sysctl::ConnReuseMode,
        Sysctl::SloppyTcp,
        Sysctl::SloppySctp,
        Sysctl::Amemthresh,
        Sysctl::AmDroprate,
        Sysctl::ConnMax,
        Sysctl::DropEntry,
        Sysctl::DropPacket,
        Sysctl::Conntrack,
        Sysctl::SecureTcp,
        Sysctl::SnatReroute,
        Sysctl::SyncVersion,
        Sysctl::SyncPorts,
        Sysctl::SyncPersistMode,
        Sysctl::SyncSockSize,
        Sysctl::SyncThreshold,
        Sysctl::SyncPeriod,
        Sysctl::SyncRefreshPeriod,
        Sysctl::SyncRetries,
        Sysctl::BackupOnly,
        Sysctl::IgnoreTunneled,
        Sysctl::RunEstimation,
        Sysctl::EstNice,
        Sysctl::ConnLfactor,
        Sysctl::SvcLfactor,
        Sysctl::ConnMaxLimit,
    ];

    /// The value of index `i`.
    pub(crate) fn from_index(i: u32) -> Option<Self> {
        Self::ALL.get(i as usize).copied()
    }
}

// Each value's index is the shim's (its table and its values array are in C).
const _: () = {
    use shim as s;
    assert!(Sysctl::LblcExpiration as u32 == s::IPVS_RS_SYSCTL_LBLC_EXPIRATION);
    assert!(Sysctl::LblcrExpiration as u32 == s::IPVS_RS_SYSCTL_LBLCR_EXPIRATION);
    assert!(Sysctl::PmtuDisc as u32 == s::IPVS_RS_SYSCTL_PMTU_DISC);
    assert!(Sysctl::ScheduleIcmp as u32 == s::IPVS_RS_SYSCTL_SCHEDULE_ICMP);
    assert!(Sysctl::CacheBypass as u32 == s::IPVS_RS_SYSCTL_CACHE_BYPASS);
    assert!(Sysctl::NatIcmpSend as u32 == s::IPVS_RS_SYSCTL_NAT_ICMP_SEND);
    assert!(Sysctl::ExpireNodestConn as u32 == s::IPVS_RS_SYSCTL_EXPIRE_NODEST_CONN);
    assert!(Sysctl::ExpireQuiescentTemplate as u32 == s::IPVS_RS_SYSCTL_EXPIRE_QUIESCENT_TEMPLATE);
    assert!(Sysctl::ConnReuseMode as u32 == s::IPVS_RS_SYSCTL_CONN_REUSE_MODE);
    assert!(Sysctl::SloppyTcp as u32 == s::IPVS_RS_SYSCTL_SLOPPY_TCP);
    assert!(Sysctl::SloppySctp as u32 == s::IPVS_RS_SYSCTL_SLOPPY_SCTP);
    assert!(Sysctl::Amemthresh as u32 == s::IPVS_RS_SYSCTL_AMEMTHRESH);
    assert!(Sysctl::AmDroprate as u32 == s::IPVS_RS_SYSCTL_AM_DROPRATE);
    assert!(Sysctl::ConnMax as u32 == s::IPVS_RS_SYSCTL_CONN_MAX);
    assert!(Sysctl::DropEntry as u32 == s::IPVS_RS_SYSCTL_DROP_ENTRY);
    assert!(Sysctl::DropPacket as u32 == s::IPVS_RS_SYSCTL_DROP_PACKET);
    assert!(Sysctl::Conntrack as u32 == s::IPVS_RS_SYSCTL_CONNTRACK);
    assert!(Sysctl::SecureTcp as u32 == s::IPVS_RS_SYSCTL_SECURE_TCP);
    assert!(Sysctl::SnatReroute as u32 == s::IPVS_RS_SYSCTL_SNAT_REROUTE);
    assert!(Sysctl::SyncVersion as u32 == s::IPVS_RS_SYSCTL_SYNC_VERSION);
    assert!(Sysctl::SyncPorts as u32 == s::IPVS_RS_SYSCTL_SYNC_PORTS);
    assert!(Sysctl::SyncPersistMode as u32 == s::IPVS_RS_SYSCTL_SYNC_PERSIST_MODE);
    assert!(Sysctl::SyncSockSize as u32 == s::IPVS_RS_SYSCTL_SYNC_SOCK_SIZE);
    assert!(Sysctl::SyncThreshold as u32 == s::IPVS_RS_SYSCTL_SYNC_THRESHOLD);
    assert!(Sysctl::SyncPeriod as u32 == s::IPVS_RS_SYSCTL_SYNC_PERIOD);
    assert!(Sysctl::SyncRefreshPeriod as u32 == s::IPVS_RS_SYSCTL_SYNC_REFRESH_PERIOD);
    assert!(Sysctl::SyncRetries as u32 == s::IPVS_RS_SYSCTL_SYNC_RETRIES);
    assert!(Sysctl::BackupOnly as u32 == s::IPVS_RS_SYSCTL_BACKUP_ONLY);
    assert!(Sysctl::IgnoreTunneled as u32 == s::IPVS_RS_SYSCTL_IGNORE_TUNNELED);
    assert!(Sysctl::RunEstimation as u32 == s::IPVS_RS_SYSCTL_RUN_ESTIMATION);
    assert!(Sysctl::EstNice as u32 == s::IPVS_RS_SYSCTL_EST_NICE);
    assert!(Sysctl::ConnLfactor as u32 == s::IPVS_RS_SYSCTL_CONN_LFACTOR);
    assert!(Sysctl::SvcLfactor as u32 == s::IPVS_RS_SYSCTL_SVC_LFACTOR);
    assert!(Sysctl::ConnMaxLimit as u32 == s::IPVS_RS_SYSCTL_CONN_MAX_LIMIT);
    assert!(Sysctl::ALL.len() == s::IPVS_RS_SYSCTL_COUNT as usize);
    let mut i = 0;
    while i < Sysctl::ALL.len() {
        assert!(Sysctl::ALL[i] as usize == i);
        i += 1;
    }
};

/// The `net/ipv4/vs/` values of a namespace, read without a call: a sysctl write may change
/// them at any time, so each read is one atomic load (C's `READ_ONCE`).
///
/// # Invariants
///
/// `vals` points to one `int` per [`Sysctl`] that lives as long as the namespace.
pub(crate) struct Sysctls {
    vals: NonNull<c_int>,
}

// SAFETY: The values are only read, by atomic loads, which any thread may do.
unsafe impl Send for Sysctls {}
// SAFETY: As above.
unsafe impl Sync for Sysctls {}

impl Sysctls {
    /// The current value of `which`.
    pub(crate) fn get(&self, which: Sysctl) -> i32 {
        self.slot(which).load(Relaxed)
    }

    /// Sets `which` (at namespace start, and for the writes Rust decides).
    pub(crate) fn set(&self, which: Sysctl, v: i32) {
        self.slot(which).store(v, Relaxed)
    }

    fn slot(&self, which: Sysctl) -> &Atomic<i32> {
        // SAFETY: Every `Sysctl` indexes the array, which lives as long as `self` (type
        // invariant); the kernel's sysctl handlers store plain ints there, and every access here
        // is atomic.
        unsafe { Atomic::<i32>::from_ptr(self.vals.as_ptr().add(which as usize)) }
    }
}

impl Net {
    /// This namespace's sysctl values (`None` if the shim has fewer than Rust knows).
    pub(crate) fn sysctls(self) -> Option<Sysctls> {
        let mut count = 0;
        // SAFETY: `self` is alive (type invariant); `count` is a valid out pointer.
        let vals = NonNull::new(unsafe { shim::ipvs_rs_sysctls(self.raw(), &mut count) })?;
        // INVARIANT: The shim's array has `count` values, in the namespace's pernet data.
        (count as usize >= Sysctl::ALL.len()).then_some(Sysctls { vals })
    }
}

/// What the sync daemon needs of an interface.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DevInfo {
    /// Its index.
    pub(crate) ifindex: i32,
    /// Its MTU.
    pub(crate) mtu: u32,
    /// Its first IPv4 address of global scope (network order; 0: none).
    pub(crate) addr4: [u8; 4],
}

impl Net {
    /// The interface `name` (NUL-terminated within its 16 bytes): `ENODEV` if there is none.
    pub(crate) fn dev_info(self, name: &[u8; 16]) -> Result<DevInfo> {
        if !name.contains(&0) {
            return Err(ENODEV);
        }
        let (mut ifindex, mut mtu, mut addr) = (0, 0, 0u32);
        // SAFETY: `self` is alive (type invariant); `name` is NUL-terminated; the out pointers
        // are valid.
        kernel::error::to_result(unsafe {
            shim::ipvs_rs_dev_info(self.raw(), name.as_ptr(), &mut ifindex, &mut mtu, &mut addr)
        })?;
        Ok(DevInfo {
            ifindex,
            mtu,
            addr4: addr.to_ne_bytes(),
        })
    }

    /// `sync_qlen_max`: the most sync messages a master thread queues.
    pub(crate) fn sync_qlen_max(self) -> u64 {
        // SAFETY: `self` is alive (type invariant).
        (unsafe { shim::ipvs_rs_sync_qlen_max(self.raw()) }) as u64
    }
}

impl Net {
    /// The initial namespace.
    pub(crate) fn init() -> Option<Net> {
        // SAFETY: The shim returns `&init_net`, which is static: always alive.
        unsafe { Net::from_raw(shim::ipvs_rs_init_net()) }
    }

    /// Whether `est_cpulist` was set to no CPU (process context: it takes a mutex).
    pub(crate) fn est_cpulist_empty(self) -> bool {
        // SAFETY: `self` is alive (type invariant).
        unsafe { shim::ipvs_rs_est_cpulist_empty(self.raw()) }
    }

    /// How many times `est_cpulist` was written.
    pub(crate) fn est_cpulist_gen(self) -> u32 {
        // SAFETY: `self` is alive (type invariant).
        unsafe { shim::ipvs_rs_est_cpulist_gen(self.raw()) }
    }

    /// Whether this is the initial namespace (`init_net`).
    pub(crate) fn is_init(self) -> bool {
        // SAFETY: `self` is alive (type invariant); the shim compares it with `&init_net`.
        unsafe { shim::ipvs_rs_net_is_init(self.raw()) }
    }
}

/// The kernel's `RTN_*` and `IPV6_ADDR_*` address types (the header's copies, which the shim
/// checks against the kernel's).
const RTN_UNICAST: u32 = shim::IPVS_RS_RTN_UNICAST;
const RTN_LOCAL: u32 = shim::IPVS_RS_RTN_LOCAL;
const IPV6_ADDR_UNICAST: u32 = shim::IPVS_RS_IPV6_ADDR_UNICAST;
const IPV6_ADDR_LINKLOCAL: u32 = shim::IPVS_RS_IPV6_ADDR_LINKLOCAL;

impl Net {
    /// Whether `addr` (network-order bytes) is a unicast or local IPv4 address in this
    /// namespace's routing tables.
    pub(crate) fn ipv4_unicast_or_local(self, addr: [u8; 4]) -> bool {
        let t = self.ipv4_addr_type(addr);
        t == RTN_UNICAST || t == RTN_LOCAL
    }

    /// Whether `addr` is a unicast address (C: `ip_vs_addr_is_unicast`): for IPv4, of
    /// another host in this namespace's routing tables.
    pub(crate) fn unicast(self, family: Family, addr: Addr) -> bool {
        match family {
            Family::V4 => self.ipv4_addr_type(addr.to_v4()) == RTN_UNICAST,
            Family::V6 => {
                // SAFETY: `addr` points to 16 readable bytes.
                let t = unsafe { shim::ipvs_rs_ipv6_addr_type(addr.raw().as_ptr()) };
                t & IPV6_ADDR_UNICAST != 0
            }
        }
    }

    /// The route type (`RTN_*`) of `addr` in this namespace (`inet_addr_type`).
    fn ipv4_addr_type(self, addr: [u8; 4]) -> u32 {
        // SAFETY: `self` is alive (type invariant).
        unsafe { shim::ipvs_rs_inet_addr_type(self.raw(), u32::from_ne_bytes(addr)) }
    }

    /// Whether binding to `port` takes a privilege in this namespace (below its
    /// `ip_unprivileged_port_start`).
    pub(crate) fn port_requires_bind(self, port: u16) -> bool {
        // SAFETY: `self` is alive (type invariant).
        unsafe { shim::ipvs_rs_port_requires_bind(self.raw(), port) }
    }

    /// Whether `addr` is a global unicast IPv6 address, or any address that routes locally
    /// (what C IPVS accepts for a real server).
    pub(crate) fn ipv6_dest_ok(self, addr: &[u8; 16]) -> bool {
        // SAFETY: `addr` points to 16 readable bytes.
        let t = unsafe { shim::ipvs_rs_ipv6_addr_type(addr.as_ptr()) };
        if t & IPV6_ADDR_UNICAST != 0 && t & IPV6_ADDR_LINKLOCAL == 0 {
            return true;
        }
        // SAFETY: `self` is alive (type invariant) and `addr` points to 16 readable bytes.
        unsafe { shim::ipvs_rs_ipv6_is_local(self.raw(), addr.as_ptr()) }
    }
}

/// Runs `f` with the state of `net`, if it has one.
pub(crate) fn with<T: PernetState, R>(net: Net, f: impl FnOnce(&T) -> R) -> Option<R> {
    // SAFETY: `net` is alive (type invariant); the shim reads its `net_generic` slot.
    let data = unsafe { shim::ipvs_rs_net_data(net.raw()) };
    // SAFETY: `data` is the state slot of `net`, read just now.
    unsafe { with_data(data, f) }
}

/// Runs `f` with the state whose pointer was read from a namespace's state slot (NULL: none).
///
/// # Safety
///
/// `data` must be the value of the state slot of a namespace that is alive, read during the
/// caller's hook, tick or netlink call of that namespace, and `T` the type given to
/// [`entry_points!`](crate::rust::entry_points).
pub(crate) unsafe fn with_data<T: PernetState, R>(
    data: *mut c_void,
    f: impl FnOnce(&T) -> R,
) -> Option<R> {
    if data.is_null() {
        return None;
    }
    // SAFETY: `data` came from `into_foreign` in `net_init::<T>` and is only given back in
    // `net_exit::<T>`, which runs after every hook, tick and netlink caller of this
    // namespace is gone, so after this borrow ends.
    let state = unsafe { <Arc<T> as ForeignOwnable>::borrow(data) };
    Some(f(&state))
}

/// The registered pernet operations: every namespace has its [`PernetState`] while this lives;
/// dropping it runs [`PernetState::exit`] for every namespace and frees their states.
///
/// # Invariants
///
/// The shim's pernet operations are registered, by this value.
pub(crate) struct Registration(());

impl Registration {
    /// Registers the operations: [`PernetState::new`] runs for every namespace.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Plain registration of the shim's static pernet_operations; a second one fails.
        kernel::error::to_result(unsafe { shim::ipvs_rs_pernet_register() })?;
        // INVARIANT: Registered just now.
        Ok(Self(()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: The operations are registered, by `self` (type invariant).
        unsafe { shim::ipvs_rs_pernet_unregister() }
    }
}

/// Makes the state of a new namespace (the shim's pernet init calls it as `ipvs_rs_net_init`,
/// see [`entry_points!`](crate::rust::entry_points)); returns it, or NULL on failure.
///
/// # Safety
///
/// `net` must be the namespace of a running pernet init callback; the state returned is handed
/// back, once, to [`net_exit`] before the namespace goes away.
pub(crate) unsafe fn net_init<T: PernetState>(net: *mut shim::RawNet) -> *mut c_void {
    // SAFETY: `net` is being initialised and outlives the state made here, which its exit
    // callback drops (function contract).
    let Some(net) = (unsafe { Net::from_raw(net) }) else {
        return core::ptr::null_mut();
    };
    match T::new(net) {
        Ok(s) => s.into_foreign(),
        Err(_) => core::ptr::null_mut(),
    }
}

/// Tears down and frees a namespace's state (called as `ipvs_rs_net_exit`, after the
/// namespace's tick work is stopped).
///
/// # Safety
///
/// `net` must be the namespace of a running pernet exit callback and `data` null or what
/// [`net_init`] returned for it with the same `T`, not used again by the caller.
pub(crate) unsafe fn net_exit<T: PernetState>(net: *mut shim::RawNet, data: *mut c_void) {
    if data.is_null() {
        return;
    }
    // SAFETY: `data` came from `into_foreign` in `net_init::<T>`; this is the only place that
    // takes it back, once (function contract).
    let state = unsafe { Arc::<T>::from_foreign(data) };
    // SAFETY: `net` is alive during its exit callback, which is all the handle is used for.
    if let Some(net) = unsafe { Net::from_raw(net) } {
        state.exit(net);
    }
}

/// The namespace is about to go (called as `ipvs_rs_net_pre_exit`, before any exit callback of
/// the namespace, its devices' among them).
///
/// # Safety
///
/// `data` must be null or the state [`net_init`] returned with the same `T`, not yet given to
/// [`net_exit`], read from the namespace's state slot in its pre_exit callback.
pub(crate) unsafe fn net_pre_exit<T: PernetState>(data: *mut c_void) {
    // SAFETY: The state lives until `net_exit`, which runs after this (function contract).
    unsafe { with_data(data, |s: &T| s.pre_exit()) };
}

/// A checked sysctl write (called as `ipvs_rs_sysctl_write` by the shim's handler, which parsed
/// the `count` values at `vals`; `which` is the file's first value).
///
/// # Safety
///
/// `data` must be null or the state [`net_init`] returned with the same `T`, not yet given to
/// [`net_exit`] (the shim unregisters the files before that); `vals` must point to `count`
/// readable `int`s.
pub(crate) unsafe fn sysctl_write<T: PernetState>(
    data: *mut c_void,
    which: u32,
    vals: *const c_int,
    count: u32,
    privileged: bool,
) -> c_int {
    let Some(which) = Sysctl::from_index(which) else {
        return EINVAL.to_errno();
    };
    // SAFETY: `vals` points to `count` ints (function contract).
    let vals = unsafe { core::slice::from_raw_parts(vals, count as usize) };
    // SAFETY: `data` is the live state or null (function contract).
    let r = unsafe { with_data::<T, _>(data, |s| s.sysctl_write(which, vals, privileged)) };
    match r {
        Some(Ok(())) => 0,
        Some(Err(e)) => e.to_errno(),
        None => EINVAL.to_errno(),
    }
}

/// A device went down in the namespace whose state slot held `data` (called as
/// `ipvs_rs_netdev_down` by the shim's netdevice notifier).
///
/// # Safety
///
/// `data` must be the state slot's value read under RTNL in a netdevice notifier, of a
/// namespace whose state's exit has not begun (devices go before pernet subsystems do).
pub(crate) unsafe fn netdev_down<T: PernetState>(data: *mut c_void) {
    // SAFETY: The live state or null (function contract).
    unsafe { with_data::<T, _>(data, |s| s.netdev_down()) };
}

/// The per-namespace tick (called as `ipvs_rs_net_tick` by the shim's delayed work, once a
/// second).
///
/// # Safety
///
/// `data` must be null or the state [`net_init`] returned with the same `T`, not yet given to
/// [`net_exit`] (the shim disables the tick work before that).
pub(crate) unsafe fn net_tick<T: PernetState>(data: *mut c_void) {
    if data.is_null() {
        return;
    }
    // SAFETY: `data` came from `into_foreign` and is taken back only after the tick work is
    // disabled (function contract), so after this borrow ends.
    let state = unsafe { <Arc<T> as ForeignOwnable>::borrow(data) };
    T::tick(state);
}

/// The per-namespace resize work (called as `ipvs_rs_net_resize` by the shim).
///
/// # Safety
///
/// `data` must be null or the state [`net_init`] returned with the same `T`, not yet given to
/// [`net_exit`] (the shim disables the resize work before that).
pub(crate) unsafe fn net_resize<T: PernetState>(data: *mut c_void) {
    if data.is_null() {
        return;
    }
    // SAFETY: As in `net_tick`: taken back only after the resize work is disabled.
    let state = unsafe { <Arc<T> as ForeignOwnable>::borrow(data) };
    T::resize(state);
}
