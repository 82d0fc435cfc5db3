// SPDX-License-Identifier: GPL-2.0

//! FTP's commands that open data connections, as C IPVS's FTP helper reads them
//! (`ip_vs_ftp.c`), pure: a client's PORT and EPRT (active mode: the real server will connect
//! to the client) and PASV and EPSV (passive mode).

use crate::ipvs_ctl::procfmt::SliceWriter;
use crate::ipvs_proto::inet::{Addr, Family};
use core::fmt::Write;

/// Most ports the helper watches (C: `IP_VS_APP_MAX_PORTS`).
pub(crate) const MAX_PORTS: usize = 8;

/// The passive-mode commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Passive {
    /// PASV (IPv4).
    Pasv,
    /// EPSV, bare or for the connection's own family.
    Epsv,
}

/// What a client's packet on an FTP control connection says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// Passive mode: the server's answer names the port the client connects to.
    Passive(Passive),
    /// PORT or EPRT: the server is to connect to `addr`, `port` (host order).
    Active { addr: Addr, port: u16 },
}

/// An address and port found in a command or reply, and where its text lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    /// The address; `None` where the extended form leaves it out (EPSV's answer).
    pub(crate) addr: Option<Addr>,
    /// The port, host order.
    pub(crate) port: u16,
    /// The bytes of the address and port (from, to): what a rewrite replaces.
    pub(crate) span: (usize, usize),
}

/// The address and port after `pattern` (matched without regard to case) at the start of
/// `data` (C: `ip_vs_ftp_get_addrport`). After the pattern, everything up to the first `skip`
/// is passed over and then every `skip` (the plain form also starts at a digit). The plain form
/// (`ext` false) is six decimal bytes `h1,h2,h3,h4,p1,p2` followed by anything but a digit or
/// comma; the extended one (RFC 2428) is `<d>af<d>address<d>port<d>` with any printable
/// delimiter `d`, the family 1 (IPv4) or 2 (IPv6) that of the connection, a port from 1 to
/// 65535, and address and family both left out (`<d><d><d>port<d>`) only where `bare_ok`.
/// `None` when the pattern is not there or the rest is not whole.
pub(crate) fn addr_port(
    data: &[u8],
    pattern: &[u8],
    skip: u8,
    ext: bool,
    bare_ok: bool,
    family: Family,
) -> Option<Found> {
    if !data.get(..pattern.len())?.eq_ignore_ascii_case(pattern) {
        return None;
    }
    let at = |i: usize| data.get(i).copied();
    let mut s = pattern.len();
    let mut found = false;
    loop {
        let c = at(s)?;
        if !found {
            if !ext && c.is_ascii_digit() {
                break;
            }
            found = c == skip;
        } else if c != skip {
            break;
        }
        s += 1;
    }
    if !ext {
        let mut p = [0u8; 6];
        let mut i = 0;
        let mut e = s;
        loop {
            let c = at(e)?;
            if c.is_ascii_digit() {
                let v = u32::from(p[i]) * 10 + u32::from(c - b'0');
                p[i] = u8::try_from(v).ok()?;
            } else if c == b',' && i < 5 {
                i += 1;
            } else {
                break;
            }
            e += 1;
        }
        if i != 5 {
            return None;
        }
        return Some(Found {
            addr: Some(Addr::v4([p[0], p[1], p[2], p[3]])),
            port: u16::from_be_bytes([p[4], p[5]]),
            span: (s, e),
        });
    }
    let start = s;
    let delim = at(s)?;
    if !(33..=126).contains(&delim) {
        return None;
    }
    s += 1;
    let addr = if at(s)? == delim {
        if !bare_ok || at(s + 1)? != delim {
            return None;
        }
        s += 2;
        None
    } else {
        let af = match family {
            Family::V4 => b'1',
            Family::V6 => b'2',
        };
        if at(s)? != af || at(s + 1)? != delim {
            return None;
        }
        s += 2;
        let len = data.get(s..)?.iter().position(|&c| c == delim)?;
        let a = parse_addr(&data[s..s + len], family)?;
        s += len + 1;
        Some(a)
    };
    let mut port = 0u32;
    while let Some(c) = at(s).filter(u8::is_ascii_digit) {
        port = port * 10 + u32::from(c - b'0');
        if port > 65535 {
            return None;
        }
        s += 1;
    }
    if port == 0 || at(s)? != delim {
        return None;
    }
    Some(Found {
        addr,
        port: port as u16,
        span: (start, s + 1),
    })
}

