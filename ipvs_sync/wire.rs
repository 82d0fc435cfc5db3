// SPDX-License-Identifier: GPL-2.0

//! The synchronisation protocol's datagrams, byte for byte as C IPVS's (`ip_vs_sync.c`):
//! building a master's messages (version 1, or the legacy version 0 with `sync_version` 0)
//! and reading a backup's, with C's rules for what a malformed message loses: the rest of the
//! datagram, or one connection of it.
//!
//! Version 1: an 8-byte header `{0, syncid, be16 size, nr_conns, version 1, 0, 0}`, then entries
//! of 36 bytes (IPv4, type 0) or 72 (IPv6, type 1), each 4-byte aligned, followed by options
//! (type, length, data). Version 0: a 4-byte header `{nr_conns, syncid, be16 size}`, then
//! IPv4 entries of 24 bytes, 48 with the sequence data (in the sender's byte order).

use crate::ipvs_proto::inet::{Addr, Family};

/// C IPVS's connection flags as the messages carry them (`IP_VS_CONN_F_*`).
pub(crate) mod flag {
    /// The forwarding method.
    pub(crate) const FWD_MASK: u32 = 0x0007;
    /// Made by the sync daemon.
    pub(crate) const SYNC: u32 = 0x0020;
    /// In the table (never sent).
    pub(crate) const HASHED: u32 = 0x0040;
    /// No reply seen yet from a real server that answers clients directly.
    pub(crate) const NOOUTPUT: u32 = 0x0080;
    /// Counted as inactive by its real server.
    pub(crate) const INACTIVE: u32 = 0x0100;
    /// Sequence numbers are adjusted (an application helper rewrote the payload).
    pub(crate) const SEQ_MASK: u32 = 0x0600;
    /// The client port is not known yet.
    pub(crate) const NO_CPORT: u32 = 0x0800;
    /// A persistence template.
    pub(crate) const TEMPLATE: u32 = 0x1000;
    /// The bits a backup takes from a version 1 message (`IP_VS_CONN_F_BACKUP_MASK`).
    pub(crate) const BACKUP_MASK: u32 =
        FWD_MASK | NOOUTPUT | INACTIVE | SEQ_MASK | NO_CPORT | TEMPLATE;
}

/// The default multicast group, 224.0.0.81 (`IP_VS_SYNC_GROUP`).
pub(crate) const GROUP: [u8; 4] = [224, 0, 0, 81];
/// The default port, of thread 0; thread `i` uses the next `i`-th (`IP_VS_SYNC_PORT`).
pub(crate) const PORT: u16 = 8848;
/// The header of a version 1 message.
pub(crate) const HDR_V1: usize = 8;
/// The header of a version 0 message.
pub(crate) const HDR_V0: usize = 4;
/// A version 1 IPv4 entry without options.
pub(crate) const CONN_V4: usize = 36;
/// A version 1 IPv6 entry without options.
pub(crate) const CONN_V6: usize = 72;
/// A version 0 entry without, and with, the sequence data.
pub(crate) const CONN_V0: [usize; 2] = [24, 48];
/// The sequence data: incoming and outgoing `{init_seq, delta, previous_delta}`.
pub(crate) const SEQ_LEN: usize = 24;
/// The longest persistence-engine name (`IP_VS_PENAME_MAXLEN`; its data is at most 255 bytes,
/// `IP_VS_PEDATA_MAXLEN`, as its length byte says).
pub(crate) const PE_NAME_MAX: usize = 16;

/// The entry type's IPv6 bit (`STYPE_F_INET6`: an IPv6 entry's type is 1, although C's
/// comments call it "type 2").
const TYPE_F_INET6: u8 = 1;

/// Option types, and the bit of those a backup may ignore (`IPVS_OPT_*`).
const OPT_SEQ: u8 = 1;
const OPT_PE_DATA: u8 = 2;
const OPT_PE_NAME: u8 = 3;
const OPT_F_PARAM: u8 = 1 << 6;

