#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reads a /proc file as a slow reader does: one small read, then (file still open) the
kernel's vmalloc use, then the rest. Prints the number of lines and how much vmalloc grew
while the file was open after its first read (kB): a file rendered whole for its reader needs
a buffer as big as all of it, one read record by record does not. Then the kernel's vmalloc and
unreclaimable slab (kB) before the file was opened, while it was open and after it was closed:

    lines N vmalloc +GREW kB vmalloc BEFORE DURING AFTER slab BEFORE DURING AFTER"""
import sys


def meminfo_kb(field):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise SystemExit("no %s in /proc/meminfo" % field)


def both():
    return meminfo_kb("VmallocUsed"), meminfo_kb("SUnreclaim")


before = both()
with open(sys.argv[1], "rb", buffering=0) as f:
    first = f.read(4096)
    during = both()
    rest = bytearray()
    while True:
        chunk = f.read(1 << 16)
        if not chunk:
            break
        rest += chunk
    # The most either took while the file was open: the end of the walk as well.
    during = tuple(max(a, b) for a, b in zip(during, both()))
after = both()
lines = (first + rest).count(b"\n")
print(f"lines {lines} vmalloc +{max(during[0] - before[0], 0)} kB"
      f" vmalloc {before[0]} {during[0]} {after[0]} slab {before[1]} {during[1]} {after[1]}")
