// SPDX-License-Identifier: GPL-2.0

//! A spinlock that also disables bottom halves (`spin_lock_bh`), for data shared between process
//! context (netlink, timers set up from process context) and the packet path (softirq).
//!
//! C header: [`include/linux/spinlock.h`](srctree/include/linux/spinlock.h)

use super::shim;
use core::{marker::PhantomData, num::NonZeroUsize};
use kernel::{
    bindings,
    ffi::c_char,
    prelude::*,
    sync::{lock::Backend, LockClassKey},
    types::Opaque,
};

/// A `spinlock_t` taken with `spin_lock_bh`.
pub(crate) type SpinLockBh<T> = kernel::sync::lock::Lock<T, SpinLockBhBackend>;

/// The [`Backend`] of [`SpinLockBh`].
pub(crate) struct SpinLockBhBackend;

/// Creates a [`SpinLockBh`] initialiser with a static lock class.
macro_rules! new_spinlock_bh {
    ($inner:expr, $name:literal $(,)?) => {
        $crate::rust::sync::SpinLockBh::new($inner, $name, kernel::static_lock_class!())
    };
}
pub(crate) use new_spinlock_bh;

// SAFETY: `spin_lock_bh` gives mutual exclusion between all holders, in any context, and
// `relock` uses the default implementation, which calls `lock` again (the same method).
unsafe impl Backend for SpinLockBhBackend {
    type State = bindings::spinlock_t;
    type GuardState = ();

    unsafe fn init(ptr: *mut Self::State, name: *const c_char, key: *mut bindings::lock_class_key) {
        // SAFETY: The caller guarantees `ptr` is valid for writes and `name`/`key` live forever.
        unsafe { bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: The caller guarantees the lock was initialised by `init`.
        unsafe { shim::ipvs_rs_spin_lock_bh(ptr) }
    }

    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        // SAFETY: The caller guarantees the lock was initialised by `init`.
        (unsafe { shim::ipvs_rs_spin_trylock_bh(ptr) } != 0).then_some(())
    }

    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // SAFETY: The caller guarantees it owns the lock.
        unsafe { shim::ipvs_rs_spin_unlock_bh(ptr) }
    }

    // Every guard asserts its lock: without lockdep the C assertion is empty, so the call (to a
    // helper that cannot be inlined) is left out too.
    #[cfg_attr(not(CONFIG_LOCKDEP), allow(unused_variables))]
    unsafe fn assert_is_held(ptr: *mut Self::State) {
        #[cfg(CONFIG_LOCKDEP)]
        // SAFETY: The caller guarantees the lock was initialised by `init`.
        unsafe {
            bindings::spin_assert_is_held(ptr)
        }
    }
}

/// A fixed array of spinlocks of one lock class, taken one or two at a time with bottom halves
/// disabled (striped locking of hash chains).
pub(crate) struct LockArray {
    /// Never grown after [`LockArray::new`], so the locks never move.
    locks: KVec<Opaque<bindings::spinlock_t>>,
    /// Their number.
    n: NonZeroUsize,
}

// SAFETY: The locks are only used through the kernel's spinlock API, from any context.
unsafe impl Send for LockArray {}
// SAFETY: As above.
unsafe impl Sync for LockArray {}

impl LockArray {
    /// `n` initialised locks of the lock class `key` (`EINVAL` for none).
    pub(crate) fn new(
        n: usize,
        name: &'static CStr,
        key: Pin<&'static LockClassKey>,
    ) -> Result<Self> {
        let n = NonZeroUsize::new(n).ok_or(EINVAL)?;
        let mut locks = KVec::with_capacity(n.get(), GFP_KERNEL)?;
        for _ in 0..n.get() {
            locks.push(Opaque::uninit(), GFP_KERNEL)?;
        }
        for l in locks.iter() {
            // SAFETY: `l` is valid for writes and stays at this address (the vector is never
            // grown); `name` and `key` live forever.
            unsafe { bindings::__spin_lock_init(l.get(), name.as_char_ptr(), key.as_ptr()) };
        }
        Ok(Self { locks, n })
    }

    /// Takes locks `i` and `j` (one if equal), in a fixed order; both released on drop.
    pub(crate) fn lock_pair(&self, i: usize, j: usize) -> PairGuard<'_> {
        // Reduced first, then ordered: the lower lock is always taken first.
        let (i, j) = (i % self.n, j % self.n);
        let (a, b) = (i.min(j), i.max(j));
        let (a, b) = (self.locks[a].get(), self.locks[b].get());
        // SAFETY: Both locks were initialised in `new`; the lower index is always taken first,
        // so two holders cannot deadlock.
        unsafe { shim::ipvs_rs_spin_lock2_bh(a, b) };
        PairGuard {
            a,
            b,
            _locks: PhantomData,
            _not_send: PhantomData,
        }
    }
}

/// Locks held by [`LockArray::lock_pair`].
pub(crate) struct PairGuard<'a> {
    a: *mut bindings::spinlock_t,
    b: *mut bindings::spinlock_t,
    _locks: PhantomData<&'a LockArray>,
    /// Released on the CPU that took them.
    _not_send: PhantomData<*mut ()>,
}

impl Drop for PairGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: Taken by `lock_pair` in this order and still held.
        unsafe { shim::ipvs_rs_spin_unlock2_bh(self.a, self.b) };
    }
}

/// Gives the CPU away if a reschedule is due (process context only).
pub(crate) fn cond_resched() {
    // SAFETY: Only called from process context without spinlocks held.
    unsafe { shim::ipvs_rs_cond_resched() }
}