/// The protocol versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    /// The legacy format (IPv4 only, no timeouts, firewall marks or engine data).
    V0,
    /// The current format.
    V1,
}

impl Version {
    /// The version `sync_version` selects (0 or 1; C treats any other value as 1).
    pub(crate) fn of_sysctl(v: i32) -> Self {
        if v == 0 {
            Self::V0
        } else {
            Self::V1
        }
    }

    /// The header's length.
    pub(crate) fn header_len(self) -> usize {
        match self {
            Self::V0 => HDR_V0,
            Self::V1 => HDR_V1,
        }
    }
}

/// A connection's sequence adjustments (C: `struct ip_vs_seq`, in and out).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Seq {
    /// `[init_seq, delta, previous_delta]` of the incoming and of the outgoing direction.
    pub(crate) words: [[u32; 3]; 2],
}

/// One connection of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SyncConn<'a> {
    /// The family of its addresses.
    pub(crate) family: Family,
    /// IP protocol (a firewall-mark template's: 0).
    pub(crate) protocol: u8,
    /// `IP_VS_CONN_F_*` (sent: without `HASHED`; read: as a backup takes them).
    pub(crate) flags: u32,
    /// Protocol state (C's numbers; a template's: 0 none, 1 assured).
    pub(crate) state: u16,
    /// Client, virtual and real server ports, host order.
    pub(crate) cport: u16,
    /// See `cport`.
    pub(crate) vport: u16,
    /// See `cport`.
    pub(crate) dport: u16,
    /// The firewall mark of a firewall-mark service's connection.
    pub(crate) fwmark: u32,
    /// Its timeout in seconds (version 0 carries none: 0).
    pub(crate) timeout: u32,
    /// Client, virtual (a firewall-mark template's: the mark) and real server addresses.
    pub(crate) caddr: Addr,
    /// See `caddr`.
    pub(crate) vaddr: Addr,
    /// See `caddr`.
    pub(crate) daddr: Addr,
    /// Sequence adjustments, when `flags` has `SEQ_MASK` bits.
    pub(crate) seq: Option<Seq>,
    /// The persistence engine's data and name (empty: none).
    pub(crate) pe_data: &'a [u8],
    /// See `pe_data`.
    pub(crate) pe_name: &'a [u8],
}

impl SyncConn<'_> {
    /// The bytes the connection takes in a message of version `v` (without alignment).
    pub(crate) fn len(&self, v: Version) -> usize {
        match v {
            Version::V0 => CONN_V0[usize::from(self.seq.is_some())],
            Version::V1 => {
                let base = match self.family {
                    Family::V4 => CONN_V4,
                    Family::V6 => CONN_V6,
                };
                let seq = if self.seq.is_some() { SEQ_LEN + 2 } else { 0 };
                let pe = if self.pe_data.is_empty() {
                    0
                } else {
                    self.pe_data.len()
                        + 2
                        + if self.pe_name.is_empty() {
                            0
                        } else {
                            self.pe_name.len() + 2
                        }
                };
                base + seq + pe
            }
        }
    }
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// A message being built in a buffer: the buffer's length is its capacity (C allocates
/// `max(first entry + header, sync_maxlen)`).
pub(crate) struct Builder {
    version: Version,
    /// Bytes used, header included.
    used: usize,
}

impl Builder {
    /// Starts a message of `version` from sync ID `syncid` at the start of `buf`.
    pub(crate) fn start(buf: &mut [u8], version: Version, syncid: u8) -> Self {
        let used = version.header_len();
        buf[..used].fill(0);
        match version {
            Version::V0 => buf[1] = syncid,
            Version::V1 => {
                buf[1] = syncid;
                buf[5] = 1;
            }
        }
        let mut b = Self { version, used };
        b.set_size(buf);
        b
    }

    /// The capacity a message needs for a first entry of `len` bytes, `maxlen` at least.
    pub(crate) fn capacity(version: Version, len: usize, maxlen: usize) -> usize {
        (len + version.header_len()).max(maxlen)
    }

    /// The message's version.
    pub(crate) fn version(&self) -> Version {
        self.version
    }

