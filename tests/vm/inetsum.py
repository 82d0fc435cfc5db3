# SPDX-License-Identifier: GPL-2.0
"""The internet checksum (RFC 1071), for the packet tools beside it (`from inetsum import csum`)."""
import struct


def csum(data):
    """The internet checksum of data (an odd last byte padded with zero); data that holds its
    own checksum gives 0."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
