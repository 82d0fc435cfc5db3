// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/ip_vs` and `/proc/net/ip_vs_stats` text, byte for byte as C IPVS prints it
//! (expected lines taken from C ip_vs in the test VM).

use crate::ipvs_ctl::msg::{Stats, SvcKey};
use crate::ipvs_ctl::procfmt::{
    write_app, write_dest, write_header, write_service, write_stats, APP_HEADER,
};

fn key(af: u16, protocol: u16, addr: &[u8], port: u16, fwmark: u32) -> SvcKey {
    let mut a = [0u8; 16];
    a[..addr.len()].copy_from_slice(addr);
    SvcKey {
        af,
        protocol,
        addr: a,
        port,
        fwmark,
    }
}

fn text(f: impl FnOnce(&mut String) -> core::fmt::Result) -> String {
    let mut s = String::new();
    f(&mut s).unwrap();
    s
}

#[test]
fn header() {
    assert_eq!(
        text(|w| write_header(w, 0x010201, 256)),
        "IP Virtual Server version 1.2.1 (size=256)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n"
    );
}

#[test]
fn service_lines() {
    let tcp = key(2, 6, &[10, 0, 0, 100], 80, 0);
    assert_eq!(
        text(|w| write_service(w, &tcp, "rr", 0x2, 0, 0)),
        "TCP  0A000064:0050 rr  \n"
    );
    let udp = key(2, 17, &[10, 9, 0, 1], 53, 0);
    assert_eq!(
        text(|w| write_service(w, &udp, "wlc", 0x4, 0, 0)),
        "UDP  0A090001:0035 wlc ops  \n"
    );
    // Persistent: timeout in jiffies (HZ 250 here: 600 s), netmask sent as 255.255.255.0.
    let mask = u32::from_ne_bytes([255, 255, 255, 0]);
    assert_eq!(
        text(|w| write_service(
            w,
            &key(2, 6, &[10, 9, 0, 2], 443, 0),
            "sh",
            0x1,
            150000,
            mask
        )),
        "TCP  0A090002:01BB sh  persistent 150000 FFFFFF00\n"
    );
    assert_eq!(
        text(|w| write_service(w, &key(2, 6, &[], 0, 77), "lc", 0, 0, 0)),
        "FWM  0000004D lc \n"
    );
    let v6 = key(
        10,
        6,
        &[
            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ],
        80,
        0,
    );
    assert_eq!(
        text(|w| write_service(w, &v6, "wrr", 0x1, 90000, 128)),
        "TCP  [2001:0db8:0000:0000:0000:0000:0000:0010]:0050 wrr persistent 90000 80000000\n"
    );
}

#[test]
fn dest_lines() {
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&[10, 0, 1, 12]);
    assert_eq!(
        text(|w| write_dest(w, 2, &a, 80, 0, 7, (3, 12))),
        "  -> 0A00010C:0050      Masq    7      3          12        \n"
    );
    assert_eq!(
        text(|w| write_dest(w, 2, &a, 80, 3, 0, (0, 0))),
        "  -> 0A00010C:0050      Route   0      0          0         \n"
    );
    assert_eq!(
        text(|w| write_dest(w, 2, &a, 80, 2, 1, (0, 0))),
        "  -> 0A00010C:0050      Tunnel  1      0          0         \n"
    );
    assert_eq!(
        text(|w| write_dest(w, 2, &a, 80, 1, 1, (0, 0))),
        "  -> 0A00010C:0050      Local   1      0          0         \n"
    );
}

#[test]
fn stats() {
    let s = Stats {
        conns: 4,
        inpkts: 14,
        outpkts: 10,
        inbytes: 430,
        outbytes: 370,
        ..Stats::default()
    };
    assert_eq!(
        text(|w| write_stats(w, &s)),
        "   Total Incoming Outgoing         Incoming         Outgoing\n   Conns  Packets  Packets            Bytes            Bytes\n       4        E        A              1AE              172\n\n Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n       0        0        0                0                0\n"
    );
}

