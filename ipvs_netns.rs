// SPDX-License-Identifier: GPL-2.0

//! The IPVS state of one network namespace: its tables, sysctls and counters, made when the
//! namespace is and dropped when it goes, and its 1 s tick (connection table sizing, the
//! destination trash, the rate estimator). The packet path ([`crate::ipvs_core`]) and the
//! control plane ([`crate::ipvs_ctl`]) are its methods.

use crate::ipvs_conn::{self, ConnTable};
use crate::ipvs_ctl::{
    self, defense, sysctl, table::SvcTable, Counters, CtlState, RealServer, Service, Timeouts,
    TrashEntry,
};
use crate::rust::{
    kthread::{KThread, Step},
    mem,
    pernet::{Net, PernetState, Sysctl, Sysctls},
    proc::{self, ProcFile, SeqWriter},
    rcuindex::RcuIndex,
    sync::{new_spinlock_bh, SpinLockBh},
    time,
};
use kernel::{
    alloc::KVec,
    new_mutex,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        rcu, Arc, ArcBorrow, Mutex,
    },
};

/// The IPVS state of one network namespace.
#[pin_data]
pub(crate) struct Ipvs {
    /// The namespace.
    pub(crate) net: Net,
    /// Its `net/ipv4/vs/` sysctls.
    pub(crate) sysctls: Sysctls,
    /// Serialises configuration changes.
    #[pin]
    pub(crate) ctl: Mutex<CtlState>,
    /// Virtual services in creation order (control plane and the tick).
    #[pin]
    pub(crate) svcs: SpinLockBh<SvcTable<Arc<Service>>>,
    /// The same services, hashed by identity, read under RCU (the packet path).
    #[pin]
    pub(crate) svc_index: RcuIndex<Service>,
    /// The `svc_lfactor` the service index was sized at.
    pub(crate) svc_index_lfactor: Atomic<i32>,
    /// The NAT destinations of all services, by address and port, read under RCU (the packet
    /// path, for `nat_icmp_send` and real servers' own SIP requests).
    #[pin]
    pub(crate) real_index: RcuIndex<RealServer>,
    /// Connections.
    #[pin]
    pub(crate) conns: ConnTable,
    /// Destinations removed from their services (see `Ipvs::trash_put`).
    #[pin]
    pub(crate) trash: SpinLockBh<KVec<TrashEntry>>,
    /// Source of service object identities.
    pub(crate) next_svc_id: Atomic<u64>,
    /// Services on the FTP port (a TCP packet to a data port may be theirs).
    pub(crate) ftp_svcs: Atomic<u32>,
    /// Services whose connections may be FTP control connections (see
    /// `Ipvs::count_ftp_control`): only while there are any may a passive-mode data connection
    /// wait for its client's port.
    pub(crate) ftp_ctl_svcs: Atomic<u32>,
    /// The FTP helper's control ports (the `ports` module parameter).
    pub(crate) ftp_ports: crate::ipvs_app::FtpPorts,
    /// Address services on port 0 (they catch every port of their address).
    pub(crate) null_svcs: Atomic<u32>,
    /// Services whose persistence engine (SIP) makes connections for their real servers' own
    /// requests to clients.
    pub(crate) conn_out_svcs: Atomic<u32>,
    /// Protocol timeouts.
    pub(crate) timeouts: Timeouts,
    /// Totals over all services.
    pub(crate) stats: Counters,
    /// Which namespace this is among those IPVS has seen since it was loaded (its estimator
    /// thread is `ipvs-e:<gen>:0`).
    gen: i32,
    /// A service was added once: IPVS is at work here (C: `ipvs->enable`).
    pub(crate) enabled: Atomic<bool>,
    /// The rate estimator's thread, while it runs, with the settings it was started with.
    #[pin]
    est_thread: Mutex<Option<EstThread>>,
    /// The DoS defences' state (see [`ipvs_ctl::defense`]), updated under its lock, with
    /// `drop_entry`'s counters.
    #[pin]
    defense: Mutex<defense::DropCounters>,
    /// `drop_entry` is on.
    drop_entry_on: Atomic<bool>,
    /// `drop_packet` refuses one new connection in this many (0: none)...
    drop_rate: Atomic<i32>,
    /// ...counted down here.
    drop_counter: Atomic<i32>,
    /// `secure_tcp` is on.
    secure_tcp_on: Atomic<bool>,
    /// The connection synchronisation daemons.
    #[pin]
    pub(crate) sync: crate::ipvs_sync::SyncState,
}

