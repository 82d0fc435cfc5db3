// SPDX-License-Identifier: GPL-2.0

//! Connection synchronisation (C: `ip_vs_sync.c`): a master director multicasts the state of
//! its connections and persistence templates; a backup makes the same connections, so that
//! established connections survive when the backup takes the virtual addresses over.
//!
//! - [`wire`]: the datagrams, byte for byte as C's (pure, host-tested).
//! - [`policy`]: when a connection is sent, and the daemons' settings (pure, host-tested).
//!
//! Master: after a client's packet the packet path appends the connection, when C's rules say
//! so, to the message one of the master's threads fills (chosen by the connection's address);
//! a full message is queued and its thread woken. Each thread sends its queue, and a message
//! begun 2 s ago, on its own UDP socket to the group, on port + thread number. Backup: each
//! thread sleeps on its socket (bound to the group and port + thread number, on the interface)
//! and makes or updates the connections of each datagram. Both run as C's kernel threads
//! `ipvs-m:<gen>:<id>` and `ipvs-b:<gen>:<id>`.

pub(crate) mod policy;
pub(crate) mod wire;

use crate::ipvs_conn::{Conn, ConnFlags, ConnState, Fwd, Kind};
use crate::ipvs_netns::Ipvs;
use crate::ipvs_proto::{inet::Family, sctp, tcp, Proto};
use crate::rust::{
    kthread::{self, KThread, Step},
    modref::ModuleRef,
    pernet::{self, Net, Sysctl},
    socket::{SockAddr, UdpSocket},
    sync::{new_spinlock_bh, SpinLockBh},
    time,
};
use kernel::{
    alloc::KVec,
    new_mutex,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        rcu, Arc, Mutex,
    },
};
use policy::{Asked, Config, ConnNow, Knobs, Role};
use wire::{flag, Builder, SyncConn, Version};

/// One message being filled, or waiting to be sent.
struct Buf {
    data: KVec<u8>,
    msg: Builder,
    /// When its first connection was added (jiffies).
    first_use: u64,
}

impl Buf {
    fn bytes(&self) -> &[u8] {
        &self.data[..self.msg.len()]
    }
}

/// A master thread's messages: the one being filled and those waiting.
struct Queue {
    cur: Option<Buf>,
    ready: KVec<Buf>,
}

/// What the packet path fills while the master runs (C: `ipvs->ms` under `sync_buff_lock`).
struct MasterQueues {
    syncid: u8,
    maxlen: usize,
    /// One per thread.
    queues: KVec<Queue>,
    /// The threads, woken when their queue fills.
    threads: KVec<KThread<MasterThread>>,
}

/// A running daemon's settings, shown by `ipvsadm -L --daemon`.
#[derive(Clone, Copy)]
pub(crate) struct DaemonInfo {
    /// Its role.
    pub(crate) role: Role,
    /// Its interface, NUL-terminated.
    pub(crate) ifname: [u8; 16],
    /// Its settings.
    pub(crate) cfg: Config,
}

/// The running daemons (C: under `sync_mutex`).
#[derive(Default)]
struct Daemons {
    master: Option<(DaemonInfo, ModuleRef)>,
    backup: Option<(DaemonInfo, ModuleRef, KVec<KThread<BackupThread>>)>,
    /// Threads per daemon, fixed while any runs (`sync_ports` when the first started).
    threads: u32,
}

/// `sync_state` bits (C: `IP_VS_STATE_MASTER`, `IP_VS_STATE_BACKUP`).
const MASTER: u32 = 1;
const BACKUP: u32 = 2;

/// A namespace's sync daemons.
#[pin_data]
pub(crate) struct SyncState {
    /// Which daemons run (`MASTER`, `BACKUP`), read by the packet path.
    state: Atomic<u32>,
    /// Starts and stops, one at a time.
    #[pin]
    daemons: Mutex<Daemons>,
    /// The master's messages; `None` unless it runs.
    #[pin]
    master: SpinLockBh<Option<MasterQueues>>,
}

