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
use kernel::{
    ffi::{c_int, c_long},
    sync::rcu,
};

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

/// A reader's place in a file read record by record (`ip_vs_conn`, `ip_vs_conn_sync`): record
/// `pos` (0: the header) is the `skip`-th entry of bucket `bucket`. It lives in the reader's
/// `seq_file`, which serialises its calls.
pub(crate) type Cursor = shim::ipvs_rs_cursor;

/// What renders the files: the per-namespace state.
pub(crate) trait Handler: PernetState {
    /// Writes the whole of `file` to `w` (the files not read record by record).
    fn show(&self, file: ProcFile, w: &mut SeqWriter<'_>);

    /// Moves the place of a file read record by record to its first record at or after it
    /// (the one there may have gone since); false past the last.
    fn seek(&self, g: &rcu::Guard, file: ProcFile, bucket: &mut u32, skip: &mut u32) -> bool;

    /// Writes the record at `cur` of a file read record by record, or its header (`pos` 0).
    fn show_record(&self, g: &rcu::Guard, file: ProcFile, cur: &Cursor, w: &mut SeqWriter<'_>);
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

/// Runs `f` with the state of `net`, the file `kind` names and the reader's cursor; false when
/// the namespace has no state or the file is unknown.
///
/// # Safety
///
/// As for [`seek`].
unsafe fn with_cursor<T: Handler>(
    net: *mut shim::RawNet,
    kind: c_long,
    cur: *mut Cursor,
    f: impl FnOnce(&T, ProcFile, &mut Cursor) -> bool,
) -> bool {
    // SAFETY: `net` is the reader's namespace, alive for the call (function contract).
    let net = unsafe { Net::from_raw(net) };
    let (Some(net), Some(file)) = (net, ProcFile::from_raw(kind)) else {
        return false;
    };
    // SAFETY: `cur` is the reader's cursor, used by this call alone (function contract).
    let cur = unsafe { &mut *cur };
    pernet::with(net, |state: &T| f(state, file, cur)).unwrap_or(false)
}

/// Moves `cur` one record on (from the header to the first entry), calling it record `pos`.
/// False past the last.
fn step<T: Handler>(state: &T, g: &rcu::Guard, file: ProcFile, cur: &mut Cursor, pos: u64) -> bool {
    if cur.pos == 0 {
        cur.bucket = 0;
        cur.skip = 0;
    } else {
        cur.skip += 1;
    }
    cur.pos = pos;
    state.seek(g, file, &mut cur.bucket, &mut cur.skip)
}

/// The header's place.
const HEADER: Cursor = Cursor {
    pos: 0,
    bucket: 0,
    skip: 0,
};

/// Places `cur` at record `pos` of a file read record by record (the shim's seq_file `start`,
/// as `ipvs_rs_proc_seek`): where the reader's last read stopped, the walk resumes at its
/// place; anywhere else it counts from the first record. False past the last.
///
/// # Safety
///
/// `net` must be the namespace of the reader's file, alive for the call, and `cur` the cursor
/// in that reader's `seq_file` (used by one call at a time).
pub(crate) unsafe fn seek<T: Handler>(
    net: *mut shim::RawNet,
    kind: c_long,
    cur: *mut Cursor,
    pos: u64,
) -> bool {
    // SAFETY: Forwarded from this function's own contract.
    unsafe {
        with_cursor(net, kind, cur, |state: &T, file, cur| {
            if pos == 0 {
                *cur = HEADER;
                return true;
            }
            let g = rcu::read_lock();
            if cur.pos == pos {
                return state.seek(&g, file, &mut cur.bucket, &mut cur.skip);
            }
            *cur = HEADER;
            while cur.pos < pos {
                if !step(state, &g, file, cur, cur.pos + 1) {
                    return false;
                }
            }
            true
        })
    }
}

/// Moves `cur` to the next record, `pos` (the shim's seq_file `next`, as
/// `ipvs_rs_proc_advance`). False past the last.
///
/// # Safety
///
/// As for [`seek`].
pub(crate) unsafe fn advance<T: Handler>(
    net: *mut shim::RawNet,
    kind: c_long,
    cur: *mut Cursor,
    pos: u64,
) -> bool {
    // SAFETY: Forwarded from this function's own contract.
    unsafe {
        with_cursor(net, kind, cur, |state: &T, file, cur| {
            step(state, &rcu::read_lock(), file, cur, pos)
        })
    }
}

/// Writes the record at `cur` (the shim's seq_file `show`, as `ipvs_rs_proc_record`).
///
/// # Safety
///
/// `seq` must be the `seq_file` of a running show call, `net` its namespace and `cur` the
/// cursor in it.
pub(crate) unsafe fn record<T: Handler>(
    seq: *mut shim::RawSeqFile,
    net: *mut shim::RawNet,
    kind: c_long,
    cur: *const Cursor,
) -> c_int {
    // SAFETY: `net` is the namespace of this show call, alive for the call (function contract).
    let net = unsafe { Net::from_raw(net) };
    let (Some(net), Some(file)) = (net, ProcFile::from_raw(kind)) else {
        return 0;
    };
    // SAFETY: `cur` is the reader's cursor (function contract), not written during the call.
    let cur = unsafe { &*cur };
    // INVARIANT: `seq` is this show call's seq_file.
    let mut w = SeqWriter {
        seq,
        _p: PhantomData,
    };
    pernet::with(net, |state: &T| {
        let g = rcu::read_lock();
        state.show_record(&g, file, cur, &mut w)
    });
    0
}
