// SPDX-License-Identifier: GPL-2.0

//! Host twin of the module's `rust/avec.rs`: the same API over `Vec`, so that the pure modules
//! compile unchanged. Allocation cannot fail here.

use std::ops::{Deref, DerefMut};

/// Stands in for `kernel::alloc::AllocError`.
#[derive(Debug)]
pub struct AllocError;

/// A `Vec` with `rust/avec.rs`'s API.
#[derive(Debug)]
pub struct AVec<T>(Vec<T>);

impl<T> Default for AVec<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> AVec<T> {
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    pub fn push(&mut self, v: T) -> Result<(), AllocError> {
        self.0.push(v);
        Ok(())
    }

    pub fn remove(&mut self, i: usize) -> Option<T> {
        (i < self.0.len()).then(|| self.0.remove(i))
    }

    pub fn retain(&mut self, mut f: impl FnMut(&mut T) -> bool) {
        self.0.retain_mut(|x| f(x))
    }

    pub fn clear(&mut self) {
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
