#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the "BENCH <scenario> <impl> <round> <value> <unit>" lines of a benchmark VM log into
OUT/results.md, OUT/results.json and (with matplotlib) OUT/results.png, and prints the table.

With ICOUNT-LOG (the deterministic pass: QEMU -icount shift=0, one vCPU), also a table of its
"BENCH-COST <scenario> <impl> <round> <ns> <operation>" lines: guest instructions per operation.

usage: report.py LOG OUT [MACHINE-DESCRIPTION [ICOUNT-LOG]]
"""
import json
import os
import statistics
import sys

ORDER = [
    ("udp_nat", "UDP request/response through NAT, 64 flows", True),
    ("crr_nat", "TCP connections through NAT (connect, request, response, close)", True),
    ("udp_nat6", "UDP request/response through NAT over IPv6, 64 flows", True),
    ("crr_nat6", "TCP connections through NAT over IPv6", True),
    ("crr_dr", "TCP connections through DR", True),
    ("crr_persist", "TCP connections through NAT, persistent service (-p)", True),
    ("stream_nat", "One TCP flow through NAT", True),
    ("conn_mem", "Slab memory per ESTABLISHED connection", False),
    ("ctl_restore", "ipvsadm -R of the services", False),
    ("ctl_list", "ipvsadm -Ln of the services", False),
]


def human(v, unit):
    if unit == "bit/s":
        return "%.2f Gbit/s" % (v / 1e9) if v >= 1e9 else "%.0f Mbit/s" % (v / 1e6)
    if unit == "s":
        return "%.2f s" % v
    return "%.0f %s" % (v, unit)


def spread(vals, fmt):
    """The median, and (min - max) where there were several, each as fmt(value) gives it."""
    text = fmt(statistics.median(vals))
    if len(vals) > 1:
        text += " (%s - %s)" % (fmt(min(vals)), fmt(max(vals)))
    return text


def c_rs_rows(by_scenario, fmt, value):
    """Markdown rows "scenario | C | ipvs_rs | ipvs_rs / C" of a profile figure: `fmt` renders a
    cell, `value` gives the number the ratio divides."""
    text = ""
    for scenario, by in sorted(by_scenario.items()):
        c, r = by.get("c"), by.get("rs")
        ratio = "%.2f" % (value(r) / value(c)) if c and r and value(c) else "-"
        text += "| %s | %s | %s | %s |\n" % (scenario, fmt(c) if c else "-", fmt(r) if r else "-", ratio)
    return text


def icount_table(log):
    """The deterministic pass's table (markdown) and data, from its VM log."""
    cost, own, syms = {}, {}, {}
    for line in open(log, errors="replace"):
        f = line.split()
        try:
            if len(f) == 6 and f[0] == "PROFILE-COST":
                # PROFILE-COST <impl> <scenario> <us per operation> <samples> <rate>: under
                # icount a microsecond is a thousand instructions.
                own.setdefault(f[2], {})[f[1]] = (float(f[3]) * 1000, int(f[4]))
            elif len(f) >= 7 and f[0] == "PROFILE" and f[3] == "module":
                # PROFILE <impl> <scenario> module <share%> <symbol...> <object>
                syms.setdefault((f[2], f[1]), []).append((float(f[4].rstrip("%")), " ".join(f[5:-1])))
            elif len(f) == 6 and f[0] == "BENCH-COST":
                cost.setdefault(f[1], {"op": f[5], "runs": {}})["runs"].setdefault(f[2], []).append(float(f[4]))
        except ValueError:
            pass
    if not cost:
        return "", {}
    md = ["| Scenario | operation | C ip_vs | ipvs_rs | ipvs_rs / C | no IPVS | ipvs_rs / C over no IPVS |", "|---|---|---|---|---|---|---|"]
    data = {}
    titles = {key: title for key, title, _ in ORDER}
    for key, _, _ in ORDER:
        d = cost.get(key)
        if not d:
            continue
        runs = d["runs"]
        med = {impl: statistics.median(v) for impl, v in runs.items()}
        row = {"operation": d["op"], "runs": runs}
        ratio = excess = "-"
        if med.get("c"):
            row["ratio_rs_c"] = med.get("rs", 0) / med["c"]
            ratio = "%.3f" % row["ratio_rs_c"]
            if "fwd" in med and med["c"] > med["fwd"]:
                row["excess_ratio_rs_c"] = (med.get("rs", 0) - med["fwd"]) / (med["c"] - med["fwd"])
                excess = "%.2f" % row["excess_ratio_rs_c"]
        data[key] = row

        def cell(impl):
            return spread(runs[impl], lambda v: "%.0f" % v) if impl in runs else "-"

        md.append("| %s | %s | %s | %s | %s | %s | %s |" % (titles[key], d["op"], cell("c"), cell("rs"), ratio, cell("fwd"), excess))
    text = ("\n## Deterministic cost: guest instructions per operation (QEMU -icount shift=0, one vCPU)\n\n"
            "Guest time under instruction counting advances a nanosecond per instruction, so the"
            " one vCPU's busy time over a load, divided by the operations it completed, is the"
            " instructions each cost the whole system (load generator, stack, IPVS, servers); the"
            " control-plane rows are the busy time of `ipvsadm -R` per command and of the whole"
            " listing (the idle time C's commands wait out is left out). Median (min - max) over the rounds; lower"
            " is better. \"Over no IPVS\" divides what each implementation adds to plain forwarding"
            " (which skips NAT as well, so it is a floor, not IPVS's exact share).\n\n")
    text += "\n".join(md) + "\n"
    if own:
        text += ("\nThe IPVS modules' own instructions per operation (perf at 4999 Hz of guest time over"
                 " the UDP and TCP NAT loads, an `ipvsadm -R` of 2,000 services x 4 per command, and"
                 " their listing): their samples times the instructions between samples, over the"
                 " operations.\n\n| Scenario | C ip_vs | ipvs_rs | ipvs_rs / C |\n|---|---|---|---|\n")
        text += c_rs_rows(own, lambda x: "%.0f (%d samples)" % x, lambda x: x[0])
        data["ipvs_own_instructions"] = own
        # Where they go, per TCP connection: the modules' top functions, in instructions.
        text += "\nPer TCP NAT connection, the modules' top functions (instructions):\n\n| C ip_vs | | ipvs_rs | |\n|---|---|---|---|\n"
        cols = []
        for impl in ("c", "rs"):
            total = own.get("crr_nat", {}).get(impl, (0, 0))[0]
            rows = syms.get(("crr_nat", impl), [])
            share = sum(x for x, _ in rows) or 1
            cols.append([(name, total * x / share) for x, name in sorted(rows, reverse=True)[:12]])
        for i in range(max(len(c) for c in cols)):
            cells = []
            for c in cols:
                cells += [c[i][0], "%.0f" % c[i][1]] if i < len(c) else ["", ""]
            text += "| %s | %s | %s | %s |\n" % tuple(cells)
    return text, data


