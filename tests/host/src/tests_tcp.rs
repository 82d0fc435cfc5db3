// SPDX-License-Identifier: GPL-2.0

//! `ipvs_proto/tcp.rs`: the state machine against `tcp_states[]` of
//! `net/netfilter/ipvs/ip_vs_proto_tcp.c` (Linux 7.3), state names, activity and timeouts.

use crate::ipvs_proto::tcp::{self, flags, Dir, State, Timeouts, NSTATES};

const ALL: [State; NSTATES] = [
    State::None,
    State::Established,
    State::SynSent,
    State::SynRecv,
    State::FinWait,
    State::TimeWait,
    State::Close,
    State::CloseWait,
    State::LastAck,
    State::Listen,
    State::SynAck,
];

/// The C table's `sXX` abbreviations.
fn abbr(s: &str) -> State {
    match s {
        "NO" => State::None,
        "ES" => State::Established,
        "SS" => State::SynSent,
        "SR" => State::SynRecv,
        "FW" => State::FinWait,
        "TW" => State::TimeWait,
        "CL" => State::Close,
        "CW" => State::CloseWait,
        "LA" => State::LastAck,
        "LI" => State::Listen,
        "SA" => State::SynAck,
        _ => panic!("bad abbreviation {s}"),
    }
}

/// The events, in the C table's row order, with the one flag that raises each.
const EVENTS: [(&str, u8); 4] = [
    ("syn", flags::SYN),
    ("fin", flags::FIN),
    ("ack", flags::ACK),
    ("rst", flags::RST),
];

/// `tcp_states[]` transcribed from the C source in its own layout: per direction, one row per
/// event (syn, fin, ack, rst), one column per current state (NO ES SS SR FW TW CL CW LA LI SA).
const EXPECTED: [(Dir, [&str; 4]); 3] = [
    (
        Dir::Input,
        [
            "SR ES ES SR SR SR SR SR SR SR SR",
            "CL CW SS TW TW TW CL CW LA LI TW",
            "ES ES SS ES FW TW CL CW CL LI ES",
            "CL CL CL SR CL CL CL CL LA LI SR",
        ],
    ),
    (
        Dir::Output,
        [
            "SS ES SS SR SS SS SS SS SS LI SR",
            "TW FW SS TW FW TW CL TW LA LI TW",
            "ES ES SS ES FW TW CL CW LA ES ES",
            "CL CL SS CL CL TW CL CL CL CL CL",
        ],
    ),
    (
        Dir::InputOnly,
        [
            "SR ES ES SR SR SR SR SR SR SR SR",
            "CL FW SS TW FW TW CL CW LA LI TW",
            "ES ES SS ES FW TW CL CW CL LI ES",
            "CL CL CL SR CL CL CL CL LA LI CL",
        ],
    ),
];

/// `tcp_states_dos[]` (the `secure_tcp` tables), likewise.
const EXPECTED_DOS: [(Dir, [&str; 4]); 3] = [
    (
        Dir::Input,
        [
            "SR ES ES SR SR SR SR SR SR SR SA",
            "CL CW SS TW TW TW CL CW LA LI SA",
            "ES ES SS SR FW TW CL CW CL LI SA",
            "CL CL CL SR CL CL CL CL LA LI CL",
        ],
    ),
    (
        Dir::Output,
        [
            "SS ES SS SA SS SS SS SS SS LI SA",
            "TW FW SS TW FW TW CL TW LA LI TW",
            "ES ES SS ES FW TW CL CW LA ES ES",
            "CL CL SS CL CL TW CL CL CL CL CL",
        ],
    ),
    (
        Dir::InputOnly,
        [
            "SA ES ES SR SA SA SA SA SA SA SA",
            "CL FW SS TW FW TW CL CW LA LI TW",
            "ES ES SS ES FW TW CL CW CL LI ES",
            "CL CL CL SR CL CL CL CL LA LI CL",
        ],
    ),
];

