// SPDX-License-Identifier: GPL-2.0

//! `ipvs_ctl/nlattr.rs`: attribute iteration, `nla_parse` rules, `validate_nla` errnos (non-strict
//! mode, as `lib/nlattr.c`), the `get_*` readers and the `Writer`.

use crate::ipvs_ctl::nlattr::{self, align, Attrs, Errno, Policy, Writer, NLA_HDRLEN};

/// A raw attribute header claiming `len` bytes, followed by `payload` as is (no padding).
fn raw(len: u16, ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&len.to_ne_bytes());
    v.extend_from_slice(&ty.to_ne_bytes());
    v.extend_from_slice(payload);
    v
}

/// A well-formed attribute, padded to 4 bytes with zeros.
fn attr(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = raw((NLA_HDRLEN + payload.len()) as u16, ty, payload);
    v.resize(align(v.len()), 0);
    v
}

/// Everything the iterator yields.
fn collect(buf: &[u8]) -> Vec<(u16, Vec<u8>)> {
    Attrs::new(buf).map(|(t, d)| (t, d.to_vec())).collect()
}

/// Validates one attribute of type 1 against `p`; on success also checks that `parse` stored
/// exactly the payload.
fn check(p: Policy, payload: &[u8]) -> Result<(), Errno> {
    let buf = attr(1, payload);
    let tb = nlattr::parse(&buf, &[Policy::Unspec, p])?;
    assert_eq!(tb[1], Some(payload), "{p:?} stored a different payload");
    Ok(())
}

#[test]
fn errno_values_are_linux_ones() {
    let all = [
        (Errno::EINVAL, 22),
        (Errno::ERANGE, 34),
        (Errno::EMSGSIZE, 90),
        (Errno::EAFNOSUPPORT, 97),
    ];
    for (e, v) in all {
        assert_eq!(e.0, v, "{e:?}");
    }
}

#[test]
fn align_rounds_up_to_four() {
    let got: Vec<usize> = (0..10).map(align).collect();
    assert_eq!(got, [0, 4, 4, 4, 4, 8, 8, 8, 8, 12]);
}

#[test]
fn iteration_skips_padding() {
    let buf = [
        attr(1, &[0xaa]),
        attr(2, &[1, 2, 3, 4]),
        attr(3, &[]),
        attr(4, &[5, 6, 7]),
    ]
    .concat();
    assert_eq!(buf.len(), 8 + 8 + 4 + 8);
    assert_eq!(
        collect(&buf),
        [
            (1, vec![0xaa]),
            (2, vec![1, 2, 3, 4]),
            (3, vec![]),
            (4, vec![5, 6, 7])
        ]
    );
}

#[test]
fn iteration_accepts_a_last_attribute_without_padding() {
    // Header says 5 bytes, the buffer ends right there (no padding bytes at all).
    let buf = raw(5, 7, &[9]);
    assert_eq!(collect(&buf), [(7, vec![9])]);
}

#[test]
fn iteration_stops_at_len_below_header_size() {
    for bad_len in 0..4 {
        let buf = [attr(1, &[1]), raw(bad_len, 2, &[0; 4]), attr(3, &[3])].concat();
        assert_eq!(collect(&buf), [(1, vec![1])], "nla_len = {bad_len}");
    }
}

#[test]
fn iteration_stops_at_len_beyond_remaining() {
    // 9 bytes claimed, 8 left (header + 4 payload bytes): stop.
    let buf = [attr(1, &[1]), raw(9, 2, &[0, 0, 0, 0])].concat();
    assert_eq!(collect(&buf), [(1, vec![1])]);
    // Claiming exactly what is left is fine.
    let buf = [attr(1, &[1]), raw(8, 2, &[0, 0, 0, 0])].concat();
    assert_eq!(collect(&buf), [(1, vec![1]), (2, vec![0; 4])]);
}

#[test]
fn iteration_ignores_a_trailing_partial_header() {
    let buf = [attr(1, &[1]), vec![8, 0, 2]].concat();
    assert_eq!(collect(&buf), [(1, vec![1])]);
    assert_eq!(collect(&[]), []);
}

#[test]
fn type_flags_are_masked_off() {
    let buf = [
        attr(0x8000 | 2, &[]),
        attr(0x4000 | 3, &[]),
        attr(0xc000 | 4, &[]),
        attr(0x2000 | 5, &[]), // not a flag: stays in the type
    ]
    .concat();
    let types: Vec<u16> = Attrs::new(&buf).map(|(t, _)| t).collect();
    assert_eq!(types, [2, 3, 4, 0x2005]);
}

