// SPDX-License-Identifier: GPL-2.0

//! `ipvs_ctl/msg.rs`: request parsing with `ip_vs_genl_parse_service`/`_dest`'s rules, and the
//! reply encoders' exact attribute layout (`ip_vs_genl_fill_service`/`_dest`/`_stats`).
//!
//! Requests are built the way ipvsadm 1.31 (libipvs `ipvs_nl_fill_service_attr` /
//! `ipvs_nl_fill_dest_attr`) builds them, with the module's own `Writer`.

use crate::ipvs_ctl::msg::{self, DestConf, DestView, Name, Stats, SvcKey, SvcReq, SvcView};
use crate::ipvs_ctl::nlattr::{self, align, Attrs, Errno, Policy, Writer};
use crate::ipvs_ctl::uapi::{self, cmd_attr, dest_attr, info_attr, stats_attr, svc_attr};

/// One request attribute, written with the matching `Writer` method.
#[derive(Clone, Debug)]
enum Val {
    U8(u8),
    U16(u16),
    /// A port: libipvs `NLA_PUT_U16`s a value already in network order.
    Be16(u16),
    U32(u32),
    Str(&'static [u8]),
    Raw(Vec<u8>),
}
use Val::{Be16, Raw, Str, U16, U32, U8};

type Attr = (u16, Val);

/// Appends `attrs` in order.
fn put_all(w: &mut Writer<'_>, attrs: &[Attr]) {
    for (ty, v) in attrs {
        let ty = *ty;
        match v {
            U8(x) => w.put_u8(ty, *x),
            U16(x) => w.put_u16(ty, *x),
            Be16(x) => w.put_be16(ty, *x),
            U32(x) => w.put_u32(ty, *x),
            Str(s) => w.put_str(ty, s),
            Raw(b) => w.put(ty, b),
        }
        .unwrap();
    }
}

/// A request's attribute area: one nest per `(nest type, attributes)`.
fn request(nests: &[(u16, &[Attr])]) -> Vec<u8> {
    let mut buf = vec![0u8; 2048];
    let mut w = Writer::new(&mut buf);
    for (ty, attrs) in nests {
        let n = w.nest_start(*ty).unwrap();
        put_all(&mut w, attrs);
        w.nest_end(n);
    }
    w.bytes().to_vec()
}

/// `attrs` without any attribute of type `ty`.
fn without(attrs: &[Attr], ty: u16) -> Vec<Attr> {
    attrs.iter().filter(|(t, _)| *t != ty).cloned().collect()
}

/// `attrs` with the value of `ty` replaced (or appended if absent).
fn with(attrs: &[Attr], ty: u16, v: Val) -> Vec<Attr> {
    let mut out = without(attrs, ty);
    match attrs.iter().position(|(t, _)| *t == ty) {
        Some(i) => out.insert(i, (ty, v)),
        None => out.push((ty, v)),
    }
    out
}

/// Parses a request carrying one service nest with `attrs`.
fn parse_svc(attrs: &[Attr], full: bool) -> Result<SvcReq, Errno> {
    let req = request(&[(cmd_attr::SERVICE, attrs)]);
    let cmd = msg::parse_cmd(&req).unwrap();
    msg::parse_service(cmd[cmd_attr::SERVICE as usize], full)
}

/// Parses a request carrying one destination nest with `attrs`.
fn parse_dst(attrs: &[Attr], full: bool) -> Result<msg::DestReq, Errno> {
    let req = request(&[(cmd_attr::DEST, attrs)]);
    let cmd = msg::parse_cmd(&req).unwrap();
    msg::parse_dest(cmd[cmd_attr::DEST as usize], full)
}

/// An IPv4 address in a 16-byte `union nf_inet_addr`.
fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..4].copy_from_slice(&a);
    b
}

/// `struct ip_vs_flags { flags, mask }` as bytes.
fn flags_bytes(flags: u32, mask: u32) -> Vec<u8> {
    [flags.to_ne_bytes(), mask.to_ne_bytes()].concat()
}

const VIP: [u8; 4] = [192, 168, 10, 1];
const RIP: [u8; 4] = [10, 0, 0, 2];

/// `ipvsadm -A -t 192.168.10.1:80 -s rr -p 300`'s service nest.
fn ipvsadm_service() -> Vec<Attr> {
    vec![
        (svc_attr::AF, U16(uapi::AF_INET)),
        (svc_attr::PROTOCOL, U16(uapi::IPPROTO_TCP)),
        (svc_attr::ADDR, Raw(v4(VIP).to_vec())),
        (svc_attr::PORT, Be16(80)),
        (svc_attr::SCHED_NAME, Str(b"rr")),
        (
            svc_attr::FLAGS,
            Raw(flags_bytes(uapi::SVC_F_PERSISTENT, 0xffff_ffff)),
        ),
        (svc_attr::TIMEOUT, U32(300)),
        (svc_attr::NETMASK, U32(0xffff_ffff)),
    ]
}

