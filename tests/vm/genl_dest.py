#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Adds a real server with any forwarding method, by raw IPVS netlink (ipvsadm cannot ask for
LOCALNODE, 1). Prints the kernel's answer as "errno N".

Usage: genl_dest.py PROTO VIP VPORT RIP RPORT FWD [WEIGHT]
"""
import socket
import struct
import sys

from genl_fuzz import NETLINK_GENERIC, NLM_F_ACK, NLM_F_REQUEST, attr, msg, resolve

IPVS_CMD_NEW_DEST = 5
IPVS_CMD_ATTR_SERVICE, IPVS_CMD_ATTR_DEST = 1, 2


def addr(a):
    return socket.inet_aton(a) + b"\0" * 12


def main():
    proto, vip, vport, rip, rport, fwd = sys.argv[1:7]
    weight = int(sys.argv[7]) if len(sys.argv) > 7 else 1
    svc = attr(1, struct.pack("=H", socket.AF_INET))
    svc += attr(2, struct.pack("=H", {"tcp": 6, "udp": 17}[proto]))
    svc += attr(3, addr(vip))
    svc += attr(4, struct.pack(">H", int(vport)))
    dest = attr(11, struct.pack("=H", socket.AF_INET))
    dest += attr(1, addr(rip))
    dest += attr(2, struct.pack(">H", int(rport)))
    dest += attr(3, struct.pack("=I", int(fwd)))
    dest += attr(4, struct.pack("=I", weight))
    dest += attr(5, struct.pack("=I", 0))
    dest += attr(6, struct.pack("=I", 0))
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    family = resolve(s)
    s.send(msg(family, IPVS_CMD_NEW_DEST, attr(IPVS_CMD_ATTR_SERVICE, svc) + attr(IPVS_CMD_ATTR_DEST, dest),
               NLM_F_REQUEST | NLM_F_ACK, 2))
    data = s.recv(65536)
    print("errno", -struct.unpack_from("=i", data, 16)[0])


if __name__ == "__main__":
    main()
