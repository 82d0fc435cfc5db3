// SPDX-License-Identifier: GPL-2.0

//! Borrowed `struct sk_buff` access for the packet path.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)

use super::{netfilter::Hook, pernet::Net, shim};
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

/// The netfilter verdict a hook returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// `NF_DROP`: the kernel frees the packet.
    Drop = 0,
    /// `NF_ACCEPT`: the packet continues.
    Accept = 1,
    /// `NF_STOLEN`: the packet was consumed.
    Stolen = 2,
}

/// `PACKET_HOST`.
pub(crate) const PACKET_HOST: u32 = 0;

impl<'a> SkBuff<'a> {
    /// Wraps the packet of a hook invocation.
    ///
    /// # Safety
    ///
    /// `ptr` must be a valid `sk_buff` that the caller exclusively owns for `'a`, which lies
    /// within a netfilter hook call (an RCU read-side section: see [`Self::route4`]).
    pub(crate) unsafe fn from_raw(ptr: *mut shim::RawSkb) -> Option<Self> {
        let ptr = NonNull::new(ptr)?;
        // INVARIANT: `ptr` is valid and ours (guaranteed by the caller); `v` is read from it.
        Some(Self { ptr, v: Self::read_view(ptr), _p: PhantomData })
    }

    fn read_view(ptr: NonNull<shim::RawSkb>) -> shim::SkbView {
        let mut v = core::mem::MaybeUninit::<shim::SkbView>::uninit();
        // SAFETY: `ptr` is a valid `sk_buff` (callers' invariant); the shim fills every field
        // of `v`.
        unsafe {
            shim::ipvs_rs_skb_view(ptr.as_ptr(), v.as_mut_ptr());
            v.assume_init()
        }
    }

