// SPDX-License-Identifier: GPL-2.0

//! The legacy IPVS socket options (C: `do_ip_vs_set_ctl`, `do_ip_vs_get_ctl`): arguments decoded
//! with C's length and errno rules into the generic-netlink request types, and the IPv4-only
//! reply structures encoded.
//!
//! Pure code: no `kernel::` imports. The kernel side checks `CAP_NET_ADMIN` first (`EPERM`),
//! copies the argument in (`EFAULT`), then applies the decoded request with the genl functions;
//! the doc comments below say where C's socket-option path differs from its genl path.
//!
//! The structures are those of `include/uapi/linux/ip_vs.h` on a 64-bit host (see [`size`]):
//! integers in host order, addresses and ports in network order, IPv4 only.

use super::msg::SvcView;
use super::msg::{DaemonReq, DestConf, DestReq, DestView, Name, Stats, SvcConf, SvcKey, SvcReq};
use super::nlattr::Errno;
use super::procfmt::SliceWriter;
use super::table::fwmark_key;
use super::uapi::{AF_INET, CONN_F_DEST_EXTRA, CONN_F_FWD_MASK, CONN_F_MASQ, VERSION_CODE};
use super::uapi::{IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP};
use crate::ipvs_sync::policy::Asked;

/// Socket option numbers (`IP_VS_SO_*`), registered on `PF_INET` as `[BASE, SET_MAX + 1)` and
/// `[BASE, GET_MAX + 1)`: netfilter answers `ENOPROTOOPT` outside those ranges.
// The ABI table is complete; the options C refuses are not named by the kernel side.
#[allow(dead_code)]
pub(crate) mod so {
    /// `IP_VS_BASE_CTL` (64 + 1024 + 64).
    pub(crate) const BASE: i32 = 1152;
    /// `IP_VS_SO_SET_NONE`: no argument, `EINVAL`.
    pub(crate) const SET_NONE: i32 = BASE;
    /// `IP_VS_SO_SET_INSERT`: no argument, `EINVAL`.
    pub(crate) const SET_INSERT: i32 = BASE + 1;
    /// Add a service.
    pub(crate) const SET_ADD: i32 = BASE + 2;
    /// Edit a service.
    pub(crate) const SET_EDIT: i32 = BASE + 3;
    /// Delete a service.
    pub(crate) const SET_DEL: i32 = BASE + 4;
    /// Delete every service (no argument).
    pub(crate) const SET_FLUSH: i32 = BASE + 5;
    /// `IP_VS_SO_SET_LIST`: no argument, `EINVAL`.
    pub(crate) const SET_LIST: i32 = BASE + 6;
    /// Add a destination.
    pub(crate) const SET_ADDDEST: i32 = BASE + 7;
    /// Delete a destination.
    pub(crate) const SET_DELDEST: i32 = BASE + 8;
    /// Edit a destination.
    pub(crate) const SET_EDITDEST: i32 = BASE + 9;
    /// Set the TCP, TCP FIN and UDP timeouts.
    pub(crate) const SET_TIMEOUT: i32 = BASE + 10;
    /// Start a sync daemon.
    pub(crate) const SET_STARTDAEMON: i32 = BASE + 11;
    /// Stop a sync daemon.
    pub(crate) const SET_STOPDAEMON: i32 = BASE + 12;
    /// `IP_VS_SO_SET_RESTORE`: no argument, `EINVAL`.
    pub(crate) const SET_RESTORE: i32 = BASE + 13;
    /// `IP_VS_SO_SET_SAVE`: no argument, `EINVAL`.
    pub(crate) const SET_SAVE: i32 = BASE + 14;
    /// Zero the counters of one service or of all.
    pub(crate) const SET_ZERO: i32 = BASE + 15;
    /// The last SET option.
    pub(crate) const SET_MAX: i32 = SET_ZERO;

