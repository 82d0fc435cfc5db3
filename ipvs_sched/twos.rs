// SPDX-License-Identifier: GPL-2.0

//! Power of two choices: two destinations drawn at random in proportion to their weights; the
//! one with the lower connection overhead per weight wins.

use super::{below, Algorithm, Dests, Packet, SharedPick};

/// Stateless.
#[derive(Debug, Default)]
pub(crate) struct Twos;

impl Algorithm for Twos {}

impl SharedPick for Twos {
    fn pick(&self, n: usize, dest: Dests<'_>, pkt: &Packet) -> Option<usize> {
        let usable = |i: usize| {
            let d = dest(i);
            (!d.overloaded && d.weight > 0).then_some(d)
        };
        let total: i64 = (0..n).filter_map(usable).map(|d| i64::from(d.weight)).sum();
        if total == 0 {
            return None;
        }
        let random = pkt.random?;
        // Draws are inclusive of the total, as in C.
        let bound = u32::try_from(total + 1).unwrap_or(u32::MAX);
        let mut r1 = i64::from(below(random(), bound));
        let mut r2 = i64::from(below(random(), bound));
        // (index, weight, overhead) of each draw's destination.
        type Choice = Option<(usize, i64, i64)>;
        let (mut c1, mut c2): (Choice, Choice) = (None, None);
        for i in 0..n {
            let Some(d) = usable(i) else { continue };
            let w = i64::from(d.weight);
            r1 -= w;
            r2 -= w;
            if r1 <= 0 && c1.is_none() {
                c1 = Some((i, w, d.overhead()));
            }
            if r2 <= 0 && c2.is_none() {
                c2 = Some((i, w, d.overhead()));
            }
            if c1.is_some() && c2.is_some() {
                break;
            }
        }
        let (i1, w1, o1) = c1?;
        match c2 {
            Some((i2, w2, o2)) if w2 * o1 > w1 * o2 => Some(i2),
            _ => Some(i1),
        }
    }
}
