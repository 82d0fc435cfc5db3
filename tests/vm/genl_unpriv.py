#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sends every IPVS generic-netlink command, each with attributes that would make it succeed
for root (and the three dumps as dumps too), and prints the kernel's answer to each:

    cmd <N> <do|dump>: errno <E>

Run without CAP_NET_ADMIN, every command must get EPERM (1) and change nothing.

Usage: genl_unpriv.py
"""
import socket
import struct

from genl_fuzz import NETLINK_GENERIC, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_ERROR, attr, msg, resolve

# IPVS_CMD_NEW_SERVICE (1) .. IPVS_CMD_FLUSH (17); 14 is SET_INFO, which has no handler.
COMMANDS = range(1, 18)
DUMPS = (4, 8, 11)  # GET_SERVICE, GET_DEST, GET_DAEMON


def payload(cmd):
    ip = socket.inet_aton("10.9.9.9") + b"\0" * 12
    svc = attr(1, struct.pack("=H", socket.AF_INET)) + attr(2, struct.pack("=H", 6))
    svc += attr(3, ip) + attr(4, struct.pack(">H", 80)) + attr(6, b"rr\0")
    svc += attr(7, struct.pack("=II", 0, 0xFFFFFFFF)) + attr(8, struct.pack("=I", 0))
    svc += attr(9, struct.pack("=I", 0xFFFFFFFF))
    dest = attr(1, socket.inet_aton("10.9.9.10") + b"\0" * 12) + attr(2, struct.pack(">H", 80))
    dest += attr(3, struct.pack("=I", 0)) + attr(4, struct.pack("=I", 1))
    dest += attr(5, struct.pack("=I", 0)) + attr(6, struct.pack("=I", 0))
    daemon = attr(1, struct.pack("=I", 1)) + attr(2, b"lo\0") + attr(3, struct.pack("=I", 1))
    if cmd in (9, 10, 11):
        return attr(3, daemon)
    if cmd in (12, 13):
        return attr(4, struct.pack("=I", 900)) + attr(5, struct.pack("=I", 120)) + attr(6, struct.pack("=I", 300))
    if cmd in (5, 6, 7, 8):
        return attr(1, svc) + attr(2, dest)
    if cmd in (1, 2, 3, 4, 16):
        return attr(1, svc)
    return b""


def ask(sock, family, cmd, flags, seq):
    sock.send(msg(family, cmd, payload(cmd), flags, seq))
    data = sock.recv(65536)
    ln, ty = struct.unpack_from("=IH", data, 0)
    if ty == NLMSG_ERROR:
        return -struct.unpack_from("=i", data, 16)[0]
    return "reply type %d" % ty


def main():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    family = resolve(s)
    seq = 2
    for cmd in COMMANDS:
        print("cmd %d do: errno %s" % (cmd, ask(s, family, cmd, NLM_F_REQUEST | NLM_F_ACK, seq)))
        seq += 1
        if cmd in DUMPS:
            print("cmd %d dump: errno %s" % (cmd, ask(s, family, cmd, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq)))
            seq += 1


if __name__ == "__main__":
    main()
