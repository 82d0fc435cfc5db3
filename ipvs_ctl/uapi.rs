// SPDX-License-Identifier: GPL-2.0

//! IPVS user-space ABI: generic-netlink commands, attribute numbers and flag bits.
//!
//! Values follow `include/uapi/linux/ip_vs.h`. Pure data, shared by the module and the host
//! tests.

// The ABI table is complete; not every value is used yet.
#![allow(dead_code)]

use crate::ipvs_proto::TunnelKind;

/// Generic-netlink family name.
pub(crate) const GENL_NAME: &str = "IPVS";
/// Version reported by `IPVS_CMD_GET_INFO` (1.2.1).
pub(crate) const VERSION_CODE: u32 = 0x0001_0201;

/// Commands (`IPVS_CMD_*`).
pub(crate) mod cmd {
    pub(crate) const NEW_SERVICE: u8 = 1;
    pub(crate) const SET_SERVICE: u8 = 2;
    pub(crate) const DEL_SERVICE: u8 = 3;
    pub(crate) const GET_SERVICE: u8 = 4;
    pub(crate) const NEW_DEST: u8 = 5;
    pub(crate) const SET_DEST: u8 = 6;
    pub(crate) const DEL_DEST: u8 = 7;
    pub(crate) const GET_DEST: u8 = 8;
    pub(crate) const NEW_DAEMON: u8 = 9;
    pub(crate) const DEL_DAEMON: u8 = 10;
    pub(crate) const GET_DAEMON: u8 = 11;
    pub(crate) const SET_CONFIG: u8 = 12;
    pub(crate) const GET_CONFIG: u8 = 13;
    pub(crate) const SET_INFO: u8 = 14;
    pub(crate) const GET_INFO: u8 = 15;
    pub(crate) const ZERO: u8 = 16;
    pub(crate) const FLUSH: u8 = 17;
}

/// Top-level attributes (`IPVS_CMD_ATTR_*`).
pub(crate) mod cmd_attr {
    pub(crate) const SERVICE: u16 = 1;
    pub(crate) const DEST: u16 = 2;
    pub(crate) const DAEMON: u16 = 3;
    pub(crate) const TIMEOUT_TCP: u16 = 4;
    pub(crate) const TIMEOUT_TCP_FIN: u16 = 5;
    pub(crate) const TIMEOUT_UDP: u16 = 6;
    pub(crate) const MAX: usize = 6;
}

/// Service attributes (`IPVS_SVC_ATTR_*`).
pub(crate) mod svc_attr {
    pub(crate) const AF: u16 = 1;
    pub(crate) const PROTOCOL: u16 = 2;
    pub(crate) const ADDR: u16 = 3;
    pub(crate) const PORT: u16 = 4;
    pub(crate) const FWMARK: u16 = 5;
    pub(crate) const SCHED_NAME: u16 = 6;
    pub(crate) const FLAGS: u16 = 7;
    pub(crate) const TIMEOUT: u16 = 8;
    pub(crate) const NETMASK: u16 = 9;
    pub(crate) const STATS: u16 = 10;
    pub(crate) const PE_NAME: u16 = 11;
    pub(crate) const STATS64: u16 = 12;
    pub(crate) const MAX: usize = 12;
}

/// Destination attributes (`IPVS_DEST_ATTR_*`).
pub(crate) mod dest_attr {
    pub(crate) const ADDR: u16 = 1;
    pub(crate) const PORT: u16 = 2;
    pub(crate) const FWD_METHOD: u16 = 3;
    pub(crate) const WEIGHT: u16 = 4;
    pub(crate) const U_THRESH: u16 = 5;
    pub(crate) const L_THRESH: u16 = 6;
    pub(crate) const ACTIVE_CONNS: u16 = 7;
    pub(crate) const INACT_CONNS: u16 = 8;
    pub(crate) const PERSIST_CONNS: u16 = 9;
    pub(crate) const STATS: u16 = 10;
    pub(crate) const ADDR_FAMILY: u16 = 11;
    pub(crate) const STATS64: u16 = 12;
    pub(crate) const TUN_TYPE: u16 = 13;
    pub(crate) const TUN_PORT: u16 = 14;
    pub(crate) const TUN_FLAGS: u16 = 15;
    pub(crate) const MAX: usize = 15;
}

