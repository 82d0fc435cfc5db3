// SPDX-License-Identifier: GPL-2.0

//! IPVS generic-netlink messages: request parsing with C IPVS's mandatory-attribute and errno
//! rules, and reply encoding in C IPVS's attribute order.
//!
//! Pure code: no `kernel::` imports.

use super::nlattr::{self, Errno, Policy, Writer};
use super::uapi::{cmd_attr, daemon_attr, dest_attr, info_attr, stats_attr, svc_attr};
use super::uapi::{AF_INET, AF_INET6, CONN_F_FWD_MASK};
use crate::ipvs_proto::inet::Family;
use crate::ipvs_sync::policy::Asked;

/// Policy of the service nest (`ip_vs_svc_policy`).
pub(crate) const SVC_POLICY: [Policy; svc_attr::MAX + 1] = {
    let mut p = [Policy::Unspec; svc_attr::MAX + 1];
    p[svc_attr::AF as usize] = Policy::U16;
    p[svc_attr::PROTOCOL as usize] = Policy::U16;
    p[svc_attr::ADDR as usize] = Policy::Binary(16);
    p[svc_attr::PORT as usize] = Policy::U16;
    p[svc_attr::FWMARK as usize] = Policy::U32;
    p[svc_attr::SCHED_NAME as usize] = Policy::NulString(15);
    p[svc_attr::PE_NAME as usize] = Policy::NulString(16);
    p[svc_attr::FLAGS as usize] = Policy::Binary(8);
    p[svc_attr::TIMEOUT as usize] = Policy::U32;
    p[svc_attr::NETMASK as usize] = Policy::U32;
    p[svc_attr::STATS as usize] = Policy::Nested;
    p
};

/// Policy of the destination nest (`ip_vs_dest_policy`).
pub(crate) const DEST_POLICY: [Policy; dest_attr::MAX + 1] = {
    let mut p = [Policy::Unspec; dest_attr::MAX + 1];
    p[dest_attr::ADDR as usize] = Policy::Binary(16);
    p[dest_attr::PORT as usize] = Policy::U16;
    p[dest_attr::FWD_METHOD as usize] = Policy::U32;
    p[dest_attr::WEIGHT as usize] = Policy::U32;
    p[dest_attr::U_THRESH as usize] = Policy::U32;
    p[dest_attr::L_THRESH as usize] = Policy::U32;
    p[dest_attr::ACTIVE_CONNS as usize] = Policy::U32;
    p[dest_attr::INACT_CONNS as usize] = Policy::U32;
    p[dest_attr::PERSIST_CONNS as usize] = Policy::U32;
    p[dest_attr::STATS as usize] = Policy::Nested;
    p[dest_attr::ADDR_FAMILY as usize] = Policy::U16;
    p[dest_attr::TUN_TYPE as usize] = Policy::U8;
    p[dest_attr::TUN_PORT as usize] = Policy::U16;
    p[dest_attr::TUN_FLAGS as usize] = Policy::U16;
    p
};

/// Policy of the daemon nest (`ip_vs_daemon_policy`).
pub(crate) const DAEMON_POLICY: [Policy; daemon_attr::MAX + 1] = {
    let mut p = [Policy::Unspec; daemon_attr::MAX + 1];
    p[daemon_attr::STATE as usize] = Policy::U32;
    p[daemon_attr::MCAST_IFN as usize] = Policy::NulString(15);
    p[daemon_attr::SYNC_ID as usize] = Policy::U32;
    p[daemon_attr::SYNC_MAXLEN as usize] = Policy::U16;
    p[daemon_attr::MCAST_GROUP as usize] = Policy::U32;
    p[daemon_attr::MCAST_GROUP6 as usize] = Policy::MinLen(16);
    p[daemon_attr::MCAST_PORT as usize] = Policy::U16;
    p[daemon_attr::MCAST_TTL as usize] = Policy::U8;
    p
};

