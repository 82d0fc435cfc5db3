// SPDX-License-Identifier: GPL-2.0

//! A resizable hash table read under RCU, for reference-counted entries that sit in two chains
//! at once (a connection is found by its request-direction key and by its reply-direction key).
//!
//! - Readers walk a chain inside an RCU read-side critical section and take no lock. An entry
//!   they reach stays allocated until their section ends: the table's reference to a removed
//!   entry is dropped by `call_rcu`.
//! - Writers (insert, remove) hold the locks of the two chains they change: [`LOCKS`] striped
//!   `spin_lock_bh` locks, chosen by the bucket index modulo [`LOCKS`]. Tables never have fewer
//!   than [`LOCKS`] buckets and an entry's hashes never change, so a chain's lock is the same in
//!   the old and the new table of a resize.
//! - A resize (process context) gives the new table the entries' second set of links, one lock
//!   at a time, leaving the chains of the old table untouched for its readers; writers update
//!   both tables for the locks already done. Then the new table is published and the old one is
//!   freed after a grace period.
//! - Each entry has an expiry timer, armed by the table at insertion and by [`Table::arm`]. When
//!   it fires, [`Entry::expire`] either names a later time (the timer is re-armed: callers may
//!   push an entry's deadline back without touching its timer) or agrees to go: the timer is
//!   shut down (so nothing can arm it again) and the entry is removed. That, and
//!   [`Table::drain`], are the only ways out of the table, which is what keeps an armed timer's
//!   entry alive.
//!
//! C: the pattern of `net/netfilter/ipvs/ip_vs_conn.c` (hlist_bl buckets, `ip_vs_rht`), built
//! from singly linked chains so that no entry is ever moved under a reader.

use super::{
    shim,
    sync::{cond_resched, LockArray},
    time,
};
use core::{marker::PhantomPinned, ptr::null_mut};
use kernel::{
    alloc::KVVec,
    bindings,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        rcu, Arc, ArcBorrow, LockClassKey,
    },
    types::Opaque,
};

/// Number of writer locks; also the smallest number of buckets.
pub(crate) const LOCKS: usize = 256;
/// log2 of the smallest number of buckets.
pub(crate) const MIN_BITS: u32 = 8;
const _: () = assert!(1 << MIN_BITS == LOCKS);

/// The two chains an entry sits in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Chain {
    /// Found by the request-direction key.
    In = 0,
    /// Found by the reply-direction key.
    Out = 1,
}

const CHAINS: [Chain; 2] = [Chain::In, Chain::Out];

/// What the table needs from its entries.
pub(crate) trait Entry: Send + Sync + Sized + 'static {
    /// The entry's links (embedded in it).
    fn links(&self) -> &Links<Self>;
    /// The entry's hash in `chain`; it must never change.
    fn hash(&self, chain: Chain) -> u32;
    /// The entry's timer fired at `now` (jiffies), or the table is being drained (`force`):
    /// returns when to look again, or `None` when the entry goes (it is then removed; `force`
    /// must give `None`). Runs in softirq context.
    fn expire(&self, now: u64, force: bool) -> Option<u64>;
}

/// The links of one entry: two per chain (one set for the current table, one for the table a
/// resize builds), its expiry timer and what `call_rcu` needs.
#[pin_data]
#[repr(C)]
pub(crate) struct Links<T: Entry> {
    /// First field: the RCU callback finds the links from it.
    rcu: Opaque<bindings::callback_head>,
    /// Expiry timer (`timer_list`), set up in place.
    #[pin]
    timer: Opaque<bindings::timer_list>,
    /// The entry itself, recorded at insertion for the callbacks.
    owner: Atomic<*mut T>,
    /// The table it was inserted into.
    table: Atomic<*mut Table<T>>,
    /// Linked into the table (guarded by the entry's chain locks).
    hashed: Atomic<bool>,
    /// `next[set][chain]`.
    next: [[Atomic<*mut T>; 2]; 2],
}

