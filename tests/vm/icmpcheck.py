#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sends one UDP datagram from a connected socket to VIP:PORT and reports what comes back: the
socket's error and, captured on a raw socket, the ICMP error (source, type, checksums, and the
embedded packet's addresses and ports; the client's own port is printed as CPORT).

usage: icmpcheck.py VIP PORT
"""
import select
import socket
import struct
import sys
import time


def csum_ok(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


def main():
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
    deadline = time.time() + 1
    while time.time() < deadline:
        r, _, _ = select.select([raw], [], [], 0.2)
        if not r:
            continue
        p = raw.recv(2048)
        ihl = (p[0] & 15) * 4
        src = socket.inet_ntoa(p[12:16])
        icmp = p[ihl:]
        if len(icmp) < 8 + 20 + 4:
            continue
        e = icmp[8:]
        eihl = (e[0] & 15) * 4
        es, ed = socket.inet_ntoa(e[12:16]), socket.inet_ntoa(e[16:20])
        sp, dp = struct.unpack("!HH", e[eihl:eihl + 4])
        if sp != cport:
            continue
        found = "icmp %d/%d from %s icmp-csum %s embedded %s:%s -> %s:%d ip-csum %s" % (
            icmp[0], icmp[1], src, "ok" if csum_ok(icmp) else "BAD",
            es if es != me else "CLIENT", "CPORT", ed, dp, "ok" if csum_ok(e[:eihl]) else "BAD")
        break
    print("socket %s; %s" % (err, found))


if __name__ == "__main__":
    main()
