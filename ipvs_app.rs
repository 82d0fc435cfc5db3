// SPDX-License-Identifier: GPL-2.0

//! Application helpers (C: `ip_vs_app.c`, `ip_vs_ftp.c`): FTP through NAT. A NAT TCP connection
//! whose virtual port is one of the `ports` module parameter's (21 by default) is an FTP control
//! connection, as C binds its FTP helper to one. [`ftp`]: the commands, pure.
//!
//! - Active mode: a client's PORT or EPRT makes the connection the real server then opens from
//!   its data port (the control port - 1) to the client, controlled by the control connection,
//!   so that it leaves from the virtual service.
//! - Passive mode: after a client's PASV or EPSV, the server's answer (227/229) names the real
//!   server's address and port; the helper makes the connection the client will open to that
//!   port of the virtual address (its client port not known yet: 0 until its first packet) and
//!   rewrites the answer to name the virtual address. The answer's length changes, so the rest
//!   of the stream's sequence numbers (and the client's acknowledgements) move: conntrack does
//!   that, as for C, from the control connection's entry, which is why a NAT FTP service keeps
//!   conntrack on in its namespace.
//!
//! Not done (nor, in practice, by C): conntrack expectations for the data connections (C's fail
//! without a conntrack helper on the control connection's entry).

pub(crate) mod ftp;

use crate::ipvs_conn::{Conn, ConnFlags, FlowKey, Fwd, Kind};
use crate::ipvs_ctl::{msg::SvcKey, uapi, CtlState, Service};
use crate::ipvs_netns::Ipvs;
use crate::ipvs_proto::{
    self,
    inet::{Addr, Family},
    tcp, Proto,
};
use crate::rust::{conntrack::Tracking, params, skb::SkBuff, time};
use core::fmt::Write;
use kernel::{
    prelude::*,
    sync::{atomic::Relaxed, rcu, Arc, ArcBorrow},
};

const _: () = assert!(ftp::MAX_PORTS == params::FTP_MAX_PORTS);

/// The FTP helper's control ports: the `ports` parameter's non-zero entries (fixed while the
/// module is loaded).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FtpPorts {
    ports: [u16; ftp::MAX_PORTS],
    n: usize,
}

impl FtpPorts {
    /// The `ports` parameter's.
    pub(crate) fn from_param() -> Self {
        let mut p = Self::default();
        for &port in params::ftp_ports().iter().filter(|&&p| p != 0) {
            if let Some(slot) = p.ports.get_mut(p.n) {
                *slot = port;
                p.n += 1;
            }
        }
        p
    }

    /// The ports, in the parameter's order.
    pub(crate) fn as_slice(&self) -> &[u16] {
        &self.ports[..self.n]
    }

    /// Whether `port` is one.
    pub(crate) fn contains(&self, port: u16) -> bool {
        self.as_slice().contains(&port)
    }
}

impl Ipvs {
    /// Whether a connection of `proto` to virtual port `vport` forwarded by `fwd` is an FTP
    /// control connection (C: the FTP helper bound to it).
    pub(crate) fn ftp_control(&self, proto: Proto, vport: u16, fwd: Fwd) -> bool {
        proto == Proto::Tcp && fwd == Fwd::Masq && self.ftp_ports.contains(vport)
    }

    /// A client's packet (transport header at `l4off`) on FTP control connection `c`, before
    /// it is forwarded (C: `ip_vs_ftp_in`): on an established connection, PASV or EPSV is
    /// remembered for the server's answer, and a PORT or EPRT command makes (or finds) the data
    /// connection the real server will open, in LISTEN. False: the packet is to be dropped (a
    /// wrong checksum, as C's `tcp_dnat_handler` checks for a helper, or no memory to read it).
    pub(crate) fn ftp_from_client(
        &self,
        g: &rcu::Guard,
        c: ArcBorrow<'_, Conn>,
        skb: &mut SkBuff<'_>,
        l4off: usize,
    ) -> bool {
        if !segment_ok(skb, c.family(), l4off) {
            return false;
        }
        if c.st.lock().tcp() != tcp::State::Established {
            return true;
        }
        if !linearize(skb) {
            return false;
        }
        let Some(payload) = payload(skb, l4off) else {
            return true;
        };
        match ftp::client_command(payload, c.family()) {
            Some(ftp::Command::Passive(p)) => c.st.lock().set_ftp_passive(Some(p)),
            Some(ftp::Command::Active { addr, port }) => {
                c.st.lock().set_ftp_passive(None);
                self.ftp_active_data(g, c, addr, port);
            }
            None => {}
        }
        true
    }