impl<T: Entry> Links<T> {
    /// Links of an entry that is in no table yet.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            rcu: Opaque::uninit(),
            timer <- Opaque::ffi_init(|slot: *mut bindings::timer_list| {
                // SAFETY: `slot` is valid for writes and pinned: the timer is set up where it
                // stays. `timer_fired::<T>` expects the timer of a `Links<T>`, which this is.
                unsafe { shim::ipvs_rs_timer_setup(slot, Some(timer_fired::<T>)) }
            }),
            owner: Atomic::new(null_mut()),
            table: Atomic::new(null_mut()),
            hashed: Atomic::new(false),
            next: [
                [Atomic::new(null_mut()), Atomic::new(null_mut())],
                [Atomic::new(null_mut()), Atomic::new(null_mut())],
            ],
        })
    }

    /// The entry and its table, once inserted.
    fn inserted(&self) -> Option<(&T, &Table<T>)> {
        let (e, t) = (self.owner.load(Acquire), self.table.load(Acquire));
        if e.is_null() || t.is_null() {
            return None;
        }
        // SAFETY: Both were recorded by `Table::insert_unique` (the entry holds these links;
        // the table is pinned). The entry holds a table reference until it is removed, and
        // the table drains its entries before it goes: while the links can be reached through
        // `self` or through an armed timer, both are alive.
        Some(unsafe { (&*e, &*t) })
    }
}

/// An entry's timer fired.
///
/// # Safety
///
/// `t` is the `timer` of a [`Links<T>`] (only [`Links::new`] sets a timer up with it).
unsafe extern "C" fn timer_fired<T: Entry>(t: *mut bindings::timer_list) {
    // SAFETY: See the function's contract: `t` is the `timer` field of a live `Links<T>`, so
    // stepping back to the start of the links stays within the same allocation.
    let links = unsafe {
        &*kernel::container_of!(t.cast::<Opaque<bindings::timer_list>>(), Links<T>, timer)
    };
    let Some((e, table)) = links.inserted() else {
        return;
    };
    match e.expire(time::jiffies(), false) {
        // SAFETY: `t` is a set-up timer; if it was shut down meanwhile, this does nothing.
        // `timer_reduce`: an earlier time set by `Table::arm` meanwhile stays.
        Some(at) => unsafe {
            bindings::timer_reduce(t, at as usize);
        },
        None => {
            // SAFETY: As above. Shut down, it can never be armed again.
            unsafe { bindings::timer_shutdown(t) };
            table.remove(e);
        }
    }
}

// SAFETY: The RCU head is only handed to `call_rcu`, once, after the entry was unlinked; every
// other field is an atomic.
unsafe impl<T: Entry> Sync for Links<T> {}
// SAFETY: As above: nothing in the links is tied to a thread.
unsafe impl<T: Entry> Send for Links<T> {}

/// One generation of buckets.
struct Buckets<T> {
    /// Which of an entry's two link sets this generation uses.
    set: usize,
    /// Number of buckets minus one.
    mask: u32,
    /// Chain heads, `[bucket][chain]`.
    heads: KVVec<[Atomic<*mut T>; 2]>,
    /// The generation a resize in progress moves entries to (null otherwise).
    next: Atomic<*mut Buckets<T>>,
}

impl<T: Entry> Buckets<T> {
    fn alloc(bits: u32, set: usize) -> Result<*mut Self> {
        let n = 1usize << bits;
        let mut heads = KVVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            heads.push(
                [Atomic::new(null_mut()), Atomic::new(null_mut())],
                GFP_KERNEL,
            )?;
        }
        let b = KBox::new(
            Buckets {
                set,
                mask: (n - 1) as u32,
                heads,
                next: Atomic::new(null_mut()),
            },
            GFP_KERNEL,
        )?;
        Ok(KBox::into_raw(b))
    }

    fn head(&self, chain: Chain, hash: u32) -> &Atomic<*mut T> {
        // `hash & mask` is below the number of buckets.
        &self.heads[(hash & self.mask) as usize][chain as usize]
    }

    /// Adds `e` at the head of its chain. The chain's lock must be held.
    fn link(&self, chain: Chain, e: &T) {
        let head = self.head(chain, e.hash(chain));
        e.links().next[self.set][chain as usize].store(head.load(Relaxed), Relaxed);
        head.store(core::ptr::from_ref(e).cast_mut(), Release);
    }

    /// Removes `e` from its chain if it is there. The chain's lock must be held.
    fn unlink(&self, chain: Chain, e: &T) -> bool {
        let target = core::ptr::from_ref(e).cast_mut();
        let mut prev = self.head(chain, e.hash(chain));
        loop {
            let p = prev.load(Relaxed);
            if p.is_null() {
                return false;
            }
            // SAFETY: Chain members hold a table reference, and the chain's lock (held) keeps
            // them from being unlinked and released meanwhile.
            let next = &unsafe { &*p }.links().next[self.set][chain as usize];
            if p == target {
                // Readers standing on `e` keep following its own, unchanged, link.
                prev.store(next.load(Relaxed), Release);
                return true;
            }
            prev = next;
        }
    }
}

