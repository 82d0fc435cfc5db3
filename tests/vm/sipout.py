#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A SIP request started by a real server, and the client's answer (for --pe sip's connections
of real servers' own requests).

usage: sipout.py server PORT CLIENT CLIENTPORT CALLID NAME
       sipout.py client ADDR PORT

server: from 0.0.0.0:PORT, sends an INVITE with that Call-ID to CLIENT:CLIENTPORT, prints the
first line of the answer and where it came from, then answers one more datagram with NAME
(the client's next request through the virtual service). client: on ADDR:PORT, waits for one
datagram, prints its first line and its source, and answers it with "SIP/2.0 200 OK" and the
same Call-ID. Each side gives up after 30 s ("none").
"""
import socket
import sys


def call_id(msg):
    for line in msg.split("\r\n"):
        if line.lower().startswith("call-id:"):
            return line.split(":", 1)[1].strip()
    return ""


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Long enough for the other side to start on the slow debug kernel: it ends when data comes.
    s.settimeout(30)
    if sys.argv[1] == "server":
        port, client, cport, cid, name = sys.argv[2:7]
        s.bind(("0.0.0.0", int(port)))
        msg = (f"INVITE sip:user@{client} SIP/2.0\r\nVia: SIP/2.0/UDP rs:{port}\r\n"
               f"Call-ID: {cid}\r\nCSeq: 1 INVITE\r\n\r\n")
        s.sendto(msg.encode(), (client, int(cport)))
        for what in ("answer", "next"):
            try:
                data, src = s.recvfrom(4096)
            except OSError:
                print(f"server {what}: none")
                return
            print(f"server {what}: {data.decode(errors='replace').splitlines()[0]} from {src[0]}")
            if what == "next":
                s.sendto((name + "\n").encode(), src)
    else:
        addr, port = sys.argv[2:4]
        s.bind((addr, int(port)))
        try:
            data, src = s.recvfrom(4096)
        except OSError:
            print("client: none")
            return
        msg = data.decode(errors="replace")
        print(f"client: {msg.splitlines()[0]} from {src[0]}:{src[1]}")
        s.sendto(f"SIP/2.0 200 OK\r\nCall-ID: {call_id(msg)}\r\nCSeq: 1 INVITE\r\n\r\n".encode(), src)


if __name__ == "__main__":
    main()
