// SPDX-License-Identifier: GPL-2.0

//! A fixed-size hash index read under RCU, for reference-counted entries that are added and
//! removed from process context only (the virtual-service table).
//!
//! - Readers walk a bucket's chain inside an RCU read-side critical section and take no lock.
//! - Writers are serialised by the index's mutex. An entry is pushed at the head of its chain
//!   (published with release ordering once its link is set); a removed entry is unlinked by
//!   pointing its predecessor past it, so a reader standing on it still walks on.
//! - The index holds one reference to each entry. A removal gives that reference back only
//!   after a grace period, so nothing a reader can reach is freed under it: [`RcuIndex::remove`]
//!   waits for it (`synchronize_rcu`) and returns the entry, removing many entries at once
//!   waits once, and [`RcuIndex::remove_later`] leaves the reference to an RCU callback.
//!
//! C: the `hlist_add_head_rcu` / `hlist_del_rcu` service and real-server tables of
//! `ip_vs_ctl.c`.

use core::ptr::null_mut;
use kernel::{
    alloc::KVec,
    bindings, new_mutex,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        rcu, Arc, ArcBorrow, Mutex,
    },
    types::Opaque,
};

/// What the index needs from its entries.
pub(crate) trait Indexed: Send + Sync + Sized + 'static {
    /// The entry's link (embedded in it).
    fn index_link(&self) -> &IndexLink<Self>;
}

/// The link of one entry: its successor in its chain.
#[repr(C)]
pub(crate) struct IndexLink<T> {
    /// First field: [`release`] finds the link from it.
    rcu: Opaque<bindings::callback_head>,
    /// The entry itself, recorded at insertion for [`release`].
    owner: Atomic<*mut T>,
    next: Atomic<*mut T>,
    /// In an index, or removed from one less than a grace period ago: an entry is in one
    /// chain at a time (two would let a removal leave it reachable from the other).
    busy: Atomic<bool>,
}

impl<T> IndexLink<T> {
    /// The link of an entry in no index.
    pub(crate) fn new() -> Self {
        Self {
            rcu: Opaque::uninit(),
            owner: Atomic::new(null_mut()),
            next: Atomic::new(null_mut()),
            busy: Atomic::new(false),
        }
    }
}

/// Gives the index's reference of an entry back after a grace period.
///
/// # Safety
///
/// `head` is the `rcu` field of the [`IndexLink`] of an entry that [`RcuIndex::remove_later`]
/// unlinked; it was handed to `call_rcu` once.
unsafe extern "C" fn release<T: Indexed>(head: *mut bindings::callback_head) {
    // SAFETY: `rcu` is the first field of the `repr(C)` link (see the function's contract).
    let link = unsafe { &*head.cast::<IndexLink<T>>() };
    let owner = link.owner.load(Relaxed);
    // SAFETY: `owner` is the pointer `Arc::into_raw` gave at insertion (`insert` records it);
    // the index's reference is taken back here only, once, after every reader left.
    let e = unsafe { Arc::from_raw(owner) };
    e.index_link().busy.store(false, Relaxed);
}

// SAFETY: The link is pointers read and written atomically, and an RCU head only handed to
// `call_rcu` once the entry is unlinked; the entries it points at are `Send + Sync`
// (`Indexed`), and their lifetime is managed by the index.
unsafe impl<T: Send + Sync> Send for IndexLink<T> {}
// SAFETY: As for `Send`: shared access is only atomic loads and stores.
unsafe impl<T: Send + Sync> Sync for IndexLink<T> {}

/// The hash index: `1 << bits` chains.
#[pin_data(PinnedDrop)]
pub(crate) struct RcuIndex<T: Indexed> {
    heads: KVec<Atomic<*mut T>>,
    /// Serialises insertions and removals.
    #[pin]
    writer: Mutex<()>,
}

// SAFETY: Entries are `Send + Sync`; the heads are atomics; the index owns one reference to
// each linked entry, which any thread may give back (`Arc<T>: Send` for `T: Send + Sync`).
unsafe impl<T: Indexed> Send for RcuIndex<T> {}
// SAFETY: Readers only load atomics and borrow entries; writers are serialised by `writer`.
unsafe impl<T: Indexed> Sync for RcuIndex<T> {}