/// The hash table. Pinned: its entries point back at it.
#[pin_data(PinnedDrop)]
pub(crate) struct Table<T: Entry> {
    /// The published generation (null until [`Table::ensure`]).
    cur: Atomic<*mut Buckets<T>>,
    /// Writer locks.
    locks: LockArray,
    /// During a resize: which locks' chains were moved to the new generation.
    moved: KVec<Atomic<bool>>,
    /// Number of entries.
    count: Atomic<usize>,
    #[pin]
    _pin: PhantomPinned,
}

/// Takes back the table's reference of an unlinked entry, after a grace period.
///
/// # Safety
///
/// `head` is the `rcu` field of the [`Links`] of an entry whose `owner` was set by
/// [`Table::insert_unique`], passed to `call_rcu` once by [`Table::remove`].
unsafe extern "C" fn release<T: Entry>(head: *mut bindings::callback_head) {
    // SAFETY: `rcu` is the first field of the `repr(C)` links (see the function's contract).
    let links = unsafe { &*head.cast::<Links<T>>() };
    let owner = links.owner.load(Relaxed);
    // SAFETY: `owner` is the pointer `Arc::into_raw` gave when the entry was inserted; that
    // reference is given back here only, once, after every reader that could reach it left.
    drop(unsafe { Arc::from_raw(owner) });
}

impl<T: Entry> Table<T> {
    /// An empty table without buckets; `name` and `key` name the writer locks for lockdep.
    pub(crate) fn new(
        name: &'static CStr,
        key: Pin<&'static LockClassKey>,
    ) -> Result<impl PinInit<Self>> {
        let mut moved = KVec::with_capacity(LOCKS, GFP_KERNEL)?;
        for _ in 0..LOCKS {
            moved.push(Atomic::new(false), GFP_KERNEL)?;
        }
        let locks = LockArray::new(LOCKS, name, key)?;
        Ok(pin_init!(Self {
            cur: Atomic::new(null_mut()),
            locks,
            moved,
            count: Atomic::new(0),
            _pin: PhantomPinned,
        }))
    }

    /// The published generation, alive for the read section of `_g`.
    fn current<'a>(&'a self, _g: &'a rcu::Guard) -> Option<&'a Buckets<T>> {
        let p = self.cur.load(Acquire);
        // SAFETY: A published generation is freed only after a grace period that follows its
        // replacement (`resize`) or with the table (`drop`, which excludes every borrow).
        unsafe { p.as_ref() }
    }

    /// The generation being built by a resize, if the lock `k`'s chains were moved to it.
    fn moved_to<'a>(&'a self, b: &'a Buckets<T>, k: usize) -> Option<&'a Buckets<T>> {
        let n = b.next.load(Acquire);
        if n.is_null() || !self.moved[k].load(Relaxed) {
            return None;
        }
        // SAFETY: `b` is alive (caller's read section) and its `next` is freed only after a
        // grace period following its own replacement, which cannot end inside that section.
        unsafe { n.as_ref() }
    }

    /// Creates the buckets (the smallest size) unless they exist. Process context.
    pub(crate) fn ensure(&self) -> Result {
        if !self.cur.load(Acquire).is_null() {
            return Ok(());
        }
        let b = Buckets::<T>::alloc(MIN_BITS, 0)?;
        if self.cur.cmpxchg(null_mut(), b, Release).is_err() {
            // SAFETY: `b` came from `KBox::into_raw` above and was never published.
            drop(unsafe { KBox::from_raw(b) });
        }
        Ok(())
    }