    /// A real server's packet (transport header at `l4off`) on FTP control connection `c`,
    /// before NAT rewrites its source (C: `ip_vs_ftp_out`): the answer to a passive command
    /// makes (or finds) the data connection the client will open, and is rewritten to name the
    /// virtual address. False: the packet is to be dropped (a wrong checksum; a rewrite that
    /// failed, or that changed the answer's length without a conntrack entry to carry the
    /// sequence numbers' shift).
    pub(crate) fn ftp_from_server(
        &self,
        g: &rcu::Guard,
        c: ArcBorrow<'_, Conn>,
        skb: &mut SkBuff<'_>,
        l4off: usize,
    ) -> bool {
        let family = c.family();
        if !segment_ok(skb, family, l4off) {
            return false;
        }
        let passive = {
            let st = c.st.lock();
            if st.tcp() != tcp::State::Established {
                return true;
            }
            st.ftp_passive()
        };
        let Some(passive) = passive else {
            return true;
        };
        if !linearize(skb) {
            return false;
        }
        let Some((off, found)) = payload_off(skb, l4off).and_then(|off| {
            let f = ftp::server_answer(skb.linear_from(off)?, passive, family)?;
            Some((off, f))
        }) else {
            return true;
        };
        let port = found.port;
        let Some(data) = self.ftp_passive_data(g, c, found.addr.unwrap_or(c.daddr()), port) else {
            return false;
        };
        let mut buf = [0u8; 24];
        let text = ftp::passive_answer(passive, data.vaddr(), port, family, &mut buf);
        let (from, to) = found.span;
        let seq: [u8; 4] = match skb.linear_bytes(l4off + 4) {
            Some(s) => s,
            None => return false,
        };
        let grown = text.len() as i32 - (to - from) as i32;
        // Answered, whether or not the rewrite works (like C: a failed one drops this packet,
        // its retransmission passes as it is).
        c.st.lock().set_ftp_passive(None);
        let rewritten = skb
            .replace(family, off + from, to - from, text)
            .and_then(|()| set_tcp_csum(skb, family, l4off))
            .and_then(|()| {
                if grown != 0 {
                    skb.ct_seq_moved(seq, grown)
                } else {
                    Ok(())
                }
            });
        rewritten.is_ok()
    }

