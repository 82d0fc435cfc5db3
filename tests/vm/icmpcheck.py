#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ICMP errors through IPVS, seen from the ends.

icmpcheck.py VIP PORT
    Sends one UDP datagram from a connected socket to VIP:PORT and reports what comes back: the
    socket's error and, captured on a raw socket, the ICMP error (source, type, checksums, and
    the embedded packet's addresses and ports; the client's own port is printed as CPORT).
icmpcheck.py inject VIP PORT SPORT [--no-request]
    From local port SPORT, sends a datagram to VIP:PORT (making the connection; not with
    --no-request), then an ICMP port unreachable to VIP about the reply it could have got
    (VIP:PORT -> here:SPORT).
icmpcheck.py capture SECONDS NAME [COUNT]
    Prints, for SECONDS (or until COUNT have come), the ICMP errors this host receives
    (prefixed with NAME).
icmpcheck.py pmtu VIP PORT SIZE
    Sends one UDP datagram of SIZE bytes (IP header included) with DF to VIP:PORT, whatever
    the path MTU this host has learnt, and reports the answer or the ICMP error that came back
    to the socket (type/code, sender, and for "fragmentation needed" the MTU it gives).
"""
import select
import socket
import struct
import sys
import time


def checksum(b):
    """The internet checksum of b (two bytes, network order)."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return struct.pack("!H", ~s & 0xFFFF)


def csum_ok(b):
    """Whether data that holds its own internet checksum sums to all ones."""
    return checksum(b) == b"\0\0"


def inject(vip, port, sport, request=True):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", sport))
    u.connect((vip, port))
    me = u.getsockname()[0]
    if request:
        u.send(b"ping")
        time.sleep(0.5)
    # The reply the client is "refusing": VIP:PORT -> me:SPORT, UDP, 12 bytes.
    eip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + 4, 0x1234, 0, 64, 17, 0,
                                socket.inet_aton(vip), socket.inet_aton(me)))
    eip[10:12] = checksum(bytes(eip))
    eudp = struct.pack("!HHHH", port, sport, 12, 0)
    body = bytes(eip) + eudp
    icmp = bytearray(struct.pack("!BBHI", 3, 3, 0, 0) + body)
    icmp[2:4] = checksum(bytes(icmp))
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    raw.sendto(bytes(icmp), (vip, 0))
    print("injected")


def icmp_errors(raw, seconds):
    """Yields, for SECONDS, the ICMP errors (destination unreachable, time exceeded) arriving
    on RAW that embed a transport header:
    (outer source, outer destination, ICMP message, embedded IP header, its ports)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        r, _, _ = select.select([raw], [], [], 0.2)
        if not r:
            continue
        p = raw.recv(2048)
        ihl = (p[0] & 15) * 4
        icmp = p[ihl:]
        if len(icmp) < 8 + 20 + 4 or icmp[0] not in (3, 11):
            continue
        e = icmp[8:]
        eihl = (e[0] & 15) * 4
        yield (socket.inet_ntoa(p[12:16]), socket.inet_ntoa(p[16:20]), icmp, e[:eihl],
               struct.unpack("!HH", e[eihl:eihl + 4]))


def capture(seconds, name, count=None):
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    for n, (src, dst, icmp, eip, (sp, dp)) in enumerate(icmp_errors(raw, seconds), 1):
        print("%s got icmp %d/%d %s -> %s icmp-csum %s embedded %s:%d -> %s:%d ip-csum %s" % (
            name, icmp[0], icmp[1], src, dst, "ok" if csum_ok(icmp) else "BAD",
            socket.inet_ntoa(eip[12:16]), sp, socket.inet_ntoa(eip[16:20]), dp,
            "ok" if csum_ok(eip) else "BAD"), flush=True)
        if n == count:
            return


def pmtu(vip, port, size):
    ip_mtu_discover, ip_pmtudisc_probe, ip_recverr = 10, 3, 11
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_IP, ip_mtu_discover, ip_pmtudisc_probe)
    u.setsockopt(socket.SOL_IP, ip_recverr, 1)
    u.connect((vip, port))
    u.send(b"x" * (size - 28))
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            _, anc, _, _ = u.recvmsg(512, 512, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)
        except BlockingIOError:
            anc = None
        for level, typ, data in anc or []:
            if (level, typ) != (socket.SOL_IP, ip_recverr) or len(data) < 16 + 8:
                continue
            # struct sock_extended_err, then the offender's sockaddr_in.
            errno_, origin, etype, code, _, info, _ = struct.unpack("=IBBBBII", data[:16])
            offender = socket.inet_ntoa(data[16 + 4:16 + 8])
            print("errno %d icmp %d/%d from %s mtu %d" % (errno_, etype, code, offender, info))
            return
        try:
            print("answered %s" % u.recv(2048, socket.MSG_DONTWAIT).decode().split()[0])
            return
        except (BlockingIOError, OSError):
            pass
        time.sleep(0.1)
    print("nothing")


def main():
    if sys.argv[1] == "pmtu":
        return pmtu(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    if sys.argv[1] == "inject":
        return inject(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), "--no-request" not in sys.argv[5:])
    if sys.argv[1] == "capture":
        return capture(float(sys.argv[2]), sys.argv[3], int(sys.argv[4]) if sys.argv[4:] else None)
    vip, port = sys.argv[1], int(sys.argv[2])
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.connect((vip, port))
    me, cport = u.getsockname()
    u.send(b"ping")
    u.settimeout(5)
    try:
        u.recv(100)
        err = "answered"
    except ConnectionRefusedError:
        err = "refused"
    except socket.timeout:
        err = "timeout"
    found = "no ICMP error"
    for src, _, icmp, eip, (sp, dp) in icmp_errors(raw, 1):
        if sp != cport:
            continue
        es, ed = socket.inet_ntoa(eip[12:16]), socket.inet_ntoa(eip[16:20])
        found = "icmp %d/%d from %s icmp-csum %s embedded %s:%s -> %s:%d ip-csum %s" % (
            icmp[0], icmp[1], src, "ok" if csum_ok(icmp) else "BAD",
            es if es != me else "CLIENT", "CPORT", ed, dp, "ok" if csum_ok(eip) else "BAD")
        break
    print("socket %s; %s" % (err, found))


if __name__ == "__main__":
    main()