/// Namespaces IPVS has seen since it was loaded (C: `ipvs_netns_cnt`).
static NETNS_GEN: Atomic<i32> = Atomic::new(0);

/// The rate estimator's thread and what it was started with.
struct EstThread {
    /// Stopped when dropped.
    _thread: KThread<Ipvs>,
    nice: i32,
    cpulist_gen: u32,
}

impl Step for Ipvs {
    /// The rate estimator's thread: every 2 seconds, each counter's rate (not once estimation
    /// is stopped: the thread itself goes at the next tick).
    fn step(&self) -> u64 {
        if !self.estimator_stopped() {
            self.estimate_rates();
        }
        ipvs_ctl::est::PERIOD_S * time::hz()
    }
}

impl Ipvs {
    /// Which namespace this is among those IPVS has seen (its threads' names' middle number).
    pub(crate) fn gen(&self) -> i32 {
        self.gen
    }

    /// Starts, stops or restarts the rate estimator's thread as C runs its: once IPVS is at
    /// work in the namespace and unless estimation is stopped (`run_estimation` 0, or an empty
    /// `est_cpulist`); started again for a new `est_nice` or `est_cpulist` (process context).
    fn est_thread_update(this: ArcBorrow<'_, Self>) {
        let want = (this.enabled.load(Relaxed) && !this.estimator_stopped()).then(|| {
            (
                this.sysctls.get(Sysctl::EstNice),
                this.net.est_cpulist_gen(),
            )
        });
        let mut t = this.est_thread.lock();
        let have = t.as_ref().map(|e| (e.nice, e.cpulist_gen));
        if want == have {
            return;
        }
        // The old thread is stopped before a new one starts.
        drop(t.take());
        let Some((nice, cpulist_gen)) = want else {
            return;
        };
        match KThread::spawn(this.into(), (this.gen, 0), nice, this.net) {
            Ok(thread) => {
                *t = Some(EstThread {
                    _thread: thread,
                    nice,
                    cpulist_gen,
                })
            }
            // Retried at the next tick.
            Err(_) => kernel::pr_warn_once!("ipvs_rs: cannot start the rate estimator's thread\n"),
        }
    }

    /// Whether the rate estimator's thread runs (for `/proc/net/ip_vs_status`).
    fn est_thread_running(&self) -> bool {
        self.est_thread.lock().is_some()
    }

    /// The rate estimators: the totals', each service's and each destination's.
    fn count_estimators(&self) -> u32 {
        let svcs = self.svcs.lock();
        let n: usize = svcs
            .iter()
            .map(|s| 1 + s.dests(&rcu::read_lock()).len())
            .sum();
        1 + n as u32
    }
}

impl proc::Handler for Ipvs {
    fn show(&self, file: ProcFile, w: &mut SeqWriter<'_>) {
        self.proc_show(file, w)
    }

    fn seek(&self, g: &rcu::Guard, file: ProcFile, bucket: &mut u32, skip: &mut u32) -> bool {
        matches!(file, ProcFile::Conn | ProcFile::ConnSync)
            && self.conns.seek(g, bucket, skip).is_some()
    }

    fn show_record(
        &self,
        g: &rcu::Guard,
        file: ProcFile,
        cur: &proc::Cursor,
        w: &mut SeqWriter<'_>,
    ) {
        let sync_file = file == ProcFile::ConnSync;
        // A short buffer is retried by seq_file with a larger one: errors need no handling.
        let _ = if cur.pos == 0 {
            ipvs_conn::show::write_header(w, sync_file)
        } else {
            let (mut bucket, mut skip) = (cur.bucket, cur.skip);
            // Gone since the cursor got there: nothing (the next record is the next one's).
            match self.conns.seek(g, &mut bucket, &mut skip) {
                Some(c) if (bucket, skip) == (cur.bucket, cur.skip) => {
                    c.show(w, time::jiffies(), time::hz(), sync_file)
                }
                _ => Ok(()),
            }
        };
    }
}

