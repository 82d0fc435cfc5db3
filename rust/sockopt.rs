// SPDX-License-Identifier: GPL-2.0

//! The legacy IPVS socket options (`IP_VS_SO_SET_*`, `IP_VS_SO_GET_*` on `PF_INET` sockets):
//! registration and the set/get trampolines.
//!
//! The option table is C data in the shim; a call reaches Rust with its namespace, whether the
//! caller has `CAP_NET_ADMIN` there, the option number, and the argument still in the caller's
//! memory: the handler decides the order of its checks and copies what it needs, when it needs
//! it.
//!
//! C header: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h)

use super::{
    pernet,
    pernet::{Net, PernetState},
    shim,
};
use core::marker::PhantomData;
use kernel::{
    ffi::{c_int, c_uint, c_void},
    prelude::*,
    uaccess::{UserPtr, UserSlice},
};

/// The registered socket options; dropping it unregisters them, after the calls running then
/// have finished.
///
/// # Invariants
///
/// The shim's socket options are registered, by this value.
pub(crate) struct Registration(());

impl Registration {
    /// Registers the options (`EBUSY` if another module, such as the C `ip_vs`, has them).
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Registers the shim's static option table; a second registration fails.
        kernel::error::to_result(unsafe { shim::ipvs_rs_sockopt_register() })?;
        // INVARIANT: Registered just now.
        Ok(Self(()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: The options are registered, by `self` (type invariant).
        unsafe { shim::ipvs_rs_sockopt_unregister() }
    }
}

/// A `setsockopt` call.
///
/// # Invariants
///
/// `arg` points to the call's `sockptr_t`, valid for `len` bytes, for `'a`.
pub(crate) struct SetCall<'a> {
    /// The option number.
    pub(crate) cmd: i32,
    /// Whether the caller has `CAP_NET_ADMIN` in the namespace's user namespace.
    pub(crate) privileged: bool,
    /// The argument's length.
    pub(crate) len: u32,
    arg: *const c_void,
    _p: PhantomData<&'a c_void>,
}

impl SetCall<'_> {
    /// Copies the first `buf.len()` bytes of the argument (at most its length) into `buf`;
    /// `EFAULT` when the caller's memory cannot be read.
    pub(crate) fn copy_in(&self, buf: &mut [u8]) -> Result {
        if buf.len() > self.len as usize {
            return Err(EINVAL);
        }
        // SAFETY: `arg` is the call's `sockptr_t`, valid for `len` bytes (type invariant), and
        // `buf` is writable for the `buf.len()` bytes copied, no more than that.
        kernel::error::to_result(unsafe {
            shim::ipvs_rs_copy_from_sockptr(buf.as_mut_ptr().cast(), self.arg, buf.len() as u32)
        })
    }
}

/// A `getsockopt` call: the caller's buffer and its length (`*len`), which the call may change.
///
/// # Invariants
///
/// `len` points to the call's length, valid for `'a`.
pub(crate) struct GetCall<'a> {
    /// The option number.
    pub(crate) cmd: i32,
    /// Whether the caller has `CAP_NET_ADMIN` in the namespace's user namespace.
    pub(crate) privileged: bool,
    user: *mut c_void,
    len: *mut c_int,
    _p: PhantomData<&'a mut c_int>,
}

impl GetCall<'_> {
    /// The buffer's length as the caller gave it (it may be negative).
    pub(crate) fn len(&self) -> i32 {
        // SAFETY: `len` is valid (type invariant).
        unsafe { *self.len }
    }

    /// Sets the length the caller gets back.
    pub(crate) fn set_len(&mut self, n: i32) {
        // SAFETY: `len` is valid (type invariant) and ours for the call.
        unsafe { *self.len = n }
    }

    /// Copies the first `buf.len()` bytes of the caller's buffer into `buf` (`EFAULT`).
    pub(crate) fn copy_in(&self, buf: &mut [u8]) -> Result {
        UserSlice::new(UserPtr::from_ptr(self.user), buf.len())
            .reader()
            .read_slice(buf)
    }

    /// Copies `data` to the caller's buffer at `off` (`EFAULT`). The caller checks that
    /// `off + data.len()` is within the buffer's length.
    pub(crate) fn copy_out(&self, off: usize, data: &[u8]) -> Result {
        let at = UserPtr::from_ptr(self.user).wrapping_byte_add(off);
        UserSlice::new(at, data.len()).writer().write_slice(data)
    }
}

/// What answers the options: the per-namespace state.
pub(crate) trait Handler: PernetState {
    /// Carries out a SET option.
    fn set(&self, net: Net, call: SetCall<'_>) -> Result;
    /// Carries out a GET option.
    fn get(&self, net: Net, call: GetCall<'_>) -> Result;
}

/// The shim's set handler, answered by `T` (called as `ipvs_rs_sockopt_set`).
///
/// # Safety
///
/// `net` must be the calling socket's namespace, `arg` the call's `sockptr_t` valid for `len`
/// bytes, for the call.
pub(crate) unsafe fn set<T: Handler>(
    net: *mut shim::RawNet,
    privileged: bool,
    cmd: c_int,
    arg: *const c_void,
    len: c_uint,
) -> c_int {
    // SAFETY: The socket's namespace is alive for the call, which is all the handle is used for.
    let Some(net) = (unsafe { Net::from_raw(net) }) else {
        return EINVAL.to_errno();
    };
    // INVARIANT: `arg` is valid for `len` bytes for the call (function contract).
    let call = SetCall {
        cmd,
        privileged,
        len,
        arg,
        _p: PhantomData,
    };
    match pernet::with(net, |state: &T| state.set(net, call)) {
        Some(Ok(())) => 0,
        Some(Err(e)) => e.to_errno(),
        None => ENOENT.to_errno(),
    }
}

/// The shim's get handler, answered by `T` (called as `ipvs_rs_sockopt_get`).
///
/// # Safety
///
/// `net` must be the calling socket's namespace, `user` the caller's buffer and `len` the
/// call's valid length pointer, for the call.
pub(crate) unsafe fn get<T: Handler>(
    net: *mut shim::RawNet,
    privileged: bool,
    cmd: c_int,
    user: *mut c_void,
    len: *mut c_int,
) -> c_int {
    // SAFETY: As in `set`.
    let Some(net) = (unsafe { Net::from_raw(net) }) else {
        return EINVAL.to_errno();
    };
    // INVARIANT: `len` is valid for the call (function contract).
    let call = GetCall {
        cmd,
        privileged,
        user,
        len,
        _p: PhantomData,
    };
    match pernet::with(net, |state: &T| state.get(net, call)) {
        Some(Ok(())) => 0,
        Some(Err(e)) => e.to_errno(),
        None => ENOENT.to_errno(),
    }
}
