#!/bin/sh
# gcprof run --heap-profile on a bdwgc program not built against libgcprof
# (tests/programs/heap_sites.c), checked against what the program counts
# itself: exact at rate 1, and within five standard errors (computed by the
# program from the sizes it allocated) at the default rate, over 20 runs.
set -u
. "$(dirname "$0")/lib.sh"

sites="$top_builddir/tests/programs/heap_sites"
convert="$top_builddir/tests/pprof_convert"
need_built "$gcprof" "$sites" "$convert"
use_preload
make_tmp

# profile RATE_OPTION N RATE NAME: runs heap_sites under gcprof run; its
# truth in NAME.truth, the profile's per-function sums in NAME.got.
profile() {
    "$gcprof" run "$1" -o "$tmp/$4.dat" --heap-output "$tmp/$4.pb.gz" -- \
        "$sites" "$2" "$3" >"$tmp/$4.truth" 2>"$tmp/$4.err" ||
        { cat "$tmp/$4.err"; return 1; }
    "$convert" --top "$tmp/$4.pb.gz" >"$tmp/$4.got"
}

# truth NAME SITE COLUMN: a site's number in the truth (1 alloc_objects ... 8 kept_expect).
truth() { awk -v s="$2" -v c="$3" '$1 == "site" && $2 == s { print $(c + 2) }' "$tmp/$1.truth"; }
# got NAME FUNCTION COLUMN: 2 alloc_objects, 3 alloc_space, 4 inuse_objects, 5 inuse_space.
got() { awk -v f="$2" -v c="$3" '$1 == f { v += $c } END { print v + 0 }' "$tmp/$1.got"; }

# ---- rate 1: every allocation, exact -----------------------------------------

profile --heap-profile=1 20000 1 exact || die "gcprof run --heap-profile=1 failed"
for s in site_sixty site_thirty site_ten site_batch site_freed site_resized; do
    check "$s: objects allocated, exact" [ "$(got exact $s 2)" = "$(truth exact $s 1)" ]
    check "$s: bytes allocated, exact" [ "$(got exact $s 3)" = "$(truth exact $s 2)" ]
    # in use: at least what the program kept (a stale word may keep more)
    check "$s: every kept object in use" [ "$(got exact $s 4)" -ge "$(truth exact $s 5)" ]
    check "$s: every kept byte in use" [ "$(got exact $s 5)" -ge "$(truth exact $s 6)" ]
done
check "site_freed: GC_FREE'd objects never in use" [ "$(got exact site_freed 4)" -eq 0 ]
check "site_thirty: atomic objects" grep -q 'site_thirty' "$tmp/exact.got"
# Nothing counted in use that the collector did not mark: the program's
# own walk of the mark bits (which also counts free-list entries, so the
# profile may be below it, never above).
normal=$(($(got exact site_sixty 5) + $(got exact site_ten 5) + $(got exact site_batch 5) +
    $(got exact site_freed 5) + $(got exact site_resized 5)))
marked=$(awk '$1 == "marked" && $2 == "normal" { print $3 }' "$tmp/exact.truth")
check "in use (normal) $normal <= marked $marked" [ "$normal" -le "$marked" ]
check "in use (atomic) <= marked" [ "$(got exact site_thirty 5)" -le \
    "$(awk '$1 == "marked" && $2 == "atomic" { print $3 }' "$tmp/exact.truth")" ]
# The program's own collection hook, set after ours, still sees every
# collection (the setter is chained), and so does the recording.
ends=$(awk '$1 == "hook_ends" { print $2 }' "$tmp/exact.truth")
check "the program's hook saw collections ($ends)" [ "${ends:-0}" -gt 0 ]
check "the program's hook saw every collection" \
    same "$ends" "$(awk '$1 == "collections" { print $2 }' "$tmp/exact.truth")"
recorded=$(grep -c '^GCPROF_GC' "$tmp/exact.dat")
check "the recording has them too ($recorded >= $ends)" [ "$recorded" -ge "$ends" ]

# Files and lines: the call in site_sixty, as the source has it, with gcc
# (the build's) and, when there, clang (no .debug_aranges: the symboliser
# looks through the units itself).
want=$(grep -n 'GC_MALLOC(600)' "$top_srcdir/tests/programs/heap_sites.c" | cut -d: -f1)
"$gcprof" top --by line -n 100 --alloc "$tmp/exact.pb.gz" >"$tmp/lines.gcc"
check "line: site_sixty at heap_sites.c:$want (gcc)" grep -q "site_sixty heap_sites.c:$want\$" "$tmp/lines.gcc"
# shellcheck disable=SC2046 # pkg-config's flags are words
if command -v clang >/dev/null 2>&1 &&
    clang -O2 -g -o "$tmp/sites_clang" "$top_srcdir/tests/programs/heap_sites.c" \
        $(pkg-config --cflags --libs bdw-gc) -lm 2>/dev/null; then
    "$gcprof" run --heap-profile=1 -o "$tmp/cl.dat" --heap-output "$tmp/cl.pb.gz" -- \
        "$tmp/sites_clang" 1000 1 >/dev/null 2>&1
    "$gcprof" top --by line -n 100 --alloc "$tmp/cl.pb.gz" >"$tmp/lines.clang"
    check "line: site_sixty at heap_sites.c:$want (clang)" \
        grep -q "site_sixty heap_sites.c:$want\$" "$tmp/lines.clang"