impl SyncState {
    /// No daemon running.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            state: Atomic::new(0),
            daemons <- new_mutex!(Daemons::default(), "ipvs_rs::SyncState::daemons"),
            master <- new_spinlock_bh!(None, c"ipvs_rs::SyncState::master"),
        })
    }

    /// Whether a backup runs (for `backup_only`).
    pub(crate) fn backup_runs(&self) -> bool {
        self.state.load(Relaxed) & BACKUP != 0
    }

    /// Marks daemon `bit` as running or not (under the `daemons` lock: no concurrent writer).
    fn set_state(&self, bit: u32, on: bool) {
        let s = self.state.load(Relaxed);
        self.state
            .store(if on { s | bit } else { s & !bit }, Relaxed);
    }

    /// Whether any daemon runs (mixed-family real servers are refused then).
    pub(crate) fn any_runs(&self) -> bool {
        self.state.load(Relaxed) != 0
    }
}

/// A master's sending thread. Threads reach their namespace's state through its handle: the
/// state stops them before it goes.
struct MasterThread {
    net: Net,
    sock: UdpSocket,
    id: usize,
}

impl Step for MasterThread {
    fn step(&self) -> u64 {
        let now = time::jiffies();
        let Some((ready, cur)) = pernet::with(self.net, |ipvs: &Ipvs| ipvs.sync_take(self.id, now))
        else {
            return 0;
        };
        for b in Iterator::chain(ready.iter(), cur.iter()) {
            // C: sent without waiting; when the socket's buffer is full, the thread waits for
            // room; other errors lose the message.
            loop {
                match self.sock.send(b.bytes()) {
                    Err(e) if e == EAGAIN => {
                        self.sock.wait_writable();
                        if kthread::should_stop() {
                            return 0;
                        }
                    }
                    Err(e) => {
                        kernel::pr_err_once!("sync message not sent: {e:?}\n");
                        break;
                    }
                    Ok(_) => break,
                }
            }
        }
        time::hz() / policy::CHECK_PERIOD_DIV
    }
}

/// A backup's receiving thread.
struct BackupThread {
    net: Net,
    sock: UdpSocket,
    syncid: u32,
    maxlen: usize,
}

impl Step for BackupThread {
    fn step(&self) -> u64 {
        self.sock.wait_readable();
        let Ok(mut buf) = KVec::from_elem(0u8, self.maxlen, GFP_KERNEL) else {
            return time::hz();
        };
        loop {
            match self.sock.recv(&mut buf) {
                Ok(n) => {
                    pernet::with(self.net, |ipvs: &Ipvs| {
                        ipvs.sync_receive(&buf[..n], self.syncid)
                    });
                }
                Err(e) => {
                    if e != EAGAIN {
                        kernel::pr_err_once!("receiving message error: {e:?}\n");
                    }
                    break;
                }
            }
            if kthread::should_stop() {
                break;
            }
        }
        0
    }
}

/// What a backup knows: TCP, UDP and SCTP (C also has AH and ESP, whose connections are
/// never made: their packets use their ISAKMP connection), and the `sip` engine.
struct Known;

impl wire::Known for Known {
    fn states(&self, p: u8) -> Option<u16> {
        match Proto::from_ip(p)? {
            Proto::Tcp => Some(tcp::NSTATES as u16),
            Proto::Udp => Some(1),
            Proto::Sctp => Some(sctp::NSTATES as u16),
            Proto::Ip => None,
        }
    }

    fn engine(&self, name: &[u8]) -> bool {
        name == b"sip"
    }
}

impl Ipvs {
    /// The sysctls of the send decision.
    fn sync_knobs(&self) -> Knobs {
        let s = &self.sysctls;
        Knobs {
            threshold: s.get(Sysctl::SyncThreshold),
            period: s.get(Sysctl::SyncPeriod),
            refresh_period: u32::try_from(s.get(Sysctl::SyncRefreshPeriod)).unwrap_or(0),
            retries: u32::try_from(s.get(Sysctl::SyncRetries)).unwrap_or(0),
            persist_mode: s.get(Sysctl::SyncPersistMode) != 0,
        }
    }

    /// Whether this namespace is a backup that does not balance (`backup_only`).
    pub(crate) fn backup_only(&self) -> bool {
        self.sync.backup_runs() && self.sysctls.get(Sysctl::BackupOnly) != 0
    }

