// SPDX-License-Identifier: GPL-2.0

//! Output routes of both families (`struct dst_entry`: an IPv4 `rtable` or an IPv6 `rt6_info`),
//! with the kernel's reference rules in the types, and the per-destination route cache.
//!
//! - [`Route`] owns one reference to a route and gives it back (`dst_release`) when dropped.
//! - [`RouteRef`] borrows a route without a reference for as long as its lifetime says: a route
//!   is freed only a grace period after its last reference goes, so one reached inside an RCU
//!   read-side section stays valid to the end of that section.
//! - [`RouteCache`] keeps a destination's route for every CPU, read under RCU without taking a
//!   reference (C IPVS's per-destination `dest_dst`). The cache holds one reference; a stale or
//!   replaced entry drops it a grace period later. An IPv6 route is checked with the cookie it
//!   was looked up with (`rt6_get_cookie`), an IPv4 one with none.
//!
//! C headers: [`include/net/route.h`](srctree/include/net/route.h),
//! [`include/net/ip6_route.h`](srctree/include/net/ip6_route.h),
//! [`include/net/dst.h`](srctree/include/net/dst.h)

use super::{pernet::Net, shim};
use crate::ipvs_proto::inet::{Addr, Family};
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

/// `struct dst_entry`.
pub(crate) type RawDst = bindings::dst_entry;

/// An owned reference to an output route.
///
/// # Invariants
///
/// `dst` is a valid route of `family` on which this value holds one reference.
pub(crate) struct Route {
    dst: NonNull<RawDst>,
    family: Family,
}

// SAFETY: A route reference may be given back from any context and thread (`dst_release`), and
// the route's fields read through it are constant for its life.
unsafe impl Send for Route {}
// SAFETY: Shared access only reads constant fields.
unsafe impl Sync for Route {}

/// A route looked up: the route, its preferred source address and its validity cookie.
pub(crate) struct Lookup {
    pub(crate) rt: Route,
    pub(crate) saddr: Addr,
    cookie: u32,
}

impl Route {
    /// Looks up the output route to `daddr` of `family` (`known_nh`: `daddr` is the next hop
    /// whatever the packet's destination, for direct routing). With `saddr`, an IPv6 route
    /// without a preferred source gets the one its device would choose, or fails (C asks for
    /// it when it caches the route).
    pub(crate) fn output(
        net: Net,
        (family, daddr): (Family, Addr),
        known_nh: bool,
        saddr: bool,
    ) -> Result<Lookup> {
        match family {
            Family::V4 => {
                let mut dst = null_mut();
                let mut sa = 0u32;
                // SAFETY: `net` is alive (type invariant of `Net`); the out pointers are valid.
                let r = unsafe {
                    shim::ipvs_rs_ip_route_output(
                        net.raw(),
                        u32::from_ne_bytes(daddr.to_v4()),
                        known_nh,
                        &mut dst,
                        &mut sa,
                    )
                };
                kernel::error::to_result(r)?;
                // INVARIANT: On success the shim returns a valid route with a reference for us.
                let dst = NonNull::new(dst).ok_or(EINVAL)?;
                Ok(Lookup {
                    rt: Self { dst, family },
                    saddr: Addr::v4(sa.to_ne_bytes()),
                    cookie: 0,
                })
            }
            Family::V6 => {
                let (mut dst, mut sa, mut cookie) = (null_mut(), [0u8; 16], 0);
                let da = daddr.raw();
                // SAFETY: `net` is alive; `da` is 16 bytes; the out pointers are valid.
                let r = unsafe {
                    shim::ipvs_rs_ip6_route_output(
                        net.raw(),
                        da.as_ptr(),
                        known_nh,
                        &mut dst,
                        sa.as_mut_ptr(),
                        &mut cookie,
                    )
                };
                // INVARIANT: The shim always returns a valid route (the error route on failure)
                // with a reference for us: it goes back when `rt` drops.
                let rt = Self {
                    dst: NonNull::new(dst).ok_or(EINVAL)?,
                    family,
                };
                kernel::error::to_result(r)?;
                if saddr && sa == [0; 16] {
                    // SAFETY: `net` is alive, `rt` is a valid route; `da` and `sa` are 16 bytes.
                    let r = unsafe {
                        shim::ipvs_rs_ip6_dst_saddr(
                            net.raw(),
                            rt.dst.as_ptr(),
                            da.as_ptr(),
                            sa.as_mut_ptr(),
                        )
                    };
                    kernel::error::to_result(r)?;
                }
                Ok(Lookup {
                    rt,
                    saddr: Addr::from_raw(&sa),
                    cookie,
                })
            }
        }
    }

    /// The route, borrowed.
    pub(crate) fn borrow(&self) -> RouteRef<'_> {
        RouteRef {
            ptr: self.dst,
            family: self.family,
            _p: PhantomData,
        }
    }

    /// Hands the reference over (to a packet, which gives it back when it is freed).
    pub(crate) fn into_raw(self) -> *mut RawDst {
        let p = self.dst.as_ptr();
        core::mem::forget(self);
        p
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        // SAFETY: We hold one reference (type invariant), given back once.
        unsafe { shim::ipvs_rs_dst_release(self.dst.as_ptr()) }
    }
}