else
    echo "note: no clang: the clang-built case not checked"
fi

# ---- while the program runs: on SIGUSR1 to gcprof run, every N seconds -----

# wait_for TEST...: polls TEST every 0.1 s, for 30 s at most.
wait_for() {
    w_=0
    until "$@" || [ $w_ -ge 300 ]; do
        sleep 0.1
        w_=$((w_ + 1))
    done
    "$@"
}
has_ended() { grep -q '^collections' "$1" 2>/dev/null; }

# live NAME HOW OPTION...: heap_sites pausing 30 s under gcprof run with the
# OPTIONs; HOW "signal" sends SIGUSR1 once it has allocated. The profile
# must appear while it still runs, with its counts so far.
live() {
    name=$1 how=$2
    shift 2
    "$gcprof" run --heap-profile=1 "$@" -o "$tmp/$name.dat" --heap-output "$tmp/$name.pb.gz" -- \
        "$sites" 5000 1 30 >"$tmp/$name.truth" 2>"$tmp/$name.err" &
    runner=$!
    wait_for has_ended "$tmp/$name.truth"
    [ "$how" = signal ] && kill -USR1 $runner
    wait_for test -s "$tmp/$name.pb.gz"
    check "$name: the profile is written while the program runs" kill -0 $runner
    if [ -s "$tmp/$name.pb.gz" ] && "$convert" --top "$tmp/$name.pb.gz" >"$tmp/$name.got"; then
        check "$name: its counts are the program's so far" \
            [ "$(got "$name" site_sixty 2)" = "$(truth "$name" site_sixty 1)" ]
    else
        fail "$name: no readable profile within 30 s"
    fi
    kill $runner 2>/dev/null # gcprof passes it on: the program ends early
    wait $runner
}
live sigusr1 signal
live every none --heap-every 0.3

# ---- processes and images: one profile each --------------------------------

# An exec keeps the process: the image that runs heap_sites writes FILE.
"$gcprof" run --heap-profile=1 -o "$tmp/x.dat" --heap-output "$tmp/x.pb.gz" -- \
    sh -c 'exec "$0" 1000 1' "$sites" >"$tmp/x.truth" 2>"$tmp/x.err"
if "$convert" --top "$tmp/x.pb.gz" >"$tmp/x.got" 2>/dev/null; then
    check "exec: the program's image writes the profile" \
        [ "$(got x site_sixty 2)" = "$(truth x site_sixty 1)" ]
else
    fail "exec: no profile: $(cat "$tmp/x.err")"
fi
# -f: each process its own file, STEM.PID.pb.gz; the shell has no collector.
"$gcprof" run -f --heap-profile=1 -o "$tmp/f.dat" --heap-output "$tmp/f.pb.gz" -- \
    sh -c '"$0" 1000 1 >"$1/f1.truth"; "$0" 2000 1 >"$1/f2.truth"' "$sites" "$tmp" \
    2>"$tmp/f.err"