    /// The version string.
    pub(crate) const GET_VERSION: i32 = BASE;
    /// `struct ip_vs_getinfo`.
    pub(crate) const GET_INFO: i32 = BASE + 1;
    /// The service table.
    pub(crate) const GET_SERVICES: i32 = BASE + 2;
    /// One service.
    pub(crate) const GET_SERVICE: i32 = BASE + 3;
    /// The destinations of one service.
    pub(crate) const GET_DESTS: i32 = BASE + 4;
    /// `IP_VS_SO_GET_DEST`: not implemented by C, `EINVAL`.
    pub(crate) const GET_DEST: i32 = BASE + 5;
    /// The three timeouts.
    pub(crate) const GET_TIMEOUT: i32 = BASE + 6;
    /// The sync daemons (master, backup).
    pub(crate) const GET_DAEMON: i32 = BASE + 7;
    /// The last GET option.
    pub(crate) const GET_MAX: i32 = GET_DAEMON;
}

/// Sizes of the user structures (x86-64 and every 64-bit ABI with an 8-byte aligned `__u64`).
#[allow(dead_code)]
pub(crate) mod size {
    /// `struct ip_vs_service_user`.
    pub(crate) const SERVICE_USER: usize = 44;
    /// `struct ip_vs_dest_user`.
    pub(crate) const DEST_USER: usize = 24;
    /// A service followed by a destination (C's `struct ip_vs_svcdest_user`).
    pub(crate) const SVCDEST_USER: usize = SERVICE_USER + DEST_USER;
    /// `struct ip_vs_stats_user` (4 bytes of padding before `inbytes`).
    pub(crate) const STATS_USER: usize = 56;
    /// `struct ip_vs_getinfo`.
    pub(crate) const GETINFO: usize = 12;
    /// `struct ip_vs_service_entry`.
    pub(crate) const SERVICE_ENTRY: usize = 104;
    /// `struct ip_vs_dest_entry`.
    pub(crate) const DEST_ENTRY: usize = 96;
    /// `struct ip_vs_get_services` without entries (`num_services` and padding).
    pub(crate) const GET_SERVICES: usize = 8;
    /// `struct ip_vs_get_dests` without entries.
    pub(crate) const GET_DESTS: usize = 24;
    /// `struct ip_vs_timeout_user`.
    pub(crate) const TIMEOUT_USER: usize = 12;
    /// `struct ip_vs_daemon_user`.
    pub(crate) const DAEMON_USER: usize = 24;
    /// The version string's buffer.
    pub(crate) const VERSION: usize = 64;
}

/// Bad address (C's answer to an unknown protocol in a SET request).
pub(crate) const EFAULT: Errno = Errno(14);

/// C's `set_arglen`, indexed by `cmd - BASE`: the exact argument length of each SET option.
const SET_ARGLEN: [usize; (so::SET_MAX - so::BASE + 1) as usize] = {
    let mut t = [0usize; (so::SET_MAX - so::BASE + 1) as usize];
    let b = so::BASE;
    t[(so::SET_ADD - b) as usize] = size::SERVICE_USER;
    t[(so::SET_EDIT - b) as usize] = size::SERVICE_USER;
    t[(so::SET_DEL - b) as usize] = size::SERVICE_USER;
    t[(so::SET_ADDDEST - b) as usize] = size::SVCDEST_USER;
    t[(so::SET_DELDEST - b) as usize] = size::SVCDEST_USER;
    t[(so::SET_EDITDEST - b) as usize] = size::SVCDEST_USER;
    t[(so::SET_TIMEOUT - b) as usize] = size::TIMEOUT_USER;
    t[(so::SET_STARTDAEMON - b) as usize] = size::DAEMON_USER;
    t[(so::SET_STOPDAEMON - b) as usize] = size::DAEMON_USER;
    t[(so::SET_ZERO - b) as usize] = size::SERVICE_USER;
    t
};

/// C's `get_arglen`: the minimum buffer length of each GET option (also what is copied in).
const GET_ARGLEN: [usize; (so::GET_MAX - so::BASE + 1) as usize] = [
    size::VERSION,
    size::GETINFO,
    size::GET_SERVICES,
    size::SERVICE_ENTRY,
    size::GET_DESTS,
    0,
    size::TIMEOUT_USER,
    2 * size::DAEMON_USER,
];

/// The exact argument length of SET option `cmd`, `None` outside `BASE..=SET_MAX`.
pub(crate) fn set_arglen(cmd: i32) -> Option<usize> {
    SET_ARGLEN
        .get(usize::try_from(cmd.checked_sub(so::BASE)?).ok()?)
        .copied()
}

