// SPDX-License-Identifier: GPL-2.0

//! `ipvs_app/ftp.rs`: PORT/EPRT/PASV/EPSV as C's `ip_vs_ftp_in` and `ip_vs_ftp_get_addrport`
//! read them.

use crate::ipvs_app::ftp::{
    addr_port, client_command, passive_answer, server_answer, Command, Found, Passive,
};
use crate::ipvs_proto::inet::{Addr, Family};

const V4: Family = Family::V4;
const V6: Family = Family::V6;

fn active(a: [u8; 4], port: u16) -> Option<Command> {
    Some(Command::Active {
        addr: Addr::v4(a),
        port,
    })
}

#[test]
fn port_commands() {
    assert_eq!(
        client_command(b"PORT 10,0,0,2,19,137\r\n", V4),
        active([10, 0, 0, 2], 5001)
    );
    assert_eq!(
        client_command(b"port 10,0,0,2,0,21\r\n", V4),
        active([10, 0, 0, 2], 21)
    );
    // Spaces, then anything up to a digit; the numbers end at any other character.
    assert_eq!(
        client_command(b"PORT  1,2,3,4,5,6x", V4),
        active([1, 2, 3, 4], 0x506)
    );
    // A seventh number's comma ends the sixth, as in C.
    assert_eq!(
        client_command(b"PORT 10,0,0,2,1,1,1\r\n", V4),
        active([10, 0, 0, 2], 257)
    );
    // A number above 255, too few or too many numbers, no terminator, not at the start.
    for bad in [
        &b"PORT 10,0,0,256,1,1\r\n"[..],
        b"PORT 10,0,0,2,1\r\n",
        b"PORT 10,0,0,2,1,1",
        b"NOOP\r\nPORT 10,0,0,2,1,1\r\n",
        b"PORT",
        b"",
    ] {
        assert_eq!(
            client_command(bad, V4),
            None,
            "{:?}",
            core::str::from_utf8(bad)
        );
    }
    // PORT is IPv4's.
    assert_eq!(client_command(b"PORT 10,0,0,2,19,137\r\n", V6), None);
}

#[test]
fn eprt_commands() {
    assert_eq!(
        client_command(b"EPRT |1|10.0.0.2|5001|\r\n", V4),
        active([10, 0, 0, 2], 5001)
    );
    assert_eq!(
        client_command(b"eprt !1!10.0.0.3!80!\r\n", V4),
        active([10, 0, 0, 3], 80)
    );
    let mut v6 = [0u8; 16];
    v6[..2].copy_from_slice(&[0xfd, 0]);
    v6[15] = 2;
    assert_eq!(
        client_command(b"EPRT |2|fd00::2|6000|\r\n", V6),
        Some(Command::Active {
            addr: Addr::from_raw(&v6),
            port: 6000
        })
    );
    for (bad, f) in [
        (&b"EPRT |2|10.0.0.2|5001|\r\n"[..], V4),
        (b"EPRT |1|10.0.0.2|5001|\r\n", V6),
        (b"EPRT |1|10.0.0.2|0|\r\n", V4),
        (b"EPRT |1|10.0.0.2|65536|\r\n", V4),
        (b"EPRT |1|10.0.0|5001|\r\n", V4),
        (b"EPRT |1|10.0.0.2.1|5001|\r\n", V4),
        (b"EPRT |1|10.0.0.2|5001", V4),
        (b"EPRT |||5001|\r\n", V4),
        (b"EPRT \x7f1\x7f10.0.0.2\x7f5001\x7f\r\n", V4),
        (b"EPRT |2|fd00:::2|6000|\r\n", V6),
        (b"EPRT |2|1:2:3:4:5:6:7:8:9|6000|\r\n", V6),
    ] {
        assert_eq!(
            client_command(bad, f),
            None,
            "{:?}",
            core::str::from_utf8(bad)
        );
    }
}

#[test]
fn passive_commands() {
    let pasv = Some(Command::Passive(Passive::Pasv));
    let epsv = Some(Command::Passive(Passive::Epsv));
    assert_eq!(client_command(b"PASV\r\n", V4), pasv);
    assert_eq!(client_command(b"TYPE I\r\npasv\r\n", V4), pasv);
    assert_eq!(client_command(b"PASV\r\n", V6), None);
    assert_eq!(client_command(b"EPSV\r\n", V6), epsv);
    assert_eq!(client_command(b"EPSV 1\r\n", V4), epsv);
    assert_eq!(client_command(b"EPSV 2\r\n", V6), epsv);
    // Another family's, EPSV ALL, a cut one: nothing, and the search stops there.
    assert_eq!(client_command(b"EPSV 2\r\n", V4), None);
    assert_eq!(client_command(b"EPSV ALL\r\nPASV\r\n", V4), None);
    assert_eq!(client_command(b"EPSV 1", V4), None);
    assert_eq!(client_command(b"EPSVX\r\n", V4), None);
}