/// `ipvsadm -a -t 192.168.10.1:80 -r 10.0.0.2:8080 -m -w 3 -x 100 -y 10`'s destination nest.
fn ipvsadm_dest() -> Vec<Attr> {
    vec![
        (dest_attr::ADDR_FAMILY, U16(uapi::AF_INET)),
        (dest_attr::ADDR, Raw(v4(RIP).to_vec())),
        (dest_attr::PORT, Be16(8080)),
        (dest_attr::FWD_METHOD, U32(uapi::CONN_F_MASQ)),
        (dest_attr::WEIGHT, U32(3)),
        (dest_attr::TUN_TYPE, U8(0)),
        (dest_attr::TUN_PORT, Be16(0)),
        (dest_attr::TUN_FLAGS, U16(0)),
        (dest_attr::U_THRESH, U32(100)),
        (dest_attr::L_THRESH, U32(10)),
    ]
}

// --- requests ----------------------------------------------------------------------------------

#[test]
fn uapi_values_match_ip_vs_h() {
    // Read off include/uapi/linux/ip_vs.h (7.3) with a throw-away C program.
    assert_eq!(uapi::VERSION_CODE, 66049);
    assert_eq!(
        (
            uapi::cmd::NEW_SERVICE,
            uapi::cmd::SET_INFO,
            uapi::cmd::GET_INFO,
            uapi::cmd::FLUSH
        ),
        (1, 14, 15, 17)
    );
    assert_eq!(
        (cmd_attr::DAEMON, cmd_attr::TIMEOUT_UDP, cmd_attr::MAX),
        (3, 6, 6)
    );
    assert_eq!(
        (svc_attr::PE_NAME, svc_attr::STATS64, svc_attr::MAX),
        (11, 12, 12)
    );
    assert_eq!(
        (
            dest_attr::ADDR_FAMILY,
            dest_attr::STATS64,
            dest_attr::TUN_PORT,
            dest_attr::MAX
        ),
        (11, 12, 14, 15)
    );
    assert_eq!(
        (
            stats_attr::OUTBPS,
            info_attr::CONN_TAB_SIZE,
            uapi::daemon_attr::MAX
        ),
        (10, 2, 8)
    );
    assert_eq!(
        (
            uapi::SVC_F_PERSISTENT,
            uapi::SVC_F_HASHED,
            uapi::CONN_F_FWD_MASK
        ),
        (1, 2, 7)
    );
    assert_eq!(
        (
            uapi::CONN_F_TUNNEL,
            uapi::CONN_F_DROUTE,
            uapi::CONN_F_BYPASS,
            uapi::TUNNEL_TYPE_GUE
        ),
        (2, 3, 4, 1)
    );
}

#[test]
fn parse_cmd_locates_nests_and_applies_the_top_level_policy() {
    let req = request(&[
        (cmd_attr::SERVICE, &ipvsadm_service()),
        (cmd_attr::DEST, &ipvsadm_dest()),
    ]);
    let cmd = msg::parse_cmd(&req).unwrap();
    assert!(cmd[cmd_attr::SERVICE as usize].is_some());
    assert!(cmd[cmd_attr::DEST as usize].is_some());
    assert_eq!(cmd[cmd_attr::DAEMON as usize], None);
    // A short timeout is rejected by the policy itself (the kernel does this before the handler).
    let mut buf = [0u8; 16];
    let mut w = Writer::new(&mut buf);
    w.put_u16(cmd_attr::TIMEOUT_TCP, 900).unwrap();
    assert_eq!(msg::parse_cmd(w.bytes()), Err(Errno::ERANGE));
}

#[test]
fn ipvsadm_add_service_parses_field_by_field() {
    let req = parse_svc(&ipvsadm_service(), true).unwrap();
    assert_eq!(
        req.key,
        SvcKey {
            af: 2,
            protocol: 6,
            addr: v4(VIP),
            port: 80,
            fwmark: 0
        }
    );
    let conf = req.conf.unwrap();
    assert_eq!(conf.sched.as_bytes(), b"rr");
    assert_eq!(conf.pe, None);
    assert_eq!(conf.flags, 1);
    assert_eq!(conf.mask, 0xffff_ffff);
    assert_eq!(conf.timeout, 300);
    assert_eq!(conf.netmask, 0xffff_ffff);
    // Without the full entry, the same nest yields only the key.
    assert_eq!(
        parse_svc(&ipvsadm_service(), false).unwrap(),
        SvcReq {
            key: req.key,
            conf: None
        }
    );
}

#[test]
fn service_nest_with_nla_f_nested_is_accepted() {
    let req = request(&[(cmd_attr::SERVICE | 0x8000, &ipvsadm_service())]);
    let cmd = msg::parse_cmd(&req).unwrap();
    assert_eq!(
        msg::parse_service(cmd[cmd_attr::SERVICE as usize], true),
        parse_svc(&ipvsadm_service(), true)
    );
}

#[test]
fn parse_service_missing_or_malformed_nest_is_einval() {
    assert_eq!(msg::parse_service(None, false), Err(Errno::EINVAL));
    // A request with only a destination has no service.
    let req = request(&[(cmd_attr::DEST, &ipvsadm_dest())]);
    let cmd = msg::parse_cmd(&req).unwrap();
    assert_eq!(
        msg::parse_service(cmd[cmd_attr::SERVICE as usize], false),
        Err(Errno::EINVAL)
    );
}