/// The minimum buffer length of GET option `cmd`, `None` outside `BASE..=GET_MAX`.
pub(crate) fn get_arglen(cmd: i32) -> Option<usize> {
    GET_ARGLEN
        .get(usize::try_from(cmd.checked_sub(so::BASE)?).ok()?)
        .copied()
}

/// C's first checks of a SET (after the capability check, before the copy): `EINVAL` for an
/// option out of range or a length other than [`set_arglen`]. Returns the bytes to copy in.
pub(crate) fn check_set(cmd: i32, len: u32) -> Result<usize, Errno> {
    let want = set_arglen(cmd).ok_or(Errno::EINVAL)?;
    if usize::try_from(len).ok() != Some(want) {
        return Err(Errno::EINVAL);
    }
    Ok(want)
}

/// C's first checks of a GET (after the capability check, before the copy): `EINVAL` for an
/// option out of range or a buffer (`*len`) shorter than [`get_arglen`]. Returns the bytes to
/// copy in, which is all [`decode_get`] needs.
pub(crate) fn check_get(cmd: i32, len: i32) -> Result<usize, Errno> {
    let want = get_arglen(cmd).ok_or(Errno::EINVAL)?;
    if i64::from(len) < want as i64 {
        return Err(Errno::EINVAL);
    }
    Ok(want)
}

/// Reads a host-order `u32` at `off` (the caller has checked the length).
fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// Reads a host-order `u16` at `off`.
fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_ne_bytes([b[off], b[off + 1]])
}

/// Reads a network-order `u16` at `off` as a host value (ports are kept so, as in `msg`).
fn be16_at(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes([b[off], b[off + 1]])
}

/// An IPv4 address at `off` in the first 4 bytes of an `nf_inet_addr`.
fn addr_at(b: &[u8], off: usize) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&b[off..off + 4]);
    a
}

/// Whether the NUL-terminated `name` field holds a NUL (C: `strnlen(name, 16) < 16`).
fn terminated(name: &[u8]) -> bool {
    name.contains(&0)
}

/// The bytes of a NUL-terminated field before its NUL.
fn c_str(name: &[u8]) -> &[u8] {
    name.split(|&b| b == 0).next().unwrap_or_default()
}

/// The service a SET option addresses (C's `ip_vs_copy_usvc_compat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SvcCmd {
    /// The request as genl would give it: `key` to find the service by (family `AF_INET`; a
    /// firewall-mark service's is [`fwmark_key`], protocol TCP without address or port),
    /// `conf` for ADD and EDIT only (scheduler as sent, no persistence engine, `flags` as sent
    /// with `mask` `!0`, `timeout` and `netmask` as sent).
    pub(crate) req: SvcReq,
    /// The identity exactly as sent (family `AF_INET`). It differs from `req.key` only for a
    /// firewall-mark service: C stores the sent protocol, address and port on a service added
    /// this way (they show in [`put_service_entry`]), and fails every command but ADD with
    /// `ESRCH` when the found service's protocol is not the sent one.
    pub(crate) sent: SvcKey,
}

/// A destination SET option (C's `ip_vs_copy_udest_compat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DestCmd {
    /// The service.
    pub(crate) svc: SvcCmd,
    /// Family `AF_INET`, address and port; for ADDDEST and EDITDEST `conf` with the forwarding
    /// method (`conn_flags & IP_VS_CONN_F_FWD_MASK`), weight, thresholds and an IPIP tunnel
    /// without port or flags; for DELDEST no `conf`, as in genl.
    pub(crate) dest: DestReq,
    /// `conn_flags` as sent: C keeps `& IP_VS_CONN_F_DEST_MASK` of it (the forwarding method,
    /// `ONE_PACKET` 0x2000 and `NFCT` 0x10000, which genl cannot set).
    pub(crate) conn_flags: u32,
}

