// SPDX-License-Identifier: GPL-2.0

//! Round robin: the next available destination after the last one picked, circularly.

use super::{Algorithm, Dests, LockedPick, Packet};

/// Round-robin state: the list position of the last pick (`None`: the list head).
#[derive(Debug, Default)]
pub(crate) struct Rr {
    last: Option<usize>,
}

impl Algorithm for Rr {
    /// A destination was inserted at `idx`: the remembered position follows its destination.
    fn add_dest(&mut self, idx: usize, _n: usize, _dest: Dests<'_>) {
        if let Some(l) = self.last.as_mut() {
            if *l >= idx {
                *l += 1;
            }
        }
    }

    /// The destination at `idx` was removed: a position on it moves to its predecessor.
    fn del_dest(&mut self, idx: usize, _n: usize, _dest: Dests<'_>) {
        self.last = match self.last {
            Some(l) if l == idx => idx.checked_sub(1),
            Some(l) if l > idx => Some(l - 1),
            other => other,
        };
    }
}

impl LockedPick for Rr {
    /// Picks the first available destination after the last pick, wrapping once.
    fn pick(&mut self, n: usize, dest: Dests<'_>, _pkt: &Packet) -> Option<usize> {
        if n == 0 {
            return None;
        }
        let start = self.last.filter(|&l| l < n).unwrap_or(n - 1);
        // The ones after `start`, then from the first up to `start` itself.
        let hit = (start + 1..n)
            .chain(0..=start)
            .find(|&i| dest(i).available())?;
        self.last = Some(hit);
        Some(hit)
    }
}
