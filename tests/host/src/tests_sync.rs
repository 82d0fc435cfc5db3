// SPDX-License-Identifier: GPL-2.0

//! The sync protocol's messages (byte layouts written out from C's structures, not from the
//! code under test) and the master's send decision.

use crate::ipvs_proto::inet::{Addr, Family};
use crate::ipvs_sync::policy::{self, Asked, Config, ConnNow, Knobs, Role, Send};
use crate::ipvs_sync::wire::{
    self, flag, Builder, Dropped, Known, Seq, Skipped, SyncConn, Version,
};

struct Kn;

impl Known for Kn {
    fn states(&self, p: u8) -> Option<u16> {
        match p {
            6 => Some(11),
            17 => Some(1),
            _ => None,
        }
    }
    fn engine(&self, name: &[u8]) -> bool {
        name == b"sip"
    }
}

fn v4(a: [u8; 4]) -> Addr {
    Addr::v4(a)
}

fn tcp_conn() -> SyncConn<'static> {
    SyncConn {
        family: Family::V4,
        protocol: 6,
        flags: flag::INACTIVE | flag::HASHED,
        state: 1,
        cport: 40000,
        vport: 80,
        dport: 8080,
        fwmark: 0,
        timeout: 900,
        caddr: v4([10, 0, 0, 2]),
        vaddr: v4([10, 0, 0, 100]),
        daddr: v4([10, 0, 1, 11]),
        seq: None,
        pe_data: &[],
        pe_name: &[],
    }
}

