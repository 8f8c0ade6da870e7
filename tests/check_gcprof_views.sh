#!/bin/sh
# gcprof top, flame and diff end to end: --help, bad arguments (status 2,
# one line), files that are missing or not heap profiles (status 1); then,
# when go is installed, on real heap profiles Go's runtime/pprof writes
# (tests/programs/goleak.go: a leak from a recursive function, two
# profiles): top's totals, flat and cum equal to what `go tool pprof -top`
# reads in the same file, the flame graph's widths proportional to those
# values, the diff's growth equal to `go tool pprof -diff_base`'s; and on
# a profile of gcprof's own writer (tests/pprof_convert), when built.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$gcprof" ] || skip "$gcprof is not built"
make_tmp

# near A B TOLERANCE: |A - B| <= TOLERANCE.
near() { awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN { exit !(a - b <= d && b - a <= d) }'; }

fails() { gcprof_fails "$@"; }

# ---- help ------------------------------------------------------------------
for cmd in top flame diff; do
    if "$gcprof" "$cmd" --help >"$tmp/help" 2>&1; then
        check "$cmd --help: usage first" grep -q "^Usage: gcprof $cmd " "$tmp/help"
        check "$cmd --help: exit statuses" grep -q "^Exit status: 0 success" "$tmp/help"
        check "$cmd --help: the value options" grep -q -- "--inuse " "$tmp/help"
        check "$cmd --help: lines of 80 columns at most" \
            awk 'length > 80 { exit 1 }' "$tmp/help"
    else
        fail "$cmd --help: status $?"
    fi
    check "gcprof --help lists $cmd" sh -c "'$gcprof' --help | grep -q '^  $cmd '"
done

# ---- bad arguments: 2 --------------------------------------------------------
echo junk >"$tmp/junk"
for cmd in top flame diff; do
    fails "$cmd" 2 "with --inuse and --alloc" --inuse --alloc "$tmp/junk" "$tmp/junk"
    fails "$cmd" 2 "with --objects and --space" --objects --space "$tmp/junk" "$tmp/junk"
    fails "$cmd" 2 "with --inuse twice" --inuse --inuse "$tmp/junk" "$tmp/junk"
    fails "$cmd" 2 "with an unknown option" --bogus "$tmp/junk"
    fails "$cmd" 2 "with no file"
done
fails top 2 "with two files" "$tmp/junk" "$tmp/junk"
fails top 2 "-n 0" -n 0 "$tmp/junk"
fails top 2 "-n x" -n x "$tmp/junk"
fails top 2 "-n twice" -n 3 --rows 4 "$tmp/junk"
fails top 2 "--by column" --by column "$tmp/junk"
fails top 2 "--cum twice" --cum --cum "$tmp/junk"
fails top 2 "--by without a value" "$tmp/junk" --by
fails flame 2 "without -o" "$tmp/junk"
fails flame 2 "with -o ''" -o "" "$tmp/junk"
fails flame 2 "--width 10" --width 10 -o "$tmp/x.svg" "$tmp/junk"
fails flame 2 "-o over its input" -o "$tmp/junk" "$tmp/junk"
fails diff 2 "with one file" "$tmp/junk"
fails diff 2 "with three files" "$tmp/junk" "$tmp/junk" "$tmp/junk"
fails diff 2 "--frames 0" --frames 0 "$tmp/junk" "$tmp/junk"

# ---- unreadable input: 1 -------------------------------------------------------
fails top 1 "of a missing file" "$tmp/missing.pb.gz"
fails top 1 "of a file that is no profile" "$tmp/junk"
fails top 1 "of a directory" "$tmp"
fails flame 1 "of a missing file" -o "$tmp/x.svg" "$tmp/missing.pb.gz"
check "flame of a missing file leaves no output" [ ! -e "$tmp/x.svg" ]
fails diff 1 "of a missing OLD" "$tmp/missing.pb.gz" "$tmp/junk"
fails diff 1 "of a NEW that is no profile" "$tmp/junk" "$tmp/junk"
printf '\037\213\010\000' >"$tmp/cut.gz"
fails top 1 "of gzip cut short" "$tmp/cut.gz"
no_tmp "failed runs"

# ---- gcprof's own profiles (tests/pprof_convert), when built -------------------
convert="$top_builddir/tests/pprof_convert"
selfdump="$top_builddir/tests/programs/selfdump"
if [ -x "$convert" ] && [ -x "$selfdump" ] && "$selfdump" "$tmp/self.dump" &&
    "$convert" "$tmp/self.dump" "$tmp/self.pb.gz" >/dev/null 2>&1; then
    "$gcprof" top --raw --alloc "$tmp/self.pb.gz" >"$tmp/self.top" 2>&1 || fail "top of ours"
    for fn in selfdump_alpha selfdump_beta; do
        check "top of gcprof's own profile: $fn" grep -q " $fn\$" "$tmp/self.top"
    done
    # every stack's alloc_space, from the dump: their sum is the total
    want=$(awk '$1 == "stack" { s += $4 } END { print s }' "$tmp/self.dump")
    check "top of ours: total $want bytes allocated" \
        grep -q "^Type: allocated space (alloc_space): $want in all" "$tmp/self.top"
    "$gcprof" diff --alloc "$tmp/self.pb.gz" "$tmp/self.pb.gz" >"$tmp/self.diff" 2>&1
    check "diff of a profile with itself: nothing grew" grep -q '^(nothing grew)$' "$tmp/self.diff"
else
    echo "  (tests/pprof_convert or tests/programs/selfdump not built: gcprof's own profiles skipped)"
fi

# ---- Go's heap profiles ------------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
    echo "  (go is not installed: the real Go profiles are skipped)"
    finish "PASS: top, flame and diff's arguments and errors"
fi
GOCACHE="$tmp/gocache" GOPATH="$tmp/gopath" HOME="$tmp" GOFLAGS="" GOPROXY=off GOTOOLCHAIN=local
export GOCACHE GOPATH HOME GOFLAGS GOPROXY GOTOOLCHAIN
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && go run "$top_srcdir/tests/programs/goleak.go" "$tmp/old.pb.gz" "$tmp/new.pb.gz") \
    >"$tmp/go.out" 2>&1; then
    cat "$tmp/go.out"
    die "go run tests/programs/goleak.go failed"
