// SPDX-License-Identifier: GPL-2.0

//! SCTP associations as IPVS tracks them: the state a connection is in after each packet,
//! judged by its first chunk, with C IPVS's transitions and timeouts (RFC 4960's association
//! states as a real server sees them, plus states for lost and rejected INITs).

use super::inet::Bytes;
pub(crate) use super::tcp::Dir;

/// Bytes of the common header (ports, verification tag, checksum).
pub(crate) const HDR_LEN: usize = 12;
/// Offset of the CRC32c checksum inside the common header.
pub(crate) const CSUM_OFF: usize = 8;
/// Bytes of a chunk header (type, flags, length).
pub(crate) const CHUNK_HDR_LEN: usize = 4;

/// The checksum field's bytes for `crc`, the CRC32c (Castagnoli, initial value all ones, not
/// inverted at the end: the kernel's `skb_crc32c` with `!0`) of the packet from its common
/// header with the field zeroed (RFC 4960, appendix B: inverted, little-endian).
pub(crate) fn checksum_bytes(crc: u32) -> [u8; 4] {
    (!crc).to_le_bytes()
}

/// Chunk types the rules name (RFC 4960, section 3.2).
pub(crate) mod chunk {
    /// INIT: starts an association.
    pub(crate) const INIT: u8 = 1;
    /// ABORT: ends one at once.
    pub(crate) const ABORT: u8 = 6;
    /// COOKIE ECHO.
    pub(crate) const COOKIE_ECHO: u8 = 10;
    /// COOKIE ACK.
    pub(crate) const COOKIE_ACK: u8 = 11;
}

/// IPVS's view of an association (C's numbers, which the sync protocol carries).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum State {
    /// No packet seen yet.
    #[default]
    None = 0,
    /// The client's first INIT sent; no INIT ACK yet.
    Init1,
    /// A later INIT from the client.
    Init,
    /// The real server's INIT ACK sent.
    CookieSent,
    /// The client's COOKIE ECHO sent.
    CookieReplied,
    /// The real server started an association (its INIT).
    CookieWait,
    /// The client's INIT ACK to it.
    Cookie,
    /// The real server's COOKIE ECHO.
    CookieEchoed,
    /// Established.
    Established,
    /// The real server's SHUTDOWN.
    ShutdownSent,
    /// The client's SHUTDOWN.
    ShutdownReceived,
    /// The real server's SHUTDOWN ACK.
    ShutdownAckSent,
    /// An INIT answered by ABORT.
    Rejected,
    /// Closed.
    Closed,
}

/// Number of states.
pub(crate) const NSTATES: usize = 14;

/// What a packet's chunk means to the state machine (the table's columns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    /// DATA, SACK, HEARTBEAT and its ACK, ECN chunks, and any chunk type above 14.
    Data = 0,
    Init,
    InitAck,
    CookieEcho,
    CookieAck,
    Shutdown,
    ShutdownAck,
    ShutdownComplete,
    Error,
    Abort,
}

impl Event {
    /// The event of chunk type `t`.
    fn of_chunk(t: u8) -> Self {
        match t {
            1 => Self::Init,
            2 => Self::InitAck,
            6 => Self::Abort,
            7 => Self::Shutdown,
            8 => Self::ShutdownAck,
            9 => Self::Error,
            10 => Self::CookieEcho,
            11 => Self::CookieAck,
            14 => Self::ShutdownComplete,
            _ => Self::Data,
        }
    }
}

use State::{
    Closed as CL, Cookie as CO, CookieEchoed as CE, CookieReplied as CR, CookieSent as CS,
    CookieWait as CW, Established as ES, Init as IN, Init1 as I1, None as NO, Rejected as RJ,
    ShutdownAckSent as SA, ShutdownReceived as SR, ShutdownSent as SS,
};

/// For each current state (in [`State`] order), the next state on each [`Event`] (in its
/// order: data, INIT, INIT ACK, COOKIE ECHO, COOKIE ACK, SHUTDOWN, SHUTDOWN ACK, SHUTDOWN
/// COMPLETE, ERROR, ABORT).
type Table = [[State; 10]; NSTATES];

