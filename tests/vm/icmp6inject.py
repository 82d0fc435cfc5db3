#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ICMPv6 errors from the client side, and what real servers receive.

icmp6inject.py inject VIP PORT SPORT [--no-request]
    From local port SPORT, sends a UDP datagram to [VIP]:PORT (making the connection; not with
    --no-request), then an ICMPv6 "port unreachable" to VIP about the reply it could have got
    ([VIP]:PORT -> here:SPORT).
icmp6inject.py capture SECONDS NAME COUNT
    Prints, for SECONDS or until COUNT have come, the ICMPv6 errors this host receives: sender,
    type and code, the embedded packet's addresses and ports, and whether the checksum (with
    the IPv6 pseudo-header) is right; prefixed with NAME.
"""
import select
import socket
import struct
import sys
import time

from icmpcheck import csum_ok

ICMP6 = 58


def inject(vip, port, sport, request):
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.bind(("::", sport))
    u.connect((vip, port))
    if request:
        u.send(b"hello")
    me = u.getsockname()[0]
    time.sleep(0.3)
    v = socket.inet_pton(socket.AF_INET6, vip)
    c = socket.inet_pton(socket.AF_INET6, me)
    udp = struct.pack("!HHHH", port, sport, 13, 0) + b"hello"
    ip6 = struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) + v + c
    # The kernel fills in the checksum of a raw ICMPv6 socket's messages.
    msg = struct.pack("!BBHI", 1, 4, 0, 0) + ip6 + udp
    r = socket.socket(socket.AF_INET6, socket.SOCK_RAW, ICMP6)
    r.sendto(msg, (vip, 0))


def capture(secs, name, count):
    r = socket.socket(socket.AF_INET6, socket.SOCK_RAW, ICMP6)
    # (The kernel drops a message with a bad checksum before a raw ICMPv6 socket sees it: the
    # check here is the printout's.)
    r.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    end = time.time() + secs
    seen = 0
    while seen < count and time.time() < end:
        if not select.select([r], [], [], max(0, end - time.time()))[0]:
            break
        data, anc, _, src = r.recvmsg(2048, 256)
        if data[0] >= 128:
            continue
        dst = b"\0" * 16
        for level, kind, d in anc:
            if level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO:
                dst = d[:16]
        s = socket.inet_pton(socket.AF_INET6, src[0])
        ok = csum_ok(s + dst + struct.pack("!IxxxB", len(data), ICMP6) + data)
        e = data[8:]
        es = socket.inet_ntop(socket.AF_INET6, e[8:24])
        ed = socket.inet_ntop(socket.AF_INET6, e[24:40])
        sp, dp = struct.unpack("!HH", e[40:44])
        print(f"{name} from {src[0]} type {data[0]} code {data[1]} embedded [{es}]:{sp} > [{ed}]:{dp} csum {'ok' if ok else 'bad'}", flush=True)
        seen += 1


def main():
    if sys.argv[1] == "inject":
        inject(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), "--no-request" not in sys.argv)
    else:
        capture(float(sys.argv[2]), sys.argv[3], int(sys.argv[4]))


if __name__ == "__main__":
    main()
