#!/bin/sh
# A program built with libgcprof records a timeline when the environment
# asks (GCPROF_MONITOR_OUT, GCPROF_TRACE), with no code of its own.
set -eu
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
demo="$top_builddir/demos/process_data"
make_tmp

GCPROF_MONITOR_OUT="$tmp/run.dat" GCPROF_TRACE=1 "$demo" >"$tmp/out" 2>"$tmp/trace"

grep -q "^ProfileReport(function_name='process_data'" "$tmp/out" || die "no report"
grep -q '^CMDLINE ' "$tmp/run.dat" || die "no CMDLINE line"
grep -q '^MEM ' "$tmp/run.dat" || die "no MEM line"
grep -q '^GCPROF_ENTER .* 0 .* process_data$' "$tmp/run.dat" || die "no enter marker"
grep -q '^FUNC process_data ' "$tmp/run.dat" || die "no FUNC line"
tail -n 1 "$tmp/run.dat" | grep -q '^GCPROF_END ' || die "no end record at exit"
# The profiler's baseline and forced collections: each is a GC line and a
# trace line, marked forced in both.
gcs=$(grep -c '^GCPROF_GC ' "$tmp/run.dat")
traces=$(grep -c '^gc [0-9]* @' "$tmp/trace")
[ "$gcs" -ge 2 ] || die "expected collections, got $gcs"
[ "$gcs" -eq "$traces" ] || die "$gcs GC lines but $traces trace lines"
[ "$(grep -c '(forced)$' "$tmp/trace")" -eq "$(awk '$1 == "GCPROF_GC" && $10 == 1' "$tmp/run.dat" | wc -l)" ] ||
    die "forced marks differ between trace and timeline"

# A bad setting is reported, and the program still runs.
GCPROF_MONITOR_OUT="$tmp/x.dat" GCPROF_MONITOR_INTERVAL=soon "$demo" >"$tmp/out2" 2>"$tmp/err2"
grep -q 'GCPROF_MONITOR_INTERVAL' "$tmp/err2" || die "bad interval not named"
grep -q "^ProfileReport" "$tmp/out2" || die "program did not run"
[ ! -e "$tmp/x.dat" ] || die "a timeline was written despite the bad setting"
echo "PASS: $gcs collections recorded and traced"
