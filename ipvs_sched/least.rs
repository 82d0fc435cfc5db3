// SPDX-License-Identifier: GPL-2.0

//! The connection-count family: lc, wlc, sed, nq; and the weight-order family: fo, ovf.
//!
//! All are stateless: each pick scans the destinations in list order. Ties keep the earlier
//! destination, like C IPVS.

use super::{Algorithm, DestState, Dests, Packet, SharedPick};

/// Expected delay of one more connection (sed, nq): `activeconns + 1`.
fn sed_overhead(d: &DestState) -> i64 {
    i64::from(d.active) + 1
}

/// Least weighted load: the first available destination, then any later non-overloaded one
/// whose `overhead / weight` is strictly lower (compared as cross products, as C does).
pub(super) fn least_weighted(
    n: usize,
    dest: Dests<'_>,
    cost: fn(&DestState) -> i64,
) -> Option<usize> {
    let first = (0..n).find(|&i| dest(i).available())?;
    let (mut best, mut best_d) = (first, dest(first));
    let mut best_cost = cost(&best_d);
    for i in first + 1..n {
        let d = dest(i);
        if d.overloaded {
            continue;
        }
        let c = cost(&d);
        if best_cost * i64::from(d.weight) > c * i64::from(best_d.weight) {
            (best, best_d, best_cost) = (i, d, c);
        }
    }
    Some(best)
}

macro_rules! stateless {
    ($(#[$m:meta])* $name:ident, |$n:ident, $dest:ident| $body:expr) => {
        $(#[$m])*
        #[derive(Debug, Default)]
        pub(crate) struct $name;

        impl Algorithm for $name {}

        impl SharedPick for $name {
            fn pick(&self, $n: usize, $dest: Dests<'_>, _pkt: &Packet) -> Option<usize> {
                $body
            }
        }
    };
}

stateless!(
    /// Least connections: the lowest overhead among available destinations.
    Lc,
    |n, dest| {
        let mut best: Option<(usize, i64)> = None;
        for i in 0..n {
            let d = dest(i);
            if d.overloaded || d.weight == 0 {
                continue;
            }
            let o = d.overhead();
            if best.is_none_or(|(_, b)| o < b) {
                best = Some((i, o));
            }
        }
        best.map(|(i, _)| i)
    }
);

stateless!(
    /// Weighted least connections: the lowest overhead per weight.
    Wlc,
    |n, dest| least_weighted(n, dest, DestState::overhead)
);

stateless!(
    /// Shortest expected delay: the lowest `(active + 1) / weight`.
    Sed,
    |n, dest| least_weighted(n, dest, sed_overhead)
);

stateless!(
    /// Never queue: the first idle destination, else shortest expected delay.
    Nq,
    |n, dest| {
        let mut best: Option<(usize, DestState, i64)> = None;
        for i in 0..n {
            let d = dest(i);
            if d.overloaded || d.weight == 0 {
                continue;
            }
            if d.active == 0 {
                return Some(i);
            }
            let c = sed_overhead(&d);
            let better = match &best {
                None => true,
                Some((_, b, bc)) => *bc * i64::from(d.weight) > c * i64::from(b.weight),
            };
            if better {
                best = Some((i, d, c));
            }
        }
        best.map(|(i, ..)| i)
    }
);

stateless!(
    /// Weighted failover: the first destination with the highest weight.
    Fo,
    |n, dest| {
        let mut best: Option<(usize, i32)> = None;
        for i in 0..n {
            let d = dest(i);
            if !d.overloaded && d.weight > best.map_or(0, |(_, w)| w) {
                best = Some((i, d.weight));
            }
        }
        best.map(|(i, _)| i)
    }
);

stateless!(
    /// Overflow: the highest-weight destination whose active connections do not exceed its weight.
    Ovf,
    |n, dest| {
        let mut best: Option<(usize, i32)> = None;
        for i in 0..n {
            let d = dest(i);
            if d.overloaded || d.weight == 0 || i64::from(d.active) > i64::from(d.weight) {
                continue;
            }
            if best.is_none_or(|(_, w)| d.weight > w) {
                best = Some((i, d.weight));
            }
        }
        best.map(|(i, _)| i)
    }
);