#[test]
fn parse_service_malformed_attribute_is_einval_even_for_erange() {
    // AF of one byte: the policy says ERANGE ...
    let bad = with(&ipvsadm_service(), svc_attr::AF, Raw(vec![2]));
    let nest = request(&[(1, &bad)]);
    let inner = &nest[4..];
    assert_eq!(nlattr::parse(inner, &msg::SVC_POLICY), Err(Errno::ERANGE));
    // ... and parse_service reports EINVAL, as nla_parse_nested_deprecated() != 0 -> -EINVAL.
    assert_eq!(parse_svc(&bad, false), Err(Errno::EINVAL));
    for (ty, v) in [
        (svc_attr::ADDR, Raw(vec![0; 17])),
        (svc_attr::PORT, Raw(vec![0])),
        (svc_attr::FWMARK, Raw(vec![0; 3])),
        (svc_attr::SCHED_NAME, Raw(b"rr".to_vec())), // no NUL
        (svc_attr::SCHED_NAME, Str(b"0123456789abcdef")), // 16 > 15 characters
        (svc_attr::FLAGS, Raw(vec![0; 9])),
        (svc_attr::STATS, Raw(vec![0; 2])),
    ] {
        // Malformed attributes fail even when the full entry is not requested.
        assert_eq!(
            parse_svc(&with(&ipvsadm_service(), ty, v.clone()), false),
            Err(Errno::EINVAL),
            "{ty} {v:?}"
        );
    }
}

#[test]
fn parse_service_needs_af_and_either_fwmark_or_protocol_addr_port() {
    let svc = ipvsadm_service();
    assert_eq!(
        parse_svc(&without(&svc, svc_attr::AF), false),
        Err(Errno::EINVAL)
    );
    for ty in [svc_attr::PROTOCOL, svc_attr::ADDR, svc_attr::PORT] {
        assert_eq!(
            parse_svc(&without(&svc, ty), false),
            Err(Errno::EINVAL),
            "without {ty}"
        );
        // A firewall mark stands in for all three.
        let fwm = with(&without(&svc, ty), svc_attr::FWMARK, U32(1));
        assert!(parse_svc(&fwm, false).is_ok(), "without {ty}, with fwmark");
    }
    // The missing-attribute check comes before the family check.
    let bad_af = with(&without(&svc, svc_attr::PORT), svc_attr::AF, U16(7));
    assert_eq!(parse_svc(&bad_af, false), Err(Errno::EINVAL));
}

#[test]
fn parse_service_rejects_unknown_families() {
    let svc = ipvsadm_service();
    for af in [0, 1, 7, 11] {
        assert_eq!(
            parse_svc(&with(&svc, svc_attr::AF, U16(af)), false),
            Err(Errno::EAFNOSUPPORT),
            "af {af}"
        );
    }
    let v6 = parse_svc(&with(&svc, svc_attr::AF, U16(uapi::AF_INET6)), false).unwrap();
    assert_eq!(v6.key.af, 10);
    assert!(msg::af_valid(2) && msg::af_valid(10) && !msg::af_valid(7));
}

#[test]
fn parse_service_fwmark_overrides_protocol_addr_port() {
    let svc = with(
        &with(
            &ipvsadm_service(),
            svc_attr::PROTOCOL,
            U16(uapi::IPPROTO_UDP),
        ),
        svc_attr::FWMARK,
        U32(42),
    );
    let req = parse_svc(&svc, true).unwrap();
    assert_eq!(
        req.key,
        SvcKey {
            af: 2,
            protocol: 6,
            addr: [0; 16],
            port: 0,
            fwmark: 42
        }
    );
    // Only AF and FWMARK.
    let only = [
        (svc_attr::AF, U16(uapi::AF_INET6)),
        (svc_attr::FWMARK, U32(0x8000_0000)),
    ];
    assert_eq!(
        parse_svc(&only, false).unwrap().key,
        SvcKey {
            af: 10,
            protocol: 6,
            addr: [0; 16],
            port: 0,
            fwmark: 0x8000_0000
        }
    );
}

#[test]
fn parse_service_port_is_network_order_and_addr_is_zero_padded() {
    let svc = with(&ipvsadm_service(), svc_attr::PORT, Raw(vec![0x1f, 0x90]));
    let svc = with(&svc, svc_attr::ADDR, Raw(VIP.to_vec()));
    let svc = with(&svc, svc_attr::PROTOCOL, U16(uapi::IPPROTO_UDP));
    let key = parse_svc(&svc, false).unwrap().key;
    assert_eq!(
        key,
        SvcKey {
            af: 2,
            protocol: 17,
            addr: v4(VIP),
            port: 8080,
            fwmark: 0
        }
    );
}

