// SPDX-License-Identifier: GPL-2.0

//! Weighted round robin: passes over the list with a falling weight threshold, from the
//! highest weight down in steps of the weights' greatest common divisor; a destination is picked
//! on every pass whose threshold its weight reaches. Weights 4, 3, 2 give A A B A B C A B C.

use super::{Algorithm, DestState, Dests, LockedPick, Packet};

/// Weighted round-robin state.
#[derive(Debug, Default)]
pub(crate) struct Wrr {
    /// List position of the last pick (`None`: the list head).
    cl: Option<usize>,
    /// Current weight threshold.
    cw: i32,
    /// Highest weight, less the step plus one.
    mw: i32,
    /// Step: the gcd of the positive weights.
    di: i32,
}

fn gcd(a: i32, b: i32) -> i32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl Wrr {
    fn recompute(&mut self, n: usize, dest: Dests<'_>) {
        let weights = (0..n).map(|i| dest(i).weight);
        let g = weights
            .clone()
            .filter(|&w| w > 0)
            .fold(0, |g, w| if g > 0 { gcd(w, g) } else { w });
        self.di = if g > 0 { g } else { 1 };
        self.mw = weights.max().unwrap_or(0).max(0) - (self.di - 1);
        self.cl = None;
    }

    /// A destination was added, removed or re-weighted: restart from the head with the
    /// threshold adjusted to the new weights.
    fn changed(&mut self, n: usize, dest: Dests<'_>) {
        self.recompute(n, dest);
        if self.cw > self.mw || self.cw == 0 {
            self.cw = self.mw;
        } else if self.di > 1 {
            self.cw = (self.cw / self.di) * self.di + 1;
        }
    }
}

impl Algorithm for Wrr {
    fn init(&mut self, n: usize, dest: Dests<'_>) {
        self.recompute(n, dest);
        self.cw = self.mw;
    }

    fn add_dest(&mut self, _idx: usize, n: usize, dest: Dests<'_>) {
        self.changed(n, dest);
    }

    fn del_dest(&mut self, _idx: usize, n: usize, dest: Dests<'_>) {
        self.changed(n, dest);
    }

    fn upd_dest(&mut self, _idx: usize, n: usize, dest: Dests<'_>) {
        self.changed(n, dest);
    }
}

impl LockedPick for Wrr {
    /// Picks the next destination whose weight reaches the current threshold.
    fn pick(&mut self, n: usize, dest: Dests<'_>, _pkt: &Packet) -> Option<usize> {
        if self.mw == 0 {
            return None;
        }
        let last = self.cl;
        let mut pos = self.cl;
        let mut stop: Option<usize> = None;
        let (mut last_pass, mut restarted) = (false, false);
        loop {
            for i in pos.map_or(0, |p| p + 1)..n {
                let d: DestState = dest(i);
                if !d.overloaded && d.weight >= self.cw {
                    self.cl = Some(i);
                    return Some(i);
                }
                if stop == Some(i) {
                    self.cl = Some(i);
                    return None;
                }
            }
            pos = None;
            self.cw -= self.di;
            if self.cw <= 0 {
                self.cw = self.mw;
                if last_pass || last.is_none() {
                    self.cl = None;
                    return None;
                }
                restarted = true;
            }
            last_pass = self.cw <= self.di;
            if last_pass && restarted && last.is_some() {
                stop = last;
            }
        }
    }
}
