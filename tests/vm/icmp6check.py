#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""One UDP datagram over IPv6, and what comes back to the socket.

usage: icmp6check.py ADDR PORT [--size BYTES] [--hops N]

Sends one datagram from a connected socket to [ADDR]:PORT (--size: of BYTES bytes, IPv6
header included, never fragmented by this host; --hops: with that hop limit) and prints either
"answer TEXT" or the ICMPv6 error the kernel matched to the socket (so it embedded this very
datagram, with a valid checksum): "error type T code C info I from ADDR" (info: the MTU of
"packet too big"), or "nothing" after 10 s.
"""
import argparse
import select
import socket
import struct

IPV6_RECVERR = 25
IPV6_DONTFRAG = 62
IPV6_MTU_DISCOVER = 23
IPV6_PMTUDISC_PROBE = 3
MSG_ERRQUEUE = 0x2000
SO_EE_ORIGIN_ICMP6 = 3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("--size", type=int, default=0)
    ap.add_argument("--hops", type=int, default=0)
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
    if a.hops:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, a.hops)
    if a.size:
        # Sent whole whatever path MTU this host has learnt: the director decides.
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_DONTFRAG, 1)
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE)
    s.connect((a.addr, a.port))
    s.send(b"x" * (max(a.size - 48, 4) if a.size else 4))
    r, _, x = select.select([s], [], [s], 10)
    if not r and not x:
        print("nothing")
        return
    try:
        _, anc, _, _ = s.recvmsg(16, 512, MSG_ERRQUEUE)
    except BlockingIOError:
        anc = []
    except OSError:
        anc = []
    for level, kind, data in anc:
        if level != socket.IPPROTO_IPV6 or kind != IPV6_RECVERR:
            continue
        _, origin, t, c, _, info, _ = struct.unpack("=IBBBBII", data[:16])
        if origin != SO_EE_ORIGIN_ICMP6:
            continue
        offender = socket.inet_ntop(socket.AF_INET6, data[16 + 8 : 16 + 24])
        print(f"error type {t} code {c} info {info} from {offender}")
        return
    try:
        print("answer " + s.recv(4096).decode().strip())
    except OSError as e:
        print(f"socket error {e.errno}")


if __name__ == "__main__":
    main()
