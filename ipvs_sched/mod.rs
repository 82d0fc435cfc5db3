// SPDX-License-Identifier: GPL-2.0

//! Schedulers: pick a destination for a new connection.
//!
//! Pure code: each scheduler works over the [`DestState`]s of the service's destinations, in list order
//! (newest destination first, as C IPVS links them) and returns an index into it. The kernel
//! side keeps the slice in step with the service's destination list and calls
//! [`Scheduler::add_dest`]/[`Scheduler::del_dest`] when it changes.

mod rr;

/// What a scheduler may look at for one destination.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DestState {
    /// Current weight; 0 means quiesced.
    pub(crate) weight: i32,
    /// Active connections.
    pub(crate) active: u32,
    /// Inactive connections.
    pub(crate) inactive: u32,
    /// Over its upper connection threshold.
    pub(crate) overloaded: bool,
}

impl DestState {
    /// Whether new connections may go to this destination.
    pub(crate) fn available(&self) -> bool {
        !self.overloaded && self.weight > 0
    }
}

/// Declares the scheduler registry: one line per scheduler (`name => module::Type`).
macro_rules! schedulers {
    ($($name:literal => $module:ident :: $ty:ident),* $(,)?) => {
        /// A bound scheduler and its per-service state.
        #[derive(Debug)]
        pub(crate) enum Scheduler {
            $(
                #[doc = concat!("The `", $name, "` scheduler.")]
                $ty($module::$ty),
            )*
        }

        /// Names of the available schedulers.
        pub(crate) const NAMES: &[&str] = &[$($name),*];

        impl Scheduler {
            /// Creates the scheduler called `name`, or `None` if there is no such scheduler.
            pub(crate) fn new(name: &[u8]) -> Option<Self> {
                $(if name == $name.as_bytes() {
                    return Some(Self::$ty($module::$ty::default()));
                })*
                None
            }

            /// The scheduler's name.
            pub(crate) fn name(&self) -> &'static str {
                match self { $(Self::$ty(_) => $name,)* }
            }

            /// Picks a destination index for a new connection among `n` destinations whose
            /// state `dest(i)` reports.
            pub(crate) fn pick(&mut self, n: usize, dest: impl Fn(usize) -> DestState) -> Option<usize> {
                match self { $(Self::$ty(s) => s.pick(n, dest),)* }
            }

            /// A destination was inserted at `idx` of the list.
            pub(crate) fn add_dest(&mut self, idx: usize) {
                match self { $(Self::$ty(s) => s.add_dest(idx),)* }
            }

            /// The destination at `idx` was removed from the list.
            pub(crate) fn del_dest(&mut self, idx: usize) {
                match self { $(Self::$ty(s) => s.del_dest(idx),)* }
            }
        }
    };
}

schedulers! {
    "rr" => rr::Rr,
}
