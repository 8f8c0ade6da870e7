#!/bin/sh
# gcprof run --metrics and --metrics-file (issue 16, unmodified programs):
# what gcprof serves about a program that is idle at a known state equals
# what the program, the recording and the collector's own log say.
# Against independent counts: the program's GC_get_gc_no() and its own
# count of GC_gcollect calls, the records in gcprof's -o file, and
# GC_PRINT_STATS's "In-use heap" line. Polls are bounded; nothing depends
# on timing. Exit 0 pass, 1 fail, 77 skip.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
use_preload
unset GCPROF_TRACE GCPROF_TRACE_FILE GC_PRINT_STATS GC_MARKERS

have_cc_and_bdwgc || skip "no cc or no bdw-gc pkg-config to build the test program"
command -v python3 >/dev/null 2>&1 || skip "no python3 (the busy port's listener, and curl's stand-in)"
make_tmp

# prog GO: keeps 300 objects, then 6 times makes garbage and calls
# GC_gcollect; prints "kept SIZE" (GC_size of one), "forced 6" (its own
# calls) and "gc_no G"; then waits, idle, until the file GO exists (60 s
# at most).
cat >"$tmp/prog.c" <<'EOF'
#include <gc/gc.h>
#include <stdio.h>
#include <unistd.h>
void *volatile sink;
void *volatile kept;
int main(int argc, char **argv)
{
    void **list = NULL;
    int forced = 0;
    (void)argc;
    GC_INIT();
    for (int i = 0; i < 300; i++) {
        void **node = GC_MALLOC(200);
        node[0] = list;
        list = node;
    }
    kept = list;
    for (int i = 0; i < 6; i++) {
        for (int j = 0; j < 3000; j++)
            sink = GC_MALLOC(100);
        GC_gcollect();
        forced++;
    }
    printf("kept %zu\nforced %d\ngc_no %lu\n", GC_size(list), forced,
           (unsigned long)GC_get_gc_no());
    fflush(stdout);
    for (int i = 0; i < 6000 && access(argv[1], F_OK) != 0; i++)
        usleep(10000);
    return 0;
}
EOF
# shellcheck disable=SC2046 # pkg-config's flags are words
cc -O2 -o "$tmp/prog" "$tmp/prog.c" $(pkg-config --cflags --libs bdw-gc) ||
    die "cannot build the test program"
cd "$tmp" || exit 1

# fetch URL [ACCEPT]: the body on stdout; the status code in ./code.
fetch() {
    if command -v curl >/dev/null 2>&1; then
        curl -s -o body -w '%{http_code}' ${2:+-H "Accept: $2"} "$1" >code
    else
        python3 - "$1" "${2:-}" >code <<'EOF'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], headers={"Accept": sys.argv[2]} if sys.argv[2] else {})
try:
    r = urllib.request.urlopen(req, timeout=10); status, data = r.status, r.read()
except urllib.error.HTTPError as e:
    status, data = e.code, e.read()
except OSError:
    status, data = 0, b""
open("body", "wb").write(data)
print(status, end="")
EOF
    fi
    cat body
}
# value NAME FILE: the sample NAME's value in an exposition.
value() { awk -v n="$1" '$1 == n { print $2 }' "$2"; }
# poll N CMD...: CMD until it succeeds, every 10 ms, N times at most.
poll() {
    poll_n_=$1
    shift
    while ! "$@"; do
        poll_n_=$((poll_n_ - 1))
        [ "$poll_n_" -gt 0 ] || return 1
        sleep 0.01
    done
}
port_said() { sed -n 's|^gcprof run: metrics on http://127\.0\.0\.1:\([0-9]*\)/metrics$|\1|p' err; }
# shellcheck disable=SC2317 # called through poll
has_port() { [ -n "$(port_said)" ]; }
# shellcheck disable=SC2317 # called through poll
printed() { grep -q '^gc_no ' out; }

# ---- a run, watched while the program idles -----------------------------
GC_MARKERS=1 GC_PRINT_STATS=1 "$gcprof" run --metrics 127.0.0.1:0 --metrics-file m.prom \
    --metrics-interval 0.05 -o r.dat -- ./prog go >out 2>err &
gp=$!
poll 2000 has_port || { touch go; wait $gp; die "no 'metrics on' line: $(cat err)"; }
port=$(port_said)
url=http://127.0.0.1:$port
poll 2000 printed || { touch go; wait $gp; die "the program printed nothing: $(cat out)"; }
gc_no=$(sed -n 's/^gc_no //p' out)
forced=$(sed -n 's/^forced //p' out)
size=$(sed -n 's/^kept //p' out)
# Records arrive as the preload sends them: the final state is the one
# where every collection the program made has its record.
# shellcheck disable=SC2317 # called through poll
settled() {
    fetch "$url/metrics" >scrape
    [ "$(value bdwgc_collections_total scrape)" = "$gc_no" ] &&
        [ "$(value bdwgc_collection_duration_seconds_count scrape)" = "$gc_no" ]
}
poll 2000 settled || fail "never settled at $gc_no collections: $(grep -v '^#' scrape | head -5)"
[ "$(cat code)" = 200 ] || fail "/metrics: status $(cat code)"
echo "collections $(value bdwgc_collections_total scrape), the program's gc_no $gc_no"
[ "$(value bdwgc_forced_collections_total scrape)" = "$forced" ] ||
    fail "forced: $(value bdwgc_forced_collections_total scrape), the program called GC_gcollect $forced times"
[ "$(value bdwgc_pause_seconds_count scrape)" = "$gc_no" ] ||
    fail "pauses observed: $(value bdwgc_pause_seconds_count scrape), want $gc_no"