/// A decoded SET option, in C's order of checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SetReq {
    /// Delete every service (C: `ip_vs_flush`).
    Flush,
    /// C's `ip_vs_set_timeout`, as genl `SET_CONFIG` with all three: each value is an `int`
    /// (here its bits); any below 0 or above `INT_MAX / HZ` fails all with `EINVAL` (as `u32`,
    /// "above" covers both), then each non-zero one is stored, 0 keeps the current value.
    Timeouts {
        /// TCP established, seconds.
        tcp: u32,
        /// TCP FIN_WAIT, seconds.
        tcp_fin: u32,
        /// UDP, seconds.
        udp: u32,
    },
    /// C's `start_sync_thread` with `state` and the interface name (non-empty, NUL-terminated).
    /// Unlike genl `NEW_DAEMON`, no mixed-family check. In C's order: an unknown interface is
    /// `ENODEV`, then a state other than 1 (master) or 2 (backup) is `EINVAL`, a running one
    /// `EEXIST`. (A backup start allocates the connection table first, even if it then fails.)
    StartDaemon {
        /// State and interface.
        daemon: DaemonReq,
        /// The sync ID.
        syncid: u32,
    },
    /// C's `stop_sync_thread`: state 1 or 2 not running is `ESRCH`, any other state `EINVAL`.
    StopDaemon {
        /// 1 master, 2 backup.
        state: u32,
    },
    /// ZERO with no mark, address or port (whatever the protocol): zero every counter.
    ZeroAll,
    /// Zero one service (missing: `ESRCH`).
    Zero(SvcCmd),
    /// Add a service (`EEXIST` if found, by `req.key` regardless of protocol for a mark;
    /// unknown scheduler `ENOENT`).
    AddService(SvcCmd),
    /// Edit a service (missing: `ESRCH`; unknown scheduler `ENOENT`).
    EditService(SvcCmd),
    /// Delete a service (missing: `ESRCH`).
    DelService(SvcCmd),
    /// Add a destination (service missing: `ESRCH`; then as genl: `ERANGE`, `EINVAL`, `EEXIST`).
    AddDest(DestCmd),
    /// Edit a destination (service missing: `ESRCH`; destination missing: `ENOENT`).
    EditDest(DestCmd),
    /// Delete a destination (service missing: `ESRCH`; destination missing: `ENOENT`).
    DelDest(DestCmd),
}

/// Decodes SET option `cmd` with argument `arg` (exactly what was copied in) in C's order:
/// range and length (`EINVAL`, see [`check_set`]); daemons (empty or unterminated interface
/// name: `EINVAL`); FLUSH and TIMEOUT; any other option without argument (`EINVAL`); ZERO
/// with no mark, address or port; ADD/EDIT with a scheduler name of 16 bytes without a NUL
/// (`EINVAL`); a protocol other than TCP, UDP or SCTP, also for a mark ([`EFAULT`]).
pub(crate) fn decode_set(cmd: i32, arg: &[u8]) -> Result<SetReq, Errno> {
    let len = u32::try_from(arg.len()).map_err(|_| Errno::EINVAL)?;
    check_set(cmd, len)?;
    match cmd {
        so::SET_STARTDAEMON => {
            let ifn = &arg[4..20];
            // strscpy into IFNAMSIZ: an empty or truncated name is refused.
            if ifn[0] == 0 || !terminated(ifn) {
                return Err(Errno::EINVAL);
            }
            let mut ifname = [0u8; 16];
            let name = c_str(ifn);
            ifname[..name.len()].copy_from_slice(name);
            let syncid = u32_at(arg, 20);
            let daemon = DaemonReq {
                state: u32_at(arg, 0),
                ifname,
                asked: Asked {
                    syncid,
                    ..Asked::default()
                },
            };
            return Ok(SetReq::StartDaemon { daemon, syncid });
        }
        so::SET_STOPDAEMON => {
            return Ok(SetReq::StopDaemon {
                state: u32_at(arg, 0),
            })
        }
        so::SET_FLUSH => return Ok(SetReq::Flush),
        so::SET_TIMEOUT => {
            return Ok(SetReq::Timeouts {
                tcp: u32_at(arg, 0),
                tcp_fin: u32_at(arg, 4),
                udp: u32_at(arg, 8),
            })
        }
        _ if arg.is_empty() => return Err(Errno::EINVAL),
        _ => {}
    }
    let protocol = u16_at(arg, 0);
    let sent = SvcKey {
        af: AF_INET,
        protocol,
        addr: addr_at(arg, 4),
        port: be16_at(arg, 8),
        fwmark: u32_at(arg, 12),
    };
    if cmd == so::SET_ZERO && sent.fwmark == 0 && sent.addr == [0; 16] && sent.port == 0 {
        return Ok(SetReq::ZeroAll);
    }
    let sched = &arg[16..32];
    let full = cmd == so::SET_ADD || cmd == so::SET_EDIT;
    if full && !terminated(sched) {
        return Err(Errno::EINVAL);
    }
    if ![IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP].contains(&protocol) {
        return Err(EFAULT);
    }
    let key = if sent.fwmark != 0 {
        fwmark_key(AF_INET, sent.fwmark)
    } else {
        sent
    };
    let conf = full.then(|| SvcConf {
        sched: Name::new(c_str(sched)),
        pe: None,
        flags: u32_at(arg, 32),
        mask: u32::MAX,
        timeout: u32_at(arg, 36),
        netmask: u32_at(arg, 40),
    });
    let svc = SvcCmd {
        req: SvcReq { key, conf },
        sent,
    };
    let dest = |full: bool| {
        let d = &arg[size::SERVICE_USER..];
        let conn_flags = u32_at(d, 8);
        let conf = full.then(|| DestConf {
            fwd: conn_flags & CONN_F_FWD_MASK,
            flags: conn_flags & CONN_F_DEST_EXTRA,
            weight: u32_at(d, 12),
            u_thresh: u32_at(d, 16),
            l_thresh: u32_at(d, 20),
            tun_type: 0,
            tun_port: 0,
            tun_flags: 0,
        });
        DestCmd {
            svc,
            dest: DestReq {
                af: AF_INET,
                addr: addr_at(d, 0),
                port: be16_at(d, 4),
                conf,
            },
            conn_flags,
        }
    };
    Ok(match cmd {
        so::SET_ADD => SetReq::AddService(svc),
        so::SET_EDIT => SetReq::EditService(svc),
        so::SET_DEL => SetReq::DelService(svc),
        so::SET_ZERO => SetReq::Zero(svc),
        so::SET_ADDDEST => SetReq::AddDest(dest(true)),
        so::SET_EDITDEST => SetReq::EditDest(dest(true)),
        so::SET_DELDEST => SetReq::DelDest(dest(false)),
        // Options with a zero `set_arglen` have returned above.
        _ => return Err(Errno::EINVAL),
    })
}