    fn raw(&self) -> *mut shim::RawSkb {
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
        let r = kernel::error::to_result(unsafe { shim::ipvs_rs_skb_make_writable(self.raw(), len) });
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
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.v.data.add(off), bytes.len()) };
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

    /// Whether IPVS already handled this packet (`skb->ipvs_property`).
    #[inline]
    pub(crate) fn ipvs_property(&self) -> bool {
        self.v.ipvs_property
    }

    /// Marks the packet as handled by IPVS, and untracked by conntrack (as C IPVS does by
    /// default).
    pub(crate) fn set_ipvs_property(&mut self) {
        // SAFETY: `raw()` is valid and exclusively ours.
        unsafe { shim::ipvs_rs_skb_set_ipvs_property(self.raw()) }
        self.v.ipvs_property = true;
    }

    /// Lets the packet be fragmented on output even with DF set (`skb->ignore_df`).
    pub(crate) fn set_ignore_df(&mut self) {
        // SAFETY: `raw()` is valid and exclusively ours.
        unsafe { shim::ipvs_rs_skb_set_ignore_df(self.raw()) }
    }

    /// Answers the packet's sender with an ICMP "port unreachable" (`icmp_send`; rate-limited
    /// by the kernel). The packet itself is left to the caller's verdict.
    pub(crate) fn send_port_unreachable(&self) {
        // SAFETY: `raw()` is valid by the type invariant; `icmp_send` only reads the packet and
        // may be called from the hook's (softirq or process) context.
        unsafe { shim::ipvs_rs_icmp_port_unreach(self.raw()) }
    }

    /// Whether the transport checksum is left to the device (`CHECKSUM_PARTIAL`).
    #[inline]
    pub(crate) fn csum_partial(&self) -> bool {
        self.v.csum_partial
    }

    /// Updates the 16-bit transport checksum at `csum_off` for a NAT rewrite: a pseudo-header
    /// address changing from `from_addr` to `to_addr` and a port from `from_port` to
    /// `to_port` (all as in the packet), honouring the skb's checksum state.
    pub(crate) fn csum_nat(
        &mut self,
        csum_off: usize,
        (from_addr, to_addr): ([u8; 4], [u8; 4]),
        (from_port, to_port): ([u8; 2], [u8; 2]),
    ) -> Result {
        self.check_csum_off(csum_off)?;
        // SAFETY: `raw()` is valid and exclusively ours; `csum_off + 2` is inside the linear
        // area (checked above).
        unsafe {
            shim::ipvs_rs_l4_csum_nat(
                self.raw(),
                csum_off as u32,
                u32::from_ne_bytes(from_addr),
                u32::from_ne_bytes(to_addr),
                u16::from_ne_bytes(from_port),
                u16::from_ne_bytes(to_port),
            )
        };
        Ok(())
    }

    #[inline]
    fn check_csum_off(&self, off: usize) -> Result {
        if off.checked_add(2).is_some_and(|e| e <= self.linear().len()) && u32::try_from(off).is_ok() {
            Ok(())
        } else {
            Err(EINVAL)
        }
    }

    /// Whether the ICMP message at `off` (to the end of the packet) has a right checksum
    /// (packets already validated and locally generated ones are not checked again).
    pub(crate) fn icmp_csum_ok(&mut self, off: usize) -> bool {
        let Ok(o) = u32::try_from(off) else { return false };
        if off >= self.v.len as usize {
            return false;
        }
        // SAFETY: `raw()` is valid and exclusively ours; `off` is inside the packet and
        // `nf_checksum` reads the packet from there (fragments included).
        unsafe { shim::ipvs_rs_icmp_csum_ok(self.raw(), o) }
    }

    /// Recomputes the checksum of the ICMP message at `off`, whose header must have been made
    /// writable; the packet's checksum state becomes "verified".
    pub(crate) fn icmp_csum_set(&mut self, off: usize) -> Result {
        self.check_csum_off(off.checked_add(2).ok_or(EINVAL)?)?;
        // SAFETY: `raw()` is valid and exclusively ours; the checksum field (`off + 2..off + 4`)
        // is inside the linear area (checked above) and writable (caller).
        unsafe { shim::ipvs_rs_icmp_csum_set(self.raw(), off as u32) };
        self.v.csum_partial = false;
        Ok(())
    }

    /// Recomputes the IPv4 header checksum (the header must be writable).
    pub(crate) fn ip_send_check(&mut self) {
        // SAFETY: `raw()` is valid and exclusively ours and its network header is an IPv4
        // header (the only caller parsed it as one).
        unsafe { shim::ipvs_rs_ip_send_check(self.raw()) }
    }

    /// Routes the packet to `daddr` (network-order bytes) the way every transmitter does: a
    /// local destination leaves the packet alone (`Ok(true)`; only for packets that were for
    /// this host anyway); otherwise the TTL is decremented and the path MTU checked ("time
    /// exceeded" and "fragmentation needed" go to the sender and the packet is to be dropped:
    /// `Err`), and the route is attached (`Ok(false)`). Without a `cache` the route is looked up
    /// afresh. A cached route is attached without a reference: it stays valid to the end of the
    /// hook call (an RCU read-side section), and the kernel takes a reference if it keeps the
    /// packet beyond that.
    pub(crate) fn route4(&mut self, net: Net, cache: Option<&RouteCache>, daddr: [u8; 4], opts: RouteOpts) -> Result<bool> {
        let mut local = false;
        // SAFETY: `raw()` is valid and exclusively ours, `net` is alive (type invariant of
        // `Net`), the cache is a live route cache (type invariant) or NULL, which the shim
        // takes as none; `local` is a valid out pointer.
        let r = unsafe {
            shim::ipvs_rs_route4(net.raw(), RouteCache::raw_or_null(cache), self.raw(), u32::from_ne_bytes(daddr), opts.bits(), &mut local)
        };
        // INVARIANT: The TTL decrement may have copied the header (even on failure).
        self.v = Self::read_view(self.ptr);
        kernel::error::to_result(r)?;
        Ok(local)
    }

    /// Routes (as [`Self::route4`]), encapsulates the packet for `tun` towards `daddr` and sends
    /// it, consuming it. A local `daddr` gives the packet back untouched, with the verdict to
    /// deliver it locally.
    pub(crate) fn tun_xmit(self, net: Net, cache: Option<&RouteCache>, daddr: [u8; 4], tun: Tunnel, opts: RouteOpts) -> Verdict {
        // SAFETY: `raw()` is valid and exclusively ours, `net` is alive (type invariant of
        // `Net`), the cache is a live route cache (type invariant) or NULL (none); the shim either consumes the
        // packet (`NF_STOLEN`) or leaves it untouched (`NF_ACCEPT`), and `self` is consumed so
        // it is not used again either way.
        let v = unsafe {
            shim::ipvs_rs_tun_xmit(
                net.raw(),
                RouteCache::raw_or_null(cache),
                self.raw(),
                u32::from_ne_bytes(daddr),
                opts.bits(),
                tun.kind,
                tun.flags,
                tun.port,
            )
        };
        if v == Verdict::Accept as u32 {
            Verdict::Accept
        } else {
            Verdict::Stolen
        }
    }

    /// Reassembles the datagram this fragment belongs to (netfilter hook `hook`): `Some` with
    /// the whole datagram once this was its last missing fragment, `None` when the fragment was
    /// taken (queued for the others, or freed): the hook then returns `NF_STOLEN`.
    pub(crate) fn gather_frags(self, net: Net, hook: Hook) -> Option<Self> {
        // SAFETY: `raw()` is valid and exclusively ours, `net` is alive (type invariant of
        // `Net`). On a non-zero return the kernel owns the packet and `self` is dropped
        // without being used (it has no destructor); on zero the packet is ours again.
        let r = unsafe { shim::ipvs_rs_gather_frags(net.raw(), self.raw(), hook as u32) };
        if r != 0 {
            return None;
        }
        let mut s = self;
        // INVARIANT: The packet is now the whole datagram: read it again.
        s.v = Self::read_view(s.ptr);
        Some(s)
    }

    /// Turns this ICMP error about a packet tunnelled to a real server (routed through `cache`)
    /// into the same error to the client about its own packet, consuming it: `outer` and
    /// `inner` are the offsets of the embedded outer IP header and of the client's packet,
    /// `overhead` the tunnel's headers, `icmp` the error's type, code and rest of header. For
    /// "fragmentation needed" the route to the real server learns the smaller MTU and the
    /// client is told what is left of it inside the tunnel. Returns whether an error was sent.
    pub(crate) fn tunnel_error_to_client(
        self,
        net: Net,
        cache: &RouteCache,
        (outer, inner, overhead): (usize, usize, usize),
        (icmp_type, code, info): (u8, u8, u32),
    ) -> bool {
        let (Ok(outer), Ok(inner), Ok(overhead)) = (u32::try_from(outer), u32::try_from(inner), u32::try_from(overhead))
        else {
            return false;
        };
        // SAFETY: `raw()` is valid and exclusively ours, `net` is alive (type invariant of
        // `Net`), `cache` is a live route cache (type invariant); the shim consumes the packet and
        // `self` is consumed so it is not used again.
        unsafe {
            shim::ipvs_rs_tunnel_error(net.raw(), cache.raw(), self.raw(), outer, inner, overhead, icmp_type, code, info)
        }
    }

    /// Lets the packet, for a real server on this host, continue up the stack: marked as
    /// handled by IPVS and untracked, and without the socket early demux may have found for it
    /// unless `keep_sk` (its destination was not changed).
    pub(crate) fn deliver_local(self, keep_sk: bool) -> Verdict {
        // SAFETY: `raw()` is valid and exclusively ours; the packet stays the caller's, which
        // hands it back to netfilter with the verdict.
        unsafe { shim::ipvs_rs_deliver_local(self.raw(), keep_sk) };
        Verdict::Accept
    }

    /// Sends the routed packet out through `LOCAL_OUT`, consuming it.
    pub(crate) fn send4(self, net: Net) -> Verdict {
        // SAFETY: `raw()` is valid and exclusively ours; the shim takes ownership and returns
        // `NF_STOLEN`, and `self` is consumed so it is not used again.
        unsafe { shim::ipvs_rs_send4(net.raw(), self.raw()) };
        Verdict::Stolen
    }
}

