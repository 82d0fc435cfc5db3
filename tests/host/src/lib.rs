// SPDX-License-Identifier: GPL-2.0

//! Host-side tests of ipvs_rs's pure logic.
//!
//! The module's pure files (no `kernel::` imports, only `core`) are compiled here unchanged via
//! `#[path]`, in a module tree that mirrors the kernel crate's so that their `super::` paths
//! resolve. Their items are `pub(crate)`, so the tests live in this crate (`tests_*.rs`).
//!
//! Paths are relative to `src/`. A `#[path]` on an inline module block sets the directory its
//! submodules are read from, so `ipvs_ctl { mod nlattr; }` reads `<module tree>/ipvs_ctl/nlattr.rs`
//! without needing a `src/ipvs_ctl/` directory here. The wholly pure `ipvs_proto` and
//! `ipvs_sched` are symbolic links to the module's files and folders.

// Not every item of the pure files is used by the tests.
#![allow(dead_code)]

/// `ipvs_ctl.rs`'s pure submodules.
#[path = "../../../ipvs_ctl"]
pub mod ipvs_ctl {
    pub mod defense;
    pub mod est;
    pub mod msg;
    pub mod nlattr;
    pub mod procfmt;
    pub mod sockopt;
    pub mod sysctl;
    pub mod table;
    pub mod uapi;
}

/// `ipvs_conn.rs`'s pure submodules.
#[path = "../../../ipvs_conn"]
pub mod ipvs_conn {
    pub mod flow;
    pub mod jhash;
    pub mod persist;
    pub mod show;
    pub mod sizing;
}

/// `ipvs_app.rs`'s pure submodule.
#[path = "../../../ipvs_app"]
pub mod ipvs_app {
    pub mod ftp;
}

/// `ipvs_sync.rs`'s pure submodules.
#[path = "../../../ipvs_sync"]
pub mod ipvs_sync {
    pub mod policy;
    pub mod wire;
}

/// `ipvs_xmit.rs`'s pure submodule.
#[path = "../../../ipvs_xmit"]
pub mod ipvs_xmit {
    pub mod encap;
}

/// Stand-ins for the module's kernel glue that pure code may use (`crate::rust::...`).
pub mod rust {
    pub use super::avec;
}
pub mod avec;
pub mod bench;

// Whole pure modules: `ipvs_proto.rs` and `ipvs_proto/` (likewise `ipvs_sched`) are linked
// here, so their submodules resolve as in the kernel crate (a file loaded through `#[path]`
// would look for its submodules beside itself, not in its folder).
pub mod ipvs_proto;
pub mod ipvs_sched;

#[cfg(test)]
mod tests_conn_show;
#[cfg(test)]
mod tests_encap;
#[cfg(test)]
mod tests_flow;
#[cfg(test)]
mod tests_ftp;
#[cfg(test)]
mod tests_icmp;
#[cfg(test)]
mod tests_inet;
#[cfg(test)]
mod tests_jhash;
#[cfg(test)]
mod tests_msg;
#[cfg(test)]
mod tests_nlattr;
#[cfg(test)]
mod tests_persist;
#[cfg(test)]
mod tests_procfmt;
#[cfg(test)]
mod tests_proto;
#[cfg(test)]
mod tests_sched_families;
#[cfg(test)]
mod tests_sched_locality_mh;
#[cfg(test)]
mod tests_sched_rr;
#[cfg(test)]
mod tests_sched_weighted;
#[cfg(test)]
mod tests_sctp;
#[cfg(test)]
mod tests_sip;
#[cfg(test)]
mod tests_sizing;
#[cfg(test)]
mod tests_sockopt;
#[cfg(test)]
mod tests_sync;
#[cfg(test)]
mod tests_sysctl;
#[cfg(test)]
mod tests_table;
#[cfg(test)]
mod tests_tcp;
