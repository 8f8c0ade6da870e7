#!/bin/sh
# gcprof run: a bdwgc program's collections and heap reach the file (.dat
# and .jsonl), exit statuses pass through, a program without bdwgc gets RSS
# only, bad input fails cleanly; and, when Guile is installed, its
# collection count matches its own (gc-stats).
# Exit 0 pass, 1 fail, 77 skip. Run alone: top_builddir=. sh tests/check_gcprof_run.sh
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
use_preload
unset GCPROF_TRACE GCPROF_TRACE_FILE

have_cc_and_bdwgc || skip "no cc or no bdw-gc pkg-config to build the test program"
need_built "$gcprof" "$GCPROF_PRELOAD"

make_tmp

# Garbage in a loop, exactly 3 GC_gcollect() calls; prints gc_no at its
# start and at its end. Argument: exit status, or -N to die of signal N.
cat >"$tmp/gcprog.c" <<'EOF'
#include <gc/gc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
void *volatile sink;
int main(int argc, char **argv)
{
    int code = argc > 1 ? atoi(argv[1]) : 0;
    GC_INIT();
    unsigned long start = (unsigned long)GC_get_gc_no();
    for (int i = 0; i < 300; i++) {
        for (int j = 0; j < 1000; j++)
            sink = GC_MALLOC(1000);
        if (i == 75 || i == 150 || i == 225)
            GC_gcollect();
        usleep(200);
    }
    printf("gc_no %lu %lu\n", start, (unsigned long)GC_get_gc_no());
    fflush(stdout);
    if (code < 0)
        kill(getpid(), -code);
    return code;
}
EOF
# shellcheck disable=SC2046 # pkg-config's flags are words
if ! cc -O2 -o "$tmp/gcprog" "$tmp/gcprog.c" $(pkg-config --cflags --libs bdw-gc); then
    echo "FAIL: cannot build the test program"
    exit 1
fi

# check_gc_counts OUT FORMAT: the program's "gc_no START END" in $tmp/stdout.
# The preload sees every collection from process start (GC_INIT's too),
# so the file has END collections, END - START of them after START.
check_gc_counts() {
    out=$1
    read -r tag start end <"$tmp/stdout"
    [ "${tag:-}" = gc_no ] || { fail "program printed '$(cat "$tmp/stdout")'"; return; }
    if [ "$fmt" = dat ]; then
        gcs=$(count '^GCPROF_GC ' "$out")
        after=$(awk -v s="$start" '$1 == "GCPROF_GC" && $2 > s' "$out" | wc -l)
        forced=$(awk '$1 == "GCPROF_GC" && $10 == 1' "$out" | wc -l)
    else
        gcs=$(count '^{"type":"gc"' "$out")
        after=$(sed -n 's/^{"type":"gc","n":\([0-9]*\),.*/\1/p' "$out" | awk -v s="$start" '$1 > s' | wc -l)
        forced=$(count '^{"type":"gc".*"forced":true' "$out")
    fi
    [ "$gcs" -eq "$end" ] || fail "$fmt: $gcs collection records, program's gc_no is $end"
    [ "$after" -eq $((end - start)) ] ||
        fail "$fmt: $after records after gc $start, program counted $((end - start))"
    [ "$forced" -eq 3 ] || fail "$fmt: $forced forced collections, want 3"
}

# ---- a bdwgc program, both formats ----------------------------------------
for fmt in dat jsonl; do
    out="$tmp/gc.$fmt"
    "$gcprof" run -o "$out" --format "$fmt" -- "$tmp/gcprog" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    [ "$rc" -eq 0 ] || fail "$fmt: exit $rc: $(cat "$tmp/stderr")"
    [ -f "$out" ] || { fail "$fmt: no output file"; continue; }
    if [ "$fmt" = dat ]; then
        [ "$(count '^MEM ' "$out")" -gt 0 ] || fail "dat: no MEM lines"
        [ "$(count '^GCPROF_HEAP ' "$out")" -gt 0 ] || fail "dat: no GCPROF_HEAP lines"
        tail -n 1 "$out" | grep -q '^GCPROF_END ' || fail "dat: does not end with GCPROF_END"
    else
        [ "$(count '^{"type":"sample","t":[0-9.]*,"rss"' "$out")" -gt 0 ] || fail "jsonl: no rss samples"
        [ "$(count '"heap_size"' "$out")" -gt 0 ] || fail "jsonl: no heap samples"
        tail -n 1 "$out" | grep -q '^{"type":"end"' || fail "jsonl: does not end with an end record"
    fi
    check_gc_counts "$out"
    grep -q "^gcprof run: wrote $out ([0-9]* samples\?, [0-9]* collections)$" "$tmp/stderr" ||
        fail "$fmt: closing note: $(cat "$tmp/stderr")"