/// Top-level policy (`ip_vs_cmd_policy`); the kernel validates it before our handlers run, we
/// apply it again only to locate attributes.
pub(crate) const CMD_POLICY: [Policy; cmd_attr::MAX + 1] = [
    Policy::Unspec,
    Policy::Nested,
    Policy::Nested,
    Policy::Nested,
    Policy::U32,
    Policy::U32,
    Policy::U32,
];

/// The top-level attributes of a request.
pub(crate) type CmdAttrs<'a> = [Option<&'a [u8]>; cmd_attr::MAX + 1];

/// Splits a request's attribute area into the top-level attributes.
pub(crate) fn parse_cmd(buf: &[u8]) -> Result<CmdAttrs<'_>, Errno> {
    nlattr::parse(buf, &CMD_POLICY)
}

/// A name of at most 16 bytes (scheduler or persistence engine), as a fixed array.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Name {
    buf: [u8; 16],
    len: u8,
}

impl Name {
    /// Builds a name from bytes (truncated to 16).
    pub(crate) fn new(s: &[u8]) -> Self {
        let len = s.len().min(16);
        let mut buf = [0u8; 16];
        buf[..len].copy_from_slice(&s[..len]);
        Self {
            buf,
            len: len as u8,
        }
    }

    /// The name's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

/// The identity of a virtual service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SvcKey {
    /// Address family.
    pub(crate) af: u16,
    /// IP protocol (TCP for fwmark services).
    pub(crate) protocol: u16,
    /// Virtual address (IPv4 in the first 4 bytes), zero for fwmark services.
    pub(crate) addr: [u8; 16],
    /// Virtual port, host order; zero for fwmark services.
    pub(crate) port: u16,
    /// Firewall mark, zero for address services.
    pub(crate) fwmark: u32,
}

/// The settable part of a service (the "full entry" of NEW/SET_SERVICE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SvcConf {
    /// Scheduler name (`none` for no scheduler).
    pub(crate) sched: Name,
    /// Persistence engine name, if given.
    pub(crate) pe: Option<Name>,
    /// New flag bits (applied under `mask`).
    pub(crate) flags: u32,
    /// Which flag bits `flags` sets.
    pub(crate) mask: u32,
    /// Persistence timeout in seconds.
    pub(crate) timeout: u32,
    /// Persistence netmask exactly as sent (IPv4: a network-order mask; IPv6: a prefix length).
    pub(crate) netmask: u32,
}

/// A parsed service nest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SvcReq {
    /// The service identity.
    pub(crate) key: SvcKey,
    /// The full entry, when requested.
    pub(crate) conf: Option<SvcConf>,
}

/// Whether IPVS supports `af` (IPv6 is always compiled in for this module).
pub(crate) fn af_valid(af: u16) -> bool {
    af == AF_INET || af == AF_INET6
}

/// Parses a service nest like `ip_vs_genl_parse_service`: `EINVAL` for a missing or malformed
/// nest or missing mandatory attributes, `EAFNOSUPPORT` for an unknown family.
pub(crate) fn parse_service(nla: Option<&[u8]>, full: bool) -> Result<SvcReq, Errno> {
    let nla = nla.ok_or(Errno::EINVAL)?;
    let a = nlattr::parse(nla, &SVC_POLICY).map_err(|_| Errno::EINVAL)?;
    let af = a[svc_attr::AF as usize];
    let proto = a[svc_attr::PROTOCOL as usize];
    let addr = a[svc_attr::ADDR as usize];
    let port = a[svc_attr::PORT as usize];
    let fwmark = a[svc_attr::FWMARK as usize];
    let (Some(af), true) = (
        af,
        fwmark.is_some() || (port.is_some() && proto.is_some() && addr.is_some()),
    ) else {
        return Err(Errno::EINVAL);
    };
    let af = nlattr::get_u16(af);
    if !af_valid(af) {
        return Err(Errno::EAFNOSUPPORT);
    }
    let key = match (fwmark, proto, addr, port) {
        (Some(m), ..) => super::table::fwmark_key(af, nlattr::get_u32(m)),
        (None, Some(p), Some(ad), Some(po)) => SvcKey {
            af,
            protocol: nlattr::get_u16(p),
            addr: nlattr::get_bytes(ad),
            port: nlattr::get_be16(po),
            fwmark: 0,
        },
        _ => return Err(Errno::EINVAL),
    };
    let conf = if full {
        let (Some(sched), Some(flags), Some(timeout), Some(netmask)) = (
            a[svc_attr::SCHED_NAME as usize],
            a[svc_attr::FLAGS as usize],
            a[svc_attr::TIMEOUT as usize],
            a[svc_attr::NETMASK as usize],
        ) else {
            return Err(Errno::EINVAL);
        };
        let fl: [u8; 8] = nlattr::get_bytes(flags);
        Some(SvcConf {
            sched: Name::new(nlattr::get_str(sched)),
            pe: a[svc_attr::PE_NAME as usize].map(|p| Name::new(nlattr::get_str(p))),
            flags: u32::from_ne_bytes([fl[0], fl[1], fl[2], fl[3]]),
            mask: u32::from_ne_bytes([fl[4], fl[5], fl[6], fl[7]]),
            timeout: nlattr::get_u32(timeout),
            netmask: nlattr::get_u32(netmask),
        })
    } else {
        None
    };
    Ok(SvcReq { key, conf })
}

