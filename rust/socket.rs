// SPDX-License-Identifier: GPL-2.0

//! Kernel UDP sockets: the sync daemon's multicast sender and receiver.
//!
//! C header: [`include/linux/net.h`](srctree/include/linux/net.h)

use super::{pernet::Net, shim};
use crate::ipvs_proto::inet::Family;
use core::ptr::NonNull;
use kernel::{
    bindings,
    error::to_result,
    ffi::{c_int, c_void},
    prelude::*,
};

/// `SOCK_DGRAM`, `IPPROTO_UDP`, `MSG_DONTWAIT`, `MSG_NOSIGNAL`.
const SOCK_DGRAM: c_int = bindings::sock_type_SOCK_DGRAM as c_int;
const IPPROTO_UDP: c_int = bindings::IPPROTO_UDP as c_int;
const MSG_DONTWAIT: u32 = bindings::MSG_DONTWAIT;
const MSG_NOSIGNAL: u32 = bindings::MSG_NOSIGNAL;

/// A socket address of either family (`struct sockaddr_in`, `struct sockaddr_in6`).
pub(crate) struct SockAddr {
    bytes: [u8; 28],
    len: usize,
}

impl SockAddr {
    /// `addr` (IPv4 in the first four bytes) port `port` of `family`.
    pub(crate) fn new(family: Family, addr: &[u8; 16], port: u16) -> Self {
        let mut bytes = [0u8; 28];
        bytes[..2].copy_from_slice(&family.af().to_ne_bytes());
        bytes[2..4].copy_from_slice(&port.to_be_bytes());
        let len = match family {
            Family::V4 => {
                bytes[4..8].copy_from_slice(&addr[..4]);
                16
            }
            Family::V6 => {
                bytes[8..24].copy_from_slice(addr);
                28
            }
        };
        Self { bytes, len }
    }

    fn as_ptr(&self) -> *mut bindings::sockaddr_unsized {
        self.bytes.as_ptr().cast_mut().cast()
    }
}

/// A kernel UDP socket of a namespace, released when dropped.
///
/// # Invariants
///
/// `sock` is a socket made by `sock_create_kern`, ours until [`Drop`] releases it.
pub(crate) struct UdpSocket {
    sock: NonNull<bindings::socket>,
    family: Family,
}

// SAFETY: The socket's calls take its own lock; it may be used and released from any thread.
unsafe impl Send for UdpSocket {}
// SAFETY: As above: every method goes through the socket layer, which serialises them.
unsafe impl Sync for UdpSocket {}

impl UdpSocket {
    /// A UDP socket of `family` in `net`.
    pub(crate) fn new(net: Net, family: Family) -> Result<Self> {
        let mut sock = core::ptr::null_mut();
        // SAFETY: `net` is alive (type invariant); `sock` receives the new socket.
        to_result(unsafe {
            bindings::sock_create_kern(
                net.raw().cast(),
                c_int::from(family.af()),
                SOCK_DGRAM,
                IPPROTO_UDP,
                &mut sock,
            )
        })?;
        // INVARIANT: Made just now by `sock_create_kern`.
        Ok(Self {
            sock: NonNull::new(sock).ok_or(ENOMEM)?,
            family,
        })
    }

    fn set<T>(&self, level: u32, name: u32, val: &T) -> Result {
        // SAFETY: `sock` is ours (type invariant); `val` is `size_of::<T>()` readable bytes.
        to_result(unsafe {
            shim::ipvs_rs_sock_setsockopt(
                self.sock.as_ptr().cast(),
                level as c_int,
                name as c_int,
                core::ptr::from_ref(val).cast::<c_void>(),
                core::mem::size_of::<T>() as u32,
            )
        })
    }

    fn ip_level(&self) -> u32 {
        match self.family {
            Family::V4 => shim::IPVS_RS_SOL_IP,
            Family::V6 => shim::IPVS_RS_SOL_IPV6,
        }
    }

    /// Multicasts go out of interface `ifindex`.
    pub(crate) fn set_multicast_if(&self, ifindex: i32) -> Result {
        match self.family {
            Family::V4 => {
                // `struct ip_mreqn`: group, local address (none), interface.
                let mreqn = [0u32, 0, ifindex as u32];
                self.set(shim::IPVS_RS_SOL_IP, shim::IPVS_RS_IP_MULTICAST_IF, &mreqn)
            }
            Family::V6 => self.set(
                shim::IPVS_RS_SOL_IPV6,
                shim::IPVS_RS_IPV6_MULTICAST_IF,
                &(ifindex as c_int),
            ),
        }
    }

    /// Whether this host gets its own multicasts back.
    pub(crate) fn set_multicast_loop(&self, on: bool) -> Result {
        let name = match self.family {
            Family::V4 => shim::IPVS_RS_IP_MULTICAST_LOOP,
            Family::V6 => shim::IPVS_RS_IPV6_MULTICAST_LOOP,
        };
        self.set(self.ip_level(), name, &c_int::from(on))
    }

    /// The TTL (hop limit) of multicasts.
    pub(crate) fn set_multicast_ttl(&self, ttl: u8) -> Result {
        let name = match self.family {
            Family::V4 => shim::IPVS_RS_IP_MULTICAST_TTL,
            Family::V6 => shim::IPVS_RS_IPV6_MULTICAST_HOPS,
        };
        self.set(self.ip_level(), name, &c_int::from(ttl))
    }

