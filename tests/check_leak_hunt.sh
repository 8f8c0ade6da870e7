#!/bin/sh
# demos/leak_hunt, as the README shows it: the leaky handler is found and
# the fixed one is not (exit 1), by site census and by call stack
# (--by-stack, GCP_LEAK_BY_STACK), where each growing stack runs from its
# allocation down to the handler and no further.
# Exit 0 pass, 1 fail, 77 skip. Run alone: top_builddir=. sh tests/check_leak_hunt.sh
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
demo="$top_builddir/demos/leak_hunt"
need_built "$demo"
make_tmp

GCPROF_SITES=1 "$demo" --quick >"$tmp/sites" 2>&1
rc=$?
check "by site: exit 1, a leak (status $rc)" [ "$rc" -eq 1 ]
check "by site: the leaky handler leaks" grep -q '^leaky_handler  LEAK' "$tmp/sites"
check "by site: the fixed one does not" grep -q '^fixed_handler  ok' "$tmp/sites"
check "by site: compute's line grows" grep -q 'at .*demos/leak_hunt.c:[0-9]* (compute)$' "$tmp/sites"

"$demo" --quick --by-stack >"$tmp/stacks" 2>&1
rc=$?
check "by stack: exit 1, a leak (status $rc)" [ "$rc" -eq 1 ]
check "by stack: the leaky handler leaks" grep -q '^leaky_handler  LEAK' "$tmp/stacks"
check "by stack: the fixed one does not" grep -q '^fixed_handler  ok' "$tmp/stacks"
# compute's site line, then its frames: compute, then the handler.
compute_stack() {
    grep -A2 'at .*demos/leak_hunt.c:[0-9]* (compute)$' "$tmp/stacks" |
        grep -q '^ *at leaky_handler (.*demos/leak_hunt.c:[0-9]*)$'
}
check "by stack: a stack through compute to the handler" compute_stack
check "by stack: the map's own allocations, to the handler" \
    grep -q '^ *at gcp_map_set (.*runtime/heap/map.c:[0-9]*)$' "$tmp/stacks"
check "by stack: no frame beyond the handler" not grep -Eq '^ *at (main|check|leak_run|gcp_leak_check) ' "$tmp/stacks"
[ "$failures" -eq 0 ] || cat "$tmp/sites" "$tmp/stacks"
finish "PASS: leak_hunt by site and by stack"
