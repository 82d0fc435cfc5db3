// SPDX-License-Identifier: GPL-2.0

//! A spinlock that also disables bottom halves (`spin_lock_bh`), for data shared between process
//! context (netlink, timers set up from process context) and the packet path (softirq).
//!
//! C header: [`include/linux/spinlock.h`](srctree/include/linux/spinlock.h)

use super::shim;
use kernel::{bindings, ffi::c_char, sync::lock::Backend};

/// A `spinlock_t` taken with `spin_lock_bh`.
pub(crate) type SpinLockBh<T> = kernel::sync::lock::Lock<T, SpinLockBhBackend>;

/// The [`Backend`] of [`SpinLockBh`].
pub(crate) struct SpinLockBhBackend;

/// Creates a [`SpinLockBh`] initialiser with a static lock class.
macro_rules! new_spinlock_bh {
    ($inner:expr, $name:literal $(,)?) => {
        $crate::kernel_ext::sync::SpinLockBh::new($inner, $name, kernel::static_lock_class!())
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

    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: The caller guarantees the lock was initialised by `init`.
        unsafe { bindings::spin_assert_is_held(ptr) }
    }
}
