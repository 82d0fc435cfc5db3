// SPDX-License-Identifier: GPL-2.0

//! SIP, for the `sip` persistence engine: the Call-ID of a UDP SIP message, which its
//! persistence template is keyed by (C: `ip_vs_pe_sip`'s `get_callid` over conntrack's
//! `ct_sip_get_header`), found exactly as C finds it.
//!
//! Pure code.

/// The longest Call-ID kept (C: `IP_VS_PEDATA_MAXLEN`).
pub(crate) const CALLID_MAXLEN: usize = 255;

/// The span (offset, length) of the Call-ID in the UDP payload `msg`: the value of the first
/// well-formed `Call-ID:` (or compact `i:`) header, a word with an optional `@host`, which must be
/// followed by a line end. `None` when there is none or it is longer than [`CALLID_MAXLEN`].
pub(crate) fn call_id(msg: &[u8]) -> Option<(usize, usize)> {
    let mut from = 0;
    let (off, len) = loop {
        match find_header(msg, from) {
            Found::Value(off, len) => break (off, len),
            Found::None => return None,
            // A header with no usable value: C searches on, from the offset of that value
            // added to where it started (an offset of the message, so this may skip ahead).
            Found::Bad(off) => from += off,
        }
    };
    let end = off + len;
    if len > CALLID_MAXLEN || end == msg.len() || !matches!(msg.get(end), Some(b'\r' | b'\n')) {
        return None;
    }
    Some((off, len))
}

enum Found {
    /// The value's offset and length.
    Value(usize, usize),
    /// A header whose value starts at this offset but has no Call-ID in it.
    Bad(usize),
    /// No header.
    None,
}

/// Finds the Call-ID header on a line that starts after `from` (the first line, the request or
/// status line, never counts).
fn find_header(msg: &[u8], from: usize) -> Found {
    let limit = msg.len();
    let mut p = from;
    while p < limit {
        // The start of a line.
        if msg[p] != b'\r' && msg[p] != b'\n' {
            p += 1;
            continue;
        }
        p += 1;
        if p >= limit {
            break;
        }
        if msg[p - 1] == b'\r' && msg[p] == b'\n' {
            p += 1;
            if p >= limit {
                break;
            }
        }
        // Continuation lines are skipped.
        if msg[p] == b' ' || msg[p] == b'\t' {
            continue;
        }
        let rest = &msg[p..];
        if rest.len() >= 7 && rest[..7].eq_ignore_ascii_case(b"Call-Id") {
            p += 7;
        } else if rest.len() >= 2
            && rest[0].eq_ignore_ascii_case(&b'i')
            && !rest[1].is_ascii_alphabetic()
        {
            // The compact form must not be the start of a longer name.
            p += 1;
        } else {
            continue;
        }
        let Some(q) = skip_whitespace(msg, p) else {
            break;
        };
        if msg[q] != b':' || q + 1 >= limit {
            break;
        }
        let Some(v) = skip_whitespace(msg, q + 1) else {
            break;
        };
        return match callid_len(&msg[v..]) {
            0 => Found::Bad(v),
            n => Found::Value(v, n),
        };
    }
    Found::None
}

/// Skips blanks, and one line end if a continuation line follows it: the next offset, if any
/// is left (C: `sip_skip_whitespace`).
fn skip_whitespace(msg: &[u8], mut p: usize) -> Option<usize> {
    while p < msg.len() {
        match msg[p] {
            b' ' | b'\t' => p += 1,
            b'\r' | b'\n' => {
                p = follow_continuation(msg, p)?;
                break;
            }
            _ => break,
        }
    }
    (p < msg.len()).then_some(p)
}

/// From a line end at `p`, the first non-blank of the continuation line after it, if the next
/// line is one (C: `sip_follow_continuation`).
fn follow_continuation(msg: &[u8], mut p: usize) -> Option<usize> {
    p += 1;
    if p >= msg.len() {
        return None;
    }
    if msg[p - 1] == b'\r' && msg[p] == b'\n' {
        p += 1;
        if p >= msg.len() {
            return None;
        }
    }
    if msg[p] != b' ' && msg[p] != b'\t' {
        return None;
    }
    while p < msg.len() && (msg[p] == b' ' || msg[p] == b'\t') {
        p += 1;
    }
    Some(p)
}

/// The characters of a SIP word (C: `iswordc`). ASCII only, as SIP's grammar has them; the
/// kernel's `isalnum` would also take Latin-1 letters.
fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'!' | b'"' | b'%' | b'('..=b'+' | b':' | b'<' | b'>' | b'?'
        )
        || matches!(c, b'['..=b']' | b'_' | b'`' | b'{' | b'}' | b'~' | b'-'..=b'/' | b'\'')
}

fn word_len(s: &[u8]) -> usize {
    s.iter().take_while(|&&c| is_word(c)).count()
}

/// The length of a Call-ID at the start of `s`: a word, or `word@word` (0: none).
fn callid_len(s: &[u8]) -> usize {
    let len = word_len(s);
    if len == 0 || s.get(len) != Some(&b'@') {
        return len;
    }
    match word_len(&s[len + 1..]) {
        0 => 0,
        d => len + 1 + d,
    }
}
