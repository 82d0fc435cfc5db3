// SPDX-License-Identifier: GPL-2.0

//! The text of `/proc/net/ip_vs_conn`, which `ipvsadm -Lc` parses.
//!
//! Pure code.

use core::fmt::{self, Write};

/// The header line.
pub(crate) const HEADER: &str =
    "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n";

/// What one line shows of an IPv4 connection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnLine<'a> {
    /// Protocol name (`TCP`, `UDP`, ...).
    pub(crate) proto: &'a str,
    /// Client address and port.
    pub(crate) client: ([u8; 4], u16),
    /// Virtual address and port.
    pub(crate) virt: ([u8; 4], u16),
    /// Real server address and port.
    pub(crate) dest: ([u8; 4], u16),
    /// State name.
    pub(crate) state: &'a str,
    /// Seconds until expiry.
    pub(crate) expires: u32,
    /// A template's persistence engine and its data (`sip` and the Call-ID).
    pub(crate) pe: Option<(&'a str, &'a [u8])>,
}

/// Writes one connection line (addresses and ports in upper-case hex, like C IPVS), with a
/// template's engine name and data after the expiry. Data that is not text (the SIP parser
/// takes ASCII only) is left out.
pub(crate) fn write_conn(w: &mut impl Write, c: &ConnLine<'_>) -> fmt::Result {
    let h = |a: [u8; 4]| u32::from_be_bytes(a);
    write!(
        w,
        "{:<3} {:08X} {:04X} {:08X} {:04X} {:08X} {:04X} {:<11} {:>7}",
        c.proto,
        h(c.client.0),
        c.client.1,
        h(c.virt.0),
        c.virt.1,
        h(c.dest.0),
        c.dest.1,
        c.state,
        c.expires
    )?;
    if let Some((name, data)) = c.pe {
        write!(w, " {} {}", name, core::str::from_utf8(data).unwrap_or(""))?;
    }
    w.write_str("\n")
}
