// SPDX-License-Identifier: GPL-2.0

//! The generic-netlink family `IPVS`: registration and the doit/dumpit trampolines.
//!
//! The family, its operations and the top-level attribute policy are C data in the shim (the
//! kernel validates top-level attributes and `CAP_NET_ADMIN` before calling us). Requests reach
//! Rust as raw attribute bytes, replies leave as attribute bytes built by the pure codec.
//!
//! C header: [`include/net/genetlink.h`](srctree/include/net/genetlink.h)

use super::{
    pernet,
    pernet::{Net, PernetState},
    shim,
};
use core::marker::PhantomData;
use kernel::{ffi::c_int, ffi::c_long, prelude::*};

/// The registered generic-netlink family `IPVS`; dropping it unregisters the family, after the
/// operations running then have finished.
///
/// # Invariants
///
/// The shim's family is registered, by this value.
pub(crate) struct Registration(());

impl Registration {
    /// Registers the family (it fails if another module, such as the C `ip_vs`, holds the name).
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Registers the shim's static family; a second registration fails.
        kernel::error::to_result(unsafe { shim::ipvs_rs_genl_register() })?;
        // INVARIANT: Registered just now.
        Ok(Self(()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: The family is registered, by `self` (type invariant).
        unsafe { shim::ipvs_rs_genl_unregister() }
    }
}

/// A request: the command and its attribute area.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Request<'a> {
    /// The genl command.
    pub(crate) cmd: u8,
    /// The attributes after the genl header.
    pub(crate) attrs: &'a [u8],
}

/// The way to answer a doit request.
///
/// # Invariants
///
/// `info` is the `genl_info` of the running doit call.
pub(crate) struct Reply<'a> {
    info: *mut shim::RawGenlInfo,
    _p: PhantomData<&'a mut shim::RawGenlInfo>,
}

impl Reply<'_> {
    /// Sends one message with command `cmd` and `attrs` as its attributes.
    pub(crate) fn send(self, cmd: u8, attrs: &[u8]) -> Result {
        let len = u32::try_from(attrs.len()).map_err(|_| EMSGSIZE)?;
        // SAFETY: `info` is valid (type invariant) and `attrs` is valid for `len` bytes.
        kernel::error::to_result(unsafe {
            shim::ipvs_rs_genl_reply(self.info, cmd, attrs.as_ptr().cast(), len)
        })
    }
}

/// A dump in progress: the skb being filled and the resumable cursor (`cb->args`).
///
/// # Invariants
///
/// `skb` and `cb` are the arguments of the running dumpit call.
pub(crate) struct Dump<'a> {
    skb: *mut shim::RawSkb,
    cb: *mut shim::RawNlCb,
    _p: PhantomData<&'a mut shim::RawNlCb>,
}

impl Dump<'_> {
    /// Appends one multipart message; `Err` when the skb is full (resume on the next call).
    pub(crate) fn put(&mut self, cmd: u8, attrs: &[u8]) -> Result {
        let len = u32::try_from(attrs.len()).map_err(|_| EMSGSIZE)?;
        // SAFETY: `skb`/`cb` are valid (type invariant) and `attrs` is valid for `len` bytes.
        kernel::error::to_result(unsafe {
            shim::ipvs_rs_dump_put(self.skb, self.cb, cmd, attrs.as_ptr().cast(), len)
        })
    }

    fn args(&mut self) -> &mut [c_long; 6] {
        // SAFETY: `cb` is valid (type invariant) and `cb->args` is an array of six longs that
        // the dump owns across calls.
        unsafe { &mut *shim::ipvs_rs_cb_args(self.cb).cast::<[c_long; 6]>() }
    }

    /// Cursor slot `i` (0..6), zero on the first call.
    pub(crate) fn cursor(&mut self, i: usize) -> i64 {
        self.args().get(i).copied().unwrap_or(0) as i64
    }

    /// Stores cursor slot `i`.
    pub(crate) fn set_cursor(&mut self, i: usize, v: i64) {
        if let Some(a) = self.args().get_mut(i) {
            *a = v as c_long;
        }
    }
}

