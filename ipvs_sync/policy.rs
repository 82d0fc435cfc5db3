// SPDX-License-Identifier: GPL-2.0

//! When a master sends a connection, and a daemon's settings: C IPVS's rules
//! (`ip_vs_sync_conn_needed`, `start_sync_thread`), pure.

use super::wire;
use crate::ipvs_proto::inet::Family;

/// What a master's thread count is clamped to (`IPVS_SYNC_PORTS_MAX`).
pub(crate) const PORTS_MAX: u32 = 64;
/// Buffers older than this are sent even if not full (`IPVS_SYNC_FLUSH_TIME`, 2 s; in
/// seconds here).
pub(crate) const FLUSH_TIME_S: u64 = 2;
/// The master thread's idle wake-up (`IPVS_SYNC_CHECK_PERIOD`, HZ / 10), as a fraction of a
/// second.
pub(crate) const CHECK_PERIOD_DIV: u64 = 10;
/// Queued buffers that wake the master thread at once (`IPVS_SYNC_WAKEUP_RATE`; C wakes it
/// 20 ms after the first, here at once).
pub(crate) const WAKEUP_RATE: u32 = 8;
/// A synced template without a timeout (version 0) lives 3 minutes.
pub(crate) const V0_TEMPLATE_TIMEOUT_S: u32 = 180;

/// C's TCP state numbers the rules name.
mod tcp_state {
    pub(super) const ESTABLISHED: u16 = 1;
    pub(super) const FIN_WAIT: u16 = 4;
    pub(super) const TIME_WAIT: u16 = 5;
    pub(super) const CLOSE: u16 = 6;
    pub(super) const CLOSE_WAIT: u16 = 7;
}

/// C's SCTP state numbers the rules name.
mod sctp_state {
    pub(super) const ESTABLISHED: u16 = 8;
    pub(super) const SHUTDOWN_SENT: u16 = 9;
    pub(super) const SHUTDOWN_RECEIVED: u16 = 10;
    pub(super) const SHUTDOWN_ACK_SENT: u16 = 11;
    pub(super) const CLOSED: u16 = 13;
}

/// IP protocol numbers of TCP and SCTP.
const TCP: u8 = 6;
const SCTP: u8 = 132;

/// The sysctls the decision reads.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Knobs {
    /// `sync_threshold`'s first value.
    pub(crate) threshold: i32,
    /// `sync_threshold`'s second value (`sync_period`).
    pub(crate) period: i32,
    /// `sync_refresh_period`, jiffies.
    pub(crate) refresh_period: u32,
    /// `sync_retries`.
    pub(crate) retries: u32,
    /// `sync_persist_mode`.
    pub(crate) persist_mode: bool,
}

/// What the decision knows of a connection.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ConnNow {
    /// A persistence template.
    pub(crate) template: bool,
    /// Controlled by a template (persistence).
    pub(crate) in_persistence: bool,
    /// IP protocol.
    pub(crate) protocol: u8,
    /// Its state and the state it was last sent in (C's numbers).
    pub(crate) state: u16,
    /// See `state`.
    pub(crate) old_state: u16,
    /// Its timeout, jiffies.
    pub(crate) timeout: u32,
    /// Packets from the client (a template: the count of its connections' syncs).
    pub(crate) pkts: i32,
}

/// The outcome when the decision got past its early exits: the caller records `state` as the
/// last sent, tries to replace the connection's sync deadline `orig` by `endtime`, and sends
/// if that succeeded or `force`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Send {
    /// The new sync deadline: jiffies when it would be sent again, retries in the low bits.
    pub(crate) endtime: u32,
    /// A state change that is sent whatever the deadline says.
    pub(crate) force: bool,
}

/// For a protocol with states (TCP, SCTP): the states its connections are sent in, and its
/// ESTABLISHED.
fn stateful(protocol: u8) -> Option<(&'static [u16], u16)> {
    match protocol {
        TCP => {
            use tcp_state::*;
            Some((
                &[ESTABLISHED, FIN_WAIT, CLOSE, CLOSE_WAIT, TIME_WAIT],
                ESTABLISHED,
            ))
        }
        SCTP => {
            use sctp_state::*;
            let synced = &[
                ESTABLISHED,
                SHUTDOWN_SENT,
                SHUTDOWN_RECEIVED,
                SHUTDOWN_ACK_SENT,
                CLOSED,
            ];
            Some((synced, ESTABLISHED))
        }
        _ => None,
    }
}