/// How [`SkBuff::route4`] and [`SkBuff::tun_xmit`] treat a packet.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RouteOpts {
    /// The destination is the next hop whatever the packet's own destination (direct routing).
    pub(crate) known_nh: bool,
    /// The packet is an ICMP error being relayed: it never gets "fragmentation needed".
    pub(crate) icmp: bool,
    /// The `pmtu_disc` sysctl: tunnels copy DF and check the path MTU.
    pub(crate) pmtu_disc: bool,
    /// NAT: a packet being forwarded may be turned to a real server on this host.
    pub(crate) redirect: bool,
    /// Never to this host (cache bypass), even for a packet that was for it.
    pub(crate) non_local: bool,
}

impl RouteOpts {
    fn bits(self) -> u32 {
        let mut b = 0;
        if self.known_nh {
            b |= shim::ROUTE_KNOWN_NH;
        }
        if self.icmp {
            b |= shim::ROUTE_ICMP;
        }
        if self.pmtu_disc {
            b |= shim::ROUTE_PMTU_DISC;
        }
        if self.redirect {
            b |= shim::ROUTE_REDIRECT;
        }
        if self.non_local {
            b |= shim::ROUTE_NON_LOCAL;
        }
        b
    }
}

/// A tunnel destination's encapsulation.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tunnel {
    /// `IP_VS_CONN_F_TUNNEL_TYPE_*`: IP-in-IP, GUE or GRE.
    pub(crate) kind: u8,
    /// `IP_VS_TUNNEL_ENCAP_FLAG_*` (checksum, remote checksum offload).
    pub(crate) flags: u16,
    /// GUE's UDP destination port.
    pub(crate) port: u16,
}