/// Turns a raw (pointer, length) attribute area into a slice.
///
/// # Safety
///
/// `ptr` must be valid for `len` bytes for `'a`.
unsafe fn attrs<'a>(ptr: *const u8, len: u32) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        return &[];
    }
    // SAFETY: Guaranteed by the caller.
    unsafe { core::slice::from_raw_parts(ptr, len as usize) }
}

/// What answers the family's commands: the per-namespace state.
pub(crate) trait Handler: PernetState {
    /// Carries out a doit command, answering through `reply` if it has an answer.
    fn doit(&self, net: Net, req: Request<'_>, reply: Reply<'_>) -> Result;
    /// Fills `dump` with the next part of a dump (nothing more written: the dump is over).
    fn dumpit(&self, net: Net, req: Request<'_>, dump: &mut Dump<'_>) -> Result;
}

/// The doit of every command, answered by `T` (the shim's operations call it as
/// `ipvs_rs_genl_doit`, see [`entry_points!`](crate::rust::entry_points)).
///
/// # Safety
///
/// `info` must be the `genl_info` of a running doit call.
pub(crate) unsafe fn doit<T: Handler>(info: *mut shim::RawGenlInfo) -> c_int {
    let mut len = 0u32;
    // SAFETY: `info` is the valid `genl_info` of this doit call; the attribute area stays valid
    // for the call.
    let (cmd, area, net) = unsafe {
        (
            shim::ipvs_rs_genl_info_cmd(info),
            attrs(shim::ipvs_rs_genl_info_attrs(info, &mut len).cast(), len),
            shim::ipvs_rs_genl_info_net(info),
        )
    };
    // SAFETY: The request's namespace is alive for the call, which is all the handle is used for.
    let Some(net) = (unsafe { Net::from_raw(net) }) else {
        return EINVAL.to_errno();
    };
    // INVARIANT: `info` is this call's `genl_info`.
    let reply = Reply {
        info,
        _p: PhantomData,
    };
    let req = Request { cmd, attrs: area };
    match pernet::with(net, |state: &T| state.doit(net, req, reply)) {
        Some(Ok(())) => 0,
        Some(Err(e)) => e.to_errno(),
        None => ENOENT.to_errno(),
    }
}

/// The dumpit of every dump command, filled by `T` (called as `ipvs_rs_genl_dumpit`).
///
/// # Safety
///
/// `skb` and `cb` must be the arguments of a running dumpit call.
pub(crate) unsafe fn dumpit<T: Handler>(skb: *mut shim::RawSkb, cb: *mut shim::RawNlCb) -> c_int {
    let mut len = 0u32;
    // SAFETY: `cb` is the valid callback of this dump; its request stays valid for the call.
    let (cmd, area, net) = unsafe {
        (
            shim::ipvs_rs_cb_cmd(cb),
            attrs(shim::ipvs_rs_cb_attrs(cb, &mut len).cast(), len),
            shim::ipvs_rs_cb_net(cb),
        )
    };
    // SAFETY: The request's namespace is alive for the call, which is all the handle is used for.
    let Some(net) = (unsafe { Net::from_raw(net) }) else {
        return EINVAL.to_errno();
    };
    // INVARIANT: `skb`/`cb` are this call's arguments.
    let mut dump = Dump {
        skb,
        cb,
        _p: PhantomData,
    };
    let req = Request { cmd, attrs: area };
    match pernet::with(net, |state: &T| state.dumpit(net, req, &mut dump)) {
        Some(Err(e)) => e.to_errno(),
        // SAFETY: `skb` is valid for the call. A dump reports how much it wrote; 0 ends it.
        _ => (unsafe { shim::ipvs_rs_skb_len(skb) }) as c_int,
    }
}
