// SPDX-License-Identifier: GPL-2.0

//! Netfilter hooks: registration per namespace and the C-to-Rust hook trampolines.
//!
//! C header: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h)

use super::{
    pernet,
    pernet::{Net, PernetState},
    shim,
    skb::{Hooked, Verdict},
};
use crate::ipvs_proto::inet::Family;
use kernel::{bindings, ffi::c_uint, prelude::*};

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

/// IPVS's hooks of one family (C IPVS's points and priorities) registered in one namespace;
/// dropping the value unregisters them, after the hook calls running then have finished.
///
/// # Invariants
///
/// The shim's hooks of `family` are registered in `net`, by this value.
struct FamilyHooks {
    net: Net,
    family: Family,
}

impl FamilyHooks {
    fn register(net: Net, family: Family) -> Result<Self> {
        // SAFETY: `net` is alive (type invariant of `Net`); `NFPROTO_*` numbers are the `AF_*`
        // ones (asserted in the shim).
        kernel::error::to_result(unsafe {
            shim::ipvs_rs_hooks_register(net.raw(), family.af() as u8)
        })?;
        // INVARIANT: Registered just now.
        Ok(Self { net, family })
    }
}

impl Drop for FamilyHooks {
    fn drop(&mut self) {
        // SAFETY: The hooks are registered in `net` (type invariant); `net` is alive, as every
        // `Net` is while IPVS code holds it.
        unsafe { shim::ipvs_rs_hooks_unregister(self.net.raw(), self.family.af() as u8) }
    }
}

/// IPVS's hooks of both families registered in one namespace, unregistered when dropped.
pub(crate) struct Hooks {
    _v6: FamilyHooks,
    _v4: FamilyHooks,
}

impl Hooks {
    /// Registers the hooks in `net`, which must not have them yet (the caller keeps one
    /// [`Hooks`] per namespace).
    pub(crate) fn register(net: Net) -> Result<Self> {
        let v4 = FamilyHooks::register(net, Family::V4)?;
        // IPv6's unregistered first, as it came last.
        Ok(Self {
            _v6: FamilyHooks::register(net, Family::V6)?,
            _v4: v4,
        })
    }
}

/// What handles the hooked packets: the per-namespace state.
pub(crate) trait Handler: PernetState {
    /// A packet at a request-direction hook (`ip_vs_in_hook`'s role).
    fn hook_in(&self, net: Net, family: Family, hook: Hook, skb: Hooked<'_>) -> Verdict;
    /// A packet at a reply-direction hook (`ip_vs_out_hook`'s role).
    fn hook_out(&self, net: Net, family: Family, hook: Hook, skb: Hooked<'_>) -> Verdict;
    /// A packet being forwarded, before `hook_out` (`ip_vs_forward_icmp`'s role).
    fn hook_fwd_icmp(&self, net: Net, family: Family, hook: Hook, skb: Hooked<'_>) -> Verdict;
}

/// A hook call, handled by `f`, one of `T`'s [`Handler`] methods (the shim's hook table calls it
/// as `ipvs_rs_hook_in`, `ipvs_rs_hook_out` and `ipvs_rs_hook_fwd_icmp`, see
/// [`entry_points!`](crate::rust::entry_points)).
///
/// # Safety
///
/// `skb` and `state` must be the arguments of a netfilter hook call.
// Inlined into each entry point: `f` is then a direct call, not one through a pointer.
#[inline(always)]
pub(crate) unsafe fn hook<T: Handler>(
    skb: *mut shim::RawSkb,
    state: *const shim::RawHookState,
    f: fn(&T, Net, Family, Hook, Hooked<'_>) -> Verdict,
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
    let Some(skb) = (unsafe { Hooked::from_raw(skb) }) else {
        return Verdict::Accept as c_uint;
    };
    // SAFETY: `data` is the state slot of `net`, the namespace the hook runs in.
    unsafe { pernet::with_data(data, |state: &T| f(state, net, family, hook, skb)) }
        .unwrap_or(Verdict::Accept) as c_uint
}
