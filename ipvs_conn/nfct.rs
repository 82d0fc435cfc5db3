// SPDX-License-Identifier: GPL-2.0

//! IPVS and netfilter connection tracking (C: `ip_vs_nfct.c` and the `*_send_or_cont` steps of
//! `ip_vs_xmit.c`).
//!
//! By default (`conntrack` sysctl 0) a packet IPVS forwards or rewrites leaves IPVS untracked:
//! conntrack's entry for it is dropped, so neither the conntrack table nor stateful rules see
//! IPVS's flows. A connection made while the sysctl is 1 keeps its packets' entries: a NAT
//! connection's entry is told, before conntrack confirms it, the reply it will see (from the
//! real server for a request, to the virtual service for a reply), so that conntrack's own NAT
//! (a masquerade rule on the real servers' side) applies to IPVS's traffic and its replies are
//! recognised; when the connection goes, so does its entry.

use super::{flow::Fwd, Conn, Kind};
use crate::ipvs_proto::{icmp, inet::Family, Proto};
use crate::rust::{
    conntrack::{self, End},
    skb::{SkBuff, Verdict},
};

/// Which way a NAT packet went through IPVS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Nat {
    /// A client's request, its destination now the real server.
    ToServer,
    /// A real server's reply, its source now the virtual service.
    ToClient,
}

/// Marks a packet of a connection as IPVS's as it leaves IPVS unencapsulated; its conntrack
/// entry stays only if the connection keeps entries (`nfct`).
pub(crate) fn claim(skb: &mut SkBuff<'_>, nfct: bool) {
    skb.set_ipvs_property();
    if !nfct {
        skb.untrack();
    }
}

/// [`claim`] for a packet of connection `c` that NAT may have rewritten (`nat` says which way):
/// a kept entry learns the reply it will see.
pub(crate) fn claim_nat(skb: &mut SkBuff<'_>, c: &Conn, nat: Nat) {
    let nfct = c.nfct();
    claim(skb, nfct);
    if nfct {
        expect_reply(skb, c, nat);
    }
}

/// Marks a packet as IPVS's before it is encapsulated: a kept entry is confirmed now (the
/// inner packet's flow is tracked as it was), and the encapsulated packet is a new flow to
/// conntrack (C: `ip_vs_tunnel_xmit_prepare`). `Err`: conntrack refused the entry.
pub(crate) fn claim_tunnelled(skb: &mut SkBuff<'_>, nfct: bool) -> Result<(), Verdict> {
    skb.set_ipvs_property();
    if nfct {
        skb.confirm_ct()?;
    }
    skb.reset_ct();
    Ok(())
}

/// Points the reply tuple of a NAT connection's new entry at the packets that will come back
/// (C: `ip_vs_update_conntrack`): only in the entry's original direction, never for a
/// one-packet connection (no reply is expected); an ICMP entry's identifiers stay.
fn expect_reply(skb: &mut SkBuff<'_>, c: &Conn, nat: Nat) {
    if c.fwd != Fwd::Masq || c.one_packet() {
        return;
    }
    let Some(e) = skb.new_ct_entry(c.family()) else {
        return;
    };
    if !e.original() {
        return;
    }
    // An application helper may change a TCP stream's length (C: only then is the reply set).
    if c.has_app() && e.protocol() == Proto::Tcp.ip() && !e.allow_seq_adjust() {
        return;
    }
    let ports = ![Family::V4, Family::V6]
        .into_iter()
        .any(|f| icmp::proto_of(f) == e.protocol());
    let (mut src, mut dst) = e.reply();
    match nat {
        Nat::ToServer => {
            src.addr = c.daddr();
            if ports {
                src.port = c.dport;
            }
        }
        Nat::ToClient => {
            dst.addr = c.vaddr();
            if ports {
                dst.port = c.vport();
            }
        }
    }
    e.alter_reply(src, dst);
}

impl Conn {
    /// Whether the connection's packets keep their conntrack entries.
    pub(crate) fn nfct(&self) -> bool {
        self.bit(super::bit::NFCT)
    }

    /// The connection's entries are not to be kept (nor killed when it goes): it is replaced
    /// while its packet's entry is a new one.
    pub(crate) fn stop_tracking(&self) {
        self.swap_bit(super::bit::NFCT, false);
    }

    /// The connection went: its conntrack entry, if it kept one, goes too (C:
    /// `ip_vs_conn_drop_conntrack`). Not while the namespace is being dismantled.
    pub(super) fn forget_conntrack(&self) {
        if !self.nfct() || self.one_packet() || self.kind != Kind::Conn || self.key_in.sport == 0 {
            return;
        }
        let k = &self.key_in;
        conntrack::kill(
            self.svc.net,
            k.family,
            k.proto.ip(),
            End {
                addr: k.saddr,
                port: k.sport,
            },
            End {
                addr: k.daddr,
                port: k.dport,
            },
        );
    }
}