    /// The number of buckets (0 before [`Table::ensure`]).
    pub(crate) fn size(&self) -> u32 {
        let g = rcu::read_lock();
        self.current(&g).map_or(0, |b| b.mask + 1)
    }

    /// The number of entries.
    pub(crate) fn count(&self) -> usize {
        self.count.load(Relaxed)
    }

    /// Finds an entry of `chain` with `hash` that `pred` accepts.
    pub(crate) fn find<'a>(
        &'a self,
        g: &'a rcu::Guard,
        chain: Chain,
        hash: u32,
        mut pred: impl FnMut(&T) -> bool,
    ) -> Option<ArcBorrow<'a, T>> {
        let b = self.current(g)?;
        let mut p = b.head(chain, hash).load(Acquire);
        while !p.is_null() {
            // SAFETY: An entry reachable from a published chain holds the table's reference,
            // which is released only by an RCU callback queued after it was unlinked, hence not
            // before the read section of `g` ends.
            let e = unsafe { ArcBorrow::from_raw(p) };
            if pred(&e) {
                return Some(e);
            }
            p = e.links().next[b.set][chain as usize].load(Acquire);
        }
        None
    }

    /// Calls `f` on every entry (through the `In` chains).
    pub(crate) fn for_each<'a>(&'a self, g: &'a rcu::Guard, mut f: impl FnMut(ArcBorrow<'a, T>)) {
        let Some(b) = self.current(g) else {
            return;
        };
        for h in b.heads.iter() {
            let mut p = h[Chain::In as usize].load(Acquire);
            while !p.is_null() {
                // SAFETY: As in `find`.
                let e = unsafe { ArcBorrow::from_raw(p) };
                // Read before `f`, which may unlink `e` (an unlinked entry keeps its link).
                p = e.links().next[b.set][Chain::In as usize].load(Acquire);
                f(e);
            }
        }
    }

    /// Calls `f` with the length of every bucket's chains (both chains of a bucket together,
    /// counted up to `cap`), bucket by bucket.
    pub(crate) fn chain_lengths(&self, g: &rcu::Guard, cap: usize, mut f: impl FnMut(usize)) {
        let Some(b) = self.current(g) else {
            return;
        };
        for h in b.heads.iter() {
            let mut n = 0;
            for chain in [Chain::In, Chain::Out] {
                let mut p = h[chain as usize].load(Acquire);
                while !p.is_null() && n < cap {
                    // SAFETY: As in `find`.
                    let e = unsafe { ArcBorrow::from_raw(p) };
                    n += 1;
                    p = e.links().next[b.set][chain as usize].load(Acquire);
                }
            }
            f(n);
        }
    }

    /// The entry at place (`bucket`, `skip`): the `skip`-th of the `In` chain of bucket
    /// `bucket`, or else the first entry of the buckets after it, whose place the two then
    /// become. `None` past the last bucket. (A reader resumes a walk at its place; entries
    /// added or removed meanwhile, or a resize, may make it see an entry twice or miss one.)
    pub(crate) fn seek<'a>(
        &'a self,
        g: &'a rcu::Guard,
        bucket: &mut u32,
        skip: &mut u32,
    ) -> Option<ArcBorrow<'a, T>> {
        let b = self.current(g)?;
        while *bucket <= b.mask {
            let mut p = b.heads[*bucket as usize][Chain::In as usize].load(Acquire);
            let mut i = 0;
            while !p.is_null() {
                // SAFETY: As in `find`.
                let e = unsafe { ArcBorrow::from_raw(p) };
                if i == *skip {
                    return Some(e);
                }
                i += 1;
                p = e.links().next[b.set][Chain::In as usize].load(Acquire);
            }
            *bucket += 1;
            *skip = 0;
        }
        None
    }

    /// Calls `f` on the entries of `count` buckets from bucket `first` on (wrapping round the
    /// table, through the `In` chains).
    pub(crate) fn for_each_in_buckets<'a>(
        &'a self,
        g: &'a rcu::Guard,
        first: u32,
        count: u32,
        mut f: impl FnMut(ArcBorrow<'a, T>),
    ) {
        let Some(b) = self.current(g) else {
            return;
        };
        for i in 0..count.min(b.mask + 1) {
            let h = &b.heads[(first.wrapping_add(i) & b.mask) as usize];
            let mut p = h[Chain::In as usize].load(Acquire);
            while !p.is_null() {
                // SAFETY: As in `find`.
                let e = unsafe { ArcBorrow::from_raw(p) };
                // Read before `f`, which may unlink `e` (an unlinked entry keeps its link).
                p = e.links().next[b.set][Chain::In as usize].load(Acquire);
                f(e);
            }
        }
    }

    /// Inserts `e` with its timer set for `expires` (jiffies) unless `same` accepts an entry of
    /// `e`'s `In` chain: returns the entry now in the table and whether it is `e`. Fails when
    /// the table has no buckets, or already `max` entries (`ENOSPC`).
    pub(crate) fn insert_unique<'a>(
        &'a self,
        g: &'a rcu::Guard,
        e: Arc<T>,
        expires: u64,
        max: usize,
        mut same: impl FnMut(&T) -> bool,
    ) -> Result<(ArcBorrow<'a, T>, bool)> {
        let b = self.current(g).ok_or(ENOMEM)?;
        let (hi, ho) = (e.hash(Chain::In), e.hash(Chain::Out));
        let (ki, ko) = (hi as usize % LOCKS, ho as usize % LOCKS);
        let _locked = self.locks.lock_pair(ki, ko);
        // The newest generation holding all of this lock's entries.
        let newest = self.moved_to(b, ki).unwrap_or(b);
        let mut p = newest.head(Chain::In, hi).load(Relaxed);
        while !p.is_null() {
            // SAFETY: As in `find` (and the lock keeps the chain's members linked).
            let x = unsafe { ArcBorrow::from_raw(p) };
            if same(&x) {
                return Ok((x, false));
            }
            p = x.links().next[newest.set][Chain::In as usize].load(Relaxed);
        }
        // Counted before it is linked, so that concurrent inserts cannot pass `max` together.
        let mut n = self.count.load(Relaxed);
        loop {
            if n >= max {
                return Err(ENOSPC);
            }
            match self.count.cmpxchg(n, n + 1, Relaxed) {
                Ok(_) => break,
                Err(now) => n = now,
            }
        }
        for (chain, k) in [(Chain::In, ki), (Chain::Out, ko)] {
            b.link(chain, &e);
            if let Some(n) = self.moved_to(b, k) {
                n.link(chain, &e);
            }
        }
        e.links().hashed.store(true, Relaxed);
        // The table's reference: given back by `release`.
        let raw = Arc::into_raw(e);
        // SAFETY: `raw` is alive (the reference just leaked).
        let links = unsafe { &*raw }.links();
        links
            .table
            .store(core::ptr::from_ref(self).cast_mut(), Release);
        links.owner.store(raw.cast_mut(), Release);
        // SAFETY: The timer was set up by `Links::new`; its callback finds what it needs.
        unsafe { bindings::mod_timer(links.timer.get(), expires as usize) };
        // SAFETY: The table holds the reference just leaked until a grace period after the
        // entry is unlinked, which cannot end within the read section of `g`.
        Ok((unsafe { ArcBorrow::from_raw(raw) }, true))
    }

    /// Brings the expiry timer of `e` (inserted in this table) forward to `at` (jiffies) if it
    /// is set later; nothing once `e` is on its way out. Its callback re-arms it for later
    /// deadlines ([`Entry::expire`]).
    pub(crate) fn arm(&self, e: &T, at: u64) {
        let links = e.links();
        if links.owner.load(Acquire).is_null() {
            return;
        }
        // SAFETY: The timer was set up by `Links::new`; a shut-down timer ignores this.
        unsafe { bindings::timer_reduce(links.timer.get(), at as usize) };
    }

    /// Removes every entry (process context): each timer is shut down, waiting for a running
    /// callback, [`Entry::expire`] is told to go, and the entry is removed.
    pub(crate) fn drain(&self) {
        let g = rcu::read_lock();
        let now = time::jiffies();
        self.for_each(&g, |e| {
            // SAFETY: The timer was set up by `Links::new`; not called from its own callback.
            unsafe { bindings::timer_shutdown_sync(e.links().timer.get()) };
            e.expire(now, true);
            self.remove(&e);
        });
    }

    /// Unlinks `e` from its chains and releases the table's reference after a grace period.
    /// Returns false if it was not in the table. Only with its timer shut down.
    fn remove(&self, e: &T) -> bool {
        let g = rcu::read_lock();
        let Some(b) = self.current(&g) else {
            return false;
        };
        let (ki, ko) = (
            e.hash(Chain::In) as usize % LOCKS,
            e.hash(Chain::Out) as usize % LOCKS,
        );
        let locked = self.locks.lock_pair(ki, ko);
        if !e.links().hashed.load(Relaxed) {
            return false;
        }
        e.links().hashed.store(false, Relaxed);
        for (chain, k) in [(Chain::In, ki), (Chain::Out, ko)] {
            // A writer that read the published generation before a resize's switch also finds
            // the entry in the new one; one that read it after finds it only there.
            b.unlink(chain, e);
            if let Some(n) = self.moved_to(b, k) {
                n.unlink(chain, e);
            }
        }
        drop(locked);
        self.count.fetch_sub(1, Relaxed);
        let links = e.links();
        // SAFETY: `hashed` was set (under the locks) exactly once per insertion and is cleared
        // here, so the head is queued once; `release` matches its contract.
        unsafe { bindings::call_rcu(links.rcu.get(), Some(release::<T>)) };
        true
    }

    /// Moves the entries to a table of 2^`bits` buckets. Process context (it waits for grace
    /// periods); callers must not run two resizes at once.
    pub(crate) fn resize(&self, bits: u32) -> Result {
        let old_p = self.cur.load(Acquire);
        // SAFETY: Only `resize` (not concurrent with itself) and `drop` free a generation.
        let Some(old) = (unsafe { old_p.as_ref() }) else {
            return Ok(());
        };
        if old.mask + 1 == 1 << bits {
            return Ok(());
        }
        let new_p = Buckets::<T>::alloc(bits, 1 - old.set)?;
        // SAFETY: Just allocated; freed only by a later resize or `drop`.
        let new = unsafe { &*new_p };
        for m in self.moved.iter() {
            m.store(false, Relaxed);
        }
        old.next.store(new_p, Release);
        // From here on every writer sees `old.next`.
        rcu::synchronize_rcu();
        for k in 0..LOCKS {
            let locked = self.locks.lock_pair(k, k);
            for i in (k..=old.mask as usize).step_by(LOCKS) {
                for chain in CHAINS {
                    let mut p = old.heads[i][chain as usize].load(Relaxed);
                    while !p.is_null() {
                        // SAFETY: As in `Buckets::unlink` (this lock is held).
                        let e = unsafe { &*p };
                        p = e.links().next[old.set][chain as usize].load(Relaxed);
                        new.link(chain, e);
                    }
                }
            }
            self.moved[k].store(true, Relaxed);
            drop(locked);
            cond_resched();
        }
        self.cur.store(new_p, Release);
        // No reader or writer uses the old generation after this.
        rcu::synchronize_rcu();
        // SAFETY: `old_p` came from `KBox::into_raw` and nothing can reach it any more.
        drop(unsafe { KBox::from_raw(old_p) });
        Ok(())
    }
}

