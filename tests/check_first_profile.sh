#!/bin/sh
# The first profile of a fresh process, in many fresh processes, under
# lazy and eager binding (tests/first_profile.c checks each figure against
# the program's own measurements). What a stale word keeps alive depends
# on the CPU, ASLR and frame layout, so each case runs RUNS times: a dead
# 1000 MiB block used to be kept in about 1 run in 4, the first cycle
# count was wrong in every lazily bound run on AVX-512 CPUs.
set -u
builddir="${top_builddir:-.}"
prog="$builddir/tests/first_profile"
RUNS="${FIRST_PROFILE_RUNS:-8}"

failed=0
for binding in lazy now; do
    for scenario in cycles big; do
        bad=0
        i=0
        while [ "$i" -lt "$RUNS" ]; do
            if [ "$binding" = now ]; then
                LD_BIND_NOW=1 "$prog" "$scenario" || bad=$((bad + 1))
            else
                env -u LD_BIND_NOW "$prog" "$scenario" || bad=$((bad + 1))
            fi
            i=$((i + 1))
        done
        printf '%-6s %-7s %d/%d right\n' "$binding" "$scenario" $((RUNS - bad)) "$RUNS"
        [ "$bad" -eq 0 ] || failed=1
    done
done
exit "$failed"
