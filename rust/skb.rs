// SPDX-License-Identifier: GPL-2.0

//! Borrowed `struct sk_buff` access for the packet path.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)

use super::{
    pernet::Net,
    route::{Held, RouteRef},
    shim,
};
use crate::ipvs_proto::inet::{Addr, Family};

pub(crate) use shim::gso;

/// Who reassembles a fragment (`ip_defrag`'s user): IPVS at one of its hooks.
#[derive(Clone, Copy, Debug)]
pub(crate) enum DefragUser {
    /// `IP_DEFRAG_VS_IN`.
    In,
    /// `IP_DEFRAG_VS_OUT`.
    Out,
    /// `IP_DEFRAG_VS_FWD`.
    Fwd,
}
use core::{marker::PhantomData, ptr::NonNull};
use kernel::prelude::*;

/// A socket buffer handed to a netfilter hook.
///
/// # Invariants
///
/// `ptr` is a valid `sk_buff` exclusively owned by the current hook invocation for `'a`, and
/// `v` describes it as it is now: it is read when the wrapper is made and again after every
/// call that may move or resize its data (those take `&mut self`).
pub(crate) struct SkBuff<'a> {
    ptr: NonNull<shim::RawSkb>,
    v: shim::SkbView,
    _p: PhantomData<&'a mut shim::RawSkb>,
}

/// A hook's packet before its view is read: most hook calls end at their first test (a packet
/// IPVS already handled, re-entering LOCAL_OUT; one not for IPVS), which reads one field, so
/// the view [`SkBuff`] holds is read only by [`Hooked::skb`], for the packets a hook goes on
/// with.
///
/// # Invariants
///
/// `ptr` is a valid `sk_buff` exclusively owned by the current hook invocation for `'a`.
pub(crate) struct Hooked<'a> {
    ptr: NonNull<shim::RawSkb>,
    _p: PhantomData<&'a mut shim::RawSkb>,
}

impl<'a> Hooked<'a> {
    /// Wraps the packet of a hook invocation.
    ///
    /// # Safety
    ///
    /// `ptr` must be a valid `sk_buff` that the caller exclusively owns for `'a`, which lies
    /// within a netfilter hook call (an RCU read-side section: see [`SkBuff::set_route`]).
    #[inline]
    pub(crate) unsafe fn from_raw(ptr: *mut shim::RawSkb) -> Option<Self> {
        // INVARIANT: `ptr` is valid and ours for `'a` (guaranteed by the caller).
        Some(Self {
            ptr: NonNull::new(ptr)?,
            _p: PhantomData,
        })
    }

    /// Whether IPVS already handled this packet (`skb->ipvs_property`).
    #[inline]
    pub(crate) fn ipvs_property(&self) -> bool {
        // SAFETY: `ptr` is a valid `sk_buff` (type invariant).
        unsafe { shim::ipvs_rs_skb_ipvs_property(self.ptr.as_ptr()) }
    }

    /// Whether the packet's socket is an IPv4 socket with `IP_NODEFRAG` set, which only raw
    /// sockets can set.
    #[inline]
    pub(crate) fn sent_by_nodefrag_socket(&self) -> bool {
        // SAFETY: `ptr` is a valid `sk_buff` (type invariant); its socket, if any, is held by
        // it for the hook's duration.
        unsafe { shim::ipvs_rs_skb_sk_nodefrag(self.ptr.as_ptr()) }
    }

    /// The packet, its view read.
    #[inline]
    pub(crate) fn skb(self) -> SkBuff<'a> {
        // INVARIANT: `ptr` is valid and ours for `'a` (type invariant); `v` is read from it.
        SkBuff {
            ptr: self.ptr,
            v: SkBuff::read_view(self.ptr),
            _p: PhantomData,
        }
    }
}

/// The netfilter verdict a hook returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// `NF_DROP`: the kernel frees the packet.
    Drop = kernel::bindings::NF_DROP as isize,
    /// `NF_ACCEPT`: the packet continues.
    Accept = kernel::bindings::NF_ACCEPT as isize,
    /// `NF_STOLEN`: the packet was consumed.
    Stolen = kernel::bindings::NF_STOLEN as isize,
}

/// `PACKET_HOST`.
pub(crate) const PACKET_HOST: u32 = kernel::bindings::PACKET_HOST;

impl<'a> SkBuff<'a> {
    fn read_view(ptr: NonNull<shim::RawSkb>) -> shim::SkbView {
        let mut v = core::mem::MaybeUninit::<shim::SkbView>::uninit();
        // SAFETY: `ptr` is a valid `sk_buff` (callers' invariant); the shim fills every field
        // of `v`.
        unsafe {
            shim::ipvs_rs_skb_view(ptr.as_ptr(), v.as_mut_ptr());
            v.assume_init()
        }
    }

