// SPDX-License-Identifier: GPL-2.0

//! The functions the C shim calls by name, defined for the crate's state type.

/// Defines the functions the C shim calls by name (its pernet operations, netfilter hook table,
/// genetlink operations, socket options and `/proc` show) for the per-namespace state type
/// `$state`, which implements the glue's handler traits. Invoked once, in the crate root.
macro_rules! entry_points {
    ($state:ty) => {
        /// The shim's pernet init.
        ///
        /// # Safety
        ///
        /// As [`net_init`](crate::rust::pernet::net_init).
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_net_init(
            net: *mut $crate::rust::shim::RawNet,
        ) -> *mut kernel::ffi::c_void {
            // SAFETY: The shim's pernet init passes its namespace (function contract).
            unsafe { $crate::rust::pernet::net_init::<$state>(net) }
        }

        /// The shim's pernet exit.
        ///
        /// # Safety
        ///
        /// As [`net_exit`](crate::rust::pernet::net_exit).
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_net_exit(
            net: *mut $crate::rust::shim::RawNet,
            data: *mut kernel::ffi::c_void,
        ) {
            // SAFETY: The shim passes the state `ipvs_rs_net_init` made, once.
            unsafe { $crate::rust::pernet::net_exit::<$state>(net, data) }
        }

        /// The shim's pernet pre_exit.
        ///
        /// # Safety
        ///
        /// As [`net_pre_exit`](crate::rust::pernet::net_pre_exit).
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_net_pre_exit(data: *mut kernel::ffi::c_void) {
            // SAFETY: The shim passes the namespace's live state, or NULL (function contract).
            unsafe { $crate::rust::pernet::net_pre_exit::<$state>(data) }
        }

        /// The shim's per-namespace tick.
        ///
        /// # Safety
        ///
        /// As [`net_tick`](crate::rust::pernet::net_tick).
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_net_tick(data: *mut kernel::ffi::c_void) {
            // SAFETY: The shim's tick work passes the live state (function contract).
            unsafe { $crate::rust::pernet::net_tick::<$state>(data) }
        }

        /// The shim's per-namespace resize work.
        ///
        /// # Safety
        ///
        /// As [`net_resize`](crate::rust::pernet::net_resize).
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_net_resize(data: *mut kernel::ffi::c_void) {
            // SAFETY: The shim's resize work passes the live state or NULL (function contract).
            unsafe { $crate::rust::pernet::net_resize::<$state>(data) }
        }

        /// The shim's handler of the sysctl files whose writes Rust decides.
        ///
        /// # Safety
        ///
        /// As [`sysctl_write`](crate::rust::pernet::sysctl_write).
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_sysctl_write(
            data: *mut kernel::ffi::c_void,
            which: u32,
            vals: *mut kernel::ffi::c_int,
            count: u32,
            privileged: bool,
        ) -> kernel::ffi::c_int {
            // SAFETY: The shim's handler passes the live state and its parsed values.
            unsafe {
                $crate::rust::pernet::sysctl_write::<$state>(data, which, vals, count, privileged)
            }
        }

        /// The shim's netdevice notifier, for a device going down.
        ///
        /// # Safety
        ///
        /// As [`netdev_down`](crate::rust::pernet::netdev_down).
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_netdev_down(data: *mut kernel::ffi::c_void) {
            // SAFETY: The shim's notifier passes the state slot's value under RTNL.
            unsafe { $crate::rust::pernet::netdev_down::<$state>(data) }
        }

        /// The shim's request-direction hooks.
        ///
        /// # Safety
        ///
        /// The arguments must be those of a netfilter hook call.
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_hook_in(
            _priv: *mut kernel::ffi::c_void,
            skb: *mut $crate::rust::shim::RawSkb,
            state: *const $crate::rust::shim::RawHookState,
        ) -> kernel::ffi::c_uint {
            use $crate::rust::netfilter::{hook, Handler};
            // SAFETY: Called by netfilter with a hook's arguments.
            unsafe { hook(skb, state, <$state as Handler>::hook_in) }
        }

        /// The shim's reply-direction hooks.
        ///
        /// # Safety
        ///
        /// The arguments must be those of a netfilter hook call.
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_hook_out(
            _priv: *mut kernel::ffi::c_void,
            skb: *mut $crate::rust::shim::RawSkb,
            state: *const $crate::rust::shim::RawHookState,
        ) -> kernel::ffi::c_uint {
            use $crate::rust::netfilter::{hook, Handler};
            // SAFETY: Called by netfilter with a hook's arguments.
            unsafe { hook(skb, state, <$state as Handler>::hook_out) }
        }

        /// The shim's FORWARD hook for ICMP errors about connections.
        ///
        /// # Safety
        ///
        /// The arguments must be those of a netfilter hook call.
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_hook_fwd_icmp(
            _priv: *mut kernel::ffi::c_void,
            skb: *mut $crate::rust::shim::RawSkb,
            state: *const $crate::rust::shim::RawHookState,
        ) -> kernel::ffi::c_uint {
            use $crate::rust::netfilter::{hook, Handler};
            // SAFETY: Called by netfilter with a hook's arguments.
            unsafe { hook(skb, state, <$state as Handler>::hook_fwd_icmp) }
        }

        /// The doit of every command of the family.
        ///
        /// # Safety
        ///
        /// `info` must be the `genl_info` of a running doit call.
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_genl_doit(
            _skb: *mut $crate::rust::shim::RawSkb,
            info: *mut $crate::rust::shim::RawGenlInfo,
        ) -> kernel::ffi::c_int {
            // SAFETY: Called by genetlink with a doit's arguments.
            unsafe { $crate::rust::genl::doit::<$state>(info) }
        }

        /// The dumpit of every dump command of the family.
        ///
        /// # Safety
        ///
        /// `skb` and `cb` must be the arguments of a running dumpit call.
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_genl_dumpit(
            skb: *mut $crate::rust::shim::RawSkb,
            cb: *mut $crate::rust::shim::RawNlCb,
        ) -> kernel::ffi::c_int {
            // SAFETY: Called by genetlink with a dumpit's arguments.
            unsafe { $crate::rust::genl::dumpit::<$state>(skb, cb) }
        }

        /// The set handler of the legacy socket options.
        ///
        /// # Safety
        ///
        /// As [`set`](crate::rust::sockopt::set).
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_sockopt_set(
            net: *mut $crate::rust::shim::RawNet,
            privileged: bool,
            cmd: kernel::ffi::c_int,
            arg: *const kernel::ffi::c_void,
            len: kernel::ffi::c_uint,
        ) -> kernel::ffi::c_int {
            // SAFETY: Called by the shim's set handler with its call's arguments.
            unsafe { $crate::rust::sockopt::set::<$state>(net, privileged, cmd, arg, len) }
        }

        /// The get handler of the legacy socket options.
        ///
        /// # Safety
        ///
        /// As [`get`](crate::rust::sockopt::get).
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_sockopt_get(
            net: *mut $crate::rust::shim::RawNet,
            privileged: bool,
            cmd: kernel::ffi::c_int,
            user: *mut kernel::ffi::c_void,
            len: *mut kernel::ffi::c_int,
        ) -> kernel::ffi::c_int {
            // SAFETY: Called by the shim's get handler with its call's arguments.
            unsafe { $crate::rust::sockopt::get::<$state>(net, privileged, cmd, user, len) }
        }

        /// The show of every `/proc/net` file.
        ///
        /// # Safety
        ///
        /// `seq` must be the `seq_file` of a running show call and `net` its namespace.
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_proc_show(
            seq: *mut $crate::rust::shim::RawSeqFile,
            net: *mut $crate::rust::shim::RawNet,
            kind: kernel::ffi::c_long,
        ) -> kernel::ffi::c_int {
            // SAFETY: Called by the shim's single_show with its arguments.
            unsafe { $crate::rust::proc::show::<$state>(seq, net, kind) }
        }

        /// The start of a `/proc/net` file read record by record.
        ///
        /// # Safety
        ///
        /// `net` must be the reader's namespace and `cur` the cursor in its `seq_file`.
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_proc_seek(
            net: *mut $crate::rust::shim::RawNet,
            kind: kernel::ffi::c_long,
            cur: *mut $crate::rust::proc::Cursor,
            pos: u64,
        ) -> bool {
            // SAFETY: Called by the shim's seq_file start with its arguments.
            unsafe { $crate::rust::proc::seek::<$state>(net, kind, cur, pos) }
        }

        /// The next record of a `/proc/net` file read record by record.
        ///
        /// # Safety
        ///
        /// As for `ipvs_rs_proc_seek`.
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_proc_advance(
            net: *mut $crate::rust::shim::RawNet,
            kind: kernel::ffi::c_long,
            cur: *mut $crate::rust::proc::Cursor,
            pos: u64,
        ) -> bool {
            // SAFETY: Called by the shim's seq_file next with its arguments.
            unsafe { $crate::rust::proc::advance::<$state>(net, kind, cur, pos) }
        }

        /// The show of one record of a `/proc/net` file read record by record.
        ///
        /// # Safety
        ///
        /// `seq` must be the `seq_file` of a running show call, `net` its namespace and `cur`
        /// the cursor in it.
        #[no_mangle]
        unsafe extern "C" fn ipvs_rs_proc_record(
            seq: *mut $crate::rust::shim::RawSeqFile,
            net: *mut $crate::rust::shim::RawNet,
            kind: kernel::ffi::c_long,
            cur: *const $crate::rust::proc::Cursor,
        ) -> kernel::ffi::c_int {
            // SAFETY: Called by the shim's seq_file show with its arguments.
            unsafe { $crate::rust::proc::record::<$state>(seq, net, kind, cur) }
        }
    };
}
pub(crate) use entry_points;