#[pinned_drop]
impl<T: Entry> PinnedDrop for Table<T> {
    fn drop(self: Pin<&mut Self>) {
        // Normally a no-op: the owner drains the table first.
        self.drain();
        let p = self.cur.load(Relaxed);
        if p.is_null() {
            return;
        }
        // SAFETY: `p` came from `KBox::into_raw`; with `&mut self` nobody else reaches it.
        let b = unsafe { KBox::from_raw(p) };
        // Entries still linked (normally none: the owner removes them first) give their
        // references back directly: there can be no reader any more.
        for h in b.heads.iter() {
            let mut p = h[Chain::In as usize].load(Relaxed);
            while !p.is_null() {
                // SAFETY: A linked entry holds the table's reference, taken back here once.
                let e = unsafe { Arc::from_raw(p) };
                p = e.links().next[b.set][Chain::In as usize].load(Relaxed);
            }
        }
    }
}

#[cfg(ipvs_kunit)]
#[kernel::macros::kunit_tests(ipvs_rs_rcuhash)]
mod tests {
    use super::*;
    use kernel::time::{delay::fsleep, Delta};

    /// An entry whose hashes are given, that agrees to expire from jiffy `until` on (0: only
    /// when forced), and counts its drops.
    #[pin_data(PinnedDrop)]
    struct Flow {
        key: u32,
        hashes: [u32; 2],
        until: Atomic<u64>,
        drops: &'static Atomic<u32>,
        #[pin]
        links: Links<Flow>,
    }

