#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Malformed and random IPv4 and IPv6 packets at a virtual service, from a raw socket.

usage: pktfuzz.py cases VIP PORT        named malformed cases, one source port each (2000 + i),
                                       printed as "PORT NAME" on stdout; answers are taken
                                       by UDP sockets on those ports
       pktfuzz.py random VIP COUNT SEED  COUNT random packets (TCP/UDP/ICMP/SCTP/other; bad
                                       lengths, header lengths, options, fragments, flags and
                                       checksums) at VIP, ports 79-83
       pktfuzz.py random6 VIP6 COUNT SEED   the same for IPv6 (TCP/UDP/ICMPv6/SCTP/extension
                                       headers, fragments, bad payload lengths), as Ethernet
                                       frames (DMAC must be set), from SRC6 (default fd00::2)

The source address is the sender's own (SRC, default 10.0.0.2), so answers come back to it.
With DMAC (the next hop's MAC address) set, random packets are sent as Ethernet frames on
IFACE (default eth0), so that even their IP total length and checksum reach the receiver as
made (a raw IP socket would fill those in).
"""
import os
import random
import socket
import struct
import sys
import time

from inetsum import csum

SRC = socket.inet_aton(os.environ.get("SRC", "10.0.0.2"))
SRC6 = socket.inet_pton(socket.AF_INET6, os.environ.get("SRC6", "fd00::2"))
TCP, UDP, ICMP, SCTP, ICMP6 = 6, 17, 1, 132, 58
# IPv6 extension headers: hop-by-hop options, routing, fragment, destination options.
HOPOPTS, ROUTING, FRAGMENT, DSTOPTS = 0, 43, 44, 60


def ipv4(dst, proto, payload, options=b"", frag=0x4000, tot_len=None, ihl=None):
    ihl = ihl if ihl is not None else 5 + len(options) // 4
    tot = tot_len if tot_len is not None else 20 + len(options) + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | (ihl & 0xF), 0, tot & 0xFFFF, 0x1234, frag, 64, proto, 0, SRC, dst)
    h += options
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def l4sum(dst, proto, seg):
    return csum(SRC + dst + struct.pack("!BBH", 0, proto, len(seg)) + seg)


def tcp(dst, sport, dport, flags, doff=5, opts=b"", data=b"", good_csum=True):
    h = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, (doff & 0xF) << 4, flags, 65535, 0, 0) + opts
    seg = h + data
    c = l4sum(dst, TCP, seg) if good_csum else 0xBEEF
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(dst, sport, dport, data=b"ping\n", length=None, good_csum=True):
    ln = length if length is not None else 8 + len(data)
    seg = struct.pack("!HHHH", sport, dport, ln & 0xFFFF, 0) + data
    c = l4sum(dst, UDP, seg) if good_csum else 0xBEEF
    return seg[:6] + struct.pack("!H", c or 0xFFFF) + seg[8:]


SYN, ACK, RST, FIN = 0x02, 0x10, 0x04, 0x01


def crc32c(data):
    """CRC32c (Castagnoli, reflected 0x82F63B78) as SCTP's checksum uses it."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def chunk(ctype, body=b"", length=None):
    """An SCTP chunk of type CTYPE (flags 0), padded to 4 bytes; LENGTH overrides its length."""
    ln = length if length is not None else 4 + len(body)
    c = struct.pack("!BBH", ctype, 0, ln & 0xFFFF) + body
    return c + b"\0" * (-len(c) % 4)


INIT, ABORT, DATA, COOKIE_ECHO = 1, 6, 0, 10
# An INIT's fixed part: initiate tag, window, streams out/in, initial TSN.
INIT_BODY = struct.pack("!IIHHI", 0x1234, 65536, 10, 10, 1)


def sctp(sport, dport, chunks, tag=0, good_csum=True):
    """An SCTP packet (common header with its CRC32c, unless not GOOD_CSUM) of CHUNKS."""
    p = struct.pack("!HHII", sport, dport, tag, 0) + chunks
    c = crc32c(p) if good_csum else 0xBEEFBEEF
    return p[:8] + struct.pack("<I", c) + p[12:]


def cases(dst, port):
    """(name, packet) for source ports 2000, 2001, ..."""
    out = []

    def add(name, make):
        sport = 2000 + len(out)
        out.append((sport, name, make(sport)))

    add("tcp-syn-valid", lambda p: ipv4(dst, TCP, tcp(dst, p, port, SYN)))
    add("tcp-header-10-bytes", lambda p: ipv4(dst, TCP, tcp(dst, p, port, SYN)[:10]))
    add("tcp-header-4-bytes", lambda p: ipv4(dst, TCP, tcp(dst, p, port, SYN)[:4]))
    add("tcp-doff-2", lambda p: ipv4(dst, TCP, tcp(dst, p, port, SYN, doff=2)))
    add("tcp-doff-15-short", lambda p: ipv4(dst, TCP, tcp(dst, p, port, SYN, doff=15)))
    add("tcp-syn-bad-checksum", lambda p: ipv4(dst, TCP, tcp(dst, p, port, SYN, good_csum=False)))
    add("tcp-syn-rst", lambda p: ipv4(dst, TCP, tcp(dst, p, port, SYN | RST)))
    add("tcp-syn-fin", lambda p: ipv4(dst, TCP, tcp(dst, p, port, SYN | FIN)))
    add("tcp-ack-no-conn", lambda p: ipv4(dst, TCP, tcp(dst, p, port, ACK)))
    add("tcp-syn-ip-options", lambda p: ipv4(dst, TCP, tcp(dst, p, port, SYN), options=b"\x01\x01\x01\x00"))
    add("tcp-syn-tcp-options", lambda p: ipv4(dst, TCP, tcp(dst, p, port, SYN, doff=7, opts=b"\x02\x04\x05\xb4\x01\x01\x04\x02")))
    add("tcp-syn-data", lambda p: ipv4(dst, TCP, tcp(dst, p, port, SYN, data=b"x" * 100)))
    add("udp-valid", lambda p: ipv4(dst, UDP, udp(dst, p, port)))
    add("udp-header-4-bytes", lambda p: ipv4(dst, UDP, udp(dst, p, port)[:4]))
    add("udp-length-too-big", lambda p: ipv4(dst, UDP, udp(dst, p, port, length=200)))
    add("udp-length-too-small", lambda p: ipv4(dst, UDP, udp(dst, p, port, length=3)))
    add("udp-bad-checksum", lambda p: ipv4(dst, UDP, udp(dst, p, port, good_csum=False)))
    add("udp-no-payload", lambda p: ipv4(dst, UDP, udp(dst, p, port, data=b"")))
    add("udp-ip-options", lambda p: ipv4(dst, UDP, udp(dst, p, port), options=b"\x01\x01\x01\x00"))
    add("sctp-init-valid", lambda p: ipv4(dst, SCTP, sctp(p, port, chunk(INIT, INIT_BODY))))
    add("sctp-header-8-bytes", lambda p: ipv4(dst, SCTP, sctp(p, port, b"")[:8]))
    add("sctp-no-chunk", lambda p: ipv4(dst, SCTP, sctp(p, port, b"")))
    add("sctp-chunk-header-2-bytes", lambda p: ipv4(dst, SCTP, sctp(p, port, b"\x01\x00")))
    add("sctp-init-bad-crc", lambda p: ipv4(dst, SCTP, sctp(p, port, chunk(INIT, INIT_BODY), good_csum=False)))
    add("sctp-data-no-conn", lambda p: ipv4(dst, SCTP, sctp(p, port, chunk(DATA, b"\0" * 12 + b"x"), tag=7)))
    add("sctp-abort-no-conn", lambda p: ipv4(dst, SCTP, sctp(p, port, chunk(ABORT), tag=7)))
    add("sctp-init-length-0", lambda p: ipv4(dst, SCTP, sctp(p, port, chunk(INIT, INIT_BODY, length=0))))
    add("sctp-init-length-huge", lambda p: ipv4(dst, SCTP, sctp(p, port, chunk(INIT, INIT_BODY, length=65535))))
    add("sctp-cookie-echo-abort", lambda p: ipv4(dst, SCTP, sctp(p, port, chunk(COOKIE_ECHO, b"c" * 5) + chunk(ABORT), tag=7)))
    add("sctp-cookie-echo-length-3", lambda p: ipv4(dst, SCTP, sctp(p, port, chunk(COOKIE_ECHO, b"c" * 8, length=3), tag=7)))
    return out


def random_packet(rng, dst):
    proto = rng.choice([TCP, TCP, UDP, UDP, ICMP, SCTP, rng.randrange(256)])
    port = rng.randrange(79, 84)
    sport = rng.randrange(1024, 65536)
    if proto == TCP:
        seg = tcp(dst, sport, port, rng.randrange(256), doff=rng.randrange(16),
                  opts=rng.randbytes(rng.choice([0, 4, 8, 40])), data=rng.randbytes(rng.choice([0, 1, 100])),
                  good_csum=rng.random() < 0.7)
    elif proto == UDP:
        seg = udp(dst, sport, port, data=rng.randbytes(rng.choice([0, 1, 8, 300])),
                  length=rng.choice([None, None, 0, 7, 8, 9, 65535]), good_csum=rng.random() < 0.7)
    elif proto == SCTP:
        if rng.random() < 0.5:
            seg = struct.pack("!HHI", sport, port, rng.getrandbits(32)) + rng.randbytes(rng.choice([0, 4, 16, 64]))
        else:
            # Chunks of the types IPVS reads, with lengths right or wrong.
            chunks = b"".join(
                chunk(rng.choice([0, 1, 2, 6, 7, 8, 10, 11, 14, rng.randrange(256)]),
                      rng.randbytes(rng.choice([0, 1, 16])),
                      length=rng.choice([None, None, 0, 3, 4, 65535]))
                for _ in range(rng.choice([1, 1, 2, 3])))
            seg = sctp(sport, port, chunks, tag=rng.getrandbits(32), good_csum=rng.random() < 0.7)
    else:
        seg = rng.randbytes(rng.choice([0, 4, 8, 28, 64]))
    if rng.random() < 0.2:
        seg = seg[: rng.randrange(len(seg) + 1)]
    options = rng.choice([b"", b"", b"\x01\x01\x01\x00", rng.randbytes(4), rng.randbytes(40)])
    frag = rng.choice([0x4000, 0x4000, 0x4000, 0x2000, 0x0001, 0x2005, 0x8000])
    ihl = rng.choice([None, None, None, 5, 6, 15])
    tot = rng.choice([None, None, None, 20, 40, 65535])
    return ipv4(dst, proto, seg, options=options, frag=frag, tot_len=tot, ihl=ihl)


def ipv6(dst, nh, payload, plen=None):
    ln = plen if plen is not None else len(payload)
    return struct.pack("!IHBB16s16s", 6 << 28, ln & 0xFFFF, nh, 64, SRC6, dst) + payload


def l4sum6(dst, proto, seg):
    return csum(SRC6 + dst + struct.pack("!IxxxB", len(seg), proto) + seg)


def random_packet6(rng, dst):
    proto = rng.choice([TCP, TCP, UDP, UDP, ICMP6, SCTP, rng.randrange(256)])
    port = rng.randrange(79, 84)
    sport = rng.randrange(1024, 65536)
    if proto == TCP:
        seg = struct.pack("!HHIIBBHHH", sport, port, 1000, 0, rng.randrange(16) << 4, rng.randrange(256), 65535, 0, 0)
        seg += rng.randbytes(rng.choice([0, 4, 40, 100]))
        off = 16
    elif proto == UDP:
        data = rng.randbytes(rng.choice([0, 1, 8, 300]))
        seg = struct.pack("!HHHH", sport, port, rng.choice([8 + len(data), 8 + len(data), 0, 7, 65535]), 0) + data
        off = 6
    elif proto == ICMP6:
        # Errors (unreachable, packet too big, time exceeded) embedding a packet, or anything.
        seg = struct.pack("!BBHI", rng.choice([1, 2, 3, 128, rng.randrange(256)]), rng.randrange(8), 0, rng.getrandbits(32))
        seg += rng.randbytes(rng.choice([0, 8, 40, 48, 100]))
        off = 2
    else:
        seg, off = rng.randbytes(rng.choice([0, 4, 12, 64])), None
    if off is not None and rng.random() < 0.7 and len(seg) >= off + 2:
        seg = seg[:off] + struct.pack("!H", l4sum6(dst, proto, seg)) + seg[off + 2:]
    if rng.random() < 0.2:
        seg = seg[: rng.randrange(len(seg) + 1)]
    # Zero to three extension headers before it, fragments among them.
    nh = proto
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 3])):
        kind = rng.choice([HOPOPTS, ROUTING, FRAGMENT, DSTOPTS])
        if kind == FRAGMENT:
            ext = struct.pack("!BBHI", nh, 0, rng.choice([0, 1, 8 << 3, (8 << 3) | 1, rng.getrandbits(16)]), rng.getrandbits(32))
        else:
            ln = rng.choice([0, 0, 1, 255])
            ext = struct.pack("!BB", nh, ln) + rng.randbytes(6 + 8 * min(ln, 2))
        seg, nh = ext + seg, kind
    plen = rng.choice([None, None, None, 0, 8, 65535])
    return ipv6(dst, nh, seg, plen)


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    mode, vip = sys.argv[1], sys.argv[2]
    dst = socket.inet_pton(socket.AF_INET6 if mode == "random6" else socket.AF_INET, vip)
    if mode == "cases":
        todo = cases(dst, int(sys.argv[3]))
        # UDP sockets on the cases' source ports take the answers, so that this host sends no
        # ICMP port unreachable back (that is ICMP error handling, not what the cases test).
        sinks = []
        for sport, _, _ in todo:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind((socket.inet_ntoa(SRC), sport))
            sinks.append(u)
        for sport, name, pkt in todo:
            s.sendto(pkt, (vip, 0))
            print(sport, name)
        time.sleep(2)
    else:
        v6 = mode == "random6"
        rng = random.Random(int(sys.argv[4]))
        dmac = os.environ.get("DMAC")
        if dmac:
            ifname = os.environ.get("IFACE", "eth0")
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind((ifname, 0))
            smac = bytes.fromhex(open("/sys/class/net/%s/address" % ifname).read().strip().replace(":", ""))
            eth = bytes.fromhex(dmac.replace(":", "")) + smac + (b"\x86\xdd" if v6 else b"\x08\x00")
        sent = 0
        for _ in range(int(sys.argv[3])):
            pkt = random_packet6(rng, dst) if v6 else random_packet(rng, dst)
            try:
                if dmac:
                    s.send(eth + pkt)
                else:
                    s.sendto(pkt, (vip, 0))
                sent += 1
            except OSError:
                pass  # the sending stack refused it (e.g. a length it cannot send)
        print("sent", sent)


if __name__ == "__main__":
    main()
