#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A test server for TCP and UDP on one port, answering in-process (no child per request, which
is what made socat's SYSTEM: answers unreliable on the debug kernel).

usage: answer.py [--bind ADDR] [--local] [--peer] [--echo] [--udp-only|--tcp-only] PORT TEXT

Every TCP connection gets TEXT and a newline once the client has closed its side (or after
10 s), then is closed; with --echo it instead gets back whatever it sends, until it closes.
The packets of a request are always the same, so that differential tests can compare packet
counters: the answer waits a quarter second after the client's FIN, so that the (delayed) ACK
of that FIN goes out alone, then goes out with the server's FIN in one segment. Every UDP datagram gets TEXT and a newline back. With
--local the answer is "TEXT ADDR", ADDR being the local address the request came to; with --peer
"TEXT from ADDR", ADDR being the address it came from (both: "TEXT LOCAL from PEER").
"""
import argparse
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
    ap.add_argument("--udp-only", action="store_true")
    ap.add_argument("--tcp-only", action="store_true")
    ap.add_argument("port", type=int)
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

    threads = []
    if not a.udp_only:
        srv = Server((a.bind, a.port), Tcp)
        threads.append(threading.Thread(target=srv.serve_forever, daemon=True))
    if not a.tcp_only:
        u = socket.socket(family, socket.SOCK_DGRAM)
        u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        u.bind((a.bind, a.port))

        def udp():
            while True:
                _, peer = u.recvfrom(65535)
                u.sendto(answer(u.getsockname()[0], peer[0]), peer)

        threads.append(threading.Thread(target=udp, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
