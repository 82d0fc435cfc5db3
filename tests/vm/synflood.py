#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Opens COUNT TCP connections at VIP:PORT as far as a load balancer can see them: for each one
a SYN and then an ACK from a distinct source (addresses SRC_NET.x.y, ports from 1024), sent on
a raw socket. Nothing answers them (the tests sink the real servers' side), so the balancer's
connections stay ESTABLISHED until they expire.

usage: synflood.py VIP PORT COUNT [SRC_PREFIX [ack|syn]]   (SRC_PREFIX: two octets, default
10.2; "ack": only the ACKs, which keep the same connections alive; "syn": only the SYNs, which
leave them half-open)
"""
import socket
import struct
import sys


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def words(b):
    return sum(struct.unpack("!%dH" % (len(b) // 2), b))


def main():
    vip, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    prefix = [int(x) for x in (sys.argv[4] if len(sys.argv) > 4 else "10.2").split(".")]
    dst = socket.inet_aton(vip)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    SYN, ACK = 0x02, 0x10
    templates = []
    steps = ((SYN, 1000, 0), (ACK, 1001, 1))
    if len(sys.argv) > 5 and sys.argv[5] == "ack":
        steps = steps[1:]
    elif len(sys.argv) > 5 and sys.argv[5] == "syn":
        steps = steps[:1]
    for flags, seq, ack in steps:
        # Headers with zero source address, source port and checksums; per packet the
        # checksums are completed incrementally (one's complement sums are additive).
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000, 64, socket.IPPROTO_TCP, 0, bytes(4), dst)
        tcp = struct.pack("!HHIIBBHHH", 0, port, seq, ack, 5 << 4, flags, 65535, 0, 0)
        pseudo = words(dst) + socket.IPPROTO_TCP + len(tcp)
        templates.append((bytearray(ip + tcp), words(ip), pseudo + words(tcp)))
    # 16,384 source addresses (SRC_PREFIX.0.1 ..), then the next source port.
    for i in range(count):
        a, sport = i % 16384, 1024 + i // 16384
        hi, lo = (prefix[0] << 8) | prefix[1], ((a >> 7) << 8) | (1 + (a & 0x7F))
        for pkt, ipsum, tcpsum in templates:
            struct.pack_into("!HH", pkt, 12, hi, lo)
            struct.pack_into("!H", pkt, 10, ~fold(ipsum + hi + lo) & 0xFFFF)
            struct.pack_into("!H", pkt, 20, sport)
            struct.pack_into("!H", pkt, 36, ~fold(tcpsum + hi + lo + sport) & 0xFFFF)
            while True:
                try:
                    s.sendto(pkt, (vip, 0))
                    break
                except OSError as e:  # ENOBUFS: the qdisc is full, try again
                    if e.errno != 105:
                        raise


if __name__ == "__main__":
    main()
