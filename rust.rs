// SPDX-License-Identifier: GPL-2.0

//! The kernel glue of ipvs_rs: the only place with FFI and `unsafe`.
//!
//! Each file wraps one kernel facility in a safe API; `ipvs_shim.c` holds what Rust cannot
//! reach through `kernel::bindings` (static inlines, macros and C tables). The glue is generic
//! over the state it serves (the [`pernet::PernetState`], [`netfilter::Handler`],
//! [`genl::Handler`] and [`proc::Handler`] traits): the crate names its state type once, in
//! [`entry_points!`], and nothing here names the code above it but its vocabulary of
//! addresses: `ipvs_proto::inet`'s `Family` and `Addr`, plain values with no dependency of
//! their own (kernel-free, host-tested), which routes, packets, hooks and namespaces are
//! described in on both sides.

/// In a KUnit test that returns `Result`: unless `$cond` holds, reports it with its place in the
/// test's log and fails the test by returning, so that what the test holds is dropped (KUnit's
/// own `assert!` ends the test's thread where it stands: a table left with armed timers would
/// outlive the module).
#[cfg(ipvs_kunit)]
macro_rules! check {
    ($cond:expr) => {
        if !$cond {
            kernel::kunit::err(format_args!(
                "    # check failed at {}:{}: {}\n",
                file!(),
                line!(),
                stringify!($cond)
            ));
            return Err(kernel::error::code::EINVAL);
        }
    };
}

pub(crate) mod avec;
pub(crate) mod conntrack;
mod entry;
pub(crate) mod genl;
pub(crate) mod kthread;
pub(crate) mod mem;
pub(crate) mod modref;
pub(crate) mod netfilter;
pub(crate) mod params;
pub(crate) mod percpu;
pub(crate) mod pernet;
pub(crate) mod proc;
pub(crate) mod random;
pub(crate) mod rcubox;
pub(crate) mod rcuhash;
pub(crate) mod rcuindex;
pub(crate) mod route;
pub(crate) mod shim;
pub(crate) mod skb;
pub(crate) mod socket;
pub(crate) mod sockopt;
pub(crate) mod sync;
pub(crate) mod time;

pub(crate) use entry::entry_points;