    pub(super) fn raw(&self) -> *mut shim::RawSkb {
        self.ptr.as_ptr()
    }

    /// Total length (`skb->len`).
    #[inline]
    pub(crate) fn len(&self) -> u32 {
        self.v.len
    }

    /// Offset of the network header from `skb->data`.
    #[inline]
    pub(crate) fn network_offset(&self) -> usize {
        usize::try_from(self.v.network_offset).unwrap_or(0)
    }

    #[inline]
    fn linear(&self) -> &[u8] {
        // SAFETY: By the type invariant, `v.data` points to `v.headlen` initialised bytes of
        // the packet, which stay put until a call that may move them (it takes `&mut self`, so
        // not while this borrow lives, and reads the view again).
        unsafe { core::slice::from_raw_parts(self.v.data, self.v.headlen as usize) }
    }

    /// `len` bytes at `off` from `skb->data`: borrowed from the linear area when possible,
    /// otherwise copied into `buf` (`skb_header_pointer`). `None` if the packet is shorter.
    #[inline]
    pub(crate) fn header<'b>(&'b self, off: usize, buf: &'b mut [u8]) -> Option<&'b [u8]> {
        let len = buf.len();
        let end = off.checked_add(len)?;
        if end <= self.linear().len() {
            return Some(&self.linear()[off..end]);
        }
        if end > self.len() as usize {
            return None;
        }
        let (o, l) = (i32::try_from(off).ok()?, i32::try_from(len).ok()?);
        // SAFETY: `raw()` is valid and `buf` has room for `len` bytes.
        let r = unsafe { shim::ipvs_rs_skb_copy_bits(self.raw(), o, buf.as_mut_ptr().cast(), l) };
        (r == 0).then_some(&*buf)
    }

    /// `N` bytes at `off` from `skb->data`, from the linear area only (`None` beyond it).
    #[inline]
    pub(crate) fn linear_bytes<const N: usize>(&self, off: usize) -> Option<[u8; N]> {
        self.linear().get(off..off.checked_add(N)?)?.try_into().ok()
    }

    /// Makes the first `len` bytes linear and private so they can be modified in place.
    pub(crate) fn make_writable(&mut self, len: usize) -> Result {
        let len = u32::try_from(len).map_err(|_| EINVAL)?;
        // SAFETY: `raw()` is valid and exclusively ours.
        let r =
            kernel::error::to_result(unsafe { shim::ipvs_rs_skb_make_writable(self.raw(), len) });
        // INVARIANT: The data may have moved or grown its linear part (even on failure).
        self.v = Self::read_view(self.ptr);
        r
    }

