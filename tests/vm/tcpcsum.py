#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks the TCP checksums of chosen packets as they arrive (the FTP helper's test).

usage: tcpcsum.py IFACE SECONDS PREFIX...

Listens on IFACE (AF_PACKET, in the caller's namespace) for SECONDS, or until it is killed, and
prints, for every IPv4 or IPv6 TCP packet whose payload starts with one of the PREFIXes, the
prefix and "correct" or "incorrect": its checksum summed over the pseudo-header and segment as
received. Prints "ready" once listening. Meant for packets whose checksum the sender completed
(a rewritten FTP answer); packets left to checksum offload look incorrect on a veth.
"""
import socket
import struct
import sys
import time

from inetsum import csum

ETH_P_ALL = 0x0003


def tcp_of(frame):
    """The pseudo-header and TCP segment of an Ethernet frame, or None."""
    ethertype = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if ethertype == 0x0800 and len(ip) >= 20 and ip[9] == 6:
        ihl = (ip[0] & 0x0F) * 4
        end = struct.unpack("!H", ip[2:4])[0]
        seg = ip[ihl:end]
        return ip[12:20] + struct.pack("!BBH", 0, 6, len(seg)), seg
    if ethertype == 0x86DD and len(ip) >= 40 and ip[6] == 6:
        seg = ip[40 : 40 + struct.unpack("!H", ip[4:6])[0]]
        return ip[8:40] + struct.pack("!I3xB", len(seg), 6), seg
    return None


def main():
    iface, seconds, prefixes = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    prefixes = [p.encode() for p in prefixes]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.2)
    print("ready", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            frame, addr = s.recvfrom(65536)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        found = tcp_of(frame)
        if not found or len(found[1]) < 20:
            continue
        pseudo, seg = found
        payload = seg[(seg[12] >> 4) * 4 :]
        for p in prefixes:
            if payload.startswith(p):
                ok = csum(pseudo + seg) == 0
                print(p.decode(), "correct" if ok else "incorrect", flush=True)


main()