    /// The data connection of a passive-mode transfer: from the client (port unknown yet: 0)
    /// to the virtual address and `port`, forwarded to the real server's `port` (announced from
    /// `from`), controlled by `c`, in LISTEN; found if the answer came before (C:
    /// `ip_vs_ftp_out`'s lookup and new `IP_VS_CONN_F_NO_CPORT` connection). Its client port is
    /// filled in by the client's first packet ([`Ipvs::fill_client_port`]).
    fn ftp_passive_data<'a>(
        &'a self,
        g: &'a rcu::Guard,
        c: ArcBorrow<'_, Conn>,
        from: Addr,
        port: u16,
    ) -> Option<ArcBorrow<'a, Conn>> {
        let family = c.family();
        let out = FlowKey {
            family,
            proto: Proto::Tcp,
            saddr: from,
            sport: port,
            daddr: c.key_in.saddr,
            dport: 0,
        };
        let key = FlowKey {
            family,
            proto: Proto::Tcp,
            saddr: c.key_in.saddr,
            sport: 0,
            daddr: c.vaddr(),
            dport: port,
        };
        let data = match self.conns.lookup_out(g, &out) {
            Some(d) => d,
            None => self.ftp_new_data(g, c, key, port)?,
        };
        self.listen(&data);
        Some(data)
    }

    /// Moves a data connection to LISTEN, with its timeout (C: `ip_vs_tcp_conn_listen`).
    fn listen(&self, data: &Conn) {
        data.st.lock().set_tcp(tcp::State::Listen);
        let secs = self.tcp_timeout(tcp::State::Listen);
        let now = time::jiffies();
        self.conns
            .set_expiry(data, now.wrapping_add(u64::from(secs) * time::hz()));
    }

    /// A new data connection `key` of control connection `c`, to its real server's `dport`,
    /// keeping conntrack entries (C: `IP_VS_CONN_F_NFCT`); or the one another CPU made first.
    fn ftp_new_data<'a>(
        &'a self,
        g: &'a rcu::Guard,
        c: ArcBorrow<'_, Conn>,
        key: FlowKey,
        dport: u16,
    ) -> Option<ArcBorrow<'a, Conn>> {
        let dest = c.dest.clone()?;
        if self.conns.count() >= self.conn_max() {
            return None;
        }
        let flags = ConnFlags {
            nfct: true,
            ..ConnFlags::default()
        };
        let ctl: Arc<Conn> = c.into();
        let n = Conn::new(
            &self.conns,
            key,
            Some((dest, dport)),
            ctl.svc.clone(),
            Some(ctl),
            flags,
            time::jiffies(),
        )
        .ok()?;
        self.hash_conn(g, n).ok()
    }

    /// A client's packet `key` (TCP, no connection of its own) may be the first of a
    /// passive-mode data connection the helper made before the client's port was known (C:
    /// the `IP_VS_CONN_F_NO_CPORT` lookup, and `ip_vs_conn_fill_cport`): a connection for the
    /// whole key takes that one's place, in its state, and is the packet's.
    pub(crate) fn fill_client_port<'a>(
        &'a self,
        g: &'a rcu::Guard,
        key: &FlowKey,
    ) -> Option<ArcBorrow<'a, Conn>> {
        if key.proto != Proto::Tcp || key.sport == 0 || self.ftp_ctl_svcs.load(Relaxed) == 0 {
            return None;
        }
        let w = self
            .conns
            .lookup_in(g, &FlowKey { sport: 0, ..*key })
            .filter(|w| w.waits_for_client_port())?;
        // Taken by this packet alone: another client port's finds it gone.
        let now = time::jiffies();
        if !self.conns.expire_now(&w, now) {
            return None;
        }
        let state = w.st.lock().tcp();
        let flags = ConnFlags {
            nfct: w.nfct(),
            ..ConnFlags::default()
        };
        let n = Conn::new(
            &self.conns,
            *key,
            Some((w.dest.clone()?, w.dport)),
            w.svc.clone(),
            w.control.clone(),
            flags,
            now,
        )
        .ok()?;
        n.st.lock().set_tcp(state);
        self.hash_conn(g, n).ok()
    }

    /// The data connection of an active-mode transfer: from the client's `addr`, `port` (what
    /// the real server connects to) to the virtual address and the control port - 1, forwarded
    /// to the real server's control port - 1, controlled by `c` (C: `ip_vs_ftp_in`'s new
    /// connection and `ip_vs_tcp_conn_listen`).
    fn ftp_active_data(&self, g: &rcu::Guard, c: ArcBorrow<'_, Conn>, addr: Addr, port: u16) {
        let key = FlowKey {
            family: c.family(),
            proto: Proto::Tcp,
            saddr: addr,
            sport: port,
            daddr: c.vaddr(),
            dport: c.vport().wrapping_sub(1),
        };
        let data = match self.conns.lookup_in(g, &key) {
            Some(d) => d,
            None => match self.ftp_new_data(g, c, key, c.dport.wrapping_sub(1)) {
                Some(d) => d,
                None => return,
            },
        };
        self.listen(&data);
    }

    /// Whether service `key` is an FTP one: TCP on one of the helper's ports.
    fn ftp_service(&self, key: &SvcKey) -> bool {
        key.fwmark == 0 && key.protocol == uapi::IPPROTO_TCP && self.ftp_ports.contains(key.port)
    }

    /// Counts service `key` in (`1`) or out (`-1`) of those whose connections may be FTP
    /// control connections: TCP ones on a helper port, and firewall-mark ones (their
    /// connections' virtual ports are their packets').
    pub(crate) fn count_ftp_control(&self, key: &SvcKey, by: i32) {
        if self.ftp_service(key) || key.fwmark != 0 {
            self.ftp_ctl_svcs.add(by as u32, Relaxed);
        }
    }

    /// A real server forwarded by `fwd` (`IP_VS_CONN_F_*`) was given to `svc`: a NAT one of an
    /// FTP service keeps conntrack on for the service's family (C: `ip_vs_register_conntrack`),
    /// as the rewriting of passive-mode answers needs the control connection's entry. Without
    /// it (conntrack refused), passive mode cannot work, as in C.
    pub(crate) fn ftp_conntrack_on(&self, ctl: &mut CtlState, svc: &Service, fwd: u32) {
        if fwd != uapi::CONN_F_MASQ || !self.ftp_service(&svc.key) {
            return;
        }
        let Some(family) = Family::from_af(svc.key.af) else {
            return;
        };
        let slot = &mut ctl.ftp_conntrack[family as usize];
        if slot.is_none() {
            *slot = Tracking::new(self.net, family).ok();
        }
    }

    /// FTP services went: conntrack stays on for a family only while an FTP service of it has
    /// a NAT real server.
    pub(crate) fn ftp_conntrack_check(&self, ctl: &mut CtlState) {
        let mut wanted = [false; 2];
        {
            let g = rcu::read_lock();
            for svc in self.svcs.lock().iter() {
                if !self.ftp_service(&svc.key)
                    || !svc.dests(&g).iter().any(|d| d.fwd() == uapi::CONN_F_MASQ)
                {
                    continue;
                }
                if let Some(f) = Family::from_af(svc.key.af) {
                    wanted[f as usize] = true;
                }
            }
        }
        // Out of the read section and the lock: letting conntrack go may sleep.
        for (slot, want) in ctl.ftp_conntrack.iter_mut().zip(wanted) {
            if !want {
                *slot = None;
            }
        }
    }

    /// `/proc/net/ip_vs_app`: a line per FTP control port, the newest registered first (C's
    /// list order), with the connections bound to it (counted in one walk of the table).
    pub(crate) fn show_apps(&self, w: &mut impl Write) -> core::fmt::Result {
        use crate::ipvs_ctl::procfmt;
        let ports = self.ftp_ports.as_slice();
        let mut bound = [0usize; ftp::MAX_PORTS];
        self.conns.for_each_live(|c| {
            if c.kind == Kind::Conn && self.ftp_control(c.key_in.proto, c.vport(), c.fwd) {
                if let Some(i) = ports.iter().position(|&p| p == c.vport()) {
                    bound[i] += 1;
                }
            }
        });
        w.write_str(procfmt::APP_HEADER)?;
        for (i, &port) in ports.iter().enumerate().rev() {
            procfmt::write_app(w, Proto::Tcp.name(), port, bound[i], "ftp")?;
        }
        Ok(())
    }
}

