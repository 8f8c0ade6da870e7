#!/bin/sh
# The library exports exactly the ABI's function list, include/gcprof.exports
# (doc/abi.md): every name in it and nothing else (nm -D), all gcp_, and the
# list is the header's GCP_EXPORT declarations, so a function cannot be
# added to, or dropped from, the ABI by accident. The Debian symbols file
# (debian/libgcprof2.symbols) names the same functions, for the soname
# the library has.
set -eu
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
lib="$top_builddir/.libs/libgcprof.so"
list="$top_srcdir/include/gcprof.exports"
header="$top_srcdir/include/gcprof.h"
[ -f "$lib" ] || skip "$lib not built (static-only build)"
make_tmp

nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort >"$tmp/exported"
sort "$list" >"$tmp/list"
grep -v '^#' "$header" | grep -o 'GCP_EXPORT[^(]*(' | sed 's/($//; s/.*[ *]//' | sort >"$tmp/declared"

bad=$(grep -v '^gcp_' "$tmp/exported" || true)
[ -z "$bad" ] || fail "symbols exported without the gcp_ prefix:
$bad"
# same A B WHAT: the sorted lists A and B are the same, else their diff follows WHAT.
same() {
    diff -u "$tmp/$1" "$tmp/$2" >"$tmp/diff" || fail "$3:
$(cat "$tmp/diff")"
}
same list exported "the library's exports differ from include/gcprof.exports (- list, + library)"
same list declared "include/gcprof.exports differs from the header's GCP_EXPORT lines (- list, + header)"
same_line() { [ "$1" = "$2" ]; }
symbols="$top_srcdir/debian/libgcprof2.symbols"
if [ -f "$symbols" ]; then # not in the release tarball
    sed -n 's/^ \([a-z_0-9]*\)@Base .*/\1/p' "$symbols" | sort >"$tmp/debian"
    same list debian "debian/libgcprof2.symbols differs from include/gcprof.exports (- list, + debian)"
    soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
    want="$soname libgcprof${soname##*.so.} #MINVER#"
    check "debian/libgcprof2.symbols is for $soname, in package libgcprof${soname##*.so.}" \
        same_line "$want" "$(head -n 1 "$symbols")"
fi
finish "PASS: $(wc -l <"$tmp/exported") symbols, all gcp_, as listed and declared"
