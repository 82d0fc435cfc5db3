// SPDX-License-Identifier: GPL-2.0

//! Application helpers (C: `ip_vs_app.c`, `ip_vs_ftp.c`): FTP through NAT. A NAT TCP connection
//! whose virtual port is one of the `ports` module parameter's (21 by default) is an FTP control
//! connection, as C binds its FTP helper to one; a client's PORT or EPRT command on it makes the
//! connection the real server then opens from its data port (the control port - 1) to the
//! client, controlled by it, so that it leaves from the virtual service. [`ftp`]: the commands.
//!
//! Not yet: passive mode (PASV/EPSV: C rewrites the server's 227/229 answer through conntrack's
//! NAT helper and expects the data connection), the conntrack C enables for FTP services.

pub(crate) mod ftp;

use crate::ipvs_conn::{Conn, ConnFlags, FlowKey, Fwd, Kind};
use crate::ipvs_netns::Ipvs;
use crate::ipvs_proto::{inet::Addr, tcp, Proto};
use crate::rust::{params, skb::SkBuff, time};
use core::fmt::Write;
use kernel::{
    prelude::*,
    sync::{rcu, Arc, ArcBorrow},
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
    /// it is forwarded (C: `ip_vs_ftp_in`): on an established connection, a PORT or EPRT
    /// command makes (or finds) the data connection the real server will open, in LISTEN.
    pub(crate) fn ftp_from_client(
        &self,
        g: &rcu::Guard,
        c: ArcBorrow<'_, Conn>,
        skb: &SkBuff<'_>,
        l4off: usize,
    ) {
        if c.st.lock().tcp() != tcp::State::Established {
            return;
        }
        let mut th = [0u8; 20];
        let Some(doff) = skb
            .header(l4off, &mut th)
            .map(|t| usize::from(t[12] >> 4) * 4)
        else {
            return;
        };
        let off = l4off + doff;
        let len = (skb.len() as usize).saturating_sub(off);
        if doff < th.len() || len == 0 {
            return;
        }
        let Ok(mut buf) = KVec::from_elem(0u8, len, GFP_ATOMIC) else {
            return;
        };
        let Some(payload) = skb.header(off, &mut buf) else {
            return;
        };
        // Passive mode is not handled yet (see the module's note).
        if let Some(ftp::Command::Active { addr, port }) = ftp::client_command(payload, c.family())
        {
            self.ftp_active_data(g, c, addr, port);
        }
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
        let now = time::jiffies();
        let data = match self.conns.lookup_in(g, &key) {
            Some(d) => d,
            None => {
                let Some(dest) = c.dest.clone() else {
                    return;
                };
                if self.conns.count() >= self.conn_max() {
                    return;
                }
                let flags = ConnFlags {
                    nfct: true,
                    ..ConnFlags::default()
                };
                let dest = Some((dest, c.dport.wrapping_sub(1)));
                let ctl: Arc<Conn> = c.into();
                let Ok(n) = Conn::new(
                    &self.conns,
                    key,
                    dest,
                    ctl.svc.clone(),
                    Some(ctl),
                    flags,
                    now,
                ) else {
                    return;
                };
                match self.conns.insert_or_get(g, n, self.conn_max()) {
                    Ok(n) => n,
                    Err(_) => return,
                }
            }
        };
        data.st.lock().set_tcp(tcp::State::Listen);
        let secs = self.tcp_timeout(tcp::State::Listen);
        self.conns
            .set_expiry(&data, now.wrapping_add(u64::from(secs) * time::hz()));
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
