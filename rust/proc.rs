// SPDX-License-Identifier: GPL-2.0

//! The `/proc/net/ip_vs*` files: the shim creates them per namespace, Rust renders them.
//!
//! C header: [`include/linux/seq_file.h`](srctree/include/linux/seq_file.h)

use super::{
    pernet,
    pernet::{Net, PernetState},
    shim,
};
use core::marker::PhantomData;
use kernel::ffi::{c_int, c_long};

/// The files, numbered as in the shim's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProcFile {
    /// `/proc/net/ip_vs_conn`.
    Conn,
    /// `/proc/net/ip_vs`.
    Services,
    /// `/proc/net/ip_vs_stats`.
    Stats,
    /// `/proc/net/ip_vs_stats_percpu`.
    StatsPercpu,
    /// `/proc/net/ip_vs_conn_sync`.
    ConnSync,
    /// `/proc/net/ip_vs_app`.
    App,
    /// `/proc/net/ip_vs_status`.
    Status,
}

impl ProcFile {
    fn from_raw(kind: c_long) -> Option<Self> {
        Some(match kind {
            k if k == shim::IPVS_RS_PROC_CONN as c_long => Self::Conn,
            k if k == shim::IPVS_RS_PROC_SERVICES as c_long => Self::Services,
            k if k == shim::IPVS_RS_PROC_STATS as c_long => Self::Stats,
            k if k == shim::IPVS_RS_PROC_STATS_PERCPU as c_long => Self::StatsPercpu,
            k if k == shim::IPVS_RS_PROC_CONN_SYNC as c_long => Self::ConnSync,
            k if k == shim::IPVS_RS_PROC_APP as c_long => Self::App,
            k if k == shim::IPVS_RS_PROC_STATUS as c_long => Self::Status,
            _ => return None,
        })
    }
}

/// Text output into the `seq_file` being read.
///
/// # Invariants
///
/// `seq` is the `seq_file` of the running show call.
pub(crate) struct SeqWriter<'a> {
    seq: *mut shim::RawSeqFile,
    _p: PhantomData<&'a mut shim::RawSeqFile>,
}

impl core::fmt::Write for SeqWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let len = u32::try_from(s.len()).map_err(|_| core::fmt::Error)?;
        // SAFETY: `seq` is valid (type invariant) and `s` is valid for `len` bytes. An overflow
        // is recorded by seq_file itself, which then retries with a larger buffer.
        unsafe { shim::ipvs_rs_seq_write(self.seq, s.as_ptr().cast(), len) };
        Ok(())
    }
}

/// What renders the files: the per-namespace state.
pub(crate) trait Handler: PernetState {
    /// Writes the whole of `file` to `w`.
    fn show(&self, file: ProcFile, w: &mut SeqWriter<'_>);
}

/// Renders one file with `T` (the shim's single_show calls it as `ipvs_rs_proc_show`, see
/// [`entry_points!`](crate::rust::entry_points)).
///
/// # Safety
///
/// `seq` must be the `seq_file` of a running show call and `net` its namespace.
pub(crate) unsafe fn show<T: Handler>(
    seq: *mut shim::RawSeqFile,
    net: *mut shim::RawNet,
    kind: c_long,
) -> c_int {
    // SAFETY: `net` is the namespace of this show call, alive for the call (function contract).
    let net = unsafe { Net::from_raw(net) };
    let (Some(net), Some(file)) = (net, ProcFile::from_raw(kind)) else {
        return 0;
    };
    // INVARIANT: `seq` is this show call's seq_file.
    let mut w = SeqWriter {
        seq,
        _p: PhantomData,
    };
    pernet::with(net, |state: &T| state.show(file, &mut w));
    0
}
