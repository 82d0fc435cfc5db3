// SPDX-License-Identifier: GPL-2.0

//! IPv4 output routes (`struct rtable`), with the kernel's reference rules in the types, and the
//! per-destination route cache.
//!
//! - [`Route`] owns one reference to a route and gives it back (`ip_rt_put`) when dropped.
//! - [`RouteRef`] borrows a route without a reference for as long as its lifetime says: a route
//!   is freed only a grace period after its last reference goes, so one reached inside an RCU
//!   read-side section stays valid to the end of that section.
//! - [`RouteCache`] keeps a destination's route for every CPU, read under RCU without taking a
//!   reference (C IPVS's per-destination `dest_dst`). The cache holds one reference; a stale or
//!   replaced entry drops it a grace period later.
//!
//! C headers: [`include/net/route.h`](srctree/include/net/route.h),
//! [`include/net/dst.h`](srctree/include/net/dst.h)

use super::{pernet::Net, shim};
use core::{marker::PhantomData, ptr::null_mut, ptr::NonNull};
use kernel::{
    bindings,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Full},
        rcu,
    },
    types::Opaque,
};

/// An owned reference to an IPv4 output route.
///
/// # Invariants
///
/// `0` is a valid `struct rtable` on which this value holds one reference.
pub(crate) struct Route(NonNull<shim::RawRtable>);

// SAFETY: A route reference may be given back from any context and thread (`ip_rt_put`), and
// the route's fields read through it are constant for its life.
unsafe impl Send for Route {}
// SAFETY: Shared access only reads constant fields.
unsafe impl Sync for Route {}

impl Route {
    /// Looks up the output route to `daddr` (`known_nh`: `daddr` is the next hop whatever the
    /// packet's destination, for direct routing): the route and its preferred source address.
    pub(crate) fn output(net: Net, daddr: [u8; 4], known_nh: bool) -> Result<(Self, [u8; 4])> {
        let mut rt = null_mut();
        let mut saddr = 0u32;
        // SAFETY: `net` is alive (type invariant of `Net`); the out pointers are valid.
        let r = unsafe {
            shim::ipvs_rs_ip_route_output(
                net.raw(),
                u32::from_ne_bytes(daddr),
                known_nh,
                &mut rt,
                &mut saddr,
            )
        };
        kernel::error::to_result(r)?;
        // INVARIANT: On success the shim returns a valid route with a reference for us.
        let rt = NonNull::new(rt).ok_or(EINVAL)?;
        Ok((Self(rt), saddr.to_ne_bytes()))
    }

    /// The route, borrowed.
    pub(crate) fn borrow(&self) -> RouteRef<'_> {
        RouteRef {
            ptr: self.0,
            _p: PhantomData,
        }
    }

    /// Hands the reference over (to a packet, which gives it back when it is freed).
    pub(crate) fn into_raw(self) -> *mut shim::RawRtable {
        let p = self.0.as_ptr();
        core::mem::forget(self);
        p
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        // SAFETY: We hold one reference (type invariant), given back once.
        unsafe { shim::ipvs_rs_rt_put(self.0.as_ptr()) }
    }
}

/// An IPv4 route borrowed for `'a`, without a reference.
///
/// # Invariants
///
/// `ptr` is a `struct rtable` that stays valid for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct RouteRef<'a> {
    ptr: NonNull<shim::RawRtable>,
    _p: PhantomData<&'a shim::RawRtable>,
}

impl<'a> RouteRef<'a> {
    /// Borrows a route.
    ///
    /// # Safety
    ///
    /// `ptr` must be a valid route that stays valid for `'a`.
    pub(crate) unsafe fn from_raw(ptr: NonNull<shim::RawRtable>) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            ptr,
            _p: PhantomData,
        }
    }

    pub(crate) fn raw(self) -> *mut shim::RawRtable {
        self.ptr.as_ptr()
    }

    /// Whether the route delivers to this host (`RTCF_LOCAL`).
    pub(crate) fn is_local(self) -> bool {
        // SAFETY: The route is valid (type invariant).
        unsafe { shim::ipvs_rs_rt_is_local(self.raw()) }
    }

    /// Whether this is the input route of a packet received from the network.
    pub(crate) fn is_input(self) -> bool {
        // SAFETY: The route is valid (type invariant).
        unsafe { shim::ipvs_rs_rt_is_input(self.raw()) }
    }

    /// The path MTU (`dst_mtu`).
    pub(crate) fn mtu(self) -> u32 {
        // SAFETY: The route is valid (type invariant).
        unsafe { shim::ipvs_rs_rt_mtu(self.raw()) }
    }

    /// The room its output device's link-layer header needs (`LL_RESERVED_SPACE`).
    pub(crate) fn ll_space(self) -> u32 {
        // SAFETY: The route is valid (type invariant); an output route has a device.
        unsafe { shim::ipvs_rs_rt_ll_space(self.raw()) }
    }

    /// Whether the kernel still deems the route current (`dst_check`).
    fn is_current(self) -> bool {
        // SAFETY: The route is valid (type invariant).
        unsafe { shim::ipvs_rs_rt_valid(self.raw()) }
    }
}