/// The cached route to one destination (the shim's `struct ipvs_rs_route_cache`, read under RCU
/// by every CPU): [`SkBuff::route4`] and [`SkBuff::tun_xmit`] use it, without a reference,
/// while the kernel still deems it valid, and look the route up again when it is not.
pub(crate) struct RouteCache(NonNull<shim::RawRouteCache>);

// SAFETY: The shim reads the cache under RCU and replaces its entry atomically, from any context
// and thread.
unsafe impl Send for RouteCache {}
// SAFETY: As above.
unsafe impl Sync for RouteCache {}

impl RouteCache {
    /// An empty cache (process context).
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Plain allocation; checked for NULL.
        NonNull::new(unsafe { shim::ipvs_rs_route_cache_new() }).map(Self).ok_or(ENOMEM)
    }

    /// Forgets the cached routes (the way to the destination changed).
    pub(crate) fn reset(&self) {
        // SAFETY: The cache is live (type invariant).
        unsafe { shim::ipvs_rs_route_cache_reset(self.raw()) }
    }

    fn raw(&self) -> *mut shim::RawRouteCache {
        self.0.as_ptr()
    }

    /// The cache's pointer, or NULL for none.
    fn raw_or_null(cache: Option<&Self>) -> *mut shim::RawRouteCache {
        cache.map_or(core::ptr::null_mut(), Self::raw)
    }
}

impl Drop for RouteCache {
    fn drop(&mut self) {
        // SAFETY: Allocated by `ipvs_rs_route_cache_new`; with `&mut self` no borrow is left, so
        // nothing is in the shim's cache functions with it. A packet still carrying its route
        // without a reference is safe too: the kernel frees a route only a grace period after
        // its last reference (the cache's, dropped here) goes.
        unsafe { shim::ipvs_rs_route_cache_free(self.raw()) }
    }
}