/// The settable part of a destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DestConf {
    /// Forwarding method (`IP_VS_CONN_F_FWD_MASK` bits).
    pub(crate) fwd: u32,
    /// C's other destination bits, which its connections take (`IP_VS_CONN_F_ONE_PACKET`,
    /// `IP_VS_CONN_F_NFCT`): only the socket options can set them; genl clears them.
    pub(crate) flags: u32,
    /// Weight as sent (negative as `i32` is rejected later with `ERANGE`).
    pub(crate) weight: u32,
    /// Upper connection threshold.
    pub(crate) u_thresh: u32,
    /// Lower connection threshold.
    pub(crate) l_thresh: u32,
    /// Tunnel type.
    pub(crate) tun_type: u8,
    /// Tunnel port, host order.
    pub(crate) tun_port: u16,
    /// Tunnel flags.
    pub(crate) tun_flags: u16,
}

/// A parsed destination nest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DestReq {
    /// Address family, 0 when not given (means: the service's).
    pub(crate) af: u16,
    /// Address.
    pub(crate) addr: [u8; 16],
    /// Port, host order.
    pub(crate) port: u16,
    /// The full entry, when requested.
    pub(crate) conf: Option<DestConf>,
}

/// Parses a destination nest like `ip_vs_genl_parse_dest`.
pub(crate) fn parse_dest(nla: Option<&[u8]>, full: bool) -> Result<DestReq, Errno> {
    let nla = nla.ok_or(Errno::EINVAL)?;
    let a = nlattr::parse(nla, &DEST_POLICY).map_err(|_| Errno::EINVAL)?;
    let (Some(addr), Some(port)) = (a[dest_attr::ADDR as usize], a[dest_attr::PORT as usize])
    else {
        return Err(Errno::EINVAL);
    };
    let conf = if full {
        let (Some(fwd), Some(w), Some(u), Some(l)) = (
            a[dest_attr::FWD_METHOD as usize],
            a[dest_attr::WEIGHT as usize],
            a[dest_attr::U_THRESH as usize],
            a[dest_attr::L_THRESH as usize],
        ) else {
            return Err(Errno::EINVAL);
        };
        Some(DestConf {
            fwd: nlattr::get_u32(fwd) & CONN_F_FWD_MASK,
            flags: 0,
            weight: nlattr::get_u32(w),
            u_thresh: nlattr::get_u32(u),
            l_thresh: nlattr::get_u32(l),
            tun_type: a[dest_attr::TUN_TYPE as usize].map_or(0, nlattr::get_u8),
            tun_port: a[dest_attr::TUN_PORT as usize].map_or(0, nlattr::get_be16),
            tun_flags: a[dest_attr::TUN_FLAGS as usize].map_or(0, nlattr::get_u16),
        })
    } else {
        None
    };
    Ok(DestReq {
        af: a[dest_attr::ADDR_FAMILY as usize].map_or(0, nlattr::get_u16),
        addr: nlattr::get_bytes(addr),
        port: nlattr::get_be16(port),
        conf,
    })
}