impl<T: Indexed> RcuIndex<T> {
    /// An empty index of `1 << bits` chains. Process context.
    pub(crate) fn new(bits: u32) -> Result<impl PinInit<Self>> {
        let n = 1usize << bits;
        let mut heads = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            heads.push(Atomic::new(null_mut()), GFP_KERNEL)?;
        }
        Ok(pin_init!(Self {
            heads,
            writer <- new_mutex!((), "ipvs_rs::RcuIndex::writer"),
        }))
    }

    fn head(&self, bucket: usize) -> &Atomic<*mut T> {
        &self.heads[bucket & (self.heads.len() - 1)]
    }

    /// Finds an entry of chain `bucket` (reduced modulo the size) that `pred` accepts.
    pub(crate) fn find<'a>(
        &'a self,
        _g: &'a rcu::Guard,
        bucket: usize,
        mut pred: impl FnMut(&T) -> bool,
    ) -> Option<ArcBorrow<'a, T>> {
        let mut p = self.head(bucket).load(Acquire);
        while !p.is_null() {
            // SAFETY: An entry reachable from a chain holds the index's reference, which a
            // removal gives back only after a grace period that began once the entry was
            // unreachable, so not before the read section of `_g` ends.
            let e = unsafe { ArcBorrow::from_raw(p) };
            if pred(&e) {
                return Some(e);
            }
            p = e.index_link().next.load(Acquire);
        }
        None
    }

    /// The number of chains.
    pub(crate) fn size(&self) -> usize {
        self.heads.len()
    }

    /// Calls `f` with the length of every chain (counted up to `cap`), chain by chain.
    pub(crate) fn chain_lengths(&self, _g: &rcu::Guard, cap: usize, mut f: impl FnMut(usize)) {
        for h in self.heads.iter() {
            let (mut n, mut p) = (0, h.load(Acquire));
            while !p.is_null() && n < cap {
                // SAFETY: As in `find`.
                let e = unsafe { ArcBorrow::from_raw(p) };
                n += 1;
                p = e.index_link().next.load(Acquire);
            }
            f(n);
        }
    }

    /// Links `e` into chain `bucket`; `EBUSY` if it is in an index already.
    pub(crate) fn insert(&self, bucket: usize, e: Arc<T>) -> Result {
        if e.index_link().busy.xchg(true, Relaxed) {
            return Err(EBUSY);
        }
        let _w = self.writer.lock();
        let head = self.head(bucket);
        e.index_link().next.store(head.load(Relaxed), Relaxed);
        // The index's reference, given back by `remove`, `remove_later` or `take_all`.
        let raw = Arc::into_raw(e).cast_mut();
        // SAFETY: `raw` is the entry whose link this is; `release` needs it.
        unsafe { &*raw }.index_link().owner.store(raw, Relaxed);
        // Release: a reader that loads `raw` sees the link (and the entry) initialised.
        head.store(raw, Release);
        Ok(())
    }

    /// Unlinks the first entry of chain `bucket` that `pred` accepts, without waiting.
    /// Returns the index's reference, which must not be dropped before a grace period.
    fn unlink(&self, bucket: usize, mut pred: impl FnMut(&T) -> bool) -> Option<*const T> {
        let mut prev = self.head(bucket);
        loop {
            let p = prev.load(Relaxed);
            if p.is_null() {
                return None;
            }
            // SAFETY: `p` is linked (writers are serialised by the caller's `writer` lock), so
            // it holds the index's reference.
            let e = unsafe { &*p };
            let next = e.index_link().next.load(Relaxed);
            if pred(e) {
                // Readers on `e` still reach `next` through `e`'s own link, left as it is.
                prev.store(next, Release);
                return Some(p.cast_const());
            }
            prev = &e.index_link().next;
        }
    }

    /// Removes the first entry of chain `bucket` that `pred` accepts and returns it once no
    /// reader can see it any more. Process context (it waits for a grace period).
    pub(crate) fn remove(&self, bucket: usize, pred: impl FnMut(&T) -> bool) -> Option<Arc<T>> {
        let raw = {
            let _w = self.writer.lock();
            self.unlink(bucket, pred)?
        };
        rcu::synchronize_rcu();
        // SAFETY: `raw` is the index's reference (leaked by `insert`), unreachable since before
        // the grace period just waited for.
        let e = unsafe { Arc::from_raw(raw) };
        e.index_link().busy.store(false, Relaxed);
        Some(e)
    }

    /// Removes the first entry of chain `bucket` that `pred` accepts without waiting: an RCU
    /// callback gives the index's reference back after a grace period. Whether one was found.
    /// Process context (writers serialise on a mutex); the module must wait for its RCU
    /// callbacks (`rcu_barrier`) before it goes.
    pub(crate) fn remove_later(&self, bucket: usize, pred: impl FnMut(&T) -> bool) -> bool {
        let raw = {
            let _w = self.writer.lock();
            self.unlink(bucket, pred)
        };
        let Some(raw) = raw else {
            return false;
        };
        // SAFETY: `raw` is unlinked and still holds the index's reference (so it is alive).
        let link = unsafe { &*raw }.index_link();
        // SAFETY: The entry was linked by `insert` (which recorded `owner`) and is now unlinked,
        // once: its head is queued once per insertion, as `release` requires.
        unsafe { bindings::call_rcu(link.rcu.get(), Some(release::<T>)) };
        true
    }

    /// Removes every entry; returns them once no reader can see them any more (one grace
    /// period). Process context. Without memory for the list nothing is removed.
    pub(crate) fn take_all(&self) -> Result<KVec<Arc<T>>> {
        let mut out = KVec::new();
        {
            let _w = self.writer.lock();
            let mut n = 0;
            for h in self.heads.iter() {
                let mut p = h.load(Relaxed);
                while !p.is_null() {
                    n += 1;
                    // SAFETY: `p` is linked (writers are serialised by `writer`), so it holds
                    // the index's reference.
                    p = unsafe { &*p }.index_link().next.load(Relaxed);
                }
            }
            out.reserve(n, GFP_KERNEL)?;
            for h in self.heads.iter() {
                // The chain is cut at its head: all of it is unreachable from here on.
                let mut p = h.xchg(null_mut(), Release);
                while !p.is_null() {
                    // SAFETY: As above, `p` holds the index's reference (leaked by `insert`),
                    // taken over here once; it is dropped only after the grace period below.
                    let e = unsafe { Arc::from_raw(p.cast_const()) };
                    p = e.index_link().next.load(Relaxed);
                    if let Err(e) = out.push_within_capacity(e) {
                        // Cannot happen (`n` entries were counted under the lock); never drop
                        // an entry before the grace period.
                        core::mem::forget(e);
                    }
                }
            }
        }
        if !out.is_empty() {
            rcu::synchronize_rcu();
        }
        for e in out.iter() {
            e.index_link().busy.store(false, Relaxed);
        }
        Ok(out)
    }
}

