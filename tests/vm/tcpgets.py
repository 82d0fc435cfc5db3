#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TCP requests in sequence from one process (a process per request is slow on the debug
kernel): for each SRC, a connection from SRC to ADDR:PORT that sends nothing, closes its side
and reads the answer to the end. Prints "SRC ANSWER" per connection, or "SRC none" when it
was refused, reset, not set up within 3 s (a SYN dropped for want of a destination; an
answered one takes milliseconds, even on the debug kernel) or not answered within 10 s.

usage: tcpgets.py ADDR PORT SRC...   (ADDR and SRC both IPv4 or both IPv6)
       tcpgets.py -   the same for each line "ADDR PORT SRC..." of its input, each answered
                      by its lines and one "." (a test's one process: lib.sh tcpgets_start)
"""
import socket
import sys


def get(addr, port, src):
    try:
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(3)
            s.bind((src, 0))
            s.connect((addr, port))
            s.settimeout(10)
            s.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := s.recv(4096):
                data += chunk
            return data.decode(errors="replace").strip()
    except OSError:
        return "none"


def gets(addr, port, srcs):
    for src in srcs:
        print(src, get(addr, port, src), flush=True)


def main():
    if sys.argv[1:] == ["-"]:
        for line in sys.stdin:
            addr, port, *srcs = line.split()
            gets(addr, int(port), srcs)
            print(".", flush=True)
    else:
        gets(sys.argv[1], int(sys.argv[2]), sys.argv[3:])


if __name__ == "__main__":
    main()
