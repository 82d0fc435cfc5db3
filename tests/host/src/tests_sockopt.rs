// SPDX-License-Identifier: GPL-2.0

//! `ipvs_ctl/sockopt.rs`: the legacy socket options' lengths, decoding and errno rules
//! (`do_ip_vs_set_ctl`/`do_ip_vs_get_ctl`, 7.3) and the reply structures' exact layout.
//!
//! Sizes and offsets were printed by a throw-away C program compiled against
//! `/usr/include/linux/ip_vs.h` (identical to the 7.3 tree's) with gcc on x86-64. Requests are
//! built field by field at those offsets, independently of the module's code.

use crate::ipvs_ctl::msg::{DaemonReq, DestConf, DestReq, DestView, Name, Stats, SvcConf};
use crate::ipvs_ctl::msg::{SvcKey, SvcReq, SvcView};
use crate::ipvs_ctl::nlattr::Errno;
use crate::ipvs_ctl::sockopt::{self, size, so, DestCmd, GetReq, SetReq, SvcCmd, EFAULT};
use crate::ipvs_ctl::uapi::{self, AF_INET};

const EINVAL: Errno = Errno::EINVAL;
const VIP: [u8; 4] = [192, 168, 10, 1];
const RIP: [u8; 4] = [10, 0, 0, 2];

/// An IPv4 address in a 16-byte `union nf_inet_addr`.
fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..4].copy_from_slice(&a);
    b
}

/// Writes a host-order `u32` at `off`.
fn w32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}

/// Reads a host-order `u32` at `off`.
fn r32(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes(b[off..off + 4].try_into().unwrap())
}

/// Reads a host-order `u64` at `off`.
fn r64(b: &[u8], off: usize) -> u64 {
    u64::from_ne_bytes(b[off..off + 8].try_into().unwrap())
}

/// A `struct ip_vs_service_user` (offsets: protocol 0, addr 4, port 8, fwmark 12,
/// sched_name 16, flags 32, timeout 36, netmask 40; size 44).
struct Usvc {
    protocol: u16,
    addr: [u8; 4],
    port: u16,
    fwmark: u32,
    sched: [u8; 16],
    flags: u32,
    timeout: u32,
    netmask: [u8; 4],
}

