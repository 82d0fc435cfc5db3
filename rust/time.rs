// SPDX-License-Identifier: GPL-2.0

//! Reading `jiffies`, and `HZ`.

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

/// Ticks per second: the kernel's `HZ`, which is `CONFIG_HZ` (`bindings::HZ` is the uapi
/// `USER_HZ`). Never zero, so dividing by it cannot fail.
const HZ: u64 = {
    assert!(bindings::CONFIG_HZ > 0);
    bindings::CONFIG_HZ as u64
};

/// Ticks per second ([`HZ`]).
pub(crate) const fn hz() -> u64 {
    HZ
}
