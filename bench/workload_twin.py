"""workload_twin.py - the Python twin of bench/workload.c, for bench_workload.

ITERATIONS times, build a list of 1000 lists of 1000 ints and drop it when
the next iteration starts. [0] * 1000 shares one int object, so the 8 MB
is list storage, like workload.c's zeroed arrays.

    python3 workload_twin.py plain [iterations]
    python3 workload_twin.py usage [iterations]    # memory_profiler.memory_usage, 0.1 s
    python3 -m memory_profiler workload_twin.py lines [iterations]   # @profile

Prints one line for the driver, e.g.
    twin: mode=usage iterations=100 samples=12 min_mib=21.9 max_mib=29.4 spread_bytes=7916748
(the memory figures memory_profiler reported: their min, max, and max - min
in bytes; plain has none).
"""
import builtins
import sys

ITERATIONS = 100
ARRAYS = 1000
WORDS = 1000


def run(iterations):
    data = None
    for _ in range(iterations):
        data = None  # last iteration's lists are garbage from here
        data = [[0] * WORDS for _ in range(ARRAYS)]
    return data is not None


def report(mode, iterations, values):
    line = "twin: mode=%s iterations=%d" % (mode, iterations)
    if values:
        lo, hi = min(values), max(values)
        line += " samples=%d min_mib=%.2f max_mib=%.2f spread_bytes=%.0f" % (
            len(values), lo, hi, (hi - lo) * 1048576)
    print(line, flush=True)


def line_figures(profiler):
    """Every per-line "Mem usage" (MiB) that @profile recorded for run."""
    return [
        entry[1]
        for _, lines in profiler.code_map.items()
        for _, entry in lines
        if entry is not None
    ]


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "plain"
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else ITERATIONS
    if mode == "plain":
        run(iterations)
        report(mode, iterations, [])
    elif mode == "usage":
        from memory_profiler import memory_usage

        report(mode, iterations, memory_usage((run, (iterations,), {}), interval=0.1))
    elif mode == "lines":
        # `python3 -m memory_profiler` puts its line profiler in builtins;
        # decorating here is the same as writing @profile above run.
        profiler = builtins.__dict__.get("profile")
        if profiler is None:
            sys.exit("workload_twin: mode lines needs python3 -m memory_profiler")
        profiler(run)(iterations)
        report(mode, iterations, line_figures(profiler))
    else:
        sys.exit("usage: workload_twin.py plain|usage|lines [iterations]")


if __name__ == "__main__":
    main()
