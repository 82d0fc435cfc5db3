// SPDX-License-Identifier: GPL-2.0

//! Netfilter hooks: registration per namespace and the C-to-Rust hook trampolines.
//!
//! C header: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h)

use super::{pernet, pernet::Net, shim, skb::SkBuff, skb::Verdict};
use crate::ipvs_proto::inet::Family;
use kernel::{bindings, ffi::c_uint, ffi::c_void, prelude::*};

/// The netfilter hook point a packet is at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hook {
    /// `NF_INET_PRE_ROUTING`.
    PreRouting,
    /// `NF_INET_LOCAL_IN`.
    LocalIn,
    /// `NF_INET_FORWARD`.
    Forward,
    /// `NF_INET_LOCAL_OUT`.
    LocalOut,
    /// `NF_INET_POST_ROUTING`.
    PostRouting,
}

impl Hook {
    fn from_raw(h: u32) -> Option<Self> {
        Some(match h {
            bindings::nf_inet_hooks_NF_INET_PRE_ROUTING => Self::PreRouting,
            bindings::nf_inet_hooks_NF_INET_LOCAL_IN => Self::LocalIn,
            bindings::nf_inet_hooks_NF_INET_FORWARD => Self::Forward,
            bindings::nf_inet_hooks_NF_INET_LOCAL_OUT => Self::LocalOut,
            bindings::nf_inet_hooks_NF_INET_POST_ROUTING => Self::PostRouting,
            _ => return None,
        })
    }
}

/// Registers IPVS's IPv4 hooks (C IPVS's points and priorities) in `net`.
pub(crate) fn register(net: Net) -> Result {
    // SAFETY: `net` is alive (type invariant of `Net`).
    kernel::error::to_result(unsafe { shim::ipvs_rs_hooks_register(net.raw()) })
}

/// Unregisters the hooks of `net`; waits for running hook calls to finish.
pub(crate) fn unregister(net: Net) {
    // SAFETY: `net` is alive and the hooks were registered by `register`.
    unsafe { shim::ipvs_rs_hooks_unregister(net.raw()) }
}

/// Shared part of the trampolines.
///
/// # Safety
///
/// `skb` and `state` must be the arguments of a netfilter hook call.
unsafe fn dispatch(
    skb: *mut shim::RawSkb,
    state: *const shim::RawHookState,
    f: fn(&crate::Ipvs, Net, Family, Hook, SkBuff<'_>) -> Verdict,
) -> c_uint {
    let (mut net, mut hook, mut pf) = (core::ptr::null_mut(), 0, 0);
    // SAFETY: `state` is valid for the hook call; `net`, `hook` and `pf` are valid out pointers.
    let data = unsafe { shim::ipvs_rs_hook_state(state, &mut net, &mut hook, &mut pf) };
    // SAFETY: The hook runs in `net`, alive for the call, which is all the handle is used for.
    let net = unsafe { Net::from_raw(net) };
    // `NFPROTO_IPV4` and `NFPROTO_IPV6` have the numbers of their address families.
    let (Some(net), Some(hook), Some(family)) =
        (net, Hook::from_raw(hook), Family::from_af(pf.into()))
    else {
        return Verdict::Accept as c_uint;
    };
    // SAFETY: The hook owns `skb` for the duration of the call.
    let Some(skb) = (unsafe { SkBuff::from_raw(skb) }) else {
        return Verdict::Accept as c_uint;
    };
    // SAFETY: `data` is the state slot of `net`, the namespace the hook runs in.
    unsafe { pernet::with_data(data, |ipvs| f(ipvs, net, family, hook, skb)) }
        .unwrap_or(Verdict::Accept) as c_uint
}

/// The request-direction hook (`ip_vs_in_hook`'s role).
///
/// # Safety
///
/// The arguments must be those of a netfilter hook call.
#[no_mangle]
unsafe extern "C" fn ipvs_rs_hook_in(
    _priv: *mut c_void,
    skb: *mut shim::RawSkb,
    state: *const shim::RawHookState,
) -> c_uint {
    // SAFETY: Called by netfilter with a hook's arguments.
    unsafe { dispatch(skb, state, crate::hook_in) }
}

/// The reply-direction hook (`ip_vs_out_hook`'s role).
///
/// # Safety
///
/// The arguments must be those of a netfilter hook call.
#[no_mangle]
unsafe extern "C" fn ipvs_rs_hook_out(
    _priv: *mut c_void,
    skb: *mut shim::RawSkb,
    state: *const shim::RawHookState,
) -> c_uint {
    // SAFETY: Called by netfilter with a hook's arguments.
    unsafe { dispatch(skb, state, crate::hook_out) }
}
