#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""IPsec-shaped traffic for the AH/ESP test: no real SAs, just packets of those protocols.

usage: ipsec.py isakmp SRC DST        one UDP datagram from SRC:500 to DST:500 (ISAKMP's ports)
       ipsec.py send esp|ah SRC DST N [BYTES]
                                       N ESP (AH) packets from SRC to DST (raw socket); ESP ones
                                       of BYTES (fragmented when larger than the MTU)
       ipsec.py icmp SRC DST ESRC EDST  an ICMP "host unreachable" from SRC to DST about an ESP
                                       packet ESRC -> EDST
       ipsec.py -                      the commands of standard input's lines, in turn
       ipsec.py listen SECONDS         prints "PROTO SRC DST" for each ESP or AH packet this
                                       namespace receives in SECONDS (after "listening"), and
                                       "ICMP SRC DST ESRC EDST PROTO" for each ICMP error about
                                       an ESP or AH packet
"""
import select
import socket
import struct
import sys
import time

from inetsum import csum

ESP, AH = 50, 51
NAMES = {ESP: "ESP", AH: "AH"}
IP_MTU_DISCOVER, IP_PMTUDISC_DONT = 10, 0  # <linux/in.h>; not in Python's socket module


def run(argv):
    """One command; argv as on the command line, without the program's name."""
    cmd = argv[0]
    if cmd == "isakmp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((argv[1], 500))
        s.sendto(b"\0" * 8 + b"isakmp", (argv[2], 500))
    elif cmd == "send":
        proto = ESP if argv[1] == "esp" else AH
        size = int(argv[5]) if len(argv) > 5 else 24
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
        s.bind((argv[2], 0))
        # Large ones leave in fragments (no "don't fragment").
        s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
        for i in range(int(argv[4])):
            if proto == ESP:
                pkt = struct.pack("!II", 0x1000, i + 1) + b"x" * (size - 8)
            else:
                pkt = struct.pack("!BBHII", 59, 4, 0, 0x2000, i + 1) + b"\0" * 12
            s.sendto(pkt, (argv[3], 0))
    elif cmd == "icmp":
        src, dst, esrc, edst = argv[1:5]
        inner = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 48, 1, 0, 64, ESP, 0,
                            socket.inet_aton(esrc), socket.inet_aton(edst))
        inner = inner[:10] + struct.pack("!H", csum(inner)) + inner[12:]
        body = inner + struct.pack("!II", 0x1000, 1)
        msg = struct.pack("!BBHI", 3, 1, 0, 0) + body
        msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        s.bind((src, 0))
        s.sendto(msg, (dst, 0))
    elif cmd == "listen":
        socks = [socket.socket(socket.AF_INET, socket.SOCK_RAW, p) for p in (ESP, AH, socket.IPPROTO_ICMP)]
        print("listening", flush=True)
        end = time.monotonic() + float(argv[1])
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select(socks, [], [], left)
            for s in ready:
                d = s.recv(2048)
                src, dst = socket.inet_ntoa(d[12:16]), socket.inet_ntoa(d[16:20])
                if d[9] != socket.IPPROTO_ICMP:
                    print(NAMES.get(d[9], str(d[9])), src, dst, flush=True)
                    continue
                e = d[(d[0] & 15) * 4 + 8 :]
                if d[(d[0] & 15) * 4] == 3 and len(e) >= 20 and e[9] in NAMES:
                    print("ICMP", src, dst, socket.inet_ntoa(e[12:16]), socket.inet_ntoa(e[16:20]),
                          NAMES[e[9]], flush=True)



def main():
    if sys.argv[1] == "-":
        # One command a line from standard input, in one process (python starts slowly in the VM).
        for line in sys.stdin:
            if line.split():
                run(line.split())
    else:
        run(sys.argv[1:])


main()
