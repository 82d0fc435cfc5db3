#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Exercises the legacy IPVS socket options (IP_VS_SO_SET_* / IP_VS_SO_GET_*, 1152..1167 and
1152..1159 on an AF_INET socket at level IPPROTO_IP), every SET and GET with good and malformed
arguments, and prints one deterministic line per operation:

    <operation>: ok [<decoded reply>]
    <operation>: <ERRNO NAME>

Run as root against whichever IPVS is loaded (C ip_vs or ipvs_rs): the outputs must be equal.
It flushes the IPVS table first and ends with a known configuration (three services with
destinations, default timeouts), printed through GET options only. Nothing here depends on the
order of C's service hash table: GET_SERVICES listings are sorted, partial listings counted.

The conn table size printed by GET_VERSION/GET_INFO is the table's current size, so run it on
a freshly loaded module. No traffic is sent: every counter must be zero.

    --unpriv    fork, drop to uid/gid 65534 without groups (so without CAP_NET_ADMIN) and run
                the same sequence: every IPVS option must answer EPERM and change nothing.

Usage: sockopt.py [--unpriv]
"""
import ctypes
import errno
import os
import socket
import struct
import sys

SOL_IP = 0
BASE = 1152
SET_NONE, SET_INSERT, SET_ADD, SET_EDIT, SET_DEL, SET_FLUSH, SET_LIST = range(BASE, BASE + 7)
SET_ADDDEST, SET_DELDEST, SET_EDITDEST, SET_TIMEOUT = range(BASE + 7, BASE + 11)
SET_STARTDAEMON, SET_STOPDAEMON, SET_RESTORE, SET_SAVE, SET_ZERO = range(BASE + 11, BASE + 16)
GET_VERSION, GET_INFO, GET_SERVICES, GET_SERVICE = range(BASE, BASE + 4)
GET_DESTS, GET_DEST, GET_TIMEOUT, GET_DAEMON = range(BASE + 4, BASE + 8)

TCP, UDP, SCTP = 6, 17, 132
PROTO = {TCP: "TCP", UDP: "UDP", SCTP: "SCTP"}
MASQ, LOCAL, TUNNEL, DROUTE = 0, 1, 2, 3
ONE_PACKET = 0x2000
F_PERSISTENT, F_HASHED, F_ONEPACKET = 1, 2, 4
INT_MAX = 0x7FFFFFFF

# struct ip_vs_service_user (44), ip_vs_dest_user (24), ip_vs_timeout_user (12),
# ip_vs_daemon_user (24), ip_vs_getinfo (12), ip_vs_service_entry (104),
# ip_vs_dest_entry (96), ip_vs_stats_user (56), ip_vs_get_services (8), ip_vs_get_dests (24).
SVC_USER = struct.Struct("=H2x4s2s2xI16sII4s")
DEST_USER = struct.Struct("=4s2s2xIiII")
TIMEOUT_USER = struct.Struct("=iii")
DAEMON_USER = struct.Struct("=i16si")
GETINFO = struct.Struct("=III")
STATS = struct.Struct("=III4sQQIIIII4s")
SVC_ENTRY = struct.Struct("=H2s4s2s2sI16sII4sI56s")
DEST_ENTRY = struct.Struct("=4s2s2sIiIIIII4s56s")
GET_SERVICES_HEAD = 8
GET_DESTS_HEAD = struct.Struct("=H2x4s2s2xII4x")
assert (SVC_USER.size, DEST_USER.size, TIMEOUT_USER.size, DAEMON_USER.size) == (44, 24, 12, 24)
assert (GETINFO.size, SVC_ENTRY.size, DEST_ENTRY.size, STATS.size) == (12, 104, 96, 56)
assert GET_DESTS_HEAD.size == 24

libc = ctypes.CDLL(None, use_errno=True)
libc.setsockopt.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p,
                            ctypes.c_uint]
libc.getsockopt.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p,
                            ctypes.POINTER(ctypes.c_uint)]

SOCK = None


def ename(e):
    return errno.errorcode.get(e, "errno %d" % e)


def setopt(cmd, data):
    """setsockopt(cmd, data): 0 or the errno."""
    buf = ctypes.create_string_buffer(bytes(data), len(data)) if data else None
    r = libc.setsockopt(SOCK.fileno(), SOL_IP, cmd, buf, len(data))
    return ctypes.get_errno() if r < 0 else 0


def getopt(cmd, data, length):
    """getsockopt(cmd) on a buffer of `length` bytes starting with `data` (the rest filled with
    0xee): (errno or 0, the whole buffer afterwards, the returned length)."""
    size = max(length, len(data), 1)
    buf = ctypes.create_string_buffer(size)
    ctypes.memmove(buf, b"\xee" * size, size)
    ctypes.memmove(buf, bytes(data), len(data))
    ln = ctypes.c_uint(length & 0xFFFFFFFF)
    r = libc.getsockopt(SOCK.fileno(), SOL_IP, cmd, buf, ctypes.byref(ln))
    err = ctypes.get_errno() if r < 0 else 0
    return err, buf.raw[:size], ln.value


def report(label, err, extra=""):
    line = "%s: %s" % (label, "ok" if err == 0 else ename(err))
    if err == 0 and extra:
        line += " " + extra
    print(line, flush=True)


def untouched(b):
    """Whether the kernel left these bytes of the buffer as they were (0xee)."""
    return b == b"\xee" * len(b)


def ip(a):
    return socket.inet_aton(a)


def usvc(proto=TCP, addr="0.0.0.0", port=0, fwmark=0, sched=b"rr", flags=0, timeout=0,
         netmask="255.255.255.255"):
    sched = sched if len(sched) == 16 else sched.ljust(16, b"\0")
    return SVC_USER.pack(proto, ip(addr), struct.pack(">H", port), fwmark, sched, flags,
                         timeout, ip(netmask))


def udest(addr, port, fwd=MASQ, weight=1, u=0, l=0):
    return DEST_USER.pack(ip(addr), struct.pack(">H", port), fwd, weight, u, l)


def svc_label(proto, addr, port, fwmark):
    if fwmark:
        return "FWM %d/%s" % (fwmark, PROTO.get(proto, proto))
    return "%s %s:%d" % (PROTO.get(proto, proto), addr, port)


def fmt_stats(b):
    (conns, inpkts, outpkts, pad, inbytes, outbytes, cps, inpps, outpps, inbps, outbps,
     pad2) = STATS.unpack(b)
    return "stats=%d/%d/%d/%d/%d/%d/%d/%d/%d/%d spad=%s%s" % (
        conns, inpkts, outpkts, inbytes, outbytes, cps, inpps, outpps, inbps, outbps, pad.hex(),
        pad2.hex())


def fmt_svc(b):
    (proto, pad1, addr, port, pad2, fwmark, sched, flags, timeout, netmask, num_dests,
     stats) = SVC_ENTRY.unpack(b)
    name = sched.split(b"\0")[0]
    return ("proto=%d addr=%s port=%d fwmark=%d sched=%s schedtail=%s flags=%#x timeout=%d "
            "netmask=%s num_dests=%d pad=%s%s %s" % (
                proto, socket.inet_ntoa(addr), struct.unpack(">H", port)[0], fwmark,
                name.decode("ascii", "backslashreplace"), sched[len(name):].hex(), flags,
                timeout, socket.inet_ntoa(netmask), num_dests, pad1.hex(), pad2.hex(),
                fmt_stats(stats)))


def svc_sort_key(b):
    proto, _, addr, port, _, fwmark = SVC_ENTRY.unpack(b)[:6]
    return (fwmark, proto, addr, port)


def fmt_dest(b):
    (addr, port, pad1, conn_flags, weight, u, l, active, inact, persist, pad2,
     stats) = DEST_ENTRY.unpack(b)
    return ("addr=%s port=%d conn_flags=%#x weight=%d u=%d l=%d active=%d inact=%d persist=%d "
            "pad=%s%s %s" % (socket.inet_ntoa(addr), struct.unpack(">H", port)[0], conn_flags,
                             weight, u, l, active, inact, persist, pad1.hex(), pad2.hex(),
                             fmt_stats(stats)))


# --- operations --------------------------------------------------------------------------------

def do_set(label, cmd, data):
    err = setopt(cmd, data)
    report("set %s" % label, err)
    return err


def svc_op(name, cmd, **kw):
    s = usvc(**kw)
    return do_set("%s %s" % (name, svc_label(kw.get("proto", TCP), kw.get("addr", "0.0.0.0"),
                                              kw.get("port", 0), kw.get("fwmark", 0))), cmd, s)


def dest_op(name, cmd, svc, addr, port, **kw):
    proto, vaddr, vport, fwmark = svc
    s = usvc(proto=proto, addr=vaddr, port=vport, fwmark=fwmark)
    return do_set("%s %s -> %s:%d %s" % (name, svc_label(*svc), addr, port,
                                         " ".join("%s=%s" % i for i in sorted(kw.items()))),
                  cmd, s + udest(addr, port, **kw))


def get_version(label, length):
    err, buf, ln = getopt(GET_VERSION, b"", length)
    extra = ""
    if err == 0:
        extra = "len=%d %r tail_untouched=%s" % (ln, buf[:ln], untouched(buf[ln:length]))
    report("get VERSION %s" % label, err, extra)


def get_info(label="", length=12):
    err, buf, ln = getopt(GET_INFO, b"", length)
    extra = ""
    num = 0
    if err == 0:
        version, size, num = GETINFO.unpack(buf[:12])
        extra = "version=%#x size=%d num_services=%d len=%d tail=%s" % (
            version, size, num, ln, buf[12:length].hex())
    report("get INFO%s" % label, err, extra)
    return num


def get_timeout(label=""):
    err, buf, ln = getopt(GET_TIMEOUT, b"", 12)
    extra = "tcp=%d tcpfin=%d udp=%d" % TIMEOUT_USER.unpack(buf[:12]) if err == 0 else ""
    report("get TIMEOUT%s" % label, err, extra)


def set_timeout(tcp, fin, udp):
    do_set("TIMEOUT %d %d %d" % (tcp, fin, udp), SET_TIMEOUT, TIMEOUT_USER.pack(tcp, fin, udp))


def get_daemon(label="", length=48):
    err, buf, ln = getopt(GET_DAEMON, b"", length)
    extra = ""
    if err == 0:
        parts = []
        for i in range(2):
            state, ifn, syncid = DAEMON_USER.unpack(buf[24 * i:24 * i + 24])
            parts.append("[state=%d ifn=%s syncid=%d]" % (state, ifn.hex(), syncid))
        extra = " ".join(parts) + " len=%d tail_untouched=%s" % (ln, untouched(buf[48:length]))
    report("get DAEMON%s" % label, err, extra)


def get_services(label, num, length=None, full=True):
    """GET_SERVICES with num_services = num on a buffer of `length` bytes (default: exact)."""
    if length is None:
        length = GET_SERVICES_HEAD + num * SVC_ENTRY.size
    head = struct.pack("=I", num & 0xFFFFFFFF) + b"\0" * 4
    err, buf, ln = getopt(GET_SERVICES, head, length)
    extra = ""
    entries = []
    if err == 0:
        # Entries written are those no longer all 0xee; the header is never written.
        body = buf[GET_SERVICES_HEAD:length]
        chunks = [body[i:i + SVC_ENTRY.size]
                  for i in range(0, len(body) - SVC_ENTRY.size + 1, SVC_ENTRY.size)]
        entries = [c for c in chunks if c != b"\xee" * SVC_ENTRY.size]
        filled_prefix = all(c != b"\xee" * SVC_ENTRY.size for c in chunks[:len(entries)])
        extra = "header=%s filled=%d prefix=%s len=%d" % (
            buf[:GET_SERVICES_HEAD].hex(), len(entries), filled_prefix, ln)
    report("get SERVICES %s" % label, err, extra)
    if full:
        for e in sorted(entries, key=svc_sort_key):
            print("  service " + fmt_svc(e), flush=True)
    return sorted(entries, key=svc_sort_key)


def get_service(label, proto=TCP, addr="0.0.0.0", port=0, fwmark=0, length=104):
    entry = SVC_ENTRY.pack(proto, b"\0\0", ip(addr), struct.pack(">H", port), b"\0\0", fwmark,
                           b"\0" * 16, 0, 0, b"\0" * 4, 0, b"\0" * 56)
    err, buf, ln = getopt(GET_SERVICE, entry, length)
    extra = ""
    if err == 0:
        extra = "%s len=%d tail_untouched=%s" % (fmt_svc(buf[:104]), ln,
                                                 untouched(buf[104:length]))
    report("get SERVICE %s %s" % (label, svc_label(proto, addr, port, fwmark)), err, extra)


def get_dests(label, proto=TCP, addr="0.0.0.0", port=0, fwmark=0, num=0, length=None):
    if length is None:
        length = GET_DESTS_HEAD.size + num * DEST_ENTRY.size
    head = GET_DESTS_HEAD.pack(proto, ip(addr), struct.pack(">H", port), fwmark,
                               num & 0xFFFFFFFF)
    err, buf, ln = getopt(GET_DESTS, head, length)
    extra = ""
    entries = []
    if err == 0:
        body = buf[GET_DESTS_HEAD.size:length]
        chunks = [body[i:i + DEST_ENTRY.size]
                  for i in range(0, len(body) - DEST_ENTRY.size + 1, DEST_ENTRY.size)]
        entries = [c for c in chunks if c != b"\xee" * DEST_ENTRY.size]
        extra = "header_unchanged=%s filled=%d len=%d" % (
            buf[:GET_DESTS_HEAD.size] == head, len(entries), ln)
    report("get DESTS %s %s num=%d" % (label, svc_label(proto, addr, port, fwmark), num), err,
           extra)
    # Destinations are in the service's list order (newest first), not sorted.
    for e in entries:
        print("  dest " + fmt_dest(e), flush=True)


def dump_state(label):
    """Everything GETs can say, independent of ipvsadm."""
    print("== state %s" % label, flush=True)
    get_version("state", 64)
    num = get_info(" state")
    entries = get_services("state", num)
    for e in entries:
        proto, _, addr, port, _, fwmark = SVC_ENTRY.unpack(e)[:6]
        num_dests = SVC_ENTRY.unpack(e)[10]
        get_dests("state", proto, socket.inet_ntoa(addr), struct.unpack(">H", port)[0], fwmark,
                  num_dests)
    get_timeout(" state")
    get_daemon(" state")


# --- the sequence ------------------------------------------------------------------------------

VIP = "192.168.10.1"
S80 = (TCP, VIP, 80, 0)
S53 = (UDP, VIP, 53, 0)
SSCTP = (SCTP, "192.168.10.3", 3868, 0)
FWM1 = (TCP, "0.0.0.0", 0, 1)


def ranges_and_lengths():
    print("== ranges and lengths", flush=True)
    for cmd in (BASE - 1, SET_ZERO + 1):
        do_set("cmd %d len 0" % cmd, cmd, b"")
        do_set("cmd %d len 44" % cmd, cmd, b"\0" * 44)
    for name, cmd in (("NONE", SET_NONE), ("INSERT", SET_INSERT), ("LIST", SET_LIST),
                      ("RESTORE", SET_RESTORE), ("SAVE", SET_SAVE)):
        do_set("%s len 0" % name, cmd, b"")
        do_set("%s len 4" % name, cmd, b"\0" * 4)
    do_set("FLUSH len 4", SET_FLUSH, b"\0" * 4)
    good = usvc(proto=TCP, addr=VIP, port=80)
    for name, cmd, n in (("ADD", SET_ADD, 44), ("EDIT", SET_EDIT, 44), ("DEL", SET_DEL, 44),
                         ("ZERO", SET_ZERO, 44), ("ADDDEST", SET_ADDDEST, 68),
                         ("EDITDEST", SET_EDITDEST, 68), ("DELDEST", SET_DELDEST, 68),
                         ("TIMEOUT", SET_TIMEOUT, 12), ("STARTDAEMON", SET_STARTDAEMON, 24),
                         ("STOPDAEMON", SET_STOPDAEMON, 24)):
        arg = (good + udest("10.0.0.2", 80))[:n] if n >= 44 else b"\0" * n
        for m in (0, n - 1, n + 1):
            do_set("%s len %d" % (name, m), cmd, (arg + b"\0")[:m])
    for cmd in (BASE - 1, GET_DAEMON + 1):
        err, _, _ = getopt(cmd, b"", 200)
        report("get cmd %d len 200" % cmd, err)
    get_version("len 63", 63)
    get_version("len 0", 0)
    get_info(" len 11", 11)
    get_info(" len -1", -1)
    err, _, ln = getopt(GET_DEST, b"", 0)
    report("get DEST len 0", err)
    err, _, ln = getopt(GET_DEST, b"", 200)
    report("get DEST len 200", err)
    for name, cmd, n in (("SERVICE", GET_SERVICE, 104), ("DESTS", GET_DESTS, 24),
                         ("TIMEOUT", GET_TIMEOUT, 12), ("DAEMON", GET_DAEMON, 48),
                         ("SERVICES", GET_SERVICES, 8)):
        err, _, _ = getopt(cmd, b"", n - 1)
        report("get %s len %d" % (name, n - 1), err)


def services():
    print("== services", flush=True)
    svc_op("ADD", SET_ADD, proto=TCP, addr=VIP, port=80, sched=b"rr")
    svc_op("ADD dup", SET_ADD, proto=TCP, addr=VIP, port=80, sched=b"wlc")
    svc_op("ADD proto 0", SET_ADD, proto=0, addr=VIP, port=81)
    svc_op("ADD proto ICMP", SET_ADD, proto=1, addr=VIP, port=81)
    svc_op("ADD proto 0 fwmark", SET_ADD, proto=0, fwmark=5)
    svc_op("ADD sched unterminated", SET_ADD, proto=TCP, addr=VIP, port=81,
           sched=b"abcdefghijklmnop")
    svc_op("ADD sched unterminated proto 0", SET_ADD, proto=0, addr=VIP, port=81,
           sched=b"abcdefghijklmnop")
    svc_op("ADD sched unknown", SET_ADD, proto=TCP, addr=VIP, port=81, sched=b"nosuchsched")
    svc_op("ADD sched empty", SET_ADD, proto=TCP, addr=VIP, port=81, sched=b"")
    svc_op("ADD sched none", SET_ADD, proto=UDP, addr=VIP, port=53, sched=b"none",
           flags=F_ONEPACKET | F_HASHED)
    svc_op("ADD", SET_ADD, proto=SCTP, addr="192.168.10.3", port=3868, sched=b"wrr",
           flags=F_PERSISTENT, timeout=60, netmask="255.255.0.0")
    svc_op("ADD", SET_ADD, proto=TCP, fwmark=1, sched=b"sh", flags=0x18)
    svc_op("ADD dup other proto", SET_ADD, proto=UDP, fwmark=1, sched=b"rr")
    svc_op("ADD port 0", SET_ADD, proto=TCP, addr="192.168.10.4", port=0, sched=b"lc",
           flags=F_PERSISTENT, timeout=30)
    svc_op("EDIT", SET_EDIT, proto=TCP, addr=VIP, port=80, sched=b"wlc", flags=F_PERSISTENT,
           timeout=300, netmask="255.255.255.0")
    svc_op("EDIT missing", SET_EDIT, proto=TCP, addr=VIP, port=82, sched=b"rr")
    svc_op("EDIT sched unknown", SET_EDIT, proto=TCP, addr=VIP, port=80, sched=b"nosuchsched")
    svc_op("EDIT sched unterminated", SET_EDIT, proto=TCP, addr=VIP, port=80,
           sched=b"abcdefghijklmnop")
    svc_op("EDIT other proto", SET_EDIT, proto=UDP, fwmark=1, sched=b"rr")
    svc_op("EDIT", SET_EDIT, proto=TCP, fwmark=1, sched=b"rr", flags=0)
    get_service("after edit", proto=TCP, addr=VIP, port=80)
    get_service("after edit", proto=TCP, fwmark=1)
    svc_op("DEL missing", SET_DEL, proto=TCP, addr=VIP, port=82)
    svc_op("DEL proto 0", SET_DEL, proto=0, addr=VIP, port=80)
    svc_op("DEL sched unterminated", SET_DEL, proto=TCP, addr="192.168.10.4", port=0,
           sched=b"abcdefghijklmnop")
    svc_op("DEL again", SET_DEL, proto=TCP, addr="192.168.10.4", port=0)
    svc_op("ZERO all", SET_ZERO, proto=0)
    svc_op("ZERO all udp", SET_ZERO, proto=UDP, sched=b"abcdefghijklmnop")
    svc_op("ZERO", SET_ZERO, proto=TCP, addr=VIP, port=80)
    svc_op("ZERO", SET_ZERO, proto=TCP, fwmark=1)
    svc_op("ZERO missing", SET_ZERO, proto=TCP, addr=VIP, port=82)
    svc_op("ZERO port only proto 0", SET_ZERO, proto=0, port=80)
    svc_op("ZERO other proto", SET_ZERO, proto=SCTP, fwmark=1)


def fwmark_udp():
    """C keeps the protocol sent with a firewall mark and compares it on later commands."""
    print("== fwmark with UDP", flush=True)
    svc_op("ADD", SET_ADD, proto=UDP, fwmark=7, sched=b"rr")
    get_service("fwmark udp", proto=TCP, fwmark=7)
    svc_op("DEL other proto", SET_DEL, proto=TCP, fwmark=7)
    svc_op("DEL", SET_DEL, proto=UDP, fwmark=7)


def dests():
    print("== destinations", flush=True)
    dest_op("ADDDEST", SET_ADDDEST, S80, "10.0.0.2", 8080)
    dest_op("ADDDEST dup", SET_ADDDEST, S80, "10.0.0.2", 8080, fwd=DROUTE)
    dest_op("ADDDEST", SET_ADDDEST, S80, "10.0.0.3", 80, fwd=DROUTE, weight=2, u=100, l=10)
    dest_op("ADDDEST", SET_ADDDEST, S80, "10.0.0.4", 80, fwd=TUNNEL, weight=0)
    dest_op("ADDDEST fwd bits", SET_ADDDEST, S80, "10.0.0.5", 80, fwd=0x40 | 0x100 | DROUTE)
    dest_op("ADDDEST one-packet", SET_ADDDEST, S53, "10.0.0.2", 53, fwd=ONE_PACKET | MASQ)
    dest_op("ADDDEST weight -1", SET_ADDDEST, S80, "10.0.0.6", 80, weight=-1)
    dest_op("ADDDEST l > u", SET_ADDDEST, S80, "10.0.0.6", 80, u=10, l=20)
    dest_op("ADDDEST u > INT_MAX", SET_ADDDEST, S80, "10.0.0.6", 80, u=INT_MAX + 1)
    dest_op("ADDDEST broadcast", SET_ADDDEST, S80, "255.255.255.255", 80)
    dest_op("ADDDEST multicast", SET_ADDDEST, S80, "224.0.0.1", 80)
    dest_op("ADDDEST svc missing", SET_ADDDEST, (TCP, VIP, 82, 0), "10.0.0.2", 80)
    dest_op("ADDDEST proto 0", SET_ADDDEST, (0, VIP, 80, 0), "10.0.0.6", 80)
    dest_op("ADDDEST", SET_ADDDEST, FWM1, "10.0.0.7", 0, fwd=DROUTE, weight=3)
    dest_op("ADDDEST other proto", SET_ADDDEST, (UDP, "0.0.0.0", 0, 1), "10.0.0.8", 0)
    dest_op("ADDDEST", SET_ADDDEST, SSCTP, "10.0.0.9", 3868, weight=4)
    dest_op("EDITDEST", SET_EDITDEST, S80, "10.0.0.3", 80, fwd=DROUTE, weight=5, u=200, l=0)
    dest_op("EDITDEST fwd", SET_EDITDEST, S80, "10.0.0.2", 8080, fwd=LOCAL, weight=1)
    dest_op("EDITDEST missing", SET_EDITDEST, S80, "10.0.0.99", 80)
    dest_op("EDITDEST weight -1", SET_EDITDEST, S80, "10.0.0.3", 80, weight=-1)
    dest_op("EDITDEST svc missing", SET_EDITDEST, (TCP, VIP, 82, 0), "10.0.0.3", 80)
    dest_op("DELDEST", SET_DELDEST, S80, "10.0.0.4", 80)
    dest_op("DELDEST again", SET_DELDEST, S80, "10.0.0.4", 80)
    dest_op("DELDEST svc missing", SET_DELDEST, (TCP, VIP, 82, 0), "10.0.0.3", 80)
    dest_op("DELDEST proto 0", SET_DELDEST, (0, VIP, 80, 0), "10.0.0.3", 80)


def gets():
    print("== gets", flush=True)
    get_version("len 64", 64)
    get_version("len 200", 200)
    num = get_info()
    get_info(" len 20", 20)
    get_services("exact", num)
    get_services("one more", num + 1, full=False)
    get_services("one", 1, full=False)
    get_services("zero", 0)
    get_services("len short", num, length=GET_SERVICES_HEAD + num * SVC_ENTRY.size - 1)
    get_services("len long", num, length=GET_SERVICES_HEAD + num * SVC_ENTRY.size + 1)
    get_services("len without padding", num, length=4 + num * SVC_ENTRY.size)
    get_services("num huge", 0xFFFFFFFF, length=GET_SERVICES_HEAD)
    get_service("tcp", proto=TCP, addr=VIP, port=80)
    get_service("len 200", proto=TCP, addr=VIP, port=80, length=200)
    get_service("udp", proto=UDP, addr=VIP, port=53)
    get_service("sctp", proto=SCTP, addr="192.168.10.3", port=3868)
    get_service("fwmark any proto", proto=0, fwmark=1)
    get_service("missing", proto=TCP, addr=VIP, port=82)
    get_service("wrong proto", proto=UDP, addr=VIP, port=80)
    get_dests("exact", *S80, num=3)
    get_dests("more", *S80, num=5)
    get_dests("fewer", *S80, num=1)
    get_dests("zero", *S80, num=0)
    get_dests("fwmark any proto", 0, "0.0.0.0", 0, 1, num=1)
    get_dests("len short", *S80, num=3, length=24 + 3 * 96 - 1)
    get_dests("len long", *S80, num=3, length=24 + 3 * 96 + 1)
    get_dests("missing", TCP, VIP, 82, 0, num=0)
    get_dests("missing len wrong", TCP, VIP, 82, 0, num=1, length=24)
    get_timeout()
    get_daemon()
    get_daemon(" len 100", 100)


def timeouts():
    print("== timeouts", flush=True)
    get_timeout(" initial")
    set_timeout(0, 0, 0)
    get_timeout()
    set_timeout(1000, 100, 200)
    get_timeout()
    set_timeout(0, 50, 0)
    get_timeout()
    set_timeout(-1, 0, 0)
    set_timeout(0, 0, -1)
    set_timeout(INT_MAX, 0, 0)
    set_timeout(0, INT_MAX, 0)
    set_timeout(0, 0, INT_MAX)
    set_timeout(7, 8, -5)
    get_timeout(" after invalid")
    set_timeout(2147483, 2147483, 2147483)
    get_timeout()
    set_timeout(900, 120, 300)
    get_timeout()


def daemons():
    print("== daemons", flush=True)
    for label, state, ifn, syncid in (
            ("master empty ifn", 1, b"", 1),
            ("master unterminated ifn", 1, b"abcdefghijklmnop", 1),
            ("master unknown ifn", 1, b"nosuchif0", 1),
            ("backup unknown ifn", 2, b"nosuchif0", 1),
            ("state 0 unknown ifn", 0, b"nosuchif0", 1),
            ("state 3 lo", 3, b"lo", 1),
            ("state 0 lo", 0, b"lo", 1)):
        do_set("STARTDAEMON %s" % label, SET_STARTDAEMON,
               DAEMON_USER.pack(state, ifn.ljust(16, b"\0")[:16], syncid))
    for state in (1, 2, 0, 3, -1):
        do_set("STOPDAEMON state %d" % state, SET_STOPDAEMON,
               DAEMON_USER.pack(state, b"\0" * 16, 0))
    get_daemon()


def final_config():
    print("== final configuration", flush=True)
    do_set("FLUSH", SET_FLUSH, b"")
    svc_op("ADD", SET_ADD, proto=TCP, addr=VIP, port=80, sched=b"wlc")
    dest_op("ADDDEST", SET_ADDDEST, S80, "10.0.0.2", 80, weight=1)
    dest_op("ADDDEST", SET_ADDDEST, S80, "10.0.0.3", 80, weight=2)
    svc_op("ADD", SET_ADD, proto=UDP, addr=VIP, port=53, sched=b"rr")
    dest_op("ADDDEST", SET_ADDDEST, S53, "10.0.0.2", 53, weight=1)
    svc_op("ADD", SET_ADD, proto=TCP, fwmark=1, sched=b"rr", flags=F_PERSISTENT, timeout=120)
    dest_op("ADDDEST", SET_ADDDEST, FWM1, "10.0.0.7", 0, fwd=DROUTE, weight=3)
    svc_op("ZERO all", SET_ZERO, proto=0)
    dump_state("final")


def sequence():
    do_set("FLUSH", SET_FLUSH, b"")
    dump_state("initial")
    ranges_and_lengths()
    services()
    fwmark_udp()
    dests()
    gets()
    dump_state("middle")
    timeouts()
    daemons()
    do_set("FLUSH", SET_FLUSH, b"")
    get_info(" after flush")
    get_services("after flush", 0)
    final_config()


def main():
    global SOCK
    unpriv = sys.argv[1:] == ["--unpriv"]
    if sys.argv[1:] and not unpriv:
        sys.exit(__doc__)
    SOCK = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if not unpriv:
        sequence()
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            print("unpriv uid=%d euid=%d" % (os.getuid(), os.geteuid()), flush=True)
            sequence()
        finally:
            sys.stdout.flush()
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