fn build(v: Version, syncid: u8, conns: &[SyncConn<'_>]) -> Vec<u8> {
    let mut buf = vec![0xaau8; 1472];
    let mut b = Builder::start(&mut buf, v, syncid);
    for c in conns {
        assert!(b.fits(&buf, c));
        b.push(&mut buf, c);
    }
    buf.truncate(b.len());
    buf
}

fn read_all(msg: &[u8], syncid: u32) -> (Vec<Result<SyncConn<'_>, Skipped>>, Result<(), Dropped>) {
    let mut got = Vec::new();
    let r = wire::read(msg, syncid, &Kn, |c| got.push(c));
    (got, r)
}

/// What a backup reads, owned: per entry its sequence data, engine data and name.
type Summary = (
    Vec<Result<(Option<Seq>, Vec<u8>, Vec<u8>), Skipped>>,
    Result<(), Dropped>,
);

fn summary(msg: &[u8], syncid: u32) -> Summary {
    let (got, r) = read_all(msg, syncid);
    let got = got
        .into_iter()
        .map(|c| c.map(|c| (c.seq, c.pe_data.to_vec(), c.pe_name.to_vec())))
        .collect();
    (got, r)
}

/// As a backup reads a sent connection: its flags masked, `SYNC` added.
fn as_read(c: SyncConn<'_>) -> SyncConn<'_> {
    SyncConn {
        flags: (c.flags & flag::BACKUP_MASK) | flag::SYNC,
        ..c
    }
}

#[test]
fn v1_ipv4_entry_bytes() {
    let m = build(Version::V1, 7, &[tcp_conn()]);
    #[rustfmt::skip]
    let want = [
        0, 7, 0, 44, 1, 1, 0, 0,
        0, 6, 0, 36, 0, 0, 1, 0, 0, 1, 0x9c, 0x40, 0, 80, 0x1f, 0x90,
        0, 0, 0, 0, 0, 0, 3, 0x84,
        10, 0, 0, 2, 10, 0, 0, 100, 10, 0, 1, 11,
    ];
    assert_eq!(m, want);
}

#[test]
fn v1_options_and_alignment() {
    let tpl = SyncConn {
        protocol: 17,
        flags: flag::TEMPLATE,
        state: 0,
        cport: 0,
        timeout: 4,
        pe_data: b"abc",
        pe_name: b"sip",
        ..tcp_conn()
    };
    let seq = SyncConn {
        seq: Some(Seq {
            words: [[1, 2, 3], [4, 5, 0x0102_0304]],
        }),
        flags: 0x600,
        ..tcp_conn()
    };
    let m = build(Version::V1, 0, &[tpl, tcp_conn(), seq]);
    // 36 + "abc" and "sip" with their 2-byte headers = 46, padded to 48.
    assert_eq!(&m[8 + 36..8 + 46], b"\x02\x03abc\x03\x03sip");
    assert_eq!(&m[8 + 2..8 + 4], &[0, 46]);
    assert_eq!(&m[8 + 46..8 + 48], &[0, 0]);
    let second = 8 + 48;
    assert_eq!(&m[second + 2..second + 4], &[0, 36]);
    let third = second + 36;
    assert_eq!(&m[third + 2..third + 4], &[0, 62]);
    #[rustfmt::skip]
    assert_eq!(&m[third + 36..third + 62], &[
        1, 24, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 1, 2, 3, 4,
    ]);
    assert_eq!(m.len(), third + 62);
    assert_eq!(&m[2..5], &[0, (third + 62) as u8, 3]);
    let (got, r) = read_all(&m, 0);
    assert_eq!(r, Ok(()));
    assert_eq!(
        got,
        vec![Ok(as_read(tpl)), Ok(as_read(tcp_conn())), Ok(as_read(seq))]
    );
}

#[test]
fn v1_ipv6_entry() {
    let a = |last: u8| {
        let mut b = [0u8; 16];
        b[0] = 0x20;
        b[1] = 0x01;
        b[15] = last;
        Addr::new(Family::V6, &b)
    };
    let c = SyncConn {
        family: Family::V6,
        protocol: 17,
        flags: flag::INACTIVE,
        state: 0,
        fwmark: 5,
        caddr: a(2),
        vaddr: a(100),
        daddr: a(11),
        ..tcp_conn()
    };
    let m = build(Version::V1, 1, &[c]);
    assert_eq!(m.len(), 8 + 72);
    assert_eq!(&m[8..12], &[1, 17, 0, 72]);
    assert_eq!(&m[8 + 16..8 + 20], &[0, 0, 0, 5]);
    assert_eq!(&m[8 + 24..8 + 26], &[0x20, 0x01]);
    assert_eq!(m[8 + 24 + 15], 2);
    assert_eq!(m[8 + 40 + 15], 100);
    assert_eq!(m[8 + 56 + 15], 11);
    let (got, r) = read_all(&m, 1);
    assert_eq!((got, r), (vec![Ok(as_read(c))], Ok(())));
}

#[test]
fn v0_entry_bytes_and_read() {
    let seq = SyncConn {
        flags: 0x400 | flag::INACTIVE,
        seq: Some(Seq {
            words: [[1, 0, 0], [0, 0, 0]],
        }),
        ..tcp_conn()
    };
    let m = build(Version::V0, 9, &[tcp_conn(), seq]);
    #[rustfmt::skip]
    let first = [
        0, 6, 0x9c, 0x40, 0, 80, 0x1f, 0x90,
        10, 0, 0, 2, 10, 0, 0, 100, 10, 0, 1, 11,
        1, 0, 0, 1,
    ];
    assert_eq!(&m[..4], &[2, 9, 0, 4 + 24 + 48]);
    assert_eq!(&m[4..28], &first);
    // The sequence data as C copies it: host order (the tests run little-endian).
    assert_eq!(&m[28 + 24..28 + 28], &[1, 0, 0, 0]);
    let (got, r) = read_all(&m, 9);
    assert_eq!(r, Ok(()));
    let want = |c: SyncConn<'static>| SyncConn {
        flags: (c.flags | flag::SYNC) & !flag::HASHED,
        timeout: 0,
        ..c
    };
    assert_eq!(got, vec![Ok(want(tcp_conn())), Ok(want(seq))]);
}

#[test]
fn v0_skips_unknown_protocols_and_states_but_not_templates() {
    let m = build(
        Version::V0,
        0,
        &[
            SyncConn {
                protocol: 50,
                ..tcp_conn()
            },
            SyncConn {
                state: 11,
                ..tcp_conn()
            },
            SyncConn {
                state: 9,
                flags: flag::TEMPLATE,
                protocol: 50,
                ..tcp_conn()
            },
        ],
    );
    let (got, r) = read_all(&m, 0);
    assert_eq!(r, Ok(()));
    assert_eq!(got[..2], [Err(Skipped::Protocol), Err(Skipped::State)]);
    assert!(got[2].is_ok());
}

#[test]
fn header_checks() {
    let m = build(Version::V1, 7, &[tcp_conn()]);
    assert_eq!(read_all(&m[..3], 0).1, Err(Dropped::BadSize));
    assert_eq!(read_all(&m[..43], 0).1, Err(Dropped::BadSize));
    assert_eq!(read_all(&m, 8), (vec![], Err(Dropped::OtherSyncId)));
    assert_eq!(read_all(&m, 0).0.len(), 1);
    assert_eq!(read_all(&m, 7).0.len(), 1);
}

/// `m` with the entry at `at` given `f`'s changes and the header's size fixed.
fn patched(m: &[u8], f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut m = m.to_vec();
    f(&mut m);
    let n = m.len() as u16;
    m[2..4].copy_from_slice(&n.to_be_bytes());
    m
}

#[test]
fn malformed_entries_drop_the_rest() {
    let m = build(Version::V1, 0, &[tcp_conn(), tcp_conn()]);
    let second = 8 + 36;
    // The count says 3: the first two are taken, then the datagram ends.
    let (got, r) = summary(&patched(&m, |m| m[4] = 3), 0);
    assert_eq!((got.len(), r), (2, Err(Dropped::Malformed)));
    // An entry longer than the datagram; a version in the size's top bits; types 2 and 4.
    for (off, v) in [(3, 37u8), (2, 0x10), (0, 2), (0, 4)] {
        let (got, r) = summary(&patched(&m, |m| m[second + off] = v), 0);
        assert_eq!(
            (got.len(), r),
            (1, Err(Dropped::Malformed)),
            "byte {off} = {v}"
        );
    }
    // The IPv6 bit on a 36-byte entry.
    let (got, r) = summary(&patched(&m, |m| m[second] = 1), 0);
    assert_eq!((got.len(), r), (1, Err(Dropped::Malformed)));
}

/// A one-entry message whose entry has `opts` after its 36 bytes.
fn with_options(opts: &[u8]) -> Vec<u8> {
    let m = build(Version::V1, 0, &[tcp_conn()]);
    patched(&m, |m| {
        m.extend_from_slice(opts);
        let n = (36 + opts.len()) as u16;
        m[8 + 2..8 + 4].copy_from_slice(&n.to_be_bytes());
    })
}

#[test]
fn options() {
    let seq = |len: u8| {
        let mut o = vec![1, len];
        o.resize(2 + usize::from(len), 0);
        o
    };
    let ok = |o: &[u8]| summary(&with_options(o), 0);
    let none = Vec::new();
    assert_eq!(
        ok(&seq(24)).0,
        vec![Ok((Some(Seq::default()), none.clone(), none.clone()))]
    );
    assert_eq!(ok(&seq(23)).1, Err(Dropped::Malformed));
    assert_eq!(ok(&[seq(24), seq(24)].concat()).1, Err(Dropped::Malformed));
    // Zero length; past the end; a lone type byte.
    assert_eq!(ok(&[2, 0, 0, 0]).1, Err(Dropped::Malformed));
    assert_eq!(ok(&[2, 9, 1]).1, Err(Dropped::Malformed));
    assert_eq!(ok(&[2]).1, Err(Dropped::Malformed));
    // An unknown optional parameter is passed over; an unknown mandatory one skips the entry.
    assert_eq!(
        ok(&[0x49, 2, 0, 0]).0,
        vec![Ok((None, none.clone(), none.clone()))]
    );
    assert_eq!(
        ok(&[9, 2, 0, 0]),
        (vec![Err(Skipped::UnknownOption)], Ok(()))
    );
    // Engine data needs a known engine's name; a name alone is ignored.
    assert_eq!(ok(b"\x02\x01x").0, vec![Err(Skipped::Engine)]);
    assert_eq!(ok(b"\x02\x01x\x03\x03foo").0, vec![Err(Skipped::Engine)]);
    assert_eq!(
        ok(b"\x03\x03sip").0,
        vec![Ok((None, none.clone(), none.clone()))]
    );
    assert_eq!(
        ok(b"\x02\x01x\x03\x03sip").0,
        vec![Ok((None, b"x".to_vec(), b"sip".to_vec()))]
    );
    let long = [&[3u8, 17][..], &[b'a'; 17][..]].concat();
    assert_eq!(ok(&long).1, Err(Dropped::Malformed));
}

#[test]
fn protocol_and_state_checks() {
    let m = build(
        Version::V1,
        0,
        &[
            SyncConn {
                protocol: 132,
                ..tcp_conn()
            },
            SyncConn {
                state: 11,
                ..tcp_conn()
            },
            SyncConn {
                protocol: 17,
                state: 1,
                ..tcp_conn()
            },
            SyncConn {
                protocol: 0,
                state: 1,
                flags: flag::TEMPLATE,
                ..tcp_conn()
            },
        ],
    );
    let (got, r) = read_all(&m, 0);
    assert_eq!(r, Ok(()));
    assert_eq!(
        got[..3],
        [
            Err(Skipped::Protocol),
            Err(Skipped::State),
            Err(Skipped::State)
        ]
    );
    assert!(got[3].is_ok());
}

#[test]
fn builder_capacity() {
    let c = tcp_conn();
    let mut buf = vec![0u8; Builder::capacity(Version::V1, c.len(Version::V1), 100)];
    assert_eq!(buf.len(), 100);
    let mut b = Builder::start(&mut buf, Version::V1, 0);
    assert!(b.fits(&buf, &c));
    b.push(&mut buf, &c);
    assert!(b.fits(&buf, &c));
    b.push(&mut buf, &c);
    assert!(!b.fits(&buf, &c));
    assert_eq!(Builder::capacity(Version::V1, 300, 100), 308);
    assert_eq!(Builder::capacity(Version::V0, 24, 1472), 1472);
}

fn knobs() -> Knobs {
    Knobs {
        threshold: 3,
        period: 50,
        ..Knobs::default()
    }
}

fn udp(pkts: i32) -> ConnNow {
    ConnNow {
        protocol: 17,
        timeout: 300 * 100,
        pkts,
        ..ConnNow::default()
    }
}

#[test]
fn needed_by_packet_count() {
    let k = knobs();
    let at = |c: &ConnNow| policy::needed(c, &k, 1001, 0, 100);
    let n: u32 = (1001 + 30000) & !3;
    assert_eq!(
        at(&udp(3)),
        Some(Send {
            endtime: n,
            force: false
        })
    );
    assert_eq!(
        at(&udp(53)),
        Some(Send {
            endtime: n,
            force: false
        })
    );
    assert_eq!(at(&udp(4)), None);
    // A template is sent whatever its count.
    assert!(at(&ConnNow {
        template: true,
        ..udp(4)
    })
    .is_some());
    // Under persistence, with sync_persist_mode, only templates are.
    let pk = Knobs {
        persist_mode: true,
        ..k
    };
    assert_eq!(
        policy::needed(
            &ConnNow {
                in_persistence: true,
                ..udp(3)
            },
            &pk,
            1,
            0,
            100
        ),
        None
    );
    // sync_period 0 without a refresh period: only at the threshold itself.
    let k0 = Knobs { period: 0, ..k };
    assert!(policy::needed(&udp(3), &k0, 1, 0, 100).is_some());
    assert_eq!(policy::needed(&udp(53), &k0, 1, 0, 100), None);
}

#[test]
fn needed_tcp_states() {
    let k = knobs();
    let tcp = |state, old_state, pkts| ConnNow {
        protocol: 6,
        state,
        old_state,
        timeout: 900 * 100,
        pkts,
        ..ConnNow::default()
    };
    // SYN_RECV is never sent.
    assert_eq!(policy::needed(&tcp(3, 0, 3), &k, 1, 0, 100), None);
    // Entering ESTABLISHED still waits for the packet count; FIN_WAIT, CLOSE are sent at once.
    assert_eq!(policy::needed(&tcp(1, 3, 1), &k, 1, 0, 100), None);
    assert_eq!(
        policy::needed(&tcp(1, 3, 3), &k, 1, 0, 100).map(|s| s.force),
        Some(true)
    );
    assert_eq!(
        policy::needed(&tcp(4, 1, 7), &k, 1, 0, 100).map(|s| s.force),
        Some(true)
    );
    assert_eq!(
        policy::needed(&tcp(6, 4, 9), &k, 1, 0, 100).map(|s| s.force),
        Some(true)
    );
    // No change: by count.
    assert_eq!(policy::needed(&tcp(4, 4, 9), &k, 1, 0, 100), None);
    assert_eq!(
        policy::needed(&tcp(1, 1, 53), &k, 1, 0, 100).map(|s| s.force),
        Some(false)
    );
}

#[test]
fn needed_refresh_period_and_retries() {
    let hz = 100;
    let k = Knobs {
        refresh_period: 60 * hz,
        retries: 2,
        period: 0,
        ..knobs()
    };
    let c = udp(100);
    // Never sent: far from the deadline 0, sent, no retry bits.
    let now = 5000;
    let n = (now + c.timeout) & !3;
    let first = policy::needed(&c, &k, now, 0, hz).unwrap();
    assert_eq!(first.endtime, n);
    // Soon after: within the refresh period, before its eighth: not again.
    assert_eq!(policy::needed(&c, &k, now + 100, first.endtime, hz), None);
    // After an eighth of it: a retry, counted in the low bits.
    let r1 = policy::needed(&c, &k, now + 800, first.endtime, hz).unwrap();
    assert_eq!(r1.endtime & 3, 1);
    let r2 = policy::needed(&c, &k, now + 1600, r1.endtime, hz).unwrap();
    assert_eq!(r2.endtime & 3, 2);
    // Out of retries.
    assert_eq!(policy::needed(&c, &k, now + 2400, r2.endtime, hz), None);
    // The refresh period over: sent, retries reset.
    let later = policy::needed(&c, &k, now + 7700, r2.endtime, hz).unwrap();
    assert_eq!(later.endtime & 3, 0);
}

#[test]
fn daemon_settings() {
    let a = Asked::default();
    let m = Config::new(Role::Master, &a, 9000);
    assert_eq!(
        (m.maxlen, m.port, m.ttl, m.family),
        (1472, 8848, 1, Family::V4)
    );
    assert_eq!(&m.group[..4], &wire::GROUP);
    assert_eq!(Config::new(Role::Backup, &a, 9000).maxlen, 8972);
    assert_eq!(Config::new(Role::Backup, &a, 1280).maxlen, 1472);
    let small = Asked { maxlen: 100, ..a };
    assert_eq!(Config::new(Role::Master, &small, 1500).maxlen, 100);
    assert_eq!(Config::new(Role::Backup, &small, 1500).maxlen, 1024);
    let big = Asked { maxlen: 65535, ..a };
    assert_eq!(Config::new(Role::Master, &big, 1500).maxlen, 65507);
    let g6 = Asked {
        group: Some((Family::V6, [0xff; 16])),
        port: 9000,
        ttl: 3,
        ..a
    };
    let c6 = Config::new(Role::Master, &g6, 1500);
    assert_eq!(
        (c6.maxlen, c6.port, c6.ttl, c6.group),
        (1452, 9000, 3, [0xff; 16])
    );
    assert_eq!(policy::thread_count(0), 1);
    assert_eq!(policy::thread_count(128), 64);
    assert_eq!(Role::of_state(3), None);
}

#[test]
fn sctp_states_sent() {
    let k = knobs();
    let sctp = |state, old_state, pkts| ConnNow {
        protocol: 132,
        state,
        old_state,
        ..udp(pkts)
    };
    let at = |c: &ConnNow| policy::needed(c, &k, 1001, 0, 100);
    // INIT1, COOKIE states, REJECTED: never.
    for s in [0, 1, 2, 3, 4, 5, 6, 7, 12] {
        assert_eq!(at(&sctp(s, 0, 3)), None, "state {s}");
    }
    // Into ESTABLISHED: by the packet count, flagged as a change.
    assert_eq!(at(&sctp(8, 4, 4)), None);
    assert_eq!(at(&sctp(8, 4, 3)).map(|s| s.force), Some(true));
    // Into a shutdown state or CLOSED: at once, whatever the count.
    for s in [9, 10, 11, 13] {
        assert_eq!(at(&sctp(s, 8, 4)).map(|s| s.force), Some(true), "state {s}");
    }
    // No change: by the count.
    assert_eq!(at(&sctp(10, 10, 4)), None);
}