/// A decoded GET option. Only IPv4 (`AF_INET`) services are visible; lookups by mark ignore
/// the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GetReq {
    /// [`put_version`]: writes `strlen + 1` bytes and sets `*len` to that.
    Version,
    /// [`put_info`]: 12 bytes, `*len` unchanged.
    Info,
    /// Up to `num` IPv4 services, each [`put_service_entry`] into a zeroed entry written at
    /// [`services_entry_offset`]; the header and the rest of the buffer are not written, `*len`
    /// is unchanged and there is no error when there are fewer services. (C walks its hash
    /// table, so the order is not the creation order.)
    Services {
        /// `num_services` as sent.
        num: u32,
    },
    /// One service by key (missing: `ESRCH`): [`put_service_entry`] over the copied-in entry,
    /// whose 104 bytes are written back (padding keeps the sent bytes).
    Service(SvcKey),
    /// Up to `num` destinations of the service `key` (missing: `ESRCH`) whose family is the
    /// service's, each [`put_dest_entry`] into a zeroed entry at [`dests_entry_offset`]; the
    /// header is not written, `*len` unchanged.
    Dests {
        /// The service.
        key: SvcKey,
        /// `num_dests` as sent.
        num: u32,
    },
    /// [`put_timeouts`]: 12 bytes.
    Timeouts,
    /// [`put_daemons`]: 48 bytes.
    Daemons,
}

/// The lookup key of a GET's service identity at the start of `arg` (`protocol`, `addr`,
/// `port`, `fwmark`: the same offsets in `ip_vs_service_entry` and `ip_vs_get_dests`).
fn get_key(arg: &[u8]) -> SvcKey {
    let fwmark = u32_at(arg, 12);
    if fwmark != 0 {
        return fwmark_key(AF_INET, fwmark);
    }
    SvcKey {
        af: AF_INET,
        protocol: u16_at(arg, 0),
        addr: addr_at(arg, 4),
        port: be16_at(arg, 8),
        fwmark: 0,
    }
}