    /// The message: its first [`Builder::len`] bytes of the buffer.
    pub(crate) fn len(&self) -> usize {
        self.used
    }

    /// How many connections it holds.
    pub(crate) fn count(&self, buf: &[u8]) -> u8 {
        match self.version {
            Version::V0 => buf[0],
            Version::V1 => buf[4],
        }
    }

    fn set_size(&mut self, buf: &mut [u8]) {
        put16(buf, 2, self.used as u16);
    }

    /// Alignment padding before the next version 1 entry.
    fn pad(&self) -> usize {
        match self.version {
            Version::V0 => 0,
            Version::V1 => self.used.wrapping_neg() & 3,
        }
    }

    /// Whether `c` fits in what is left of `buf` (and the count, one byte, would not wrap).
    pub(crate) fn fits(&self, buf: &[u8], c: &SyncConn<'_>) -> bool {
        self.used + self.pad() + c.len(self.version) <= buf.len() && self.count(buf) < u8::MAX
    }

    /// Appends `c` (it must [`fit`](Builder::fits); a version 0 message takes IPv4 only).
    pub(crate) fn push(&mut self, buf: &mut [u8], c: &SyncConn<'_>) {
        let pad = self.pad();
        buf[self.used..self.used + pad].fill(0);
        let at = self.used + pad;
        let len = c.len(self.version);
        let e = &mut buf[at..at + len];
        match self.version {
            Version::V0 => {
                e[0] = 0;
                e[1] = c.protocol;
                put16(e, 2, c.cport);
                put16(e, 4, c.vport);
                put16(e, 6, c.dport);
                e[8..12].copy_from_slice(c.caddr.bytes(Family::V4));
                e[12..16].copy_from_slice(c.vaddr.bytes(Family::V4));
                e[16..20].copy_from_slice(c.daddr.bytes(Family::V4));
                put16(e, 20, (c.flags & !flag::HASHED) as u16);
                put16(e, 22, c.state);
                if let Some(s) = &c.seq {
                    // As C copies its structure: in the sender's byte order (x86: little).
                    for (i, w) in s.words.iter().flatten().enumerate() {
                        e[24 + 4 * i..28 + 4 * i].copy_from_slice(&w.to_le_bytes());
                    }
                }
                buf[0] += 1;
            }
            Version::V1 => {
                e[0] = if c.family == Family::V6 {
                    TYPE_F_INET6
                } else {
                    0
                };
                e[1] = c.protocol;
                put16(e, 2, len as u16);
                put32(e, 4, c.flags & !flag::HASHED);
                put16(e, 8, c.state);
                put16(e, 10, c.cport);
                put16(e, 12, c.vport);
                put16(e, 14, c.dport);
                put32(e, 16, c.fwmark);
                put32(e, 20, c.timeout);
                let a = c.family.addr_len();
                let mut p = 24;
                for addr in [&c.caddr, &c.vaddr, &c.daddr] {
                    e[p..p + a].copy_from_slice(addr.bytes(c.family));
                    p += a;
                }
                if let Some(s) = &c.seq {
                    e[p] = OPT_SEQ;
                    e[p + 1] = SEQ_LEN as u8;
                    p += 2;
                    for w in s.words.iter().flatten() {
                        put32(e, p, *w);
                        p += 4;
                    }
                }
                if !c.pe_data.is_empty() {
                    for (t, d) in [(OPT_PE_DATA, c.pe_data), (OPT_PE_NAME, c.pe_name)] {
                        if d.is_empty() {
                            continue;
                        }
                        e[p] = t;
                        e[p + 1] = d.len() as u8;
                        e[p + 2..p + 2 + d.len()].copy_from_slice(d);
                        p += 2 + d.len();
                    }
                }
                buf[4] += 1;
            }
        }
        self.used = at + len;
        self.set_size(buf);
    }
}

/// Why a backup dropped (the rest of) a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dropped {
    /// Shorter than a header, or not as long as its header says.
    BadSize,
    /// From another sync ID than the backup's (not zero).
    OtherSyncId,
    /// An entry runs past the end, has an unknown version or type, or malformed options:
    /// the entries before it were taken, the rest is dropped.
    Malformed,
}