/// A parsed sync-daemon nest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DaemonReq {
    /// 1 master, 2 backup.
    pub(crate) state: u32,
    /// The multicast interface's name, NUL-terminated (empty for a stop request).
    pub(crate) ifname: [u8; 16],
    /// The settings asked for (zero: the default).
    pub(crate) asked: Asked,
}

/// Parses a daemon nest like `ip_vs_genl_set_daemon` and `ip_vs_genl_new_daemon`: `EINVAL`
/// for a missing or malformed nest, missing `STATE` (and for `new`, missing `MCAST_IFN` or
/// `SYNC_ID`), or a multicast group that is not multicast.
pub(crate) fn parse_daemon(nla: Option<&[u8]>, new: bool) -> Result<DaemonReq, Errno> {
    let nla = nla.ok_or(Errno::EINVAL)?;
    let a = nlattr::parse(nla, &DAEMON_POLICY).map_err(|_| Errno::EINVAL)?;
    let state = a[daemon_attr::STATE as usize].ok_or(Errno::EINVAL)?;
    let mut asked = Asked::default();
    if new {
        if a[daemon_attr::MCAST_IFN as usize].is_none()
            || a[daemon_attr::SYNC_ID as usize].is_none()
        {
            return Err(Errno::EINVAL);
        }
        if let Some(g) = a[daemon_attr::MCAST_GROUP as usize] {
            if nlattr::get_u8(g) & 0xf0 != 0xe0 {
                return Err(Errno::EINVAL);
            }
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&g[..4]);
            asked.group = Some((Family::V4, b));
        } else if let Some(g) = a[daemon_attr::MCAST_GROUP6 as usize] {
            if nlattr::get_u8(g) != 0xff {
                return Err(Errno::EINVAL);
            }
            let mut b = [0u8; 16];
            b.copy_from_slice(&g[..16]);
            asked.group = Some((Family::V6, b));
        }
        let get = |i: u16| a[usize::from(i)];
        asked.syncid = get(daemon_attr::SYNC_ID).map_or(0, nlattr::get_u32);
        asked.maxlen = get(daemon_attr::SYNC_MAXLEN).map_or(0, nlattr::get_u16);
        asked.port = get(daemon_attr::MCAST_PORT).map_or(0, nlattr::get_u16);
        asked.ttl = get(daemon_attr::MCAST_TTL).map_or(0, nlattr::get_u8);
    }
    let mut ifname = [0u8; 16];
    if let Some(n) = a[daemon_attr::MCAST_IFN as usize] {
        // Like strscpy into IFNAMSIZ: up to the first NUL, at most 15 bytes.
        let n = n.split(|&b| b == 0).next().unwrap_or_default();
        let len = n.len().min(ifname.len() - 1);
        ifname[..len].copy_from_slice(&n[..len]);
    }
    Ok(DaemonReq {
        state: nlattr::get_u32(state),
        ifname,
        asked,
    })
}

/// Counters and rates of a service, destination or the whole table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    /// Connections scheduled.
    pub(crate) conns: u64,
    /// Packets in.
    pub(crate) inpkts: u64,
    /// Packets out.
    pub(crate) outpkts: u64,
    /// Bytes in.
    pub(crate) inbytes: u64,
    /// Bytes out.
    pub(crate) outbytes: u64,
    /// Connections per second.
    pub(crate) cps: u64,
    /// Packets in per second.
    pub(crate) inpps: u64,
    /// Packets out per second.
    pub(crate) outpps: u64,
    /// Bytes in per second.
    pub(crate) inbps: u64,
    /// Bytes out per second.
    pub(crate) outbps: u64,
}