#[pinned_drop]
impl<T: Indexed> PinnedDrop for RcuIndex<T> {
    fn drop(self: Pin<&mut Self>) {
        // Owners empty the index first (`take_all`). Whatever is left is released here without
        // a grace period: a reader's borrows cannot outlive the index, so none is left. (No
        // lock either: this may run in any context.)
        for h in self.heads.iter() {
            let mut p = h.xchg(null_mut(), Relaxed);
            while !p.is_null() {
                // SAFETY: `p` was linked, so it holds the index's reference (leaked by
                // `insert`), taken back here once; nothing can reach it any more.
                let e = unsafe { Arc::from_raw(p.cast_const()) };
                p = e.index_link().next.load(Relaxed);
                e.index_link().busy.store(false, Relaxed);
            }
        }
    }
}

#[cfg(ipvs_kunit)]
#[kernel::macros::kunit_tests(ipvs_rs_rcuindex)]
mod tests {
    use super::*;

    /// An entry that counts its drops in `drops`.
    struct Item {
        key: u32,
        link: IndexLink<Item>,
        drops: &'static Atomic<u32>,
    }

    impl Indexed for Item {
        fn index_link(&self) -> &IndexLink<Self> {
            &self.link
        }
    }

    impl Drop for Item {
        fn drop(&mut self) {
            self.drops.add(1, Relaxed);
        }
    }