    /// After a client's packet of `c` (packet path): sends `c`, then the template that
    /// controls it, when a master runs and C's rules say so (C: `ip_vs_sync_conn`).
    pub(crate) fn sync_conn(&self, c: &Conn) {
        if self.sync.state.load(Relaxed) & MASTER == 0 {
            return;
        }
        let k = self.sync_knobs();
        let version = Version::of_sysctl(self.sysctls.get(Sysctl::SyncVersion));
        let now = time::jiffies();
        let mut pkts = if c.one_packet() {
            k.threshold
        } else {
            c.in_pkts() as i32
        };
        let mut cur = c;
        loop {
            let sent = !cur.one_packet()
                && (version == Version::V1 || cur.family() == Family::V4)
                && self.sync_one(cur, &k, version, pkts, now);
            // Version 0 sends the template only after its connection.
            if !sent && version == Version::V0 {
                return;
            }
            let Some(t) = cur.control.as_deref() else {
                return;
            };
            // (C counts a template's own syncs in its `in_pkts`, which only `sync_period` 0
            // with no `sync_refresh_period` reads; templates here have no such count.)
            pkts = k.threshold;
            cur = t;
        }
    }

    /// Appends `c` to a master thread's message if it is due (C: `ip_vs_sync_conn_needed`).
    fn sync_one(&self, c: &Conn, k: &Knobs, version: Version, pkts: i32, now: u64) -> bool {
        let hz = time::hz() as u32;
        let mut st = c.st.lock();
        let timeout_s = self.conn_timeout(c, &st);
        let state = c.state_number(&st);
        let orig = c.sync_endtime();
        let now_c = ConnNow {
            template: c.kind == Kind::Template,
            in_persistence: c.in_persistence(),
            protocol: c.key_in.proto.ip(),
            state,
            old_state: u16::from(st.synced_state),
            timeout: timeout_s.saturating_mul(hz),
            pkts,
        };
        let Some(send) = policy::needed(&now_c, k, now as u32, orig, hz) else {
            return false;
        };
        st.synced_state = state as u8;
        if !c.replace_sync_endtime(orig, send.endtime) && !send.force {
            return false;
        }
        let rec = c.sync_record(&st, timeout_s);
        drop(st);
        self.sync_queue(c, &rec, version, now);
        true
    }

    /// Adds `rec` to the message of `c`'s master thread, queueing that message first if `rec`
    /// does not fit or it is of the other version.
    fn sync_queue(&self, c: &Conn, rec: &SyncConn<'_>, version: Version, now: u64) {
        let qlen_max = self.net.sync_qlen_max();
        let mut guard = self.sync.master.lock();
        let Some(m) = &mut *guard else {
            return;
        };
        let id = policy::master_thread(core::ptr::from_ref(c) as usize, m.queues.len() as u32 - 1);
        let (syncid, maxlen) = (m.syncid, m.maxlen);
        let (Some(q), Some(thread)) = (m.queues.get_mut(id), m.threads.get(id)) else {
            return;
        };
        if let Some(b) = q
            .cur
            .take_if(|b| b.msg.version() != version || !b.msg.fits(&b.data, rec))
        {
            // C: dropped once `sync_qlen_max` messages wait.
            if (q.ready.len() as u64) < qlen_max && q.ready.push(b, GFP_ATOMIC).is_ok() {
                let n = q.ready.len() as u32;
                if n == 1 || n == policy::WAKEUP_RATE {
                    thread.wake();
                }
            }
        }
        let b = match q.cur.as_mut() {
            Some(b) => b,
            None => {
                let cap = Builder::capacity(version, rec.len(version), maxlen);
                let Ok(mut data) = KVec::from_elem(0u8, cap, GFP_ATOMIC) else {
                    kernel::pr_err_once!("ip_vs_sync_buff_create failed.\n");
                    return;
                };
                let msg = Builder::start(&mut data, version, syncid);
                q.cur.insert(Buf {
                    data,
                    msg,
                    first_use: now,
                })
            }
        };
        b.msg.push(&mut b.data, rec);
    }

