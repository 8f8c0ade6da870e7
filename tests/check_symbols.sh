#!/bin/sh
# Only gcp_ symbols leave the shared library (nm -D), as jansson checks.
set -eu
lib="${top_builddir:-.}/.libs/libgcprof.so"
if [ ! -f "$lib" ]; then
    echo "SKIP: $lib not built (static-only build)"
    exit 77
fi
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}')
bad=$(printf '%s\n' "$exported" | grep -v '^gcp_' || true)
if [ -n "$bad" ]; then
    echo "FAIL: symbols exported without the gcp_ prefix:"
    printf '%s\n' "$bad"
    exit 1
fi
for sym in gcp_init gcp_alloc gcp_profile gcp_profile_many gcp_report_print gcp_config_parse; do
    printf '%s\n' "$exported" | grep -qx "$sym" || { echo "FAIL: $sym not exported"; exit 1; }
done
echo "PASS: $(printf '%s\n' "$exported" | wc -l) symbols, all gcp_"