#[test]
fn stats_percpu() {
    use crate::ipvs_ctl::procfmt::{
        write_stats_percpu_head, write_stats_percpu_row, write_stats_percpu_tail,
    };
    let s = Stats {
        conns: 3,
        inpkts: 10,
        outpkts: 9,
        inbytes: 430,
        outbytes: 0x1_0000_0000,
        cps: 1,
        ..Stats::default()
    };
    let out = text(|w| {
        write_stats_percpu_head(w)?;
        write_stats_percpu_row(w, 0, &[1, 4, 3, 200, 100])?;
        write_stats_percpu_row(w, 17, &[2, 6, 6, 230, 0xFFFF_FFFF])?;
        write_stats_percpu_tail(w, &s)
    });
    // C's ip_vs_stats_percpu_show: "%3X %8LX %8LX %8LX %16LX %16LX" per CPU, "  ~ " totals.
    let expected = [
        "       Total Incoming Outgoing         Incoming         Outgoing",
        "CPU    Conns  Packets  Packets            Bytes            Bytes",
        "  0        1        4        3               C8               64",
        " 11        2        6        6               E6         FFFFFFFF",
        "  ~        3        A        9              1AE        100000000",
        "",
        "     Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s",
        "           1        0        0                0                0",
        "",
    ];
    assert_eq!(out, expected.join("\n"));
}

#[test]
fn status_empty() {
    use crate::ipvs_ctl::procfmt::{write_status, TableStatus};
    // No table yet: no load factor either, whatever the sysctl says (as C).
    let none = TableStatus {
        lfactor: -4,
        ..TableStatus::default()
    };
    let t = text(|w| write_status(w, &none, &none, (0, 0, 0, 0)));
    assert_eq!(
        t,
        "Conns:\t0\nConn buckets:\t0 (0 bits, lfactor 0)\n\
         Services:\t0\nService buckets:\t0 (0 bits, lfactor 0)\n\
         Stats thread slots:\t0 (max 0)\nStats chain max len:\t0\nStats thread ests:\t0\n"
    );
}

#[test]
fn status_walked() {
    use crate::ipvs_ctl::procfmt::{write_status, TableStatus};
    // 256 buckets: 250 empty, 3 of one entry, 2 of two, 1 of seven or more.
    let conns = TableStatus {
        entries: 14,
        buckets: 256,
        lfactor: -4,
        lengths: Some([250, 3, 2, 0, 0, 0, 0, 1]),
    };
    let svcs = TableStatus {
        entries: 1,
        buckets: 32,
        lfactor: -3,
        lengths: Some([31, 1, 0, 0, 0, 0, 0, 0]),
    };
    let t = text(|w| write_status(w, &conns, &svcs, (1, 4, 8, 256)));
    assert_eq!(
        t,
        "Conns:\t14\nConn buckets:\t256 (8 bits, lfactor -4)\n\
         Conn buckets empty:\t250 (97%)\nConn buckets len-1:\t3 (50%)\n\
         Conn buckets len-2:\t2 (33%)\nConn buckets len-7:\t1 (16%)\n\
         Services:\t1\nService buckets:\t32 (5 bits, lfactor -3)\n\
         Service buckets empty:\t31 (96%)\nService buckets len-1:\t1 (100%)\n\
         Stats thread slots:\t1 (max 4)\nStats chain max len:\t8\nStats thread ests:\t256\n"
    );
}

#[test]
fn app_lines() {
    // C: "%-3s  %-7u %-6d %-17s\n" after its header.
    let mut s = String::from(APP_HEADER);
    write_app(&mut s, "TCP", 21, 3, "ftp").unwrap();
    write_app(&mut s, "TCP", 65535, 1234567, "ftp").unwrap();
    assert_eq!(
        s,
        "prot port    usecnt name\n\
         TCP  21      3      ftp              \n\
         TCP  65535   1234567 ftp              \n"
    );
}