impl PernetState for Ipvs {
    fn new(net: Net) -> Result<Arc<Self>> {
        let svc_index = RcuIndex::new(ipvs_ctl::table::SVC_MIN_BITS)?;
        let real_index = RcuIndex::new(ipvs_ctl::table::REAL_BITS)?;
        let conns = ConnTable::new(crate::conn_tab_max_bits())?;
        let stats = Counters::new()?;
        let sysctls = net.sysctls().ok_or(EINVAL)?;
        set_defaults(&sysctls, net);
        Arc::pin_init(
            try_pin_init!(Ipvs {
                net,
                sysctls,
                ctl <- new_mutex!(CtlState::default(), "ipvs_rs::Ipvs::ctl"),
                svcs <- new_spinlock_bh!(SvcTable::new(), c"ipvs_rs::Ipvs::svcs"),
                svc_index <- svc_index,
                svc_index_lfactor: Atomic::new(0),
                real_index <- real_index,
                conns <- conns,
                trash <- new_spinlock_bh!(KVec::new(), c"ipvs_rs::Ipvs::trash"),
                next_svc_id: Atomic::new(1),
                ftp_svcs: Atomic::new(0),
                ftp_ctl_svcs: Atomic::new(0),
                ftp_ports: crate::ipvs_app::FtpPorts::from_param(),
                null_svcs: Atomic::new(0),
                conn_out_svcs: Atomic::new(0),
                gen: NETNS_GEN.fetch_add(1, Relaxed),
                enabled: Atomic::new(false),
                est_thread <- new_mutex!(None, "ipvs_rs::Ipvs::est_thread"),
                defense <- new_mutex!([0; 8], "ipvs_rs::Ipvs::defense"),
                drop_entry_on: Atomic::new(false),
                drop_rate: Atomic::new(0),
                drop_counter: Atomic::new(0),
                secure_tcp_on: Atomic::new(false),
                sync <- crate::ipvs_sync::SyncState::new(),
                timeouts: Timeouts::default(),
                stats,
            }),
            GFP_KERNEL,
        )
    }

    /// The sync daemons' sockets hold routes through the namespace's devices: they go before
    /// the devices do (C stops its daemons in its device exit).
    fn pre_exit(&self) {
        self.stop_daemons();
    }

    fn exit(&self, _net: Net) {
        // The thread holds a reference to this state: stopped first.
        drop(self.est_thread.lock().take());
        self.stop_daemons();
        self.ctl_exit();
        self.conns.flush();
    }

    fn tick(this: ArcBorrow<'_, Self>) {
        Self::est_thread_update(this);
        this.tick_work();
    }

    fn resize(this: ArcBorrow<'_, Self>) {
        this.resize_conns();
    }

    fn sysctl_write(&self, which: Sysctl, vals: &[i32], privileged: bool) -> Result {
        self.sysctl_write_checked(which, vals, privileged)
    }

    /// Every cached route to a real server is forgotten, so that none keeps the device (C
    /// forgets those through it; the next packets look their routes up again).
    fn netdev_down(&self) {
        self.forget_routes();
    }
}

impl Ipvs {
    /// Sizes the connection table for its connections: only from the namespace's resize work
    /// (queued by each tick, and at once when the table outgrows its buckets), which never
    /// runs twice at a time, as `rcuhash::Table::resize` wants.
    fn resize_conns(&self) {
        self.conns.resize(self.sysctls.get(Sysctl::ConnLfactor));
    }

    /// The tick's work but for the estimator's thread.
    fn tick_work(&self) {
        let now = time::jiffies();
        // (A shrink, or a new `conn_lfactor`, is seen here.)
        self.net.resize_soon();
        self.trash_expire(now);
        self.update_defense();
        if self.drop_entry_on.load(Relaxed) {
            let mut counters = self.defense.lock();
            self.conns
                .random_drop(now, time::hz(), &mut counters, |c, st| {
                    self.conn_timeout(c, st)
                });
        }
    }