/// Writes a 32-bit stats nest (`ip_vs_genl_fill_stats`: bytes stay 64-bit).
fn put_stats(w: &mut Writer<'_>, ty: u16, s: &Stats) -> Result<(), Errno> {
    let n = w.nest_start(ty)?;
    w.put_u32(stats_attr::CONNS, s.conns as u32)?;
    w.put_u32(stats_attr::INPKTS, s.inpkts as u32)?;
    w.put_u32(stats_attr::OUTPKTS, s.outpkts as u32)?;
    w.put_u64(stats_attr::INBYTES, s.inbytes)?;
    w.put_u64(stats_attr::OUTBYTES, s.outbytes)?;
    w.put_u32(stats_attr::CPS, s.cps as u32)?;
    w.put_u32(stats_attr::INPPS, s.inpps as u32)?;
    w.put_u32(stats_attr::OUTPPS, s.outpps as u32)?;
    w.put_u32(stats_attr::INBPS, s.inbps as u32)?;
    w.put_u32(stats_attr::OUTBPS, s.outbps as u32)?;
    w.nest_end(n);
    Ok(())
}

/// Writes a 64-bit stats nest (`ip_vs_genl_fill_stats64`).
fn put_stats64(w: &mut Writer<'_>, ty: u16, s: &Stats) -> Result<(), Errno> {
    let n = w.nest_start(ty)?;
    for (t, v) in [
        (stats_attr::CONNS, s.conns),
        (stats_attr::INPKTS, s.inpkts),
        (stats_attr::OUTPKTS, s.outpkts),
        (stats_attr::INBYTES, s.inbytes),
        (stats_attr::OUTBYTES, s.outbytes),
        (stats_attr::CPS, s.cps),
        (stats_attr::INPPS, s.inpps),
        (stats_attr::OUTPPS, s.outpps),
        (stats_attr::INBPS, s.inbps),
        (stats_attr::OUTBPS, s.outbps),
    ] {
        w.put_u64(t, v)?;
    }
    w.nest_end(n);
    Ok(())
}

/// What a service reply says about the service.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SvcView<'a> {
    /// Identity.
    pub(crate) key: SvcKey,
    /// Scheduler name (`none` when unbound).
    pub(crate) sched: &'a [u8],
    /// Persistence engine name, if any.
    pub(crate) pe: Option<&'a [u8]>,
    /// Service flags (including `HASHED`).
    pub(crate) flags: u32,
    /// Persistence timeout in seconds.
    pub(crate) timeout: u32,
    /// Netmask as stored from the request.
    pub(crate) netmask: u32,
    /// Counters.
    pub(crate) stats: Stats,
}

/// Writes one `IPVS_CMD_ATTR_DAEMON` nest (`ip_vs_genl_fill_daemon`): a running daemon of
/// `state` (1 master, 2 backup) on `ifname` (without its NUL) with settings `c`.
pub(crate) fn put_daemon(
    w: &mut Writer<'_>,
    state: u32,
    ifname: &[u8],
    c: &crate::ipvs_sync::policy::Config,
) -> Result<(), Errno> {
    let n = w.nest_start(cmd_attr::DAEMON)?;
    w.put_u32(daemon_attr::STATE, state)?;
    w.put_str(daemon_attr::MCAST_IFN, ifname)?;
    w.put_u32(daemon_attr::SYNC_ID, c.syncid)?;
    w.put_u16(daemon_attr::SYNC_MAXLEN, c.maxlen)?;
    w.put_u16(daemon_attr::MCAST_PORT, c.port)?;
    w.put_u8(daemon_attr::MCAST_TTL, c.ttl)?;
    match c.family {
        Family::V4 => w.put(daemon_attr::MCAST_GROUP, &c.group[..4])?,
        Family::V6 => w.put(daemon_attr::MCAST_GROUP6, &c.group)?,
    }
    w.nest_end(n);
    Ok(())
}