const INPUT: Table = [
    [ES, I1, CW, CR, ES, SR, CL, CL, CL, CL], // NONE
    [I1, IN, CW, IN, I1, I1, IN, CL, I1, CL], // INIT1
    [IN, IN, CW, IN, IN, IN, IN, CL, IN, CL], // INIT
    [CS, CS, CS, CR, CS, CS, CS, CS, CS, CL], // COOKIE_SENT
    [CR, CR, CR, CR, CR, CR, CR, CR, CR, CL], // COOKIE_REPLIED
    [CW, CW, CO, CW, CW, CW, CW, CW, CW, RJ], // COOKIE_WAIT
    [CO, CO, CO, CO, CO, CO, CO, CO, CO, CL], // COOKIE
    [CE, CE, CE, CE, ES, CE, CE, CE, CL, CL], // COOKIE_ECHOED
    [ES, ES, ES, ES, ES, SR, ES, ES, ES, CL], // ESTABLISHED
    [SS, SS, SS, SS, SS, SS, CL, SS, SS, CL], // SHUTDOWN_SENT
    [SR, SR, SR, SR, SR, SR, SR, SR, SR, CL], // SHUTDOWN_RECEIVED
    [SA, SA, SA, SA, SA, SA, CL, CL, SA, CL], // SHUTDOWN_ACK_SENT
    [RJ, IN, RJ, RJ, RJ, RJ, RJ, RJ, RJ, CL], // REJECTED
    [CL, IN, CL, CL, CL, CL, CL, CL, CL, CL], // CLOSED
];

const OUTPUT: Table = [
    [ES, CW, CS, CE, ES, SS, SA, CL, CL, CL], // NONE
    [I1, CW, CS, CE, ES, SS, SA, I1, CL, RJ], // INIT1
    [IN, CW, CS, CE, ES, SS, SA, IN, CL, CL], // INIT
    [CS, CW, CS, CE, ES, SS, SA, CS, CL, CL], // COOKIE_SENT
    [CR, CW, CR, CE, ES, SS, SA, CR, CL, CL], // COOKIE_REPLIED
    [CW, CW, CW, CE, ES, SS, CW, CW, CW, CL], // COOKIE_WAIT
    [CO, CW, CO, CE, ES, SS, CO, CO, CO, CL], // COOKIE
    [CE, CW, CE, CE, ES, SS, CE, CE, CE, CL], // COOKIE_ECHOED
    [ES, ES, ES, ES, ES, SS, ES, ES, ES, CL], // ESTABLISHED
    [SS, CW, SS, SS, SS, SS, SA, SS, SS, CL], // SHUTDOWN_SENT
    [SR, CW, SR, SR, SR, SR, SA, SR, SR, CL], // SHUTDOWN_RECEIVED
    [SA, CW, SA, SA, SA, SA, SA, SA, SA, CL], // SHUTDOWN_ACK_SENT
    [RJ, CW, RJ, RJ, RJ, RJ, RJ, RJ, RJ, CL], // REJECTED
    [CL, CW, CL, CL, CL, CL, CL, CL, CL, CL], // CLOSED
];

/// A client's packets while the real server answers it directly (DR, TUN): the client's
/// COOKIE ECHO or DATA tells what the unseen replies were.
const INPUT_ONLY: Table = [
    [ES, I1, CE, ES, ES, SR, CL, CL, CL, CL], // NONE
    [I1, IN, CE, ES, I1, I1, IN, CL, I1, CL], // INIT1
    [IN, IN, CE, ES, IN, IN, IN, CL, IN, CL], // INIT
    [CS, IN, CE, ES, ES, CS, CS, CL, CS, CL], // COOKIE_SENT
    [CR, IN, CE, ES, ES, CR, CR, CL, CR, CL], // COOKIE_REPLIED
    [ES, IN, CE, ES, CW, CW, CW, CW, CW, RJ], // COOKIE_WAIT
    [CO, CO, CO, CO, ES, CO, CO, CO, CO, CL], // COOKIE
    [CE, CE, CE, CE, ES, CE, CE, CE, CE, CL], // COOKIE_ECHOED
    [ES, ES, ES, ES, ES, SR, CL, ES, ES, CL], // ESTABLISHED
    [SS, SS, SS, SS, SS, SS, CL, SS, SS, CL], // SHUTDOWN_SENT
    [SR, SR, SR, SR, SR, SR, SR, CL, SR, CL], // SHUTDOWN_RECEIVED
    [SA, SA, SA, SA, SA, SA, CL, CL, SA, CL], // SHUTDOWN_ACK_SENT
    [RJ, IN, RJ, RJ, RJ, RJ, RJ, RJ, RJ, CL], // REJECTED
    [CL, IN, CL, CL, CL, CL, CL, CL, CL, CL], // CLOSED
];

