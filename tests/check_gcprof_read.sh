#!/bin/sh
# gcprof peak / summary / plot on the hand-checked timelines of tests/data:
# exact numbers, both formats alike, mprof's own output for `peak`, broken
# files refused with FILE:LINE and status 1, and a plot that is whole XML and
# never left half-written.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$gcprof" ] || skip "$gcprof is not built"
make_tmp
cd "$top_srcdir/tests/data" || exit 1 # relative names: messages are predictable
tab=$(printf '\t')

# Helpers for check (shellcheck cannot see those calls).
# shellcheck disable=SC2317
none() { # none FILE...: none of them exists
    for file in "$@"; do [ ! -e "$file" ] || return 1; done
}
# shellcheck disable=SC2317
no_tmp_for() { # no_tmp_for OUT: no temporary OUT.tmp.XXXXXX left beside OUT
    for file in "$1".tmp*; do [ ! -e "$file" ] || return 1; done
}

# expect_out NAME EXPECTED CMD...: status 0 and exactly EXPECTED on stdout.
expect_out() {
    name=$1 want=$2
    shift 2
    got=$("$@" 2>"$tmp/err") && [ "$got" = "$want" ] && pass "$name" && return
    fail "$name: got [$got], want [$want]; stderr: $(cat "$tmp/err")"
}

# expect_lines NAME CMD...: status 0, and each line of $want somewhere on stdout.
expect_lines() {
    name=$1
    shift
    if ! "$@" >"$tmp/out" 2>"$tmp/err"; then
        fail "$name: status $?: $(cat "$tmp/err")"
        return
    fi
    echo "$want" | while IFS= read -r line; do
        grep -qxF -- "$line" "$tmp/out" || { echo "  missing line: [$line]" && exit 1; }
    done && pass "$name" && return
    fail "$name"
    sed 's/^/  | /' "$tmp/out"
}

# expect_err NAME STATUS PREFIX CMD...: that status, and one line on stderr
# starting with PREFIX; nothing on stdout.
expect_err() {
    name=$1 want_status=$2 prefix=$3
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    msg=$(cat "$tmp/err")
    if [ "$status" -ne "$want_status" ]; then
        fail "$name: status $status, want $want_status ($msg)"
    elif [ "$(wc -l <"$tmp/err")" -ne 1 ] || [ -s "$tmp/out" ]; then
        fail "$name: want one line on stderr and none on stdout: [$msg]"
    else
        case $msg in
        "$prefix"*) pass "$name: $msg" ;;
        *) fail "$name: [$msg] does not start with [$prefix]" ;;
        esac
    fi
}

well_formed() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' "$1"
    else
        tail -n 1 "$1" | grep -qx '</svg>'
    fi
}

# ---- peak: mprof's line, from either format ---------------------------
expect_out "peak .dat" "small.dat${tab}87.654 MiB" "$gcprof" peak small.dat
expect_out "peak .jsonl" "small.jsonl${tab}87.654 MiB" "$gcprof" peak small.jsonl
expect_out "peak, two files" "small.dat${tab}87.654 MiB
one_sample.dat${tab}3.000 MiB" "$gcprof" peak small.dat one_sample.dat
expect_out "peak of a cut-off file counts its last MEM, as mprof does" \
    "truncated.dat${tab}95.500 MiB" "$gcprof" peak truncated.dat
expect_out "peak of an mprof file with children" "mprof_native.dat${tab}12.004 MiB
  Child 1234${tab}${tab}${tab}3.250 MiB
  Child 1240${tab}${tab}${tab}1.000 MiB" "$gcprof" peak mprof_native.dat
expect_out "peak --func" "small.dat${tab}87.654 MiB" "$gcprof" peak --func parse small.dat
expect_out "peak --func of a missing closure" "small.dat${tab}NaN MiB" \
    "$gcprof" peak --func=nothing small.dat

mprof=$(command -v mprof || command -v python3-mprof || true)
if [ -z "$mprof" ]; then
    echo "SKIP: mprof (python3-memory-profiler) is not installed: not compared with mprof peak"