    /// Master thread `id`'s messages to send: those queued, and the one being filled if it was
    /// begun 2 s ago (C: `next_sync_buff`).
    fn sync_take(&self, id: usize, now: u64) -> (KVec<Buf>, Option<Buf>) {
        let flush = policy::FLUSH_TIME_S * time::hz();
        let mut guard = self.sync.master.lock();
        let Some(q) = (*guard).as_mut().and_then(|m| m.queues.get_mut(id)) else {
            return (KVec::new(), None);
        };
        let ready = core::mem::replace(&mut q.ready, KVec::new());
        let cur = q.cur.take_if(|b| now.wrapping_sub(b.first_use) >= flush);
        (ready, cur)
    }

    /// A datagram a backup thread received (C: `ip_vs_process_message`).
    fn sync_receive(&self, msg: &[u8], syncid: u32) {
        let r = wire::read(msg, syncid, &Known, |c| {
            if let Ok(c) = c {
                self.sync_apply(&c);
            }
        });
        if r == Err(wire::Dropped::Malformed) {
            kernel::pr_err_once!("BACKUP, Dropping buffer, malformed sync message\n");
        }
    }

    /// Makes or updates the connection or template of a master's record (C:
    /// `ip_vs_proc_conn`). One whose service or real server this backup does not have is not
    /// made (C makes it unbound, for traffic it forwards by the record's method).
    fn sync_apply(&self, r: &SyncConn<'_>) {
        let g = rcu::read_lock();
        let now = time::jiffies();
        let template = r.flags & flag::TEMPLATE != 0;
        let in_pkts = self.sysctls.get(Sysctl::SyncThreshold).max(0) as u32;
        let Some(proto) = Proto::from_ip(r.protocol).or(template.then_some(Proto::Ip)) else {
            return;
        };
        // Version 0 carries no timeout: the state's own, or 3 minutes for a template.
        let timeout_s = match (r.timeout, template) {
            (0, true) => policy::V0_TEMPLATE_TIMEOUT_S,
            (0, false) => {
                let mut st = ConnState::initial(false);
                st.set_number(proto, r.state);
                self.timeout(proto, &st)
            }
            (t, _) => t.min(i32::MAX as u32 / time::hz().max(1) as u32),
        };
        let key = crate::ipvs_conn::FlowKey {
            family: r.family,
            proto,
            saddr: r.caddr,
            sport: if template { 0 } else { r.cport },
            daddr: r.vaddr,
            dport: r.vport,
        };
        let found = if template {
            let tkey = crate::ipvs_conn::persist::TemplateKey {
                family: r.family,
                proto,
                cnet: *r.caddr.raw(),
                vaddr: *r.vaddr.raw(),
                vport: r.vport,
            };
            let pe = (!r.pe_data.is_empty()).then_some(r.pe_data);
            self.conns.lookup_template(&g, &tkey, pe)
        } else {
            match self.conns.lookup_in(&g, &key) {
                // Another real server: the master moved the client; an inactive record is the
                // old connection's end, already replaced here.
                Some(c) if c.daddr() != r.daddr || c.dport != r.dport => {
                    if r.flags & flag::INACTIVE != 0 {
                        return;
                    }
                    self.conns.expire_now(&c, now);
                    None
                }
                found => found,
            }
        };
        let deadline = now.wrapping_add(u64::from(timeout_s) * time::hz());
        if let Some(c) = found {
            c.update_synced(r, in_pkts, timeout_s);
            self.conns.set_expiry(&c, deadline);
            return;
        }
        let Some(svc) = self.lookup_service(
            &g,
            r.family.af(),
            r.fwmark,
            u16::from(r.protocol),
            r.vaddr.bytes(r.family),
            r.vport,
        ) else {
            return;
        };
        // C: a firewall-mark service's real servers of methods but NAT have no port.
        let port = if r.fwmark != 0 && r.flags & flag::FWD_MASK != 0 {
            0
        } else {
            r.dport
        };
        let Some(dest) = [port, port ^ r.dport].into_iter().find_map(|p| {
            svc.dests(&g)
                .iter()
                .find(|d| d.address() == r.daddr && d.port == p)
                .cloned()
        }) else {
            return;
        };
        // Like C, a control connection gets its helper (and keeps conntrack entries for it).
        let app = r.flags & flag::TEMPLATE == 0
            && Proto::from_ip(r.protocol)
                .is_some_and(|p| self.ftp_control(p, r.vport, Fwd::from_flags(dest.fwd())));
        let flags = ConnFlags {
            nfct: self.sysctls.get(Sysctl::Conntrack) != 0 || dest.nfct() || app,
            app,
            ..ConnFlags::default()
        };
        let made = Conn::new_synced(
            &self.conns,
            r,
            dest,
            svc.into(),
            timeout_s,
            in_pkts,
            flags,
            now,
        );
        if let Ok(c) = made {
            let _ = self.hash_conn(&g, c);
        }
    }

