// SPDX-License-Identifier: GPL-2.0

//! TCP connection states as IPVS tracks them, with C IPVS's transition rules and timeouts.

/// IPVS's view of a TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// No packet seen yet.
    None = 0,
    /// Established.
    Established,
    /// SYN sent by the real server side.
    SynSent,
    /// SYN received from the client.
    SynRecv,
    /// Closing after a FIN.
    FinWait,
    /// Both sides closed.
    TimeWait,
    /// Reset or fully closed.
    Close,
    /// The client closed first.
    CloseWait,
    /// Last ACK pending.
    LastAck,
    /// Listen.
    Listen,
    /// SYN-ACK seen. C's state table has it but no transition enters it; kept so that the
    /// states' numbers and names are C's.
    #[allow(dead_code)]
    SynAck,
}

/// Number of states.
pub(crate) const NSTATES: usize = 11;

/// Which way a packet travels relative to the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    /// Client to real server.
    Input,
    /// Real server to client (seen only for NAT).
    Output,
    /// Client to real server on a connection whose replies bypass the director.
    InputOnly,
}

/// TCP header flag bits.
pub(crate) mod flags {
    /// FIN.
    pub(crate) const FIN: u8 = 0x01;
    /// SYN.
    pub(crate) const SYN: u8 = 0x02;
    /// RST.
    pub(crate) const RST: u8 = 0x04;
    /// ACK.
    pub(crate) const ACK: u8 = 0x10;
}

/// The event a packet's flags mean, by precedence RST > SYN > FIN > ACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    Syn = 0,
    Fin,
    Ack,
    Rst,
}

fn event(tcp_flags: u8) -> Option<Event> {
    if tcp_flags & flags::RST != 0 {
        Some(Event::Rst)
    } else if tcp_flags & flags::SYN != 0 {
        Some(Event::Syn)
    } else if tcp_flags & flags::FIN != 0 {
        Some(Event::Fin)
    } else if tcp_flags & flags::ACK != 0 {
        Some(Event::Ack)
    } else {
        None
    }
}

use State::{
    Close as CL, CloseWait as CW, Established as ES, FinWait as FW, LastAck as LA, Listen as LI,
    None as NO, SynAck as SA, SynRecv as SR, SynSent as SS, TimeWait as TW,
};

/// For each current state (in [`State`] order), the next state on SYN, FIN, ACK and RST.
type Table = [[State; 4]; NSTATES];

const INPUT: Table = [
    [SR, CL, ES, CL], // NONE
    [ES, CW, ES, CL], // ESTABLISHED
    [ES, SS, SS, CL], // SYN_SENT
    [SR, TW, ES, SR], // SYN_RECV
    [SR, TW, FW, CL], // FIN_WAIT
    [SR, TW, TW, CL], // TIME_WAIT
    [SR, CL, CL, CL], // CLOSE
    [SR, CW, CW, CL], // CLOSE_WAIT
    [SR, LA, CL, LA], // LAST_ACK
    [SR, LI, LI, LI], // LISTEN
    [SR, TW, ES, SR], // SYNACK
];

const OUTPUT: Table = [
    [SS, TW, ES, CL], // NONE
    [ES, FW, ES, CL], // ESTABLISHED
    [SS, SS, SS, SS], // SYN_SENT
    [SR, TW, ES, CL], // SYN_RECV
    [SS, FW, FW, CL], // FIN_WAIT
    [SS, TW, TW, TW], // TIME_WAIT
    [SS, CL, CL, CL], // CLOSE
    [SS, TW, CW, CL], // CLOSE_WAIT
    [SS, LA, LA, CL], // LAST_ACK
    [LI, LI, ES, CL], // LISTEN
    [SR, TW, ES, CL], // SYNACK
];

const INPUT_ONLY: Table = [
    [SR, CL, ES, CL], // NONE
    [ES, FW, ES, CL], // ESTABLISHED
    [ES, SS, SS, CL], // SYN_SENT
    [SR, TW, ES, SR], // SYN_RECV
    [SR, FW, FW, CL], // FIN_WAIT
    [SR, TW, TW, CL], // TIME_WAIT
    [SR, CL, CL, CL], // CLOSE
    [SR, CW, CW, CL], // CLOSE_WAIT
    [SR, LA, CL, LA], // LAST_ACK
    [SR, LI, LI, LI], // LISTEN
    [SR, TW, ES, CL], // SYNACK
];

