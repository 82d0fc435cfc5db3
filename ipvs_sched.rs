// SPDX-License-Identifier: GPL-2.0

//! Schedulers: pick a destination for a new connection.
//!
//! Pure code: each scheduler works over the [`DestState`]s of the service's destinations, in
//! list order (newest destination first, as C IPVS links them) and returns an index into it.
//! The kernel side keeps the slice in step with the service's destination list and tells the
//! scheduler when it changes ([`Locked::add_dest`], [`Locked::del_dest`]; a [`Shared`] one is
//! built anew for the new list).
//!
//! Two families by what a pick does to the scheduler's state: [`Shared`] schedulers only read
//! it (their tables follow the list), so concurrent picks need no lock; [`Locked`] ones (rr,
//! wrr, lblc, lblcr) move a position or fill a cache, so their picks are serialised, as in C.
//!
//! One file per family of schedulers: [`rr`] (rr), [`wrr`] (wrr), [`least`] (lc, wlc, sed, nq,
//! fo, ovf), [`locality`] (lblc, lblcr), [`hashing`] (dh, sh), [`mh`] (Maglev, with
//! [`siphash`]), [`twos`] (random two choices); one registry line each (the `schedulers!` list).

mod hashing;
mod least;
mod locality;
pub(crate) mod mh;
mod rr;
pub(crate) mod siphash;
mod twos;
mod wrr;

/// What a scheduler may look at for one destination.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DestState {
    /// Stable identity of the destination object (never reused while the module is loaded).
    pub(crate) id: u64,
    /// Current weight; 0 means quiesced.
    pub(crate) weight: i32,
    /// The latest non-zero weight it was given (a new destination's weight even if 0): mh
    /// keeps a quiesced destination's share of its table.
    pub(crate) last_weight: i32,
    /// Active connections.
    pub(crate) active: u32,
    /// Inactive connections.
    pub(crate) inactive: u32,
    /// Over its upper connection threshold.
    pub(crate) overloaded: bool,
    /// The service's address family (C hashes destination addresses by it).
    pub(crate) af: u16,
    /// Address (IPv4 in the first four bytes).
    pub(crate) addr: [u8; 16],
    /// Port, host order.
    pub(crate) port: u16,
}

impl DestState {
    /// Whether new connections may go to this destination.
    pub(crate) fn available(&self) -> bool {
        !self.overloaded && self.weight > 0
    }

    /// `activeconns * 256 + totalconns`: C IPVS's estimate of a destination's load.
    pub(crate) fn overhead(&self) -> i64 {
        (i64::from(self.active) << 8) + i64::from(self.active) + i64::from(self.inactive)
    }
}

/// What a scheduler may look at of the packet that opens a connection.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Packet {
    /// Address family of the service.
    pub(crate) af: u16,
    /// Source address (IPv4 in the first four bytes).
    pub(crate) saddr: [u8; 16],
    /// Destination address.
    pub(crate) daddr: [u8; 16],
    /// Source port, host order (0 for protocols without ports).
    pub(crate) sport: u16,
    /// The service's flags (`IP_VS_SVC_F_*`: the scheduler flags live there).
    pub(crate) svc_flags: u32,
    /// A source of random numbers (the kernel's `get_random_u32`; tests pass their own).
    pub(crate) random: Option<fn() -> u32>,
    /// The time, in jiffies.
    pub(crate) now: u64,
    /// Jiffies per second.
    pub(crate) hz: u64,
    /// `lblc_expiration` (jiffies): how long an unused lblc entry lives.
    pub(crate) lblc_expiration: u64,
    /// `lblcr_expiration` (jiffies): how long an lblcr server set lives unchanged before its
    /// busiest member is dropped.
    pub(crate) lblcr_expiration: u64,
}

impl Packet {
    /// The address folded to 32 bits in host order: IPv4 as is, IPv6 as the XOR of its words.
    pub(crate) fn fold(af: u16, a: &[u8; 16]) -> u32 {
        let w = |i: usize| u32::from_be_bytes([a[i], a[i + 1], a[i + 2], a[i + 3]]);
        if af == 10 {
            w(0) ^ w(4) ^ w(8) ^ w(12)
        } else {
            w(0)
        }
    }
}