    /// Datagrams may be fragmented (no path MTU discovery).
    pub(crate) fn set_pmtudisc_dont(&self) -> Result {
        let name = match self.family {
            Family::V4 => shim::IPVS_RS_IP_MTU_DISCOVER,
            Family::V6 => shim::IPVS_RS_IPV6_MTU_DISCOVER,
        };
        self.set(
            self.ip_level(),
            name,
            &(shim::IPVS_RS_PMTUDISC_DONT as c_int),
        )
    }

    /// The send buffer's size (`SO_SNDBUF`: doubled, capped by `wmem_max`).
    pub(crate) fn set_sndbuf(&self, bytes: i32) -> Result {
        self.set(shim::IPVS_RS_SOL_SOCKET, shim::IPVS_RS_SO_SNDBUF, &bytes)
    }

    /// The receive buffer's size (`SO_RCVBUF`).
    pub(crate) fn set_rcvbuf(&self, bytes: i32) -> Result {
        self.set(shim::IPVS_RS_SOL_SOCKET, shim::IPVS_RS_SO_RCVBUF, &bytes)
    }

    /// Other sockets may bind the same address (`SO_REUSEADDR`).
    pub(crate) fn set_reuseaddr(&self) {
        // SAFETY: `sock` is ours (type invariant).
        unsafe { shim::ipvs_rs_sock_set_reuseaddr(self.sock.as_ptr().cast()) }
    }

    /// Takes packets of interface `ifindex` only.
    pub(crate) fn bind_device(&self, ifindex: i32) -> Result {
        // SAFETY: `sock` is ours (type invariant).
        to_result(unsafe { shim::ipvs_rs_sock_bind_dev(self.sock.as_ptr().cast(), ifindex) })
    }

    /// Binds the local address.
    pub(crate) fn bind(&self, a: &SockAddr) -> Result {
        // SAFETY: `sock` is ours (type invariant); `a` holds `a.len` bytes of a socket address
        // of the socket's family.
        to_result(unsafe { bindings::kernel_bind(self.sock.as_ptr(), a.as_ptr(), a.len as c_int) })
    }

    /// Sends to `a` from now on.
    pub(crate) fn connect(&self, a: &SockAddr) -> Result {
        // SAFETY: As for `bind`.
        to_result(unsafe {
            bindings::kernel_connect(self.sock.as_ptr(), a.as_ptr(), a.len as c_int, 0)
        })
    }

    /// Joins multicast group `group` on interface `ifindex`.
    pub(crate) fn join_group(&self, group: &[u8; 16], ifindex: i32) -> Result {
        match self.family {
            Family::V4 => {
                let g = u32::from_ne_bytes([group[0], group[1], group[2], group[3]]);
                // `struct ip_mreqn`.
                let mreqn = [g, 0, ifindex as u32];
                self.set(
                    shim::IPVS_RS_SOL_IP,
                    shim::IPVS_RS_IP_ADD_MEMBERSHIP,
                    &mreqn,
                )
            }
            Family::V6 => {
                // `struct ipv6_mreq`: the group, then the interface.
                let mut mreq = [0u32; 5];
                for (w, b) in mreq.iter_mut().zip(group.chunks_exact(4)) {
                    *w = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
                }
                mreq[4] = ifindex as u32;
                self.set(
                    shim::IPVS_RS_SOL_IPV6,
                    shim::IPVS_RS_IPV6_ADD_MEMBERSHIP,
                    &mreq,
                )
            }
        }
    }

    /// Sends `buf` as one datagram without waiting: `EAGAIN` when the send buffer is full.
    pub(crate) fn send(&self, buf: &[u8]) -> Result<usize> {
        let mut msg = bindings::msghdr {
            msg_flags: MSG_DONTWAIT | MSG_NOSIGNAL,
            ..Default::default()
        };
        let mut iov = bindings::kvec {
            iov_base: buf.as_ptr().cast_mut().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: `sock` is ours (type invariant); `iov` describes `buf`, which the call only
        // reads.
        let n = unsafe {
            bindings::kernel_sendmsg(self.sock.as_ptr(), &mut msg, &mut iov, 1, buf.len())
        };
        to_result(n)?;
        Ok(n as usize)
    }

    /// Takes one waiting datagram into `buf` (the rest of a longer one is lost): its length,
    /// or `EAGAIN` when none waits.
    pub(crate) fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        let mut msg = bindings::msghdr::default();
        let mut iov = bindings::kvec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: `sock` is ours (type invariant); `iov` describes `buf`, writable.
        let n = unsafe {
            bindings::kernel_recvmsg(
                self.sock.as_ptr(),
                &mut msg,
                &mut iov,
                1,
                buf.len(),
                MSG_DONTWAIT as c_int,
            )
        };
        to_result(n)?;
        Ok(n as usize)
    }

    /// Sleeps until a datagram waits or the calling kernel thread is asked to stop.
    pub(crate) fn wait_readable(&self) {
        // SAFETY: `sock` is ours (type invariant); called by a kernel thread, which may sleep.
        unsafe { shim::ipvs_rs_sock_wait_readable(self.sock.as_ptr().cast()) }
    }

    /// Sleeps until a datagram can be sent or the calling kernel thread is asked to stop.
    pub(crate) fn wait_writable(&self) {
        // SAFETY: As for `wait_readable`.
        unsafe { shim::ipvs_rs_sock_wait_writable(self.sock.as_ptr().cast()) }
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        // SAFETY: `sock` is ours (type invariant), released once.
        unsafe { bindings::sock_release(self.sock.as_ptr()) }
    }
}