fi

# go_top INDEX FILE [ARGS]: go tool pprof -top as "FUNCTION FLAT CUM" lines
# (exact: -unit=B, nothing dropped), then "TOTAL N".
go_top() {
    go tool pprof -top -sample_index="$1" -unit=B -nodefraction=0 -edgefraction=0 \
        -nodecount=100000 "$@" 2>/dev/null |
        awk 'sub(/.* of /, "") && / total/ { sub(/B? total.*/, ""); total = $0 }
             NF >= 6 && $2 ~ /%$/ { f = $1; c = $4; sub(/B$/, "", f); sub(/B$/, "", c)
                                    print $6, f, c }
             END { print "TOTAL", total }'
}
# our_top INDEX FILE: ours, the same way.
our_top() {
    case $1 in
    alloc_*) v=--alloc ;;
    *) v=--inuse ;;
    esac
    case $1 in
    *_objects) u=--objects ;;
    *) u=--space ;;
    esac
    "$gcprof" top --raw -n 1000000 "$v" "$u" "$2" |
        awk '/^Type: / { t = $0; sub(/.*: /, "", t); sub(/ in all.*/, "", t) }
             NF == 6 && $2 ~ /%$/ { print $6, $1, $4 }
             END { print "TOTAL", t }'
}
for index in inuse_space alloc_space inuse_objects alloc_objects; do
    go_top "$index" "$tmp/new.pb.gz" >"$tmp/go.$index"
    our_top "$index" "$tmp/new.pb.gz" >"$tmp/our.$index"
    gt=$(sed -n 's/^TOTAL //p' "$tmp/go.$index")
    ot=$(sed -n 's/^TOTAL //p' "$tmp/our.$index")
    check "$index: total $ot = go tool pprof's $gt" same "$ot" "$gt"
    for fn in main.leakDeep main.leakFlat main.main runtime.main; do
        g=$(awk -v f="$fn" '$1 == f { print $2, $3 }' "$tmp/go.$index")
        o=$(awk -v f="$fn" '$1 == f { print $2, $3 }' "$tmp/our.$index")
        check "$index: $fn flat, cum: ours $o, go tool pprof's $g" same "$o" "$g"
    done