#[test]
fn parse_ignores_type_zero_and_types_above_max() {
    // Types 0 and 3 carry payloads their would-be policies reject: they must not be validated.
    let policy = [Policy::U32, Policy::U16, Policy::U32];
    let buf = [
        attr(0, &[1]),
        attr(3, &[1]),
        attr(1, &[7, 0]),
        attr(0x8000 | 4, &[]),
    ]
    .concat();
    let tb = nlattr::parse(&buf, &policy).unwrap();
    assert_eq!(tb, [None, Some(&[7u8, 0][..]), None]);
}

#[test]
fn parse_last_duplicate_wins_but_every_copy_is_validated() {
    let policy = [Policy::Unspec, Policy::U16];
    let buf = [attr(1, &[1, 0]), attr(1, &[2, 0]), attr(1, &[3, 0, 0])].concat();
    assert_eq!(
        nlattr::parse(&buf, &policy).unwrap()[1],
        Some(&[3u8, 0, 0][..])
    );
    let buf = [attr(1, &[1]), attr(1, &[2, 0])].concat();
    assert_eq!(nlattr::parse(&buf, &policy), Err(Errno::ERANGE));
}

#[test]
fn parse_stops_at_a_malformed_header_without_error() {
    let policy = [Policy::Unspec, Policy::U8, Policy::U8];
    let buf = [attr(1, &[1]), raw(2, 2, &[0, 0])].concat();
    assert_eq!(
        nlattr::parse(&buf, &policy).unwrap(),
        [None, Some(&[1u8][..]), None]
    );
}

#[test]
fn parse_sees_flagged_types() {
    let policy = [Policy::Unspec, Policy::Nested];
    let buf = attr(0x8000 | 1, &attr(2, &[5]));
    let tb = nlattr::parse(&buf, &policy).unwrap();
    assert_eq!(tb[1], Some(&attr(2, &[5])[..]));
}

#[test]
fn validate_integers_need_at_least_their_size() {
    assert_eq!(check(Policy::U8, &[]), Err(Errno::ERANGE));
    assert_eq!(check(Policy::U8, &[1]), Ok(()));
    assert_eq!(check(Policy::U8, &[1, 2]), Ok(()));
    assert_eq!(check(Policy::U16, &[]), Err(Errno::ERANGE));
    assert_eq!(check(Policy::U16, &[1]), Err(Errno::ERANGE));
    assert_eq!(check(Policy::U16, &[1, 2]), Ok(()));
    assert_eq!(check(Policy::U16, &[1, 2, 3, 4, 5]), Ok(()));
    assert_eq!(check(Policy::U32, &[1, 2, 3]), Err(Errno::ERANGE));
    assert_eq!(check(Policy::U32, &[1, 2, 3, 4]), Ok(()));
    assert_eq!(check(Policy::U32, &[0; 8]), Ok(()));
}

#[test]
fn validate_nul_string() {
    let p = Policy::NulString(15);
    let x15 = [b'x'; 15];
    // Empty, or no NUL at all: EINVAL.
    assert_eq!(check(p, b""), Err(Errno::EINVAL));
    assert_eq!(check(p, b"rr"), Err(Errno::EINVAL));
    // Properly terminated, up to max characters.
    assert_eq!(check(p, b"\0"), Ok(()));
    assert_eq!(check(p, b"rr\0"), Ok(()));
    assert_eq!(check(p, &[&x15[..], b"\0"].concat()), Ok(()));
    // 16 characters + NUL: no NUL within the first max+1 = 16 bytes -> EINVAL, not ERANGE.
    assert_eq!(check(p, &[&x15[..], b"x\0"].concat()), Err(Errno::EINVAL));
    // A NUL within the window but too long after dropping one trailing NUL (17, 17 and 16
    // bytes): ERANGE.
    assert_eq!(check(p, &[&x15[..], b"\0y"].concat()), Err(Errno::ERANGE));
    assert_eq!(
        check(p, &[b"rr\0".as_slice(), &[0; 14]].concat()),
        Err(Errno::ERANGE)
    );
    assert_eq!(
        check(p, &[b"rr\0".as_slice(), &[b'z'; 13]].concat()),
        Err(Errno::ERANGE)
    );
    // Exactly 16 bytes ending in NUL, with an inner NUL: 15 after dropping the last one.
    assert_eq!(
        check(p, &[b"rr\0".as_slice(), &[b'z'; 12], b"\0"].concat()),
        Ok(())
    );
    // A single trailing NUL is dropped, not two.
    assert_eq!(check(p, &[&x15[..], b"\0\0"].concat()), Err(Errno::ERANGE));
}

