// SPDX-License-Identifier: GPL-2.0

//! Persistence: the key of the template that keeps a client on one real server, and the ports
//! a persistent service's template and connections forward to.
//!
//! A persistent service (`ipvsadm -p`) schedules a client once: the first connection makes a
//! template `<protocol, client network, 0, virtual address, virtual port>` bound to the real
//! server picked, and later connections that find the template go to that real server without
//! asking the scheduler. The client address is masked to the service's granularity (`-M`: an
//! IPv4 netmask, or an IPv6 prefix length). Like C IPVS (`ip_vs_sched_persist`):
//!
//! - a packet to the service's own port gets `<proto, cnet, 0, vaddr, vport>`; an FTP service
//!   (port 21) `<proto, cnet, 0, vaddr, 0>`, so that its data connections share it;
//! - a packet to another port (a port-0 service, or the FTP service's data ports) gets
//!   `<proto, cnet, 0, vaddr, 0>`, and one of a firewall-mark service
//!   `<IP, cnet, 0, fwmark, 0>`: any protocol and any port of the mark share it.
//!
//! Pure code, over 16-byte addresses (IPv4 in the first four bytes) for both families.

use crate::ipvs_ctl::{msg::SvcKey, uapi::AF_INET6};
use crate::ipvs_proto::{inet::Family, Proto};

/// The FTP control port: a persistent FTP service's templates have no port.
pub(crate) const FTPPORT: u16 = 21;
/// The FTP data port of active FTP: a client never opens a connection from it.
pub(crate) const FTPDATA: u16 = 20;

/// A template's identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TemplateKey {
    /// The service's family.
    pub(crate) family: Family,
    /// The packet's protocol, or [`Proto::Ip`] for a firewall-mark service.
    pub(crate) proto: Proto,
    /// The client's address masked to the service's granularity.
    pub(crate) cnet: [u8; 16],
    /// The virtual address, or the firewall mark (network order, first four bytes).
    pub(crate) vaddr: [u8; 16],
    /// The virtual port, or 0.
    pub(crate) vport: u16,
}

/// `addr` masked by a service's `netmask`: for IPv4 the mask as C stores it (a network-order
/// word read natively, the genl attribute's bytes), for IPv6 a prefix length (C:
/// `ipv6_addr_prefix`; 128 and more keep the whole address).
pub(crate) fn mask_addr(af: u16, addr: &[u8; 16], netmask: u32) -> [u8; 16] {
    let mut out = [0u8; 16];
    if af == AF_INET6 {
        let bits = netmask.min(128) as usize;
        let (whole, rest) = (bits / 8, bits % 8);
        out[..whole].copy_from_slice(&addr[..whole]);
        if rest != 0 {
            out[whole] = addr[whole] & (0xffu8 << (8 - rest));
        }
    } else {
        for (o, (a, m)) in out.iter_mut().zip(addr.iter().zip(netmask.to_ne_bytes())) {
            *o = a & m;
        }
    }
    out
}

/// The template key of a packet of `proto` from `caddr` to `vaddr:vport` for the persistent
/// service `svc` with granularity `netmask`.
pub(crate) fn template_key(
    svc: &SvcKey,
    netmask: u32,
    proto: Proto,
    caddr: &[u8; 16],
    vaddr: &[u8; 16],
    vport: u16,
) -> TemplateKey {
    let cnet = mask_addr(svc.af, caddr, netmask);
    let family = Family::of_checked_af(svc.af);
    if vport == svc.port {
        let vport = if svc.port == FTPPORT { 0 } else { vport };
        return TemplateKey {
            family,
            proto,
            cnet,
            vaddr: *vaddr,
            vport,
        };
    }
    if svc.fwmark != 0 {
        let mut mark = [0u8; 16];
        mark[..4].copy_from_slice(&svc.fwmark.to_be_bytes());
        return TemplateKey {
            family,
            proto: Proto::Ip,
            cnet,
            vaddr: mark,
            vport: 0,
        };
    }
    TemplateKey {
        family,
        proto,
        cnet,
        vaddr: *vaddr,
        vport: 0,
    }
}

/// The port a new template records for a real server on `dest_port` (0: none): the real
/// server's port when the packet was for the service's own port (not FTP's), else 0.
pub(crate) fn template_dport(svc_port: u16, vport: u16, dest_port: u16) -> u16 {
    if vport == svc_port && svc_port != FTPPORT {
        dest_port
    } else {
        0
    }
}

/// The port a persistent service's connection to `vport` is forwarded to: the real server's
/// port when the packet was for the service's own port and the real server has one, else the
/// packet's port (a port-0 or firewall-mark service keeps it, whatever the real server's).
pub(crate) fn persistent_dport(svc_port: u16, vport: u16, dest_port: u16) -> u16 {
    if vport == svc_port && dest_port != 0 {
        dest_port
    } else {
        vport
    }
}

/// Whether a TCP packet to `vport` that matched no service may belong to the data connection
/// of an FTP service on the same address (C: port 20, or a port that needs no privilege to
/// bind: `unprivileged` tells).
pub(crate) fn may_be_ftp_data(vport: u16, unprivileged: bool) -> bool {
    vport == FTPDATA || unprivileged
}
