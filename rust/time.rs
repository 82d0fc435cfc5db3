// SPDX-License-Identifier: GPL-2.0

//! Reading `jiffies`.

use super::shim;
use kernel::bindings;

// `jiffies` is read in one access below.
const _: () = assert!(core::mem::size_of::<kernel::ffi::c_ulong>() == 8);

/// The current `jiffies`.
pub(crate) fn jiffies() -> u64 {
    // SAFETY: `jiffies` is a kernel global that lives forever; the timer interrupt updates it,
    // so it is read volatile (as C's `volatile` declaration does), without a reference. An
    // unsigned long is read in one access on 64-bit kernels.
    (unsafe { core::ptr::read_volatile(&raw const bindings::jiffies) }) as u64
}

/// Ticks per second (`HZ`).
pub(crate) fn hz() -> u64 {
    // SAFETY: Returns a constant.
    u64::from(unsafe { shim::ipvs_rs_hz() })
}