// The stricter tables of the `secure_tcp` defence (C's `tcp_states_dos`): a client's ACK does
// not complete a handshake the real server has not answered, a reply's SYN+ACK moves a
// half-open connection to SYNACK, and a client SYN does not revive a finished one as SYN_RECV
// (so it does not count as active) but as SYNACK.

const INPUT_DOS: Table = [
    [SR, CL, ES, CL], // NONE
    [ES, CW, ES, CL], // ESTABLISHED
    [ES, SS, SS, CL], // SYN_SENT
    [SR, TW, SR, SR], // SYN_RECV
    [SR, TW, FW, CL], // FIN_WAIT
    [SR, TW, TW, CL], // TIME_WAIT
    [SR, CL, CL, CL], // CLOSE
    [SR, CW, CW, CL], // CLOSE_WAIT
    [SR, LA, CL, LA], // LAST_ACK
    [SR, LI, LI, LI], // LISTEN
    [SA, SA, SA, CL], // SYNACK
];

const OUTPUT_DOS: Table = [
    [SS, TW, ES, CL], // NONE
    [ES, FW, ES, CL], // ESTABLISHED
    [SS, SS, SS, SS], // SYN_SENT
    [SA, TW, ES, CL], // SYN_RECV
    [SS, FW, FW, CL], // FIN_WAIT
    [SS, TW, TW, TW], // TIME_WAIT
    [SS, CL, CL, CL], // CLOSE
    [SS, TW, CW, CL], // CLOSE_WAIT
    [SS, LA, LA, CL], // LAST_ACK
    [LI, LI, ES, CL], // LISTEN
    [SA, TW, ES, CL], // SYNACK
];

const INPUT_ONLY_DOS: Table = [
    [SA, CL, ES, CL], // NONE
    [ES, FW, ES, CL], // ESTABLISHED
    [ES, SS, SS, CL], // SYN_SENT
    [SR, TW, ES, SR], // SYN_RECV
    [SA, FW, FW, CL], // FIN_WAIT
    [SA, TW, TW, CL], // TIME_WAIT
    [SA, CL, CL, CL], // CLOSE
    [SA, CW, CW, CL], // CLOSE_WAIT
    [SA, LA, CL, LA], // LAST_ACK
    [SA, LI, LI, LI], // LISTEN
    [SA, TW, ES, CL], // SYNACK
];

/// The state after a packet with `tcp_flags` travelling `dir`, by the stricter tables when
/// `secure` (the `secure_tcp` defence is on). A packet with none of SYN/FIN/ACK/RST closes the
/// connection, as in C IPVS.
pub(crate) fn next(state: State, dir: Dir, tcp_flags: u8, secure: bool) -> State {
    let table = match (dir, secure) {
        (Dir::Input, false) => &INPUT,
        (Dir::Output, false) => &OUTPUT,
        (Dir::InputOnly, false) => &INPUT_ONLY,
        (Dir::Input, true) => &INPUT_DOS,
        (Dir::Output, true) => &OUTPUT_DOS,
        (Dir::InputOnly, true) => &INPUT_ONLY_DOS,
    };
    match event(tcp_flags) {
        Some(ev) => table[state as usize][ev as usize],
        None => State::Close,
    }
}

impl State {
    /// The state of C's number `n` (the sync protocol's).
    pub(crate) fn from_number(n: u16) -> Option<Self> {
        [NO, ES, SS, SR, FW, TW, CL, CW, LA, LI, SA]
            .get(usize::from(n))
            .copied()
    }

    /// Whether a connection in this state counts as active for its destination.
    pub(crate) fn is_active(self) -> bool {
        matches!(self, ES | SS | SR | SA)
    }

    /// The name `/proc/net/ip_vs_conn` prints.
    pub(crate) fn name(self) -> &'static str {
        match self {
            NO => "NONE",
            ES => "ESTABLISHED",
            SS => "SYN_SENT",
            SR => "SYN_RECV",
            FW => "FIN_WAIT",
            TW => "TIME_WAIT",
            CL => "CLOSE",
            CW => "CLOSE_WAIT",
            LA => "LAST_ACK",
            LI => "LISTEN",
            SA => "SYNACK",
        }
    }
}

/// Per-state timeouts in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timeouts(pub(crate) [u32; NSTATES]);

impl Default for Timeouts {
    fn default() -> Self {
        Self([2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120])
    }
}

impl Timeouts {
    /// The timeout of `s`, in seconds.
    pub(crate) fn get(&self, s: State) -> u32 {
        self.0[s as usize]
    }
}