set -- "$tmp"/f.*.pb.gz
check "-f: one profile per process that allocates ($#)" [ $# -eq 2 ]
objects=""
for f in "$@"; do
    "$convert" --top "$f" >"$tmp/one.got" && objects="$objects $(got one site_sixty 2)"
done
check "-f: each with its own process's counts ($objects)" \
    [ "$(echo $objects | tr ' ' '\n' | sort -n | tr '\n' ' ')" = "1000 2000 " ]
check "-f: the shell, without a collector, writes none" [ ! -e "$tmp/f.pb.gz" ]
# Without -f, the processes the program starts are not sampled.
"$gcprof" run --heap-profile=1 -o "$tmp/n.dat" --heap-output "$tmp/n.pb.gz" -- \
    sh -c '"$0" 1000 1 >/dev/null' "$sites" 2>"$tmp/n.err"
check "no -f: no profile of a child" [ -z "$(ls "$tmp"/n.*pb.gz 2>/dev/null)" ]
check "no -f: said so" grep -q 'no heap profile' "$tmp/n.err"

# A profile that cannot be written: said before the program runs.
"$gcprof" run --heap-profile -o "$tmp/w.dat" --heap-output "$tmp/no/such/dir/w.pb.gz" -- \
    sh -c 'touch "$0"' "$tmp/ran" 2>"$tmp/w.err"
rc=$?
check "unwritable profile: exit 125 ($rc)" [ $rc -eq 125 ]
check "unwritable profile: the program did not run" [ ! -e "$tmp/ran" ]
check "unwritable profile: said, naming it" grep -q "cannot write the heap profile '$tmp/no/such/dir/w.pb.gz'" "$tmp/w.err"
check "unwritable profile: no recording left" [ ! -e "$tmp/w.dat" ]

# A statically linked libgc: nothing to interpose, and said so.
libgc_a=$(pkg-config --variable=libdir bdw-gc 2>/dev/null)/libgc.a
# shellcheck disable=SC2046 # pkg-config's flags are words
if [ -f "$libgc_a" ] && cc -O2 -o "$tmp/static_sites" "$top_srcdir/tests/programs/heap_sites.c" \
    $(pkg-config --cflags bdw-gc) "$libgc_a" -lm -lpthread 2>"$tmp/cc.err"; then
    "$gcprof" run --heap-profile=1 -o "$tmp/s.dat" --heap-output "$tmp/s.pb.gz" -- \
        "$tmp/static_sites" 1000 1 >/dev/null 2>"$tmp/s.err"
    check "static libgc: no profile" [ ! -e "$tmp/s.pb.gz" ]
    check "static libgc: said why" grep -q 'statically linked one cannot be seen' "$tmp/s.err"
else
    echo "note: no libgc.a to link statically ($(head -n 1 "$tmp/cc.err" 2>/dev/null)): not checked"
fi

# ---- the default rate (512 KiB): estimates within 5 standard errors ---------

# within NAME SITE GOT_COL TRUTH_COL VAR_COL EXPECT_COL: |estimate - truth|
# <= 5 sd, where enough samples are expected (>= 50) for the bound to mean
# something; prints "skip" or "ok DEVIATIONS" or "bad ...".
within() {
    awk -v g="$(got "$1" "$2" "$3")" -v t="$(truth "$1" "$2" "$4")" \
        -v var="$(truth "$1" "$2" "$5")" -v e="$(truth "$1" "$2" "$6")" 'BEGIN {
        if (e < 50) { print "skip"; exit }
        d = (g - t) / sqrt(var)
        printf "%s %.2f\n", (d <= 5 && d >= -5) ? "ok" : "bad", d
    }'
}

runs=20
bad=0
: >"$tmp/sums"
i=0
while [ $i -lt $runs ]; do
    profile --heap-profile 100000 524288 "r$i" || die "run $i failed"
    for spec in "site_sixty 3 2 3 4" "site_thirty 3 2 3 4" "site_sixty 5 6 7 8"; do
        # shellcheck disable=SC2086 # the spec's words are the arguments
        r=$(within "r$i" $spec)
        case $r in
        bad*) bad=$((bad + 1)); echo "run $i, $spec: $r" ;;
        esac
    done
    for s in site_sixty site_thirty site_ten; do
        echo "$s $(got "r$i" $s 3) $(truth "r$i" $s 2) $(truth "r$i" $s 3)" >>"$tmp/sums"
    done
    echo "inuse $(got "r$i" site_sixty 5) $(truth "r$i" site_sixty 6) $(truth "r$i" site_sixty 7)" \
        >>"$tmp/sums"
    i=$((i + 1))
done
check "every estimate within 5 standard errors in $runs runs" [ "$bad" -eq 0 ]

# Pooled over the runs: unbiased (the mean within 5 standard errors of the
# mean) and the shares of the bytes allocated, in points.
awk -v runs=$runs '
    { est[$1] += $2; tru[$1] += $3; var[$1] += $4 }
    END {
        ok = 1
        for (k in est) {
            d = (est[k] - tru[k]) / sqrt(var[k])
            printf "pooled %s: estimate %.0f, truth %.0f (%.2f sd)\n", k, est[k], tru[k], d
            if (d > 5 || d < -5) ok = 0
        }
        T = tru["site_sixty"] + tru["site_thirty"] + tru["site_ten"]
        E = est["site_sixty"] + est["site_thirty"] + est["site_ten"]
        split("site_sixty site_thirty site_ten", names, " ")
        for (i = 1; i <= 3; i++) {
            k = names[i]; S = tru[k] / T
            sv = ((1 - S)^2 * var[k] + S^2 * (var["site_sixty"] + var["site_thirty"] + var["site_ten"] - var[k])) / T^2
            printf "share %s: %.2f%% estimated, %.2f%% true (sd %.2f points)\n", k, 100 * est[k] / E, 100 * S, 100 * sqrt(sv)
            if ((est[k] / E - S) > 5 * sqrt(sv) || (S - est[k] / E) > 5 * sqrt(sv)) ok = 0
        }
        exit !ok
    }' "$tmp/sums" >"$tmp/pooled"
status=$?
cat "$tmp/pooled"
check "pooled estimates and shares within 5 standard errors" [ "$status" -eq 0 ]

finish "PASS: heap profiles agree with the program's own counts"
