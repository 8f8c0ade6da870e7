#!/bin/sh
# The first profile of a fresh process, in many fresh processes, under
# lazy and eager binding, and with the monitor recording (its hook then
# also walks the stack at each collection's start); tests/first_profile.c
# checks each figure against the program's own measurements. What a stale word keeps alive depends
# on the CPU, ASLR and frame layout, so each case runs RUNS times: a dead
# 1000 MiB block used to be kept in about 1 run in 4 (so 6 runs per case
# catch that with 82% chance, and its 18 runs together 99%), the first cycle
# count was wrong in every lazily bound run on AVX-512 CPUs.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
retention_test
prog="$top_builddir/tests/first_profile"
RUNS="${FIRST_PROFILE_RUNS:-6}"
make_tmp

failed=0
for binding in lazy now monitor; do
    for scenario in cycles big; do
        bad=0
        i=0
        while [ "$i" -lt "$RUNS" ]; do
            if [ "$binding" = now ]; then
                LD_BIND_NOW=1 "$prog" "$scenario" || bad=$((bad + 1))
            elif [ "$binding" = monitor ]; then
                env -u LD_BIND_NOW GCPROF_MONITOR_OUT="$tmp/run.dat" GCPROF_TRACE=1 \
                    GCPROF_TRACE_FILE="$tmp/trace.txt" "$prog" "$scenario" || bad=$((bad + 1))
            else
                env -u LD_BIND_NOW "$prog" "$scenario" || bad=$((bad + 1))
            fi
            i=$((i + 1))
        done
        printf '%-7s %-7s %d/%d right\n' "$binding" "$scenario" $((RUNS - bad)) "$RUNS"
        if [ "$binding" = monitor ] && ! grep -q '^GCPROF_GC ' "$tmp/run.dat"; then
            echo "the monitor recorded no collection: it did not run"
            failed=1
        fi
        [ "$bad" -eq 0 ] || failed=1
    done
done
exit "$failed"
