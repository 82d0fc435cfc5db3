// SPDX-License-Identifier: GPL-2.0

//! The text of `/proc/net/ip_vs` (services and destinations) and `/proc/net/ip_vs_stats`, as C
//! IPVS prints them.
//!
//! Pure code.

use super::msg::{Stats, SvcKey};
use super::uapi::{
    AF_INET6, CONN_F_DROUTE, CONN_F_FWD_MASK, CONN_F_LOCALNODE, CONN_F_TUNNEL, SVC_F_ONEPACKET,
    SVC_F_PERSISTENT,
};
use core::fmt::{self, Write};

/// The three header lines of `/proc/net/ip_vs`.
pub(crate) fn write_header(w: &mut impl Write, version: u32, conn_tab_size: u32) -> fmt::Result {
    writeln!(
        w,
        "IP Virtual Server version {}.{}.{} (size={})",
        (version >> 16) & 0xff,
        (version >> 8) & 0xff,
        version & 0xff,
        conn_tab_size
    )?;
    w.write_str("Prot LocalAddress:Port Scheduler Flags\n")?;
    w.write_str("  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n")
}

/// An IPv6 address the way the kernel's `%pI6` prints it: eight 4-digit lower-case groups.
struct Ipv6Full<'a>(&'a [u8; 16]);

impl fmt::Display for Ipv6Full<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, pair) in self.0.chunks(2).enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{:02x}{:02x}", pair[0], pair[1])?;
        }
        Ok(())
    }
}

fn v4(a: &[u8; 16]) -> u32 {
    u32::from_be_bytes([a[0], a[1], a[2], a[3]])
}

/// The protocol name C IPVS prints.
pub(crate) fn proto_name(p: u16) -> &'static str {
    match p {
        6 => "TCP",
        17 => "UDP",
        132 => "SCTP",
        50 => "ESP",
        51 => "AH",
        _ => "ERR!",
    }
}

/// One service line. `timeout_jiffies` is printed raw, as C does.
pub(crate) fn write_service(
    w: &mut impl Write,
    key: &SvcKey,
    sched: &str,
    flags: u32,
    timeout_jiffies: u64,
    netmask: u32,
) -> fmt::Result {
    let ops = if flags & SVC_F_ONEPACKET != 0 {
        "ops "
    } else {
        ""
    };
    if key.fwmark != 0 {
        write!(w, "FWM  {:08X} {} {}", key.fwmark, sched, ops)?;
    } else if key.af == AF_INET6 {
        write!(
            w,
            "{}  [{}]:{:04X} {} ",
            proto_name(key.protocol),
            Ipv6Full(&key.addr),
            key.port,
            sched
        )?;
    } else {
        write!(
            w,
            "{}  {:08X}:{:04X} {} {} ",
            proto_name(key.protocol),
            v4(&key.addr),
            key.port,
            sched,
            ops
        )?;
    }
    if flags & SVC_F_PERSISTENT != 0 {
        // The netmask is stored as sent (network order for IPv4), printed through ntohl.
        writeln!(
            w,
            "persistent {} {:08X}",
            timeout_jiffies as i32,
            u32::from_be(netmask)
        )
    } else {
        w.write_str("\n")
    }
}

/// The forwarding method's name.
pub(crate) fn fwd_name(fwd: u32) -> &'static str {
    match fwd & CONN_F_FWD_MASK {
        CONN_F_LOCALNODE => "Local",
        CONN_F_TUNNEL => "Tunnel",
        CONN_F_DROUTE => "Route",
        _ => "Masq",
    }
}

/// One destination line; `conns` are its active and inactive connection counts.
pub(crate) fn write_dest(
    w: &mut impl Write,
    af: u16,
    addr: &[u8; 16],
    port: u16,
    fwd: u32,
    weight: i32,
    (active, inactive): (u32, u32),
) -> fmt::Result {
    if af == AF_INET6 {
        write!(w, "  -> [{}]:{:04X}", Ipv6Full(addr), port)?;
    } else {
        write!(w, "  -> {:08X}:{:04X}", v4(addr), port)?;
    }
    writeln!(
        w,
        "      {:<7} {:<6} {:<10} {:<10}",
        fwd_name(fwd),
        weight,
        active as i32,
        inactive as i32
    )
}

/// `/proc/net/ip_vs_stats`.
pub(crate) fn write_stats(w: &mut impl Write, s: &Stats) -> fmt::Result {
    w.write_str("   Total Incoming Outgoing         Incoming         Outgoing\n")?;
    w.write_str("   Conns  Packets  Packets            Bytes            Bytes\n")?;
    writeln!(
        w,
        "{:8X} {:8X} {:8X} {:16X} {:16X}\n",
        s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes
    )?;
    w.write_str(" Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n")?;
    writeln!(
        w,
        "{:8X} {:8X} {:8X} {:16X} {:16X}",
        s.cps, s.inpps, s.outpps, s.inbps, s.outbps
    )
}

/// `/proc/net/ip_vs_stats_percpu`'s header.
pub(crate) fn write_stats_percpu_head(w: &mut impl Write) -> fmt::Result {
    w.write_str("       Total Incoming Outgoing         Incoming         Outgoing\n")?;
    w.write_str("CPU    Conns  Packets  Packets            Bytes            Bytes\n")
}

