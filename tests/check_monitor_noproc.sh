#!/bin/sh
# Without /proc (issue 12, item 10), a monitor started by the environment
# writes no RSS: its samples have the heap and no MEM line (never a made-up
# "MEM 0.000000"), closures are not marked (a marker's RSS would be a
# made-up 0) and one label says why, the file ends cleanly and gcprof summary reads it, and
# the warning names the real errno. /proc is unmounted in a mount namespace
# of the test's own (unshare -m, as root); exits 77 where that cannot be.
# Exit 0 pass, 1 fail. Run alone: top_builddir=. sh tests/check_monitor_noproc.sh
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
host="$top_builddir/tests/monitor_host"
unset GCPROF_MONITOR_PID GCPROF_MONITOR_FORMAT GCPROF_TRACE GCPROF_TRACE_FILE GCPROF GCPROF_SITES
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null 2>&1; then
    skip "needs root and unshare -m (a mount namespace without /proc)"
fi
# A sanitizer build (scripts/check-sanitizers.sh): ASan's runtime reads
# /proc itself, and fails without it before the library is reached.
asan_built "$top_builddir/.libs/libgcprof.so" && skip "an ASan build: its runtime needs /proc"
make_tmp

# shellcheck disable=SC2016 # expanded by the inner shell
unshare -m sh -c 'umount -l /proc 2>/dev/null && [ ! -e /proc/self/statm ] || exit 77
    GCPROF_MONITOR_OUT="$1" GCPROF_MONITOR_INTERVAL=0.005 exec "$2"' sh "$tmp/run.dat" "$host" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -ne 77 ] || skip "/proc cannot be unmounted in a mount namespace here"
check "the program runs without /proc (status $rc)" [ "$rc" -eq 0 ]
check "a monitor ran" grep -q ' monitor=1 ' "$tmp/out"
check "samples taken (heap lines)" [ "$(grep -c '^GCPROF_HEAP ' "$tmp/run.dat")" -ge 5 ]
check "no RSS written: no MEM line" [ "$(grep -c '^MEM ' "$tmp/run.dat")" -eq 0 ]
check "the end record last" sh -c "tail -n 1 '$tmp/run.dat' | grep -q '^GCPROF_END '"
check "gcprof summary reads it" "$gcprof" summary "$tmp/run.dat"
check "the warning names the errno" grep -q 'cannot open /proc/self/statm: No such file or directory' "$tmp/err"
check "a profile that needs RSS says it cannot have it" grep -q ' profile=-5 ' "$tmp/out"
check "a heap-only profile runs" grep -q ' heap_only=0 ' "$tmp/out"
check "no closure marker (its RSS would be 0)" \
    [ "$(grep -c -e '^FUNC ' -e '^GCPROF_ENTER ' "$tmp/run.dat")" -eq 0 ]
check "one label says why" [ "$(grep -c '^GCPROF_LABEL .*closures not marked: no RSS (/proc/self/statm: No such file or directory)$' "$tmp/run.dat")" -eq 1 ]

finish "all passed"
