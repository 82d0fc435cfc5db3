#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""IPsec-shaped traffic for the AH/ESP test: no real SAs, just packets of those protocols.

usage: ipsec.py isakmp SRC DST        one UDP datagram from SRC:500 to DST:500 (ISAKMP's ports)
       ipsec.py send esp|ah SRC DST N  N ESP (AH) packets from SRC to DST (raw socket)
       ipsec.py listen SECONDS         prints "PROTO SRC DST" for each ESP or AH packet this
                                       namespace receives in SECONDS (after "listening")
"""
import select
import socket
import struct
import sys
import time

ESP, AH = 50, 51


def main():
    cmd = sys.argv[1]
    if cmd == "isakmp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((sys.argv[2], 500))
        s.sendto(b"\0" * 8 + b"isakmp", (sys.argv[3], 500))
    elif cmd == "send":
        proto = ESP if sys.argv[2] == "esp" else AH
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
        s.bind((sys.argv[3], 0))
        for i in range(int(sys.argv[5])):
            if proto == ESP:
                pkt = struct.pack("!II", 0x1000, i + 1) + b"x" * 16
            else:
                pkt = struct.pack("!BBHII", 59, 4, 0, 0x2000, i + 1) + b"\0" * 12
            s.sendto(pkt, (sys.argv[4], 0))
    elif cmd == "listen":
        socks = [socket.socket(socket.AF_INET, socket.SOCK_RAW, p) for p in (ESP, AH)]
        print("listening", flush=True)
        end = time.monotonic() + float(sys.argv[2])
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select(socks, [], [], left)
            for s in ready:
                d = s.recv(2048)
                name = {ESP: "ESP", AH: "AH"}.get(d[9], str(d[9]))
                print(name, socket.inet_ntoa(d[12:16]), socket.inet_ntoa(d[16:20]), flush=True)


main()