/// Statistics attributes (`IPVS_STATS_ATTR_*`).
pub(crate) mod stats_attr {
    pub(crate) const CONNS: u16 = 1;
    pub(crate) const INPKTS: u16 = 2;
    pub(crate) const OUTPKTS: u16 = 3;
    pub(crate) const INBYTES: u16 = 4;
    pub(crate) const OUTBYTES: u16 = 5;
    pub(crate) const CPS: u16 = 6;
    pub(crate) const INPPS: u16 = 7;
    pub(crate) const OUTPPS: u16 = 8;
    pub(crate) const INBPS: u16 = 9;
    pub(crate) const OUTBPS: u16 = 10;
}

/// Info attributes (`IPVS_INFO_ATTR_*`).
pub(crate) mod info_attr {
    pub(crate) const VERSION: u16 = 1;
    pub(crate) const CONN_TAB_SIZE: u16 = 2;
}

/// Daemon attributes (`IPVS_DAEMON_ATTR_*`).
pub(crate) mod daemon_attr {
    pub(crate) const STATE: u16 = 1;
    pub(crate) const MCAST_IFN: u16 = 2;
    pub(crate) const SYNC_ID: u16 = 3;
    pub(crate) const SYNC_MAXLEN: u16 = 4;
    pub(crate) const MCAST_GROUP: u16 = 5;
    pub(crate) const MCAST_GROUP6: u16 = 6;
    pub(crate) const MCAST_PORT: u16 = 7;
    pub(crate) const MCAST_TTL: u16 = 8;
    pub(crate) const MAX: usize = 8;
}

/// Address families (the socket API's, shared with the datapath).
pub(crate) use crate::ipvs_proto::inet::{AF_INET, AF_INET6};

/// IP protocol numbers.
pub(crate) const IPPROTO_TCP: u16 = 6;
/// UDP.
pub(crate) const IPPROTO_UDP: u16 = 17;
/// SCTP.
pub(crate) const IPPROTO_SCTP: u16 = 132;

/// Service flag: persistent.
pub(crate) const SVC_F_PERSISTENT: u32 = 0x0001;
/// Service flag: hashed (always set on a live service).
pub(crate) const SVC_F_HASHED: u32 = 0x0002;
/// Service flag: one-packet scheduling (UDP datagrams are scheduled one by one).
pub(crate) const SVC_F_ONEPACKET: u32 = 0x0004;

/// Forwarding methods (`IP_VS_CONN_F_*` & `IP_VS_CONN_F_FWD_MASK`).
pub(crate) const CONN_F_FWD_MASK: u32 = 0x0007;
/// NAT.
pub(crate) const CONN_F_MASQ: u32 = 0;
/// Local node.
pub(crate) const CONN_F_LOCALNODE: u32 = 1;
/// Tunnelling.
pub(crate) const CONN_F_TUNNEL: u32 = 2;
/// Direct routing.
pub(crate) const CONN_F_DROUTE: u32 = 3;
/// Cache bypass.
pub(crate) const CONN_F_BYPASS: u32 = 4;
/// Connection made for one packet only.
pub(crate) const CONN_F_ONE_PACKET: u32 = 0x2000;
/// Connection keeping its packets' conntrack entries.
pub(crate) const CONN_F_NFCT: u32 = 0x1_0000;
/// The destination bits besides the forwarding method (`IP_VS_CONN_F_DEST_MASK`'s others).
pub(crate) const CONN_F_DEST_EXTRA: u32 = CONN_F_ONE_PACKET | CONN_F_NFCT;

/// Tunnel type GUE (`IP_VS_CONN_F_TUNNEL_TYPE_GUE`, the only one that needs a port; the tunnel
/// types are [`TunnelKind`]'s discriminants).
pub(crate) const TUNNEL_TYPE_GUE: u8 = TunnelKind::Gue as u8;
/// Tunnel option: a checksum on the outer UDP (GUE) or GRE header.
pub(crate) const TUNNEL_ENCAP_FLAG_CSUM: u16 = 1 << 0;
/// Tunnel option: GUE remote checksum offload.
pub(crate) const TUNNEL_ENCAP_FLAG_REMCSUM: u16 = 1 << 1;
