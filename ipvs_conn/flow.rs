// SPDX-License-Identifier: GPL-2.0

//! Flow keys of either address family, and the forwarding method that decides a connection's
//! reply-direction key.
//!
//! Pure code.

use super::{jhash, persist::TemplateKey};
use crate::ipvs_ctl::uapi;
use crate::ipvs_proto::{
    inet::{Addr, Family},
    Proto,
};

/// A flow key: family, protocol and two endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FlowKey {
    /// Address family.
    pub(crate) family: Family,
    /// Protocol.
    pub(crate) proto: Proto,
    /// Source address.
    pub(crate) saddr: Addr,
    /// Source port, host order.
    pub(crate) sport: u16,
    /// Destination address.
    pub(crate) daddr: Addr,
    /// Destination port, host order.
    pub(crate) dport: u16,
}

impl FlowKey {
    /// The key's hash under the table's random `seed` (IPv6 addresses folded to a word).
    pub(crate) fn hash(&self, seed: u32) -> u32 {
        let a = self.saddr.fold(self.family);
        let b = self.daddr.fold(self.family);
        let c = (u32::from(self.sport) << 16) | u32::from(self.dport);
        jhash::jhash_3words(a, b, c ^ u32::from(self.proto.ip()), seed)
    }

    /// The table key of a template (the client port is always 0).
    pub(crate) fn of_template(key: &TemplateKey) -> Self {
        Self {
            family: key.family,
            proto: key.proto,
            saddr: Addr::from_raw(&key.cnet),
            sport: 0,
            daddr: Addr::from_raw(&key.vaddr),
            dport: key.vport,
        }
    }
}

/// A connection's forwarding method (C: `IP_VS_FWD_METHOD`): the transmitter its packets take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fwd {
    /// NAT (`IP_VS_CONN_F_MASQ`).
    Masq,
    /// To this host as it is (`IP_VS_CONN_F_LOCALNODE`).
    Local,
    /// Tunnelling (`IP_VS_CONN_F_TUNNEL`).
    Tunnel,
    /// Direct routing (`IP_VS_CONN_F_DROUTE`).
    Droute,
    /// Cache bypass (`IP_VS_CONN_F_BYPASS`).
    Bypass,
    /// A method number with no transmitter (5 to 7, which raw netlink can set): like C, the
    /// packets are left alone.
    None,
}

impl Fwd {
    /// The method of a destination's `IP_VS_CONN_F_*` flags.
    pub(crate) fn from_flags(flags: u32) -> Self {
        match flags & uapi::CONN_F_FWD_MASK {
            uapi::CONN_F_MASQ => Self::Masq,
            uapi::CONN_F_LOCALNODE => Self::Local,
            uapi::CONN_F_TUNNEL => Self::Tunnel,
            uapi::CONN_F_DROUTE => Self::Droute,
            uapi::CONN_F_BYPASS => Self::Bypass,
            _ => Self::None,
        }
    }
}

/// The key of the replies to a connection `key_in` forwarded by `fwd` to `daddr:dport`: they
/// come from the real server (NAT), or else from the virtual service (DR and TUN real servers
/// answer from the virtual address; a bypass connection's host from the original destination).
pub(crate) fn reply_key(key_in: &FlowKey, fwd: Fwd, daddr: Addr, dport: u16) -> FlowKey {
    let (saddr, sport) = if fwd == Fwd::Masq {
        (daddr, dport)
    } else {
        (key_in.daddr, key_in.dport)
    };
    FlowKey {
        saddr,
        sport,
        daddr: key_in.saddr,
        dport: key_in.sport,
        ..*key_in
    }
}
