#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Generic-netlink fuzzer for the IPVS family.

Sends random and mutated IPVS messages (valid ipvsadm-style requests with flipped bytes,
truncation, random attribute types, lengths and nesting, random commands and flags) and reads
every answer. The kernel must survive: the caller checks dmesg and that the module still works.

Usage: genl_fuzz.py COUNT [SEED]
"""
import os
import random
import socket
import struct
import sys

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3


def attr(t, payload):
    hdr = struct.pack("=HH", 4 + len(payload), t)
    return hdr + payload + b"\0" * ((4 - len(payload) % 4) % 4)


def msg(family, cmd, payload, flags, seq):
    body = struct.pack("=BBH", cmd, 1, 0) + payload
    return struct.pack("=IHHII", 16 + len(body), family, flags, seq, 0) + body


def resolve(sock):
    sock.send(msg(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, attr(CTRL_ATTR_FAMILY_NAME, b"IPVS\0"), NLM_F_REQUEST, 1))
    data = sock.recv(65536)
    off = 20
    while off + 4 <= len(data):
        ln, t = struct.unpack_from("=HH", data, off)
        if t == CTRL_ATTR_FAMILY_ID:
            return struct.unpack_from("=H", data, off + 4)[0]
        off += (ln + 3) & ~3
    raise SystemExit("IPVS family not found")


def service(rng):
    a = attr(1, struct.pack("=H", rng.choice([2, 10, 2, 0, 7])))
    if rng.random() < 0.2:
        a += attr(5, struct.pack("=I", rng.randrange(0, 4)))
    else:
        a += attr(2, struct.pack("=H", rng.choice([6, 17, 132, 0])))
        a += attr(3, bytes([10, 77, rng.randrange(4), rng.randrange(4)]) + b"\0" * 12)
        a += attr(4, struct.pack(">H", rng.choice([80, 0, 443])))
    a += attr(6, rng.choice([b"rr\0", b"wlc\0", b"sh\0", b"none\0", b"nosuch\0", b"x" * 20]))
    a += attr(7, struct.pack("=II", rng.getrandbits(6), 0xFFFFFFFF))
    a += attr(8, struct.pack("=I", rng.choice([0, 300, 2 ** 32 - 1])))
    a += attr(9, struct.pack("=I", rng.choice([0xFFFFFFFF, 128, 0, 129])))
    return attr(1, a)


def dest(rng):
    a = attr(11, struct.pack("=H", rng.choice([2, 10, 0])))
    a += attr(1, bytes([10, 88, 0, rng.randrange(1, 4)]) + b"\0" * 12)
    a += attr(2, struct.pack(">H", 80))
    a += attr(3, struct.pack("=I", rng.randrange(0, 8)))
    a += attr(4, struct.pack("=I", rng.choice([1, 0, 65535, 2 ** 31])))
    a += attr(13, bytes([rng.randrange(4)]))
    a += attr(14, struct.pack(">H", rng.randrange(2)))
    a += attr(15, struct.pack("=H", rng.randrange(4)))
    a += attr(5, struct.pack("=I", rng.choice([0, 10, 2 ** 31])))
    a += attr(6, struct.pack("=I", rng.choice([0, 5, 20])))
    return attr(2, a)


def random_attrs(rng, depth=0):
    out = b""
    for _ in range(rng.randrange(0, 5)):
        t = rng.randrange(0, 20) | rng.choice([0, 0, 0x8000, 0x4000])
        if depth < 3 and rng.random() < 0.3:
            p = random_attrs(rng, depth + 1)
        else:
            p = os.urandom(rng.randrange(0, 24))
        out += attr(t, p)
    return out


def mutate(rng, b):
    b = bytearray(b)
    for _ in range(rng.randrange(1, 6)):
        if not b:
            break
        r = rng.random()
        i = rng.randrange(len(b))
        if r < 0.5:
            b[i] = rng.getrandbits(8)
        elif r < 0.7:
            b = b[:i]
        elif r < 0.85:
            struct.pack_into("=H", b, i - i % 4, rng.randrange(0, 70)) if len(b) >= (i - i % 4) + 2 else None
        else:
            b[i:i] = os.urandom(rng.randrange(1, 9))
    return bytes(b)


def main():
    count = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.bind((0, 0))
    sock.settimeout(0.2)
    family = resolve(sock)
    answered = 0
    for seq in range(2, count + 2):
        cmd = rng.choice(list(range(0, 20)) + [1, 4, 5, 8, 16, 17])
        kind = rng.random()
        if kind < 0.4:
            payload = service(rng) + (dest(rng) if rng.random() < 0.5 else b"")
        elif kind < 0.6:
            payload = random_attrs(rng)
        else:
            payload = service(rng) + dest(rng) + random_attrs(rng)
        if rng.random() < 0.6:
            payload = mutate(rng, payload)
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if rng.random() < 0.25 else 0)
        data = msg(family, cmd, payload, flags, seq)
        if rng.random() < 0.05:
            data = mutate(rng, data)
        try:
            sock.send(data)
        except OSError:
            continue
        # Drain answers until this request's ack/error/done (or a timeout).
        while True:
            try:
                r = sock.recv(1 << 17)
            except socket.timeout:
                break
            answered += 1
            if len(r) >= 16:
                t, s = struct.unpack_from("=H", r, 4)[0], struct.unpack_from("=I", r, 8)[0]
                if t in (NLMSG_ERROR, NLMSG_DONE) and s == seq:
                    break
            else:
                break
        if seq % 10000 == 0:
            print(f"fuzz: {seq - 1} messages sent", flush=True)
    print(f"fuzz: {count} messages sent, {answered} answers read")


if __name__ == "__main__":
    main()
