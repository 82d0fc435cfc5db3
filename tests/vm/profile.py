#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Aggregates `perf script -F ip,sym,dso` samples (stdin) into the benchmark's profile lines:

    PROFILE <impl> <scenario> <view> <share%> <symbol> <object>

Kernel addresses are resolved here from /proc/kallsyms, not by perf: this kernel allocates a
module's text apart from its other memory, and perf 6.1 maps module address ranges from
/proc/modules, so it credits one module's samples to another. Views: "objects" (the share of
each binary: the kernel, each module, each user program or library), "module" (the symbols of
the IPVS modules, ip_vs* and ipvs_rs) and "all" (the top symbols anywhere). Rust's v0-mangled
names are shortened to their paths.

With the load's rate (operations per second), the profiled seconds and perf's sampling
frequency, it also prints the IPVS modules' CPU time per operation, which unlike a share does
not move with the throughput the run happened to reach:

    PROFILE-COST <impl> <scenario> <microseconds per operation> <IPVS samples> <rate>

usage: perf script -F ip,sym,dso | profile.py IMPL SCENARIO [RATE SECS FREQ]
"""
import bisect
import collections
import re
import sys

KERNEL_START = 0xFFFF800000000000


def demangle(sym):
    """The identifiers of a Rust v0 symbol joined by '::' (tags, disambiguators, crate hashes
    and back-references skipped); other names as they are."""
    if not sym.startswith("_R"):
        return sym
    parts, i = [], 2
    while i < len(sym):
        c = sym[i]
        if c.isdigit():
            j = i
            while j < len(sym) and sym[j].isdigit():
                j += 1
            n = int(sym[i:j])
            if j < len(sym) and sym[j] == "_":
                j += 1
            parts.append(sym[j:j + n])
            i = j + n
        elif c in "sB":
            k = sym.find("_", i)
            i = len(sym) if k < 0 else k + 1
        else:
            i += 1
    return "::".join(p for p in parts if p) or sym


def kallsyms():
    addrs, names = [], []
    for line in open("/proc/kallsyms"):
        f = line.split()
        if len(f) < 3 or f[1] not in "tTwW":
            continue
        a = int(f[0], 16)
        if a == 0:
            continue
        mod = f[3].strip("[]") if len(f) > 3 else "kernel"
        addrs.append(a)
        names.append((f[2], mod))
    order = sorted(range(len(addrs)), key=addrs.__getitem__)
    return [addrs[i] for i in order], [names[i] for i in order]


SAMPLE = re.compile(r"^\s*([0-9a-f]+)\s+(.*?)\s*\(([^()]*)\)\s*$")


def main():
    impl, scenario = sys.argv[1], sys.argv[2]
    addrs, names = kallsyms()
    by_sym, by_obj, total = collections.Counter(), collections.Counter(), 0
    for line in sys.stdin:
        m = SAMPLE.match(line)
        if not m:
            continue
        ip, sym, dso = int(m.group(1), 16), m.group(2), m.group(3)
        if ip >= KERNEL_START:
            k = bisect.bisect_right(addrs, ip) - 1
            sym, obj = names[k] if k >= 0 else ("[unknown]", "kernel")
            obj = "[%s]" % obj
        else:
            obj = dso.rsplit("/", 1)[-1] or "[unknown]"
        total += 1
        by_sym[(demangle(sym), obj)] += 1
        by_obj[obj] += 1
    if not total:
        return

    def emit(view, key, n):
        sym, obj = key
        print("PROFILE %s %s %s %.2f%% %s %s" % (impl, scenario, view, 100.0 * n / total, sym or "-", obj))

    for obj, n in by_obj.most_common(8):
        emit("objects", ("-", obj), n)
    is_ipvs = re.compile(r"^\[(ip_vs\w*|ipvs_rs)\]$")
    if len(sys.argv) > 5:
        rate, secs, freq = (float(a) for a in sys.argv[3:6])
        n = sum(c for obj, c in by_obj.items() if is_ipvs.match(obj))
        if rate > 0 and secs > 0 and freq > 0:
            print("PROFILE-COST %s %s %.3f %d %.0f" % (impl, scenario, 1e6 * n / freq / (rate * secs), n, rate))
    ipvs = [(k, n) for k, n in by_sym.most_common() if is_ipvs.match(k[1])]
    for k, n in ipvs[:20]:
        emit("module", k, n)
    for k, n in by_sym.most_common(25):
        emit("all", k, n)


if __name__ == "__main__":
    main()