def main():
    log, out = sys.argv[1], sys.argv[2]
    machine = sys.argv[3] if len(sys.argv) > 3 else ""
    icount_text, icount = icount_table(sys.argv[4]) if len(sys.argv) > 4 and os.path.exists(sys.argv[4]) else ("", {})
    data = {}
    profile = {}
    cost = {}
    for line in open(log, errors="replace"):
        f = line.split()
        if len(f) == 6 and f[0] == "PROFILE-COST":
            # PROFILE-COST <impl> <scenario> <us per operation> <IPVS samples> <rate>
            cost.setdefault(f[2], {})[f[1]] = {"us_per_op": float(f[3]), "samples": int(f[4]), "rate": float(f[5])}
        if len(f) >= 7 and f[0] == "PROFILE":
            # PROFILE <impl> <scenario> <view> <share%> <symbol...> <object>
            profile.setdefault((f[2], f[3], f[1]), []).append((f[4], " ".join(f[5:-1]), f[-1]))
        if len(f) == 6 and f[0] == "BENCH":
            try:
                data.setdefault(f[1], {"unit": f[5], "runs": {}})["runs"].setdefault(f[2], []).append(float(f[4]))
            except ValueError:
                pass
    if not data and not profile:
        sys.exit("no BENCH or PROFILE lines in %s" % log)
    os.makedirs(out, exist_ok=True)
    rows = []
    for key, title, higher_better in ORDER:
        if key not in data:
            continue
        d = data[key]
        row = {"scenario": key, "title": title, "unit": d["unit"], "higher_is_better": higher_better}
        for impl, vals in d["runs"].items():
            row[impl] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "runs": vals}
        if "c" in row and "rs" in row and row["c"]["median"]:
            row["ratio_rs_c"] = row["rs"]["median"] / row["c"]["median"]
            # Round by round: the two ran within a minute of each other, so the ratio of each
            # round's pair is free of the drift between rounds.
            pairs = [r / c for r, c in zip(row["rs"]["runs"], row["c"]["runs"]) if c]
            if len(pairs) > 1 and len(row["rs"]["runs"]) == len(row["c"]["runs"]):
                row["paired_ratio"] = {"median": statistics.median(pairs), "min": min(pairs), "max": max(pairs), "runs": pairs}
        rows.append(row)

    def cell(row, impl):
        if impl not in row:
            return "-"
        return spread(row[impl]["runs"], lambda v: human(v, row["unit"]))

    def paired(row):
        p = row.get("paired_ratio")
        return "%.2f (%.2f - %.2f)" % (p["median"], p["min"], p["max"]) if p else "-"

    md = ["| Scenario | C ip_vs | ipvs_rs | ipvs_rs / C | ipvs_rs / C by round | no IPVS (ceiling) |", "|---|---|---|---|---|---|"]
    for row in rows:
        ratio = "%.2f" % row["ratio_rs_c"] if "ratio_rs_c" in row else "-"
        better = "higher is better" if row["higher_is_better"] else "lower is better"
        md.append("| %s (%s) | %s | %s | %s | %s | %s |" % (row["title"], better, cell(row, "c"), cell(row, "rs"), ratio, paired(row), cell(row, "fwd")))
    text = "\n".join(md) + (
        "\n\nMedians over the rounds, (min - max) where there were several. \"ipvs_rs / C\" divides the"
        " medians; \"by round\" is the median (min - max) of each round's own ratio (C and ipvs_rs ran"
        " within a minute of each other in each round, so drift across the boot cancels).\n")
    if machine:
        text += "Machine: %s\n" % machine
    text += icount_text
    if cost:
        text += ("\n## IPVS CPU time per operation (profiled runs)\n\nThe IPVS modules' cpu-clock samples"
                 " divided by the operations the load completed meanwhile (a UDP request and its reply,"
                 " or a whole TCP connection): microseconds of vCPU time per operation, lower is better.\n\n"
                 "| Scenario | C ip_vs | ipvs_rs | ipvs_rs / C |\n|---|---|---|---|\n")
        text += c_rs_rows(cost, lambda x: "%.2f us (%d samples, %.0f ops/s)" % (x["us_per_op"], x["samples"], x["rate"]),
                          lambda x: x["us_per_op"])
    if profile:
        text += "\n## Profile (perf cpu-clock samples over both vCPUs, director and load together)\n"
        views = {"objects": "share by binary", "module": "symbols of the IPVS module(s)", "all": "top symbols"}
        order = {"objects": 0, "module": 1, "all": 2}
        for (scenario, view, impl), syms in sorted(profile.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 9), kv[0][2])):
            text += "\n%s, %s, %s:\n\n| share | symbol | object |\n|---|---|---|\n" % (
                scenario, views.get(view, view), {"c": "C ip_vs", "rs": "ipvs_rs"}.get(impl, impl))
            for share, sym, obj in syms[:25]:
                text += "| %s | `%s` | %s |\n" % (share, sym, obj)
    open(os.path.join(out, "results.md"), "w").write(text)
    json.dump({"machine": machine, "rows": rows, "icount": icount, "cost_per_op": cost, "profile": {"/".join(k): v for k, v in profile.items()}}, open(os.path.join(out, "results.json"), "w"), indent=1)
    print(text)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no matplotlib: no results.png)")
        return
    shown = [r for r in rows if "ratio_rs_c" in r]
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(shown) + 1.5))
    ys = range(len(shown))
    ax.barh(list(ys), [r["ratio_rs_c"] for r in shown], color=["tab:green" if (r["ratio_rs_c"] >= 1) == r["higher_is_better"] else "tab:red" for r in shown])
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(list(ys))
    ax.set_yticklabels(["%s (%s)" % (r["scenario"], "higher better" if r["higher_is_better"] else "lower better") for r in shown])
    ax.set_xlabel("ipvs_rs / C ip_vs (median); green: ipvs_rs better")
    ax.set_title("ipvs_rs against C IPVS, same kernel, same VM boot")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "results.png"), dpi=100)
    print("chart: %s" % os.path.join(out, "results.png"))


if __name__ == "__main__":
    main()
