// SPDX-License-Identifier: GPL-2.0

//! The kernel glue of ipvs_rs: the only place with FFI and `unsafe`.
//!
//! Each file wraps one kernel facility in a safe API; `ipvs_shim.c` holds what Rust cannot
//! reach through `kernel::bindings` (static inlines, macros and C tables).

pub(crate) mod avec;
pub(crate) mod genl;
pub(crate) mod netfilter;
pub(crate) mod percpu;
pub(crate) mod pernet;
pub(crate) mod proc;
pub(crate) mod random;
pub(crate) mod rcuhash;
pub(crate) mod rcuindex;
pub(crate) mod route;
pub(crate) mod shim;
pub(crate) mod skb;
pub(crate) mod sync;
pub(crate) mod time;
