#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""SIP requests of a client, sent one after the other from one process.

usage: sipreqs.py ADDR PORT SPORT:CALLID...

For each SPORT:CALLID, sends a SIP OPTIONS request with that Call-ID ("-": a datagram that is
not SIP) from 10.0.0.2:SPORT to ADDR:PORT and prints "CALLID ANSWER" ("none" after 2 s without
one). One process, so the requests follow each other within milliseconds even on a slow
kernel, as a persistence template's short timeout needs.
"""
import socket
import sys


def main():
    addr, port = sys.argv[1], int(sys.argv[2])
    for arg in sys.argv[3:]:
        sport, call = arg.split(":", 1)
        if call == "-":
            msg = b"hello\n"
        else:
            msg = (f"OPTIONS sip:svc@{addr} SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2:{sport}\r\n"
                   f"Call-ID: {call}\r\nCSeq: 1 OPTIONS\r\n\r\n").encode()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("10.0.0.2", int(sport)))
        s.settimeout(2)
        s.sendto(msg, (addr, port))
        try:
            answer = s.recv(4096).decode(errors="replace").rstrip("\n") or "none"
        except socket.timeout:
            answer = "none"
        s.close()
        print(f"{call} {answer}", flush=True)


if __name__ == "__main__":
    main()