#[test]
fn parse_service_full_entry_needs_sched_flags_timeout_netmask() {
    let svc = ipvsadm_service();
    for ty in [
        svc_attr::SCHED_NAME,
        svc_attr::FLAGS,
        svc_attr::TIMEOUT,
        svc_attr::NETMASK,
    ] {
        assert_eq!(
            parse_svc(&without(&svc, ty), true),
            Err(Errno::EINVAL),
            "without {ty}"
        );
        assert!(
            parse_svc(&without(&svc, ty), false).is_ok(),
            "without {ty}, key only"
        );
    }
}

#[test]
fn parse_service_splits_flags_and_mask() {
    let svc = with(
        &ipvsadm_service(),
        svc_attr::FLAGS,
        Raw(flags_bytes(0x0000_0003, 0x0000_0001)),
    );
    let conf = parse_svc(&svc, true).unwrap().conf.unwrap();
    assert_eq!((conf.flags, conf.mask), (3, 1));
    // A short FLAGS is zero-padded (nla_memcpy): the mask reads as 0.
    let svc = with(&ipvsadm_service(), svc_attr::FLAGS, U32(1));
    let conf = parse_svc(&svc, true).unwrap().conf.unwrap();
    assert_eq!((conf.flags, conf.mask), (1, 0));
}

#[test]
fn parse_service_pe_name_is_optional() {
    let svc = ipvsadm_service();
    assert_eq!(parse_svc(&svc, true).unwrap().conf.unwrap().pe, None);
    let conf = parse_svc(&with(&svc, svc_attr::PE_NAME, Str(b"sip")), true)
        .unwrap()
        .conf
        .unwrap();
    assert_eq!(
        conf.pe.map(|n| n.as_bytes().to_vec()),
        Some(b"sip".to_vec())
    );
    // PE names may use all 16 characters (policy len IP_VS_PENAME_MAXLEN), not 17.
    let conf = parse_svc(
        &with(&svc, svc_attr::PE_NAME, Str(b"0123456789abcdef")),
        true,
    )
    .unwrap()
    .conf
    .unwrap();
    assert_eq!(conf.pe.unwrap().as_bytes(), b"0123456789abcdef");
    assert_eq!(
        parse_svc(
            &with(&svc, svc_attr::PE_NAME, Str(b"0123456789abcdefg")),
            true
        ),
        Err(Errno::EINVAL)
    );
    // Scheduler names up to 15 characters.
    let conf = parse_svc(
        &with(&svc, svc_attr::SCHED_NAME, Str(b"0123456789abcde")),
        true,
    )
    .unwrap()
    .conf
    .unwrap();
    assert_eq!(conf.sched.as_bytes(), b"0123456789abcde");
}

#[test]
fn name_truncates_to_sixteen_bytes() {
    assert_eq!(
        Name::new(b"0123456789abcdefXYZ").as_bytes(),
        b"0123456789abcdef"
    );
    assert_eq!(Name::new(b"").as_bytes(), b"");
    assert_eq!(Name::default().as_bytes(), b"");
}

#[test]
fn ipvsadm_add_dest_request_parses_field_by_field() {
    let req = request(&[
        (cmd_attr::SERVICE, &ipvsadm_service()),
        (cmd_attr::DEST, &ipvsadm_dest()),
    ]);
    let cmd = msg::parse_cmd(&req).unwrap();
    let svc = msg::parse_service(cmd[cmd_attr::SERVICE as usize], false).unwrap();
    assert_eq!(svc.key.port, 80);
    let d = msg::parse_dest(cmd[cmd_attr::DEST as usize], true).unwrap();
    assert_eq!(d.af, 2);
    assert_eq!(d.addr, v4(RIP));
    assert_eq!(d.port, 8080);
    assert_eq!(
        d.conf,
        Some(DestConf {
            fwd: 0,
            flags: 0,
            weight: 3,
            u_thresh: 100,
            l_thresh: 10,
            tun_type: 0,
            tun_port: 0,
            tun_flags: 0
        })
    );
    assert_eq!(parse_dst(&ipvsadm_dest(), false).unwrap().conf, None);
}

#[test]
fn parse_dest_needs_addr_and_port() {
    assert_eq!(msg::parse_dest(None, false), Err(Errno::EINVAL));
    for ty in [dest_attr::ADDR, dest_attr::PORT] {
        assert_eq!(
            parse_dst(&without(&ipvsadm_dest(), ty), false),
            Err(Errno::EINVAL),
            "without {ty}"
        );
    }
    // Everything else is optional for the key; the family defaults to 0 ("the service's").
    let minimal = [
        (dest_attr::ADDR, Raw(RIP.to_vec())),
        (dest_attr::PORT, Be16(443)),
    ];
    let d = parse_dst(&minimal, false).unwrap();
    assert_eq!((d.af, d.addr, d.port, d.conf), (0, v4(RIP), 443, None));
}

#[test]
fn parse_dest_full_entry_needs_fwd_weight_thresholds() {
    for ty in [
        dest_attr::FWD_METHOD,
        dest_attr::WEIGHT,
        dest_attr::U_THRESH,
        dest_attr::L_THRESH,
    ] {
        assert_eq!(
            parse_dst(&without(&ipvsadm_dest(), ty), true),
            Err(Errno::EINVAL),
            "without {ty}"
        );
        assert!(
            parse_dst(&without(&ipvsadm_dest(), ty), false).is_ok(),
            "without {ty}, key only"
        );
    }
}

