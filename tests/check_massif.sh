#!/bin/sh
# gcprof massif end to end: --help, bad arguments (status 2, one line),
# files that cannot be read or have no GC heap samples (status 1); then a
# real recording (gcprof run on tests/programs/tune_churn, a plain bdwgc
# program) converted, read by the
# real ms_print (valgrind's), and every figure it prints checked against
# the recording's own GCPROF_HEAP lines, read here with awk: one snapshot
# per line of the process, in time order, useful = heap_size - free_bytes,
# extra = free_bytes, the peak the largest heap (then the most in use).
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$gcprof" ] || skip "$gcprof is not built"
need_built "$top_builddir/tests/programs/tune_churn"
make_tmp

fails() { gcprof_fails massif "$@"; }

# ---- help and bad arguments ----------------------------------------------------
if "$gcprof" massif --help >"$tmp/help" 2>&1; then
    check "--help: usage first" grep -q "^Usage: gcprof massif " "$tmp/help"
    check "--help: exit statuses" grep -q "^Exit status: 0 success" "$tmp/help"
    check "--help: lines of 80 columns at most" awk 'length > 80 { exit 1 }' "$tmp/help"
else
    fail "--help: status $?"
fi
check "gcprof --help lists massif" sh -c "'$gcprof' --help | grep -q '^  massif '"
fails 2 "no recording"
fails 2 "two recordings" "$tmp/help" "$tmp/help"
fails 2 "an unknown option" --bogus "$tmp/help"
fails 2 "--pid 0" --pid 0 "$tmp/help"
fails 2 "an empty --output" -o "" "$tmp/help"
fails 1 "a missing file" "$tmp/none.dat"
fails 1 "a file that is no recording" "$tmp/help"
printf 'CMDLINE x\nMEM 1.0 1000.0\nMEM 2.0 1000.1\n' >"$tmp/rss_only.dat"
fails 1 "a recording of RSS only" "$tmp/rss_only.dat"

# ---- a real recording -----------------------------------------------------------
use_preload
if ! "$gcprof" run -i 0.005 -o "$tmp/run.dat" -- "$top_builddir/tests/programs/tune_churn" \
    >"$tmp/run.log" 2>&1; then
    fail "gcprof run tune_churn: $(tail -n 3 "$tmp/run.log")"
    finish "-"
fi
pid=$(awk '$1 == "GCPROF_META" { print $3 }' "$tmp/run.dat")
# The process's heap samples, in time order: time, in use, free.
awk -v p="$pid" '$1 == "GCPROF_HEAP" && (NF < 8 || $8 == p) { print $2, $3 - $4, $4, $3 }' \
    "$tmp/run.dat" | sort -g -s -k 1,1 >"$tmp/want"
n=$(wc -l <"$tmp/want")
check "the recording has heap samples ($n)" test "$n" -ge 3

# The default name, in the current directory.
(cd "$tmp" && "$gcprof" massif run.dat >"$tmp/out" 2>"$tmp/err")
check "massif writes massif.out.$pid by default" test -s "$tmp/massif.out.$pid"
check "and says so on stderr, nothing on stdout" \
    sh -c "grep -q 'wrote massif.out.$pid ($n snapshots)' '$tmp/err' && ! test -s '$tmp/out'"
"$gcprof" massif -o - "$tmp/run.dat" >"$tmp/stdout.massif" 2>"$tmp/err"
check "-o - writes the same to standard output" cmp -s "$tmp/stdout.massif" "$tmp/massif.out.$pid"

installed ms_print
case $tested in *ms_print*) ;; *) finish "PASS: gcprof massif's file (ms_print not installed)" ;; esac
if ! ms_print "$tmp/massif.out.$pid" >"$tmp/ms" 2>"$tmp/ms.err"; then
    fail "ms_print refused the file: $(head -n 3 "$tmp/ms.err")"
    finish "-"
fi
pass "ms_print reads it"
# ms_print's snapshot table: "n time(ms) total(B) useful-heap(B) extra-heap(B)
# stacks(B)", with commas; every snapshot once (a detailed one starts a new table).
awk '/^ *[0-9]+ +[0-9,]+ +[0-9,]+ +[0-9,]+ +[0-9,]+ +[0-9,]+$/ {
    gsub(",", ""); print $1, $2, $3, $4, $5, $6 }' "$tmp/ms" >"$tmp/got"
check "ms_print shows $n snapshots" test "$(wc -l <"$tmp/got")" -eq "$n"
check "ms_print counts $n snapshots" grep -q "^Number of snapshots: $n\$" "$tmp/ms"
start=$(awk '$1 == "GCPROF_META" { print $4 }' "$tmp/run.dat")
bad=$(paste -d ' ' "$tmp/want" "$tmp/got" | awk -v s="$start" '
    { t = $1; use = $2; fr = $3; size = $4; n = $5; ms = $6; tot = $7; u = $8; x = $9; st = $10
      want_ms = int((t - s) * 1000 + 0.5); if (want_ms < 0) want_ms = 0
      if (n != NR - 1 || ms != want_ms || u != use || x != fr || tot != size || st != 0) {
          print "snapshot " NR - 1 ": ms_print " ms " ms " u "+" x " B, the recording " want_ms " ms " use "+" fr " B"; exit } }')
check "each snapshot's time, useful and extra heap are the recording's${bad:+: $bad}" test -z "$bad"
peak=$(awk '{ if (NR == 1 || $4 > s || ($4 == s && $2 > u)) { s = $4; u = $2; i = NR - 1 } }
    END { print i }' "$tmp/want")
check "the peak is snapshot $peak, the largest heap, then the most in use" \
    grep -q "Detailed snapshots: \[$peak (peak)\]" "$tmp/ms"
used=$(awk -v i="$peak" 'NR == i + 1 { print $2 }' "$tmp/want")
check "the peak's tree holds its useful heap ($used B)" \
    grep -q "(heap allocation functions) bdwgc's heap in use" "$tmp/ms"
commas=$(echo "$used" | sed ':a; s/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/; ta')
check "...at $used bytes" grep -q "($commas""B)" "$tmp/ms"
finish "PASS: ms_print reads gcprof massif's file, every figure the recording's"