done
g=$(awk '$1 == "main.churn" { print $2 }' "$tmp/go.alloc_space")
o=$(awk '$1 == "main.churn" { print $2 }' "$tmp/our.alloc_space")
check "alloc_space: main.churn's garbage counted ($o, go $g)" same "$o" "$g"
check "inuse_space: main.churn's garbage freed" not grep -q '^main.churn ' "$tmp/our.inuse_space"
# 450 objects of 1000 bytes at MemProfileRate 1; recursion counted once
check "inuse: main.leakDeep holds 450 objects, cum = flat under recursion" \
    grep -q '^main.leakDeep 450 450$' "$tmp/our.inuse_objects"
"$gcprof" top "$tmp/new.pb.gz" >"$tmp/top.txt"
check "top: human units" grep -q ' KiB .*main.leakDeep$' "$tmp/top.txt"
check "top: says what in use means" \
    grep -qx 'in use: objects the latest collection marked, not freed since' "$tmp/top.txt"
check "top: the sampling period" grep -q '^sampling period: 1 byte' "$tmp/top.txt"
check "top: 20 rows by default" \
    [ "$(sed -n '/^ *flat  *flat%/,$p' "$tmp/top.txt" | tail -n +2 | wc -l)" -eq 20 ]
"$gcprof" top --by line -n 3 "$tmp/new.pb.gz" >"$tmp/lines.txt"
check "top --by line: the source line" grep -q 'main.leakDeep goleak.go:[0-9]*$' "$tmp/lines.txt"
# The first row by cum holds as much as runtime.main, which holds everything
# the program's goroutine allocated: main.main ties with it in the runs where
# none of the runtime's own start-up allocations under it is still in use
# (which name comes first in a tie is the sort's: it failed 1 run in ~10).
"$gcprof" top --raw --cum -n 1 "$tmp/new.pb.gz" >"$tmp/cum.txt"
first_cum=$(awk 'NF == 6 && $2 ~ /^[0-9.]+%$/ { print $4; exit }' "$tmp/cum.txt")
main_cum=$(awk '$1 == "runtime.main" { print $3 }' "$tmp/our.inuse_space")
check "top --cum: the first row holds as much as runtime.main ($first_cum, $main_cum)" \
    same "$first_cum" "$main_cum"
check "top --cum: runtime.main or main.main first" grep -qE ' (runtime|main)\.main$' "$tmp/cum.txt"