    /// Starts the daemon of control-plane `state` (1 master, 2 backup) on interface `ifname`
    /// (process context; C: `start_sync_thread`): `ENODEV` without the interface, then
    /// `EINVAL` for another state, `EEXIST` if it runs.
    pub(crate) fn start_daemon(&self, state: u32, ifname: &[u8; 16], asked: &Asked) -> Result {
        let module = ModuleRef::get().ok_or(ENOPROTOOPT)?;
        let mut d = self.sync.daemons.lock();
        let count = if self.sync.any_runs() {
            d.threads
        } else {
            policy::thread_count(self.sysctls.get(Sysctl::SyncPorts))
        };
        let dev = self.net.dev_info(ifname).inspect_err(|_| {
            pr_err!(
                "Unknown mcast interface: {}\n",
                kernel::str::BStr::from_bytes(name_of(ifname))
            );
        })?;
        let role = Role::of_state(state).ok_or(EINVAL)?;
        let cfg = Config::new(role, asked, dev.mtu);
        let running = match role {
            Role::Master => d.master.is_some(),
            Role::Backup => d.backup.is_some(),
        };
        if running {
            return Err(EEXIST);
        }
        let info = DaemonInfo {
            role,
            ifname: *ifname,
            cfg,
        };
        let sock_size = self.sysctls.get(Sysctl::SyncSockSize);
        match role {
            Role::Master => {
                let mut queues = KVec::with_capacity(count as usize, GFP_KERNEL)?;
                for _ in 0..count {
                    let q = Queue {
                        cur: None,
                        ready: KVec::new(),
                    };
                    queues.push(q, GFP_KERNEL)?;
                }
                let threads = spawn_threads(&info, self.gen(), count, |id| {
                    Ok(MasterThread {
                        net: self.net,
                        sock: master_socket(self, &cfg, &dev, sock_size, id)?,
                        id: id as usize,
                    })
                })?;
                *self.sync.master.lock() = Some(MasterQueues {
                    syncid: cfg.syncid as u8,
                    maxlen: usize::from(cfg.maxlen),
                    queues,
                    threads,
                });
                d.master = Some((info, module));
                self.sync.set_state(MASTER, true);
            }
            Role::Backup => {
                let threads = spawn_threads(&info, self.gen(), count, |id| {
                    Ok(BackupThread {
                        net: self.net,
                        sock: backup_socket(self, &cfg, &dev, sock_size, id)?,
                        syncid: cfg.syncid,
                        maxlen: usize::from(cfg.maxlen),
                    })
                })?;
                d.backup = Some((info, module, threads));
                self.sync.set_state(BACKUP, true);
            }
        }
        d.threads = count;
        Ok(())
    }

    /// Stops the daemon of `role` (process context; C: `stop_sync_thread`): `ESRCH` if it does
    /// not run. What the master had not sent is dropped.
    pub(crate) fn stop_daemon(&self, role: Role) -> Result {
        let mut d = self.sync.daemons.lock();
        match role {
            Role::Master => {
                let (_info, _module) = d.master.take().ok_or(ESRCH)?;
                self.sync.set_state(MASTER, false);
                // Taken out under the lock, stopped and freed outside it.
                let m = self.sync.master.lock().take();
                if let Some(mut m) = m {
                    while let Some(t) = m.threads.pop() {
                        pr_info!("stopping master sync thread {} ...\n", m.threads.len());
                        drop(t);
                    }
                }
            }
            Role::Backup => {
                let (_info, _module, mut threads) = d.backup.take().ok_or(ESRCH)?;
                self.sync.set_state(BACKUP, false);
                while let Some(t) = threads.pop() {
                    pr_info!("stopping backup sync thread {} ...\n", threads.len());
                    drop(t);
                }
            }
        }
        Ok(())
    }

