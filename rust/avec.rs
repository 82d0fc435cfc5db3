// SPDX-License-Identifier: GPL-2.0

//! A growable array for the packet path: every allocation is `GFP_ATOMIC` and may fail.
//!
//! The pure modules (schedulers) use it for their tables; the host tests compile them against
//! a `Vec`-backed twin with the same API (`tests/host/src/avec.rs`).

use core::ops::{Deref, DerefMut};
use kernel::alloc::{flags::GFP_ATOMIC, AllocError, KVec};

/// A `KVec` that only allocates atomically.
#[derive(Debug)]
pub(crate) struct AVec<T>(KVec<T>);

impl<T> Default for AVec<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> AVec<T> {
    /// An empty array (allocates nothing).
    pub(crate) const fn new() -> Self {
        Self(KVec::new())
    }

    /// Appends `v`, growing the array atomically.
    pub(crate) fn push(&mut self, v: T) -> Result<(), AllocError> {
        self.0.push(v, GFP_ATOMIC)
    }

    /// Removes and returns the element at `i` (shifting the rest), if there is one.
    pub(crate) fn remove(&mut self, i: usize) -> Option<T> {
        self.0.remove(i).ok()
    }

    /// Keeps only the elements `f` accepts.
    pub(crate) fn retain(&mut self, f: impl FnMut(&mut T) -> bool) {
        self.0.retain(f)
    }

    /// Drops every element (keeps the allocation).
    pub(crate) fn clear(&mut self) {
        self.0.clear()
    }
}

impl<T> Deref for AVec<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> DerefMut for AVec<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}