    fn item(key: u32, drops: &'static Atomic<u32>) -> Result<Arc<Item>> {
        Ok(Arc::new(
            Item {
                key,
                link: IndexLink::new(),
                drops,
            },
            GFP_KERNEL,
        )?)
    }

    /// An index of 4 chains holding keys `0..n` (key `k` in chain `k`), and the keys found.
    fn filled(n: u32, drops: &'static Atomic<u32>) -> Result<Pin<KBox<RcuIndex<Item>>>> {
        let index = KBox::pin_init(RcuIndex::new(2)?, GFP_KERNEL)?;
        for k in 0..n {
            index.insert(k as usize, item(k, drops)?)?;
        }
        Ok(index)
    }

    /// Which of the keys `0..n` the index finds (bit `k`), read in one RCU section.
    fn found(index: &RcuIndex<Item>, n: u32) -> u32 {
        let g = rcu::read_lock();
        (0..n)
            .filter(|&k| index.find(&g, k as usize, |e| e.key == k).is_some())
            .fold(0, |m, k| m | 1 << k)
    }

    #[test]
    fn find_and_remove_within_a_chain() -> Result {
        static DROPS: Atomic<u32> = Atomic::new(0);
        let index = filled(12, &DROPS)?;
        check!(found(&index, 12) == 0xfff);
        // Chain 1 holds 9, 5, 1 (newest first): take its middle, then its head and its tail.
        for (k, left) in [(5, 0xfff & !(1 << 5)), (9, 0xfff & !(1 << 5 | 1 << 9))] {
            let e = index.remove(k as usize, |e| e.key == k).ok_or(ENOENT)?;
            check!(e.key == k);
            check!(found(&index, 12) == left);
        }
        check!(DROPS.load(Relaxed) == 2);
        check!(index.remove(1, |e| e.key == 5).is_none());
        let e = index.remove(1, |e| e.key == 1).ok_or(ENOENT)?;
        drop(e);
        check!(DROPS.load(Relaxed) == 3);
        // The rest goes with the index.
        drop(index);
        check!(DROPS.load(Relaxed) == 12);
        Ok(())
    }

    #[test]
    fn an_entry_is_in_one_index_at_a_time() -> Result {
        static DROPS: Atomic<u32> = Atomic::new(0);
        let (a, b) = (filled(0, &DROPS)?, filled(0, &DROPS)?);
        let e = item(7, &DROPS)?;
        a.insert(3, e.clone())?;
        check!(a.insert(3, e.clone()) == Err(EBUSY));
        check!(b.insert(3, e.clone()) == Err(EBUSY));
        // Removed without waiting: busy until the grace period has passed and the index's
        // reference is given back.
        check!(a.remove_later(3, |x| x.key == 7));
        check!(!a.remove_later(3, |x| x.key == 7));
        rcu::rcu_barrier();
        check!(DROPS.load(Relaxed) == 0);
        b.insert(3, e.clone())?;
        check!(found(&b, 8) == 1 << 7);
        drop(e);
        drop(b);
        check!(DROPS.load(Relaxed) == 1);
        Ok(())
    }

    /// What the reader of [`readers_elsewhere_during_removals`] shares with the test.
    mod reader {
        use super::*;
        use kernel::time::{delay::udelay, Delta};
        use kernel::workqueue::{impl_has_work, new_work, Work, WorkItem};

        /// Keys in the index (one per chain, two chains).
        pub(super) const KEYS: u32 = 8;
        pub(super) static STOP: Atomic<bool> = Atomic::new(false);
        pub(super) static DONE: Atomic<bool> = Atomic::new(false);
        pub(super) static READS: Atomic<u32> = Atomic::new(0);
        pub(super) static WRONG: Atomic<u32> = Atomic::new(0);

        /// The index, and the work item that reads it.
        #[pin_data]
        pub(super) struct Reader {
            #[pin]
            pub(super) index: RcuIndex<Item>,
            #[pin]
            work: Work<Reader>,
        }

        impl_has_work! {
            impl HasWork<Self> for Reader { self.work }
        }