#[test]
fn validate_binary_max() {
    let p = Policy::Binary(16);
    assert_eq!(check(p, &[]), Ok(()));
    assert_eq!(check(p, &[1; 4]), Ok(()));
    assert_eq!(check(p, &[1; 16]), Ok(()));
    assert_eq!(check(p, &[1; 17]), Err(Errno::ERANGE));
}

#[test]
fn validate_nested() {
    assert_eq!(check(Policy::Nested, &[]), Ok(()));
    for n in 1..4 {
        assert_eq!(
            check(Policy::Nested, &vec![0; n]),
            Err(Errno::ERANGE),
            "{n} bytes"
        );
    }
    assert_eq!(check(Policy::Nested, &attr(1, &[])), Ok(()));
    // Without a nested policy the contents are not looked at.
    assert_eq!(check(Policy::Nested, &[0xff; 5]), Ok(()));
}

#[test]
fn validate_min_len_and_unspec() {
    assert_eq!(check(Policy::MinLen(16), &[0; 15]), Err(Errno::ERANGE));
    assert_eq!(check(Policy::MinLen(16), &[0; 16]), Ok(()));
    assert_eq!(check(Policy::MinLen(16), &[0; 17]), Ok(()));
    assert_eq!(check(Policy::Unspec, &[]), Ok(()));
    assert_eq!(check(Policy::Unspec, &[0; 40]), Ok(()));
}