#[test]
fn every_secure_tcp_transition_matches_the_c_table() {
    let mut checked = 0;
    for (dir, rows) in EXPECTED_DOS {
        for from in ALL {
            for (ev, (name, flag)) in EVENTS.iter().enumerate() {
                let cols: Vec<&str> = rows[ev].split_whitespace().collect();
                assert_eq!(
                    tcp::next(from, dir, *flag, true),
                    abbr(cols[from as usize]),
                    "secure {dir:?} {from:?} on {name}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 3 * NSTATES * 4);
}

/// The expected next state for `(dir, current state, event row)`.
fn expected(dir: Dir, from: State, event: usize) -> State {
    let (_, rows) = EXPECTED.iter().find(|(d, _)| *d == dir).unwrap();
    let cols: Vec<&str> = rows[event].split_whitespace().collect();
    assert_eq!(cols.len(), NSTATES);
    abbr(cols[from as usize])
}

#[test]
fn state_numbers_follow_ip_vs_h() {
    for (i, s) in ALL.iter().enumerate() {
        assert_eq!(*s as usize, i, "{s:?}");
    }
}

#[test]
fn every_transition_matches_the_c_table() {
    let mut checked = 0;
    for (dir, _) in EXPECTED {
        for from in ALL {
            for (ev, (name, flag)) in EVENTS.iter().enumerate() {
                assert_eq!(
                    tcp::next(from, dir, *flag, false),
                    expected(dir, from, ev),
                    "{dir:?} {from:?} on {name}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 3 * NSTATES * 4);
}

#[test]
fn event_precedence_is_rst_syn_fin_ack() {
    const PSH: u8 = 0x08;
    const URG: u8 = 0x20;
    const ECE: u8 = 0x40;
    const CWR: u8 = 0x80;
    let (syn, fin, ack, rst) = (0, 1, 2, 3);
    for (dir, _) in EXPECTED {
        for from in ALL {
            for extra in [0, PSH, URG | ECE | CWR] {
                let f = |bits: u8| tcp::next(from, dir, bits | extra, false);
                let e = |ev: usize| expected(dir, from, ev);
                let ctx = format!("{dir:?} {from:?} extra {extra:#x}");
                assert_eq!(
                    f(flags::RST | flags::SYN | flags::FIN | flags::ACK),
                    e(rst),
                    "{ctx}"
                );
                assert_eq!(f(flags::RST | flags::ACK), e(rst), "{ctx}");
                assert_eq!(f(flags::SYN | flags::FIN | flags::ACK), e(syn), "{ctx}");
                assert_eq!(f(flags::SYN | flags::ACK), e(syn), "{ctx}");
                assert_eq!(f(flags::FIN | flags::ACK), e(fin), "{ctx}");
                assert_eq!(f(flags::ACK), e(ack), "{ctx}");
                // None of SYN/FIN/ACK/RST: CLOSE, whatever the state.
                assert_eq!(f(0), State::Close, "{ctx}");
            }
        }
    }
}

#[test]
fn nat_connection_lifecycle() {
    use Dir::{Input, Output};
    let steps = [
        (Input, flags::SYN, State::SynRecv),                // client SYN
        (Output, flags::SYN | flags::ACK, State::SynRecv),  // server SYN+ACK
        (Input, flags::ACK, State::Established),            // client ACK
        (Input, flags::ACK | 0x08, State::Established),     // data
        (Output, flags::ACK | 0x08, State::Established),    // reply
        (Input, flags::FIN | flags::ACK, State::CloseWait), // client closes
        (Output, flags::ACK, State::CloseWait),
        (Output, flags::FIN | flags::ACK, State::TimeWait), // server closes
        (Input, flags::ACK, State::TimeWait),               // last ACK
        (Input, flags::SYN, State::SynRecv),                // port reuse
    ];
    let mut s = State::None;
    for (i, (dir, f, want)) in steps.into_iter().enumerate() {
        s = tcp::next(s, dir, f, false);
        assert_eq!(s, want, "step {i}: {dir:?} flags {f:#04x}");
    }
}

#[test]
fn server_closes_first_and_resets() {
    use Dir::{Input, Output};
    let mut s = State::Established;
    s = tcp::next(s, Output, flags::FIN | flags::ACK, false);
    assert_eq!(s, State::FinWait);
    s = tcp::next(s, Input, flags::ACK, false);
    assert_eq!(s, State::FinWait);
    s = tcp::next(s, Input, flags::FIN | flags::ACK, false);
    assert_eq!(s, State::TimeWait);
    assert_eq!(
        tcp::next(State::Established, Input, flags::RST, false),
        State::Close
    );
    assert_eq!(
        tcp::next(State::SynRecv, Input, flags::RST, false),
        State::SynRecv
    );
    assert_eq!(
        tcp::next(State::TimeWait, Output, flags::RST, false),
        State::TimeWait
    );
}

#[test]
fn direct_routing_connection_lifecycle() {
    // Replies bypass the director: every packet is InputOnly.
    let d = Dir::InputOnly;
    let mut s = tcp::next(State::None, d, flags::SYN, false);
    assert_eq!(s, State::SynRecv);
    s = tcp::next(s, d, flags::ACK, false);
    assert_eq!(s, State::Established);
    s = tcp::next(s, d, flags::FIN | flags::ACK, false);
    assert_eq!(s, State::FinWait);
    s = tcp::next(s, d, flags::ACK, false);
    assert_eq!(s, State::FinWait);
    assert_eq!(tcp::next(State::SynAck, d, flags::RST, false), State::Close);
}

#[test]
fn active_states() {
    let active: Vec<State> = ALL.into_iter().filter(|s| s.is_active()).collect();
    assert_eq!(
        active,
        [
            State::Established,
            State::SynSent,
            State::SynRecv,
            State::SynAck
        ]
    );
}

#[test]
fn names() {
    let names: Vec<&str> = ALL.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        [
            "NONE",
            "ESTABLISHED",
            "SYN_SENT",
            "SYN_RECV",
            "FIN_WAIT",
            "TIME_WAIT",
            "CLOSE",
            "CLOSE_WAIT",
            "LAST_ACK",
            "LISTEN",
            "SYNACK"
        ]
    );
}

#[test]
fn timeouts() {
    let t = Timeouts::default();
    let got: Vec<u32> = ALL.iter().map(|&s| t.get(s)).collect();
    assert_eq!(got, [2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120]);
    assert_eq!(crate::ipvs_proto::udp::DEFAULT_TIMEOUT, 300);
}

#[test]
fn state_numbers_are_c_s() {
    for n in 0..11u16 {
        assert_eq!(State::from_number(n).map(|s| s as u16), Some(n));
    }
    assert_eq!(State::from_number(11), None);
    assert_eq!(State::from_number(5).map(State::name), Some("TIME_WAIT"));
}