/// A random number below `n` (`n > 0`) from `r`, by multiply-shift like the kernel's
/// `get_random_u32_below`.
pub(crate) fn below(r: u32, n: u32) -> u32 {
    ((u64::from(r) * u64::from(n)) >> 32) as u32
}

/// The kernel's `hash_32`: multiplicative hashing to `bits` bits.
pub(crate) fn hash_32(val: u32, bits: u32) -> u32 {
    val.wrapping_mul(0x61C8_8647) >> (32 - bits)
}

/// Which threshold crossing re-evaluates a destination's overload flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Crossing {
    /// The thresholds were edited.
    Edit,
    /// A connection was bound and the count reached the upper threshold.
    Up,
    /// A connection was unbound and the count was at the lower threshold.
    Down,
}

/// The lower threshold in use: the configured one, or 3/4 of the upper one when it is 0.
pub(crate) fn lower_threshold(upper: u32, lower: u32) -> u32 {
    if lower != 0 {
        lower
    } else {
        upper - (upper >> 2)
    }
}

/// The overload flag after `crossing`, with `conns` bound connections and thresholds
/// `upper` / `lower` (the value of [`lower_threshold`]): set at the upper threshold, cleared
/// below the lower one, unchanged in between; no upper threshold means never overloaded.
pub(crate) fn overload_after(
    crossing: Crossing,
    conns: i64,
    upper: u32,
    lower: u32,
    was: bool,
) -> bool {
    if upper == 0 {
        return false;
    }
    let (set_at, keep_at) = match crossing {
        Crossing::Edit => (upper, lower),
        Crossing::Up => (lower, lower),
        Crossing::Down => (upper, upper),
    };
    if conns >= i64::from(set_at) {
        true
    } else if conns >= i64::from(keep_at) {
        was
    } else {
        false
    }
}

/// Scheduler flag 1 (`sh-fallback`, `mh-fallback`).
pub(crate) const SVC_F_SCHED1: u32 = 0x0008;
/// Scheduler flag 2 (`sh-port`, `mh-port`).
pub(crate) const SVC_F_SCHED2: u32 = 0x0010;

/// The destinations of a service as a scheduler sees them: count and per-index state.
pub(crate) type Dests<'a> = &'a dyn Fn(usize) -> DestState;