    fn sysctl_write_checked(&self, which: Sysctl, vals: &[i32], privileged: bool) -> Result {
        use sysctl::{check, Accepted, Rule};
        let rule = match which {
            Sysctl::ConnMax => Rule::ConnMax,
            Sysctl::DropEntry | Sysctl::DropPacket | Sysctl::SecureTcp => Rule::DefenseMode,
            Sysctl::SyncThreshold => Rule::SyncThreshold,
            Sysctl::SyncPorts => Rule::SyncPorts,
            Sysctl::EstNice => Rule::Nice,
            Sysctl::ConnLfactor | Sysctl::SvcLfactor => Rule::LoadFactor,
            Sysctl::RunEstimation => Rule::Any,
            _ => return Err(EINVAL),
        };
        // Serialised with configuration changes, as C's handlers take its service mutex.
        let _ctl = self.ctl.lock();
        let ceiling = self.sysctls.get(Sysctl::ConnMaxLimit);
        let accepted = check(rule, vals, ceiling, privileged).ok_or(EINVAL)?;
        if accepted == Accepted::ValueAndCeiling {
            self.sysctls.set(Sysctl::ConnMaxLimit, vals[0]);
        }
        if rule == Rule::DefenseMode {
            let _d = self.defense.lock();
            self.sysctls.set(which, vals[0]);
        } else {
            self.sysctls.set(which, vals[0]);
        }
        if which == Sysctl::SyncThreshold {
            self.sysctls.set(Sysctl::SyncPeriod, vals[1]);
        }
        if which == Sysctl::SvcLfactor {
            self.size_svc_index(false);
        }
        // A new mode takes effect at once, as C's.
        if rule == Rule::DefenseMode {
            self.update_defense();
        }
        Ok(())
    }
}

/// Sets a new namespace's `net/ipv4/vs/` values to C's defaults (the others start at 0).
fn set_defaults(s: &Sysctls, net: Net) {
    let init = net.is_init();
    let lb_expiration =
        i32::try_from(u64::from(sysctl::LB_EXPIRATION_S as u32) * time::hz()).unwrap_or(i32::MAX);
    // A new namespace's connection limit, and its ceiling, are the initial namespace's limit.
    let conn_max = if init {
        sysctl::CONN_MAX
    } else {
        Net::init()
            .and_then(Net::sysctls)
            .map_or(sysctl::CONN_MAX, |i| i.get(Sysctl::ConnMax))
    };
    for (which, v) in [
        (Sysctl::LblcExpiration, lb_expiration),
        (Sysctl::LblcrExpiration, lb_expiration),
        (Sysctl::PmtuDisc, 1),
        (Sysctl::ConnReuseMode, 1),
        (Sysctl::Amemthresh, sysctl::AMEMTHRESH),
        (Sysctl::AmDroprate, sysctl::AM_DROPRATE),
        (Sysctl::ConnMax, conn_max),
        (Sysctl::ConnMaxLimit, conn_max),
        (Sysctl::SnatReroute, 1),
        (Sysctl::SyncVersion, 1),
        (Sysctl::SyncPorts, 1),
        (Sysctl::SyncThreshold, sysctl::SYNC_THRESHOLD[0]),
        (Sysctl::SyncPeriod, sysctl::SYNC_THRESHOLD[1]),
        (Sysctl::RunEstimation, 1),
        (
            Sysctl::ConnLfactor,
            ipvs_conn::sizing::default_lfactor(init),
        ),
        (Sysctl::SvcLfactor, sysctl::default_svc_lfactor(init)),
    ] {
        s.set(which, v);
    }
}

impl Ipvs {
    /// Sets the DoS defences' levels for the memory available now (every second, and after a
    /// mode is written); automatic modes switch between 1 and 2 (C: `update_defense_level`).
    fn update_defense(&self) {
        let _d = self.defense.lock();
        let s = &self.sysctls;
        let mut m = defense::Modes {
            drop_entry: s.get(Sysctl::DropEntry),
            drop_packet: s.get(Sysctl::DropPacket),
            secure_tcp: s.get(Sysctl::SecureTcp),
        };
        let avail = i64::try_from(mem::available_pages()).unwrap_or(i64::MAX);
        let l = defense::update(
            &mut m,
            avail,
            s.get(Sysctl::Amemthresh),
            s.get(Sysctl::AmDroprate),
        );
        s.set(Sysctl::DropEntry, m.drop_entry);
        s.set(Sysctl::DropPacket, m.drop_packet);
        s.set(Sysctl::SecureTcp, m.secure_tcp);
        self.drop_entry_on.store(l.drop_entry, Relaxed);
        if l.restart_count {
            self.drop_counter.store(l.drop_rate, Relaxed);
        }
        self.drop_rate.store(l.drop_rate, Relaxed);
        self.secure_tcp_on.store(l.secure_tcp, Relaxed);
    }

