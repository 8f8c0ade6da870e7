#!/bin/sh
# Every demo that prints a figure the design shows (process_data,
# circular_refs, the gcprof-demo sections) checked against the program's
# own record of what it dropped and kept (--verify: the collector's mark
# bits on each object it watched, demos/verify.h), in fresh processes so
# the first profile of a process is checked every time, under lazy and
# eager binding. And smoke runs of demos/requests and demos/index.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
RUNS="${DEMO_RUNS:-5}"
make_tmp

# demos/requests: a short run's line of figures parses, status 0 (no
# timing assertions; the comparison is bench's). Before retention_test: it
# keeps nothing dead, so the sanitizer runs can run it too.
"$top_builddir/demos/requests" run adaptive --requests 50 >"$tmp/req" 2>"$tmp/req.err" ||
    die "requests run adaptive exited $?: $(cat "$tmp/req.err")"
grep -Eq '^collections=[0-9]+ collected_after=[0-9]+ points=[0-9]+ profiler_gc_s=[0-9.]+ gc_s=[0-9.]+ memory_saved=[0-9.]+ divisor=[0-9]+ requests=50 failed=0 ' "$tmp/req" ||
    die "requests: unexpected line: $(cat "$tmp/req")"
echo "requests       run adaptive --requests 50: ok"

# demos/index: the same, for the growing index's line.
"$top_builddir/demos/index" run adaptive --ops 60 >"$tmp/idx" 2>"$tmp/idx.err" ||
    die "index run adaptive exited $?: $(cat "$tmp/idx.err")"
grep -Eq '^collections=[0-9]+ collected_after=[0-9]+ points=[0-9]+ profiler_gc_s=[0-9.]+ gc_s=[0-9.]+ memory_saved=[0-9.]+ divisor=[0-9]+ ops=60 failed=0 mib=[0-9.]+ live_mib=[0-9.]+ checksum=[0-9]+$' "$tmp/idx" ||
    die "index: unexpected line: $(cat "$tmp/idx")"
echo "index          run adaptive --ops 60: ok"

retention_test

failed=0
for demo in process_data circular_refs gcprof-demo; do
    for binding in lazy now; do
        bad=0
        i=0
        while [ "$i" -lt "$RUNS" ]; do
            if [ "$binding" = now ]; then
                LD_BIND_NOW=1 "$top_builddir/demos/$demo" --verify >"$tmp/out" 2>"$tmp/err"
            else
                env -u LD_BIND_NOW "$top_builddir/demos/$demo" --verify >"$tmp/out" 2>"$tmp/err"
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
