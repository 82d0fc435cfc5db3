// SPDX-License-Identifier: GPL-2.0

//! A packet's netfilter connection-tracking entry, as IPVS may change it (its `conntrack`
//! sysctl: C's `ip_vs_nfct.c`), and the entry of a finished connection killed.
//!
//! What IPVS does with an entry (untrack the packet, keep it, redirect its reply, confirm it)
//! is decided by the caller; this file only makes each step callable with the kernel's rules
//! kept: a reply tuple is altered only on an entry not yet confirmed nor dying, the one the
//! packet holds.
//!
//! C header: [`include/net/netfilter/nf_conntrack.h`](srctree/include/net/netfilter/nf_conntrack.h)

use super::{
    pernet::Net,
    shim,
    skb::{SkBuff, Verdict},
};
use crate::ipvs_proto::inet::{Addr, Family};
use core::mem::MaybeUninit;
use kernel::prelude::*;

/// One end of a conntrack tuple: an address and a port in host order (for ICMP, the echo
/// identifier at the source end and the type and code at the destination end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct End {
    /// The address.
    pub(crate) addr: Addr,
    /// The port.
    pub(crate) port: u16,
}

/// The entry of a packet that is neither confirmed (in the conntrack table) nor dying: the one
/// whose reply tuple may still be changed. Borrows the packet, which holds a reference to it.
pub(crate) struct NewEntry<'p, 'a> {
    v: shim::ipvs_rs_ct,
    family: Family,
    _skb: &'p mut SkBuff<'a>,
}

impl NewEntry<'_, '_> {
    /// Whether the packet goes the entry's original direction (the one it was made for).
    pub(crate) fn original(&self) -> bool {
        self.v.original
    }

    /// The IP protocol of the entry.
    pub(crate) fn protocol(&self) -> u8 {
        self.v.protonum
    }

    /// The reply tuple's source and destination.
    pub(crate) fn reply(&self) -> (End, End) {
        let end = |a: &[u8; 16], p: u16| End {
            addr: Addr::new(self.family, a),
            port: u16::from_be(p),
        };
        (
            end(&self.v.src, self.v.sport),
            end(&self.v.dst, self.v.dport),
        )
    }

    /// Lets the entry's TCP sequence numbers be adjusted later (see [`SkBuff::ct_seq_moved`]);
    /// false when there is no memory for that.
    pub(crate) fn allow_seq_adjust(&self) -> bool {
        // SAFETY: `v.ct` is the packet's entry, not yet confirmed (see `alter_reply`), which is
        // when an extension may be added.
        unsafe { shim::ipvs_rs_ct_seqadj_add(self.v.ct) }
    }

    /// Changes the reply tuple's source and destination to `src` and `dst` (the rest of the
    /// tuple stays), so that replies are recognised as they will come back.
    pub(crate) fn alter_reply(mut self, src: End, dst: End) {
        self.v.src = *src.addr.raw();
        self.v.dst = *dst.addr.raw();
        self.v.sport = src.port.to_be();
        self.v.dport = dst.port.to_be();
        // SAFETY: `v.ct` is the packet's entry, which the packet (borrowed exclusively by
        // `self`) holds a reference to; it was neither confirmed nor dying when read, and only
        // this packet's path could have confirmed it since (we hold the packet).
        unsafe { shim::ipvs_rs_ct_alter_reply(self.v.ct, &self.v) }
    }
}

impl<'a> SkBuff<'a> {
    /// The packet's conntrack entry when it may still be changed (see [`NewEntry`]); `None`
    /// when the packet has none, or its entry is confirmed or dying.
    pub(crate) fn new_ct_entry(&mut self, family: Family) -> Option<NewEntry<'_, 'a>> {
        let mut v = MaybeUninit::<shim::ipvs_rs_ct>::zeroed();
        // SAFETY: `raw()` is valid; `v` is writable memory of the struct's size.
        let found = unsafe { shim::ipvs_rs_skb_ct(self.raw(), v.as_mut_ptr()) };
        // SAFETY: Zeroed (every field an integer, a bool or a pointer: zero is valid for all),
        // then possibly filled.
        let v = unsafe { v.assume_init() };
        (found && !v.confirmed && !v.dying).then_some(NewEntry {
            v,
            family,
            _skb: self,
        })
    }