/// The chunk a packet's state change is judged by: its first chunk's type `first`, but an
/// ABORT bundled right after a leading COOKIE ECHO or COOKIE ACK (`second`: the type of the
/// chunk that follows the first, if the packet has one) counts instead (RFC 4960, 3.3.7:
/// control chunks before an ABORT).
pub(crate) fn deciding_chunk(first: u8, second: Option<u8>) -> u8 {
    match (first, second) {
        (chunk::COOKIE_ECHO | chunk::COOKIE_ACK, Some(chunk::ABORT)) => chunk::ABORT,
        _ => first,
    }
}

/// The chunk types of a packet that its connection's handling reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Chunks {
    /// The first chunk's type: whether the packet may start a connection, or is an ABORT.
    pub(crate) first: u8,
    /// The type its state change is judged by ([`deciding_chunk`]).
    pub(crate) deciding: u8,
}

/// Reads the chunk types of the SCTP packet whose common header is at `off` of `b`; `None` if
/// it has no whole chunk header.
pub(crate) fn chunks(b: &(impl Bytes + ?Sized), off: usize) -> Option<Chunks> {
    let mut h = [0u8; CHUNK_HDR_LEN];
    let first = off.checked_add(HDR_LEN)?;
    let c = b.read(first, &mut h)?;
    let (t, len) = (c[0], usize::from(u16::from_be_bytes([c[2], c[3]])));
    let second = if matches!(t, chunk::COOKIE_ECHO | chunk::COOKIE_ACK) && len >= CHUNK_HDR_LEN {
        let mut h2 = [0u8; CHUNK_HDR_LEN];
        first
            .checked_add(len.next_multiple_of(4))
            .and_then(|at| b.read(at, &mut h2).map(|c| c[0]))
    } else {
        None
    };
    Some(Chunks {
        first: t,
        deciding: deciding_chunk(t, second),
    })
}

/// The state after a packet whose deciding chunk is of type `t`, travelling `dir`.
pub(crate) fn next(state: State, dir: Dir, t: u8) -> State {
    let table = match dir {
        Dir::Input => &INPUT,
        Dir::Output => &OUTPUT,
        Dir::InputOnly => &INPUT_ONLY,
    };
    table[state as usize][Event::of_chunk(t) as usize]
}

/// Whether a client packet whose first chunk is `t` may start a connection: an INIT, or with
/// `sloppy` (the `sloppy_sctp` sysctl) any chunk but ABORT.
pub(crate) fn may_start(t: u8, sloppy: bool) -> bool {
    t != chunk::ABORT && (sloppy || t == chunk::INIT)
}

/// The longest retransmission timeout an association waits for an answer with (60 s), plus a
/// second, in seconds.
const MAX_RTO_S: u32 = 61;

impl State {
    /// The state of C's number `n` (the sync protocol's).
    pub(crate) fn from_number(n: u16) -> Option<Self> {
        [NO, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL]
            .get(usize::from(n))
            .copied()
    }

    /// Whether a connection in this state counts as active for its destination.
    pub(crate) fn is_active(self) -> bool {
        self == ES
    }

    /// How long (seconds) a connection stays in this state without packets.
    pub(crate) fn timeout(self) -> u32 {
        match self {
            NO => 2,
            I1 | RJ => 4,
            ES => 15 * 60,
            _ => MAX_RTO_S,
        }
    }

    /// The name `/proc/net/ip_vs_conn` and `ipvsadm -Lnc` print.
    pub(crate) fn name(self) -> &'static str {
        match self {
            NO => "NONE",
            I1 => "INIT1",
            IN => "INIT",
            CS => "C-SENT",
            CR => "C-REPLIED",
            CW => "C-WAIT",
            CO => "COOKIE",
            CE => "C-ECHOED",
            ES => "ESTABLISHED",
            SS => "S-SENT",
            SR => "S-RECEIVED",
            SA => "S-ACK-SENT",
            RJ => "REJECTED",
            CL => "CLOSED",
        }
    }
}