/// Decodes GET option `cmd` for a buffer of `len` bytes (C's `*len`) whose first
/// [`check_get`] bytes are `arg`: the checks of [`check_get`]; for GET_SERVICES and GET_DESTS
/// `len` must be exactly the header plus `num` entries (`EINVAL`); GET_DEST is `EINVAL`.
/// Nothing here is `ESRCH`: a missing service is the kernel side's answer.
pub(crate) fn decode_get(cmd: i32, len: i32, arg: &[u8]) -> Result<GetReq, Errno> {
    let want = check_get(cmd, len)?;
    if arg.len() < want {
        return Err(EFAULT);
    }
    let exact = |head: usize, num: u32, entry: usize| {
        // C's struct_size() in size_t; `len` is at least the header here.
        if len as u64 == head as u64 + u64::from(num) * entry as u64 {
            Ok(())
        } else {
            Err(Errno::EINVAL)
        }
    };
    Ok(match cmd {
        so::GET_VERSION => GetReq::Version,
        so::GET_INFO => GetReq::Info,
        so::GET_SERVICES => {
            let num = u32_at(arg, 0);
            exact(size::GET_SERVICES, num, size::SERVICE_ENTRY)?;
            GetReq::Services { num }
        }
        so::GET_SERVICE => GetReq::Service(get_key(arg)),
        so::GET_DESTS => {
            let num = u32_at(arg, 16);
            exact(size::GET_DESTS, num, size::DEST_ENTRY)?;
            GetReq::Dests {
                key: get_key(arg),
                num,
            }
        }
        so::GET_TIMEOUT => GetReq::Timeouts,
        so::GET_DAEMON => GetReq::Daemons,
        _ => return Err(Errno::EINVAL),
    })
}

/// Where entry `i` of a GET_SERVICES reply starts in the user buffer.
pub(crate) fn services_entry_offset(i: usize) -> usize {
    size::GET_SERVICES + i * size::SERVICE_ENTRY
}

/// Where entry `i` of a GET_DESTS reply starts in the user buffer.
pub(crate) fn dests_entry_offset(i: usize) -> usize {
    size::GET_DESTS + i * size::DEST_ENTRY
}

