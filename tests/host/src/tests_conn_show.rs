// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/ip_vs_conn` lines, byte for byte as C IPVS prints them (and ipvsadm -Lc parses).

use crate::ipvs_conn::show::{write_conn, ConnLine, HEADER};

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
            client: ([10, 0, 0, 2], 0xc350),
            virt: ([207, 175, 44, 110], 8080),
            dest: ([172, 16, 0, 2], 8080),
            state: "ESTABLISHED",
            expires: 899,
            pe: None,
        },
    )
    .unwrap();
    assert_eq!(s, "TCP 0A000002 C350 CFAF2C6E 1F90 AC100002 1F90 ESTABLISHED     899\n");
}

#[test]
fn short_fields_are_padded_and_long_expiry_kept() {
    let mut s = String::new();
    write_conn(
        &mut s,
        &ConnLine {
            proto: "UDP",
            client: ([1, 2, 3, 4], 5),
            virt: ([255, 255, 255, 255], 65535),
            dest: ([0, 0, 0, 0], 0),
            state: "UDP",
            expires: 12345678,
            pe: None,
        },
    )
    .unwrap();
    assert_eq!(s, "UDP 01020304 0005 FFFFFFFF FFFF 00000000 0000 UDP         12345678\n");
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
                client: ([10, 0, 0, 2], 0),
                virt: ([0, 0, 0, 5], 0),
                dest: ([10, 0, 1, 11], 0xffff),
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