/// A route of `family` borrowed for `'a`, without a reference.
///
/// # Invariants
///
/// `ptr` is a route of `family` that stays valid for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct RouteRef<'a> {
    ptr: NonNull<RawDst>,
    family: Family,
    _p: PhantomData<&'a RawDst>,
}

impl<'a> RouteRef<'a> {
    /// Borrows a route.
    ///
    /// # Safety
    ///
    /// `ptr` must be a valid route of `family` that stays valid for `'a`.
    pub(crate) unsafe fn from_raw(ptr: NonNull<RawDst>, family: Family) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            ptr,
            family,
            _p: PhantomData,
        }
    }

    pub(crate) fn raw(self) -> *mut RawDst {
        self.ptr.as_ptr()
    }

    /// Whether the route delivers to this host: IPv4's `RTCF_LOCAL`; an IPv6 route through a
    /// loopback device (C: `__ip_vs_is_local_route6`).
    pub(crate) fn is_local(self) -> bool {
        match self.family {
            // SAFETY: The route is valid (type invariant) and an IPv4 one.
            Family::V4 => unsafe { shim::ipvs_rs_rt4_is_local(self.raw()) },
            // SAFETY: The route is valid (type invariant).
            Family::V6 => unsafe { shim::ipvs_rs_dst_dev_is_loopback(self.raw()) },
        }
    }

    /// Whether this is the input route of an IPv4 packet received from the network (false for
    /// IPv6 routes: the question is IPv4's).
    pub(crate) fn is_input(self) -> bool {
        match self.family {
            // SAFETY: The route is valid (type invariant) and an IPv4 one.
            Family::V4 => unsafe { shim::ipvs_rs_rt4_is_input(self.raw()) },
            Family::V6 => false,
        }
    }

    /// The path MTU (`dst_mtu`).
    pub(crate) fn mtu(self) -> u32 {
        // SAFETY: The route is valid (type invariant).
        unsafe { shim::ipvs_rs_dst_mtu(self.raw()) }
    }

    /// The room its output device's link-layer header needs (`LL_RESERVED_SPACE`).
    pub(crate) fn ll_space(self) -> u32 {
        // SAFETY: The route is valid (type invariant); an output route has a device.
        unsafe { shim::ipvs_rs_dst_ll_space(self.raw()) }
    }

    /// Whether the kernel still deems the route current (`dst_check` with `cookie`).
    fn is_current(self, cookie: u32) -> bool {
        // SAFETY: The route is valid (type invariant).
        unsafe { shim::ipvs_rs_dst_valid(self.raw(), cookie) }
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
    saddr: Addr,
    cookie: u32,
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
    pub(crate) fn get<'a>(&'a self, _g: &'a rcu::Guard) -> Option<(RouteRef<'a>, Addr)> {
        let e = self.cur.load(Acquire);
        // SAFETY: A non-null entry was published (release) complete, and is freed only a grace
        // period after it is unlinked, so it lives to the end of this RCU section.
        let c = unsafe { e.as_ref() }?;
        // SAFETY: The entry holds a reference on its route for as long as it lives.
        let rt = unsafe { RouteRef::from_raw(c.rt.dst, c.rt.family) };
        if !rt.is_current(c.cookie) {
            self.retire(Some(e));
            return None;
        }
        Some((rt, c.saddr))
    }

    /// The route to `to` (as [`Route::output`]): `cache`'s if it has a current one, else
    /// looked up and cached (memory allowing). Without a cache it is looked up each time.
    pub(crate) fn route<'a>(
        cache: Option<&'a Self>,
        g: &'a rcu::Guard,
        net: Net,
        to: (Family, Addr),
        known_nh: bool,
    ) -> Result<(Held<'a>, Addr)> {
        let Some(cache) = cache else {
            let l = Route::output(net, to, known_nh, false)?;
            return Ok((Held::Owned(l.rt), l.saddr));
        };
        if let Some((rt, saddr)) = cache.get(g) {
            return Ok((Held::Cached(rt), saddr));
        }
        let slot = KBox::<Cached>::new_uninit(GFP_ATOMIC);
        let Lookup { rt, saddr, cookie } = Route::output(net, to, known_nh, true)?;
        // Without memory the route serves this packet only.
        let Ok(slot) = slot else {
            return Ok((Held::Owned(rt), saddr));
        };
        let e = KBox::into_raw(slot.write(Cached {
            rcu: Opaque::uninit(),
            rt,
            saddr,
            cookie,
        }));
        // SAFETY: The entry stays valid to the end of this RCU section at least: once
        // published, it is freed only a grace period after it is replaced.
        let rt = unsafe { RouteRef::from_raw((*e).rt.dst, (*e).rt.family) };
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
