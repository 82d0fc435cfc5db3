// SPDX-License-Identifier: GPL-2.0

//! The rate estimator behind `ipvsadm -L --rate` and the rate fields of `--stats`.
//!
//! Like C IPVS: every 2 seconds each counter's increase is turned into a rate and smoothed by
//! an exponentially weighted moving average with weight 1/4; rates of connections and packets
//! are kept with 10 fractional bits, byte rates with 5.

/// Counters an estimator follows, in this order: conns, inpkts, outpkts, inbytes, outbytes.
pub(crate) const COUNTERS: usize = 5;

/// Seconds between two estimations.
pub(crate) const PERIOD_S: u64 = 2;

/// One estimator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Est {
    /// The counters at the previous estimation.
    pub(crate) last: [u64; COUNTERS],
    /// The smoothed rates, scaled (see [`Est::rates`]).
    pub(crate) avg: [u64; COUNTERS],
}

/// Scaling shift of a counter's increase over [`PERIOD_S`]: per second with 10 fractional
/// bits for counts (`<< 9` over 2 s), 5 for bytes (`<< 4`).
fn shift(i: usize) -> u32 {
    if i < 3 {
        9
    } else {
        4
    }
}

impl Est {
    /// Takes one estimation with the counters' current values.
    pub(crate) fn update(&mut self, now: [u64; COUNTERS]) {
        for (i, ((last, avg), now)) in self
            .last
            .iter_mut()
            .zip(self.avg.iter_mut())
            .zip(now)
            .enumerate()
        {
            let rate = now.wrapping_sub(*last).wrapping_shl(shift(i)) as i64;
            *last = now;
            let a = *avg as i64;
            *avg = a.wrapping_add(rate.wrapping_sub(a) >> 2) as u64;
        }
    }

    /// The rates per second, rounded: conns, inpkts, outpkts, inbytes, outbytes.
    pub(crate) fn rates(&self) -> [u64; COUNTERS] {
        let mut r = [0; COUNTERS];
        for (i, r) in r.iter_mut().enumerate() {
            *r = if i < 3 {
                self.avg[i].wrapping_add(0x1ff) >> 10
            } else {
                self.avg[i].wrapping_add(0xf) >> 5
            };
        }
        r
    }
}