    impl Entry for Flow {
        fn links(&self) -> &Links<Self> {
            &self.links
        }

        fn hash(&self, chain: Chain) -> u32 {
            self.hashes[chain as usize]
        }

        fn expire(&self, now: u64, force: bool) -> Option<u64> {
            let until = self.until.load(Relaxed);
            if force || (until != 0 && now >= until) {
                None
            } else {
                Some(now + time::hz() / 50 + 1)
            }
        }
    }

    #[pinned_drop]
    impl PinnedDrop for Flow {
        fn drop(self: Pin<&mut Self>) {
            self.drops.add(1, Relaxed);
        }
    }

    fn flow(
        key: u32,
        hashes: [u32; 2],
        until: u64,
        drops: &'static Atomic<u32>,
    ) -> Result<Arc<Flow>> {
        Arc::pin_init(
            pin_init!(Flow {
                key,
                hashes,
                until: Atomic::new(until),
                drops,
                links <- Links::new(),
            }),
            GFP_KERNEL,
        )
    }

    fn table() -> Result<Pin<KBox<Table<Flow>>>> {
        let t = KBox::pin_init(
            Table::new(c"ipvs_rs_test_rcuhash", kernel::static_lock_class!())?,
            GFP_KERNEL,
        )?;
        t.ensure()?;
        Ok(t)
    }

