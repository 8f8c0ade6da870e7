#!/bin/sh
# gcprof on hostile recordings (issue 12, items 4 and 5): huge values give
# a named error or a finite picture, never a plot that writes forever;
# summary --json prints only JSON numbers (never inf or nan); 200,000
# distinct mprof CHLD ids read in linear time. The timeouts only detect a
# hang (before the fixes: plot ran until the disk was full, the CHLD file
# took 39 s); no timing is asserted.
# Exit 0 pass, 1 fail.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
make_tmp

# ---- item 4: the 26-byte file that plotted forever ----------------------
printf 'MEM 1.7e308 1700000000.01\n' >"$tmp/huge.dat"
timeout 20 "$gcprof" plot "$tmp/huge.dat" -o "$tmp/huge.svg" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] || fail "plot of 1.7e308 MiB: status $rc, want 1 (124: it hung)"
grep -q "huge.dat:1: MEM: field 1 is not a number up to 1e13" "$tmp/err" ||
    fail "plot of 1.7e308 MiB: no named error: $(cat "$tmp/err")"
[ ! -e "$tmp/huge.svg" ] || fail "plot of 1.7e308 MiB wrote a picture"
no_tmp "plot of 1.7e308 MiB"

# The largest values accepted, and spans of 1e-300 s: a finite picture.
printf 'MEM 0 0\nMEM 1e13 1e13\nGCPROF_HEAP 1e-300 100 0 0 0 0\nGCPROF_HEAP 2e-300 1000000000000 0 0 0 1000000000000\nGCPROF_GC 1 1e-300 1e13 0 0 1e13 1000 10 0\nGCPROF_GC 2 2e-300 1e13 0 0 1e13 1000 10 1\n' \
    >"$tmp/edge.dat"
timeout 20 "$gcprof" plot "$tmp/edge.dat" -o "$tmp/edge.svg" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] || fail "plot of the largest values: status $rc: $(cat "$tmp/err")"
if grep -qiE 'inf|nan' "$tmp/edge.svg" 2>/dev/null; then
    fail "plot of the largest values: inf or nan in the SVG"
fi
[ "$(wc -c <"$tmp/edge.svg")" -lt 1000000 ] || fail "plot of the largest values: over 1 MB"
no_tmp "plot of the largest values"

# summary --json: numbers JSON can hold, or null (before: inf). A pause of
# 1e10 s in a run of 1e-300 s: a share of time in GC beyond any double.
printf 'MEM 1 1e-300\nMEM 1 2e-300\nGCPROF_GC 1 1e-300 1e13 0 0 1e13 1000 10 0\n' >"$tmp/inf.dat"
for f in edge huge inf; do
    timeout 20 "$gcprof" summary --json "$tmp/$f.dat" >"$tmp/$f.json" 2>/dev/null
    if grep -qiE '(:|,)-?(inf|nan)' "$tmp/$f.json"; then
        fail "summary --json $f.dat: inf or nan: $(cat "$tmp/$f.json")"
    fi
done
grep -q '"gc_time_share":null' "$tmp/inf.json" ||
    fail "summary --json: an infinite share is not null: $(cat "$tmp/inf.json")"
if command -v python3 >/dev/null 2>&1; then
    for f in edge inf; do
        python3 -c 'import json,sys; json.load(open(sys.argv[1]), parse_constant=lambda c: sys.exit(1))' \
            "$tmp/$f.json" || fail "summary --json $f.dat: not strict JSON: $(cat "$tmp/$f.json")"
    done
fi

# JSON lines too: values above 1e13 are named
printf '{"type":"sample","t":1e300,"rss":1}\n' >"$tmp/huge.jsonl"
timeout 20 "$gcprof" plot "$tmp/huge.jsonl" -o "$tmp/j.svg" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q '"t" is above 1e13' "$tmp/err" ||
    fail "plot of a JSON time of 1e300: $(cat "$tmp/err")"

# ---- item 5: 200,000 distinct CHLD ids -----------------------------------
awk 'BEGIN { print "CMDLINE many children"
             for (i = 0; i < 200000; i++) printf "CHLD %d 1.500000 %.4f\n", 100000 + i, 1700000000 + i / 1e4
             for (i = 0; i < 1000; i++) printf "CHLD %d 2.500000 %.4f\n", 100000 + i * 7, 1700000100 + i / 1e4
             print "MEM 1.000000 1700000000.0000" }' >"$tmp/chld.dat"
timeout 20 "$gcprof" peak "$tmp/chld.dat" >"$tmp/peak" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] || fail "peak of 200,000 CHLD ids: status $rc (124: too slow): $(cat "$tmp/err")"
n=$(grep -c '^  Child ' "$tmp/peak")
[ "$n" -eq 200000 ] || fail "peak of 200,000 CHLD ids: $n children listed"
n=$(grep -c '2\.500 MiB' "$tmp/peak")
[ "$n" -eq 1000 ] || fail "peak of CHLD ids seen twice: $n raised to 2.5 MiB, want 1000"
grep -q '^  Child 100007	*2\.500 MiB' "$tmp/peak" || fail "peak: child 100007 not at its peak"
grep -q '^  Child 100001	*1\.500 MiB' "$tmp/peak" || fail "peak: child 100001 not at 1.5 MiB"

finish "PASS: gcprof on hostile recordings"