# live bytes: at least what the program keeps; the collector's own figure
# for the latest collection, "In-use heap: P% (A KiB pointers + B KiB
# other)", each part rounded down, counts marks per block, which bdwgc
# documents as approximate and which read one or two objects above the
# mark bits (doc/timeline-formats.md): within a KiB below, 2 above.
live=$(value bdwgc_live_bytes scrape)
kib=$(sed -n 's/^In-use heap: [0-9]*% (\([0-9]*\) KiB pointers + \([0-9]*\) KiB other)$/\1 \2/p' err |
    tail -n 1)
echo "live bytes $live; kept 300 x $size; the collector's log: ${kib:-nothing} (KiB)"
if [ -z "$live" ] || [ -z "$kib" ]; then
    fail "live: served '$live', the log says '$kib'"
else
    [ "$live" -ge $((300 * size)) ] || fail "live $live below the 300 x $size bytes kept"
    awk -v l="$live" -v k="$kib" 'BEGIN { split(k, p, " "); c = (p[1] + p[2]) * 1024
        exit !(l >= c - 1024 && l < c + 2048) }' ||
        fail "live $live bytes, the collector's log ($kib KiB) says otherwise"
fi
for name in bdwgc_heap_size_bytes bdwgc_allocated_bytes_total process_resident_memory_bytes; do
    [ -n "$(value $name scrape)" ] || fail "$name not served"
done
if command -v promtool >/dev/null 2>&1; then
    promtool check metrics <scrape >lint 2>&1 || fail "promtool on /metrics: $(cat lint)"
else
    echo "note: no promtool: the lint is not checked (CI installs prometheus)"
fi
fetch "$url/metrics" "application/openmetrics-text" >om
[ "$(tail -n 1 om)" = "# EOF" ] || fail "OpenMetrics: the text does not end with '# EOF'"
grep -q '^# TYPE bdwgc_collections counter$' om || fail "OpenMetrics: the counter's family"
fetch "$url/nope" >/dev/null
[ "$(cat code)" = 404 ] || fail "an unknown path: status $(cat code), want 404"
fetch "$url/debug/pprof/heap" >/dev/null
[ "$(cat code)" = 404 ] || fail "a heap profile without --heap-profile: status $(cat code)"
touch go
wait $gp
rc=$?
[ "$rc" -eq 0 ] || fail "gcprof run exit $rc: $(grep -v '^\(In-use\|--\)' err | tail -3)"
records=$(count '^GCPROF_GC ' r.dat)
echo "records in the recording $records; served duration count $(value bdwgc_collection_duration_seconds_count scrape)"
[ "$records" = "$(value bdwgc_collection_duration_seconds_count scrape)" ] ||
    fail "the recording has $records collections, /metrics counted $(value bdwgc_collection_duration_seconds_count scrape)"
# the textfile: there, whole, with the final count
[ -f m.prom ] || fail "no metrics file after gcprof ended"
[ "$(value bdwgc_collections_total m.prom)" = "$gc_no" ] ||
    fail "the metrics file says $(value bdwgc_collections_total m.prom) collections, want $gc_no"
if command -v promtool >/dev/null 2>&1; then
    promtool check metrics <m.prom >lint 2>&1 || fail "promtool on the file: $(cat lint)"
fi
no_tmp "the metrics file"
(fetch "$url/metrics" >/dev/null) 2>/dev/null
[ "$(cat code)" = 200 ] && fail "still served after gcprof ended"

# ---- the latest heap profile, with --heap-profile -----------------------
rm -f go out err # the polls below must not read the first run's
"$gcprof" run --metrics 0 --heap-profile --heap-every 0.05 -o h.dat -- ./prog go >out 2>err &
gp=$!
poll 2000 has_port || fail "--heap-profile: no 'metrics on' line: $(cat err)"
url=http://127.0.0.1:$(port_said)
# shellcheck disable=SC2317 # called through poll
profiled() { fetch "$url/debug/pprof/heap" >profile && [ "$(cat code)" = 200 ]; }
poll 2000 profiled || fail "/debug/pprof/heap: status $(cat code), never 200: $(cat profile)"
[ "$(od -An -tx1 -N2 profile | tr -d ' ')" = 1f8b ] || fail "/debug/pprof/heap: not gzip"
touch go
wait $gp || fail "--heap-profile run: $(cat err)"

# ---- refused before the program runs ------------------------------------
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(30)' >busy &
lp=$!
poll 2000 test -s busy || fail "the listener did not start"
busy=$(cat busy)
"$gcprof" run --metrics "127.0.0.1:$busy" -o b.dat -- touch ran 2>err
rc=$?
kill $lp 2>/dev/null
wait $lp 2>/dev/null
[ "$rc" -eq 125 ] || fail "a port in use: exit $rc, want 125"
grep -q "127.0.0.1:$busy.*in use" err || fail "a port in use: the message: $(cat err)"
[ ! -e ran ] || fail "a port in use: the program ran"
[ ! -e b.dat ] || fail "a port in use: a recording was left"
mkdir dir
"$gcprof" run --metrics-file dir -o d.dat -- touch ran 2>err
{ [ $? -eq 125 ] && [ ! -e ran ]; } || fail "an unwritable metrics file: the program ran: $(cat err)"
for bad in "--metrics 1.2.3.4:99999" "--metrics-interval 1" "--metrics-file m --metrics-interval 0"; do
    # shellcheck disable=SC2086 # the options are words
    "$gcprof" run $bad -- true 2>err
    { [ $? -eq 125 ] && grep -q '^gcprof run: .*(see gcprof run --help)$' err; } ||
        fail "'$bad': not a usage error: $(cat err)"
done

finish PASS
