#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Shortens Rust v0-mangled symbols (_RNvNtCs..._7ipvs_rs9ipvs_core7hook_in) in the text on
stdin to their paths (ipvs_rs::ipvs_core::hook_in): enough to read a profile, not a full
demangler (generic arguments and disambiguators are dropped)."""
import re
import sys

SYM = re.compile(r"_R[0-9A-Za-z_]+")


def path(sym: str) -> str:
    """The identifiers of a v0 symbol, joined by '::'. Tags are skipped, and so are
    disambiguators and back-references (`s<base62>_`, `B<base62>_`, crate hashes among them)."""
    parts, i, s = [], 2, sym
    while i < len(s):
        c = s[i]
        if c.isdigit():
            j = i
            while j < len(s) and s[j].isdigit():
                j += 1
            n = int(s[i:j])
            if j < len(s) and s[j] == "_":
                j += 1
            parts.append(s[j:j + n])
            i = j + n
        elif c in "sB":
            k = s.find("_", i)
            i = len(s) if k < 0 else k + 1
        else:
            i += 1
    return "::".join(p for p in parts if p) or sym


for line in sys.stdin:
    sys.stdout.write(SYM.sub(lambda m: path(m.group(0)), line))