/// Why a backup skipped one connection of a datagram (and went on with the next).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Skipped {
    /// A mandatory option this backup does not know.
    UnknownOption,
    /// A protocol without a handler.
    Protocol,
    /// A state beyond the protocol's.
    State,
    /// Engine data without an engine name, or of an engine this backup does not have.
    Engine,
}

/// What a backup knows of protocols and persistence engines (C: `ip_vs_proto_get`'s
/// `num_states`, `__ip_vs_pe_getbyname`).
pub(crate) trait Known {
    /// The number of states of protocol `p`, if it has a handler.
    fn states(&self, p: u8) -> Option<u16>;
    /// Whether engine `name` exists.
    fn engine(&self, name: &[u8]) -> bool;
}

/// Reads a datagram the way a backup with sync ID `syncid` does: `f` gets each connection
/// to take, or why one was skipped. `Err` when (the rest of) it was dropped.
pub(crate) fn read<'a>(
    msg: &'a [u8],
    syncid: u32,
    known: &impl Known,
    mut f: impl FnMut(Result<SyncConn<'a>, Skipped>),
) -> Result<(), Dropped> {
    if msg.len() < HDR_V0 || usize::from(be16(msg, 2)) != msg.len() {
        return Err(Dropped::BadSize);
    }
    if syncid != 0 && u32::from(msg[1]) != syncid {
        return Err(Dropped::OtherSyncId);
    }
    if msg.len() >= HDR_V1 && msg[0] == 0 && msg[5] == 1 && msg[6] == 0 && msg[7] == 0 {
        read_v1(msg, known, f)
    } else {
        read_v0(msg, known, &mut f)
    }
}

fn read_v1<'a>(
    msg: &'a [u8],
    known: &impl Known,
    mut f: impl FnMut(Result<SyncConn<'a>, Skipped>),
) -> Result<(), Dropped> {
    let mut at = HDR_V1;
    for _ in 0..msg[4] {
        if at + CONN_V4 > msg.len() {
            return Err(Dropped::Malformed);
        }
        let vs = be16(msg, at + 2);
        let size = usize::from(vs & 0x0fff);
        if at + size > msg.len() || vs >> 12 != 0 {
            return Err(Dropped::Malformed);
        }
        f(entry_v1(&msg[at..at + size], known)?);
        at += (size + 3) & !3;
    }
    Ok(())
}

