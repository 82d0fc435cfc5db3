#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""SCTP test server and client (one-to-one sockets of the kernel's SCTP), IPv4 or IPv6.

usage: sctp.py serve PORT TEXT
       sctp.py get [--hold SECONDS] [--until FILE] [--from PORT] HOST PORT

serve: every association gets "TEXT LOCAL" and a newline (LOCAL: the address it came to) once
the client's first line arrived; the server then waits for the client to shut down, and closes.
get: opens an association, sends a line, prints the answer, keeps the association open
SECONDS (default 0) more, and shuts it down (closing as a client does: SHUTDOWN first).
"""
import argparse
import os
import socket
import sys
import threading
import time


def recv_line(s):
    """What arrives on S up to a newline, or until the peer shuts down."""
    data = b""
    while b"\n" not in data:
        d = s.recv(100)
        if not d:
            break
        data += d
    return data


def serve(a):
    # An IPv6 socket on :: takes IPv4 associations too.
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("::", a.port))
    ls.listen(64)

    def one(s):
        with s:
            s.settimeout(30)
            try:
                if b"\n" not in recv_line(s):
                    return
                local = s.getsockname()[0].removeprefix("::ffff:")
                s.sendall(f"{a.text} {local}\n".encode())
                while s.recv(100):
                    pass
            except OSError:
                pass

    while True:
        s, _ = ls.accept()
        threading.Thread(target=one, args=(s,), daemon=True).start()


def get(a):
    family = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
    s.settimeout(10)
    if a.sport:
        s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", a.sport))
    try:
        s.connect((a.host, a.port))
        s.sendall(b"hi\n")
        data = recv_line(s)
        sys.stdout.write(data.decode() or "none\n")
        sys.stdout.flush()
        if a.hold:
            threading.Event().wait(a.hold)
        if a.until:
            # Open until FILE exists (at most 60 s): however slow the kernel, the association
            # is there while the test looks.
            for _ in range(600):
                if os.path.exists(a.until):
                    break
                time.sleep(0.1)
    except OSError as e:
        print("none", e)
    s.close()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve")
    p.add_argument("port", type=int)
    p.add_argument("text")
    p = sub.add_parser("get")
    p.add_argument("--hold", type=float, default=0)
    p.add_argument("--until", metavar="FILE")
    p.add_argument("--from", dest="sport", type=int, default=0)
    p.add_argument("host")
    p.add_argument("port", type=int)
    a = ap.parse_args()
    serve(a) if a.cmd == "serve" else get(a)


main()
