#!/bin/sh
# Writers and reader agree on limits (issue 12, item 11): a command line of
# 70 KB gives a recording gcprof reads (the writers cut text, at a UTF-8
# character, with a marker, so every line fits the reader's 65536 bytes),
# in both formats; output names of 245 to 255 bytes, the longest a
# directory takes, can be written (the temporary name is cut to fit).
# Exit 0 pass, 1 fail.
set -u
LC_ALL=C # awk and grep count and match bytes
export LC_ALL
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
make_tmp

# 70,000 bytes: 'é' (2 bytes) 35,000 times, so a cut can fall inside one
long=$(awk 'BEGIN { for (i = 0; i < 35000; i++) printf "\303\251" }')
for ext in dat jsonl; do
    GCPROF_PRELOAD=/nonexistent "$gcprof" run -o "$tmp/long.$ext" -- /bin/sh -c 'exit 0' "$long" \
        >/dev/null 2>"$tmp/err"
    rc=$?
    [ $rc -eq 0 ] || fail "run with a 70 KB command line ($ext): status $rc: $(cat "$tmp/err")"
    longest=$(awk '{ if (length($0) > n) n = length($0) } END { print n + 0 }' "$tmp/long.$ext")
    [ "$longest" -le 65536 ] || fail "$ext: a line of $longest bytes, over the reader's 65536"
    "$gcprof" summary "$tmp/long.$ext" >"$tmp/summary" 2>"$tmp/err" ||
        fail "summary cannot read its own recording ($ext): $(cat "$tmp/err")"
    # cut with the marker U+2026, after whole characters
    grep -q "$(printf '\303\251\342\200\246')" "$tmp/summary" ||
        fail "$ext: the command line is not cut with a marker after a whole character"
    "$gcprof" plot "$tmp/long.$ext" -o "$tmp/long.svg" 2>"$tmp/err" ||
        fail "plot cannot read its own recording ($ext): $(cat "$tmp/err")"
done

# names of 245 to 255 bytes (NAME_MAX): plot writes them
printf 'MEM 1.0 1700000000.0\nMEM 2.0 1700000001.0\n' >"$tmp/in.dat"
for n in 245 250 251 255; do
    name=$(awk -v n="$n" 'BEGIN { for (i = 0; i < n - 4; i++) printf "a"; printf ".svg" }')
    "$gcprof" plot "$tmp/in.dat" -o "$tmp/$name" 2>"$tmp/err" ||
        fail "plot -o a $n-byte name: $(cat "$tmp/err")"
    [ -s "$tmp/$name" ] || fail "plot -o a $n-byte name: no file"
    rm -f "$tmp/$name"
done
# ... and cut in a multi-byte character: the name stays valid UTF-8
name=$(awk 'BEGIN { printf "b"; for (i = 0; i < 125; i++) printf "\303\251"; printf ".svg" }')
"$gcprof" plot "$tmp/in.dat" -o "$tmp/$name" 2>"$tmp/err" ||
    fail "plot -o a 255-byte UTF-8 name: $(cat "$tmp/err")"
# run, with a long name too
name=$(awk 'BEGIN { for (i = 0; i < 251; i++) printf "r"; printf ".dat" }')
GCPROF_PRELOAD=/nonexistent "$gcprof" run -o "$tmp/$name" -- /bin/true 2>"$tmp/err" ||
    fail "run -o a 255-byte name: $(cat "$tmp/err")"
"$gcprof" peak "$tmp/$name" >/dev/null 2>&1 || fail "run -o a 255-byte name: no recording"
left=$(ls -a "$tmp" | grep '\.tmp\.' || true)
[ -z "$left" ] || fail "temporary files left: $left"

finish "PASS: writers and reader agree on limits"