    /// Whether the packet's conntrack entry is in the conntrack table already (a packet of a
    /// flow conntrack saw before, whose tuples can no longer change).
    pub(crate) fn ct_confirmed(&self) -> bool {
        let mut v = MaybeUninit::<shim::ipvs_rs_ct>::zeroed();
        // SAFETY: As in `new_ct_entry`.
        let found = unsafe { shim::ipvs_rs_skb_ct(self.raw(), v.as_mut_ptr()) };
        // SAFETY: As in `new_ct_entry`.
        found && unsafe { v.assume_init() }.confirmed
    }

    /// Tells the packet's conntrack entry that the TCP stream of the packet's direction moved by
    /// `off` bytes after this packet (its sequence number `seq`, as in the header): from then
    /// on conntrack's confirmation hook shifts that direction's sequence numbers and the other
    /// direction's acknowledgements (`nf_ct_seqadj_set`). `Err(ENOENT)`: the packet has no
    /// entry that allows it ([`NewEntry::allow_seq_adjust`]).
    pub(crate) fn ct_seq_moved(&mut self, seq: [u8; 4], off: i32) -> Result {
        // SAFETY: `raw()` is valid and exclusively ours.
        kernel::error::to_result(unsafe {
            shim::ipvs_rs_skb_ct_seqadj_set(self.raw(), u32::from_ne_bytes(seq), off)
        })
    }

    /// Drops the packet's conntrack entry and marks it untracked: conntrack and stateful rules
    /// leave it alone from here (C: `ip_vs_notrack`).
    pub(crate) fn untrack(&mut self) {
        // SAFETY: `raw()` is valid and exclusively ours.
        unsafe { shim::ipvs_rs_skb_notrack(self.raw()) }
    }

    /// Drops the packet's reference to its conntrack entry (an encapsulated packet is a new
    /// flow to conntrack).
    pub(crate) fn reset_ct(&mut self) {
        // SAFETY: `raw()` is valid and exclusively ours.
        unsafe { shim::ipvs_rs_skb_reset_ct(self.raw()) }
    }

    /// Puts the packet's conntrack entry in the conntrack table now (it will not reach the
    /// hook that would). `Err` with the verdict conntrack gave when it refused.
    pub(crate) fn confirm_ct(&mut self) -> Result<(), Verdict> {
        // SAFETY: `raw()` is valid and exclusively ours.
        match unsafe { shim::ipvs_rs_ct_confirm(self.raw()) } as u32 {
            kernel::bindings::NF_ACCEPT => Ok(()),
            _ => Err(Verdict::Drop),
        }
    }
}

/// Kills the conntrack entry of namespace `net` whose original tuple goes from `src` to `dst`
/// with IP protocol `protocol`, if there is one (default zone). True when one was killed.
/// Not to be called once the namespace is being dismantled.
pub(crate) fn kill(net: Net, family: Family, protocol: u8, src: End, dst: End) -> bool {
    let (s, d) = (src.addr.raw(), dst.addr.raw());
    // SAFETY: `net` is alive (type invariant of `Net`); the addresses are 16-byte arrays.
    unsafe {
        shim::ipvs_rs_ct_kill(
            net.raw(),
            family.af() as u8,
            protocol,
            s.as_ptr(),
            src.port.to_be(),
            d.as_ptr(),
            dst.port.to_be(),
        )
    }
}

/// Connection tracking kept on in a namespace for one family while this lives (C:
/// `ip_vs_register_conntrack`): its hooks see every packet there, so that packets have entries
/// to keep.
///
/// # Invariants
///
/// `net` holds one `nf_ct_netns_get` reference of `family`, taken by this value.
pub(crate) struct Tracking {
    net: Net,
    family: Family,
}

impl Tracking {
    /// Turns conntrack on in `net` for `family` (process context).
    pub(crate) fn new(net: Net, family: Family) -> Result<Self> {
        // SAFETY: `net` is alive (type invariant of `Net`); `NFPROTO_*` numbers are the `AF_*`
        // ones (asserted in the shim).
        kernel::error::to_result(unsafe {
            shim::ipvs_rs_ct_netns_get(net.raw(), family.af() as u8)
        })?;
        // INVARIANT: Taken just now.
        Ok(Self { net, family })
    }
}

impl Drop for Tracking {
    fn drop(&mut self) {
        // SAFETY: The reference is ours (type invariant); `net` is alive, as every `Net` is
        // while IPVS code holds it.
        unsafe { shim::ipvs_rs_ct_netns_put(self.net.raw(), self.family.af() as u8) }
    }
}
