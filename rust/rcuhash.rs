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
//!
//! C: the pattern of `net/netfilter/ipvs/ip_vs_conn.c` (hlist_bl buckets, `ip_vs_rht`), built
//! from singly linked chains so that no entry is ever moved under a reader.

use super::sync::{cond_resched, LockArray};
use core::ptr::null_mut;
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
pub(crate) trait Entry: Send + Sync + Sized {
    /// The entry's links (embedded in it).
    fn links(&self) -> &Links<Self>;
    /// The entry's hash in `chain`; it must never change.
    fn hash(&self, chain: Chain) -> u32;
}

/// The links of one entry: two per chain (one set for the current table, one for the table a
/// resize builds) and what `call_rcu` needs.
#[repr(C)]
pub(crate) struct Links<T> {
    /// First field: the RCU callback finds the links from it.
    rcu: Opaque<bindings::callback_head>,
    /// The entry itself, recorded for the RCU callback.
    owner: Atomic<*mut T>,
    /// Linked into the table (guarded by the entry's chain locks).
    hashed: Atomic<bool>,
    /// `next[set][chain]`.
    next: [[Atomic<*mut T>; 2]; 2],
}

impl<T> Links<T> {
    /// Links of an entry that is in no table yet.
    pub(crate) fn new() -> Self {
        Self {
            rcu: Opaque::uninit(),
            owner: Atomic::new(null_mut()),
            hashed: Atomic::new(false),
            next: [[Atomic::new(null_mut()), Atomic::new(null_mut())], [Atomic::new(null_mut()), Atomic::new(null_mut())]],
        }
    }
}

// SAFETY: The RCU head is only handed to `call_rcu`, once, after the entry was unlinked; every
// other field is an atomic.
unsafe impl<T> Sync for Links<T> {}
// SAFETY: As above: nothing in the links is tied to a thread.
unsafe impl<T> Send for Links<T> {}

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
            heads.push([Atomic::new(null_mut()), Atomic::new(null_mut())], GFP_KERNEL)?;
        }
        let b = KBox::new(Buckets { set, mask: (n - 1) as u32, heads, next: Atomic::new(null_mut()) }, GFP_KERNEL)?;
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

/// The hash table.
pub(crate) struct Table<T: Entry> {
    /// The published generation (null until [`Table::ensure`]).
    cur: Atomic<*mut Buckets<T>>,
    /// Writer locks.
    locks: LockArray,
    /// During a resize: which locks' chains were moved to the new generation.
    moved: KVec<Atomic<bool>>,
    /// Number of entries.
    count: Atomic<usize>,
}

/// Takes back the table's reference of an unlinked entry, after a grace period.
///
/// # Safety
///
/// `head` is the `rcu` field of the [`Links`] of an entry whose `owner` was set by
/// [`Table::remove`], passed to `call_rcu` once.
unsafe extern "C" fn release<T: Entry>(head: *mut bindings::callback_head) {
    // SAFETY: `rcu` is the first field of the `repr(C)` links (see the function's contract).
    let links = unsafe { &*head.cast::<Links<T>>() };
    let owner = links.owner.load(Relaxed);
    // SAFETY: `owner` is the pointer `Arc::into_raw` gave when the entry was inserted; that
    // reference is given back here only, once, after every reader that could reach it left.
    drop(unsafe { Arc::from_raw(owner) });
}

impl<T: Entry> Table<T> {
    /// An empty table without buckets; lock names the writer locks for lockdep.
    pub(crate) fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> Result<Self> {
        let mut moved = KVec::with_capacity(LOCKS, GFP_KERNEL)?;
        for _ in 0..LOCKS {
            moved.push(Atomic::new(false), GFP_KERNEL)?;
        }
        Ok(Self { cur: Atomic::new(null_mut()), locks: LockArray::new(LOCKS, name, key)?, moved, count: Atomic::new(0) })
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

    /// Inserts `e` unless `same` accepts an entry of `e`'s `In` chain: returns the entry now in
    /// the table and whether it is `e`. Fails only when the table has no buckets.
    pub(crate) fn insert_unique<'a>(
        &'a self,
        g: &'a rcu::Guard,
        e: Arc<T>,
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
        for (chain, k) in [(Chain::In, ki), (Chain::Out, ko)] {
            b.link(chain, &e);
            if let Some(n) = self.moved_to(b, k) {
                n.link(chain, &e);
            }
        }
        e.links().hashed.store(true, Relaxed);
        self.count.add(1, Relaxed);
        // The table's reference: given back by `release`.
        let raw = Arc::into_raw(e);
        // SAFETY: The table holds the reference just leaked until a grace period after the
        // entry is unlinked, which cannot end within the read section of `g`.
        Ok((unsafe { ArcBorrow::from_raw(raw) }, true))
    }

    /// Unlinks `e` from its chains and releases the table's reference after a grace period.
    /// Returns false if it was not in the table.
    pub(crate) fn remove(&self, e: &T) -> bool {
        let g = rcu::read_lock();
        let Some(b) = self.current(&g) else {
            return false;
        };
        let (ki, ko) = (e.hash(Chain::In) as usize % LOCKS, e.hash(Chain::Out) as usize % LOCKS);
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
        links.owner.store(core::ptr::from_ref(e).cast_mut(), Relaxed);
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

impl<T: Entry> Drop for Table<T> {
    fn drop(&mut self) {
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
