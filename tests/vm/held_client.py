#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A TCP connection held across a director failover (the sync tests).

usage: held_client.py SRC SPORT DST DPORT GOFILE

Connects from SRC:SPORT to DST:DPORT (IPv4 or IPv6) to an echo server, sends "a" and prints
"held connection: ANSWER"; waits until GOFILE exists (at most 60 s), sends "b" on the same
connection and prints its answer (or the error).
"""
import os
import socket
import sys
import time


def main():
    src, sport, dst, dport, go = sys.argv[1:]
    s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, int(sport)))
    s.settimeout(10)
    s.connect((dst, int(dport)))
    for word in (b"a\n", b"b\n"):
        if word == b"b\n":
            end = time.monotonic() + 60
            while not os.path.exists(go) and time.monotonic() < end:
                time.sleep(0.1)
        s.sendall(word)
        try:
            print("held connection:", s.recv(100).decode().strip(), flush=True)
        except OSError as e:
            print("held connection:", e, flush=True)


if __name__ == "__main__":
    main()