/// A route as a lookup gives it: borrowed from a cache, or owned.
pub(crate) enum Held<'a> {
    /// From a [`RouteCache`], valid to the end of the RCU section `'a`.
    Cached(RouteRef<'a>),
    /// Looked up for this packet only (no cache, or no memory to cache it).
    Owned(Route),
}

impl Held<'_> {
    /// The route.
    pub(crate) fn get(&self) -> RouteRef<'_> {
        match self {
            Self::Cached(r) => *r,
            Self::Owned(r) => r.borrow(),
        }
    }
}

/// A cache entry.
#[repr(C)]
struct Cached {
    /// First field: [`free_cached`] finds the entry from it.
    rcu: Opaque<bindings::callback_head>,
    rt: Route,
    saddr: [u8; 4],
}

/// Frees a cache entry after a grace period.
///
/// # Safety
///
/// `head` is the `rcu` field of a [`Cached`] made by `KBox::into_raw`, unreachable from its
/// cache since before the grace period began, and handed to `call_rcu` once.
unsafe extern "C" fn free_cached(head: *mut bindings::callback_head) {
    // SAFETY: `rcu` is the first field of the `repr(C)` entry; see the function's contract.
    drop(unsafe { KBox::from_raw(head.cast::<Cached>()) });
}

/// The cached route to one destination, shared by all CPUs.
pub(crate) struct RouteCache {
    /// The entry (owned by the cache; null: none).
    cur: Atomic<*mut Cached>,
}

impl RouteCache {
    /// An empty cache.
    pub(crate) const fn new() -> Self {
        Self {
            cur: Atomic::new(null_mut()),
        }
    }

    /// Takes `old` out if it is still the entry (`None`: whatever is), leaving none; it is freed
    /// after a grace period.
    fn retire(&self, old: Option<*mut Cached>) {
        let gone = match old {
            Some(o) => match self.cur.cmpxchg(o, null_mut(), Full) {
                Ok(o) => o,
                Err(_) => return,
            },
            None => self.cur.xchg(null_mut(), Full),
        };
        Self::free_later(gone);
    }

    fn free_later(e: *mut Cached) {
        if e.is_null() {
            return;
        }
        // SAFETY: `e` is an entry this cache owned and no longer points to: readers that still
        // see it are in RCU sections that began before, so it is freed after them, once.
        unsafe { bindings::call_rcu((*e).rcu.get(), Some(free_cached)) }
    }

    /// Forgets the cached route (the way to the destination changed).
    pub(crate) fn reset(&self) {
        self.retire(None);
    }

    /// The cached route and its source address while the kernel deems it current.
    pub(crate) fn get<'a>(&'a self, _g: &'a rcu::Guard) -> Option<(RouteRef<'a>, [u8; 4])> {
        let e = self.cur.load(Acquire);
        // SAFETY: A non-null entry was published (release) complete, and is freed only a grace
        // period after it is unlinked, so it lives to the end of this RCU section.
        let c = unsafe { e.as_ref() }?;
        // SAFETY: The entry holds a reference on its route for as long as it lives.
        let rt = unsafe { RouteRef::from_raw(c.rt.0) };
        if !rt.is_current() {
            self.retire(Some(e));
            return None;
        }
        Some((rt, c.saddr))
    }

    /// The route to `daddr` (as [`Route::output`]): `cache`'s if it has a current one, else
    /// looked up and cached (memory allowing). Without a cache it is looked up each time.
    pub(crate) fn route<'a>(
        cache: Option<&'a Self>,
        g: &'a rcu::Guard,
        net: Net,
        daddr: [u8; 4],
        known_nh: bool,
    ) -> Result<(Held<'a>, [u8; 4])> {
        let Some(cache) = cache else {
            let (rt, saddr) = Route::output(net, daddr, known_nh)?;
            return Ok((Held::Owned(rt), saddr));
        };
        if let Some((rt, saddr)) = cache.get(g) {
            return Ok((Held::Cached(rt), saddr));
        }
        let slot = KBox::<Cached>::new_uninit(GFP_ATOMIC);
        let (rt, saddr) = Route::output(net, daddr, known_nh)?;
        // Without memory the route serves this packet only.
        let Ok(slot) = slot else {
            return Ok((Held::Owned(rt), saddr));
        };
        let e = KBox::into_raw(slot.write(Cached {
            rcu: Opaque::uninit(),
            rt,
            saddr,
        }));
        // SAFETY: The entry stays valid to the end of this RCU section at least: once
        // published, it is freed only a grace period after it is replaced.
        let rt = unsafe { RouteRef::from_raw((*e).rt.0) };
        // Published complete (full ordering); the entry it replaces goes after a grace period.
        Self::free_later(cache.cur.xchg(e, Full));
        Ok((Held::Cached(rt), saddr))
    }
}

impl Drop for RouteCache {
    fn drop(&mut self) {
        let e = self.cur.load(Acquire);
        if !e.is_null() {
            // SAFETY: With `&mut self` no reader can reach the cache any more; the entry is ours
            // (from `KBox::into_raw`). A packet still carrying the route without a reference is
            // safe: the route itself is freed only a grace period after its last reference.
            drop(unsafe { KBox::from_raw(e) });
        }
    }
}