else
    for f in small.dat truncated.dat mprof_native.dat one_sample.dat; do
        want=$("$mprof" peak "$f" 2>/dev/null)
        expect_out "peak = mprof peak on $f" "$want" "$gcprof" peak "$f"
    done
    want=$("$mprof" peak --func parse small.dat 2>/dev/null)
    expect_out "peak --func = mprof peak --func" "$want" "$gcprof" peak --func parse small.dat
fi

# ---- summary: the same numbers from both formats ----------------------
# GC count: the collector's own count, the last heap sample's 3, though
# the file holds the records of 2 collections (the first started before).
want='duration        0.400 s
samples         5 RSS, 4 GC heap (every 0.1 s asked, 0.1 s measured: the median gap)
peak RSS        87.654 MiB at 0.200 s
peak GC heap    7.629 MiB in use (heap size - free, before sweeping) at 0.250 s
allocated       12.000 MiB in 0.300 s (40.000 MiB/s, the collector'"'"'s count)
collections     2 (1 forced)
GC count        3 (the collector'"'"'s own, GC_get_gc_no: incremental ones too)
GC pauses       total 5.500 ms, max 4.000 ms, p99 4.000 ms
time in GC      1.50% of wall time
labels          2
closures        2 names, 2 calls; by total time:'
for f in small.dat small.jsonl; do
    expect_lines "summary $f" "$gcprof" summary "$f"
    check "summary $f: no warning" not grep -q '^warning' "$tmp/out"
done
"$gcprof" summary small.dat >"$tmp/out" 2>&1
check "summary: closure row" grep -Eq '^ +parse +1 +0\.080 +\+67\.404 MiB$' "$tmp/out"

want='warning: truncated.dat ends without an end record: the run did not finish cleanly'
expect_lines "summary of a cut-off file warns" "$gcprof" summary truncated.dat
check "summary: unfinished closure" grep -q 'process data .*(1 unfinished)' "$tmp/out"

# ---- version 2: processes, how it ended, live bytes ----------------------
# v2.dat: the program (pid 100) execs once (a second GCPROF_IMAGE of pid
# 100), starts one child it does not follow, loses its channel at 0.3 s, is
# killed by signal 9; its samples come every 0.02 s although 0.01 s was
# asked; live bytes are 1 MiB after the first collection and 3 MiB after the
# last, unknown ('-') in between. Its images allocate 2 MiB, then 5 MiB (the
# collector's count starts again after the exec): 7 MiB from 0.01 to 0.26 s.
want='samples         4 RSS, 4 GC heap (every 0.01 s asked, 0.02 s measured: the median gap)
kernel peak RSS 64.000 MiB (ru_maxrss: the program and the children it waited for)
live after GC   3.000 MiB after the last collection, 3.000 MiB at most (at 0.250 s)
allocated       7.000 MiB in 0.250 s (28.000 MiB/s, the collector'"'"'s count)
collections     3 (0 forced)
GC count        3 (the collector'"'"'s own, GC_get_gc_no: incremental ones too)
ended           killed by signal 9 (SIGKILL)
execs           1: collection numbers start again after each (GCPROF_IMAGE)
children        1 started, 0 followed (not followed: their memory is not in here)
warning: the collector'"'"'s records of process 100 stop at 0.300 s: it closed or replaced their descriptor'
for f in v2.dat v2.jsonl; do
    expect_lines "summary $f" "$gcprof" summary "$f"
    "$gcprof" summary --json "$f" >"$tmp/json"
    check "summary --json $f: status, processes, live" grep -q \
        '"signal":9,"execs":1,"children":1,"followed":0,"channel_lost":true' "$tmp/json"
    # the count in each image's heap samples and records (2, then 1 after
    # the exec: numbers start again), added up
    check "summary --json $f: the collector's count" grep -q '"collections":3,"forced":0,"gc_count":3,' "$tmp/json"
    check "summary --json $f: kernel peak, live" grep -q \
        '"kernel_peak_rss_mib":64.000,"interval_measured_s":0.020000,.*"live_last_mib":3.000,"live_peak_mib":3.000' \
        "$tmp/json"
done
# v2_procs.dat: two followed children (pids 201, 202) of a shell (200): each
# one's figures apart; allocation and live bytes are of the process with
# the most records (202: 20 MiB allocated between its samples 0.05 s apart).
want='live after GC   2.000 MiB after the last collection, 2.000 MiB at most (at 0.040 s) in pid 202
allocated       20.000 MiB in 0.050 s (400.000 MiB/s, the collector'"'"'s count) in pid 202
time in GC      3.60% of wall time, summed over the processes
GC count        2 (the collector'"'"'s own, GC_get_gc_no: incremental ones too) in pid 202
by process      pid 201 a: 1 collection, peak GC heap 3.000 MiB in use
                pid 202 b: 2 collections, peak GC heap 8.000 MiB in use
children        2 started, 2 followed'
expect_lines "summary of two processes" "$gcprof" summary v2_procs.dat
"$gcprof" plot v2_procs.dat -o "$tmp/procs.svg" || fail "plot of two processes"
check "plot names the process whose heap it draws" \
    grep -q 'GC heap of pid 202 (b), 1 of 2 processes' "$tmp/procs.svg"
for bad in 'GCPROF_STATUS 1.0 100 exit 256 0 0' 'GCPROF_STATUS 1.0 100 died 1 0 0' \
    'GCPROF_GC 1 1.0 0 0 0 0 1 1 0 x 100' 'GCPROF_IMAGE 1.0 -1 1 /bin/x'; do
    printf 'GCPROF_META 2 100 1.0 0.01\nMEM 1.0 1.0\n%s\n' "$bad" >"$tmp/bad2.dat"
    check "rejects '$bad'" not "$gcprof" summary "$tmp/bad2.dat"
done

# ---- summary's peak RSS: every record that carries RSS ------------------
# A closure that allocates and frees between two samples peaks only in its
# own exit record (67.25 MiB; the samples reach 58.125): summary says so,
# while peak prints what mprof peak prints, the samples' maximum.
for f in peak_in_exit.dat peak_in_exit.jsonl; do
    want="peak RSS        67.250 MiB at 0.080 s (in a closure's record; samples: 58.125 MiB)"
    expect_lines "summary peak RSS from an exit record: $f" "$gcprof" summary "$f"
    "$gcprof" summary --json "$f" >"$tmp/json"
    check "summary --json peak from an exit record: $f" \
        grep -q '"peak_rss_mib":67.250,"peak_rss_at_s":0.0800,"peak_rss_sampled_mib":58.125,' \
        "$tmp/json"
    expect_out "peak of $f: the samples, as mprof" "$f${tab}58.125 MiB" "$gcprof" peak "$f"
done
want="peak RSS        80.000 MiB at 0.050 s (in a closure's record; samples: 20.000 MiB)"
expect_lines "summary peak RSS from an enter record" "$gcprof" summary peak_in_enter.jsonl
if [ -n "$mprof" ]; then
    want=$("$mprof" peak peak_in_exit.dat 2>/dev/null)
    expect_out "peak = mprof peak on peak_in_exit.dat" "$want" "$gcprof" peak peak_in_exit.dat
fi

# ---- the end-of-run warning: gcprof recordings only ---------------------
# mprof's own files never have an end record; only a cut-off last line
# shows that one was cut short. A gcprof recording always ends with one.
for f in mprof_run.dat mprof_native.dat; do
    "$gcprof" summary "$f" >"$tmp/out" 2>&1
    check "summary of mprof's own $f: no warning" not grep -q '^warning' "$tmp/out"
    "$gcprof" summary --json "$f" >"$tmp/json"
    check "summary --json of mprof's own $f: complete" grep -q '"complete":true' "$tmp/json"
    "$gcprof" peak "$f" >"$tmp/out" 2>&1
    check "peak of mprof's own $f: no warning" not grep -qi 'warning' "$tmp/out"
done
head -c 100 mprof_run.dat >"$tmp/mprof_cut.dat" # ends in the middle of a MEM line
want="warning: $tmp/mprof_cut.dat ends in a cut-off line: the run did not finish cleanly"
expect_lines "summary of a cut-off mprof file warns" "$gcprof" summary "$tmp/mprof_cut.dat"
grep -v '^GCPROF_END' small.dat >"$tmp/no_end.dat" # whole lines, no end record
want="warning: $tmp/no_end.dat ends without an end record: the run did not finish cleanly"
expect_lines "summary of a gcprof recording without its end warns" "$gcprof" summary "$tmp/no_end.dat"
if [ -n "$mprof" ] && command -v python3 >/dev/null 2>&1; then
    (cd "$tmp" && "$mprof" run -o live.dat python3 -c 'x = [0] * 10**6' >/dev/null 2>&1)
    if [ -s "$tmp/live.dat" ]; then
        "$gcprof" summary "$tmp/live.dat" >"$tmp/out" 2>&1
        check "summary of a file mprof run just wrote: no warning" \
            not grep -q '^warning' "$tmp/out"
    else
        echo "SKIP: mprof run wrote no file"
    fi
fi

want='peak GC heap    none (no GC heap data: not a bdwgc program?)
collections     none'
expect_lines "summary without GC data" "$gcprof" summary rss_only.jsonl

if "$gcprof" summary --json small.jsonl >"$tmp/json" 2>"$tmp/err" &&
    [ "$(wc -l <"$tmp/json")" -eq 1 ] && grep -q '"peak_rss_mib":87.654,' "$tmp/json" &&
    grep -q '"complete":true' "$tmp/json"; then
    pass "summary --json"
else
    fail "summary --json: $(cat "$tmp/json" "$tmp/err")"
fi
if command -v python3 >/dev/null 2>&1; then
    for f in small.dat truncated.dat rss_only.jsonl; do
        "$gcprof" summary --json "$f" >"$tmp/json"
        check "summary --json $f is JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' \
            "$tmp/json"
    done
fi
"$gcprof" summary --json truncated.dat >"$tmp/json"
check "summary --json: complete false" grep -q '"complete":false' "$tmp/json"

# ---- broken input: FILE:LINE, status 1 --------------------------------
expect_err "bad number" 1 "gcprof summary: bad_number.dat:7: " "$gcprof" summary bad_number.dat
expect_err "unterminated JSON string" 1 "gcprof peak: unterminated.jsonl:3: " \
    "$gcprof" peak unterminated.jsonl
expect_err "plot of a broken file" 1 "gcprof plot: bad_number.dat:7: " \
    "$gcprof" plot bad_number.dat -o "$tmp/never.svg"
check "no SVG from a broken file" none "$tmp/never.svg"
check "no temporary file from a broken file" no_tmp_for "$tmp/never.svg"

: >"$tmp/empty.dat"
printf 'CMDLINE ./prog\n' >"$tmp/cmdline.dat"
printf '\177ELF\002\001\001\000\000\000\000\000\n\003\000>\000\001\000\n' >"$tmp/garbage.dat"
printf 'CMDLINE x\nMEM 1.0 1700000000.0\nMEM nan 1700000000.1\n' >"$tmp/nan.dat"
printf 'CMDLINE x\nMEM 1.0 1700000000.0\nGCPROF_HEAP 1700000000.1 -5 0 0 0 0\n' >"$tmp/neg.dat"
printf '{"type":"sample","t":1e999,"rss":100}\n' >"$tmp/inf.jsonl"
printf '{"type":"sample","t":1.5,"rss":100,"free_bytes":7}\n' >"$tmp/partial.jsonl"
printf 'MEM 1.0 1700000000.0\nMEM 1.0\n' >"$tmp/fields.dat"
{
    printf 'MEM 1.0 1700000000.0\nGCPROF_LABEL 1700000000.0 '
    i=0
    while [ $i -lt 1500 ]; do
        printf 'a label far too long for any line of a timeline '
        i=$((i + 1))
    done
    printf '\n'
} >"$tmp/long.dat"
for c in "empty.dat:1: " "cmdline.dat:1: no samples" "garbage.dat:1: " "nan.dat:3: " \
    "neg.dat:3: " "inf.jsonl:1: " "partial.jsonl:1: " "fields.dat:2: " "long.dat:2: line longer"; do
    f=${c%%:*}
    expect_err "refused: $f" 1 "gcprof summary: $tmp/$c" "$gcprof" summary "$tmp/$f"
done

# ---- usage errors: status 2 -------------------------------------------
expect_err "summary: unknown option" 2 "gcprof summary: " "$gcprof" summary --bogus small.dat
expect_err "summary: no file" 2 "gcprof summary: " "$gcprof" summary
expect_err "peak: no file" 2 "gcprof peak: " "$gcprof" peak
expect_err "plot: no -o" 2 "gcprof plot: " "$gcprof" plot small.dat
expect_err "plot: bad width" 2 "gcprof plot: " "$gcprof" plot small.dat -o "$tmp/x.svg" --width 12x
expect_err "summary: missing file" 1 "gcprof summary: no-such-file.dat: " \
    "$gcprof" summary no-such-file.dat

# ---- plot -------------------------------------------------------------
for f in small.dat small.jsonl truncated.dat rss_only.jsonl one_sample.dat mprof_native.dat; do
    out="$tmp/$f.svg"
    if "$gcprof" plot "$f" -o "$out" 2>"$tmp/err" && [ "$(head -c 4 "$out")" = "<svg" ] &&
        well_formed "$out" && no_tmp_for "$out"; then
        pass "plot $f"
    else
        fail "plot $f: $(cat "$tmp/err")"
    fi
done
check "plot: escaped title" grep -q './demo --batches 2 &lt;in.csv&gt;' "$tmp/small.dat.svg"
check "plot: peak annotated" grep -q 'peak 87.7 MiB' "$tmp/small.dat.svg"
check "plot: labels" grep -q 'done &amp; dusted' "$tmp/small.jsonl.svg"
check "plot: forced collection" grep -q 'class="gc-forced"' "$tmp/small.dat.svg"
check "plot: cut-off run marked" grep -q 'did not finish' "$tmp/truncated.dat.svg"
check "plot: no heap line without heap data" not grep -q 'class="heap"' "$tmp/rss_only.jsonl.svg"
"$gcprof" plot small.dat -o "$tmp/custom.svg" --title 'My <title>' --width 640 --height 400
check "plot --width" grep -q 'width="640"' "$tmp/custom.svg"
check "plot --title" grep -q 'My &lt;title&gt;' "$tmp/custom.svg"

# Unwritable: a missing directory, then an output that is a directory (the
# rename fails after the whole file was written), then a full disk.
expect_err "plot to a missing directory" 1 "gcprof plot: cannot write $tmp/no/dir/x.svg: " \
    "$gcprof" plot small.dat -o "$tmp/no/dir/x.svg"
mkdir "$tmp/adir" && : >"$tmp/adir/keep"
expect_err "plot onto a directory" 1 "gcprof plot: cannot write $tmp/adir: " \
    "$gcprof" plot small.dat -o "$tmp/adir"
check "no temporary file left" no_tmp_for "$tmp/adir"
echo "old picture" >"$tmp/full.svg"
if (trap '' XFSZ && ulimit -f 2 && exec "$gcprof" plot small.dat -o "$tmp/full.svg") \
    2>"$tmp/err"; then
    fail "plot on a full disk succeeded"
elif grep -q '^gcprof plot: cannot write' "$tmp/err" && [ "$(cat "$tmp/full.svg")" = "old picture" ] &&
    no_tmp_for "$tmp/full.svg"; then
    pass "plot on a full disk: error, old file kept, no temporary file"
else
    fail "plot on a full disk: $(cat "$tmp/err")"
fi

exit $((failures > 0))
