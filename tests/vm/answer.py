#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A test server for TCP and UDP on one port or several, answering in-process (no child per
request, which is what made socat's SYSTEM: answers unreliable on the debug kernel).

usage: answer.py [--bind ADDR] [--local] [--peer] [--echo|--quick] [--udp-only|--tcp-only]
                 PORT[,PORT...] TEXT

Once it listens on every port it writes "ready" and a newline to the file (a FIFO) that the
environment's ANSWER_READY names, if any (lib.sh's serve waits for that line).

Every TCP connection gets TEXT and a newline once the client has closed its side (or after
10 s), then is closed; with --echo it instead gets back whatever it sends, until it closes.
The packets of a request are always the same, so that differential tests can compare packet
counters: the answer waits a quarter second after the client's FIN, so that the ACK of that FIN
(sent at once, or delayed) goes out alone and is through the director first, then goes out
with the server's FIN in one segment. (Sent right after that ACK, from another CPU than the
one that sent it, the answer now and then overtook it: the client, in TIME_WAIT by then,
answered the late ACK, and the server a reset, a packet more each way.) With --quick the
answer and the server's FIN go out as soon as the connection is accepted, for tests that
compare where connections go and not their packets. Every UDP datagram
gets TEXT and a newline back. With --local the answer is "TEXT ADDR", ADDR being the local
address the request came to; with --peer "TEXT from ADDR", ADDR being the address it came from
(both: "TEXT LOCAL from PEER").
"""
import argparse
import os
import socket
import socketserver
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", default="0.0.0.0")
    ap.add_argument("--local", action="store_true")
    ap.add_argument("--peer", action="store_true")
    ap.add_argument("--echo", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--udp-only", action="store_true")
    ap.add_argument("--tcp-only", action="store_true")
    ap.add_argument("ports", type=lambda s: [int(p) for p in s.split(",")])
    ap.add_argument("text")
    a = ap.parse_args()

    def answer(local, peer):
        local = " " + local if a.local else ""
        peer = " from " + peer if a.peer else ""
        return (a.text + local + peer + "\n").encode()

    class Tcp(socketserver.BaseRequestHandler):
        def handle(self):
            s = self.request
            if a.echo:
                while True:
                    data = s.recv(4096)
                    if not data:
                        break
                    s.sendall(data)
            elif a.quick:
                s.sendall(answer(s.getsockname()[0], s.getpeername()[0]))
            else:
                s.settimeout(10)
                try:
                    while s.recv(4096):
                        pass
                except OSError:
                    pass
                time.sleep(0.25)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
                s.sendall(answer(s.getsockname()[0], s.getpeername()[0]))
            s.shutdown(socket.SHUT_WR)
            if not a.echo:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)

    # An IPv6 address (":: " included, which takes IPv4 too) binds an IPv6 socket.
    family = socket.AF_INET6 if ":" in a.bind else socket.AF_INET

    class Server(socketserver.ThreadingTCPServer):
        address_family = family
        allow_reuse_address = True
        daemon_threads = True
        request_queue_size = 128

    def udp(u):
        while True:
            _, peer = u.recvfrom(65535)
            u.sendto(answer(u.getsockname()[0], peer[0]), peer)

    threads = []
    for port in a.ports:
        if not a.udp_only:
            srv = Server((a.bind, port), Tcp)
            threads.append(threading.Thread(target=srv.serve_forever, daemon=True))
        if not a.tcp_only:
            u = socket.socket(family, socket.SOCK_DGRAM)
            u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            u.bind((a.bind, port))
            threads.append(threading.Thread(target=udp, args=(u,), daemon=True))
    # Bound and listening: connections and datagrams wait in their queues from here on.
    ready = os.environ.get("ANSWER_READY")
    if ready:
        with open(ready, "w") as f:
            f.write("ready\n")
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