/// One version 1 entry `e` (its own bytes): `Err` drops the rest of the datagram.
fn entry_v1<'a>(e: &'a [u8], known: &impl Known) -> Result<Result<SyncConn<'a>, Skipped>, Dropped> {
    let (family, mut p) = match e.first() {
        Some(t) if t & TYPE_F_INET6 != 0 => (Family::V6, CONN_V6),
        Some(0) => (Family::V4, CONN_V4),
        _ => return Err(Dropped::Malformed),
    };
    if p > e.len() {
        return Err(Dropped::Malformed);
    }
    let (mut seq, mut pe_data, mut pe_name) = (None, None, None);
    let mut unknown = false;
    while p < e.len() {
        if p + 2 > e.len() {
            return Err(Dropped::Malformed);
        }
        let (t, l) = (e[p], usize::from(e[p + 1]));
        p += 2;
        if l == 0 || p + l > e.len() {
            return Err(Dropped::Malformed);
        }
        let d = &e[p..p + l];
        match t & !OPT_F_PARAM {
            OPT_SEQ => {
                if l != SEQ_LEN || seq.is_some() {
                    return Err(Dropped::Malformed);
                }
                let mut s = Seq::default();
                for (i, w) in s.words.iter_mut().flatten().enumerate() {
                    *w = be32(d, 4 * i);
                }
                seq = Some(s);
            }
            OPT_PE_DATA if pe_data.replace(d).is_some() => return Err(Dropped::Malformed),
            OPT_PE_NAME if l > PE_NAME_MAX || pe_name.replace(d).is_some() => {
                return Err(Dropped::Malformed)
            }
            OPT_PE_DATA | OPT_PE_NAME => {}
            // C stops reading this entry's options at the first unknown mandatory one.
            _ if t & OPT_F_PARAM == 0 => {
                unknown = true;
                break;
            }
            _ => {}
        }
        p += l;
    }
    if unknown {
        return Ok(Err(Skipped::UnknownOption));
    }
    let flags = (be32(e, 4) & flag::BACKUP_MASK) | flag::SYNC;
    let state = be16(e, 8);
    if let Some(why) = check(known, e[1], flags, state) {
        return Ok(Err(why));
    }
    let (pe_data, pe_name) = (pe_data.unwrap_or(&[]), pe_name.unwrap_or(&[]));
    if !pe_data.is_empty() && (pe_name.is_empty() || !known.engine(pe_name)) {
        return Ok(Err(Skipped::Engine));
    }
    let a = family.addr_len();
    let addr = |i: usize| addr_at(family, &e[24 + i * a..24 + (i + 1) * a]);
    Ok(Ok(SyncConn {
        family,
        protocol: e[1],
        flags,
        state,
        cport: be16(e, 10),
        vport: be16(e, 12),
        dport: be16(e, 14),
        fwmark: be32(e, 16),
        timeout: be32(e, 20),
        caddr: addr(0),
        vaddr: addr(1),
        daddr: addr(2),
        seq,
        // C keeps the engine's data only with its name.
        pe_data: if pe_name.is_empty() { &[] } else { pe_data },
        pe_name: if pe_data.is_empty() { &[] } else { pe_name },
    }))
}

fn read_v0<'a>(
    msg: &'a [u8],
    known: &impl Known,
    f: &mut impl FnMut(Result<SyncConn<'a>, Skipped>),
) -> Result<(), Dropped> {
    let mut at = HDR_V0;
    for _ in 0..msg[0] {
        if at + CONN_V0[0] > msg.len() {
            return Err(Dropped::Malformed);
        }
        let e = &msg[at..];
        let flags = (u32::from(be16(e, 20)) | flag::SYNC) & !flag::HASHED;
        let with_seq = flags & flag::SEQ_MASK != 0;
        at += CONN_V0[usize::from(with_seq)];
        if at > msg.len() {
            return Err(Dropped::Malformed);
        }
        let seq = with_seq.then(|| {
            let mut s = Seq::default();
            for (i, w) in s.words.iter_mut().flatten().enumerate() {
                *w = u32::from_le_bytes([
                    e[24 + 4 * i],
                    e[25 + 4 * i],
                    e[26 + 4 * i],
                    e[27 + 4 * i],
                ]);
            }
            s
        });
        let state = be16(e, 22);
        if let Some(why) = check(known, e[1], flags, state) {
            f(Err(why));
            continue;
        }
        f(Ok(SyncConn {
            family: Family::V4,
            protocol: e[1],
            flags,
            state,
            cport: be16(e, 2),
            vport: be16(e, 4),
            dport: be16(e, 6),
            fwmark: 0,
            timeout: 0,
            caddr: addr_at(Family::V4, &e[8..12]),
            vaddr: addr_at(Family::V4, &e[12..16]),
            daddr: addr_at(Family::V4, &e[16..20]),
            seq,
            pe_data: &[],
            pe_name: &[],
        }));
    }
    Ok(())
}

/// A connection's protocol and state must be known; a template's state is not checked.
fn check(known: &impl Known, protocol: u8, flags: u32, state: u16) -> Option<Skipped> {
    if flags & flag::TEMPLATE != 0 {
        return None;
    }
    match known.states(protocol) {
        None => Some(Skipped::Protocol),
        Some(n) if state >= n => Some(Skipped::State),
        Some(_) => None,
    }
}

fn addr_at(family: Family, b: &[u8]) -> Addr {
    let mut a = [0u8; 16];
    a[..b.len()].copy_from_slice(b);
    Addr::new(family, &a)
}