/// An address of `family` in text: dotted decimal, or IPv6's groups (with at most one `::`;
/// no dotted tail).
fn parse_addr(t: &[u8], family: Family) -> Option<Addr> {
    match family {
        Family::V4 => {
            let mut a = [0u8; 4];
            let mut parts = t.split(|&c| c == b'.');
            for b in &mut a {
                *b = decimal_byte(parts.next()?)?;
            }
            parts.next().is_none().then(|| Addr::v4(a))
        }
        Family::V6 => {
            let mut groups = [0u16; 8];
            let text = core::str::from_utf8(t).ok()?;
            let (head, tail) = match text.split_once("::") {
                Some((h, t)) => (h, Some(t)),
                None => (text, None),
            };
            let parse = |s: &str, out: &mut [u16]| -> Option<usize> {
                if s.is_empty() {
                    return Some(0);
                }
                let mut n = 0;
                for g in s.split(':') {
                    if g.is_empty() || g.len() > 4 {
                        return None;
                    }
                    *out.get_mut(n)? = u16::from_str_radix(g, 16).ok()?;
                    n += 1;
                }
                Some(n)
            };
            let mut tail_groups = [0u16; 8];
            let h = parse(head, &mut groups)?;
            match tail {
                None if h == 8 => {}
                None => return None,
                Some(tail) => {
                    let n = parse(tail, &mut tail_groups)?;
                    if h + n > 7 {
                        return None;
                    }
                    groups[8 - n..].copy_from_slice(&tail_groups[..n]);
                }
            }
            let mut raw = [0u8; 16];
            for (i, g) in groups.iter().enumerate() {
                raw[2 * i..2 * i + 2].copy_from_slice(&g.to_be_bytes());
            }
            Some(Addr::from_raw(&raw))
        }
    }
}

/// A decimal number from 0 to 255 of one to three digits.
fn decimal_byte(t: &[u8]) -> Option<u8> {
    if t.is_empty() || t.len() > 3 || !t.iter().all(u8::is_ascii_digit) {
        return None;
    }
    u8::try_from(t.iter().fold(0u32, |v, &c| v * 10 + u32::from(c - b'0'))).ok()
}

/// What a client's packet (its TCP payload `data`) on a control connection of `family` asks
/// for (C: `ip_vs_ftp_in`). A passive command may be anywhere in the packet ("PASV\r\n",
/// IPv4 only; "EPSV\r\n", or "EPSV 1\r\n" / "EPSV 2\r\n" for the connection's own family: a
/// malformed or other-family EPSV ends the search), PORT (IPv4) or EPRT only at its start.
pub(crate) fn client_command(data: &[u8], family: Family) -> Option<Command> {
    for i in 0..data.len().saturating_sub(5) {
        let w = &data[i..];
        if family == Family::V4 && w[..6].eq_ignore_ascii_case(b"PASV\r\n") {
            return Some(Command::Passive(Passive::Pasv));
        }
        if w[..4].eq_ignore_ascii_case(b"EPSV") && matches!(w[4], b' ' | b'\r') {
            if w[4] == b' ' {
                let net = match family {
                    Family::V4 => b'1',
                    Family::V6 => b'2',
                };
                if w.get(6) != Some(&b'\r') || w[5] != net {
                    return None;
                }
            }
            return Some(Command::Passive(Passive::Epsv));
        }
    }
    let active = |f: Found| {
        Some(Command::Active {
            addr: f.addr?,
            port: f.port,
        })
    };
    if family == Family::V4 {
        if let Some(f) = addr_port(data, b"PORT", b' ', false, false, family) {
            return active(f);
        }
    }
    addr_port(data, b"EPRT", b' ', true, false, family).and_then(active)
}

/// Where a server's answer to passive command `p` (its TCP payload `data`) on a control
/// connection of `family` names the port to connect to (C: `ip_vs_ftp_out`): "227 " then,
/// from the parenthesis (or the first digit) on, `h1,h2,h3,h4,p1,p2` for PASV; "229 " then an
/// extended address, usually bare (`(|||port|)`), for EPSV.
pub(crate) fn server_answer(data: &[u8], p: Passive, family: Family) -> Option<Found> {
    match p {
        Passive::Pasv => addr_port(data, b"227 ", b'(', false, false, family),
        Passive::Epsv => addr_port(data, b"229 ", b'(', true, true, family),
    }
}

/// The text that replaces the address and port of a passive answer, written into `buf`: the
/// virtual address `vaddr` and `port` for PASV (`h1,h2,h3,h4,p1,p2`, at most 23 bytes), the
/// port alone for EPSV (`|||port|`: the client uses the control connection's address).
pub(crate) fn passive_answer(
    p: Passive,
    vaddr: Addr,
    port: u16,
    family: Family,
    buf: &mut [u8; 24],
) -> &[u8] {
    let mut w = SliceWriter { buf, len: 0 };
    // Every answer fits.
    let _ = match p {
        Passive::Pasv => {
            let a = vaddr.bytes(family);
            let [hi, lo] = port.to_be_bytes();
            write!(w, "{},{},{},{},{},{}", a[0], a[1], a[2], a[3], hi, lo)
        }
        Passive::Epsv => write!(w, "|||{port}|"),
    };
    let n = w.len;
    &buf[..n]
}
