// SPDX-License-Identifier: GPL-2.0

//! ipvs_rs: the IP Virtual Server (Linux's in-kernel layer-4 load balancer) as a Rust module.
//!
//! It speaks the generic-netlink family `IPVS`, so the stock `ipvsadm` drives it. This file is
//! the crate root: it declares the module and its parts, and loads and unloads it.
//!
//! - [`ipvs_netns`]: the IPVS state of one network namespace, its tables and its 1 s tick.
//! - [`ipvs_core`]: the packet path (the netfilter hooks, scheduling, ICMP errors).
//! - [`ipvs_xmit`]: the transmitters (NAT, DR, tunnels, bypass) and the output route.
//! - [`ipvs_conn`]: connections and persistence templates.
//! - [`ipvs_ctl`]: the control plane (services, real servers, the `IPVS` genl commands).
//! - [`ipvs_sync`]: the connection synchronisation daemons (master and backup).
//! - [`ipvs_sched`], [`ipvs_proto`]: the schedulers and the protocols (pure code).
//! - [`rust`]: the kernel glue, the only place with FFI and `unsafe`.

use kernel::prelude::*;

mod ipvs_app;
mod ipvs_conn;
mod ipvs_core;
mod ipvs_ctl;
mod ipvs_netns;
mod ipvs_proto;
mod ipvs_sched;
mod ipvs_sync;
mod ipvs_xmit;
mod rust;

// The kernel's numbers that the pure modules spell out (they import nothing from `kernel::`),
// checked against the kernel's own when the module is built.
const _: () = {
    use kernel::bindings as k;
    assert!(ipvs_proto::inet::AF_INET as u32 == k::AF_INET);
    assert!(ipvs_proto::inet::AF_INET6 as u32 == k::AF_INET6);
    assert!(ipvs_ctl::uapi::IPPROTO_TCP as u32 == k::IPPROTO_TCP);
    assert!(ipvs_ctl::uapi::IPPROTO_UDP as u32 == k::IPPROTO_UDP);
    assert!(ipvs_ctl::uapi::IPPROTO_SCTP as u32 == k::IPPROTO_SCTP);
    assert!(ipvs_xmit::encap::IPPROTO_IPIP as u32 == k::IPPROTO_IPIP);
    assert!(ipvs_xmit::encap::IPPROTO_UDP as u32 == k::IPPROTO_UDP);
    assert!(ipvs_xmit::encap::IPPROTO_GRE as u32 == k::IPPROTO_GRE);
    assert!(ipvs_xmit::encap::IPPROTO_IPV6 as u32 == k::IPPROTO_IPV6);
    assert!(ipvs_xmit::encap::ETH_P_IP as u32 == k::ETH_P_IP);
    assert!(ipvs_xmit::encap::ETH_P_IPV6 as u32 == k::ETH_P_IPV6);
    assert!(ipvs_proto::icmp::PROTO_ICMP as u32 == k::IPPROTO_ICMP);
    assert!(ipvs_proto::icmp::PROTO_ICMPV6 as u32 == k::IPPROTO_ICMPV6);
    {
        use ipvs_proto::icmp::v6;
        assert!(v6::DEST_UNREACH as u32 == k::ICMPV6_DEST_UNREACH);
        assert!(v6::PKT_TOOBIG as u32 == k::ICMPV6_PKT_TOOBIG);
        assert!(v6::TIME_EXCEED as u32 == k::ICMPV6_TIME_EXCEED);
        assert!(v6::PORT_UNREACH as u32 == k::ICMPV6_PORT_UNREACH);
        assert!(v6::EXC_HOPLIMIT as u32 == k::ICMPV6_EXC_HOPLIMIT);
    }
    {
        use ipvs_proto::inet::nexthdr as h;
        assert!(h::HOP as u32 == k::IPPROTO_HOPOPTS && h::ROUTING as u32 == k::IPPROTO_ROUTING);
        assert!(h::FRAGMENT as u32 == k::IPPROTO_FRAGMENT && h::AUTH as u32 == k::IPPROTO_AH);
        assert!(h::NONE as u32 == k::IPPROTO_NONE && h::DEST as u32 == k::IPPROTO_DSTOPTS);
    }
};

use ipvs_netns::Ipvs;
use rust::{genl, pernet, sockopt};

module! {
    type: IpvsModule,
    name: "ipvs_rs",
    authors: ["ipvs-rs developers"],
    description: "IP Virtual Server (IPVS) load balancer, in Rust",
    license: "GPL",
    params: {
        conn_tab_bits: i32 {
            default: 12,
            description: "Largest size of the connection hash table, as a power of two (8-27, at most what half the memory holds)",
        },
    },
}

/// log2 of the largest connection table (the `conn_tab_bits` parameter, clamped like C's: by
/// C's connection size, not ipvs_rs's smaller one, so that the table grows to the sizes C's
/// does, which `ipvsadm -Ln` and `/proc/net/ip_vs` show). Process context: it reads the
/// machine's memory (see [`rust::mem`]).
pub(crate) fn conn_tab_max_bits() -> u32 {
    ipvs_conn::sizing::conn_tab_max_bits(
        module_parameters::conn_tab_bits.value(),
        rust::mem::total_pages(),
        rust::mem::PAGE_SHIFT,
        ipvs_conn::sizing::C_CONN_SIZE.max(core::mem::size_of::<ipvs_conn::Conn>()),
    )
}

/// The loaded module: its registrations, dropped in field order on unload: no new commands,
/// then every namespace's state (hooks first, then tables), then what RCU still runs.
struct IpvsModule {
    _genl: genl::Registration,
    _sockopt: sockopt::Registration,
    _pernet: pernet::Registration,
    _unload: Unload,
}

impl kernel::Module for IpvsModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // The family first: it is what collides with the C ip_vs (and its /proc/net files would
        // next), so a conflict is found before anything else is set up. Until the pernet state
        // exists, commands get ENOENT. A failure drops what was registered before it.
        let genl = genl::Registration::new().inspect_err(|e| {
            pr_err!("cannot register the genl family IPVS ({e:?}): is the C ip_vs module loaded? rmmod ip_vs first\n");
        })?;
        // The legacy socket options of ipvsadm and keepalived built without libnl.
        let sockopt = sockopt::Registration::new()?;
        let pernet = pernet::Registration::new()?;
        pr_info!(
            "ipvs_rs loaded (IPVS 1.2.1 protocol; connection table of up to {} buckets, {} bytes an entry)\n",
            1u64 << conn_tab_max_bits(),
            core::mem::size_of::<ipvs_conn::Conn>()
        );
        Ok(IpvsModule {
            _genl: genl,
            _sockopt: sockopt,
            _pernet: pernet,
            _unload: Unload,
        })
    }
}

/// The last part of the module to drop.
struct Unload;

impl Drop for Unload {
    fn drop(&mut self) {
        // Connections released by RCU callbacks run this module's code: wait for them.
        kernel::sync::rcu::rcu_barrier();
        pr_info!("ipvs_rs unloaded\n");
    }
}

// The C shim's entry points, served by the per-namespace state.
rust::entry_points!(Ipvs);
