// SPDX-License-Identifier: GPL-2.0

//! A reference to this module, which keeps it loaded while something outlives the call that
//! made it (a running sync daemon, as C IPVS's `ip_vs_use_count_inc`).
//!
//! C header: [`include/linux/module.h`](srctree/include/linux/module.h)

use super::shim;

/// Holds the module loaded until dropped.
pub(crate) struct ModuleRef(());

impl ModuleRef {
    /// A new reference; `None` while the module is being unloaded.
    pub(crate) fn get() -> Option<Self> {
        // SAFETY: Takes a reference to this module, which is loaded while its code runs.
        unsafe { shim::ipvs_rs_module_get() }.then_some(Self(()))
    }
}

impl Drop for ModuleRef {
    fn drop(&mut self) {
        // SAFETY: Drops the reference `get` took.
        unsafe { shim::ipvs_rs_module_put() }
    }
}
