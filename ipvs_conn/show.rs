// SPDX-License-Identifier: GPL-2.0

//! The text of `/proc/net/ip_vs_conn`, which `ipvsadm -Lc` parses, and of
//! `/proc/net/ip_vs_conn_sync` (the same connections, with where each came from).
//!
//! Pure code.

use crate::ipvs_proto::inet::{Addr, Family};
use core::fmt::{self, Write};

/// The header line.
pub(crate) const HEADER: &str =
    "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n";

/// The header line of `ip_vs_conn_sync`.
pub(crate) const HEADER_SYNC: &str =
    "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Origin Expires\n";

/// Writes the header line of `ip_vs_conn`, or of `ip_vs_conn_sync`.
pub(crate) fn write_header(w: &mut impl Write, sync_file: bool) -> fmt::Result {
    w.write_str(if sync_file { HEADER_SYNC } else { HEADER })
}

/// What one line shows of a connection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnLine<'a> {
    /// Protocol name (`TCP`, `UDP`, ...).
    pub(crate) proto: &'a str,
    /// The family of the client and virtual addresses.
    pub(crate) family: Family,
    /// Client address and port.
    pub(crate) client: (Addr, u16),
    /// Virtual address and port.
    pub(crate) virt: (Addr, u16),
    /// Real server family, address and port (an IPv4 service may tunnel to an IPv6 one).
    pub(crate) dest: (Family, Addr, u16),
    /// State name.
    pub(crate) state: &'a str,
    /// Seconds until expiry.
    pub(crate) expires: u32,
    /// A template's persistence engine and its data (`sip` and the Call-ID).
    pub(crate) pe: Option<(&'a str, &'a [u8])>,
}

/// An address as C prints it there: IPv4 as eight upper-case hex digits, IPv6 as `%pI6` does
/// (eight groups of four lower-case hex digits, nothing left out).
struct Shown(Family, Addr);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Family::V4 => write!(f, "{:08X}", u32::from_be_bytes(self.1.to_v4())),
            Family::V6 => {
                for (i, g) in self.1.raw().chunks_exact(2).enumerate() {
                    let sep = if i == 0 { "" } else { ":" };
                    write!(f, "{sep}{:04x}", u16::from_be_bytes([g[0], g[1]]))?;
                }
                Ok(())
            }
        }
    }
}

/// Writes the part of a line both files share: protocol, addresses and ports (ports in
/// upper-case hex, like C IPVS) and the state.
fn write_flow(w: &mut impl Write, c: &ConnLine<'_>) -> fmt::Result {
    write!(
        w,
        "{:<3} {} {:04X} {} {:04X} {} {:04X} {:<11}",
        c.proto,
        Shown(c.family, c.client.0),
        c.client.1,
        Shown(c.family, c.virt.0),
        c.virt.1,
        Shown(c.dest.0, c.dest.1),
        c.dest.2,
        c.state,
    )
}

/// Writes one `ip_vs_conn_sync` line: `synced` tells a connection a sync daemon made
/// (`SYNC`) from one this host scheduled (`LOCAL`).
pub(crate) fn write_conn_sync(w: &mut impl Write, c: &ConnLine<'_>, synced: bool) -> fmt::Result {
    write_flow(w, c)?;
    let origin = if synced { "SYNC" } else { "LOCAL" };
    writeln!(w, " {:<6} {:>7}", origin, c.expires)
}

/// Writes one connection line (ports in upper-case hex, like C IPVS), with a template's engine
/// name and data after the expiry. Data that is not text (the SIP parser takes ASCII only) is
/// left out.
pub(crate) fn write_conn(w: &mut impl Write, c: &ConnLine<'_>) -> fmt::Result {
    write_flow(w, c)?;
    write!(w, " {:>7}", c.expires)?;
    if let Some((name, data)) = c.pe {
        write!(w, " {} {}", name, core::str::from_utf8(data).unwrap_or(""))?;
    }
    w.write_str("\n")
}
