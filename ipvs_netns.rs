// SPDX-License-Identifier: GPL-2.0

//! The IPVS state of one network namespace: its tables, sysctls and counters, made when the
//! namespace is and dropped when it goes, and its 1 s tick (connection table sizing, the
//! destination trash, the rate estimator). The packet path ([`crate::ipvs_core`]) and the
//! control plane ([`crate::ipvs_ctl`]) are its methods.

use crate::ipvs_conn::{self, ConnTable};
use crate::ipvs_ctl::{
    self, table::SvcTable, Counters, CtlState, RealServer, Service, Timeouts, TrashEntry,
};
use crate::rust::{
    pernet::{Net, PernetState, Sysctls},
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
        Arc, Mutex,
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
    /// The NAT destinations of all services, by address and port, read under RCU (the packet
    /// path, for `nat_icmp_send` and real servers' own SIP requests).
    #[pin]
    pub(crate) real_index: RcuIndex<RealServer>,
    /// Connections.
    #[pin]
    pub(crate) conns: ConnTable,
    /// The connection table's load factor (see [`ipvs_conn::sizing`]).
    conn_lfactor: i32,
    /// Destinations removed from their services (see `Ipvs::trash_put`).
    #[pin]
    pub(crate) trash: SpinLockBh<KVec<TrashEntry>>,
    /// Source of service object identities.
    pub(crate) next_svc_id: Atomic<u64>,
    /// Services on the FTP port (a TCP packet to a data port may be theirs).
    pub(crate) ftp_svcs: Atomic<u32>,
    /// Address services on port 0 (they catch every port of their address).
    pub(crate) null_svcs: Atomic<u32>,
    /// Services whose persistence engine (SIP) makes connections for their real servers' own
    /// requests to clients.
    pub(crate) conn_out_svcs: Atomic<u32>,
    /// Protocol timeouts.
    pub(crate) timeouts: Timeouts,
    /// Totals over all services.
    pub(crate) stats: Counters,
    /// Seconds ticked (the rate estimator runs every other one).
    ticks: Atomic<u32>,
}

impl proc::Handler for Ipvs {
    fn show(&self, file: ProcFile, w: &mut SeqWriter<'_>) {
        self.proc_show(file, w)
    }
}

impl PernetState for Ipvs {
    fn new(net: Net) -> Result<Arc<Self>> {
        let svc_index = RcuIndex::new(ipvs_ctl::table::BITS)?;
        let real_index = RcuIndex::new(ipvs_ctl::table::BITS)?;
        let conns = ConnTable::new()?;
        let stats = Counters::new()?;
        let conn_lfactor = ipvs_conn::sizing::default_lfactor(net.is_init());
        let sysctls = net.sysctls().ok_or(EINVAL)?;
        Arc::pin_init(
            try_pin_init!(Ipvs {
                net,
                sysctls,
                ctl <- new_mutex!(CtlState::default(), "ipvs_rs::Ipvs::ctl"),
                svcs <- new_spinlock_bh!(SvcTable::new(), c"ipvs_rs::Ipvs::svcs"),
                svc_index <- svc_index,
                real_index <- real_index,
                conns <- conns,
                conn_lfactor,
                trash <- new_spinlock_bh!(KVec::new(), c"ipvs_rs::Ipvs::trash"),
                next_svc_id: Atomic::new(1),
                ftp_svcs: Atomic::new(0),
                null_svcs: Atomic::new(0),
                conn_out_svcs: Atomic::new(0),
                ticks: Atomic::new(0),
                timeouts: Timeouts::default(),
                stats,
            }),
            GFP_KERNEL,
        )
    }

    fn exit(&self, _net: Net) {
        self.ctl_exit();
        self.conns.flush();
    }

    fn tick(&self) {
        let now = time::jiffies();
        self.conns
            .resize(self.conn_lfactor, crate::conn_tab_max_bits());
        self.trash_expire(now);
        if u64::from(self.ticks.fetch_add(1, Relaxed)) % ipvs_ctl::est::PERIOD_S == 0 {
            self.estimate_rates();
        }
    }
}

impl Ipvs {
    /// Renders a `/proc/net` file.
    fn proc_show(&self, file: ProcFile, w: &mut impl core::fmt::Write) {
        // A short buffer is retried by seq_file with a larger one: errors need no handling.
        let _ = match file {
            ProcFile::Conn => self.conns.show(w, time::jiffies(), time::hz()),
            ProcFile::Services => self.show_services(w),
            ProcFile::Stats => ipvs_ctl::procfmt::write_stats(w, &self.stats.snapshot()),
        };
    }
}