    /// Inserts `key` with its timer far away; whether it went in (not a duplicate).
    fn insert(
        t: &Table<Flow>,
        key: u32,
        hashes: [u32; 2],
        drops: &'static Atomic<u32>,
    ) -> Result<bool> {
        let e = flow(key, hashes, 0, drops)?;
        let g = rcu::read_lock();
        let far = time::jiffies() + 100 * time::hz();
        let (_, added) = t.insert_unique(&g, e, far, usize::MAX, |x| x.key == key)?;
        Ok(added)
    }

    /// How many of the keys `0..n` (hashed by `hashes`) are found in both chains.
    fn found_both(t: &Table<Flow>, n: u32, hashes: impl Fn(u32) -> [u32; 2]) -> u32 {
        let g = rcu::read_lock();
        (0..n)
            .filter(|&k| {
                let h = hashes(k);
                t.find(&g, Chain::In, h[0], |e| e.key == k).is_some()
                    && t.find(&g, Chain::Out, h[1], |e| e.key == k).is_some()
            })
            .count() as u32
    }

    #[test]
    fn two_chains_through_resizes() -> Result {
        static DROPS: Atomic<u32> = Atomic::new(0);
        const N: u32 = 500;
        // Pairs of keys share their `In` chain; `Out` chains spread differently.
        let hashes = |k: u32| {
            [
                (k / 2).wrapping_mul(2654435761),
                k.wrapping_mul(40503) ^ 0x5bd1,
            ]
        };
        let t = table()?;
        check!(t.size() == 1 << MIN_BITS);
        for k in 0..N {
            check!(insert(&t, k, hashes(k), &DROPS)?);
        }
        // A second entry with a key already in its chain is refused (and dropped).
        check!(!insert(&t, 7, hashes(7), &DROPS)?);
        check!(DROPS.load(Relaxed) == 1);
        check!(t.count() == N as usize);
        check!(found_both(&t, N, hashes) == N);
        for bits in [12, 9, MIN_BITS] {
            t.resize(bits)?;
            check!(t.size() == 1 << bits);
            check!(t.count() == N as usize);
            check!(found_both(&t, N, hashes) == N);
        }
        let mut seen = 0;
        t.for_each(&rcu::read_lock(), |_| seen += 1);
        check!(seen == N);
        t.drain();
        check!(t.count() == 0);
        check!(found_both(&t, N, hashes) == 0);
        rcu::rcu_barrier();
        check!(DROPS.load(Relaxed) == N + 1);
        Ok(())
    }

