// SPDX-License-Identifier: GPL-2.0

//! The system's memory, as the DoS defences see it.

use kernel::bindings;

/// Free and buffer pages (C IPVS's `availmem`: `si_meminfo`'s `freeram + bufferram`).
pub(crate) fn available_pages() -> usize {
    let mut i = core::mem::MaybeUninit::<bindings::sysinfo>::zeroed();
    // SAFETY: `si_meminfo` fills the `struct sysinfo` it is given, which `i` is (zeroed, so
    // every field is initialised whatever it fills).
    unsafe { bindings::si_meminfo(i.as_mut_ptr()) };
    // SAFETY: Zeroed, then filled: every field holds an integer.
    let i = unsafe { i.assume_init() };
    i.freeram.saturating_add(i.bufferram)
}