done

# ---- --trace: one Go-style line per collection -----------------------------
# Its share of time in collections is of the wall time since the recording
# began: never above 100%, however many collections one drain writes.
GCPROF_TRACE_FILE="$tmp/trace" "$gcprof" run --trace -o "$tmp/trace.dat" -- "$tmp/gcprog" \
    >"$tmp/stdout" 2>"$tmp/stderr" || fail "--trace: exit $?: $(cat "$tmp/stderr")"
if [ -s "$tmp/trace" ]; then
    lines=$(wc -l <"$tmp/trace")
    [ "$lines" -eq "$(count '^GCPROF_GC ' "$tmp/trace.dat")" ] ||
        fail "--trace: $lines lines, $(count '^GCPROF_GC ' "$tmp/trace.dat") records"
    bad=$(awk '$1 != "gc" || $4 !~ /^[0-9]+%:$/ || $4 + 0 > 100' "$tmp/trace")
    [ -z "$bad" ] || fail "--trace: share outside 0..100% or bad line: $bad"
    [ "$(count '(forced)$' "$tmp/trace")" -eq 3 ] ||
        fail "--trace: $(count '(forced)$' "$tmp/trace") lines marked (forced), want 3"
else
    fail "--trace: no trace lines: $(cat "$tmp/stderr")"
fi

# ---- exit statuses pass through, like a shell's -----------------------------
"$gcprof" run -o "$tmp/x3.dat" -- "$tmp/gcprog" 3 >/dev/null 2>&1
rc=$?
[ "$rc" -eq 3 ] || fail "program exits 3: gcprof exits $rc"
"$gcprof" run -o "$tmp/k.dat" -- "$tmp/gcprog" -9 >/dev/null 2>&1
rc=$?
[ "$rc" -eq 137 ] || fail "program killed by SIGKILL: gcprof exits $rc, want 137"
[ -f "$tmp/k.dat" ] || fail "program killed: no output file"

# ---- no bdwgc: RSS only -----------------------------------------------------
"$gcprof" run -o "$tmp/sleep.dat" -- /bin/sleep 0.3 2>"$tmp/stderr"
rc=$?
[ "$rc" -eq 0 ] || fail "sleep: exit $rc"
grep -q 'RSS only: no dynamically linked libgc in /bin/sleep' "$tmp/stderr" ||
    fail "sleep: no RSS-only note: $(cat "$tmp/stderr")"
[ "$(count '^MEM ' "$tmp/sleep.dat")" -gt 0 ] || fail "sleep: no MEM lines"
[ "$(count '^GCPROF_GC' "$tmp/sleep.dat")" -eq 0 ] || fail "sleep: has GCPROF_GC lines"

# ---- libgc linked in statically: said so, not "does not use bdwgc" ----------
cat >"$tmp/static_gc.c" <<'C'
#include <gc/gc.h>
int main(void)
{
    GC_INIT();
    for (int i = 0; i < 100000; i++)
        (void)GC_MALLOC(64);
    GC_gcollect();
    return 0;
}
C
if ${CC:-cc} -o "$tmp/static_gc" "$tmp/static_gc.c" -Wl,-Bstatic -lgc -Wl,-Bdynamic -lpthread \
    2>"$tmp/cc.err"; then
    "$gcprof" run -o "$tmp/static.dat" -- "$tmp/static_gc" 2>"$tmp/stderr" ||
        fail "static libgc: gcprof run failed: $(cat "$tmp/stderr")"
    grep -q 'RSS only: no dynamically linked libgc in .*static_gc; a program with libgc linked in statically' \
        "$tmp/stderr" || fail "static libgc: no note: $(cat "$tmp/stderr")"
else
    fail "static libgc: cannot link against libgc.a: $(cat "$tmp/cc.err")"
fi

# ---- an output path with spaces works ---------------------------------------
"$gcprof" run -o "$tmp/with space.dat" -- /bin/sleep 0.05 2>/dev/null ||
    fail "output path with spaces: exit $?"
