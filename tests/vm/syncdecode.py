#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Decodes captured sync datagrams (one hex datagram a line): each IPv4 record of a version 1
message as a line of text, sorted (their batching into datagrams depends on timing); anything
else as "v0/other HEX". Written from C's ip_vs_sync.c layouts, not from the module's code.

usage: syncdecode.py FILE
"""
import socket
import struct
import sys


def main():
    recs = []
    for line in open(sys.argv[1]):
        m = bytes.fromhex(line.strip())
        if len(m) < 8 or m[0] != 0 or m[5] != 1:
            recs.append("v0/other " + m.hex())
            continue
        assert struct.unpack("!H", m[2:4])[0] == len(m), "size"
        p = 8
        for _ in range(m[4]):
            t, proto, vs = m[p], m[p + 1], struct.unpack("!H", m[p + 2:p + 4])[0]
            flags, state, cport, vport, dport, mark, tmo = struct.unpack("!IHHHHII", m[p + 4:p + 24])
            a = [socket.inet_ntoa(m[p + 24 + 4 * i:p + 28 + 4 * i]) for i in range(3)]
            recs.append(f"syncid {m[1]} type {t} proto {proto} len {vs} flags {flags:#x} state {state} "
                        f"{a[0]}:{cport} {a[1]}:{vport} {a[2]}:{dport} mark {mark} timeout {tmo} "
                        f"opts {m[p + 36:p + vs].hex()}")
            p += (vs + 3) & ~3
    print("\n".join(sorted(recs)))


if __name__ == "__main__":
    main()
