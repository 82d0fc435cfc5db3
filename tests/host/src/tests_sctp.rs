// SPDX-License-Identifier: GPL-2.0

//! `ipvs_proto/sctp.rs`: the state machine against `sctp_states[]` of
//! `net/netfilter/ipvs/ip_vs_proto_sctp.c` (Linux 7.3), chunk reading, state names, numbers,
//! activity and timeouts; [`Signal`]'s rules for SCTP and AH/ESP.

use crate::ipvs_proto::sctp::{self, chunk, Chunks, Dir, State, NSTATES};
use crate::ipvs_proto::{ipsec_key_ports, Proto, Signal};

const ALL: [State; NSTATES] = [
    State::None,
    State::Init1,
    State::Init,
    State::CookieSent,
    State::CookieReplied,
    State::CookieWait,
    State::Cookie,
    State::CookieEchoed,
    State::Established,
    State::ShutdownSent,
    State::ShutdownReceived,
    State::ShutdownAckSent,
    State::Rejected,
    State::Closed,
];

/// The C table's `sXX` abbreviations, in state order.
const ABBR: [&str; NSTATES] = [
    "NO", "I1", "IN", "CS", "CR", "CW", "CO", "CE", "ES", "SS", "SR", "SA", "RJ", "CL",
];

fn abbr(s: &str) -> State {
    ALL[ABBR.iter().position(|a| *a == s).expect("abbreviation")]
}

/// A chunk type raising each event, in the C table's row order (data, INIT, INIT ACK, COOKIE
/// ECHO, COOKIE ACK, SHUTDOWN, SHUTDOWN ACK, SHUTDOWN COMPLETE, ERROR, ABORT).
const EVENTS: [u8; 10] = [0, 1, 2, 10, 11, 7, 8, 14, 9, 6];

/// `sctp_states[]` transcribed from the C source in its own layout: per direction, one row per
/// event, one column per current state (NO I1 IN CS CR CW CO CE ES SS SR SA RJ CL).
const EXPECTED: [(Dir, [&str; 10]); 3] = [
    (
        Dir::Input,
        [
            "ES I1 IN CS CR CW CO CE ES SS SR SA RJ CL",
            "I1 IN IN CS CR CW CO CE ES SS SR SA IN IN",
            "CW CW CW CS CR CO CO CE ES SS SR SA RJ CL",
            "CR IN IN CR CR CW CO CE ES SS SR SA RJ CL",
            "ES I1 IN CS CR CW CO ES ES SS SR SA RJ CL",
            "SR I1 IN CS CR CW CO CE SR SS SR SA RJ CL",
            "CL IN IN CS CR CW CO CE ES CL SR CL RJ CL",
            "CL CL CL CS CR CW CO CE ES SS SR CL RJ CL",
            "CL I1 IN CS CR CW CO CL ES SS SR SA RJ CL",
            "CL CL CL CL CL RJ CL CL CL CL CL CL CL CL",
        ],
    ),
    (
        Dir::Output,
        [
            "ES I1 IN CS CR CW CO CE ES SS SR SA RJ CL",
            "CW CW CW CW CW CW CW CW ES CW CW CW CW CW",
            "CS CS CS CS CR CW CO CE ES SS SR SA RJ CL",
            "CE CE CE CE CE CE CE CE ES SS SR SA RJ CL",
            "ES ES ES ES ES ES ES ES ES SS SR SA RJ CL",
            "SS SS SS SS SS SS SS SS SS SS SR SA RJ CL",
            "SA SA SA SA SA CW CO CE ES SA SA SA RJ CL",
            "CL I1 IN CS CR CW CO CE ES SS SR SA RJ CL",
            "CL CL CL CL CL CW CO CE ES SS SR SA RJ CL",
            "CL RJ CL CL CL CL CL CL CL CL CL CL CL CL",
        ],
    ),
    (
        Dir::InputOnly,
        [
            "ES I1 IN CS CR ES CO CE ES SS SR SA RJ CL",
            "I1 IN IN IN IN IN CO CE ES SS SR SA IN IN",
            "CE CE CE CE CE CE CO CE ES SS SR SA RJ CL",
            "ES ES ES ES ES ES CO CE ES SS SR SA RJ CL",
            "ES I1 IN ES ES CW ES ES ES SS SR SA RJ CL",
            "SR I1 IN CS CR CW CO CE SR SS SR SA RJ CL",
            "CL IN IN CS CR CW CO CE CL CL SR CL RJ CL",
            "CL CL CL CL CL CW CO CE ES SS CL CL RJ CL",
            "CL I1 IN CS CR CW CO CE ES SS SR SA RJ CL",
            "CL CL CL CL CL RJ CL CL CL CL CL CL CL CL",
        ],
    ),
];

