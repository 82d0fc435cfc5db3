#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TCP (and UDP) requests in sequence from one process (a process per request is slow on the
debug kernel): for each SRC, a connection from SRC to ADDR:PORT that sends nothing, closes its
side and reads the answer to the end. Prints "SRC ANSWER" per connection, or "SRC none" when it
was refused, reset, not set up within 3 s (a SYN dropped for want of a destination; an
answered one takes milliseconds, even on the debug kernel) or not answered within 10 s. A SRC
"ADDR/PORT" binds that client port too (SO_REUSEADDR: a port reused while in TIME_WAIT).

usage: tcpgets.py ADDR PORT SRC...   (ADDR and SRC both IPv4 or both IPv6)
       tcpgets.py -   the same for each line "ADDR PORT SRC..." of its input, each answered
                      by its lines and one "." (a test's one process: lib.sh tcpgets_start);
                      a line "udp ADDR PORT SRC..." sends a datagram ("ping") from each SRC
                      instead, each from a socket of its own, and waits 2 s for the answer
"""
import socket
import sys


def source(s, src):
    addr, _, port = src.partition("/")
    if port:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port or 0)))


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def get(addr, port, src):
    try:
        with socket.socket(family(addr), socket.SOCK_STREAM) as s:
            s.settimeout(3)
            source(s, src)
            s.connect((addr, port))
            s.settimeout(10)
            s.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := s.recv(4096):
                data += chunk
            return data.decode(errors="replace").strip()
    except OSError:
        return "none"


def ask(addr, port, src):
    try:
        with socket.socket(family(addr), socket.SOCK_DGRAM) as s:
            s.settimeout(2)
            source(s, src)
            s.sendto(b"ping\n", (addr, port))
            return s.recv(65535).decode(errors="replace").strip()
    except OSError:
        return "none"


def gets(addr, port, srcs, how=get):
    for src in srcs:
        print(src, how(addr, port, src), flush=True)


def main():
    if sys.argv[1:] == ["-"]:
        for line in sys.stdin:
            words = line.split()
            how = get
            if words[0] == "udp":
                how = ask
                words = words[1:]
            addr, port, *srcs = words
            gets(addr, int(port), srcs, how)
            print(".", flush=True)
    else:
        gets(sys.argv[1], int(sys.argv[2]), sys.argv[3:])


if __name__ == "__main__":
    main()