    /// Whether `key` (hashed to itself) is in the table.
    fn has(t: &Table<Flow>, key: u32) -> bool {
        t.find(&rcu::read_lock(), Chain::In, key, |e| e.key == key)
            .is_some()
    }

    /// Waits up to `secs` seconds for `cond`.
    fn wait(secs: u32, cond: impl Fn() -> bool) -> bool {
        for _ in 0..secs * 100 {
            if cond() {
                return true;
            }
            fsleep(Delta::from_millis(10));
        }
        cond()
    }

    #[test]
    fn timers_remove_entries_during_resizes() -> Result {
        static DROPS: Atomic<u32> = Atomic::new(0);
        const N: u32 = 300;
        let t = table()?;
        let (now, hz) = (time::jiffies(), time::hz());
        // Entry k is due, and its timer set, between 0.2 and 1.2 s from now, spread evenly (late
        // enough that a slow, loaded debug kernel has them all in before the first is due): the
        // timers take them out in softirq context, chains locked, while this thread moves them
        // between tables.
        let mut flows = KVec::with_capacity(N as usize, GFP_KERNEL)?;
        for k in 0..N {
            let due = now + hz / 5 + u64::from(k) * hz / u64::from(N);
            flows.push(
                (flow(k, [k.wrapping_mul(2654435761), k], due, &DROPS)?, due),
                GFP_KERNEL,
            )?;
        }
        {
            let g = rcu::read_lock();
            for (f, due) in flows.drain_all() {
                t.insert_unique(&g, f, due, usize::MAX, |_| false)?;
            }
        }
        let mut rounds = 0;
        while t.count() > 0 && time::jiffies() < now + 10 * hz {
            for bits in [11, MIN_BITS, 9] {
                t.resize(bits)?;
                // Whatever is still in must be found through both of its chains.
                let g = rcu::read_lock();
                let mut lost = 0;
                t.for_each(&g, |e| {
                    let h = e.hashes;
                    let both = t.find(&g, Chain::In, h[0], |x| x.key == e.key).is_some()
                        && t.find(&g, Chain::Out, h[1], |x| x.key == e.key).is_some();
                    // (An entry its timer removed meanwhile is found in neither.)
                    if !both && e.links.hashed.load(Relaxed) {
                        lost += 1;
                    }
                });
                drop(g);
                check!(lost == 0);
            }
            rounds += 1;
        }
        check!(t.count() == 0 && rounds > 0);
        drop(t);
        rcu::rcu_barrier();
        check!(DROPS.load(Relaxed) == N);
        Ok(())
    }

    #[test]
    fn timers_expire_entries() -> Result {
        static DROPS: Atomic<u32> = Atomic::new(0);
        let t = table()?;
        let now = time::jiffies();
        let hz = time::hz();
        let flows = [
            flow(1, [1, 1], now, &DROPS)?,
            flow(2, [2, 2], now + hz / 5, &DROPS)?,
            flow(3, [3, 3], now, &DROPS)?,
            flow(4, [4, 4], 0, &DROPS)?,
        ];
        // 1: due now, timer now: goes at once. 2: timer now, but agrees to go only 200 ms
        // later: re-armed until then. 3: due now, timer in 100 s, brought forward by `arm`.
        // 4: never due: only the drain takes it.
        let timers = [now, now, now + 100 * hz, now];
        let g = rcu::read_lock();
        let mut third = None;
        for (f, at) in flows.into_iter().zip(timers) {
            let (e, _) = t.insert_unique(&g, f, at, usize::MAX, |_| false)?;
            if e.key == 3 {
                third = Some(e);
            }
        }
        let c = third.ok_or(ENOENT)?;
        t.arm(&c, now);
        drop(g);
        check!(wait(10, || !has(&t, 1) && !has(&t, 3)));
        // Not before it agrees to.
        check!(has(&t, 2) || time::jiffies() >= now + hz / 5);
        check!(wait(30, || !has(&t, 2)));
        check!(has(&t, 4) && t.count() == 1);
        drop(t);
        rcu::rcu_barrier();
        check!(DROPS.load(Relaxed) == 4);
        Ok(())
    }
}
