// SPDX-License-Identifier: GPL-2.0

//! A resizable hash index read under RCU, for reference-counted entries that are added and
//! removed from process context only (the virtual-service and real-server tables).
//!
//! - Readers walk a bucket's chain inside an RCU read-side critical section and take no lock.
//! - Writers are serialised by the index's mutex. An entry is pushed at the head of its chain
//!   (published with release ordering once its link is set); a removed entry is unlinked by
//!   pointing its predecessor past it, so a reader standing on it still walks on.
//! - The index holds one reference to each entry. A removal gives that reference back only
//!   after a grace period, so nothing a reader can reach is freed under it: [`RcuIndex::remove`]
//!   waits for it (`synchronize_rcu`) and returns the entry, removing many entries at once
//!   waits once, and [`RcuIndex::remove_later`] leaves the reference to an RCU callback.
//! - Each entry has two links. The published buckets chain the entries through one of them;
//!   [`RcuIndex::resize`] chains them into new buckets through the other, publishes those and
//!   frees the old ones after a grace period, all under the writers' mutex, so that no entry
//!   ever moves under a reader and a link is reused only once no reader can follow it. (A
//!   resize does not keep the order of the entries within a chain.)
//! - A bucket is chosen by the top bits of the entry's 32-bit hash
//!   ([`Indexed::index_hash`]), so the hash suits every size.
//!
//! C: the `hlist_bl` service table of `ip_vs_ctl.c` (`ip_vs_rht`, its resizer) and the
//! `hlist_add_head_rcu` / `hlist_del_rcu` real-server table.

use core::ptr::null_mut;
use kernel::{
    alloc::KVVec,
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
    /// The entry's hash; it must never change while the entry is in an index.
    fn index_hash(&self) -> u32;
}

/// The link of one entry: its successor in its chain, one per set of buckets (the published
/// one and the one a resize builds).
#[repr(C)]
pub(crate) struct IndexLink<T> {
    /// First field: [`release`] finds the link from it.
    rcu: Opaque<bindings::callback_head>,
    /// The entry itself, recorded at insertion for [`release`].
    owner: Atomic<*mut T>,
    next: [Atomic<*mut T>; 2],
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
            next: [Atomic::new(null_mut()), Atomic::new(null_mut())],
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

/// One set of buckets: `1 << bits` chain heads, chained through links `next[set]`.
struct Buckets<T> {
    set: usize,
    bits: u32,
    heads: KVVec<Atomic<*mut T>>,
}

impl<T: Indexed> Buckets<T> {
    /// Empty buckets, leaked (freed by `resize` after a grace period, or by `drop`).
    fn alloc(bits: u32, set: usize) -> Result<*mut Self> {
        let n = 1usize << bits;
        let mut heads = KVVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            heads.push(Atomic::new(null_mut()), GFP_KERNEL)?;
        }
        Ok(KBox::into_raw(KBox::new(
            Self { set, bits, heads },
            GFP_KERNEL,
        )?))
    }

    /// The head of the chain of `hash`: its top `bits` bits.
    fn head(&self, hash: u32) -> &Atomic<*mut T> {
        let i = hash.checked_shr(32 - self.bits).unwrap_or(0) as usize;
        // Below `1 << bits`, the number of heads.
        &self.heads[i]
    }

    /// `e`'s successor in these buckets' chains.
    fn next<'e>(&self, e: &'e T) -> &'e Atomic<*mut T> {
        &e.index_link().next[self.set]
    }

    /// Pushes `e` (whose reference the index holds, as `raw`) at the head of its chain.
    /// Writers' mutex held.
    fn link(&self, e: &T, raw: *mut T) {
        let head = self.head(e.index_hash());
        self.next(e).store(head.load(Relaxed), Relaxed);
        // Release: a reader that loads `raw` sees its link (and the entry) initialised.
        head.store(raw, Release);
    }

    /// Calls `f` on every linked entry. Writers' mutex held (or no other user left).
    fn each(&self, mut f: impl FnMut(*mut T)) {
        for h in self.heads.iter() {
            let mut p = h.load(Relaxed);
            while !p.is_null() {
                // SAFETY: `p` is linked, so it holds the index's reference, and writers (the
                // only ones to unlink and release) are excluded by the caller.
                let next = self.next(unsafe { &*p }).load(Relaxed);
                f(p);
                p = next;
            }
        }
    }
}

/// The hash index.
#[pin_data(PinnedDrop)]
pub(crate) struct RcuIndex<T: Indexed> {
    /// The published buckets (never null).
    cur: Atomic<*mut Buckets<T>>,
    /// Serialises insertions, removals and resizes.
    #[pin]
    writer: Mutex<()>,
}