/// One CPU's row: its own conns, inpkts, outpkts, inbytes, outbytes.
pub(crate) fn write_stats_percpu_row(w: &mut impl Write, cpu: u32, c: &[u64; 5]) -> fmt::Result {
    writeln!(
        w,
        "{:3X} {:8X} {:8X} {:8X} {:16X} {:16X}",
        cpu, c[0], c[1], c[2], c[3], c[4]
    )
}

/// The totals (since the last zeroing) and the rates, after the rows.
pub(crate) fn write_stats_percpu_tail(w: &mut impl Write, s: &Stats) -> fmt::Result {
    writeln!(
        w,
        "  ~ {:8X} {:8X} {:8X} {:16X} {:16X}\n",
        s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes
    )?;
    w.write_str("     Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n")?;
    writeln!(
        w,
        "    {:8X} {:8X} {:8X} {:16X} {:16X}",
        s.cps, s.inpps, s.outpps, s.inbps, s.outbps
    )
}

/// `/proc/net/ip_vs_app`'s header (a line per application helper's port follows).
pub(crate) const APP_HEADER: &str = "prot port    usecnt name\n";

/// A line of `/proc/net/ip_vs_app`: an application helper `name` on `port` of protocol
/// `proto`, with `usecnt` connections bound to it.
pub(crate) fn write_app(
    w: &mut impl Write,
    proto: &str,
    port: u16,
    usecnt: usize,
    name: &str,
) -> core::fmt::Result {
    writeln!(w, "{proto:<3}  {port:<7} {usecnt:<6} {name:<17}")
}

/// The longest chain `/proc/net/ip_vs_status` tells apart (longer ones count as this long).
pub(crate) const STATUS_CHAIN_CAP: usize = 7;

/// A hash table as `/proc/net/ip_vs_status` describes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TableStatus {
    /// Entries (connections and templates; services).
    pub(crate) entries: u32,
    /// Buckets (0: no table yet).
    pub(crate) buckets: u32,
    /// Its load factor (shown as 0 while there is no table).
    pub(crate) lfactor: i32,
    /// How many buckets have chains of length 0, 1, .. [`STATUS_CHAIN_CAP`] (or longer): the
    /// table walked, which is done only when it has entries.
    pub(crate) lengths: Option<[u32; STATUS_CHAIN_CAP + 1]>,
}

/// Writes a table's lines of `/proc/net/ip_vs_status` (`what`: `Conn` or `Service`): its
/// entries, buckets, and when walked, the share of empty buckets among all and of each chain
/// length among the others (rounded down, in percent; lengths no bucket has are left out).
fn write_table_status(
    w: &mut impl Write,
    what: &str,
    entries_label: &str,
    t: &TableStatus,
) -> fmt::Result {
    writeln!(w, "{entries_label}:\t{}", t.entries)?;
    let (bits, lfactor) = match t.buckets {
        0 => (0, 0),
        n => (n.trailing_zeros(), t.lfactor),
    };
    writeln!(
        w,
        "{what} buckets:\t{} ({bits} bits, lfactor {lfactor})",
        t.buckets
    )?;
    let Some(c) = t.lengths else {
        return Ok(());
    };
    let sum: u64 = c.iter().map(|&n| u64::from(n)).sum();
    let used = sum - u64::from(c[0]);
    writeln!(
        w,
        "{what} buckets empty:\t{} ({}%)",
        c[0],
        u64::from(c[0]) * 100 / sum.max(1)
    )?;
    for (len, &n) in c.iter().enumerate().skip(1).filter(|(_, &n)| n != 0) {
        writeln!(
            w,
            "{what} buckets len-{len}:\t{n} ({}%)",
            u64::from(n) * 100 / used.max(1)
        )?;
    }
    Ok(())
}

/// Writes `/proc/net/ip_vs_status` (C 7.3's diagnostics of its tables): the connection table,
/// the service table, then the rate estimator's thread slots (`est_threads` of at most
/// `est_max_threads`, whether their threads run or not), `chain_max` estimators a chain, `ests`
/// a thread.
pub(crate) fn write_status(
    w: &mut impl Write,
    conns: &TableStatus,
    svcs: &TableStatus,
    (est_threads, est_max_threads, chain_max, ests): (u32, u32, u32, u32),
) -> fmt::Result {
    write_table_status(w, "Conn", "Conns", conns)?;
    write_table_status(w, "Service", "Services", svcs)?;
    writeln!(
        w,
        "Stats thread slots:\t{est_threads} (max {est_max_threads})"
    )?;
    writeln!(w, "Stats chain max len:\t{chain_max}")?;
    writeln!(w, "Stats thread ests:\t{ests}")
}

/// A `core::fmt::Write` over a byte slice that fails when full: text built in place, without
/// an allocation.
pub(crate) struct SliceWriter<'a> {
    /// Where the text goes.
    pub(crate) buf: &'a mut [u8],
    /// How many bytes of `buf` it fills so far.
    pub(crate) len: usize,
}

impl core::fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(core::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
