// SPDX-License-Identifier: GPL-2.0

//! The system's memory, as the DoS defences and the connection table's size limit see it.
//!
//! Process context only: `si_meminfo` counts the block devices' pages under a lock that is not
//! taken with bottom halves off (lockdep reports a use from the packet path as an inconsistent
//! lock state).

use kernel::bindings;

/// `si_meminfo`'s view of memory (in pages).
fn meminfo() -> bindings::sysinfo {
    let mut i = core::mem::MaybeUninit::<bindings::sysinfo>::zeroed();
    // SAFETY: `si_meminfo` fills the `struct sysinfo` it is given, which `i` is (zeroed, so
    // every field is initialised whatever it fills).
    unsafe { bindings::si_meminfo(i.as_mut_ptr()) };
    // SAFETY: Zeroed, then filled: every field holds an integer.
    unsafe { i.assume_init() }
}

/// Free and buffer pages (C IPVS's `availmem`: `si_meminfo`'s `freeram + bufferram`).
pub(crate) fn available_pages() -> usize {
    let i = meminfo();
    i.freeram.saturating_add(i.bufferram)
}

/// The machine's RAM, in pages (`totalram_pages()`).
pub(crate) fn total_pages() -> usize {
    meminfo().totalram
}

/// log2 of the page size.
pub(crate) const PAGE_SHIFT: u32 = bindings::PAGE_SHIFT;