#[test]
fn parse_dest_masks_fwd_and_reads_tunnel_attrs() {
    let d = with(&ipvsadm_dest(), dest_attr::FWD_METHOD, U32(0x0000_010b));
    let d = with(&d, dest_attr::WEIGHT, U32(0xffff_ffff));
    let d = with(&d, dest_attr::TUN_TYPE, U8(uapi::TUNNEL_TYPE_GUE));
    let d = with(&d, dest_attr::TUN_PORT, Raw(vec![0x17, 0xc0]));
    let d = with(&d, dest_attr::TUN_FLAGS, U16(0x0003));
    let conf = parse_dst(&d, true).unwrap().conf.unwrap();
    assert_eq!(
        conf,
        DestConf {
            fwd: 3,
            flags: 0,
            weight: 0xffff_ffff,
            u_thresh: 100,
            l_thresh: 10,
            tun_type: 1,
            tun_port: 6080,
            tun_flags: 3
        }
    );
    // Absent tunnel attributes read as 0.
    let mut d = ipvsadm_dest();
    d.retain(|(t, _)| {
        ![
            dest_attr::TUN_TYPE,
            dest_attr::TUN_PORT,
            dest_attr::TUN_FLAGS,
        ]
        .contains(t)
    });
    let d = with(&d, dest_attr::FWD_METHOD, U32(uapi::CONN_F_TUNNEL));
    let conf = parse_dst(&d, true).unwrap().conf.unwrap();
    assert_eq!(
        (conf.fwd, conf.tun_type, conf.tun_port, conf.tun_flags),
        (2, 0, 0, 0)
    );
}

#[test]
fn parse_dest_malformed_attribute_is_einval() {
    for (ty, v) in [
        (dest_attr::WEIGHT, Raw(vec![0; 2])),
        (dest_attr::ADDR, Raw(vec![0; 17])),
        (dest_attr::TUN_TYPE, Raw(vec![])),
        (dest_attr::ADDR_FAMILY, Raw(vec![2])),
    ] {
        assert_eq!(
            parse_dst(&with(&ipvsadm_dest(), ty, v.clone()), false),
            Err(Errno::EINVAL),
            "{ty} {v:?}"
        );
    }
}

// --- replies -----------------------------------------------------------------------------------

/// An attribute list encoded by hand (independently of `Writer`).
fn encode(attrs: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (ty, p) in attrs {
        out.extend_from_slice(&((4 + p.len()) as u16).to_ne_bytes());
        out.extend_from_slice(&ty.to_ne_bytes());
        out.extend_from_slice(p);
        out.resize(align(out.len()), 0);
    }
    out
}

/// Checks that `buf` is exactly one attribute of raw type `ty` (no flag bits) and returns its
/// children in order.
fn only_nest(buf: &[u8], ty: u16) -> Vec<(u16, Vec<u8>)> {
    assert_eq!(
        usize::from(u16::from_ne_bytes([buf[0], buf[1]])),
        buf.len(),
        "nest length"
    );
    assert_eq!(u16::from_ne_bytes([buf[2], buf[3]]), ty, "nest type");
    Attrs::new(&buf[4..])
        .map(|(t, d)| (t, d.to_vec()))
        .collect()
}

fn ne16(v: u16) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}
fn ne32(v: u32) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}
fn ne64(v: u64) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}
fn be16(v: u16) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// Counters whose high halves are set where 32-bit truncation must show.
const STATS: Stats = Stats {
    conns: 0x1_0000_0001,
    inpkts: 0x2_0000_0002,
    outpkts: 3,
    inbytes: 0x4_0000_0004,
    outbytes: 0x5_0000_0005,
    cps: 6,
    inpps: 7,
    outpps: 8,
    inbps: 0x9_0000_0009,
    outbps: 10,
};

/// The `STATS` nest's payload: u32 except INBYTES/OUTBYTES.
fn stats32_payload() -> Vec<u8> {
    encode(&[
        (stats_attr::CONNS, ne32(1)),
        (stats_attr::INPKTS, ne32(2)),
        (stats_attr::OUTPKTS, ne32(3)),
        (stats_attr::INBYTES, ne64(0x4_0000_0004)),
        (stats_attr::OUTBYTES, ne64(0x5_0000_0005)),
        (stats_attr::CPS, ne32(6)),
        (stats_attr::INPPS, ne32(7)),
        (stats_attr::OUTPPS, ne32(8)),
        (stats_attr::INBPS, ne32(9)),
        (stats_attr::OUTBPS, ne32(10)),
    ])
}

/// The `STATS64` nest's payload: all u64.
fn stats64_payload() -> Vec<u8> {
    let s = STATS;
    let vals = [
        s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes, s.cps, s.inpps, s.outpps, s.inbps,
        s.outbps,
    ];
    encode(
        &vals
            .iter()
            .enumerate()
            .map(|(i, &v)| (i as u16 + 1, ne64(v)))
            .collect::<Vec<_>>(),
    )
}

