#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A client that keeps sending, for what happens to its traffic while the configuration changes.

usage: sender.py udp|tcp ADDR PORT SPORT SECONDS

From 10.0.0.2:SPORT, sends "ping" to ADDR:PORT every 0.1 s for SECONDS and prints what comes
back as it comes, repeats left out: for UDP each datagram's answer ("none" after 1 s without
one); for TCP over one connection to an echo server "echo", then "stalled" (no echo in 1 s),
"reset" or "closed", which end it.
"""
import socket
import sys
import time


def main():
    proto, addr, port, sport, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    last = None

    def say(what):
        nonlocal last
        if what != last:
            print(what, flush=True)
            last = what

    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.0.0.2", sport))
    s.settimeout(5)
    if proto == "tcp":
        s.connect((addr, port))
    s.settimeout(1)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            if proto == "udp":
                s.sendto(b"ping\n", (addr, port))
                say(s.recv(4096).decode().strip())
            else:
                s.sendall(b"ping\n")
                if not s.recv(4096):
                    say("closed")
                    return
                say("echo")
        except socket.timeout:
            say("none" if proto == "udp" else "stalled")
            if proto == "tcp":
                return
        except ConnectionResetError:
            say("reset")
            return
        time.sleep(0.1)


if __name__ == "__main__":
    main()
