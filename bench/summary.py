#!/usr/bin/env python3
"""summary.py - make bench's last table: every figure with its target, from
the JSON each benchmark wrote (bench/benchutil.h's shape, plus the two
whole-process benchmarks' own), on the machine named at the top.

    python3 bench/summary.py bench-results [NAME:STATUS...]

NAME:STATUS: a benchmark that exited nonzero (1: a target missed, which its
figures must name; anything else: it did not run). Exit status 1 when a
target was missed or a benchmark did not run (each named on the last
lines), 0 otherwise.
"""
import json
import os
import platform
import sys


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def rows_of(bench, doc):
    """(benchmark, name, value text, spread text, target, pass or None)."""
    for r in doc.get("results", []):
        unit = r.get("unit", "")
        value = "%.4g %s" % (r["value"], unit)
        spread = ""
        if "lo" in r and "hi" in r:
            spread = "%.4g-%.4g" % (r["lo"], r["hi"])
        yield bench, r["name"], value, spread, r.get("target", ""), r.get("pass")
    # bench_workload: one ratio against its target.
    if "ratio" in doc and "target_ratio" in doc:
        yield (bench, "slowdown of the fastest runs", "%.3fx" % doc["ratio"], "",
               "<= %.2fx" % doc["target_ratio"], doc.get("pass"))


def main(argv):
    folder, failed_to_run = argv[1], []
    exits = dict(a.rsplit(":", 1) for a in argv[2:])
    rows = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        try:
            with open(os.path.join(folder, name)) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            failed_to_run.append("%s (unreadable figures: %s)" % (name, e))
            continue
        rows.extend(rows_of(name[: -len(".json")], doc))

    print("== summary: %s, %d CPUs, %s %s" % (cpu_model(), os.cpu_count() or 0,
                                              platform.system(), platform.release()))
    print("%-18s %-6s %-14s %-17s %-12s %s" % ("benchmark", "result", "value", "spread",
                                               "target", "figure"))
    missed = []
    for bench, name, value, spread, target, ok in rows:
        result = "info" if ok is None else ("PASS" if ok else "FAIL")
        print("%-18s %-6s %-14s %-17s %-12s %s" % (bench, result, value, spread or "-",
                                                   target or "-", name))
        if ok is False:
            missed.append("%s: %s (%s, target %s)" % (bench, name, value, target))
    for bench, status in sorted(exits.items()):
        if status != "1":
            failed_to_run.append("%s (exit status %s)" % (bench, status))
        elif not any(r[0] == bench and r[5] is False for r in rows):
            failed_to_run.append("%s (exit status 1, but no missed target in its figures)" % bench)
    for m in missed:
        print("missed: " + m)
    for f in failed_to_run:
        print("did not run: " + f)
    if not missed and not failed_to_run:
        print("every target met (%d figures)" % len(rows))
    return 1 if missed or failed_to_run else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