/// Writes one `IPVS_CMD_ATTR_SERVICE` nest (`ip_vs_genl_fill_service`).
pub(crate) fn put_service(w: &mut Writer<'_>, s: &SvcView<'_>) -> Result<(), Errno> {
    let n = w.nest_start(cmd_attr::SERVICE)?;
    w.put_u16(svc_attr::AF, s.key.af)?;
    if s.key.fwmark != 0 {
        w.put_u32(svc_attr::FWMARK, s.key.fwmark)?;
    } else {
        w.put_u16(svc_attr::PROTOCOL, s.key.protocol)?;
        w.put(svc_attr::ADDR, &s.key.addr)?;
        w.put_be16(svc_attr::PORT, s.key.port)?;
    }
    w.put_str(svc_attr::SCHED_NAME, s.sched)?;
    if let Some(pe) = s.pe {
        w.put_str(svc_attr::PE_NAME, pe)?;
    }
    let mut flags = [0u8; 8];
    flags[..4].copy_from_slice(&s.flags.to_ne_bytes());
    flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
    w.put(svc_attr::FLAGS, &flags)?;
    w.put_u32(svc_attr::TIMEOUT, s.timeout)?;
    w.put_u32(svc_attr::NETMASK, s.netmask)?;
    put_stats(w, svc_attr::STATS, &s.stats)?;
    put_stats64(w, svc_attr::STATS64, &s.stats)?;
    w.nest_end(n);
    Ok(())
}

/// What a destination reply says about the destination.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DestView {
    /// Address family.
    pub(crate) af: u16,
    /// Address.
    pub(crate) addr: [u8; 16],
    /// Port, host order.
    pub(crate) port: u16,
    /// Settings.
    pub(crate) conf: DestConf,
    /// Active connections.
    pub(crate) active: u32,
    /// Inactive connections.
    pub(crate) inactive: u32,
    /// Persistence templates.
    pub(crate) persist: u32,
    /// Counters.
    pub(crate) stats: Stats,
}

/// Writes one `IPVS_CMD_ATTR_DEST` nest (`ip_vs_genl_fill_dest`).
pub(crate) fn put_dest(w: &mut Writer<'_>, d: &DestView) -> Result<(), Errno> {
    let n = w.nest_start(cmd_attr::DEST)?;
    w.put(dest_attr::ADDR, &d.addr)?;
    w.put_be16(dest_attr::PORT, d.port)?;
    w.put_u32(dest_attr::FWD_METHOD, d.conf.fwd & CONN_F_FWD_MASK)?;
    w.put_u32(dest_attr::WEIGHT, d.conf.weight)?;
    w.put_u8(dest_attr::TUN_TYPE, d.conf.tun_type)?;
    w.put_be16(dest_attr::TUN_PORT, d.conf.tun_port)?;
    w.put_u16(dest_attr::TUN_FLAGS, d.conf.tun_flags)?;
    w.put_u32(dest_attr::U_THRESH, d.conf.u_thresh)?;
    w.put_u32(dest_attr::L_THRESH, d.conf.l_thresh)?;
    w.put_u32(dest_attr::ACTIVE_CONNS, d.active)?;
    w.put_u32(dest_attr::INACT_CONNS, d.inactive)?;
    w.put_u32(dest_attr::PERSIST_CONNS, d.persist)?;
    w.put_u16(dest_attr::ADDR_FAMILY, d.af)?;
    put_stats(w, dest_attr::STATS, &d.stats)?;
    put_stats64(w, dest_attr::STATS64, &d.stats)?;
    w.nest_end(n);
    Ok(())
}

/// Writes the `IPVS_CMD_GET_INFO` reply attributes.
pub(crate) fn put_info(w: &mut Writer<'_>, version: u32, conn_tab_size: u32) -> Result<(), Errno> {
    w.put_u32(info_attr::VERSION, version)?;
    w.put_u32(info_attr::CONN_TAB_SIZE, conn_tab_size)
}

/// Writes the `IPVS_CMD_GET_CONFIG` reply attributes (seconds).
pub(crate) fn put_timeouts(
    w: &mut Writer<'_>,
    tcp: u32,
    tcp_fin: u32,
    udp: u32,
) -> Result<(), Errno> {
    w.put_u32(cmd_attr::TIMEOUT_TCP, tcp)?;
    w.put_u32(cmd_attr::TIMEOUT_TCP_FIN, tcp_fin)?;
    w.put_u32(cmd_attr::TIMEOUT_UDP, udp)
}