/// Writes `v` in host order at `off`.
fn put32(out: &mut [u8], off: usize, v: u32) {
    out[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}

/// Writes a host-order port in network order at `off`.
fn put_be16(out: &mut [u8], off: usize, v: u16) {
    out[off..off + 2].copy_from_slice(&v.to_be_bytes());
}

/// Writes `s` as an `ip_vs_stats_user` at `off` (counters and rates truncated to 32 bits, bytes
/// 64-bit; the padding at `off + 12` is not written).
fn put_stats(out: &mut [u8], off: usize, s: &Stats) {
    put32(out, off, s.conns as u32);
    put32(out, off + 4, s.inpkts as u32);
    put32(out, off + 8, s.outpkts as u32);
    out[off + 16..off + 24].copy_from_slice(&s.inbytes.to_ne_bytes());
    out[off + 24..off + 32].copy_from_slice(&s.outbytes.to_ne_bytes());
    for (i, v) in [s.cps, s.inpps, s.outpps, s.inbps, s.outbps]
        .into_iter()
        .enumerate()
    {
        put32(out, off + 32 + 4 * i, v as u32);
    }
}

/// Writes a name into a 16-byte field: at most 15 bytes, NUL-padded.
fn put_name(out: &mut [u8], off: usize, name: &[u8]) {
    let n = c_str(name);
    let n = &n[..n.len().min(15)];
    out[off..off + 16].fill(0);
    out[off..off + n.len()].copy_from_slice(n);
}

/// Writes the GET_VERSION string, NUL-terminated, and returns its length with the NUL (the
/// bytes to copy out and C's new `*len`).
pub(crate) fn put_version(out: &mut [u8; size::VERSION], conn_tab_size: u32) -> usize {
    let v = VERSION_CODE;
    let mut w = SliceWriter {
        buf: &mut out[..size::VERSION - 1],
        len: 0,
    };
    // At most 49 bytes: it always fits.
    let _ = core::fmt::write(
        &mut w,
        format_args!(
            "IP Virtual Server version {}.{}.{} (size={})",
            (v >> 16) & 0xff,
            (v >> 8) & 0xff,
            v & 0xff,
            conn_tab_size as i32
        ),
    );
    let n = w.len;
    out[n] = 0;
    n + 1
}

/// Writes `struct ip_vs_getinfo`: the version code, the connection table's size and the
/// number of IPv4 services (C counts `AF_INET` services, address and mark ones).
pub(crate) fn put_info(out: &mut [u8; size::GETINFO], conn_tab_size: u32, num_services: u32) {
    put32(out, 0, VERSION_CODE);
    put32(out, 4, conn_tab_size);
    put32(out, 8, num_services);
}

/// Writes the fields of `struct ip_vs_service_entry` for the IPv4 service `v` with `num_dests`
/// destinations (all of them, of any family): protocol, address, port, mark, scheduler
/// (NUL-padded; `none` when unbound), flags (with `HASHED`), timeout (seconds), netmask and
/// stats. Padding is not written: C's GET_SERVICES writes into a zeroed entry, its GET_SERVICE
/// over the caller's copied-in one.
pub(crate) fn put_service_entry(
    out: &mut [u8; size::SERVICE_ENTRY],
    v: &SvcView<'_>,
    num_dests: u32,
) {
    out[0..2].copy_from_slice(&v.key.protocol.to_ne_bytes());
    out[4..8].copy_from_slice(&v.key.addr[..4]);
    put_be16(out, 8, v.key.port);
    put32(out, 12, v.key.fwmark);
    put_name(out, 16, v.sched);
    put32(out, 32, v.flags);
    put32(out, 36, v.timeout);
    put32(out, 40, v.netmask);
    put32(out, 44, num_dests);
    put_stats(out, 48, &v.stats);
}

/// C's `IP_VS_CONN_F_NOOUTPUT`: set on every destination that is not NAT.
const CONN_F_NOOUTPUT: u32 = 0x0080;
/// C's `IP_VS_CONN_F_INACTIVE`: set on every destination.
const CONN_F_INACTIVE: u32 = 0x0100;

/// A destination's `conn_flags` as C keeps them: `flags & IP_VS_CONN_F_DEST_MASK` as sent (the
/// forwarding method, plus `ONE_PACKET`/`NFCT` when sent by socket option), with `INACTIVE`,
/// and `NOOUTPUT` unless NAT.
pub(crate) fn dest_conn_flags(flags: u32) -> u32 {
    let f = (flags & (CONN_F_FWD_MASK | CONN_F_DEST_EXTRA)) | CONN_F_INACTIVE;
    if flags & CONN_F_FWD_MASK != CONN_F_MASQ {
        f | CONN_F_NOOUTPUT
    } else {
        f
    }
}

/// Writes `struct ip_vs_dest_entry` for the IPv4 destination `d` (unlike genl, `conn_flags`
/// are all of C's: see [`dest_conn_flags`]). Padding is not written.
pub(crate) fn put_dest_entry(out: &mut [u8; size::DEST_ENTRY], d: &DestView) {
    out[0..4].copy_from_slice(&d.addr[..4]);
    put_be16(out, 4, d.port);
    put32(out, 8, dest_conn_flags(d.conf.fwd | d.conf.flags));
    put32(out, 12, d.conf.weight);
    put32(out, 16, d.conf.u_thresh);
    put32(out, 20, d.conf.l_thresh);
    put32(out, 24, d.active);
    put32(out, 28, d.inactive);
    put32(out, 32, d.persist);
    put_stats(out, 40, &d.stats);
}

/// Writes `struct ip_vs_timeout_user` (seconds).
pub(crate) fn put_timeouts(out: &mut [u8; size::TIMEOUT_USER], tcp: u32, tcp_fin: u32, udp: u32) {
    put32(out, 0, tcp);
    put32(out, 4, tcp_fin);
    put32(out, 8, udp);
}

/// Writes the two `struct ip_vs_daemon_user` of GET_DAEMON: the master's (state 1) and the
/// backup's (state 2) as `(interface, sync ID)`, each all zero when not running.
pub(crate) fn put_daemons(
    out: &mut [u8; 2 * size::DAEMON_USER],
    master: Option<(&[u8], u32)>,
    backup: Option<(&[u8], u32)>,
) {
    out.fill(0);
    for (i, (state, d)) in [(1u32, master), (2, backup)].into_iter().enumerate() {
        if let Some((ifname, syncid)) = d {
            let off = i * size::DAEMON_USER;
            put32(out, off, state);
            put_name(out, off + 4, ifname);
            put32(out, off + 20, syncid);
        }
    }
}
