#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Single packets that belong to no connection, and what arrives of them.

stray.py send DST SPORT:DPORT:KIND...
    Sends, for each SPORT:DPORT:KIND in turn, one packet from this host's port SPORT to
    DST:DPORT: KIND is udp (a datagram), ack (a TCP ACK) or rst (a TCP RST). No socket of this
    host owns the flow.
stray.py watch SECONDS NAME PORT COUNT
    Prints, for SECONDS (or until COUNT have come), the TCP and UDP packets this host receives
    for local ports PORT to PORT+9 (prefixed with NAME; TCP with its flags). UDP sockets are
    bound to those ports meanwhile, so that datagrams get no "port unreachable".
"""
import select
import socket
import struct
import sys
import time

from icmpcheck import checksum


def send(dst, dport, sport, kind):
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.connect((dst, dport))
    src = probe.getsockname()[0]
    if kind == "udp":
        proto, payload = socket.IPPROTO_UDP, b"stray"
        hdr = bytearray(struct.pack("!HHHH", sport, dport, 8 + len(payload), 0))
    else:
        proto, payload = socket.IPPROTO_TCP, b""
        flags = 0x10 if kind == "ack" else 0x04
        hdr = bytearray(struct.pack("!HHIIBBHHH", sport, dport, 1000, 2000 if kind == "ack" else 0,
                                    5 << 4, flags, 512, 0, 0))
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, len(hdr) + len(payload))
    off = 6 if proto == socket.IPPROTO_UDP else 16
    hdr[off:off + 2] = checksum(pseudo + bytes(hdr) + payload)
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
    raw.sendto(bytes(hdr) + payload, (dst, 0))


def watch(seconds, name, port, count):
    socks = [socket.socket(socket.AF_INET, socket.SOCK_RAW, p) for p in (socket.IPPROTO_UDP, socket.IPPROTO_TCP)]
    sinks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(10)]
    for i, u in enumerate(sinks):
        u.bind(("0.0.0.0", port + i))
    deadline, n = time.time() + seconds, 0
    while time.time() < deadline and n < count:
        r, _, _ = select.select(socks, [], [], 0.2)
        for s in r:
            p = s.recv(2048)
            ihl = (p[0] & 15) * 4
            sp, dp = struct.unpack("!HH", p[ihl:ihl + 4])
            if not port <= dp < port + 10:
                continue
            what = "udp" if p[9] == socket.IPPROTO_UDP else "tcp %s" % (
                "".join(f for f, bit in (("R", 4), ("A", 16)) if p[ihl + 13] & bit) or "-")
            print("%s got %s %s:%d -> %s:%d" % (name, what, socket.inet_ntoa(p[12:16]), sp,
                                                socket.inet_ntoa(p[16:20]), dp), flush=True)
            n += 1


def main():
    if sys.argv[1] == "send":
        for spec in sys.argv[3:]:
            sport, dport, kind = spec.split(":")
            send(sys.argv[2], int(dport), int(sport), kind)
        return None
    return watch(float(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))


if __name__ == "__main__":
    main()