[ -f "$tmp/with space.dat" ] || fail "output path with spaces: no file"

# ---- bad input: one line naming the problem, non-zero, nothing left behind ---
# bad WANT_RC WORD ARGS...: WANT_RC "any" for any non-zero status.
bad() {
    want=$1 word=$2
    shift 2
    rm -rf "$tmp/bad"
    mkdir "$tmp/bad"
    (cd "$tmp/bad" && "$gcprof" run "$@" >/dev/null 2>"$tmp/stderr")
    rc=$?
    lines=$(wc -l <"$tmp/stderr")
    if [ "$rc" -eq 0 ] || { [ "$want" != any ] && [ "$rc" -ne "$want" ]; }; then
        fail "run $*: exit $rc (want ${want})"
    fi
    [ "$lines" -eq 1 ] || fail "run $*: $lines lines on stderr: $(cat "$tmp/stderr")"
    grep -qF -- "$word" "$tmp/stderr" || fail "run $*: message does not name '$word': $(cat "$tmp/stderr")"
    [ -z "$(ls -A "$tmp/bad")" ] || fail "run $*: left $(ls -A "$tmp/bad")"
}
bad any "'-x'" -x -- /bin/true
bad any "-i: '0'" -i 0 -- /bin/true
bad any "-i: '-1'" -i -1 -- /bin/true
bad any "-i: 'abc'" -i abc -- /bin/true
bad any "-i: '1e9'" -i 1e9 -- /bin/true
bad any "no program" -o out.dat --
bad any "no program" -o out.dat
bad 127 "cannot run './nonexistent': No such file or directory" -o out.dat -- ./nonexistent
bad any "$tmp/bad/nodir/x.dat" -o "$tmp/bad/nodir/x.dat" -- /bin/true
mkfifo "$tmp/fifo" && bad any "not a regular file" -o "$tmp/fifo" -- /bin/true
[ -p "$tmp/fifo" ] || fail "-o FIFO: the FIFO was replaced"

# ---- Guile: as many records as (gc-stats) counts -----------------------------
if command -v guile >/dev/null 2>&1; then
    script='(define start (assq-ref (gc-stats) (quote gc-times)))
(define (churn n) (let loop ((i 0) (acc (quote ())))
  (if (< i n) (loop (+ i 1) (if (= 0 (modulo i 1000)) (quote ()) (cons (make-vector 8 i) acc))))))
(let loop ((k 0)) (when (< k 50) (churn 20000) (loop (+ k 1))))
(gc)
(format #t "gc_no ~a ~a~%" start (assq-ref (gc-stats) (quote gc-times)))'
    "$gcprof" run -o "$tmp/g.dat" -- guile -c "$script" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    [ "$rc" -eq 0 ] || fail "guile: exit $rc: $(cat "$tmp/stderr")"
    read -r tag start end <"$tmp/stdout"
    gcs=$(count '^GCPROF_GC ' "$tmp/g.dat")
    if [ "${tag:-}" != gc_no ]; then
        fail "guile printed '$(cat "$tmp/stdout")'"
    elif [ "$gcs" -ne "$end" ]; then
        fail "guile: $gcs GCPROF_GC lines, (gc-stats) gc-times is $end (it was $start at the start)"
    else
        echo "guile: $gcs collections, as (gc-stats) says"
    fi
    [ "$(awk '$1 == "GCPROF_GC" && $10 == 1' "$tmp/g.dat" | wc -l)" -ge 1 ] ||
        fail "guile: (gc) not marked forced"
    # memory_profiler's own reader takes our file, and agrees on the peak.
    mprof=$(command -v mprof || command -v python3-mprof || true)
    if [ -n "$mprof" ]; then
        theirs=$("$mprof" peak "$tmp/g.dat" 2>&1)
        ours=$("$gcprof" peak "$tmp/g.dat")
        [ "$theirs" = "$ours" ] || fail "mprof peak says '$theirs', gcprof peak '$ours'"
        echo "guile: mprof peak and gcprof peak agree: $ours"
    elif [ -n "${CI:-}" ]; then
        fail "mprof (python3-memory-profiler) is missing in CI"
    fi
elif [ -n "${CI:-}" ]; then
    fail "guile is missing in CI: scripts/install-deps.sh installs guile-3.0"
else
    echo "guile not installed: skipping the Guile part (apt-get install guile-3.0)"
fi

finish PASS
