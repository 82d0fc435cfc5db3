#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reads a /proc file as a slow reader does: one small read, then (file still open) the
kernel's vmalloc use, then the rest. Prints the number of lines and how much vmalloc grew
while the file was open after its first read (kB): a file rendered whole for its reader needs
a buffer as big as all of it, one read record by record does not."""
import sys


def vmalloc_kb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("VmallocUsed:"):
                return int(line.split()[1])
    raise SystemExit("no VmallocUsed in /proc/meminfo")


before = vmalloc_kb()
with open(sys.argv[1], "rb", buffering=0) as f:
    first = f.read(4096)
    during = vmalloc_kb()
    rest = bytearray()
    while True:
        chunk = f.read(1 << 16)
        if not chunk:
            break
        rest += chunk
lines = (first + rest).count(b"\n")
print(f"lines {lines} vmalloc +{max(during - before, 0)} kB")