# ---- flame -------------------------------------------------------------------
svg=$tmp/flame.svg
if "$gcprof" flame --alloc -o "$svg" "$tmp/new.pb.gz" 2>"$tmp/err"; then
    if command -v xmllint >/dev/null 2>&1; then
        check "flame: well-formed SVG (xmllint)" xmllint --noout "$svg"
    else
        check "flame: well-formed SVG (python3)" \
            python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$svg"
    fi
    check "flame: no script" not grep -qi '<script' "$svg"
    total=$(awk '$1 == "TOTAL" { print $2 }' "$tmp/go.alloc_space")
    check "flame: the title has the total" grep -q "Flame graph: allocated space, " "$svg"
    # width FUNCTION: the width of its widest box (that nearest the root,
    # where it is first on the stack: recursion sits on top of it)
    width() {
        sed -n "s|.*<title>$1&#10;.*<rect x=\"[^\"]*\" y=\"[^\"]*\" width=\"\([^\"]*\)\".*|\1|p" "$svg" |
            sort -g | tail -n 1
    }
    plot=$(width all)
    check "flame: the root spans the picture less its margins ($plot px)" near "$plot" 1180 0.01
    for fn in main.leakDeep main.leakFlat main.churn main.main; do
        cum=$(awk -v f="$fn" '$1 == f { print $3 }' "$tmp/go.alloc_space")
        w=$(width "$fn")
        want=$(awk -v c="$cum" -v t="$total" -v p="$plot" 'BEGIN { printf "%.3f", c / t * p }')
        check "flame: $fn's box $w px, its share of $plot px $want" near "${w:-0}" "$want" 1
    done
    check "flame: main.leakDeep stacked 4 deep (recursion)" \
        [ "$(grep -c '<title>main.leakDeep&#10;' "$svg")" -eq 4 ]
    if command -v chromium >/dev/null 2>&1; then
        (cd "$tmp" && timeout 120 chromium --headless --disable-gpu --no-sandbox \
            --screenshot="$tmp/flame.png" --window-size=1200,800 "$svg") >/dev/null 2>&1
        check "flame: Chromium renders it to a PNG" [ -s "$tmp/flame.png" ]
        [ -n "${GCPROF_KEEP_FLAME:-}" ] && cp "$tmp/flame.png" "$svg" "$GCPROF_KEEP_FLAME"
    else
        echo "  (chromium is not installed: the rendering is not checked)"
    fi
    "$gcprof" flame --inuse --objects --width 800 -o - "$tmp/new.pb.gz" >"$tmp/stdout.svg"
    check "flame -o -: to standard output, 800 px wide" grep -q 'width="800"' "$tmp/stdout.svg"
else
    fail "flame: $(cat "$tmp/err")"
fi

# ---- diff --------------------------------------------------------------------
"$gcprof" diff --raw "$tmp/old.pb.gz" "$tmp/new.pb.gz" >"$tmp/diff.txt" 2>&1 || fail "diff failed"
go tool pprof -top -sample_index=inuse_space -unit=B -nodefraction=0 -nodecount=100000 \
    -diff_base="$tmp/old.pb.gz" "$tmp/new.pb.gz" 2>/dev/null |
    awk 'NF >= 6 && $2 ~ /%$/ { f = $1; sub(/B$/, "", f); print $6, f }' >"$tmp/go.diff"
first=$(sed -n '/^Stacks that grew most/{n;n;p;}' "$tmp/diff.txt")
g=$(awk '$1 == "main.leakDeep" { print $2 }' "$tmp/go.diff")
check "diff: the leak's stack first: $first" \
    sh -c "echo '$first' | grep -q '^ *+$g  *[0-9]*  *[0-9]*  main.leakDeep < main.leakDeep'"
for fn in main.leakDeep main.leakFlat; do
    g=$(awk -v f="$fn" '$1 == f { print $2 }' "$tmp/go.diff")
    o=$(sed -n '/^Functions that grew most/,$p' "$tmp/diff.txt" | awk -v f="$fn" '$3 == f { print $1 }')
    check "diff: $fn grew $o, go tool pprof -diff_base $g" [ "$o" = "+$g" ]
done
ot=$(our_top inuse_space "$tmp/old.pb.gz" | sed -n 's/^TOTAL //p')
nt=$(our_top inuse_space "$tmp/new.pb.gz" | sed -n 's/^TOTAL //p')
check "diff: the change is NEW's total - OLD's" \
    grep -q "^Change: +$((nt - ot)) ($ot -> $nt)" "$tmp/diff.txt"
check "diff: says different periods compare" grep -q 'different periods compare' "$tmp/diff.txt"
"$gcprof" diff "$tmp/new.pb.gz" "$tmp/old.pb.gz" >"$tmp/back.txt"
check "diff NEW OLD: nothing grew" grep -q '^(nothing grew)$' "$tmp/back.txt"
no_tmp "successful runs"

finish "PASS: top, flame and diff on Go's heap profiles agree with go tool pprof"