/// Whether a master sends connection `c` now (`now` jiffies, `orig` its sync deadline, `hz`
/// jiffies a second) (C: `ip_vs_sync_conn_needed`). `None`: not now, nothing changes.
/// Jiffies are taken modulo 2^32 (differences of up to 24 days at 1000 Hz compare right).
pub(crate) fn needed(c: &ConnNow, k: &Knobs, now: u32, orig: u32, hz: u32) -> Option<Send> {
    let mut n = now.wrapping_add(c.timeout) & !3;
    let force = if c.template {
        false
    } else if k.persist_mode && c.in_persistence {
        return None;
    } else if let Some((synced, established)) = stateful(c.protocol) {
        // Sent in these states only; a change of state at once, but into ESTABLISHED (whose
        // first send the thresholds below decide).
        if !synced.contains(&c.state) {
            return None;
        }
        let force = c.state != c.old_state;
        if force && c.state != established {
            return Some(Send { endtime: n, force });
        }
        force
    } else {
        false
    };
    if k.refresh_period > 0 {
        let diff = n.wrapping_sub(orig) as i32;
        let min_diff = (c.timeout >> 1).max(10 * hz);
        if diff.unsigned_abs() < k.refresh_period.min(min_diff) {
            let retries = orig & 3;
            if retries >= k.retries {
                return None;
            }
            let retry_at = orig
                .wrapping_sub(c.timeout)
                .wrapping_add(k.refresh_period >> 3);
            if (now.wrapping_sub(retry_at) as i32) < 0 {
                return None;
            }
            n |= retries + 1;
        }
    }
    if k.period > 0 {
        if !c.template && c.pkts % k.period != k.threshold {
            return None;
        }
    } else if k.refresh_period == 0 && c.pkts != k.threshold {
        return None;
    }
    Some(Send { endtime: n, force })
}

/// Which master thread sends a connection: by its address, as C (`select_master_thread_id`
/// with its 296-byte connections: the address shifted by 1 + log2(296)), masked by the
/// thread count less one.
pub(crate) fn master_thread(conn_addr: usize, mask: u32) -> usize {
    (conn_addr >> 9) & mask as usize
}

/// The role of a daemon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Sends this director's connections (`IP_VS_STATE_MASTER`, 1).
    Master,
    /// Takes another's (`IP_VS_STATE_BACKUP`, 2).
    Backup,
}

impl Role {
    /// The role of a control-plane `state`.
    pub(crate) fn of_state(state: u32) -> Option<Self> {
        match state {
            1 => Some(Self::Master),
            2 => Some(Self::Backup),
            _ => None,
        }
    }

    /// The control plane's `state`.
    pub(crate) fn state(self) -> u32 {
        match self {
            Self::Master => 1,
            Self::Backup => 2,
        }
    }
}

/// A daemon's settings as asked for (zero: the default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Asked {
    /// The sync ID (the control plane's 32 bits; messages carry the low byte).
    pub(crate) syncid: u32,
    /// `sync_maxlen`.
    pub(crate) maxlen: u16,
    /// The group's family and address (`None`: IPv4 224.0.0.81).
    pub(crate) group: Option<(Family, [u8; 16])>,
    /// UDP port of thread 0.
    pub(crate) port: u16,
    /// Multicast TTL.
    pub(crate) ttl: u8,
}

/// A running daemon's settings (C: `struct ipvs_sync_daemon_cfg` after `start_sync_thread`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Config {
    /// The sync ID.
    pub(crate) syncid: u32,
    /// The longest message sent, or read, without IP and UDP headers.
    pub(crate) maxlen: u16,
    /// The group's family.
    pub(crate) family: Family,
    /// The group's address (IPv4 in the first four bytes).
    pub(crate) group: [u8; 16],
    /// UDP port of thread 0.
    pub(crate) port: u16,
    /// Multicast TTL.
    pub(crate) ttl: u8,
}

impl Config {
    /// The settings a daemon of `role` runs with on an interface of `mtu`, from what was
    /// asked.
    pub(crate) fn new(role: Role, a: &Asked, mtu: u32) -> Self {
        let (family, group) = a.group.unwrap_or_else(|| {
            let mut g = [0u8; 16];
            g[..4].copy_from_slice(&wire::GROUP);
            (Family::V4, g)
        });
        let hlen: u32 = match family {
            Family::V4 => 20 + 8,
            Family::V6 => 40 + 8,
        };
        let (mtu, min) = match role {
            Role::Backup => (mtu.clamp(1500, 65535), 1024),
            Role::Master => (1500, 1),
        };
        let maxlen = if a.maxlen != 0 {
            u32::from(a.maxlen).clamp(min, 65535 - hlen)
        } else {
            mtu - hlen
        };
        Self {
            syncid: a.syncid,
            maxlen: maxlen as u16,
            family,
            group,
            port: if a.port != 0 { a.port } else { wire::PORT },
            ttl: if a.ttl != 0 { a.ttl } else { 1 },
        }
    }
}

/// The number of threads a first daemon starts (`sync_ports` clamped; later daemons use the
/// running ones' count).
pub(crate) fn thread_count(sync_ports: i32) -> u32 {
    sync_ports.clamp(1, PORTS_MAX as i32) as u32
}