    /// Stops both daemons (the namespace goes).
    pub(crate) fn stop_daemons(&self) {
        let _ = self.stop_daemon(Role::Master);
        let _ = self.stop_daemon(Role::Backup);
    }

    /// The running daemons: master, backup.
    pub(crate) fn daemons(&self) -> [Option<DaemonInfo>; 2] {
        let d = self.sync.daemons.lock();
        [
            d.master.as_ref().map(|m| m.0),
            d.backup.as_ref().map(|b| b.0),
        ]
    }
}

/// Starts a daemon's `count` threads (`ipvs-m:<gen>:<id>` or `ipvs-b:...`), thread `id` running
/// what `make(id)` returns, and logs each as C does.
fn spawn_threads<T: Step>(
    info: &DaemonInfo,
    gen: i32,
    count: u32,
    mut make: impl FnMut(u32) -> Result<T>,
) -> Result<KVec<KThread<T>>> {
    let (prefix, state) = match info.role {
        Role::Master => (c"ipvs-m", "MASTER"),
        Role::Backup => (c"ipvs-b", "BACKUP"),
    };
    let mut threads = KVec::with_capacity(count as usize, GFP_KERNEL)?;
    for id in 0..count {
        let t = Arc::new(make(id)?, GFP_KERNEL)?;
        pr_info!(
            "sync thread started: state = {state}, mcast_ifn = {}, syncid = {}, id = {id}\n",
            kernel::str::BStr::from_bytes(name_of(&info.ifname)),
            info.cfg.syncid
        );
        threads.push(
            KThread::spawn_named(t, prefix, (gen, id as i32))?,
            GFP_KERNEL,
        )?;
    }
    Ok(threads)
}

/// The interface name without its NUL.
fn name_of(ifname: &[u8; 16]) -> &[u8] {
    ifname.split(|&b| b == 0).next().unwrap_or_default()
}

/// Master thread `id`'s socket (C: `make_send_sock`): to the group on port + `id`, out of the
/// interface, from its address (IPv4), not looped back, fragmentable.
fn master_socket(
    ipvs: &Ipvs,
    cfg: &Config,
    dev: &crate::rust::pernet::DevInfo,
    sock_size: i32,
    id: u32,
) -> Result<UdpSocket> {
    let s = UdpSocket::new(ipvs.net, cfg.family)?;
    s.set_multicast_if(dev.ifindex)?;
    s.set_multicast_loop(false)?;
    s.set_multicast_ttl(cfg.ttl)?;
    s.set_pmtudisc_dont()?;
    if sock_size > 0 {
        s.set_sndbuf(sock_size)?;
    }
    if cfg.family == Family::V4 {
        if dev.addr4 == [0; 4] {
            pr_err!("You probably need to specify IP address on multicast interface.\n");
        }
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&dev.addr4);
        s.bind(&SockAddr::new(Family::V4, &a, 0))?;
    }
    s.connect(&SockAddr::new(
        cfg.family,
        &cfg.group,
        cfg.port.wrapping_add(id as u16),
    ))?;
    Ok(s)
}

/// Backup thread `id`'s socket (C: `make_receive_sock`): bound to the group on port + `id`,
/// on the interface, a member of the group there.
fn backup_socket(
    ipvs: &Ipvs,
    cfg: &Config,
    dev: &crate::rust::pernet::DevInfo,
    sock_size: i32,
    id: u32,
) -> Result<UdpSocket> {
    let s = UdpSocket::new(ipvs.net, cfg.family)?;
    s.set_reuseaddr();
    if sock_size > 0 {
        s.set_rcvbuf(sock_size)?;
    }
    s.bind_device(dev.ifindex)?;
    s.bind(&SockAddr::new(
        cfg.family,
        &cfg.group,
        cfg.port.wrapping_add(id as u16),
    ))?;
    s.join_group(&cfg.group, dev.ifindex)?;
    Ok(s)
}
