// SPDX-License-Identifier: GPL-2.0

//! The control plane: virtual services and their destinations, and the `IPVS` generic-netlink
//! commands that manage them.
//!
//! Tables are per network namespace. Changes are serialised by the namespace's control mutex.
//! The packet path finds services in an RCU hash index without a lock, and reads a service's
//! destinations under that service's bottom-half spinlock (which also serialises its
//! scheduler's state, like C's per-scheduler locks); connections keep references (`Arc`) to
//! what they use, so a removed service or destination lives on while connections point at it.
//!
//! - [`service`]: virtual services, the service a packet is for, adding/editing/deleting them.
//! - [`dest`]: real servers, their settings and connection counts, what schedulers see of them.
//! - [`trash`]: removed real servers kept for their connections and revival.
//! - [`realsrv`]: the index of NAT real servers by endpoint (`nat_icmp_send`, SIP).
//! - [`counters`]: per-CPU traffic counters, rates and zeroing.
//! - [`commands`]: the genl commands, decoded, applied and answered; [`so_commands`]: the
//!   legacy socket options, the same way.
//! - Pure, host-tested: [`msg`] and [`nlattr`] (the messages and their netlink codec),
//!   [`uapi`] (the ABI's numbers, checked against the kernel's header by [`uapi_check`]),
//!   [`table`] (the service table), [`est`] (the rate estimator), [`procfmt`]
//!   (`/proc/net/ip_vs` and `ip_vs_stats`), [`sysctl`] (the `net/ipv4/vs/` defaults and write
//!   rules), [`defense`] (the DoS defences' levels), [`sockopt`] (the socket options' structures
//!   and checks).

mod commands;
mod counters;
pub(crate) mod defense;
mod dest;
pub(crate) mod est;
pub(crate) mod msg;
pub(crate) mod nlattr;
pub(crate) mod procfmt;
mod realsrv;
mod service;
mod so_commands;
pub(crate) mod sockopt;
pub(crate) mod sysctl;
pub(crate) mod table;
mod trash;
pub(crate) mod uapi;
mod uapi_check;

pub(crate) use counters::Counters;
pub(crate) use dest::Dest;
pub(crate) use realsrv::RealServer;
pub(crate) use service::Service;
pub(crate) use trash::TrashEntry;

use crate::ipvs_netns::Ipvs;
use crate::rust::netfilter::Hooks;
use kernel::{prelude::*, sync::atomic::Atomic};
use nlattr::Errno;

/// Converts a pure-code errno into a kernel error.
pub(crate) fn kerr(e: Errno) -> Error {
    Error::from_errno(-e.0)
}

/// Timeouts (seconds) of `ipvsadm --set`.
pub(crate) struct Timeouts {
    /// TCP ESTABLISHED.
    pub(crate) tcp: Atomic<u32>,
    /// TCP FIN_WAIT.
    pub(crate) tcp_fin: Atomic<u32>,
    /// UDP.
    pub(crate) udp: Atomic<u32>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            tcp: Atomic::new(900),
            tcp_fin: Atomic::new(120),
            udp: Atomic::new(crate::ipvs_proto::udp::DEFAULT_TIMEOUT),
        }
    }
}

/// State serialised by the control mutex.
#[derive(Default)]
pub(crate) struct CtlState {
    /// This namespace's hooks, registered while it has a service.
    pub(crate) hooks: Option<Hooks>,
    /// Conntrack kept on for the FTP helper, by family (IPv4, IPv6): see
    /// `Ipvs::ftp_conntrack_on`.
    pub(crate) ftp_conntrack: [Option<crate::rust::conntrack::Tracking>; 2],
}

impl Ipvs {
    /// Tears down the control plane of a namespace that is going away.
    pub(crate) fn ctl_exit(&self) {
        let mut ctl = self.ctl.lock();
        self.flush(&mut ctl);
    }
}