#[test]
fn transitions_match_c() {
    for (dir, rows) in EXPECTED {
        for (ev, row) in rows.iter().enumerate() {
            for (i, want) in row.split(' ').enumerate() {
                assert_eq!(
                    sctp::next(ALL[i], dir, EVENTS[ev]),
                    abbr(want),
                    "{dir:?} event {ev} from {:?}",
                    ALL[i]
                );
            }
        }
    }
}

#[test]
fn other_chunks_are_data() {
    // SACK, HEARTBEAT (ACK), ECN chunks, and any type above SHUTDOWN COMPLETE.
    for t in [3, 4, 5, 12, 13, 15, 0x40, 0x80, 0xc1, 0xff] {
        for s in ALL {
            assert_eq!(sctp::next(s, Dir::Input, t), sctp::next(s, Dir::Input, 0));
            assert_eq!(sctp::next(s, Dir::Output, t), sctp::next(s, Dir::Output, 0));
        }
    }
}

#[test]
fn nat_association_life() {
    // Client INIT, server INIT ACK, COOKIE ECHO (with data), COOKIE ACK, data, then the
    // client's SHUTDOWN, the server's SHUTDOWN ACK, the client's SHUTDOWN COMPLETE.
    let steps = [
        (Dir::Input, 1, State::Init1),
        (Dir::Output, 2, State::CookieSent),
        (Dir::Input, 10, State::CookieReplied),
        (Dir::Output, 11, State::Established),
        (Dir::Input, 0, State::Established),
        (Dir::Input, 7, State::ShutdownReceived),
        (Dir::Output, 8, State::ShutdownAckSent),
        (Dir::Input, 14, State::Closed),
    ];
    let mut s = State::None;
    for (dir, t, want) in steps {
        s = sctp::next(s, dir, t);
        assert_eq!(s, want, "chunk {t}");
    }
    // DR: the client's packets only; its COOKIE ECHO establishes.
    let s = sctp::next(State::None, Dir::InputOnly, 1);
    assert_eq!(sctp::next(s, Dir::InputOnly, 10), State::Established);
    // An INIT answered by ABORT; a real server's INIT answered by the client's ABORT.
    assert_eq!(sctp::next(State::Init1, Dir::Output, 6), State::Rejected);
    assert_eq!(
        sctp::next(State::CookieWait, Dir::Input, 6),
        State::Rejected
    );
}

/// A packet: a common header, then chunks of (type, length, padded body bytes).
fn packet(chunks: &[(u8, u16, usize)]) -> Vec<u8> {
    let mut p = vec![0u8; 12];
    for &(t, len, body) in chunks {
        p.extend([t, 0]);
        p.extend(len.to_be_bytes());
        p.extend(vec![0u8; body]);
    }
    p
}