// SAFETY: Entries are `Send + Sync`; the buckets are atomics; the index owns one reference to
// each linked entry, which any thread may give back (`Arc<T>: Send` for `T: Send + Sync`).
unsafe impl<T: Indexed> Send for RcuIndex<T> {}
// SAFETY: Readers only load atomics and borrow entries; writers are serialised by `writer`.
unsafe impl<T: Indexed> Sync for RcuIndex<T> {}

impl<T: Indexed> RcuIndex<T> {
    /// An empty index of `1 << bits` chains. Process context.
    pub(crate) fn new(bits: u32) -> Result<impl PinInit<Self>> {
        let b = Buckets::<T>::alloc(bits, 0)?;
        Ok(pin_init!(Self {
            cur: Atomic::new(b),
            writer <- new_mutex!((), "ipvs_rs::RcuIndex::writer"),
        }))
    }

    /// The published buckets, alive for the read section of `_g`.
    fn current<'a>(&'a self, _g: &'a rcu::Guard) -> &'a Buckets<T> {
        // SAFETY: `cur` is never null, and published buckets are freed only after a grace
        // period that follows their replacement (`resize`), or with the index.
        unsafe { &*self.cur.load(Acquire) }
    }

    /// The published buckets, for a writer (`_w`: the writers' mutex, held).
    fn locked<'a>(&'a self, _w: &'a kernel::sync::MutexGuard<'_, ()>) -> &'a Buckets<T> {
        // SAFETY: `cur` is never null, and only `resize`, which holds the writers' mutex, frees
        // buckets.
        unsafe { &*self.cur.load(Relaxed) }
    }

    /// Finds an entry of the chain of `hash` that `pred` accepts.
    pub(crate) fn find<'a>(
        &'a self,
        g: &'a rcu::Guard,
        hash: u32,
        mut pred: impl FnMut(&T) -> bool,
    ) -> Option<ArcBorrow<'a, T>> {
        let b = self.current(g);
        let mut p = b.head(hash).load(Acquire);
        while !p.is_null() {
            // SAFETY: An entry reachable from a chain holds the index's reference, which a
            // removal gives back only after a grace period that began once the entry was
            // unreachable, so not before the read section of `g` ends.
            let e = unsafe { ArcBorrow::from_raw(p) };
            if pred(&e) {
                return Some(e);
            }
            p = b.next(&e).load(Acquire);
        }
        None
    }

    /// The number of chains.
    pub(crate) fn size(&self) -> usize {
        let g = rcu::read_lock();
        1 << self.current(&g).bits
    }

    /// Calls `f` with the length of every chain (counted up to `cap`), chain by chain.
    pub(crate) fn chain_lengths(&self, g: &rcu::Guard, cap: usize, mut f: impl FnMut(usize)) {
        let b = self.current(g);
        for h in b.heads.iter() {
            let (mut n, mut p) = (0, h.load(Acquire));
            while !p.is_null() && n < cap {
                // SAFETY: As in `find`.
                let e = unsafe { ArcBorrow::from_raw(p) };
                n += 1;
                p = b.next(&e).load(Acquire);
            }
            f(n);
        }
    }

    /// Links `e` into its chain; `EBUSY` if it is in an index already.
    pub(crate) fn insert(&self, e: Arc<T>) -> Result {
        if e.index_link().busy.xchg(true, Relaxed) {
            return Err(EBUSY);
        }
        let w = self.writer.lock();
        // The index's reference, given back by `remove`, `remove_later` or `take_all`.
        let raw = Arc::into_raw(e).cast_mut();
        // SAFETY: `raw` is the entry just leaked, alive as long as the index holds it.
        let e = unsafe { &*raw };
        // For `release`.
        e.index_link().owner.store(raw, Relaxed);
        self.locked(&w).link(e, raw);
        Ok(())
    }

    /// Unlinks the first entry of the chain of `hash` that `pred` accepts, without waiting.
    /// Returns the index's reference, which must not be dropped before a grace period.
    fn unlink(b: &Buckets<T>, hash: u32, mut pred: impl FnMut(&T) -> bool) -> Option<*const T> {
        let mut prev = b.head(hash);
        loop {
            let p = prev.load(Relaxed);
            if p.is_null() {
                return None;
            }
            // SAFETY: `p` is linked (writers are serialised by the caller's `writer` lock), so
            // it holds the index's reference.
            let e = unsafe { &*p };
            let next = b.next(e);
            if pred(e) {
                // Readers on `e` still reach its successor through `e`'s own link, left as it
                // is.
                prev.store(next.load(Relaxed), Release);
                return Some(p.cast_const());
            }
            prev = next;
        }
    }

    /// Removes the first entry of the chain of `hash` that `pred` accepts and returns it once
    /// no reader can see it any more. Process context (it waits for a grace period).
    pub(crate) fn remove(&self, hash: u32, pred: impl FnMut(&T) -> bool) -> Option<Arc<T>> {
        let raw = {
            let w = self.writer.lock();
            Self::unlink(self.locked(&w), hash, pred)?
        };
        rcu::synchronize_rcu();
        // SAFETY: `raw` is the index's reference (leaked by `insert`), unreachable since before
        // the grace period just waited for.
        let e = unsafe { Arc::from_raw(raw) };
        e.index_link().busy.store(false, Relaxed);
        Some(e)
    }

    /// Removes the first entry of the chain of `hash` that `pred` accepts without waiting: an
    /// RCU callback gives the index's reference back after a grace period. Whether one was
    /// found. Process context (writers serialise on a mutex); the module must wait for its RCU
    /// callbacks (`rcu_barrier`) before it goes.
    pub(crate) fn remove_later(&self, hash: u32, pred: impl FnMut(&T) -> bool) -> bool {
        let raw = {
            let w = self.writer.lock();
            Self::unlink(self.locked(&w), hash, pred)
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
            let w = self.writer.lock();
            let b = self.locked(&w);
            let mut n = 0;
            b.each(|_| n += 1);
            out.reserve(n, GFP_KERNEL)?;
            for h in b.heads.iter() {
                // The chain is cut at its head: all of it is unreachable from here on.
                let mut p = h.xchg(null_mut(), Release);
                while !p.is_null() {
                    // SAFETY: As above, `p` holds the index's reference (leaked by `insert`),
                    // taken over here once; it is dropped only after the grace period below.
                    let e = unsafe { Arc::from_raw(p.cast_const()) };
                    p = b.next(&e).load(Relaxed);
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

    /// Gives the index `1 << bits` chains. Process context: it waits for a grace period before
    /// it returns (writers wait meanwhile). Without memory the index keeps its size.
    pub(crate) fn resize(&self, bits: u32) -> Result {
        let w = self.writer.lock();
        let old = self.locked(&w);
        if old.bits == bits {
            return Ok(());
        }
        let new_p = Buckets::<T>::alloc(bits, 1 - old.set)?;
        // SAFETY: Just allocated, not published yet: only this function reaches it.
        let new = unsafe { &*new_p };
        // The other links are free: the buckets that used them were freed a grace period
        // after they were replaced, under this mutex.
        old.each(|p| {
            // SAFETY: `each` gives linked entries, alive while the mutex is held.
            new.link(unsafe { &*p }, p)
        });
        let old_p = self.cur.xchg(new_p, Release);
        // No reader follows the old buckets' links after this; the mutex keeps writers off
        // them until then.
        rcu::synchronize_rcu();
        drop(w);
        // SAFETY: `old_p` came from `Buckets::alloc` and nothing can reach it any more.
        drop(unsafe { KBox::from_raw(old_p) });
        Ok(())
    }
}

#[pinned_drop]
impl<T: Indexed> PinnedDrop for RcuIndex<T> {
    fn drop(self: Pin<&mut Self>) {
        // Owners empty the index first (`take_all`). Whatever is left is released here without
        // a grace period: a reader's borrows cannot outlive the index, so none is left. (No
        // lock either: this may run in any context.)
        let p = self.cur.xchg(null_mut(), Relaxed);
        // SAFETY: `p` came from `Buckets::alloc` (`cur` is never null before this); with
        // `&mut self` nobody else reaches it.
        let b = unsafe { KBox::from_raw(p) };
        b.each(|p| {
            // SAFETY: `p` was linked, so it holds the index's reference (leaked by `insert`),
            // taken back here once; nothing can reach it any more.
            let e = unsafe { Arc::from_raw(p.cast_const()) };
            e.index_link().busy.store(false, Relaxed);
        });
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

        fn index_hash(&self) -> u32 {
            hash(self.key)
        }
    }

    /// Key `k`'s hash: its bits reversed, so that the chain (the hash's top bits) is picked by
    /// the key's low bits.
    fn hash(k: u32) -> u32 {
        k.reverse_bits()
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

    /// An index of 4 chains holding keys `0..n` (the keys equal modulo 4 share a chain).
    fn filled(n: u32, drops: &'static Atomic<u32>) -> Result<Pin<KBox<RcuIndex<Item>>>> {
        let index = KBox::pin_init(RcuIndex::new(2)?, GFP_KERNEL)?;
        for k in 0..n {
            index.insert(item(k, drops)?)?;
        }
        Ok(index)
    }

    /// Which of the keys `0..n` the index finds (bit `k`), read in one RCU section.
    fn found(index: &RcuIndex<Item>, n: u32) -> u32 {
        let g = rcu::read_lock();
        (0..n)
            .filter(|&k| index.find(&g, hash(k), |e| e.key == k).is_some())
            .fold(0, |m, k| m | 1 << k)
    }

    #[test]
    fn find_and_remove_within_a_chain() -> Result {
        static DROPS: Atomic<u32> = Atomic::new(0);
        let index = filled(12, &DROPS)?;
        check!(found(&index, 12) == 0xfff);
        // Keys 9, 5, 1 share a chain (newest first): take its middle, then its head and its tail.
        for (k, left) in [(5, 0xfff & !(1 << 5)), (9, 0xfff & !(1 << 5 | 1 << 9))] {
            let e = index.remove(hash(k), |e| e.key == k).ok_or(ENOENT)?;
            check!(e.key == k);
            check!(found(&index, 12) == left);
        }
        check!(DROPS.load(Relaxed) == 2);
        check!(index.remove(hash(1), |e| e.key == 5).is_none());
        let e = index.remove(hash(1), |e| e.key == 1).ok_or(ENOENT)?;
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
        a.insert(e.clone())?;
        check!(a.insert(e.clone()) == Err(EBUSY));
        check!(b.insert(e.clone()) == Err(EBUSY));
        // Removed without waiting: busy until the grace period has passed and the index's
        // reference is given back.
        check!(a.remove_later(hash(7), |x| x.key == 7));
        check!(!a.remove_later(hash(7), |x| x.key == 7));
        rcu::rcu_barrier();
        check!(DROPS.load(Relaxed) == 0);
        b.insert(e.clone())?;
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
                            if let Some(e) = this.index.find(&g, hash(k), |e| e.key == k) {
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
            r.index.insert(item(k, &DROPS)?)?;
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
        // grace period (`remove`), all at once after one (`take_all`), or by a callback; and
        // the index resized.
        let mut made = KEYS;
        for round in 0..12u32 {
            if round % 3 == 1 {
                check!(r.index.take_all()?.len() == KEYS as usize);
            } else {
                for k in 0..KEYS {
                    let gone = if round % 3 == 0 {
                        r.index.remove(hash(k), |e| e.key == k).is_some()
                    } else {
                        r.index.remove_later(hash(k), |e| e.key == k)
                    };
                    check!(gone);
                }
            }
            for k in 0..KEYS {
                r.index.insert(item(k, &DROPS)?)?;
            }
            made += KEYS;
            // And moved to other chains, bigger and smaller.
            r.index.resize([3, 0, 2, 1][round as usize % 4])?;
        }
        drop(stop);
        let reads = READS.load(Relaxed);
        drop(r);
        rcu::rcu_barrier();
        check!(DROPS.load(Relaxed) == made && WRONG.load(Relaxed) == 0 && reads > 0);
        Ok(())
    }

    #[test]
    fn resizes_keep_every_entry() -> Result {
        static DROPS: Atomic<u32> = Atomic::new(0);
        let index = filled(12, &DROPS)?;
        for bits in [5, 0, 1, 3, 2] {
            index.resize(bits)?;
            check!(index.size() == 1 << bits);
            check!(found(&index, 12) == 0xfff);
            let (mut chains, mut sum) = (0, 0);
            index.chain_lengths(&rcu::read_lock(), 16, |n| {
                chains += 1;
                sum += n;
            });
            check!(chains == 1 << bits && sum == 12);
        }
        // Keys equal modulo 4 share a chain of 4 (and not more): 3 entries in each. (Counted
        // into an array: nothing may sleep in the read section.)
        let mut lengths = [0u32; 17];
        index.chain_lengths(&rcu::read_lock(), 16, |n| lengths[n] += 1);
        check!(lengths[3] == 4 && lengths.iter().sum::<u32>() == 4);
        check!(index.remove(hash(6), |e| e.key == 6).is_some());
        index.resize(4)?;
        check!(found(&index, 12) == 0xfff & !(1 << 6));
        check!(DROPS.load(Relaxed) == 1);
        drop(index);
        check!(DROPS.load(Relaxed) == 12);
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
            index.insert(e.clone())?;
        }
        check!(found(&index, 10) == 0x3ff);
        drop(all);
        check!(DROPS.load(Relaxed) == 0);
        drop(index);
        check!(DROPS.load(Relaxed) == 10);
        Ok(())
    }
}
