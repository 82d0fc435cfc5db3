#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What a real server receives through a tunnel, as the wire has it.

tuncap.py DEV GUEPORT
    Captures the IPv4 packets arriving on DEV until SIGTERM, then prints one line for each
    distinct encapsulation seen, sorted: the kind (ipip, gue, gre), its options (GUE: UDP port,
    UDP checksum present or zero, remote checksum offload with the start and offset it names;
    GRE: checksum present), the outer DF bit, outer and inner TTL, and the inner packet's
    protocol and destination. Packets that are not tunnelled are not printed.
"""
import signal
import socket
import struct
import sys

ETH_P_IP = 0x0800


def describe(p, gue_port):
    """The encapsulation of the IPv4 packet P, or None."""
    ihl = (p[0] & 15) * 4
    proto, ttl, df = p[9], p[8], "df" if struct.unpack("!H", p[6:8])[0] & 0x4000 else "nodf"
    body = p[ihl:]
    if proto == 4:
        kind, inner = "ipip", body
    elif proto == 47 and len(body) >= 4:
        flags, ptype = struct.unpack("!HH", body[:4])
        csum = bool(flags & 0x8000)
        kind = "gre csum=%s proto=%#06x" % ("yes" if csum else "no", ptype)
        inner = body[8 if csum else 4:]
    elif proto == 17 and len(body) >= 12 and struct.unpack("!H", body[2:4])[0] == gue_port:
        ucsum = struct.unpack("!H", body[6:8])[0]
        g = body[8:]
        ver, hlen, ctype, gflags = g[0] >> 6, (g[0] & 31) * 4, g[1], struct.unpack("!H", g[2:4])[0]
        opts = g[4:4 + hlen]
        rem = "no"
        if gflags & 1 and len(opts) >= 8 and struct.unpack("!I", opts[:4])[0] & 0x80000000:
            rem = "start=%d,offset=%d" % struct.unpack("!HH", opts[4:8])
        kind = "gue port=%d ver=%d ctype=%d udp-csum=%s remcsum=%s" % (
            gue_port, ver, ctype, "zero" if ucsum == 0 else "set", rem)
        inner = g[4 + hlen:]
    else:
        return None
    if len(inner) < 20:
        return None
    return "%s %s ttl=%d inner: proto=%d ttl=%d dst=%s" % (
        kind, df, ttl, inner[9], inner[8], socket.inet_ntoa(inner[16:20]))


def main():
    dev, gue_port = sys.argv[1], int(sys.argv[2])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    s.bind((dev, ETH_P_IP))
    seen = set()
    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    s.settimeout(0.2)
    while not done:
        try:
            p, addr = s.recvfrom(65535)
        except (socket.timeout, InterruptedError):
            continue
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        d = describe(p, gue_port)
        if d:
            seen.add(d)
    for d in sorted(seen):
        print(d)


if __name__ == "__main__":
    main()
