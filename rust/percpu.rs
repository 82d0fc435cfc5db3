// SPDX-License-Identifier: GPL-2.0

//! Per-CPU `u64` counters: each CPU adds to its own copy (`this_cpu_add`, safe against
//! softirqs and preemption), readers sum the copies.
//!
//! C header: [`include/linux/percpu.h`](srctree/include/linux/percpu.h)

use super::shim;
use core::ptr::NonNull;
use kernel::{bindings, prelude::*};

/// `N` counters per CPU.
pub(crate) struct PerCpuCounters<const N: usize> {
    /// A `u64 __percpu *` to `N` counters.
    ptr: NonNull<u64>,
}

// SAFETY: The per-CPU area is only touched through `this_cpu_*` operations and whole-area reads,
// which the kernel allows from any thread.
unsafe impl<const N: usize> Send for PerCpuCounters<N> {}
// SAFETY: As above.
unsafe impl<const N: usize> Sync for PerCpuCounters<N> {}

impl<const N: usize> PerCpuCounters<N> {
    /// Zeroed counters (process context: may sleep).
    pub(crate) fn new() -> Result<Self> {
        const { assert!(N > 0 && N <= 8) };
        // SAFETY: Plain allocation; the result is checked for NULL.
        let p = unsafe { shim::ipvs_rs_pcpu_alloc(N as u32) };
        NonNull::new(p).map(|ptr| Self { ptr }).ok_or(ENOMEM)
    }

    /// Adds `a` to counter `i` and `b` to counter `j` of each of `sets` on this CPU, in one
    /// call.
    pub(crate) fn add2<const K: usize>(sets: [&Self; K], i: usize, a: u64, j: usize, b: u64) {
        if i < N && j < N {
            let ptrs = sets.map(|s| s.ptr.as_ptr());
            // SAFETY: Each pointer is a live per-CPU area of `N` counters (the borrows keep
            // them alive), there are `K` of them, and `i`, `j` are in range.
            unsafe { shim::ipvs_rs_pcpu_add2(ptrs.as_ptr(), K as u32, i as u32, a, j as u32, b) }
        }
    }

    /// The counters summed over all CPUs.
    pub(crate) fn sum(&self) -> [u64; N] {
        let mut out = [0u64; N];
        // SAFETY: `ptr` is a live per-CPU area of `N` counters; `out` has room for `N`.
        unsafe { shim::ipvs_rs_pcpu_sum(self.ptr.as_ptr(), N as u32, out.as_mut_ptr()) };
        out
    }
}

impl<const N: usize> PerCpuCounters<N> {
    /// Calls `f` with each possible CPU's number and its copy of the counters, in CPU order.
    pub(crate) fn for_each_cpu(&self, mut f: impl FnMut(u32, [u64; N])) {
        let mut prev: i32 = -1;
        loop {
            // SAFETY: Reads the possible-CPU mask, which never changes.
            let cpu = unsafe { shim::ipvs_rs_cpu_next_possible(prev) };
            // SAFETY: Plain read of a boot-time constant.
            if cpu >= unsafe { bindings::nr_cpu_ids } {
                return;
            }
            let mut out = [0u64; N];
            // SAFETY: `ptr` is a live per-CPU area of `N` counters, `cpu` a possible CPU, and
            // `out` has room for `N`.
            unsafe { shim::ipvs_rs_pcpu_read(self.ptr.as_ptr(), N as u32, cpu, out.as_mut_ptr()) };
            f(cpu, out);
            let Ok(p) = i32::try_from(cpu) else {
                return;
            };
            prev = p;
        }
    }
}

impl<const N: usize> Drop for PerCpuCounters<N> {
    fn drop(&mut self) {
        // SAFETY: Allocated by `__alloc_percpu` and no longer used.
        unsafe { bindings::free_percpu(self.ptr.as_ptr().cast()) }
    }
}

#[cfg(ipvs_kunit)]
#[kernel::macros::kunit_tests(ipvs_rs_percpu)]
mod tests {
    use super::*;

    #[test]
    fn sums_of_sets() -> Result {
        let (a, b, c) = (
            PerCpuCounters::<5>::new()?,
            PerCpuCounters::<5>::new()?,
            PerCpuCounters::<5>::new()?,
        );
        check!(a.sum() == [0; 5]);
        for n in 1..=100u64 {
            PerCpuCounters::add2([&a, &b, &c], 0, 1, 3, n);
            PerCpuCounters::add2([&a], 4, 2, 1, u64::MAX);
        }
        check!(a.sum() == [100, 100u64.wrapping_mul(u64::MAX), 0, 5050, 200]);
        check!(b.sum() == [100, 0, 0, 5050, 0]);
        check!(c.sum() == b.sum());
        // An index out of range adds nothing.
        PerCpuCounters::add2([&b], 5, 1, 0, 1);
        PerCpuCounters::add2([&b], 0, 1, 5, 1);
        check!(b.sum() == [100, 0, 0, 5050, 0]);
        Ok(())
    }
}