/// One scheduling algorithm with its per-service state, told of its destinations' changes. Its
/// picks are [`SharedPick`]'s or [`LockedPick`]'s.
pub(crate) trait Algorithm: Default {
    /// The scheduler was bound to a service that has these destinations.
    fn init(&mut self, _n: usize, _dest: Dests<'_>) {}

    /// A destination was inserted at `idx` (the list is already updated).
    fn add_dest(&mut self, _idx: usize, _n: usize, _dest: Dests<'_>) {}

    /// The destination at `idx` was removed (the list is already updated).
    fn del_dest(&mut self, _idx: usize, _n: usize, _dest: Dests<'_>) {}

    /// The destination at `idx` was edited (weight, thresholds, method).
    fn upd_dest(&mut self, _idx: usize, _n: usize, _dest: Dests<'_>) {}
}

/// A scheduler whose picks only read its state: concurrent picks share it (the packet path
/// reads it under RCU, without a lock). Its state is a function of the destination list (what
/// [`Algorithm::init`] builds for a list is what the events leading to that list build), so
/// the control plane builds a new one for each new list ([`Shared::fresh`]).
pub(crate) trait SharedPick: Algorithm {
    /// Picks a destination index among `n` destinations for a connection opened by `pkt`, or
    /// `None` if none is available.
    fn pick(&self, n: usize, dest: Dests<'_>, pkt: &Packet) -> Option<usize>;
}

/// A scheduler whose picks change its state (rr's position, lblc's cache): picks are
/// serialised (the service's lock).
pub(crate) trait LockedPick: Algorithm {
    /// As [`SharedPick::pick`], updating the state.
    fn pick(&mut self, n: usize, dest: Dests<'_>, pkt: &Packet) -> Option<usize>;
}

/// Object-safe view of [`Algorithm`]'s events, used for dispatch.
trait Events {
    fn init(&mut self, n: usize, dest: Dests<'_>);
    fn add_dest(&mut self, idx: usize, n: usize, dest: Dests<'_>);
    fn del_dest(&mut self, idx: usize, n: usize, dest: Dests<'_>);
    fn upd_dest(&mut self, idx: usize, n: usize, dest: Dests<'_>);
}

impl<T: Algorithm> Events for T {
    fn init(&mut self, n: usize, dest: Dests<'_>) {
        Algorithm::init(self, n, dest)
    }
    fn add_dest(&mut self, idx: usize, n: usize, dest: Dests<'_>) {
        Algorithm::add_dest(self, idx, n, dest)
    }
    fn del_dest(&mut self, idx: usize, n: usize, dest: Dests<'_>) {
        Algorithm::del_dest(self, idx, n, dest)
    }
    fn upd_dest(&mut self, idx: usize, n: usize, dest: Dests<'_>) {
        Algorithm::upd_dest(self, idx, n, dest)
    }
}

/// Declares one family of the registry: an enum of its schedulers with their names, event
/// dispatch and construction by name.
macro_rules! family {
    ($(#[$m:meta])* $family:ident { $($name:literal => $module:ident :: $ty:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug)]
        pub(crate) enum $family {
            $(
                #[doc = concat!("The `", $name, "` scheduler.")]
                $ty($module::$ty),
            )*
        }

        impl $family {
            /// The scheduler called `name`, if it is of this family.
            fn new(name: &[u8]) -> Option<Self> {
                $(if name == $name.as_bytes() {
                    return Some(Self::$ty($module::$ty::default()));
                })*
                None
            }

            /// The scheduler's name.
            pub(crate) fn name(&self) -> &'static str {
                match self { $(Self::$ty(_) => $name,)* }
            }

            /// A new state of the same scheduler, bound to no destination yet.
            #[allow(dead_code)]
            pub(crate) fn fresh(&self) -> Self {
                match self { $(Self::$ty(_) => Self::$ty(Default::default()),)* }
            }

            fn events(&mut self) -> &mut dyn Events {
                match self { $(Self::$ty(s) => s,)* }
            }

            /// Binds the scheduler to a service's current destinations.
            pub(crate) fn init(&mut self, n: usize, dest: impl Fn(usize) -> DestState) {
                self.events().init(n, &dest)
            }

            /// A destination was inserted at `idx` of the list.
            pub(crate) fn add_dest(
                &mut self,
                idx: usize,
                n: usize,
                dest: impl Fn(usize) -> DestState,
            ) {
                self.events().add_dest(idx, n, &dest)
            }

            /// The destination at `idx` was removed from the list.
            pub(crate) fn del_dest(
                &mut self,
                idx: usize,
                n: usize,
                dest: impl Fn(usize) -> DestState,
            ) {
                self.events().del_dest(idx, n, &dest)
            }

            /// The destination at `idx` was edited.
            pub(crate) fn upd_dest(
                &mut self,
                idx: usize,
                n: usize,
                dest: impl Fn(usize) -> DestState,
            ) {
                self.events().upd_dest(idx, n, &dest)
            }
        }
    };
}

/// Declares the scheduler registry: one line per scheduler (`name => module::Type`), in the
/// family its picks make it.
macro_rules! schedulers {
    (
        locked { $($lname:literal => $lmodule:ident :: $lty:ident),* $(,)? }
        shared { $($sname:literal => $smodule:ident :: $sty:ident),* $(,)? }
    ) => {
        family!(
            /// A bound scheduler whose picks change its state ([`LockedPick`]).
            Locked { $($lname => $lmodule::$lty),* }
        );
        family!(
            /// A bound scheduler whose picks only read its state ([`SharedPick`]).
            Shared { $($sname => $smodule::$sty),* }
        );

        /// Names of the available schedulers (listed by the host tests and benchmark).
        #[allow(dead_code)]
        pub(crate) const NAMES: &[&str] = &[$($lname,)* $($sname),*];

        impl Locked {
            /// Picks a destination index (see [`LockedPick::pick`]).
            pub(crate) fn pick(
                &mut self,
                n: usize,
                dest: impl Fn(usize) -> DestState,
                pkt: &Packet,
            ) -> Option<usize> {
                match self { $(Self::$lty(s) => LockedPick::pick(s, n, &dest, pkt),)* }
            }
        }

        impl Shared {
            /// Picks a destination index (see [`SharedPick::pick`]).
            pub(crate) fn pick(
                &self,
                n: usize,
                dest: impl Fn(usize) -> DestState,
                pkt: &Packet,
            ) -> Option<usize> {
                match self { $(Self::$sty(s) => SharedPick::pick(s, n, &dest, pkt),)* }
            }
        }
    };
}

/// A bound scheduler and its per-service state.
// Short-lived (the service keeps the family, where its picks need it), so not boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Scheduler {
    /// One whose picks change its state.
    Locked(Locked),
    /// One whose picks only read its state.
    Shared(Shared),
}

impl Scheduler {
    /// Creates the scheduler called `name`, or `None` if there is no such scheduler.
    pub(crate) fn new(name: &[u8]) -> Option<Self> {
        Locked::new(name)
            .map(Self::Locked)
            .or_else(|| Shared::new(name).map(Self::Shared))
    }

    /// The scheduler's name.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Locked(s) => s.name(),
            Self::Shared(s) => s.name(),
        }
    }

    /// Picks a destination index for a new connection among `n` destinations whose state
    /// `dest(i)` reports, for a packet that does not matter (host tests of the schedulers that
    /// only look at the destinations).
    #[allow(dead_code)]
    pub(crate) fn pick(&mut self, n: usize, dest: impl Fn(usize) -> DestState) -> Option<usize> {
        self.pick_for(n, dest, &Packet::default())
    }

    /// Like [`Self::pick`] for the connection `pkt` opens (hashing schedulers look at it).
    #[allow(dead_code)]
    pub(crate) fn pick_for(
        &mut self,
        n: usize,
        dest: impl Fn(usize) -> DestState,
        pkt: &Packet,
    ) -> Option<usize> {
        match self {
            Self::Locked(s) => s.pick(n, dest, pkt),
            Self::Shared(s) => s.pick(n, dest, pkt),
        }
    }

    // The events, for the host tests (the kernel side tells the families).

    /// Binds the scheduler to a service's current destinations.
    #[allow(dead_code)]
    pub(crate) fn init(&mut self, n: usize, dest: impl Fn(usize) -> DestState) {
        match self {
            Self::Locked(s) => s.init(n, dest),
            Self::Shared(s) => s.init(n, dest),
        }
    }

    /// A destination was inserted at `idx` of the list.
    #[allow(dead_code)]
    pub(crate) fn add_dest(&mut self, idx: usize, n: usize, dest: impl Fn(usize) -> DestState) {
        match self {
            Self::Locked(s) => s.add_dest(idx, n, dest),
            Self::Shared(s) => s.add_dest(idx, n, dest),
        }
    }

    /// The destination at `idx` was removed from the list.
    #[allow(dead_code)]
    pub(crate) fn del_dest(&mut self, idx: usize, n: usize, dest: impl Fn(usize) -> DestState) {
        match self {
            Self::Locked(s) => s.del_dest(idx, n, dest),
            Self::Shared(s) => s.del_dest(idx, n, dest),
        }
    }

    /// The destination at `idx` was edited.
    #[allow(dead_code)]
    pub(crate) fn upd_dest(&mut self, idx: usize, n: usize, dest: impl Fn(usize) -> DestState) {
        match self {
            Self::Locked(s) => s.upd_dest(idx, n, dest),
            Self::Shared(s) => s.upd_dest(idx, n, dest),
        }
    }
}

schedulers! {
    locked {
        "rr" => rr::Rr,
        "wrr" => wrr::Wrr,
        "lblc" => locality::Lblc,
        "lblcr" => locality::Lblcr,
    }
    shared {
        "lc" => least::Lc,
        "wlc" => least::Wlc,
        "sed" => least::Sed,
        "nq" => least::Nq,
        "fo" => least::Fo,
        "ovf" => least::Ovf,
        "dh" => hashing::Dh,
        "sh" => hashing::Sh,
        "mh" => mh::Mh,
        "twos" => twos::Twos,
    }
}