#[test]
fn getters() {
    assert_eq!(nlattr::get_u8(&[0xab, 0xcd]), 0xab);
    assert_eq!(nlattr::get_u16(&0x1234u16.to_ne_bytes()), 0x1234);
    assert_eq!(nlattr::get_be16(&[0x1f, 0x90]), 8080);
    assert_eq!(nlattr::get_u32(&0xdead_beefu32.to_ne_bytes()), 0xdead_beef);
    // Longer payloads: only the leading bytes count.
    assert_eq!(
        nlattr::get_u32(&[&0x0102_0304u32.to_ne_bytes()[..], &[0xff; 4]].concat()),
        0x0102_0304
    );
    assert_eq!(
        nlattr::get_bytes::<16>(&[10, 0, 0, 1]),
        [10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    assert_eq!(nlattr::get_bytes::<4>(&[1, 2, 3, 4, 5, 6]), [1, 2, 3, 4]);
    assert_eq!(nlattr::get_str(b"wlc\0junk"), b"wlc");
    assert_eq!(nlattr::get_str(b"wlc"), b"wlc");
    assert_eq!(nlattr::get_str(b"\0"), b"");
}

// Byte-exact layouts below spell integers little-endian (netlink is host order).
#[cfg(target_endian = "little")]
#[test]
fn writer_scalars_byte_exact() {
    let mut buf = [0xffu8; 64]; // dirty: padding must be written as zeros
    let mut w = Writer::new(&mut buf);
    w.put_u8(5, 7).unwrap();
    w.put_u16(1, 0x1234).unwrap();
    w.put_be16(4, 0x1f90).unwrap();
    w.put_u32(2, 0xdead_beef).unwrap();
    w.put_str(3, b"rr").unwrap();
    w.put_u64(6, 0x0102_0304_0506_0708).unwrap();
    w.put(9, &[]).unwrap();
    #[rustfmt::skip]
    let want: &[u8] = &[
        5, 0, 5, 0, 7, 0, 0, 0,
        6, 0, 1, 0, 0x34, 0x12, 0, 0,
        6, 0, 4, 0, 0x1f, 0x90, 0, 0,
        8, 0, 2, 0, 0xef, 0xbe, 0xad, 0xde,
        7, 0, 3, 0, b'r', b'r', 0, 0,
        12, 0, 6, 0, 8, 7, 6, 5, 4, 3, 2, 1,
        4, 0, 9, 0,
    ];
    assert_eq!(w.len(), want.len());
    assert_eq!(w.bytes(), want);
    // Nothing beyond the written length is touched.
    assert!(buf[want.len()..].iter().all(|&b| b == 0xff));
}

#[cfg(target_endian = "little")]
#[test]
fn writer_nests_byte_exact() {
    let mut buf = [0xffu8; 64];
    let mut w = Writer::new(&mut buf);
    let outer = w.nest_start(1).unwrap();
    assert_eq!(outer, 0);
    w.put_u8(2, 9).unwrap();
    let inner = w.nest_start(3).unwrap();
    w.put_str(4, b"abc").unwrap();
    w.nest_end(inner);
    let empty = w.nest_start(5).unwrap();
    w.nest_end(empty);
    w.nest_end(outer);
    w.put_u8(6, 1).unwrap();
    #[rustfmt::skip]
    let want: &[u8] = &[
        28, 0, 1, 0,                    // outer: covers the padded children, no NLA_F_NESTED
        5, 0, 2, 0, 9, 0, 0, 0,         // u8 + 3 padding bytes
        12, 0, 3, 0,                    // inner nest
        8, 0, 4, 0, b'a', b'b', b'c', 0,
        4, 0, 5, 0,                     // empty nest
        5, 0, 6, 0, 1, 0, 0, 0,         // after the nest
    ];
    assert_eq!(w.bytes(), want);
}

#[test]
fn writer_reports_emsgsize_and_writes_nothing() {
    // A u16 attribute takes 8 bytes; a u8 takes 8 too (padding must fit).
    let mut buf = [0u8; 7];
    let mut w = Writer::new(&mut buf);
    assert_eq!(w.put_u16(1, 1), Err(Errno::EMSGSIZE));
    assert_eq!(w.len(), 0);
    let mut buf = [0u8; 13];
    let mut w = Writer::new(&mut buf);
    w.put_u32(1, 0x1111_1111).unwrap();
    let before = w.bytes().to_vec();
    assert_eq!(w.put_u8(2, 1), Err(Errno::EMSGSIZE));
    assert_eq!(w.put_str(3, b"abc"), Err(Errno::EMSGSIZE));
    assert_eq!(w.len(), 8);
    assert_eq!(w.bytes(), &before[..]);
    w.put(4, &[]).unwrap(); // a bare header still fits
    assert_eq!(w.len(), 12);
    assert_eq!(w.nest_start(5), Err(Errno::EMSGSIZE));
    assert_eq!(w.len(), 12);
}

#[test]
fn writer_rejects_attributes_longer_than_nla_len_can_say() {
    let mut buf = vec![0u8; 70_000];
    let mut w = Writer::new(&mut buf);
    assert_eq!(w.put(1, &vec![0; 65_532]), Err(Errno::EMSGSIZE));
    assert_eq!(w.len(), 0);
    w.put(1, &vec![0; 65_531]).unwrap();
    assert_eq!(w.len(), 65_536);
    assert_eq!(collect(w.bytes()).len(), 1);
}

#[test]
fn writer_round_trips_through_parse() {
    const POLICY: [Policy; 8] = [
        Policy::Unspec,
        Policy::U8,
        Policy::U16,
        Policy::U16,
        Policy::U32,
        Policy::NulString(15),
        Policy::Binary(16),
        Policy::Nested,
    ];
    let mut buf = [0u8; 256];
    let mut w = Writer::new(&mut buf);
    w.put_u8(1, 0xfe).unwrap();
    w.put_u16(2, 0xbeef).unwrap();
    w.put_be16(3, 443).unwrap();
    w.put_u32(4, 0x8000_0001).unwrap();
    w.put_str(5, b"wrr").unwrap();
    w.put(6, &[192, 168, 0, 1]).unwrap();
    let n = w.nest_start(7).unwrap();
    w.put_u32(1, 42).unwrap();
    w.put_u32(2, 43).unwrap();
    w.nest_end(n);
    let tb = nlattr::parse(w.bytes(), &POLICY).unwrap();
    assert_eq!(tb[0], None);
    assert_eq!(nlattr::get_u8(tb[1].unwrap()), 0xfe);
    assert_eq!(nlattr::get_u16(tb[2].unwrap()), 0xbeef);
    assert_eq!(nlattr::get_be16(tb[3].unwrap()), 443);
    assert_eq!(tb[3].unwrap(), [0x01, 0xbb]);
    assert_eq!(nlattr::get_u32(tb[4].unwrap()), 0x8000_0001);
    assert_eq!(tb[5].unwrap(), b"wrr\0");
    assert_eq!(nlattr::get_str(tb[5].unwrap()), b"wrr");
    assert_eq!(
        nlattr::get_bytes::<16>(tb[6].unwrap())[..5],
        [192, 168, 0, 1, 0]
    );
    let nested =
        nlattr::parse(tb[7].unwrap(), &[Policy::Unspec, Policy::U32, Policy::U32]).unwrap();
    assert_eq!(
        nested.map(|a| a.map(nlattr::get_u32)),
        [None, Some(42), Some(43)]
    );
}