    /// Whether the `secure_tcp` defence is on (TCP states follow its stricter tables).
    pub(crate) fn secure_tcp(&self) -> bool {
        self.secure_tcp_on.load(Relaxed)
    }

    /// Whether the `drop_packet` defence refuses this new connection (packet path; like C's,
    /// the countdown is not exact when CPUs race).
    pub(crate) fn defense_todrop(&self) -> bool {
        let rate = self.drop_rate.load(Relaxed);
        if rate == 0 {
            return false;
        }
        let (drop, next) = defense::todrop(rate, self.drop_counter.load(Relaxed));
        self.drop_counter.store(next, Relaxed);
        drop
    }

    /// Whether the rate estimator is stopped (C: `run_estimation` is 0, or `est_cpulist` was
    /// set to no CPU).
    fn estimator_stopped(&self) -> bool {
        self.sysctls.get(Sysctl::RunEstimation) == 0 || self.net.est_cpulist_empty()
    }
}

impl Ipvs {
    /// Renders a `/proc/net` file.
    fn proc_show(&self, file: ProcFile, w: &mut impl core::fmt::Write) {
        // A short buffer is retried by seq_file with a larger one: errors need no handling.
        let _ = match file {
            // Read record by record (`show_record`).
            ProcFile::Conn | ProcFile::ConnSync => Ok(()),
            ProcFile::Services => self.show_services(w),
            ProcFile::Stats => ipvs_ctl::procfmt::write_stats(w, &self.stats.snapshot()),
            ProcFile::StatsPercpu => self.show_stats_percpu(w),
            // The application helpers (C's FTP module).
            ProcFile::App => self.show_apps(w),
            ProcFile::Status => self.show_status(w),
        };
    }

    /// `/proc/net/ip_vs_status`: the connection table, the service index (each with the load
    /// factor it was sized at) and the estimator's thread slots.
    fn show_status(&self, w: &mut impl core::fmt::Write) -> core::fmt::Result {
        use ipvs_ctl::procfmt::{write_status, TableStatus, STATUS_CHAIN_CAP};
        // One thread slot (like C's first, there from the start; its thread runs once IPVS is
        // at work), which estimates every counter, in one chain. (Asked before the read
        // section: the thread's state is under a mutex.)
        let ests = if self.est_thread_running() {
            self.count_estimators()
        } else {
            0
        };
        let g = rcu::read_lock();
        let n = self.conns.count() as u32;
        let mut conns = TableStatus {
            entries: n,
            buckets: self.conns.size(),
            lfactor: self.conns.lfactor(),
            lengths: None,
        };
        if n != 0 {
            let mut c = [0u32; STATUS_CHAIN_CAP + 1];
            self.conns
                .chain_lengths(&g, STATUS_CHAIN_CAP, |len| c[len] += 1);
            conns.lengths = Some(c);
        }
        let n = self.svcs.lock().len() as u32;
        let mut svcs = TableStatus {
            entries: n,
            buckets: if n == 0 {
                0
            } else {
                self.svc_index.size() as u32
            },
            lfactor: self.svc_index_lfactor.load(Relaxed),
            lengths: None,
        };
        if n != 0 {
            let mut c = [0u32; STATUS_CHAIN_CAP + 1];
            self.svc_index
                .chain_lengths(&g, STATUS_CHAIN_CAP, |len| c[len] += 1);
            svcs.lengths = Some(c);
        }
        write_status(w, &conns, &svcs, (1, 1, ests, ests))
    }

    /// `/proc/net/ip_vs_stats_percpu`: each CPU's own totals, then the namespace's.
    fn show_stats_percpu(&self, w: &mut impl core::fmt::Write) -> core::fmt::Result {
        use ipvs_ctl::procfmt::{
            write_stats_percpu_head, write_stats_percpu_row, write_stats_percpu_tail,
        };
        write_stats_percpu_head(w)?;
        let mut r = Ok(());
        self.stats.for_each_cpu(|cpu, c| {
            if r.is_ok() {
                r = write_stats_percpu_row(w, cpu, &c);
            }
        });
        r?;
        write_stats_percpu_tail(w, &self.stats.snapshot())
    }
}