impl Usvc {
    /// `ipvsadm -A -t 192.168.10.1:80 -s rr -p 300` through the socket option.
    fn tcp() -> Self {
        let mut sched = [0u8; 16];
        sched[..2].copy_from_slice(b"rr");
        Self {
            protocol: uapi::IPPROTO_TCP,
            addr: VIP,
            port: 80,
            fwmark: 0,
            sched,
            flags: uapi::SVC_F_PERSISTENT,
            timeout: 300,
            netmask: [255, 255, 255, 0],
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut b = vec![0u8; 44];
        b[0..2].copy_from_slice(&self.protocol.to_ne_bytes());
        b[4..8].copy_from_slice(&self.addr);
        b[8..10].copy_from_slice(&self.port.to_be_bytes());
        w32(&mut b, 12, self.fwmark);
        b[16..32].copy_from_slice(&self.sched);
        w32(&mut b, 32, self.flags);
        w32(&mut b, 36, self.timeout);
        b[40..44].copy_from_slice(&self.netmask);
        b
    }
}

/// A `struct ip_vs_dest_user` (offsets: addr 0, port 4, conn_flags 8, weight 12,
/// u_threshold 16, l_threshold 20; size 24).
fn udest(conn_flags: u32, weight: i32, u: u32, l: u32) -> Vec<u8> {
    let mut b = vec![0u8; 24];
    b[0..4].copy_from_slice(&RIP);
    b[4..6].copy_from_slice(&8080u16.to_be_bytes());
    w32(&mut b, 8, conn_flags);
    w32(&mut b, 12, weight as u32);
    w32(&mut b, 16, u);
    w32(&mut b, 20, l);
    b
}

/// A `struct ip_vs_daemon_user` (state 0, mcast_ifn 4, syncid 20; size 24).
fn udaemon(state: i32, ifn: &[u8], syncid: i32) -> Vec<u8> {
    let mut b = vec![0u8; 24];
    w32(&mut b, 0, state as u32);
    b[4..4 + ifn.len()].copy_from_slice(ifn);
    w32(&mut b, 20, syncid as u32);
    b
}

/// The service identity `decode_set` should give for [`Usvc::tcp`].
fn tcp_key() -> SvcKey {
    SvcKey {
        af: AF_INET,
        protocol: uapi::IPPROTO_TCP,
        addr: v4(VIP),
        port: 80,
        fwmark: 0,
    }
}

// --- numbers and sizes ------------------------------------------------------------------------

#[test]
fn sizes_match_gcc() {
    // sizeof() as printed by gcc against <linux/ip_vs.h>.
    assert_eq!(size::SERVICE_USER, 44);
    assert_eq!(size::DEST_USER, 24);
    assert_eq!(size::SVCDEST_USER, 68);
    assert_eq!(size::STATS_USER, 56);
    assert_eq!(size::GETINFO, 12);
    assert_eq!(size::SERVICE_ENTRY, 104);
    assert_eq!(size::DEST_ENTRY, 96);
    assert_eq!(size::GET_SERVICES, 8);
    assert_eq!(size::GET_DESTS, 24);
    assert_eq!(size::TIMEOUT_USER, 12);
    assert_eq!(size::DAEMON_USER, 24);
    assert_eq!(size::VERSION, 64);
    assert_eq!(sockopt::services_entry_offset(0), 8);
    assert_eq!(sockopt::services_entry_offset(3), 8 + 3 * 104);
    assert_eq!(sockopt::dests_entry_offset(0), 24);
    assert_eq!(sockopt::dests_entry_offset(2), 24 + 2 * 96);
}

#[test]
fn option_numbers() {
    assert_eq!(so::BASE, 1152);
    let set = [
        so::SET_NONE,
        so::SET_INSERT,
        so::SET_ADD,
        so::SET_EDIT,
        so::SET_DEL,
        so::SET_FLUSH,
        so::SET_LIST,
        so::SET_ADDDEST,
        so::SET_DELDEST,
        so::SET_EDITDEST,
        so::SET_TIMEOUT,
        so::SET_STARTDAEMON,
        so::SET_STOPDAEMON,
        so::SET_RESTORE,
        so::SET_SAVE,
        so::SET_ZERO,
    ];
    assert_eq!(set.to_vec(), (1152..=1167).collect::<Vec<_>>());
    assert_eq!(so::SET_MAX, 1167);
    let get = [
        so::GET_VERSION,
        so::GET_INFO,
        so::GET_SERVICES,
        so::GET_SERVICE,
        so::GET_DESTS,
        so::GET_DEST,
        so::GET_TIMEOUT,
        so::GET_DAEMON,
    ];
    assert_eq!(get.to_vec(), (1152..=1159).collect::<Vec<_>>());
    assert_eq!(so::GET_MAX, 1159);
}

#[test]
fn arglen_tables() {
    let set: Vec<_> = (1151..=1168).map(sockopt::set_arglen).collect();
    let want = [
        None,
        Some(0),
        Some(0),
        Some(44),
        Some(44),
        Some(44),
        Some(0),
        Some(0),
        Some(68),
        Some(68),
        Some(68),
        Some(12),
        Some(24),
        Some(24),
        Some(0),
        Some(0),
        Some(44),
        None,
    ];
    assert_eq!(set, want);
    let get: Vec<_> = (1151..=1160).map(sockopt::get_arglen).collect();
    let want = [
        None,
        Some(64),
        Some(12),
        Some(8),
        Some(104),
        Some(24),
        Some(0),
        Some(12),
        Some(48),
        None,
    ];
    assert_eq!(get, want);
    assert_eq!(sockopt::set_arglen(i32::MIN), None);
    assert_eq!(sockopt::get_arglen(i32::MAX), None);
}

// --- SET ----------------------------------------------------------------------------------------

#[test]
fn set_range_and_exact_length() {
    assert_eq!(sockopt::check_set(1151, 0), Err(EINVAL));
    assert_eq!(sockopt::check_set(1168, 0), Err(EINVAL));
    assert_eq!(sockopt::check_set(so::SET_ADD, 44), Ok(44));
    assert_eq!(sockopt::check_set(so::SET_ADD, 43), Err(EINVAL));
    assert_eq!(sockopt::check_set(so::SET_ADD, 45), Err(EINVAL));
    assert_eq!(sockopt::check_set(so::SET_ADDDEST, 44), Err(EINVAL));
    assert_eq!(sockopt::check_set(so::SET_ADDDEST, 68), Ok(68));
    assert_eq!(sockopt::check_set(so::SET_FLUSH, 0), Ok(0));
    assert_eq!(sockopt::check_set(so::SET_FLUSH, 1), Err(EINVAL));
    assert_eq!(sockopt::check_set(so::SET_TIMEOUT, 12), Ok(12));
    assert_eq!(sockopt::check_set(so::SET_TIMEOUT, u32::MAX), Err(EINVAL));
    // The same rules inside decode_set, whatever the content.
    assert_eq!(sockopt::decode_set(so::SET_ADD, &[0; 43]), Err(EINVAL));
    assert_eq!(sockopt::decode_set(so::SET_ADD, &[0; 68]), Err(EINVAL));
    assert_eq!(sockopt::decode_set(so::SET_DELDEST, &[0; 44]), Err(EINVAL));
    assert_eq!(sockopt::decode_set(1168, &[]), Err(EINVAL));
    assert_eq!(sockopt::decode_set(1151, &[0; 44]), Err(EINVAL));
}

#[test]
fn set_options_without_argument() {
    assert_eq!(sockopt::decode_set(so::SET_FLUSH, &[]), Ok(SetReq::Flush));
    assert_eq!(sockopt::decode_set(so::SET_FLUSH, &[0]), Err(EINVAL));
    for cmd in [
        so::SET_NONE,
        so::SET_INSERT,
        so::SET_LIST,
        so::SET_RESTORE,
        so::SET_SAVE,
    ] {
        assert_eq!(sockopt::decode_set(cmd, &[]), Err(EINVAL), "{cmd}");
        assert_eq!(sockopt::decode_set(cmd, &[0; 44]), Err(EINVAL), "{cmd}");
    }
}

#[test]
fn set_timeout() {
    let mut b = vec![0u8; 12];
    w32(&mut b, 0, 900);
    w32(&mut b, 4, 0);
    w32(&mut b, 8, -1i32 as u32);
    assert_eq!(
        sockopt::decode_set(so::SET_TIMEOUT, &b),
        Ok(SetReq::Timeouts {
            tcp: 900,
            tcp_fin: 0,
            udp: 0xffff_ffff,
        })
    );
    assert_eq!(sockopt::decode_set(so::SET_TIMEOUT, &b[..11]), Err(EINVAL));
}

#[test]
fn set_daemons() {
    let mut ifname = [0u8; 16];
    ifname[..4].copy_from_slice(b"eth0");
    assert_eq!(
        sockopt::decode_set(so::SET_STARTDAEMON, &udaemon(1, b"eth0", 7)),
        Ok(SetReq::StartDaemon {
            daemon: DaemonReq {
                state: 1,
                ifname,
                asked: crate::ipvs_sync::policy::Asked {
                    syncid: 7,
                    ..Default::default()
                },
            },
            syncid: 7,
        })
    );
    // Bytes after the NUL are not part of the name.
    let mut b = udaemon(2, b"eth0\0junk", 0);
    assert!(matches!(
        sockopt::decode_set(so::SET_STARTDAEMON, &b),
        Ok(SetReq::StartDaemon { daemon, .. }) if daemon.ifname == ifname && daemon.state == 2
    ));
    // The longest name: 15 bytes and the NUL.
    let long = *b"abcdefghijklmno\0";
    assert!(matches!(
        sockopt::decode_set(so::SET_STARTDAEMON, &udaemon(1, &long, 0)),
        Ok(SetReq::StartDaemon { daemon, .. }) if daemon.ifname == long
    ));
    // strscpy() <= 0: empty, or 16 bytes without a NUL.
    assert_eq!(
        sockopt::decode_set(so::SET_STARTDAEMON, &udaemon(1, b"", 0)),
        Err(EINVAL)
    );
    assert_eq!(
        sockopt::decode_set(so::SET_STARTDAEMON, &udaemon(1, b"abcdefghijklmnop", 0)),
        Err(EINVAL)
    );
    // State is not checked here (start_sync_thread's ENODEV comes first, then EINVAL).
    assert!(matches!(
        sockopt::decode_set(so::SET_STARTDAEMON, &udaemon(5, b"lo", 0)),
        Ok(SetReq::StartDaemon { daemon, .. }) if daemon.state == 5
    ));
    // Stopping ignores the name.
    b = udaemon(2, b"", 0);
    assert_eq!(
        sockopt::decode_set(so::SET_STOPDAEMON, &b),
        Ok(SetReq::StopDaemon { state: 2 })
    );
    assert_eq!(
        sockopt::decode_set(so::SET_STOPDAEMON, &udaemon(-1, b"abcdefghijklmnop", 0)),
        Ok(SetReq::StopDaemon { state: u32::MAX })
    );
    assert_eq!(
        sockopt::decode_set(so::SET_STOPDAEMON, &b[..23]),
        Err(EINVAL)
    );
}

#[test]
fn set_add_service_fields() {
    let got = sockopt::decode_set(so::SET_ADD, &Usvc::tcp().bytes()).unwrap();
    let conf = SvcConf {
        sched: Name::new(b"rr"),
        pe: None,
        flags: uapi::SVC_F_PERSISTENT,
        mask: u32::MAX,
        timeout: 300,
        // The network-order mask's bytes read in host order, as genl stores it.
        netmask: u32::from_ne_bytes([255, 255, 255, 0]),
    };
    let svc = SvcCmd {
        req: SvcReq {
            key: tcp_key(),
            conf: Some(conf),
        },
        sent: tcp_key(),
    };
    assert_eq!(got, SetReq::AddService(svc));
    let edit = sockopt::decode_set(so::SET_EDIT, &Usvc::tcp().bytes()).unwrap();
    assert_eq!(edit, SetReq::EditService(svc));
}

#[test]
fn set_service_commands_without_conf() {
    let no_conf = SvcCmd {
        req: SvcReq {
            key: tcp_key(),
            conf: None,
        },
        sent: tcp_key(),
    };
    let b = Usvc::tcp().bytes();
    assert_eq!(
        sockopt::decode_set(so::SET_DEL, &b),
        Ok(SetReq::DelService(no_conf))
    );
    assert_eq!(
        sockopt::decode_set(so::SET_ZERO, &b),
        Ok(SetReq::Zero(no_conf))
    );
}

#[test]
fn set_sched_name_must_be_terminated() {
    let mut u = Usvc::tcp();
    u.sched = *b"abcdefghijklmnop";
    assert_eq!(sockopt::decode_set(so::SET_ADD, &u.bytes()), Err(EINVAL));
    assert_eq!(sockopt::decode_set(so::SET_EDIT, &u.bytes()), Err(EINVAL));
    // Before the protocol check.
    u.protocol = 0;
    assert_eq!(sockopt::decode_set(so::SET_ADD, &u.bytes()), Err(EINVAL));
    // Only ADD and EDIT look at it.
    u.protocol = uapi::IPPROTO_TCP;
    assert!(matches!(
        sockopt::decode_set(so::SET_DEL, &u.bytes()),
        Ok(SetReq::DelService(_))
    ));
    // 15 bytes and a NUL: accepted as is (an unknown scheduler is ENOENT later).
    u.sched = *b"abcdefghijklmno\0";
    assert!(matches!(
        sockopt::decode_set(so::SET_ADD, &u.bytes()),
        Ok(SetReq::AddService(s)) if s.req.conf.unwrap().sched == Name::new(b"abcdefghijklmno")
    ));
    // Empty: passed on (the scheduler lookup fails with ENOENT).
    u.sched = [0; 16];
    assert!(matches!(
        sockopt::decode_set(so::SET_ADD, &u.bytes()),
        Ok(SetReq::AddService(s)) if s.req.conf.unwrap().sched.as_bytes().is_empty()
    ));
}

#[test]
fn set_protocol_check_is_efault() {
    for p in [0u16, 1, 255, 6 << 8] {
        let mut u = Usvc::tcp();
        u.protocol = p;
        for cmd in [so::SET_ADD, so::SET_EDIT, so::SET_DEL, so::SET_ZERO] {
            assert_eq!(
                sockopt::decode_set(cmd, &u.bytes()),
                Err(EFAULT),
                "{p} {cmd}"
            );
        }
        let b = [u.bytes(), udest(0, 1, 0, 0)].concat();
        for cmd in [so::SET_ADDDEST, so::SET_EDITDEST, so::SET_DELDEST] {
            assert_eq!(sockopt::decode_set(cmd, &b), Err(EFAULT), "{p} {cmd}");
        }
        // Even for a firewall-mark service.
        u.fwmark = 1;
        u.addr = [0; 4];
        u.port = 0;
        assert_eq!(sockopt::decode_set(so::SET_ADD, &u.bytes()), Err(EFAULT));
    }
    for p in [uapi::IPPROTO_TCP, uapi::IPPROTO_UDP, uapi::IPPROTO_SCTP] {
        let mut u = Usvc::tcp();
        u.protocol = p;
        assert!(sockopt::decode_set(so::SET_ADD, &u.bytes()).is_ok());
    }
}

#[test]
fn set_zero_all_whatever_the_protocol() {
    let mut u = Usvc::tcp();
    u.addr = [0; 4];
    u.port = 0;
    u.protocol = 0;
    u.sched = *b"abcdefghijklmnop";
    assert_eq!(
        sockopt::decode_set(so::SET_ZERO, &u.bytes()),
        Ok(SetReq::ZeroAll)
    );
    u.protocol = uapi::IPPROTO_UDP;
    assert_eq!(
        sockopt::decode_set(so::SET_ZERO, &u.bytes()),
        Ok(SetReq::ZeroAll)
    );
    // Any of mark, address or port makes it a service, then the protocol matters.
    for (addr, port, mark) in [([0, 0, 0, 1], 0, 0), ([0; 4], 1, 0), ([0; 4], 0, 1)] {
        u.protocol = 0;
        u.addr = addr;
        u.port = port;
        u.fwmark = mark;
        assert_eq!(sockopt::decode_set(so::SET_ZERO, &u.bytes()), Err(EFAULT));
        u.protocol = uapi::IPPROTO_UDP;
        assert!(matches!(
            sockopt::decode_set(so::SET_ZERO, &u.bytes()),
            Ok(SetReq::Zero(_))
        ));
    }
    // An all-zero DEL is an ordinary (missing) service.
    let mut u = Usvc::tcp();
    u.addr = [0; 4];
    u.port = 0;
    assert!(matches!(
        sockopt::decode_set(so::SET_DEL, &u.bytes()),
        Ok(SetReq::DelService(s)) if s.req.key.addr == [0; 16] && s.req.key.port == 0
    ));
}

#[test]
fn set_fwmark_service_key_and_sent_identity() {
    let mut u = Usvc::tcp();
    u.protocol = uapi::IPPROTO_UDP;
    u.fwmark = 42;
    let Ok(SetReq::AddService(s)) = sockopt::decode_set(so::SET_ADD, &u.bytes()) else {
        panic!("not an ADD");
    };
    // Looked up like genl: AF_INET, TCP, no address or port.
    assert_eq!(
        s.req.key,
        SvcKey {
            af: AF_INET,
            protocol: uapi::IPPROTO_TCP,
            addr: [0; 16],
            port: 0,
            fwmark: 42,
        }
    );
    // What C stores and compares.
    assert_eq!(
        s.sent,
        SvcKey {
            af: AF_INET,
            protocol: uapi::IPPROTO_UDP,
            addr: v4(VIP),
            port: 80,
            fwmark: 42,
        }
    );
}

#[test]
fn set_dest_fields() {
    let b = [
        Usvc::tcp().bytes(),
        udest(0x2003 | 0x1_0000 | 0x40, 5, 100, 10),
    ]
    .concat();
    let svc = SvcCmd {
        req: SvcReq {
            key: tcp_key(),
            conf: None,
        },
        sent: tcp_key(),
    };
    let dest = DestReq {
        af: AF_INET,
        addr: v4(RIP),
        port: 8080,
        conf: Some(DestConf {
            fwd: uapi::CONN_F_DROUTE,
            flags: 0x1_2000,
            weight: 5,
            u_thresh: 100,
            l_thresh: 10,
            tun_type: 0,
            tun_port: 0,
            tun_flags: 0,
        }),
    };
    let cmd = DestCmd {
        svc,
        dest,
        conn_flags: 0x1_2043,
    };
    assert_eq!(
        sockopt::decode_set(so::SET_ADDDEST, &b),
        Ok(SetReq::AddDest(cmd))
    );
    assert_eq!(
        sockopt::decode_set(so::SET_EDITDEST, &b),
        Ok(SetReq::EditDest(cmd))
    );
    let del = DestCmd {
        dest: DestReq { conf: None, ..dest },
        ..cmd
    };
    assert_eq!(
        sockopt::decode_set(so::SET_DELDEST, &b),
        Ok(SetReq::DelDest(del))
    );
    // A negative weight passes through as its bits (ERANGE is the kernel side's).
    let b = [Usvc::tcp().bytes(), udest(0, -1, 0, 0)].concat();
    assert!(matches!(
        sockopt::decode_set(so::SET_ADDDEST, &b),
        Ok(SetReq::AddDest(d)) if d.dest.conf.unwrap().weight == u32::MAX
    ));
    // The service's scheduler name is not checked for destinations.
    let mut u = Usvc::tcp();
    u.sched = *b"abcdefghijklmnop";
    let b = [u.bytes(), udest(0, 1, 0, 0)].concat();
    assert!(sockopt::decode_set(so::SET_ADDDEST, &b).is_ok());
}

// --- GET ----------------------------------------------------------------------------------------

#[test]
fn get_range_and_minimum_length() {
    assert_eq!(sockopt::check_get(1151, 1000), Err(EINVAL));
    assert_eq!(sockopt::check_get(1160, 1000), Err(EINVAL));
    assert_eq!(sockopt::check_get(so::GET_VERSION, 63), Err(EINVAL));
    assert_eq!(sockopt::check_get(so::GET_VERSION, 64), Ok(64));
    assert_eq!(sockopt::check_get(so::GET_VERSION, 1000), Ok(64));
    assert_eq!(sockopt::check_get(so::GET_INFO, 11), Err(EINVAL));
    assert_eq!(sockopt::check_get(so::GET_INFO, -1), Err(EINVAL));
    assert_eq!(sockopt::check_get(so::GET_DAEMON, 47), Err(EINVAL));
    assert_eq!(sockopt::check_get(so::GET_DAEMON, 48), Ok(48));
    assert_eq!(sockopt::check_get(so::GET_DEST, 0), Ok(0));
    assert_eq!(sockopt::check_get(so::GET_DEST, -5), Err(EINVAL));
    // GET_DEST has no arglen but is not implemented.
    assert_eq!(sockopt::decode_get(so::GET_DEST, 0, &[]), Err(EINVAL));
    assert_eq!(sockopt::decode_get(so::GET_DEST, 100, &[]), Err(EINVAL));
    // Longer buffers are fine for the fixed-size options.
    let z = [0u8; 104];
    assert_eq!(
        sockopt::decode_get(so::GET_VERSION, 200, &z),
        Ok(GetReq::Version)
    );
    assert_eq!(sockopt::decode_get(so::GET_INFO, 13, &z), Ok(GetReq::Info));
    assert_eq!(
        sockopt::decode_get(so::GET_TIMEOUT, 12, &z),
        Ok(GetReq::Timeouts)
    );
    assert_eq!(
        sockopt::decode_get(so::GET_DAEMON, 100, &z),
        Ok(GetReq::Daemons)
    );
    assert_eq!(sockopt::decode_get(so::GET_TIMEOUT, 11, &z), Err(EINVAL));
    // Fewer bytes given than must be copied in is a caller error.
    assert_eq!(sockopt::decode_get(so::GET_INFO, 12, &z[..11]), Err(EFAULT));
}

#[test]
fn get_services_length_must_be_exact() {
    let head = |n: u32| {
        let mut b = vec![0u8; 8];
        w32(&mut b, 0, n);
        b
    };
    assert_eq!(
        sockopt::decode_get(so::GET_SERVICES, 8, &head(0)),
        Ok(GetReq::Services { num: 0 })
    );
    assert_eq!(
        sockopt::decode_get(so::GET_SERVICES, 8 + 3 * 104, &head(3)),
        Ok(GetReq::Services { num: 3 })
    );
    assert_eq!(
        sockopt::decode_get(so::GET_SERVICES, 7, &head(0)),
        Err(EINVAL)
    );
    assert_eq!(
        sockopt::decode_get(so::GET_SERVICES, 9, &head(0)),
        Err(EINVAL)
    );
    assert_eq!(
        sockopt::decode_get(so::GET_SERVICES, 8 + 3 * 104 - 1, &head(3)),
        Err(EINVAL)
    );
    assert_eq!(
        sockopt::decode_get(so::GET_SERVICES, 8 + 2 * 104, &head(3)),
        Err(EINVAL)
    );
    // No wrap-around: a huge count never matches an int length.
    assert_eq!(
        sockopt::decode_get(so::GET_SERVICES, 8 + 104, &head(u32::MAX)),
        Err(EINVAL)
    );
    // 4 + n * 104 (the header without its padding) is not accepted.
    assert_eq!(
        sockopt::decode_get(so::GET_SERVICES, 4 + 104, &head(1)),
        Err(EINVAL)
    );
}

#[test]
fn get_dests_length_and_key() {
    let head = |proto: u16, mark: u32, n: u32| {
        let mut b = vec![0u8; 24];
        b[0..2].copy_from_slice(&proto.to_ne_bytes());
        b[4..8].copy_from_slice(&VIP);
        b[8..10].copy_from_slice(&80u16.to_be_bytes());
        w32(&mut b, 12, mark);
        w32(&mut b, 16, n);
        b
    };
    assert_eq!(
        sockopt::decode_get(so::GET_DESTS, 24 + 2 * 96, &head(6, 0, 2)),
        Ok(GetReq::Dests {
            key: tcp_key(),
            num: 2,
        })
    );
    assert_eq!(
        sockopt::decode_get(so::GET_DESTS, 24 + 96, &head(6, 0, 2)),
        Err(EINVAL)
    );
    assert_eq!(
        sockopt::decode_get(so::GET_DESTS, 23, &head(6, 0, 0)),
        Err(EINVAL)
    );
    assert_eq!(
        sockopt::decode_get(so::GET_DESTS, 25, &head(6, 0, 0)),
        Err(EINVAL)
    );
    // By mark: the protocol, address and port are ignored; no protocol check on GETs.
    let mark = SvcKey {
        af: AF_INET,
        protocol: uapi::IPPROTO_TCP,
        addr: [0; 16],
        port: 0,
        fwmark: 9,
    };
    assert_eq!(
        sockopt::decode_get(so::GET_DESTS, 24, &head(99, 9, 0)),
        Ok(GetReq::Dests { key: mark, num: 0 })
    );
    let mut entry = vec![0u8; 104];
    entry[..24].copy_from_slice(&head(99, 9, 0));
    assert_eq!(
        sockopt::decode_get(so::GET_SERVICE, 104, &entry),
        Ok(GetReq::Service(mark))
    );
    entry[..24].copy_from_slice(&head(0, 0, 0));
    let key = SvcKey {
        protocol: 0,
        ..tcp_key()
    };
    assert_eq!(
        sockopt::decode_get(so::GET_SERVICE, 104, &entry),
        Ok(GetReq::Service(key))
    );
    assert_eq!(
        sockopt::decode_get(so::GET_SERVICE, 103, &entry),
        Err(EINVAL)
    );
}

// --- replies ------------------------------------------------------------------------------------

#[test]
fn version_string() {
    let mut b = [0xaau8; 64];
    let n = sockopt::put_version(&mut b, 4096);
    let s = b"IP Virtual Server version 1.2.1 (size=4096)\0";
    assert_eq!(n, s.len());
    assert_eq!(&b[..n], s);
    assert_eq!(b[n], 0xaa);
    let n = sockopt::put_version(&mut b, 0);
    assert_eq!(&b[..n], b"IP Virtual Server version 1.2.1 (size=0)\0");
    // C prints an int.
    let n = sockopt::put_version(&mut b, u32::MAX);
    assert_eq!(&b[..n], b"IP Virtual Server version 1.2.1 (size=-1)\0");
}

#[test]
fn info_layout() {
    let mut b = [0u8; 12];
    sockopt::put_info(&mut b, 4096, 3);
    assert_eq!((r32(&b, 0), r32(&b, 4), r32(&b, 8)), (0x010201, 4096, 3));
}

/// Distinct counters to see every offset.
fn stats() -> Stats {
    Stats {
        conns: 0x1_0000_0001,
        inpkts: 2,
        outpkts: 3,
        inbytes: 0x4_0000_0004,
        outbytes: 0x5_0000_0005,
        cps: 6,
        inpps: 7,
        outpps: 8,
        inbps: 9,
        outbps: 10,
    }
}

/// Checks an `ip_vs_stats_user` at `off` (conns 0, inpkts 4, outpkts 8, inbytes 16,
/// outbytes 24, cps 32, inpps 36, outpps 40, inbps 44, outbps 48), padding at 12..16 as `pad`.
fn check_stats(b: &[u8], off: usize, pad: u8) {
    assert_eq!(r32(b, off), 1, "conns truncated to 32 bits");
    assert_eq!((r32(b, off + 4), r32(b, off + 8)), (2, 3));
    assert_eq!(&b[off + 12..off + 16], &[pad; 4]);
    assert_eq!(r64(b, off + 16), 0x4_0000_0004);
    assert_eq!(r64(b, off + 24), 0x5_0000_0005);
    let rates: Vec<_> = (0..5).map(|i| r32(b, off + 32 + 4 * i)).collect();
    assert_eq!(rates, [6, 7, 8, 9, 10]);
}

#[test]
fn service_entry_layout() {
    let key = tcp_key();
    let v = SvcView {
        key,
        sched: b"wlc",
        pe: None,
        flags: uapi::SVC_F_PERSISTENT | uapi::SVC_F_HASHED,
        timeout: 300,
        netmask: u32::from_ne_bytes([255, 255, 255, 0]),
        stats: stats(),
    };
    // Over a buffer of 0xaa (GET_SERVICE writes over the caller's entry): padding stays.
    let mut b = [0xaau8; 104];
    sockopt::put_service_entry(&mut b, &v, 2);
    assert_eq!(&b[0..2], &6u16.to_ne_bytes());
    assert_eq!(&b[2..4], &[0xaa; 2]);
    assert_eq!(&b[4..8], &VIP);
    assert_eq!(&b[8..10], &[0, 80]);
    assert_eq!(&b[10..12], &[0xaa; 2]);
    assert_eq!(r32(&b, 12), 0);
    assert_eq!(&b[16..32], b"wlc\0\0\0\0\0\0\0\0\0\0\0\0\0");
    assert_eq!((r32(&b, 32), r32(&b, 36)), (3, 300));
    assert_eq!(&b[40..44], &[255, 255, 255, 0]);
    assert_eq!(r32(&b, 44), 2);
    check_stats(&b, 48, 0xaa);
    // A mark service; a 16-byte name is cut to 15 and the NUL.
    let v = SvcView {
        key: SvcKey {
            af: AF_INET,
            protocol: uapi::IPPROTO_TCP,
            addr: [0; 16],
            port: 0,
            fwmark: 0x1234,
        },
        sched: b"abcdefghijklmnop",
        ..v
    };
    let mut b = [0u8; 104];
    sockopt::put_service_entry(&mut b, &v, 0);
    assert_eq!(
        (r32(&b, 4), &b[8..10], r32(&b, 12)),
        (0, &[0u8, 0][..], 0x1234)
    );
    assert_eq!(&b[16..32], b"abcdefghijklmno\0");
}

#[test]
fn dest_entry_layout() {
    let conf = DestConf {
        fwd: uapi::CONN_F_MASQ,
        flags: 0,
        weight: -3i32 as u32,
        u_thresh: 100,
        l_thresh: 10,
        tun_type: 0,
        tun_port: 0,
        tun_flags: 0,
    };
    let d = DestView {
        af: AF_INET,
        addr: v4(RIP),
        port: 8080,
        conf,
        active: 11,
        inactive: 12,
        persist: 13,
        stats: stats(),
    };
    let mut b = [0xaau8; 96];
    sockopt::put_dest_entry(&mut b, &d);
    assert_eq!(&b[0..4], &RIP);
    assert_eq!(&b[4..6], &8080u16.to_be_bytes());
    assert_eq!(&b[6..8], &[0xaa; 2]);
    assert_eq!(r32(&b, 8), 0x100, "NAT: INACTIVE only");
    assert_eq!(r32(&b, 12) as i32, -3);
    assert_eq!((r32(&b, 16), r32(&b, 20)), (100, 10));
    assert_eq!((r32(&b, 24), r32(&b, 28), r32(&b, 32)), (11, 12, 13));
    assert_eq!(&b[36..40], &[0xaa; 4]);
    check_stats(&b, 40, 0xaa);
}

#[test]
fn dest_conn_flags_as_c_keeps_them() {
    assert_eq!(sockopt::dest_conn_flags(uapi::CONN_F_MASQ), 0x100);
    assert_eq!(sockopt::dest_conn_flags(uapi::CONN_F_LOCALNODE), 0x181);
    assert_eq!(sockopt::dest_conn_flags(uapi::CONN_F_TUNNEL), 0x182);
    assert_eq!(sockopt::dest_conn_flags(uapi::CONN_F_DROUTE), 0x183);
    assert_eq!(sockopt::dest_conn_flags(uapi::CONN_F_BYPASS), 0x184);
    // Only IP_VS_CONN_F_DEST_MASK of what is sent.
    assert_eq!(sockopt::dest_conn_flags(0xffff_fff8), 0x1_2100);
    assert_eq!(sockopt::dest_conn_flags(0xffff_ffff), 0x1_2187);
    assert_eq!(sockopt::dest_conn_flags(0x2000), 0x2100);
}

#[test]
fn timeouts_and_daemons_layout() {
    let mut b = [0u8; 12];
    sockopt::put_timeouts(&mut b, 900, 120, 300);
    assert_eq!((r32(&b, 0), r32(&b, 4), r32(&b, 8)), (900, 120, 300));
    let mut d = [0xaau8; 48];
    sockopt::put_daemons(&mut d, None, None);
    assert_eq!(d, [0u8; 48]);
    sockopt::put_daemons(&mut d, None, Some((b"eth1", 5)));
    assert_eq!(&d[..24], &[0u8; 24]);
    assert_eq!(r32(&d, 24), 2);
    assert_eq!(&d[28..44], b"eth1\0\0\0\0\0\0\0\0\0\0\0\0");
    assert_eq!(r32(&d, 44), 5);
    sockopt::put_daemons(&mut d, Some((b"eth0", 1)), None);
    assert_eq!((r32(&d, 0), &d[4..8], r32(&d, 20)), (1, &b"eth0"[..], 1));
    assert_eq!(&d[24..], &[0u8; 24]);
}

#[test]
fn add_then_list_round_trip() {
    // What ADD decodes, listed back, gives the sent fields.
    let sent = Usvc::tcp().bytes();
    let Ok(SetReq::AddService(s)) = sockopt::decode_set(so::SET_ADD, &sent) else {
        panic!("not an ADD");
    };
    let c = s.req.conf.unwrap();
    let v = SvcView {
        key: s.req.key,
        sched: c.sched.as_bytes(),
        pe: None,
        flags: c.flags & c.mask | uapi::SVC_F_HASHED,
        timeout: c.timeout,
        netmask: c.netmask,
        stats: Stats::default(),
    };
    let mut b = [0u8; 104];
    sockopt::put_service_entry(&mut b, &v, 0);
    assert_eq!(&b[..32], &sent[..32]);
    assert_eq!(r32(&b, 32), r32(&sent, 32) | uapi::SVC_F_HASHED);
    assert_eq!(&b[36..44], &sent[36..44]);
    // GET_SERVICE's key from that entry finds the same service.
    assert_eq!(
        sockopt::decode_get(so::GET_SERVICE, 104, &b),
        Ok(GetReq::Service(s.req.key))
    );
    // Likewise a destination.
    let sd = [sent.clone(), udest(uapi::CONN_F_TUNNEL, 7, 50, 5)].concat();
    let Ok(SetReq::AddDest(d)) = sockopt::decode_set(so::SET_ADDDEST, &sd) else {
        panic!("not an ADDDEST");
    };
    let dv = DestView {
        af: d.dest.af,
        addr: d.dest.addr,
        port: d.dest.port,
        conf: d.dest.conf.unwrap(),
        active: 0,
        inactive: 0,
        persist: 0,
        stats: Stats::default(),
    };
    let mut e = [0u8; 96];
    sockopt::put_dest_entry(&mut e, &dv);
    assert_eq!(&e[..6], &sd[44..50]);
    assert_eq!(r32(&e, 8), 0x182);
    assert_eq!(&e[12..24], &sd[56..68]);
}