#[test]
fn reply_forms() {
    // The forms of the server's answers (passive mode).
    assert_eq!(
        addr_port(
            b"227 Entering Passive Mode (10,0,1,11,195,80).\r\n",
            b"227 ",
            b'(',
            false,
            false,
            V4
        ),
        Some(Found {
            addr: Some(Addr::v4([10, 0, 1, 11])),
            port: 50000,
            span: (27, 43)
        })
    );
    assert_eq!(
        addr_port(
            b"229 Entering Extended Passive Mode (|||6446|)\r\n",
            b"229 ",
            b'(',
            true,
            true,
            V4
        ),
        Some(Found {
            addr: None,
            port: 6446,
            span: (36, 44)
        })
    );
    assert_eq!(
        addr_port(b"229 (|||6446|)", b"229 ", b'(', true, false, V4),
        None
    );
    assert_eq!(
        addr_port(b"229 (|||6446)", b"229 ", b'(', true, true, V4),
        None
    );
}

#[test]
fn pasv_answers() {
    // pyftpdlib's and vsftpd's forms; the span is what the helper replaces.
    let a = b"227 Entering passive mode (10,0,1,11,156,64).\r\n";
    let f = server_answer(a, Passive::Pasv, V4).unwrap();
    assert_eq!(f.addr, Some(Addr::v4([10, 0, 1, 11])));
    assert_eq!(f.port, 40000);
    assert_eq!(&a[f.span.0..f.span.1], b"10,0,1,11,156,64");
    let a = b"227 Entering Passive Mode (192,168,1,2,4,1)\r\n";
    assert_eq!(server_answer(a, Passive::Pasv, V4).unwrap().port, 1025);
    // Without the parenthesis, from the first digit (RFC 1123 4.1.2.6 allows either).
    let a = b"227 =10,0,1,11,0,21\r\n";
    assert_eq!(server_answer(a, Passive::Pasv, V4).unwrap().port, 21);
    // Other answers, or the other command's, are not it.
    assert_eq!(
        server_answer(b"200 Type set to I.\r\n", Passive::Pasv, V4),
        None
    );
    assert_eq!(server_answer(a, Passive::Epsv, V4), None);
    assert_eq!(
        server_answer(b"227 (10,0,1,11,156)\r\n", Passive::Pasv, V4),
        None
    );
}

#[test]
fn epsv_answers() {
    let a = b"229 Entering extended passive mode (|||40000|).\r\n";
    let f = server_answer(a, Passive::Epsv, V4).unwrap();
    assert_eq!((f.addr, f.port), (None, 40000));
    assert_eq!(&a[f.span.0..f.span.1], b"|||40000|");
    // With an address of the connection's family (C accepts it too).
    let a = b"229 Entering Extended Passive Mode (|2|fd00:1::11|40001|)\r\n";
    let f = server_answer(a, Passive::Epsv, V6).unwrap();
    assert_eq!(
        f.addr,
        Some(Addr::from_raw(&[
            0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11
        ]))
    );
    assert_eq!(f.port, 40001);
    assert_eq!(server_answer(a, Passive::Epsv, V4), None);
    assert_eq!(server_answer(b"229 (|||0|)\r\n", Passive::Epsv, V4), None);
    assert_eq!(
        server_answer(b"229 (|||65536|)\r\n", Passive::Epsv, V4),
        None
    );
}

#[test]
fn passive_answer_texts() {
    let vip = Addr::v4([192, 168, 100, 254]);
    assert_eq!(
        passive_answer(Passive::Pasv, vip, 40000, V4, &mut [0; 24]),
        b"192,168,100,254,156,64"
    );
    // The longest answer fits.
    assert_eq!(
        passive_answer(Passive::Pasv, Addr::v4([255; 4]), 65535, V4, &mut [0; 24]),
        b"255,255,255,255,255,255"
    );
    assert_eq!(
        passive_answer(Passive::Epsv, vip, 40000, V4, &mut [0; 24]),
        b"|||40000|"
    );
    let vip6 = Addr::from_raw(&[0xfd; 16]);
    assert_eq!(
        passive_answer(Passive::Epsv, vip6, 1, V6, &mut [0; 24]),
        b"|||1|"
    );
}
