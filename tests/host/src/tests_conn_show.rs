// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/ip_vs_conn` lines, byte for byte as C IPVS prints them (and ipvsadm -Lc parses).

use crate::ipvs_conn::show::{write_conn, ConnLine, HEADER};
use crate::ipvs_proto::inet::{Addr, Family};

#[test]
fn header_is_c_ipvs_header() {
    assert_eq!(
        HEADER,
        "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"
    );
}

#[test]
fn ipv4_line_matches_c_format() {
    let mut s = String::new();
    write_conn(
        &mut s,
        &ConnLine {
            proto: "TCP",
            family: Family::V4,
            client: (Addr::v4([10, 0, 0, 2]), 0xc350),
            virt: (Addr::v4([207, 175, 44, 110]), 8080),
            dest: (Family::V4, Addr::v4([172, 16, 0, 2]), 8080),
            state: "ESTABLISHED",
            expires: 899,
            pe: None,
        },
    )
    .unwrap();
    assert_eq!(
        s,
        "TCP 0A000002 C350 CFAF2C6E 1F90 AC100002 1F90 ESTABLISHED     899\n"
    );
}

#[test]
fn short_fields_are_padded_and_long_expiry_kept() {
    let mut s = String::new();
    write_conn(
        &mut s,
        &ConnLine {
            proto: "UDP",
            family: Family::V4,
            client: (Addr::v4([1, 2, 3, 4]), 5),
            virt: (Addr::v4([255, 255, 255, 255]), 65535),
            dest: (Family::V4, Addr::v4([0, 0, 0, 0]), 0),
            state: "UDP",
            expires: 12345678,
            pe: None,
        },
    )
    .unwrap();
    assert_eq!(
        s,
        "UDP 01020304 0005 FFFFFFFF FFFF 00000000 0000 UDP         12345678\n"
    );
}

#[test]
fn template_lines_like_c() {
    let mut s = String::new();
    let calls = [
        ("IP", "NONE", None),
        ("UDP", "ASSURED", Some(("sip", b"a84b@pc33".as_slice()))),
    ];
    for (proto, state, pe) in calls {
        write_conn(
            &mut s,
            &ConnLine {
                proto,
                family: Family::V4,
                client: (Addr::v4([10, 0, 0, 2]), 0),
                virt: (Addr::v4([0, 0, 0, 5]), 0),
                dest: (Family::V4, Addr::v4([10, 0, 1, 11]), 0xffff),
                state,
                expires: 59,
                pe,
            },
        )
        .unwrap();
    }
    assert_eq!(
        s,
        "IP  0A000002 0000 00000005 0000 0A00010B FFFF NONE             59\n\
         UDP 0A000002 0000 00000005 0000 0A00010B FFFF ASSURED          59 sip a84b@pc33\n"
    );
}

fn v6(groups: [u16; 8]) -> Addr {
    let mut b = [0u8; 16];
    for (i, g) in groups.iter().enumerate() {
        b[2 * i..2 * i + 2].copy_from_slice(&g.to_be_bytes());
    }
    Addr::from_raw(&b)
}

#[test]
fn ipv6_line_prints_addresses_as_c_pi6() {
    let mut s = String::new();
    write_conn(
        &mut s,
        &ConnLine {
            proto: "TCP",
            family: Family::V6,
            client: (v6([0xfd00, 0, 0, 0, 0, 0, 0, 2]), 0xc350),
            virt: (v6([0xfd00, 0, 0, 0, 0, 0, 0, 0x100]), 80),
            dest: (Family::V6, v6([0xfd00, 1, 0, 0, 0xabcd, 0, 0, 0x11]), 80),
            state: "SYN_RECV",
            expires: 57,
            pe: None,
        },
    )
    .unwrap();
    assert_eq!(
        s,
        "TCP fd00:0000:0000:0000:0000:0000:0000:0002 C350 fd00:0000:0000:0000:0000:0000:0000:0100 0050 \
         fd00:0001:0000:0000:abcd:0000:0000:0011 0050 SYN_RECV         57\n"
    );
}

#[test]
fn ipv4_service_with_an_ipv6_tunnel_real_server() {
    let mut s = String::new();
    write_conn(
        &mut s,
        &ConnLine {
            proto: "UDP",
            family: Family::V4,
            client: (Addr::v4([10, 0, 0, 2]), 5000),
            virt: (Addr::v4([10, 0, 0, 100]), 53),
            dest: (Family::V6, v6([0xfd00, 0, 0, 0, 0, 0, 0, 0x11]), 53),
            state: "UDP",
            expires: 299,
            pe: None,
        },
    )
    .unwrap();
    assert_eq!(
        s,
        "UDP 0A000002 1388 0A000064 0035 fd00:0000:0000:0000:0000:0000:0000:0011 0035 UDP             299\n"
    );
}

#[test]
fn sync_file_lines_show_the_origin() {
    use crate::ipvs_conn::show::{write_conn_sync, HEADER_SYNC};
    assert_eq!(
        HEADER_SYNC,
        "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Origin Expires\n"
    );
    let line = ConnLine {
        proto: "TCP",
        family: Family::V4,
        client: (Addr::v4([10, 0, 0, 2]), 0xc350),
        virt: (Addr::v4([207, 175, 44, 110]), 8080),
        dest: (Family::V4, Addr::v4([172, 16, 0, 2]), 8080),
        state: "TIME_WAIT",
        expires: 119,
        pe: Some(("sip", b"call-1")),
    };
    let (mut local, mut synced) = (String::new(), String::new());
    write_conn_sync(&mut local, &line, false).unwrap();
    write_conn_sync(&mut synced, &line, true).unwrap();
    // C's "%-3s %08X %04X %08X %04X %s %04X %-11s %-6s %7u": no engine columns.
    assert_eq!(
        local,
        "TCP 0A000002 C350 CFAF2C6E 1F90 AC100002 1F90 TIME_WAIT   LOCAL      119\n"
    );
    assert_eq!(
        synced,
        "TCP 0A000002 C350 CFAF2C6E 1F90 AC100002 1F90 TIME_WAIT   SYNC       119\n"
    );
}
