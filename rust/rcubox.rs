// SPDX-License-Identifier: GPL-2.0

//! A value read under RCU and replaced whole (the picks of a service: its destinations and the
//! tables of a scheduler whose picks only read them).
//!
//! - Readers borrow the current value inside an RCU read-side critical section, without a
//!   lock: [`RcuBox::get`] ties the borrow to the [`rcu::Guard`].
//! - Writers are serialised by the box's mutex ([`RcuBox::write`]): the holder sees the current
//!   value for as long as it likes (it may sleep), allocates the next one ([`Staged`]) and
//!   publishes it with release ordering, if need be under a spinlock. The value it replaces is
//!   dropped by an RCU callback once every reader that could see it has left (softirq context:
//!   what it holds must be fine to drop there); the module waits for its RCU callbacks
//!   (`rcu_barrier`) before it goes.
//!
//! C: an `__rcu` pointer with `rcu_dereference` / `rcu_assign_pointer` under the writers'
//! mutex, the old value freed by `call_rcu`.

use core::ops::Deref;
use kernel::{
    alloc::Flags,
    bindings, new_mutex,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        rcu, Mutex, MutexGuard,
    },
    types::Opaque,
};

/// A value with the RCU head that frees it.
#[repr(C)]
struct Node<T> {
    /// First field: [`release`] finds the node from it.
    rcu: Opaque<bindings::callback_head>,
    value: T,
}

/// Drops a replaced value.
///
/// # Safety
///
/// `head` is the `rcu` field of a [`Node`] leaked by [`KBox::into_raw`], no longer reachable
/// from its [`RcuBox`], handed to `call_rcu` once.
unsafe extern "C" fn release<T>(head: *mut bindings::callback_head) {
    // SAFETY: `rcu` is the first field of the `repr(C)` node, which came from `KBox::into_raw`
    // and is freed here only, once (see the function's contract).
    drop(unsafe { KBox::from_raw(head.cast::<Node<T>>()) });
}

/// The next value of an [`RcuBox`], allocated and not yet published.
pub(crate) struct Staged<T>(KBox<Node<T>>);

impl<T> Staged<T> {
    /// Allocates the node of `value`.
    pub(crate) fn new(value: T, flags: Flags) -> Result<Self> {
        let node = Node {
            rcu: Opaque::uninit(),
            value,
        };
        Ok(Self(KBox::new(node, flags)?))
    }
}

impl<T> Deref for Staged<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0.value
    }
}

/// A value readers borrow under RCU and writers replace whole.
#[pin_data(PinnedDrop)]
pub(crate) struct RcuBox<T> {
    /// Never null: a node leaked by [`KBox::into_raw`], owned by the box.
    cur: Atomic<*mut Node<T>>,
    /// Serialises the writers.
    #[pin]
    writer: Mutex<()>,
}

// SAFETY: The box owns its value (dropped by whichever thread drops the box, or by an RCU
// callback): `T: Send` is needed to move it; readers on other threads share it: `T: Sync`.
unsafe impl<T: Send + Sync> Send for RcuBox<T> {}
// SAFETY: Shared access is an atomic pointer load, or a swap under the writers' mutex; the value
// is shared (`T: Sync`) and dropped on another thread (`T: Send`).
unsafe impl<T: Send + Sync> Sync for RcuBox<T> {}

impl<T: Send + Sync> RcuBox<T> {
    /// A box holding `first`.
    pub(crate) fn new(first: Staged<T>) -> impl PinInit<Self> {
        pin_init!(Self {
            cur: Atomic::new(KBox::into_raw(first.0)),
            writer <- new_mutex!((), "ipvs_rs::RcuBox::writer"),
        })
    }