        impl Reader {
            pub(super) fn new() -> Result<Arc<Self>> {
                Arc::pin_init(
                    try_pin_init!(Self {
                        index <- RcuIndex::new(1)?,
                        work <- new_work!("ipvs_rs::rcuindex::tests::Reader::work"),
                    }),
                    GFP_KERNEL,
                )
            }
        }

        impl WorkItem for Reader {
            type Pointer = Arc<Reader>;

            /// Looks every key up, and reads what it finds, until told to stop.
            fn run(this: Arc<Reader>) {
                while !STOP.load(Relaxed) {
                    {
                        let g = rcu::read_lock();
                        for k in 0..KEYS {
                            if let Some(e) = this.index.find(&g, k as usize, |e| e.key == k) {
                                // Holds on to the entry for a while and reads it again: were it
                                // freed before the read section ends, KASAN would see it.
                                udelay(Delta::from_micros(20));
                                if e.key != k || e.drops.load(Relaxed) > 1 << 30 {
                                    WRONG.add(1, Relaxed);
                                }
                            }
                        }
                    }
                    READS.add(1, Relaxed);
                    crate::rust::sync::cond_resched();
                }
                drop(this);
                DONE.store(true, Release);
            }
        }
    }

    #[test]
    fn readers_elsewhere_during_removals() -> Result {
        use kernel::time::{delay::fsleep, Delta};
        use reader::*;
        static DROPS: Atomic<u32> = Atomic::new(0);
        let wait = |cond: &dyn Fn() -> bool| {
            for _ in 0..1000 {
                if cond() {
                    return true;
                }
                fsleep(Delta::from_millis(5));
            }
            cond()
        };
        let r = Reader::new()?;
        for k in 0..KEYS {
            r.index.insert(k as usize, item(k, &DROPS)?)?;
        }
        // An unbound worker: on the other CPU whenever it can be.
        if kernel::workqueue::system_unbound()
            .enqueue(r.clone())
            .is_err()
        {
            return Err(EBUSY);
        }
        // However the test ends, the reader stops before it returns (the work runs this
        // module's code).
        struct Stop;
        impl Drop for Stop {
            fn drop(&mut self) {
                STOP.store(true, Relaxed);
                while !DONE.load(Acquire) {
                    fsleep(Delta::from_millis(5));
                }
            }
        }
        let stop = Stop;
        check!(wait(&|| READS.load(Relaxed) > 0));
        // Every entry replaced over and over under the reader: given back after waiting for a
        // grace period (`remove`), all at once after one (`take_all`), or by a callback.
        let mut made = KEYS;
        for round in 0..12u32 {
            if round % 3 == 1 {
                check!(r.index.take_all()?.len() == KEYS as usize);
            } else {
                for k in 0..KEYS {
                    let gone = if round % 3 == 0 {
                        r.index.remove(k as usize, |e| e.key == k).is_some()
                    } else {
                        r.index.remove_later(k as usize, |e| e.key == k)
                    };
                    check!(gone);
                }
            }
            for k in 0..KEYS {
                r.index.insert(k as usize, item(k, &DROPS)?)?;
            }
            made += KEYS;
        }
        drop(stop);
        let reads = READS.load(Relaxed);
        drop(r);
        rcu::rcu_barrier();
        check!(DROPS.load(Relaxed) == made && WRONG.load(Relaxed) == 0 && reads > 0);
        Ok(())
    }

    #[test]
    fn take_all_empties_the_index() -> Result {
        static DROPS: Atomic<u32> = Atomic::new(0);
        let index = filled(10, &DROPS)?;
        let all = index.take_all()?;
        check!(all.len() == 10);
        check!(found(&index, 10) == 0);
        check!(all.iter().fold(0, |m, e| m | 1 << e.key) == 0x3ff);
        // Each is free to go into an index again.
        for e in all.iter() {
            index.insert(e.key as usize, e.clone())?;
        }
        check!(found(&index, 10) == 0x3ff);
        drop(all);
        check!(DROPS.load(Relaxed) == 0);
        drop(index);
        check!(DROPS.load(Relaxed) == 10);
        Ok(())
    }
}
