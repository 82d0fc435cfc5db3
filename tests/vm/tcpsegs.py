#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sends bare TCP segments from SRC:SPORT to DST:DPORT on a raw socket, as a client's side of a
connection that nothing answers (what a director sees of a DR connection whose replies take
another path).

usage: tcpsegs.py SRC SPORT DST DPORT FLAGS...

Each FLAGS is a segment: S (SYN), A (ACK), FA (FIN and ACK), R (RST). A SYN starts a new
sequence (1000, then 1000 more for each later SYN); the others follow it.
"""
import socket
import struct
import sys

from inetsum import csum


def main():
    src, sport, dst, dport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    bits = {"S": 0x02, "A": 0x10, "F": 0x01, "R": 0x04}
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    sa, da = socket.inet_aton(src), socket.inet_aton(dst)
    seq, isn = 0, 0
    for f in sys.argv[5:]:
        flags = sum(bits[c] for c in f)
        if flags & 0x02:
            isn += 1000
            seq = isn
        ack = 1 if flags & 0x10 else 0
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
        sum_ = csum(sa + da + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp)) + tcp)
        tcp = tcp[:16] + struct.pack("!H", sum_) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, socket.IPPROTO_TCP, 0, sa, da)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        s.sendto(ip + tcp, (dst, 0))
        if flags & 0x03:
            seq += 1


if __name__ == "__main__":
    main()
