// SPDX-License-Identifier: GPL-2.0

//! The namespace's real-server index (C: `rs_table`): NAT destinations by endpoint and
//! protocol, for `nat_icmp_send` and real servers' own requests to clients (SIP).

use super::{table, Dest};
use crate::ipvs_netns::Ipvs;
use crate::rust::rcuindex::{IndexLink, Indexed};
use kernel::{
    prelude::*,
    sync::{rcu, Arc},
};

/// An entry of the namespace's real-server index (C: `rs_table`): one NAT destination linked
/// to a service, by endpoint and protocol ([`table::RealKey`]). `nat_icmp_send` looks a
/// packet's source up in it, and so does a real server's own request to a client for a
/// persistence engine that takes those (SIP). Newest first in its chain, as C's (the index
/// keeps one size: a resize would not keep that order).
pub(crate) struct RealServer {
    pub(super) key: table::RealKey,
    pub(super) dest: Arc<Dest>,
    pub(super) link: IndexLink<RealServer>,
}

impl Indexed for RealServer {
    fn index_link(&self) -> &IndexLink<Self> {
        &self.link
    }

    fn index_hash(&self) -> u32 {
        self.key.hash()
    }
}

impl Ipvs {
    /// Whether a packet of IP protocol `proto` from `addr:port` comes from a NAT real server
    /// (packet path: C's `ip_vs_has_real_service`).
    pub(crate) fn has_real_service(
        &self,
        g: &rcu::Guard,
        af: u16,
        proto: u16,
        addr: &[u8; 16],
        port: u16,
    ) -> bool {
        let hash = table::real_hash(af, addr, port);
        self.real_index
            .find(g, hash, |e| e.key.sends(af, proto, addr, port))
            .is_some()
    }

    /// The NAT destination a packet of IP protocol `proto` from `addr:port` comes from: the
    /// newest of them if several services have it (packet path: C's
    /// `ip_vs_find_real_service`).
    pub(crate) fn find_real_service(
        &self,
        g: &rcu::Guard,
        af: u16,
        proto: u16,
        addr: &[u8; 16],
        port: u16,
    ) -> Option<Arc<Dest>> {
        let hash = table::real_hash(af, addr, port);
        self.real_index
            .find(g, hash, |e| e.key.sends(af, proto, addr, port))
            .map(|e| e.dest.clone())
    }

    /// Indexes NAT destination `d` as a real server. Fails (`ENOMEM`,
    /// changing nothing) only when its entry cannot be allocated. Under the control mutex,
    /// like [`Self::real_unlink`].
    pub(super) fn real_link(&self, d: &Arc<Dest>) -> Result {
        let key = table::RealKey::new(&d.svc_key, d.af, d.addr, d.port);
        let e = Arc::new(
            RealServer {
                key,
                dest: d.clone(),
                link: IndexLink::new(),
            },
            GFP_KERNEL,
        )?;
        // A new entry is in no index: this cannot fail.
        let _ = self.real_index.insert(e);
        Ok(())
    }

    /// Takes `d`'s entry out of the real-server index (freed after a grace period, without
    /// waiting for it).
    pub(super) fn real_unlink(&self, d: &Dest) {
        let key = table::RealKey::new(&d.svc_key, d.af, d.addr, d.port);
        self.real_index
            .remove_later(key.hash(), |e| core::ptr::eq(&*e.dest, d));
    }
}