/// Runs `f` on a fresh writer and returns what it wrote.
fn written(f: impl FnOnce(&mut Writer<'_>) -> Result<(), Errno>) -> Vec<u8> {
    let mut buf = vec![0xa5u8; 4096];
    let mut w = Writer::new(&mut buf);
    f(&mut w).unwrap();
    w.bytes().to_vec()
}

#[test]
fn put_service_address_service() {
    let view = SvcView {
        key: SvcKey {
            af: 2,
            protocol: 6,
            addr: v4(VIP),
            port: 80,
            fwmark: 0,
        },
        sched: b"rr",
        pe: None,
        flags: uapi::SVC_F_PERSISTENT | uapi::SVC_F_HASHED,
        timeout: 300,
        netmask: 0xffff_ffff,
        stats: STATS,
    };
    let out = written(|w| msg::put_service(w, &view));
    assert_eq!(
        only_nest(&out, cmd_attr::SERVICE),
        [
            (svc_attr::AF, ne16(2)),
            (svc_attr::PROTOCOL, ne16(6)),
            (svc_attr::ADDR, v4(VIP).to_vec()),
            (svc_attr::PORT, be16(80)),
            (svc_attr::SCHED_NAME, b"rr\0".to_vec()),
            (svc_attr::FLAGS, flags_bytes(3, 0xffff_ffff)),
            (svc_attr::TIMEOUT, ne32(300)),
            (svc_attr::NETMASK, ne32(0xffff_ffff)),
            (svc_attr::STATS, stats32_payload()),
            (svc_attr::STATS64, stats64_payload()),
        ]
    );
    // What we send, we (and the C policy) accept back.
    let back = msg::parse_service(Some(&out[4..]), true).unwrap();
    assert_eq!(back.key, view.key);
    let conf = back.conf.unwrap();
    assert_eq!(
        (conf.sched.as_bytes(), conf.pe, conf.flags, conf.mask),
        (&b"rr"[..], None, 3, 0xffff_ffff)
    );
    assert_eq!((conf.timeout, conf.netmask), (300, 0xffff_ffff));
}

#[test]
fn put_service_fwmark_service_with_pe() {
    let view = SvcView {
        key: SvcKey {
            af: 10,
            protocol: 6,
            addr: [0; 16],
            port: 0,
            fwmark: 42,
        },
        sched: b"none",
        pe: Some(b"sip"),
        flags: uapi::SVC_F_HASHED,
        timeout: 0,
        netmask: 128,
        stats: STATS,
    };
    let out = written(|w| msg::put_service(w, &view));
    assert_eq!(
        only_nest(&out, cmd_attr::SERVICE),
        [
            (svc_attr::AF, ne16(10)),
            (svc_attr::FWMARK, ne32(42)),
            (svc_attr::SCHED_NAME, b"none\0".to_vec()),
            (svc_attr::PE_NAME, b"sip\0".to_vec()),
            (svc_attr::FLAGS, flags_bytes(2, 0xffff_ffff)),
            (svc_attr::TIMEOUT, ne32(0)),
            (svc_attr::NETMASK, ne32(128)),
            (svc_attr::STATS, stats32_payload()),
            (svc_attr::STATS64, stats64_payload()),
        ]
    );
    let back = msg::parse_service(Some(&out[4..]), true).unwrap();
    assert_eq!(back.key, view.key);
    assert_eq!(back.conf.unwrap().pe.unwrap().as_bytes(), b"sip");
}

#[test]
fn put_dest_layout() {
    let view = DestView {
        af: 2,
        addr: v4(RIP),
        port: 8080,
        conf: DestConf {
            fwd: 0x0a,
            flags: 0,
            weight: 5,
            u_thresh: 100,
            l_thresh: 10,
            tun_type: 1,
            tun_port: 6080,
            tun_flags: 0x0102,
        },
        active: 11,
        inactive: 12,
        persist: 13,
        stats: STATS,
    };
    let out = written(|w| msg::put_dest(w, &view));
    assert_eq!(
        only_nest(&out, cmd_attr::DEST),
        [
            (dest_attr::ADDR, v4(RIP).to_vec()),
            (dest_attr::PORT, be16(8080)),
            (dest_attr::FWD_METHOD, ne32(2)), // 0x0a & IP_VS_CONN_F_FWD_MASK
            (dest_attr::WEIGHT, ne32(5)),
            (dest_attr::TUN_TYPE, vec![1]),
            (dest_attr::TUN_PORT, be16(6080)),
            (dest_attr::TUN_FLAGS, ne16(0x0102)),
            (dest_attr::U_THRESH, ne32(100)),
            (dest_attr::L_THRESH, ne32(10)),
            (dest_attr::ACTIVE_CONNS, ne32(11)),
            (dest_attr::INACT_CONNS, ne32(12)),
            (dest_attr::PERSIST_CONNS, ne32(13)),
            (dest_attr::ADDR_FAMILY, ne16(2)),
            (dest_attr::STATS, stats32_payload()),
            (dest_attr::STATS64, stats64_payload()),
        ]
    );
    let back = msg::parse_dest(Some(&out[4..]), true).unwrap();
    assert_eq!((back.af, back.addr, back.port), (2, v4(RIP), 8080));
    assert_eq!(
        back.conf,
        Some(DestConf {
            fwd: 2,
            flags: 0,
            ..view.conf
        })
    );
}

#[test]
fn put_info_and_timeouts() {
    let out = written(|w| msg::put_info(w, uapi::VERSION_CODE, 4096));
    assert_eq!(
        out,
        encode(&[
            (info_attr::VERSION, ne32(0x0001_0201)),
            (info_attr::CONN_TAB_SIZE, ne32(4096))
        ])
    );
    let out = written(|w| msg::put_timeouts(w, 900, 120, 300));
    assert_eq!(
        out,
        encode(&[
            (cmd_attr::TIMEOUT_TCP, ne32(900)),
            (cmd_attr::TIMEOUT_TCP_FIN, ne32(120)),
            (cmd_attr::TIMEOUT_UDP, ne32(300)),
        ])
    );
    // The reply attributes pass the request policy (ipvsadm reads them with it).
    let cmd = msg::parse_cmd(&out).unwrap();
    assert_eq!(
        cmd[cmd_attr::TIMEOUT_TCP_FIN as usize].map(nlattr::get_u32),
        Some(120)
    );
}

#[test]
fn reply_encoders_report_emsgsize() {
    let view = DestView {
        af: 2,
        addr: v4(RIP),
        port: 80,
        conf: DestConf {
            fwd: 0,
            flags: 0,
            weight: 1,
            u_thresh: 0,
            l_thresh: 0,
            tun_type: 0,
            tun_port: 0,
            tun_flags: 0,
        },
        active: 0,
        inactive: 0,
        persist: 0,
        stats: Stats::default(),
    };
    let mut buf = [0u8; 128];
    assert_eq!(
        msg::put_dest(&mut Writer::new(&mut buf), &view),
        Err(Errno::EMSGSIZE)
    );
    let mut buf = [0u8; 12];
    assert_eq!(
        msg::put_info(&mut Writer::new(&mut buf), 1, 2),
        Err(Errno::EMSGSIZE)
    );
}

#[test]
fn policies_match_the_c_tables() {
    use Policy::*;
    let svc = msg::SVC_POLICY;
    assert_eq!(
        svc,
        [
            Unspec,
            U16,
            U16,
            Binary(16),
            U16,
            U32,
            NulString(15),
            Binary(8),
            U32,
            U32,
            Nested,
            NulString(16),
            Unspec
        ]
    );
    assert_eq!(
        msg::DEST_POLICY,
        [
            Unspec,
            Binary(16),
            U16,
            U32,
            U32,
            U32,
            U32,
            U32,
            U32,
            U32,
            Nested,
            U16,
            Unspec,
            U8,
            U16,
            U16
        ]
    );
    assert_eq!(
        msg::DAEMON_POLICY,
        [
            Unspec,
            U32,
            NulString(15),
            U32,
            U16,
            U32,
            MinLen(16),
            U16,
            U8
        ]
    );
    assert_eq!(
        msg::CMD_POLICY,
        [Unspec, Nested, Nested, Nested, U32, U32, U32]
    );
}

mod daemon {
    use crate::ipvs_ctl::msg::{parse_daemon, put_daemon};
    use crate::ipvs_ctl::nlattr::{Errno, Writer};
    use crate::ipvs_proto::inet::Family;
    use crate::ipvs_sync::policy::{Asked, Config, Role};

    /// A daemon nest body (the attributes inside IPVS_CMD_ATTR_DAEMON).
    fn nest(
        state: Option<u32>,
        ifn: Option<&[u8]>,
        syncid: Option<u32>,
        group: Option<[u8; 4]>,
        group6: Option<[u8; 16]>,
    ) -> Vec<u8> {
        let mut buf = vec![0u8; 256];
        let mut w = Writer::new(&mut buf);
        if let Some(s) = state {
            w.put_u32(1, s).unwrap();
        }
        if let Some(i) = ifn {
            w.put_str(2, i).unwrap();
        }
        if let Some(id) = syncid {
            w.put_u32(3, id).unwrap();
        }
        if let Some(g) = group {
            w.put(5, &g).unwrap();
        }
        if let Some(g) = group6 {
            w.put(6, &g).unwrap();
        }
        let n = w.len();
        buf.truncate(n);
        buf
    }

    #[test]
    fn mandatory_attributes() {
        assert_eq!(parse_daemon(None, true), Err(Errno::EINVAL));
        assert_eq!(
            parse_daemon(Some(&nest(None, Some(b"eth0"), Some(0), None, None)), true),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            parse_daemon(Some(&nest(Some(1), None, Some(0), None, None)), true),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            parse_daemon(Some(&nest(Some(1), Some(b"eth0"), None, None, None)), true),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            parse_daemon(
                Some(&nest(Some(1), Some(b"eth0"), Some(7), None, None)),
                true
            )
            .unwrap()
            .state,
            1
        );
        // DEL needs only the state.
        assert_eq!(
            parse_daemon(Some(&nest(Some(2), None, None, None, None)), false)
                .unwrap()
                .state,
            2
        );
        assert_eq!(
            parse_daemon(Some(&nest(None, Some(b"eth0"), Some(0), None, None)), false),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn groups_must_be_multicast() {
        let ok = |g| parse_daemon(Some(&nest(Some(1), Some(b"eth0"), Some(0), g, None)), true);
        assert!(ok(Some([224, 0, 0, 81])).is_ok());
        assert!(ok(Some([239, 1, 2, 3])).is_ok());
        assert_eq!(ok(Some([10, 0, 0, 1])), Err(Errno::EINVAL));
        assert_eq!(ok(Some([240, 0, 0, 1])), Err(Errno::EINVAL));
        let mut ff = [0u8; 16];
        ff[0] = 0xff;
        ff[1] = 0x02;
        let six = |g| {
            parse_daemon(
                Some(&nest(Some(1), Some(b"eth0"), Some(0), None, Some(g))),
                true,
            )
        };
        assert!(six(ff).is_ok());
        let mut uni = [0u8; 16];
        uni[0] = 0x20;
        assert_eq!(six(uni), Err(Errno::EINVAL));
    }

    #[test]
    fn settings_as_ipvsadm_sends_them() {
        // --syncid 9 --sync-maxlen 1000 --mcast-group 224.0.0.99 --mcast-port 9000
        // --mcast-ttl 3 (libipvs: ports and maxlen as host-order u16).
        let mut buf = vec![0u8; 64];
        let mut w = Writer::new(&mut buf);
        w.put_u16(4, 1000).unwrap();
        w.put_u16(7, 9000).unwrap();
        w.put_u8(8, 3).unwrap();
        let n = w.len();
        let mut all = nest(Some(2), Some(b"eth0"), Some(9), Some([224, 0, 0, 99]), None);
        all.extend_from_slice(&buf[..n]);
        let d = parse_daemon(Some(&all), true).unwrap();
        let mut g = [0u8; 16];
        g[..4].copy_from_slice(&[224, 0, 0, 99]);
        assert_eq!(
            d.asked,
            Asked {
                syncid: 9,
                maxlen: 1000,
                group: Some((Family::V4, g)),
                port: 9000,
                ttl: 3,
            }
        );
        assert_eq!(&d.ifname[..5], b"eth0\0");
        // Without them: all defaults (zero).
        let d = parse_daemon(Some(&nest(Some(1), Some(b"lo"), Some(0), None, None)), true);
        assert_eq!(d.unwrap().asked, Asked::default());
    }

    #[test]
    fn get_daemon_nest_layout() {
        // ip_vs_genl_fill_daemon: STATE, MCAST_IFN, SYNC_ID, SYNC_MAXLEN, MCAST_PORT,
        // MCAST_TTL, then the group (4 bytes for IPv4), in one IPVS_CMD_ATTR_DAEMON nest.
        let c = Config::new(Role::Backup, &Asked::default(), 1500);
        let mut buf = vec![0u8; 256];
        let mut w = Writer::new(&mut buf);
        put_daemon(&mut w, 2, b"eth0", &c).unwrap();
        let n = w.len();
        #[rustfmt::skip]
        let want: Vec<u8> = [
            &[64, 0, 3, 0][..],
            &[8, 0, 1, 0, 2, 0, 0, 0],
            &[9, 0, 2, 0, b'e', b't', b'h', b'0', 0, 0, 0, 0],
            &[8, 0, 3, 0, 0, 0, 0, 0],
            &[6, 0, 4, 0], &1472u16.to_ne_bytes(), &[0, 0],
            &[6, 0, 7, 0], &8848u16.to_ne_bytes(), &[0, 0],
            &[5, 0, 8, 0, 1, 0, 0, 0],
            &[8, 0, 5, 0, 224, 0, 0, 81],
        ]
        .concat();
        assert_eq!(&buf[..n], &want[..]);
        // An IPv6 group: 16 bytes, attribute 6.
        let g6 = Asked {
            group: Some((Family::V6, [0xff; 16])),
            ..Asked::default()
        };
        let c6 = Config::new(Role::Master, &g6, 1500);
        let mut w = Writer::new(&mut buf);
        put_daemon(&mut w, 1, b"eth0", &c6).unwrap();
        let n = w.len();
        assert_eq!(&buf[n - 20..n - 16], &[20, 0, 6, 0]);
        assert_eq!(&buf[n - 16..n], &[0xff; 16]);
    }

    #[test]
    fn malformed_nest_is_einval() {
        // An interface name without NUL fails NUL_STRING validation: EINVAL from the nest.
        let mut buf = vec![0u8; 64];
        let mut w = Writer::new(&mut buf);
        w.put_u32(1, 1).unwrap();
        w.put(2, b"eth0").unwrap();
        w.put_u32(3, 0).unwrap();
        let n = w.len();
        assert_eq!(parse_daemon(Some(&buf[..n]), true), Err(Errno::EINVAL));
    }
}