    /// Writes `bytes` at `off`; the range must have been made writable first.
    #[inline]
    pub(crate) fn write(&mut self, off: usize, bytes: &[u8]) -> Result {
        let end = off.checked_add(bytes.len()).ok_or(EINVAL)?;
        if end > self.linear().len() {
            return Err(EINVAL);
        }
        // SAFETY: The packet is exclusively ours, `v.data` is its data (type invariant), the
        // range is inside the linear area (checked above) and was made private by
        // `make_writable`.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.v.data.add(off), bytes.len())
        };
        Ok(())
    }

    /// `skb->pkt_type`.
    #[inline]
    pub(crate) fn pkt_type(&self) -> u32 {
        u32::from(self.v.pkt_type)
    }

    /// The packet's firewall mark (`skb->mark`).
    #[inline]
    pub(crate) fn mark(&self) -> u32 {
        self.v.mark
    }

    /// Whether the packet has a route attached.
    #[inline]
    pub(crate) fn has_dst(&self) -> bool {
        self.v.has_dst
    }

    /// Marks the packet as handled by IPVS: IPVS's hooks and the tunnel decapsulation it may
    /// reach leave it alone (what becomes of its conntrack entry is the caller's to say:
    /// [`SkBuff::untrack`]).
    pub(crate) fn set_ipvs_property(&mut self) {
        // SAFETY: `raw()` is valid and exclusively ours.
        unsafe { shim::ipvs_rs_skb_set_ipvs_property(self.raw()) }
    }

    /// Lets the packet be fragmented on output even with DF set (`skb->ignore_df`).
    pub(crate) fn set_ignore_df(&mut self) {
        // SAFETY: `raw()` is valid and exclusively ours.
        unsafe { shim::ipvs_rs_skb_set_ignore_df(self.raw()) }
    }

    /// Whether the transport checksum is left to the device (`CHECKSUM_PARTIAL`).
    #[inline]
    pub(crate) fn csum_partial(&self) -> bool {
        self.v.csum_partial
    }

    /// Updates the 16-bit transport checksum at `csum_off` for a NAT rewrite: a pseudo-header
    /// address of `family` changing from `from_addr` to `to_addr` and a port from `from_port`
    /// to `to_port` (as in the packet), honouring the skb's checksum state.
    pub(crate) fn csum_nat(
        &mut self,
        csum_off: usize,
        family: Family,
        (from_addr, to_addr): (Addr, Addr),
        (from_port, to_port): ([u8; 2], [u8; 2]),
    ) -> Result {
        self.check_csum_off(csum_off)?;
        let (fp, tp) = (u16::from_ne_bytes(from_port), u16::from_ne_bytes(to_port));
        match family {
            // SAFETY: `raw()` is valid and exclusively ours; `csum_off + 2` is inside the linear
            // area (checked above).
            Family::V4 => unsafe {
                shim::ipvs_rs_l4_csum_nat(
                    self.raw(),
                    csum_off as u32,
                    u32::from_ne_bytes(from_addr.to_v4()),
                    u32::from_ne_bytes(to_addr.to_v4()),
                    fp,
                    tp,
                )
            },
            // SAFETY: As above; the addresses are 16 bytes each.
            Family::V6 => unsafe {
                shim::ipvs_rs_l4_csum_nat6(
                    self.raw(),
                    csum_off as u32,
                    from_addr.raw().as_ptr(),
                    to_addr.raw().as_ptr(),
                    fp,
                    tp,
                )
            },
        }
        Ok(())
    }

    #[inline]
    fn check_csum_off(&self, off: usize) -> Result {
        if off.checked_add(2).is_some_and(|e| e <= self.linear().len())
            && u32::try_from(off).is_ok()
        {
            Ok(())
        } else {
            Err(EINVAL)
        }
    }

    /// Whether the ICMP message of `family` (ICMP or ICMPv6) at `off` (to the end of the packet)
    /// has a right checksum (packets already validated and locally generated ones are not
    /// checked again).
    pub(crate) fn icmp_csum_ok(&mut self, off: usize, family: Family) -> bool {
        let Ok(o) = u32::try_from(off) else {
            return false;
        };
        if off >= self.v.len as usize {
            return false;
        }
        // SAFETY: `raw()` is valid and exclusively ours; `off` is inside the packet and
        // `nf_checksum` reads the packet from there (fragments included).
        unsafe {
            shim::ipvs_rs_icmp_csum_ok(
                self.raw(),
                o,
                match family {
                    Family::V4 => kernel::bindings::IPPROTO_ICMP as u8,
                    Family::V6 => kernel::bindings::IPPROTO_ICMPV6 as u8,
                },
                family.af() as u8,
            )
        }
    }

    /// Recomputes the checksum of the ICMP message of `family` at `off` (ICMPv6's covers the
    /// IPv6 pseudo-header), whose header must have been made writable; the packet's checksum
    /// state becomes "verified".
    pub(crate) fn icmp_csum_set(&mut self, off: usize, family: Family) -> Result {
        self.check_csum_off(off.checked_add(2).ok_or(EINVAL)?)?;
        match family {
            // SAFETY: `raw()` is valid and exclusively ours; the checksum field (`off + 2..off +
            // 4`) is inside the linear area (checked above) and writable (caller).
            Family::V4 => unsafe { shim::ipvs_rs_icmp_csum_set(self.raw(), off as u32) },
            // SAFETY: As above; the network header is the packet's IPv6 header (the hook's).
            Family::V6 => unsafe { shim::ipvs_rs_icmp6_csum_set(self.raw(), off as u32) },
        }
        self.v.csum_partial = false;
        Ok(())
    }

    /// Recomputes the IPv4 header checksum (the header must be writable).
    pub(crate) fn ip_send_check(&mut self) {
        // SAFETY: `raw()` is valid and exclusively ours and its network header is an IPv4
        // header (the only caller parsed it as one).
        unsafe { shim::ipvs_rs_ip_send_check(self.raw()) }
    }

    /// Sends the packet's sender an ICMP error (ICMPv6 for `Family::V6`) of `icmp_type` and
    /// `code` with `info` (the message's rest of header, host order) about it (`icmp_send`,
    /// `icmpv6_send`; rate-limited by the kernel). The packet itself is left to the caller.
    pub(crate) fn icmp_send(&self, family: Family, icmp_type: u8, code: u8, info: u32) {
        match family {
            // SAFETY: `raw()` is valid by the type invariant; `icmp_send` only reads the packet
            // and may be called from the hook's (softirq or process) context.
            Family::V4 => unsafe {
                shim::ipvs_rs_icmp_send(self.raw(), icmp_type, code, info.to_be())
            },
            // SAFETY: As above, for `icmpv6_send`.
            Family::V6 => unsafe { shim::ipvs_rs_icmpv6_send(self.raw(), icmp_type, code, info) },
        }
    }

    /// Whether the packet came through a loopback device.
    pub(crate) fn dev_is_loopback(&self) -> bool {
        // SAFETY: `raw()` is valid by the type invariant.
        unsafe { shim::ipvs_rs_skb_dev_is_loopback(self.raw()) }
    }

    /// A packet without a device gets the loopback device (what ICMPv6 errors about it and
    /// `dst_link_failure` need to find the namespace).
    pub(crate) fn ensure_dev(&mut self, net: Net) {
        if !self.v.has_dev {
            // SAFETY: `raw()` is valid and exclusively ours, `net` is alive (type invariant of
            // `Net`) and its loopback device lives as long as it.
            unsafe { shim::ipvs_rs_skb_set_loopback_dev(net.raw(), self.raw()) };
            self.v.has_dev = true;
        }
    }

    /// The packet's device becomes its route's (the device an ICMPv6 error about it takes its
    /// source address from).
    pub(crate) fn set_dev_from_route(&mut self) {
        if !self.v.has_dst {
            return;
        }
        // SAFETY: `raw()` is valid and exclusively ours and has a route (checked above), whose
        // device outlives the packet's use of it.
        unsafe { shim::ipvs_rs_skb_set_dst_dev(self.raw()) };
        self.v.has_dev = true;
    }

    /// The size of the largest fragment of a datagram that IPv6 conntrack reassembled (`None`:
    /// not reassembled).
    pub(crate) fn frag_max_size6(&self) -> Option<u32> {
        // SAFETY: `raw()` is valid by the type invariant; an IPv6 hook's packet's control block
        // is IPv6's.
        let n = unsafe { shim::ipvs_rs_skb_frag_max_size6(self.raw()) };
        (n != 0).then_some(n)
    }

    /// Whether the packet came from a device (not generated by this host).
    #[inline]
    pub(crate) fn has_dev(&self) -> bool {
        self.v.has_dev
    }

    /// Whether the packet has a socket that is a full one (not a request or TIME-WAIT socket).
    pub(crate) fn has_full_socket(&self) -> bool {
        // SAFETY: `raw()` is valid by the type invariant.
        unsafe { shim::ipvs_rs_skb_sk_fullsock(self.raw()) }
    }

    /// Whether the packet fits an MTU of `mtu` (a GSO packet: each of its segments does).
    pub(crate) fn fits_mtu(&self, mtu: u32) -> bool {
        // SAFETY: `raw()` is valid by the type invariant.
        self.v.len <= mtu || (self.v.gso && unsafe { shim::ipvs_rs_skb_gso_fits(self.raw(), mtu) })
    }

    /// The packet's route (its input route, or the output route it was given) of `family`,
    /// the packet's, borrowed while the packet is.
    pub(crate) fn route(&self, family: Family) -> Option<RouteRef<'_>> {
        // SAFETY: `raw()` is valid by the type invariant.
        let rt = NonNull::new(unsafe { shim::ipvs_rs_skb_dst(self.raw()) })?;
        // SAFETY: The packet holds its route (a reference, or a borrow valid to the end of the
        // hook's RCU section), and `&self` keeps the packet and its route unchanged meanwhile;
        // a packet of `family` has a route of that family.
        Some(unsafe { RouteRef::from_raw(rt, family) })
    }

    /// Gives the packet route `rt` in place of its own. A cached route goes without a
    /// reference: the kernel takes one (`skb_dst_force`) if it keeps the packet beyond the
    /// hook's RCU section, which the cache's route outlives.
    pub(crate) fn set_route(&mut self, rt: Held<'_>) {
        match rt {
            // SAFETY: `raw()` is valid and exclusively ours; the route stays valid to the end of
            // the RCU section the hook runs in (type invariant of `Held::Cached`, and the
            // hook's contract in `from_raw`).
            Held::Cached(r) => unsafe { shim::ipvs_rs_skb_dst_set_noref(self.raw(), r.raw()) },
            // SAFETY: `raw()` is valid and exclusively ours; the packet takes the reference.
            Held::Owned(r) => unsafe { shim::ipvs_rs_skb_dst_set(self.raw(), r.into_raw()) },
        }
        self.v.has_dst = true;
    }

    /// Tells the sender that the route to the packet's destination failed (`dst_link_failure`:
    /// "host unreachable"); a locally generated packet is sent it from the loopback device.
    pub(crate) fn link_failure(&mut self, net: Net) {
        self.ensure_dev(net);
        // SAFETY: `raw()` is valid and exclusively ours, and has a device now.
        unsafe { shim::ipvs_rs_dst_link_failure(self.raw()) }
    }

    /// Lowers the path MTU of the packet's own route (and its socket's) to `mtu`.
    pub(crate) fn update_own_pmtu(&mut self, mtu: u32) {
        if !self.v.has_dst {
            return;
        }
        // SAFETY: `raw()` is valid and exclusively ours, and has a route (checked above).
        unsafe { shim::ipvs_rs_skb_update_pmtu(self.raw(), mtu) }
    }

    /// Lowers the path MTU to the destination of the IPv4 header at the network offset, which
    /// an ICMP "fragmentation needed" reported (`ipv4_update_pmtu`).
    pub(crate) fn update_pmtu_of_header(&mut self, net: Net, mtu: u32) -> Result {
        self.may_pull(20)?;
        // SAFETY: `raw()` is valid and exclusively ours, `net` is alive; the network header is
        // an IPv4 header in the linear area (pulled above).
        unsafe { shim::ipvs_rs_ipv4_update_pmtu(net.raw(), self.raw(), mtu) };
        Ok(())
    }

    /// Counts a packet of `family` dropped for a bad header (here: TTL or hop limit exceeded)
    /// in `net`'s IP statistics.
    pub(crate) fn count_header_error(&mut self, net: Net, family: Family) {
        match family {
            // SAFETY: `net` is alive (type invariant of `Net`).
            Family::V4 => unsafe { shim::ipvs_rs_inc_inhdrerrors(net.raw()) },
            // SAFETY: As above; `raw()` is valid, its device (if any) alive with it.
            Family::V6 => unsafe { shim::ipvs_rs_inc_inhdrerrors6(net.raw(), self.raw()) },
        }
    }

    /// Detaches the packet from its socket (early demux may have found one for it).
    pub(crate) fn orphan(&mut self) {
        // SAFETY: `raw()` is valid and exclusively ours.
        unsafe { shim::ipvs_rs_skb_orphan(self.raw()) }
    }

    /// What a packet gets before it is sent on (C: `ip_vs_*_xmit_prepare`): its checksum state
    /// made right for forwarding, a received packet's timestamp cleared.
    pub(crate) fn prepare_xmit(&mut self) {
        // SAFETY: `raw()` is valid and exclusively ours.
        unsafe { shim::ipvs_rs_skb_forward_csum(self.raw()) };
        if self.v.has_dev {
            // SAFETY: As above.
            unsafe { shim::ipvs_rs_skb_clear_tstamp(self.raw()) };
        }
    }

    /// Sends the routed packet of `family` out through that family's `LOCAL_OUT` hooks,
    /// consuming it.
    pub(crate) fn nf_local_out(self, net: Net, family: Family) -> Verdict {
        // SAFETY: `raw()` is valid and exclusively ours and has an output route; the kernel
        // takes ownership, and `self` is consumed so it is not used again. `NFPROTO_*` numbers
        // are the `AF_*` ones (asserted in the shim).
        unsafe { shim::ipvs_rs_nf_local_out(net.raw(), self.raw(), family.af() as u8) };
        Verdict::Stolen
    }

    /// Sends the routed packet, whose network header is a complete IPv4 header but for its
    /// length and checksum, out (`ip_local_out`), consuming it.
    pub(crate) fn ip_local_out(self, net: Net, family: Family) -> Verdict {
        match family {
            // SAFETY: As for `nf_local_out`.
            Family::V4 => unsafe { shim::ipvs_rs_ip_local_out(net.raw(), self.raw()) },
            // SAFETY: As for `nf_local_out`, the network header being an IPv6 one.
            Family::V6 => unsafe { shim::ipvs_rs_ip6_local_out(net.raw(), self.raw()) },
        }
        Verdict::Stolen
    }

    /// Frees the packet (it was handled: not a drop).
    pub(crate) fn consume(self) {
        // SAFETY: `raw()` is valid and exclusively ours; `self` is consumed so it is not used
        // again.
        unsafe { shim::ipvs_rs_consume_skb(self.raw()) }
    }

    /// Routes the packet again for its current addresses, as if this host had sent it
    /// (`ip_route_me_harder`, `ip6_route_me_harder`): after a source rewrite, policy routing
    /// by source applies. Fails if no route takes it.
    pub(crate) fn route_me_harder(&mut self, net: Net, family: Family) -> Result {
        // SAFETY: `raw()` is valid and exclusively ours; `net` is alive (type invariant).
        let r = kernel::error::to_result(unsafe {
            match family {
                Family::V4 => shim::ipvs_rs_ip_route_me_harder(net.raw(), self.raw()),
                Family::V6 => shim::ipvs_rs_ip6_route_me_harder(net.raw(), self.raw()),
            }
        });
        // INVARIANT: The head may have been reallocated for the new device's link header.
        self.v = Self::read_view(self.ptr);
        r
    }

    /// Makes room for `headroom` bytes in front of the data, with a header of the packet's own
    /// (`skb_cow_head`).
    pub(crate) fn reserve_headroom(&mut self, headroom: u32) -> Result {
        // SAFETY: `raw()` is valid and exclusively ours.
        let r =
            kernel::error::to_result(unsafe { shim::ipvs_rs_skb_cow_head(self.raw(), headroom) });
        // INVARIANT: The head may have been reallocated (even on failure).
        self.v = Self::read_view(self.ptr);
        r
    }

    /// Puts `bytes` in front of the data (the headroom must have room for them).
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result {
        let n = u32::try_from(bytes.len()).map_err(|_| EINVAL)?;
        self.push_room(n)?;
        self.write(0, bytes)
    }

    /// Extends the data `n` bytes to the front.
    fn push_room(&mut self, n: u32) -> Result {
        if self.v.headroom < n {
            return Err(ENOMEM);
        }
        // SAFETY: `raw()` is valid and exclusively ours, with `n` bytes of headroom (checked).
        unsafe { shim::ipvs_rs_skb_push(self.raw(), n) };
        // INVARIANT: The data start and length changed.
        self.v = Self::read_view(self.ptr);
        Ok(())
    }

    /// Puts the kernel's GRE header for an inner packet of GRE `protocol` type (with its
    /// checksum if `csum`) in front of the data: `len` bytes, which the headroom must have.
    pub(crate) fn push_gre(&mut self, csum: bool, len: usize, protocol: u16) -> Result {
        if (self.v.headroom as usize) < len {
            return Err(ENOMEM);
        }
        // SAFETY: `raw()` is valid and exclusively ours, with room for the header (checked).
        unsafe { shim::ipvs_rs_gre_push(self.raw(), csum, protocol.to_be()) };
        // INVARIANT: The data start and length changed.
        self.v = Self::read_view(self.ptr);
        Ok(())
    }

    /// Removes `n` bytes from the front of the data (`pskb_pull`).
    pub(crate) fn pull(&mut self, n: usize) -> Result {
        let n = u32::try_from(n).map_err(|_| EINVAL)?;
        // SAFETY: `raw()` is valid and exclusively ours.
        let ok = unsafe { shim::ipvs_rs_pskb_pull(self.raw(), n) };
        // INVARIANT: The data start, length and linear part may have changed.
        self.v = Self::read_view(self.ptr);
        if ok {
            Ok(())
        } else {
            Err(EINVAL)
        }
    }

    /// Makes the first `n` bytes of the data linear (`pskb_may_pull`).
    pub(crate) fn may_pull(&mut self, n: usize) -> Result {
        let n = u32::try_from(n).map_err(|_| EINVAL)?;
        // SAFETY: `raw()` is valid and exclusively ours.
        let ok = unsafe { shim::ipvs_rs_pskb_may_pull(self.raw(), n) };
        // INVARIANT: The linear part may have grown (and moved).
        self.v = Self::read_view(self.ptr);
        if ok {
            Ok(())
        } else {
            Err(EINVAL)
        }
    }

    /// The network header starts at the data.
    pub(crate) fn reset_network_header(&mut self) {
        // SAFETY: `raw()` is valid and exclusively ours.
        unsafe { shim::ipvs_rs_skb_reset_network_header(self.raw()) };
        self.v.network_offset = 0;
    }

    /// The transport header starts at the data.
    pub(crate) fn reset_transport_header(&mut self) {
        // SAFETY: `raw()` is valid and exclusively ours.
        unsafe { shim::ipvs_rs_skb_reset_transport_header(self.raw()) }
    }

    /// The transport header starts `off` bytes into the data.
    pub(crate) fn set_transport_header(&mut self, off: usize) -> Result {
        let off = u32::try_from(off).map_err(|_| EINVAL)?;
        // SAFETY: `raw()` is valid and exclusively ours.
        unsafe { shim::ipvs_rs_skb_set_transport_header(self.raw(), off) };
        Ok(())
    }

    /// Forgets the IPv4 options the packet was received with (its control block).
    pub(crate) fn clear_ip_options(&mut self) {
        // SAFETY: `raw()` is valid and exclusively ours.
        unsafe { shim::ipvs_rs_ipcb_clear(self.raw()) }
    }

    /// Sets the identification of the IPv4 header at the network offset (`ip_select_ident`).
    pub(crate) fn select_ident(&mut self, net: Net) {
        // SAFETY: `raw()` is valid and exclusively ours, `net` is alive; the network header is
        // a complete IPv4 header in the linear area (the caller pushed it).
        unsafe { shim::ipvs_rs_ip_select_ident(net.raw(), self.raw()) }
    }

    /// Prepares the offload state of a packet about to be encapsulated for the `gso`
    /// (`shim::gso`) segmentation types (`iptunnel_handle_offloads`), and marks it as the inner
    /// packet, of IP protocol `inner_protocol`, of a tunnel.
    pub(crate) fn tunnel_offloads(&mut self, gso: u32, inner_protocol: u8) -> Result {
        // SAFETY: `raw()` is valid and exclusively ours.
        let r = kernel::error::to_result(unsafe { shim::ipvs_rs_tunnel_offloads(self.raw(), gso) });
        // INVARIANT: The head may have been copied.
        self.v = Self::read_view(self.ptr);
        r?;
        // SAFETY: As above.
        unsafe { shim::ipvs_rs_skb_tunnel_inner(self.raw(), inner_protocol) };
        Ok(())
    }

    /// The UDP source port a tunnel gives this packet's flow (a hash, for receivers to spread
    /// flows), host order.
    pub(crate) fn flow_src_port(&self, net: Net) -> u16 {
        // SAFETY: `raw()` is valid by the type invariant, `net` is alive.
        u16::from_be(unsafe { shim::ipvs_rs_udp_flow_src_port(net.raw(), self.raw()) })
    }

    /// Sets the checksum of the UDP header at the transport offset (`udp_set_csum`,
    /// `udp6_set_csum`; `nocheck`: none) for the addresses `saddr` and `daddr` of `family`,
    /// over the whole packet.
    pub(crate) fn udp_set_csum(&mut self, nocheck: bool, family: Family, saddr: Addr, daddr: Addr) {
        match family {
            // SAFETY: `raw()` is valid and exclusively ours, and its transport header is a UDP
            // header at the data (the caller pushed it).
            Family::V4 => unsafe {
                shim::ipvs_rs_udp_set_csum(
                    nocheck,
                    self.raw(),
                    u32::from_ne_bytes(saddr.to_v4()),
                    u32::from_ne_bytes(daddr.to_v4()),
                )
            },
            // SAFETY: As above; the addresses are 16 bytes each.
            Family::V6 => unsafe {
                shim::ipvs_rs_udp6_set_csum(
                    nocheck,
                    self.raw(),
                    saddr.raw().as_ptr(),
                    daddr.raw().as_ptr(),
                )
            },
        }
        self.v = Self::read_view(self.ptr);
    }

    /// Where the checksum left to offload starts and where it is written, from the data and
    /// from that start (`CHECKSUM_PARTIAL` only).
    pub(crate) fn csum_start(&self) -> Option<(usize, u16)> {
        if !self.v.csum_partial {
            return None;
        }
        // SAFETY: `raw()` is valid by the type invariant.
        let start = usize::try_from(unsafe { shim::ipvs_rs_skb_csum_start(self.raw()) }).ok()?;
        // SAFETY: As above.
        Some((start, unsafe { shim::ipvs_rs_skb_csum_offset(self.raw()) }))
    }

    /// Leaves the inner checksum to the tunnel's receiver (remote checksum offload): the packet
    /// has none to compute any more.
    pub(crate) fn csum_none(&mut self) {
        // SAFETY: `raw()` is valid and exclusively ours.
        unsafe { shim::ipvs_rs_skb_csum_none(self.raw()) };
        self.v.csum_partial = false;
    }

    /// The CRC32c of the packet's bytes from `off` to its end, started from all ones and not
    /// inverted (`skb_crc32c`); `None` if `off` is past the end.
    pub(crate) fn crc32c(&self, off: usize) -> Option<u32> {
        let len = (self.len() as usize).checked_sub(off)?;
        let (off, len) = (i32::try_from(off).ok()?, i32::try_from(len).ok()?);
        // SAFETY: `raw()` is valid by the type invariant; `off` and `len` lie within its data;
        // `skb_crc32c` only reads it.
        Some(unsafe { kernel::bindings::skb_crc32c(self.raw(), off, len, !0) })
    }

    /// Marks the transport checksum as verified (`CHECKSUM_UNNECESSARY`): the packet's
    /// checksum was computed by us, no device or receiver needs to.
    pub(crate) fn set_csum_unnecessary(&mut self) {
        // SAFETY: `raw()` is valid and exclusively ours.
        unsafe { shim::ipvs_rs_skb_csum_unnecessary(self.raw()) };
        self.v.csum_partial = false;
    }

    /// Whether the transport checksum needs no check: verified already, or left to the device
    /// (`skb_csum_unnecessary`).
    pub(crate) fn csum_verified(&self) -> bool {
        // SAFETY: `raw()` is valid by the type invariant.
        unsafe { shim::ipvs_rs_skb_csum_verified(self.raw()) }
    }

    /// The whole packet from `off` to its end, when it is all in the linear area (as after
    /// `make_writable(len())`).
    pub(crate) fn linear_from(&self, off: usize) -> Option<&[u8]> {
        if self.v.headlen != self.v.len {
            return None;
        }
        self.linear().get(off..)
    }

    /// Replaces the `old` bytes at `off` (after the transport header) by `new`, moving what
    /// follows: the packet grows or shrinks by the difference, and its IP header of `family`
    /// gets the new length (IPv4: and its checksum). The transport checksum is the caller's to
    /// fix. Not for GSO packets (`EINVAL`); `ENOMEM` without room to grow.
    pub(crate) fn replace(&mut self, family: Family, off: usize, old: usize, new: &[u8]) -> Result {
        let len = self.len() as usize;
        let end = off.checked_add(old).filter(|&e| e <= len).ok_or(EINVAL)?;
        let new_len = len - old + new.len();
        let nh = self.network_offset();
        let ip_len = new_len.checked_sub(nh).ok_or(EINVAL)?;
        if self.is_gso() || ip_len > usize::from(u16::MAX) {
            return Err(EINVAL);
        }
        self.make_writable(len)?;
        if self.v.headlen != self.v.len {
            return Err(EINVAL);
        }
        if let Some(grow) = new.len().checked_sub(old).filter(|&g| g > 0) {
            // SAFETY: `raw()` is valid by the type invariant.
            let room = unsafe { shim::ipvs_rs_skb_tailroom(self.raw()) } as usize;
            if room < grow {
                // SAFETY: `raw()` is valid and exclusively ours, and not shared (made writable
                // above); `grow - room` is at most 64 KiB.
                let r = unsafe {
                    kernel::bindings::pskb_expand_head(
                        self.raw(),
                        0,
                        (grow - room) as i32,
                        kernel::bindings::GFP_ATOMIC,
                    )
                };
                // INVARIANT: The data may have moved.
                self.v = Self::read_view(self.ptr);
                kernel::error::to_result(r)?;
            }
            // SAFETY: The packet is linear (checked above) with `grow` bytes of tailroom.
            unsafe { kernel::bindings::skb_put(self.raw(), grow as u32) };
            // INVARIANT: Longer now.
            self.v = Self::read_view(self.ptr);
        }
        // SAFETY: The packet is exclusively ours, linear and writable, and holds
        // `max(len, new_len)` bytes at `v.data` (grown above if needed): the tail moved from
        // `end..len` to `off + new.len()..new_len` and `new` copied to `off..` stay inside.
        unsafe {
            let d = self.v.data;
            core::ptr::copy(d.add(end), d.add(off + new.len()), len - end);
            core::ptr::copy_nonoverlapping(new.as_ptr(), d.add(off), new.len());
        }
        if new_len < len {
            // SAFETY: `raw()` is valid and exclusively ours; `new_len` is below its length.
            unsafe { kernel::bindings::skb_trim(self.raw(), new_len as u32) };
            // INVARIANT: Shorter now.
            self.v = Self::read_view(self.ptr);
        }
        let ip_len = ip_len as u16;
        match family {
            Family::V4 => {
                self.write(nh + 2, &ip_len.to_be_bytes())?;
                self.ip_send_check();
            }
            Family::V6 => {
                let payload = ip_len.checked_sub(40).ok_or(EINVAL)?;
                self.write(nh + 4, &payload.to_be_bytes())?;
            }
        }
        Ok(())
    }

    /// Whether the packet is a GSO one (segmented on output).
    #[inline]
    pub(crate) fn is_gso(&self) -> bool {
        self.v.gso
    }

    /// Reassembles the datagram this fragment belongs to, as defrag user `user`: `Some` with the
    /// whole datagram once this was its last missing fragment, `None` when the fragment was
    /// taken (queued for the others, or freed): the hook then returns `NF_STOLEN`.
    pub(crate) fn defrag(self, net: Net, user: DefragUser) -> Option<Self> {
        let user = match user {
            DefragUser::In => shim::defrag::VS_IN,
            DefragUser::Out => shim::defrag::VS_OUT,
            DefragUser::Fwd => shim::defrag::VS_FWD,
        };
        // SAFETY: `raw()` is valid and exclusively ours, `net` is alive (type invariant of
        // `Net`). On a non-zero return the kernel owns the packet and `self` is dropped
        // without being used (it has no destructor); on zero the packet is ours again.
        let r = unsafe { shim::ipvs_rs_ip_defrag(net.raw(), self.raw(), user) };
        if r != 0 {
            return None;
        }
        let mut s = self;
        // INVARIANT: The packet is now the whole datagram: read it again.
        s.v = Self::read_view(s.ptr);
        Some(s)
    }
}
