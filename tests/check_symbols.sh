#!/bin/sh
# The library exports exactly the ABI's function list, include/gcprof.exports
# (doc/abi.md): every name in it and nothing else (nm -D), all gcp_, and the
# list is the header's GCP_EXPORT declarations, so a function cannot be
# added to, or dropped from, the ABI by accident.
set -eu
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-${srcdir:-.}}
lib="$top_builddir/.libs/libgcprof.so"
list="$top_srcdir/include/gcprof.exports"
header="$top_srcdir/include/gcprof.h"
if [ ! -f "$lib" ]; then
    echo "SKIP: $lib not built (static-only build)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort >"$tmp/exported"
sort "$list" >"$tmp/list"
grep -v '^#' "$header" | grep -o 'GCP_EXPORT[^(]*(' | sed 's/($//; s/.*[ *]//' | sort >"$tmp/declared"

bad=$(grep -v '^gcp_' "$tmp/exported" || true)
if [ -n "$bad" ]; then
    echo "FAIL: symbols exported without the gcp_ prefix:"
    echo "$bad"
    failures=$((failures + 1))
fi
if ! diff -u "$tmp/list" "$tmp/exported" >"$tmp/d1"; then
    echo "FAIL: the library's exports differ from include/gcprof.exports (- list, + library):"
    cat "$tmp/d1"
    failures=$((failures + 1))
fi
if ! diff -u "$tmp/list" "$tmp/declared" >"$tmp/d2"; then
    echo "FAIL: include/gcprof.exports differs from the header's GCP_EXPORT lines (- list, + header):"
    cat "$tmp/d2"
    failures=$((failures + 1))
fi
[ "$failures" -eq 0 ] || exit 1
echo "PASS: $(wc -l <"$tmp/exported") symbols, all gcp_, as listed and declared"