/// The offset of the TCP payload of a packet whose TCP header is at `l4off`.
fn payload_off(skb: &SkBuff<'_>, l4off: usize) -> Option<usize> {
    let off = usize::from(skb.linear_bytes::<1>(l4off + 12)?[0] >> 4) * 4;
    (off >= Proto::Tcp.hdr_len()).then_some(l4off + off)
}

/// The TCP payload of a packet made linear by [`linearize`] (`None`: empty).
fn payload<'s>(skb: &'s SkBuff<'_>, l4off: usize) -> Option<&'s [u8]> {
    skb.linear_from(payload_off(skb, l4off)?)
        .filter(|p| !p.is_empty())
}

/// Makes the whole packet linear and writable, for the helper to read (and maybe rewrite) its
/// payload; false without memory for that (C then drops the packet).
fn linearize(skb: &mut SkBuff<'_>) -> bool {
    skb.make_writable(skb.len() as usize).is_ok()
}

/// Whether the TCP checksum of a control connection's packet (TCP header at `l4off`) is right
/// (C: `tcp_csum_check`, which a helper's packets pass before it reads them): not summed again
/// when verified already or left to the device; summed over the packet made linear.
fn segment_ok(skb: &mut SkBuff<'_>, family: Family, l4off: usize) -> bool {
    if skb.csum_partial() || skb.csum_verified() {
        return true;
    }
    if !linearize(skb) {
        return false;
    }
    let Some(pseudo) = pseudo_sum(skb, family, l4off) else {
        return false;
    };
    skb.linear_from(l4off)
        .is_some_and(|seg| ipvs_proto::segment_checksum_ok(pseudo, seg))
}

/// The pseudo-header sum of the TCP segment at `l4off` of a linear packet of `family`.
fn pseudo_sum(skb: &SkBuff<'_>, family: Family, l4off: usize) -> Option<u32> {
    let nh = skb.network_offset();
    let (s, d) = ipvs_proto::addr_offsets(family);
    let addr = |off: usize| -> Option<Addr> {
        Some(match family {
            Family::V4 => Addr::v4(skb.linear_bytes(nh + off)?),
            Family::V6 => Addr::from_raw(&skb.linear_bytes(nh + off)?),
        })
    };
    let len = (skb.len() as usize).checked_sub(l4off)?;
    Some(ipvs_proto::pseudo_header_sum(
        family,
        (&addr(s)?, &addr(d)?),
        Proto::Tcp.ip(),
        u32::try_from(len).ok()?,
    ))
}

/// Recomputes the TCP checksum of a linear, writable packet whose payload changed; the packet's
/// checksum is then complete (no device or receiver needs to compute or check it).
fn set_tcp_csum(skb: &mut SkBuff<'_>, family: Family, l4off: usize) -> Result {
    let csum_off = Proto::Tcp.csum_off();
    let pseudo = pseudo_sum(skb, family, l4off).ok_or(EINVAL)?;
    let csum =
        ipvs_proto::segment_checksum(pseudo, skb.linear_from(l4off).ok_or(EINVAL)?, csum_off);
    skb.write(l4off + csum_off, &csum)?;
    skb.set_csum_unnecessary();
    Ok(())
}
