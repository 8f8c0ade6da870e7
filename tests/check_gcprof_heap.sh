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
check "the program's hook saw every collection" \
    [ "$ends" -gt 0 ] && [ "$ends" = "$(awk '$1 == "collections" { print $2 }' "$tmp/exact.truth")" ]
recorded=$(grep -c '^GCPROF_GC' "$tmp/exact.dat")
check "the recording has them too ($recorded >= $ends)" [ "$recorded" -ge "$ends" ]

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
