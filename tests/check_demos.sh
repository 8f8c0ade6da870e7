#!/bin/sh
# Every demo that prints a figure the design shows (process_data,
# circular_refs, the gcprof-demo sections) checked against the program's
# own record of what it dropped and kept (--verify: the collector's mark
# bits on each object it watched, demos/verify.h), in fresh processes so
# the first profile of a process is checked every time, under lazy and
# eager binding.
set -u
# scripts/check-sanitizers.sh skips this (77: automake's SKIP): under ASan
# the runtime's own memory and its instrumentation of the calling program
# add scanned words the library cannot clear, and a dead 1000 MiB block or a
# demo's object was kept in about 1 run in 10 there. The portability matrix
# and plain make check run it.
if [ "${GCPROF_SKIP_RETENTION_TESTS:-}" = 1 ]; then
    echo "skipped: GCPROF_SKIP_RETENTION_TESTS=1"
    exit 77
fi
builddir="${top_builddir:-.}"
RUNS="${DEMO_RUNS:-5}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failed=0
for demo in process_data circular_refs gcprof-demo; do
    for binding in lazy now; do
        bad=0
        i=0
        while [ "$i" -lt "$RUNS" ]; do
            if [ "$binding" = now ]; then
                LD_BIND_NOW=1 "$builddir/demos/$demo" --verify >"$tmp/out" 2>"$tmp/err"
            else
                env -u LD_BIND_NOW "$builddir/demos/$demo" --verify >"$tmp/out" 2>"$tmp/err"
            fi
            status=$?
            checks=$(grep -c '^verify: .*: ok$' "$tmp/out")
            if [ "$status" -ne 0 ] || [ "$checks" -lt 2 ] || grep -q WRONG "$tmp/out"; then
                bad=$((bad + 1))
                echo "== $demo ($binding binding) exited $status with $checks checks:"
                cat "$tmp/out" "$tmp/err"
            fi
            i=$((i + 1))
        done
        printf '%-14s %-5s %d/%d right\n' "$demo" "$binding" $((RUNS - bad)) "$RUNS"
        [ "$bad" -eq 0 ] || failed=1
    done
done
exit "$failed"
