// SPDX-License-Identifier: GPL-2.0

//! Declarations of the C shim (`rust/ipvs_shim.h`). Keep in step with that header.
//!
//! The C types appear here only behind pointers, as opaque types, so no Rust code depends on
//! the layout of a kernel structure.

use kernel::ffi::{c_int, c_long, c_uint, c_void};

/// Declares opaque C types that are only ever used behind pointers.
macro_rules! opaque {
    ($($(#[$m:meta])* $name:ident;)*) => {$(
        $(#[$m])*
        #[repr(C)]
        pub(crate) struct $name {
            _data: [u8; 0],
            _pin: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
        }
    )*};
}

opaque! {
    /// `struct sk_buff`.
    RawSkb;
    /// `struct net`.
    RawNet;
    /// `struct genl_info`.
    RawGenlInfo;
    /// `struct netlink_callback`.
    RawNlCb;
    /// `struct nf_hook_state`.
    RawHookState;
    /// `struct seq_file`.
    RawSeqFile;
    /// `struct ipvs_rs_route_cache` (the shim's own type).
    RawRouteCache;
}

/// `struct ipvs_rs_skb_view` (the shim's own type): what the packet path reads of an
/// `sk_buff`, filled in one call.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct SkbView {
    /// `skb->data`.
    pub(crate) data: *mut u8,
    /// `skb->len`.
    pub(crate) len: u32,
    /// `skb_headlen()`: the linear part's length.
    pub(crate) headlen: u32,
    /// `skb_network_offset()`.
    pub(crate) network_offset: i32,
    /// `skb->pkt_type`.
    pub(crate) pkt_type: u8,
    /// Whether the packet has a route attached.
    pub(crate) has_dst: bool,
    /// `skb->ipvs_property`.
    pub(crate) ipvs_property: bool,
    /// `skb->ip_summed == CHECKSUM_PARTIAL`.
    pub(crate) csum_partial: bool,
    /// `skb->mark`.
    pub(crate) mark: u32,
}

/// `IPVS_RS_RT_KNOWN_NH`: the destination is the next hop (direct routing).
pub(crate) const ROUTE_KNOWN_NH: c_uint = 1;
/// `IPVS_RS_RT_ICMP`: an ICMP error relayed (never "fragmentation needed").
pub(crate) const ROUTE_ICMP: c_uint = 2;
/// `IPVS_RS_RT_PMTU_DISC`: tunnels keep DF and check the path MTU.
pub(crate) const ROUTE_PMTU_DISC: c_uint = 4;
/// `IPVS_RS_RT_REDIRECT`: NAT may turn a forwarded packet to this host.
pub(crate) const ROUTE_REDIRECT: c_uint = 8;
/// `IPVS_RS_RT_NON_LOCAL`: never to this host (cache bypass).
pub(crate) const ROUTE_NON_LOCAL: c_uint = 16;

extern "C" {
    pub(crate) fn ipvs_rs_genl_register() -> c_int;
    pub(crate) fn ipvs_rs_genl_unregister();
    pub(crate) fn ipvs_rs_genl_info_cmd(info: *const RawGenlInfo) -> u8;
    pub(crate) fn ipvs_rs_genl_info_attrs(info: *const RawGenlInfo, len: *mut u32) -> *const u8;
    pub(crate) fn ipvs_rs_genl_info_net(info: *const RawGenlInfo) -> *mut RawNet;
    pub(crate) fn ipvs_rs_genl_reply(
        info: *mut RawGenlInfo,
        cmd: u8,
        buf: *const c_void,
        len: u32,
    ) -> c_int;
    pub(crate) fn ipvs_rs_cb_cmd(cb: *const RawNlCb) -> u8;
    pub(crate) fn ipvs_rs_cb_attrs(cb: *const RawNlCb, len: *mut u32) -> *const u8;
    pub(crate) fn ipvs_rs_cb_net(cb: *const RawNlCb) -> *mut RawNet;
    pub(crate) fn ipvs_rs_cb_args(cb: *mut RawNlCb) -> *mut c_long;
    pub(crate) fn ipvs_rs_dump_put(
        skb: *mut RawSkb,
        cb: *mut RawNlCb,
        cmd: u8,
        buf: *const c_void,
        len: u32,
    ) -> c_int;

    pub(crate) fn ipvs_rs_pernet_register() -> c_int;
    pub(crate) fn ipvs_rs_pernet_unregister();
    pub(crate) fn ipvs_rs_net_data(net: *const RawNet) -> *mut c_void;
    pub(crate) fn ipvs_rs_sysctls(net: *mut RawNet, count: *mut u32) -> *mut c_int;
    pub(crate) fn ipvs_rs_net_is_init(net: *mut RawNet) -> bool;
    pub(crate) fn ipvs_rs_dev_exists(net: *mut RawNet, name: *const u8) -> bool;

    pub(crate) fn ipvs_rs_seq_write(seq: *mut RawSeqFile, buf: *const c_void, len: u32);

    pub(crate) fn ipvs_rs_hooks_register(net: *mut RawNet) -> c_int;
    pub(crate) fn ipvs_rs_hooks_unregister(net: *mut RawNet);
    pub(crate) fn ipvs_rs_hook_state(state: *const RawHookState, net: *mut *mut RawNet, hook: *mut u32) -> *mut c_void;

    pub(crate) fn ipvs_rs_skb_len(skb: *const RawSkb) -> u32;
    pub(crate) fn ipvs_rs_skb_view(skb: *const RawSkb, v: *mut SkbView);
    pub(crate) fn ipvs_rs_skb_copy_bits(
        skb: *const RawSkb,
        offset: c_int,
        to: *mut c_void,
        len: c_int,
    ) -> c_int;
    pub(crate) fn ipvs_rs_skb_make_writable(skb: *mut RawSkb, len: u32) -> c_int;
    pub(crate) fn ipvs_rs_skb_set_ipvs_property(skb: *mut RawSkb);
    pub(crate) fn ipvs_rs_skb_set_ignore_df(skb: *mut RawSkb);
    pub(crate) fn ipvs_rs_icmp_port_unreach(skb: *mut RawSkb);
    pub(crate) fn ipvs_rs_l4_csum_nat(
        skb: *mut RawSkb,
        csum_off: u32,
        from_addr: u32,
        to_addr: u32,
        from_port: u16,
        to_port: u16,
    );
    pub(crate) fn ipvs_rs_icmp_csum_ok(skb: *mut RawSkb, off: u32) -> bool;
    pub(crate) fn ipvs_rs_icmp_csum_set(skb: *mut RawSkb, off: u32);
    pub(crate) fn ipvs_rs_ip_send_check(skb: *mut RawSkb);

    pub(crate) fn ipvs_rs_route_cache_new() -> *mut RawRouteCache;
    pub(crate) fn ipvs_rs_route_cache_reset(c: *mut RawRouteCache);
    pub(crate) fn ipvs_rs_route_cache_free(c: *mut RawRouteCache);
    pub(crate) fn ipvs_rs_route4(
        net: *mut RawNet,
        cache: *mut RawRouteCache,
        skb: *mut RawSkb,
        daddr: u32,
        flags: c_uint,
        local: *mut bool,
    ) -> c_int;
    pub(crate) fn ipvs_rs_send4(net: *mut RawNet, skb: *mut RawSkb) -> c_uint;
    pub(crate) fn ipvs_rs_deliver_local(skb: *mut RawSkb, keep_sk: bool);
    pub(crate) fn ipvs_rs_gather_frags(net: *mut RawNet, skb: *mut RawSkb, hooknum: u32) -> c_int;
    pub(crate) fn ipvs_rs_tunnel_error(
        net: *mut RawNet,
        cache: *mut RawRouteCache,
        skb: *mut RawSkb,
        outer: u32,
        inner: u32,
        overhead: u32,
        icmp_type: u8,
        code: u8,
        info: u32,
    ) -> bool;
    pub(crate) fn ipvs_rs_tun_xmit(
        net: *mut RawNet,
        cache: *mut RawRouteCache,
        skb: *mut RawSkb,
        daddr: u32,
        flags: c_uint,
        kind: u8,
        tflags: u16,
        port: u16,
    ) -> c_uint;

    pub(crate) fn ipvs_rs_inet_addr_type(net: *mut RawNet, addr: u32) -> u32;
    pub(crate) fn ipvs_rs_port_requires_bind(net: *mut RawNet, port: u16) -> bool;
    pub(crate) fn ipvs_rs_ipv6_addr_type(addr: *const u8) -> u32;
    pub(crate) fn ipvs_rs_ipv6_is_local(net: *mut RawNet, addr: *const u8) -> bool;

    pub(crate) fn ipvs_rs_spin_lock_bh(lock: *mut kernel::bindings::spinlock_t);
    pub(crate) fn ipvs_rs_spin_unlock_bh(lock: *mut kernel::bindings::spinlock_t);
    pub(crate) fn ipvs_rs_spin_trylock_bh(lock: *mut kernel::bindings::spinlock_t) -> c_int;
    pub(crate) fn ipvs_rs_spin_lock2_bh(a: *mut kernel::bindings::spinlock_t, b: *mut kernel::bindings::spinlock_t);
    pub(crate) fn ipvs_rs_spin_unlock2_bh(a: *mut kernel::bindings::spinlock_t, b: *mut kernel::bindings::spinlock_t);
    pub(crate) fn ipvs_rs_cond_resched();
    pub(crate) fn ipvs_rs_pcpu_alloc(n: u32) -> *mut u64;
    pub(crate) fn ipvs_rs_pcpu_add2(ps: *const *mut u64, n: u32, i: u32, a: u64, j: u32, b: u64);
    pub(crate) fn ipvs_rs_pcpu_sum(p: *const u64, n: u32, out: *mut u64);
    pub(crate) fn ipvs_rs_timer_setup(
        t: *mut kernel::bindings::timer_list,
        f: Option<unsafe extern "C" fn(*mut kernel::bindings::timer_list)>,
    );
}
