#!/bin/sh
# The soak test, short (make soak runs the long one): 20,000 profiled calls
# under the monitor with two worker threads; tests/soak itself checks that
# memory, fds and threads stay flat and that the timeline reads back. Then
# each kind of leak it looks for is injected, and must be caught.
set -eu
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
soak="$top_builddir/tests/soak"
make_tmp

"$soak" --calls 20000 --gcprof "$gcprof" --csv "$tmp/soak.csv" --dat "$tmp/soak.dat" ||
    die "tests/soak --calls 20000 (see above)"
# The curves: a header and 51 samples (call 0, every 400 calls, the end).
[ "$(wc -l <"$tmp/soak.csv")" -eq 52 ] || die "soak.csv: $(wc -l <"$tmp/soak.csv") lines"
tail -n 1 "$tmp/soak.csv" | grep -q '^50,20000,' || die "soak.csv: no sample at 20000 calls"

# A leak of each kind fails the run, with the check that caught it named.
inject() {
    if "$soak" --calls 4000 --samples 10 --threads 1 --inject "$1" --dat "$tmp/$1.dat" \
        >"$tmp/$1.out" 2>&1; then
        die "--inject $1: not caught"
    fi
    grep -q "$2" "$tmp/$1.out" || { cat "$tmp/$1.out"; die "--inject $1: no '$2'"; }
}
inject managed "FAIL: the library's memory grew by .*managed +[1-9]"
inject malloc "FAIL: the library's memory grew by .*malloc +[1-9]"
inject fd "FAIL: [0-9]* fds open after the monitor stopped"
inject thread "FAIL: [0-9]* threads after the monitor stopped"

# Bad arguments: a usage message and status 2.
if "$soak" --calls 0 >/dev/null 2>"$tmp/err"; then die "--calls 0 accepted"; fi
"$soak" --calls 0 2>/dev/null || [ $? -eq 2 ] || die "--calls 0: status not 2"
grep -q usage "$tmp/err" || die "no usage message"
echo "PASS: soak, and four injected leaks caught"