    /// The current value, for the read section of `_g`.
    pub(crate) fn get<'a>(&'a self, _g: &'a rcu::Guard) -> &'a T {
        // Acquire pairs with the release of `publish`: the value is seen fully written.
        let node = self.cur.load(Acquire);
        // SAFETY: `cur` is never null and points at a live node: a replaced one is only freed
        // by an RCU callback, after the read section of `_g` (borrowed for `'a`) ended; the box
        // itself frees its node only when dropped, which cannot happen while `self` is borrowed.
        unsafe { &(*node).value }
    }

    /// Becomes the writer (process context: may sleep until the previous one is done).
    pub(crate) fn write(&self) -> Writer<'_, T> {
        Writer {
            guard: self.writer.lock(),
            cur: &self.cur,
        }
    }
}

/// The writer of an [`RcuBox`]: sees the current value, which only it may replace.
pub(crate) struct Writer<'a, T> {
    guard: MutexGuard<'a, ()>,
    cur: &'a Atomic<*mut Node<T>>,
}

impl<T> Writer<'_, T> {
    /// Publishes `next`; the value it replaces is dropped after a grace period. Any context (a
    /// spinlock may be held).
    pub(crate) fn publish(&mut self, next: Staged<T>) {
        let old = self.cur.xchg(KBox::into_raw(next.0), Release);
        // SAFETY: `old` came from `KBox::into_raw` (`new` or an earlier `publish`) and is no
        // longer reachable from the box: readers that saw it are RCU readers, borrows through
        // this writer ended with `&mut self`; it is queued once, here.
        unsafe { bindings::call_rcu((*old).rcu.get(), Some(release::<T>)) };
    }
}

impl<T> Deref for Writer<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        let _ = &self.guard;
        // SAFETY: `cur` is never null; only the holder of the writers' mutex (this writer, for
        // as long as the borrow of `self` lasts) replaces it, so the node is live.
        unsafe { &(*self.cur.load(Relaxed)).value }
    }
}

#[pinned_drop]
impl<T> PinnedDrop for RcuBox<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: The box's node, from `KBox::into_raw`, freed here only: with `&mut self` no
        // reader or writer still borrows it (both borrow the box), and replaced nodes are the
        // RCU callbacks' own.
        drop(unsafe { KBox::from_raw(self.cur.load(Relaxed)) });
    }
}

#[cfg(ipvs_kunit)]
#[kernel::macros::kunit_tests(ipvs_rs_rcubox)]
mod tests {
    use super::*;

    /// A value that counts its drops in `drops`.
    struct Item {
        n: u32,
        drops: &'static Atomic<u32>,
    }

    impl Drop for Item {
        fn drop(&mut self) {
            self.drops.add(1, Relaxed);
        }
    }

    fn staged(n: u32, drops: &'static Atomic<u32>) -> Result<Staged<Item>> {
        Staged::new(Item { n, drops }, GFP_KERNEL)
    }

    #[test]
    fn a_replaced_value_lives_until_its_readers_leave() -> Result {
        static DROPS: Atomic<u32> = Atomic::new(0);
        let b = KBox::pin_init(RcuBox::new(staged(1, &DROPS)?), GFP_KERNEL)?;
        // The writer (a mutex) and the next value's memory are taken before the read section,
        // which may not sleep.
        let mut w = b.write();
        let next = staged(2, &DROPS)?;
        {
            let g = rcu::read_lock();
            let first = b.get(&g);
            check!(first.n == 1);
            check!(w.n == 1);
            // Published while a reader holds the first value: that reader keeps it, a new one
            // sees the second.
            w.publish(next);
            check!(w.n == 2);
            check!(first.n == 1);
            check!(b.get(&g).n == 2);
            check!(DROPS.load(Relaxed) == 0);
        }
        drop(w);
        // The first value goes with the grace period, the current one with the box.
        rcu::rcu_barrier();
        check!(DROPS.load(Relaxed) == 1);
        check!(b.get(&rcu::read_lock()).n == 2);
        drop(b);
        check!(DROPS.load(Relaxed) == 2);
        Ok(())
    }
}
