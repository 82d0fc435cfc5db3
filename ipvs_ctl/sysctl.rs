// SPDX-License-Identifier: GPL-2.0

//! What the `net/ipv4/vs/` files start at and which writes they take: C IPVS 7.3's defaults
//! (`ip_vs_control_net_init_sysctl` and the table sizing defaults) and the rules of its own
//! proc handlers (`proc_do_conn_max`, `proc_do_defense_mode`, `proc_do_sync_threshold`,
//! `proc_do_sync_ports`, `ipvs_proc_est_nice`, the load factors). Files without a rule of their
//! own take any integer (the kernel's `proc_dointvec`) or a range the kernel checks.

/// The most connections a namespace may have (C's `IP_VS_CONN_MAX`): what `atomic_t` counts,
/// and what a power-of-two table can be rounded up to.
pub(crate) const CONN_MAX: i32 = if usize::BITS > 32 { 1 << 30 } else { 1 << 24 };

/// Nice values (`MIN_NICE`, `MAX_NICE`).
const NICE: core::ops::RangeInclusive<i32> = -20..=19;

/// Load factors (`conn_lfactor`, `svc_lfactor`): `2^-8` to `2^8` entries per bucket.
const LFACTOR: core::ops::RangeInclusive<i32> = -8..=8;

/// The files whose writes have a rule beyond "an integer".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    /// `conn_max`: 0 to [`CONN_MAX`] for a writer with `CAP_NET_ADMIN` (who also moves the
    /// ceiling), 0 to the ceiling for others.
    ConnMax,
    /// `drop_entry`, `drop_packet`, `secure_tcp`: a defence mode, 0 to 3.
    DefenseMode,
    /// `sync_threshold`: two values, not negative, the first below the second unless the
    /// second is 0.
    SyncThreshold,
    /// `sync_ports`: a power of two.
    SyncPorts,
    /// `est_nice`: a nice value.
    Nice,
    /// `conn_lfactor`, `svc_lfactor`: -8 to 8.
    LoadFactor,
    /// `run_estimation`: any integer (a change restarts the estimator).
    Any,
}

/// What a write does: `None` if refused (`EINVAL`), else the new ceiling of `conn_max` if it
/// moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Accepted {
    /// The value is taken.
    Value,
    /// `conn_max` is taken and is the new ceiling for writers without `CAP_NET_ADMIN`.
    ValueAndCeiling,
}

/// Whether a write of `vals` is taken (`None`: `EINVAL`). `ceiling` is the namespace's
/// current `conn_max` ceiling, `privileged` whether the writer has `CAP_NET_ADMIN` in the
/// initial user namespace.
pub(crate) fn check(rule: Rule, vals: &[i32], ceiling: i32, privileged: bool) -> Option<Accepted> {
    let v = *vals.first()?;
    let ok = match rule {
        Rule::ConnMax => {
            let max = if privileged { CONN_MAX } else { ceiling };
            return (0..=max).contains(&v).then_some(if privileged {
                Accepted::ValueAndCeiling
            } else {
                Accepted::Value
            });
        }
        Rule::DefenseMode => (0..=3).contains(&v),
        Rule::SyncThreshold => {
            let period = *vals.get(1)?;
            v >= 0 && period >= 0 && (v < period || period == 0)
        }
        Rule::SyncPorts => v >= 1 && (v as u32).is_power_of_two(),
        Rule::Nice => NICE.contains(&v),
        Rule::LoadFactor => LFACTOR.contains(&v),
        Rule::Any => true,
    };
    ok.then_some(Accepted::Value)
}

/// `sync_threshold`'s default (C's `DEFAULT_SYNC_THRESHOLD`, `DEFAULT_SYNC_PERIOD`).
pub(crate) const SYNC_THRESHOLD: [i32; 2] = [3, 50];

/// `amemthresh`'s default, in pages.
pub(crate) const AMEMTHRESH: i32 = 1024;

/// `am_droprate`'s default.
pub(crate) const AM_DROPRATE: i32 = 10;

/// `lblc_expiration` and `lblcr_expiration`'s default, in seconds (a day).
pub(crate) const LB_EXPIRATION_S: i32 = 24 * 60 * 60;

/// `svc_lfactor`'s default: the service table grows above 1/8 full in the initial namespace,
/// above 1/4 in others.
pub(crate) fn default_svc_lfactor(init_net: bool) -> i32 {
    if init_net {
        -3
    } else {
        -2
    }
}
