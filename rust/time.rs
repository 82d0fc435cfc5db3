// SPDX-License-Identifier: GPL-2.0

//! Reading `jiffies`.

use super::shim;

/// The current `jiffies`.
pub(crate) fn jiffies() -> u64 {
    // SAFETY: Reads a kernel global.
    (unsafe { shim::ipvs_rs_jiffies() }) as u64
}

/// Ticks per second (`HZ`).
pub(crate) fn hz() -> u64 {
    // SAFETY: Returns a constant.
    u64::from(unsafe { shim::ipvs_rs_hz() })
}
