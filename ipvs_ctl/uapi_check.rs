// SPDX-License-Identifier: GPL-2.0

//! The module's copy of the IPVS ABI numbers ([`super::uapi`], pure so that the host tests share
//! it) checked against `include/uapi/linux/ip_vs.h` itself, read through bindgen when the module
//! is built (see Kbuild): a number that differs fails the build.

/// The uapi header through bindgen.
#[allow(
    dead_code,
    non_camel_case_types,
    non_upper_case_globals,
    unreachable_pub,
    clippy::all
)]
mod generated {
    use kernel::ffi;
    include!("../rust/uapi_generated.rs");
}

const _: () = {
    use super::uapi::*;
    use crate::ipvs_proto::TunnelKind;
    use generated as g;
    assert!(VERSION_CODE as u64 == g::IP_VS_VERSION_CODE as u64);
    assert!(cmd::NEW_SERVICE as u64 == g::IPVS_CMD_NEW_SERVICE as u64);
    assert!(cmd::SET_SERVICE as u64 == g::IPVS_CMD_SET_SERVICE as u64);
    assert!(cmd::DEL_SERVICE as u64 == g::IPVS_CMD_DEL_SERVICE as u64);
    assert!(cmd::GET_SERVICE as u64 == g::IPVS_CMD_GET_SERVICE as u64);
    assert!(cmd::NEW_DEST as u64 == g::IPVS_CMD_NEW_DEST as u64);
    assert!(cmd::SET_DEST as u64 == g::IPVS_CMD_SET_DEST as u64);
    assert!(cmd::DEL_DEST as u64 == g::IPVS_CMD_DEL_DEST as u64);
    assert!(cmd::GET_DEST as u64 == g::IPVS_CMD_GET_DEST as u64);
    assert!(cmd::NEW_DAEMON as u64 == g::IPVS_CMD_NEW_DAEMON as u64);
    assert!(cmd::DEL_DAEMON as u64 == g::IPVS_CMD_DEL_DAEMON as u64);
    assert!(cmd::GET_DAEMON as u64 == g::IPVS_CMD_GET_DAEMON as u64);
    assert!(cmd::SET_CONFIG as u64 == g::IPVS_CMD_SET_CONFIG as u64);
    assert!(cmd::GET_CONFIG as u64 == g::IPVS_CMD_GET_CONFIG as u64);
    assert!(cmd::SET_INFO as u64 == g::IPVS_CMD_SET_INFO as u64);
    assert!(cmd::GET_INFO as u64 == g::IPVS_CMD_GET_INFO as u64);
    assert!(cmd::ZERO as u64 == g::IPVS_CMD_ZERO as u64);
    assert!(cmd::FLUSH as u64 == g::IPVS_CMD_FLUSH as u64);
    assert!(cmd_attr::SERVICE as u64 == g::IPVS_CMD_ATTR_SERVICE as u64);
    assert!(cmd_attr::DEST as u64 == g::IPVS_CMD_ATTR_DEST as u64);
    assert!(cmd_attr::DAEMON as u64 == g::IPVS_CMD_ATTR_DAEMON as u64);
    assert!(cmd_attr::TIMEOUT_TCP as u64 == g::IPVS_CMD_ATTR_TIMEOUT_TCP as u64);
    assert!(cmd_attr::TIMEOUT_TCP_FIN as u64 == g::IPVS_CMD_ATTR_TIMEOUT_TCP_FIN as u64);
    assert!(cmd_attr::TIMEOUT_UDP as u64 == g::IPVS_CMD_ATTR_TIMEOUT_UDP as u64);
    assert!(cmd_attr::MAX as u64 + 1 == g::__IPVS_CMD_ATTR_MAX as u64);
    assert!(svc_attr::AF as u64 == g::IPVS_SVC_ATTR_AF as u64);
    assert!(svc_attr::PROTOCOL as u64 == g::IPVS_SVC_ATTR_PROTOCOL as u64);
    assert!(svc_attr::ADDR as u64 == g::IPVS_SVC_ATTR_ADDR as u64);
    assert!(svc_attr::PORT as u64 == g::IPVS_SVC_ATTR_PORT as u64);
    assert!(svc_attr::FWMARK as u64 == g::IPVS_SVC_ATTR_FWMARK as u64);
    assert!(svc_attr::SCHED_NAME as u64 == g::IPVS_SVC_ATTR_SCHED_NAME as u64);
    assert!(svc_attr::FLAGS as u64 == g::IPVS_SVC_ATTR_FLAGS as u64);
    assert!(svc_attr::TIMEOUT as u64 == g::IPVS_SVC_ATTR_TIMEOUT as u64);
    assert!(svc_attr::NETMASK as u64 == g::IPVS_SVC_ATTR_NETMASK as u64);
    assert!(svc_attr::STATS as u64 == g::IPVS_SVC_ATTR_STATS as u64);
    assert!(svc_attr::PE_NAME as u64 == g::IPVS_SVC_ATTR_PE_NAME as u64);
    assert!(svc_attr::STATS64 as u64 == g::IPVS_SVC_ATTR_STATS64 as u64);
    assert!(svc_attr::MAX as u64 + 1 == g::__IPVS_SVC_ATTR_MAX as u64);
    assert!(dest_attr::ADDR as u64 == g::IPVS_DEST_ATTR_ADDR as u64);
    assert!(dest_attr::PORT as u64 == g::IPVS_DEST_ATTR_PORT as u64);
    assert!(dest_attr::FWD_METHOD as u64 == g::IPVS_DEST_ATTR_FWD_METHOD as u64);
    assert!(dest_attr::WEIGHT as u64 == g::IPVS_DEST_ATTR_WEIGHT as u64);
    assert!(dest_attr::U_THRESH as u64 == g::IPVS_DEST_ATTR_U_THRESH as u64);
    assert!(dest_attr::L_THRESH as u64 == g::IPVS_DEST_ATTR_L_THRESH as u64);
    assert!(dest_attr::ACTIVE_CONNS as u64 == g::IPVS_DEST_ATTR_ACTIVE_CONNS as u64);
    assert!(dest_attr::INACT_CONNS as u64 == g::IPVS_DEST_ATTR_INACT_CONNS as u64);
    assert!(dest_attr::PERSIST_CONNS as u64 == g::IPVS_DEST_ATTR_PERSIST_CONNS as u64);
    assert!(dest_attr::STATS as u64 == g::IPVS_DEST_ATTR_STATS as u64);
    assert!(dest_attr::ADDR_FAMILY as u64 == g::IPVS_DEST_ATTR_ADDR_FAMILY as u64);
    assert!(dest_attr::STATS64 as u64 == g::IPVS_DEST_ATTR_STATS64 as u64);
    assert!(dest_attr::TUN_TYPE as u64 == g::IPVS_DEST_ATTR_TUN_TYPE as u64);
    assert!(dest_attr::TUN_PORT as u64 == g::IPVS_DEST_ATTR_TUN_PORT as u64);
    assert!(dest_attr::TUN_FLAGS as u64 == g::IPVS_DEST_ATTR_TUN_FLAGS as u64);
    assert!(dest_attr::MAX as u64 + 1 == g::__IPVS_DEST_ATTR_MAX as u64);
    assert!(stats_attr::CONNS as u64 == g::IPVS_STATS_ATTR_CONNS as u64);
    assert!(stats_attr::INPKTS as u64 == g::IPVS_STATS_ATTR_INPKTS as u64);
    assert!(stats_attr::OUTPKTS as u64 == g::IPVS_STATS_ATTR_OUTPKTS as u64);
    assert!(stats_attr::INBYTES as u64 == g::IPVS_STATS_ATTR_INBYTES as u64);
    assert!(stats_attr::OUTBYTES as u64 == g::IPVS_STATS_ATTR_OUTBYTES as u64);
    assert!(stats_attr::CPS as u64 == g::IPVS_STATS_ATTR_CPS as u64);
    assert!(stats_attr::INPPS as u64 == g::IPVS_STATS_ATTR_INPPS as u64);
    assert!(stats_attr::OUTPPS as u64 == g::IPVS_STATS_ATTR_OUTPPS as u64);
    assert!(stats_attr::INBPS as u64 == g::IPVS_STATS_ATTR_INBPS as u64);
    assert!(stats_attr::OUTBPS as u64 == g::IPVS_STATS_ATTR_OUTBPS as u64);
    assert!(info_attr::VERSION as u64 == g::IPVS_INFO_ATTR_VERSION as u64);
    assert!(info_attr::CONN_TAB_SIZE as u64 == g::IPVS_INFO_ATTR_CONN_TAB_SIZE as u64);
    assert!(daemon_attr::STATE as u64 == g::IPVS_DAEMON_ATTR_STATE as u64);
    assert!(daemon_attr::MCAST_IFN as u64 == g::IPVS_DAEMON_ATTR_MCAST_IFN as u64);
    assert!(daemon_attr::SYNC_ID as u64 == g::IPVS_DAEMON_ATTR_SYNC_ID as u64);
    assert!(daemon_attr::SYNC_MAXLEN as u64 == g::IPVS_DAEMON_ATTR_SYNC_MAXLEN as u64);
    assert!(daemon_attr::MCAST_GROUP as u64 == g::IPVS_DAEMON_ATTR_MCAST_GROUP as u64);
    assert!(daemon_attr::MCAST_GROUP6 as u64 == g::IPVS_DAEMON_ATTR_MCAST_GROUP6 as u64);
    assert!(daemon_attr::MCAST_PORT as u64 == g::IPVS_DAEMON_ATTR_MCAST_PORT as u64);
    assert!(daemon_attr::MCAST_TTL as u64 == g::IPVS_DAEMON_ATTR_MCAST_TTL as u64);
    assert!(daemon_attr::MAX as u64 + 1 == g::__IPVS_DAEMON_ATTR_MAX as u64);
    assert!(SVC_F_PERSISTENT as u64 == g::IP_VS_SVC_F_PERSISTENT as u64);
    assert!(SVC_F_HASHED as u64 == g::IP_VS_SVC_F_HASHED as u64);
    assert!(SVC_F_ONEPACKET as u64 == g::IP_VS_SVC_F_ONEPACKET as u64);
    assert!(CONN_F_FWD_MASK as u64 == g::IP_VS_CONN_F_FWD_MASK as u64);
    assert!(CONN_F_MASQ as u64 == g::IP_VS_CONN_F_MASQ as u64);
    assert!(CONN_F_LOCALNODE as u64 == g::IP_VS_CONN_F_LOCALNODE as u64);
    assert!(CONN_F_TUNNEL as u64 == g::IP_VS_CONN_F_TUNNEL as u64);
    assert!(CONN_F_DROUTE as u64 == g::IP_VS_CONN_F_DROUTE as u64);
    assert!(CONN_F_BYPASS as u64 == g::IP_VS_CONN_F_BYPASS as u64);
    assert!(TUNNEL_TYPE_GUE as u64 == g::IP_VS_CONN_F_TUNNEL_TYPE_GUE as u64);
    assert!(TUNNEL_ENCAP_FLAG_CSUM as u64 == g::IP_VS_TUNNEL_ENCAP_FLAG_CSUM as u64);
    assert!(TUNNEL_ENCAP_FLAG_REMCSUM as u64 == g::IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM as u64);
    assert!(TunnelKind::Ipip as u64 == g::IP_VS_CONN_F_TUNNEL_TYPE_IPIP as u64);
    assert!(TunnelKind::Gue as u64 == g::IP_VS_CONN_F_TUNNEL_TYPE_GUE as u64);
    assert!(TunnelKind::Gre as u64 == g::IP_VS_CONN_F_TUNNEL_TYPE_GRE as u64);
    assert!(TunnelKind::Other as u64 >= g::IP_VS_CONN_F_TUNNEL_TYPE_MAX as u64);
    assert!(GENL_NAME.len() + 1 == g::IPVS_GENL_NAME.len());
    let (mut i, name) = (0, GENL_NAME.as_bytes());
    while i < name.len() {
        assert!(name[i] == g::IPVS_GENL_NAME[i]);
        i += 1;
    }
};
