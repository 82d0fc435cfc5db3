// SPDX-License-Identifier: GPL-2.0

//! The DoS defences' levels (C's `update_defense_level`), run every second and after a write
//! of a mode: each of `drop_entry`, `drop_packet` and `secure_tcp` is off (0), automatic (1,
//! or 2 while memory is short, which switches back to 1 when it is not), or always on (3).
//! Memory is short when free and buffer pages are fewer than `amemthresh`.

/// The three mode files' values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Modes {
    /// `drop_entry`.
    pub(crate) drop_entry: i32,
    /// `drop_packet`.
    pub(crate) drop_packet: i32,
    /// `secure_tcp`.
    pub(crate) secure_tcp: i32,
}

/// What the defences do until the next update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Level {
    /// Connections are dropped at random (`drop_entry` on).
    pub(crate) drop_entry: bool,
    /// One new connection in this many is refused (0: none).
    pub(crate) drop_rate: i32,
    /// The countdown restarts at `drop_rate` (memory short: the rate was recomputed).
    pub(crate) restart_count: bool,
    /// The stricter TCP state table is on.
    pub(crate) secure_tcp: bool,
}

/// The defences' levels for `modes` (updated in place where automatic modes switch) with
/// `availmem` free pages, the `amemthresh` and `am_droprate` files' values.
pub(crate) fn update(modes: &mut Modes, availmem: i64, amemthresh: i32, am_droprate: i32) -> Level {
    let thresh = i64::from(amemthresh.max(0));
    let nomem = availmem < thresh;
    // Automatic modes: 1 becomes 2 when memory is short, 2 becomes 1 when it is not.
    let auto = |mode: &mut i32| -> bool {
        match *mode {
            1 | 2 => {
                *mode = if nomem { 2 } else { 1 };
                nomem
            }
            3 => true,
            _ => false,
        }
    };
    let drop_entry = auto(&mut modes.drop_entry);
    let (drop_rate, restart_count) = if modes.drop_packet == 3 {
        // Always on: the configured rate.
        (am_droprate, false)
    } else if auto(&mut modes.drop_packet) {
        // The shorter memory is, the more is dropped: one in thresh / shortfall.
        let shortfall = (thresh - availmem).max(1);
        (i32::try_from(thresh / shortfall).unwrap_or(i32::MAX), true)
    } else {
        (0, false)
    };
    let secure_tcp = auto(&mut modes.secure_tcp);
    Level {
        drop_entry,
        drop_rate,
        restart_count,
        secure_tcp,
    }
}

/// Whether a new connection is refused by `drop_packet` (C's `ip_vs_todrop`): one in every
/// `rate`, counted down in `counter`; returns the decision and the counter's next value.
pub(crate) fn todrop(rate: i32, counter: i32) -> (bool, i32) {
    if rate == 0 {
        return (false, counter);
    }
    let next = counter - 1;
    if next > 0 {
        (false, next)
    } else {
        (true, rate)
    }
}

/// What `drop_entry` looks at in a connection (C's `ip_vs_random_dropentry`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A persistence template: of a one-packet service; assured (a connection it made got
    /// through).
    Template { one_packet: bool, assured: bool },
    /// A TCP connection in this state.
    Tcp(crate::ipvs_proto::tcp::State),
    /// A connection of another protocol.
    Other,
}

/// Per packet count, how many of the connections with that many incoming packets to pass
/// over before the next one dropped (C's `dropentry_counters`).
pub(crate) type DropCounters = [i32; 8];

/// Whether `drop_entry` drops a connection: never one that controls others; half-open TCP
/// connections and unassured templates always; established TCP connections, other protocols'
/// and one-packet templates when `idle` (no packet for 60 s) and with 1 to 8 incoming
/// packets, fewer packets dropped more often (one in `n`), counted in `counters`.
pub(crate) fn drop_entry(
    e: Entry,
    controls: u32,
    idle: bool,
    in_pkts: u32,
    counters: &mut DropCounters,
) -> bool {
    use crate::ipvs_proto::tcp::State;
    if controls != 0 {
        return false;
    }
    let mut maybe = || {
        if !idle || !(1..=8).contains(&in_pkts) {
            return false;
        }
        let i = (in_pkts - 1) as usize;
        counters[i] -= 1;
        if counters[i] > 0 {
            return false;
        }
        counters[i] = in_pkts as i32;
        true
    };
    match e {
        Entry::Template {
            one_packet: true, ..
        } => maybe(),
        Entry::Template { assured, .. } => !assured,
        Entry::Tcp(State::SynRecv | State::SynAck) => true,
        Entry::Tcp(State::Established) => maybe(),
        Entry::Tcp(_) => false,
        Entry::Other => maybe(),
    }
}
