#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Large UDP datagrams, which IP fragments.

udpbig.py serve PORT
    Echoes every datagram received on PORT back to its sender.
udpbig.py ask ADDR PORT SIZE
    Sends one SIZE-byte datagram to ADDR:PORT from a connected socket and reports whether the
    same bytes came back (from ADDR:PORT: the socket takes nothing else).
"""
import socket
import sys


def main():
    if sys.argv[1] == "serve":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", int(sys.argv[2])))
        while True:
            d, a = s.recvfrom(65535)
            s.sendto(d, a)
    addr, port, size = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    data = (bytes(range(256)) * (size // 256 + 1))[:size]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.connect((addr, port))
    s.send(data)
    try:
        r = s.recv(65535)
        print("echo of %d bytes: %d bytes, %s" % (size, len(r), "the same" if r == data else "DIFFERENT"))
    except (socket.timeout, ConnectionRefusedError) as e:
        print("echo of %d bytes: none (%s)" % (size, type(e).__name__))


if __name__ == "__main__":
    main()