#[test]
fn chunk_reading() {
    let c = |p: &[u8]| sctp::chunks(p, 0);
    assert_eq!(c(&packet(&[])), None);
    assert_eq!(
        c(&packet(&[(1, 20, 16)])),
        Some(Chunks {
            first: 1,
            deciding: 1
        })
    );
    // An ABORT after a COOKIE ECHO (its length 7 padded to 8) decides; after data it does not.
    let ce_abort = packet(&[(10, 7, 4), (6, 4, 0)]);
    assert_eq!(
        c(&ce_abort),
        Some(Chunks {
            first: 10,
            deciding: 6
        })
    );
    assert_eq!(
        c(&packet(&[(11, 4, 0), (6, 4, 0)])),
        Some(Chunks {
            first: 11,
            deciding: 6
        })
    );
    assert_eq!(
        c(&packet(&[(0, 4, 0), (6, 4, 0)])),
        Some(Chunks {
            first: 0,
            deciding: 0
        })
    );
    // A COOKIE ECHO whose length is below a chunk header, or that reaches past the packet.
    assert_eq!(
        c(&packet(&[(10, 3, 0), (6, 4, 0)])),
        Some(Chunks {
            first: 10,
            deciding: 10
        })
    );
    assert_eq!(
        c(&packet(&[(10, 0xffff, 0)])),
        Some(Chunks {
            first: 10,
            deciding: 10
        })
    );
    // A header cut short; the common header at an offset.
    assert_eq!(c(&packet(&[(1, 4, 0)])[..14]), None);
    let mut at = vec![0u8; 20];
    at.extend(ce_abort);
    assert_eq!(
        sctp::chunks(&at[..], 20),
        Some(Chunks {
            first: 10,
            deciding: 6
        })
    );
    assert_eq!(sctp::chunks(&at[..], usize::MAX), None);
}

#[test]
fn starting_and_resets() {
    let sig = |t| {
        Signal::Sctp(Some(Chunks {
            first: t,
            deciding: t,
        }))
    };
    assert!(sig(chunk::INIT).may_start(false, false));
    assert!(!sig(0).may_start(true, false));
    assert!(sig(0).may_start(false, true));
    assert!(!sig(chunk::ABORT).may_start(false, true));
    assert!(!Signal::Sctp(None).may_start(true, true));
    assert!(sig(chunk::INIT).is_new_conn() && !sig(0).is_new_conn());
    assert!(sig(chunk::ABORT).is_reset() && !sig(chunk::INIT).is_reset());
    // AH and ESP never start a connection, never replace one.
    assert!(!Signal::Ipsec.may_start(true, true));
    assert!(!Signal::Ipsec.is_new_conn() && !Signal::Ipsec.is_reset());
    assert_eq!(ipsec_key_ports(), (Proto::Udp, 500, 500));
}

#[test]
fn names_numbers_timeouts() {
    let names = [
        "NONE",
        "INIT1",
        "INIT",
        "C-SENT",
        "C-REPLIED",
        "C-WAIT",
        "COOKIE",
        "C-ECHOED",
        "ESTABLISHED",
        "S-SENT",
        "S-RECEIVED",
        "S-ACK-SENT",
        "REJECTED",
        "CLOSED",
    ];
    let timeouts = [2, 4, 61, 61, 61, 61, 61, 61, 900, 61, 61, 61, 4, 61];
    for (i, s) in ALL.into_iter().enumerate() {
        assert_eq!(s as usize, i);
        assert_eq!(State::from_number(i as u16), Some(s));
        assert_eq!(s.name(), names[i]);
        assert_eq!(s.timeout(), timeouts[i], "{s:?}");
        assert_eq!(s.is_active(), s == State::Established);
    }
    assert_eq!(State::from_number(NSTATES as u16), None);
    assert_eq!(Proto::from_ip(132), Some(Proto::Sctp));
    assert_eq!(
        (
            Proto::Sctp.name(),
            Proto::Sctp.hdr_len(),
            Proto::Sctp.csum_off()
        ),
        ("SCTP", 12, 8)
    );
}

#[test]
fn checksum_bytes() {
    // RFC 3720's CRC32c check value of 32 zero bytes is 0x8a9136aa; the field holds it
    // little-endian after the final inversion.
    assert_eq!(sctp::checksum_bytes(!0x8a91_36aa), [0xaa, 0x36, 0x91, 0x8a]);
}
