// SPDX-License-Identifier: GPL-2.0

//! The SIP persistence engine's Call-ID parser (`ipvs_proto/sip.rs`), against the cases
//! conntrack's `ct_sip_get_header` and `ip_vs_pe_sip`'s `get_callid` decide.

use crate::ipvs_proto::sip::call_id;

fn id(msg: &str) -> Option<&str> {
    call_id(msg.as_bytes()).map(|(o, l)| &msg[o..o + l])
}

#[test]
fn finds_the_call_id() {
    let m = concat!(
        "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2\r\n",
        "Call-ID: a84b4c76e66710@pc33.example.com\r\nCSeq: 1 INVITE\r\n\r\n"
    );
    assert_eq!(id(m), Some("a84b4c76e66710@pc33.example.com"));
}

#[test]
fn compact_form_case_and_blanks() {
    assert_eq!(
        id("OPTIONS sip:x SIP/2.0\r\ni:  xyz-1\r\n\r\n"),
        Some("xyz-1")
    );
    assert_eq!(
        id("OPTIONS sip:x SIP/2.0\ncall-id\t:\tabc\n\n"),
        Some("abc")
    );
    // A header value on a continuation line.
    assert_eq!(
        id("OPTIONS sip:x SIP/2.0\r\nCall-ID:\r\n  cont@host\r\n\r\n"),
        Some("cont@host")
    );
    // "i" only as a name of its own: "Iabc:" is another header.
    assert_eq!(
        id("OPTIONS sip:x SIP/2.0\r\nIabc: zz\r\nCall-ID: real\r\n\r\n"),
        Some("real")
    );
}

#[test]
fn what_c_refuses() {
    // On the first line: never a header.
    assert_eq!(id("Call-ID: first\r\n\r\n"), None);
    // Not followed by a line end.
    assert_eq!(id("X sip:x SIP/2.0\r\nCall-ID: end"), None);
    // Longer than 255.
    let long = format!("X sip:x SIP/2.0\r\nCall-ID: {}\r\n\r\n", "a".repeat(256));
    assert_eq!(id(&long), None);
    let max = format!("X sip:x SIP/2.0\r\nCall-ID: {}\r\n\r\n", "a".repeat(255));
    assert_eq!(id(&max).map(str::len), Some(255));
    // No colon after the name: C stops looking.
    assert_eq!(
        id("X sip:x SIP/2.0\r\nCall-IDs: a\r\nCall-ID: b\r\n\r\n"),
        None
    );
    // A domain part must not be empty.
    assert_eq!(id("X sip:x SIP/2.0\r\nCall-ID: abc@\r\n\r\n"), None);
    // No Call-ID at all, and not SIP at all.
    assert_eq!(id("X sip:x SIP/2.0\r\nVia: a\r\n\r\n"), None);
    assert_eq!(id("ping\n"), None);
    assert_eq!(id(""), None);
}

#[test]
fn a_bad_value_searches_on() {
    // The first Call-ID has no word: C searches again from that value's offset.
    assert_eq!(
        id("X sip:x SIP/2.0\r\nCall-ID: ;\r\nCall-ID: second\r\n\r\n"),
        Some("second")
    );
}
