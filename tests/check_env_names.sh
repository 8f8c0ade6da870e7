#!/bin/sh
# No GCPROF_* variable goes undocumented (issue 13): every GCPROF name that
# starts a string in runtime/, common/, tools/ and preload/ (the timeline formats' record tags
# aside) is a row of runtime/heap/env_table.c and of doc/environment.md; every
# row of the table is used somewhere; every variable the page lists is in
# the table, or read by the tests and scripts (its test-harness table).
# Kinds and defaults, row by row: tests/check_env.c.
# Exit 0 pass, 1 fail. Run alone: top_srcdir=. sh tests/check_env_names.sh
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
src=$top_srcdir
table="$src/runtime/heap/env_table.c"
doc="$src/doc/environment.md"
# Record tags written into files (doc/timeline-formats.md), not variables.
is_tag() {
    case $1 in
    GCPROF_GC | GCPROF_HEAP | GCPROF_META | GCPROF_END | GCPROF_LABEL | GCPROF_ENTER | \
        GCPROF_STATUS | GCPROF_IMAGE | GCPROF_LOST | GCPROF_CHILD | GCPROF_BREAKDOWN) return 0 ;;
    esac
    return 1
}
for f in "$table" "$doc"; do
    [ -f "$f" ] || die "no $f"
done

# Names that start a string, outside the table itself.
used=$(for f in "$src"/runtime/*/*.[ch] "$src"/common/*.[ch] "$src"/tools/*.[ch] \
    "$src"/preload/*.[ch]; do
    case $f in */env_table.c) ;; *) grep -o '"GCPROF[A-Z0-9_]*' "$f" ;; esac
done | tr -d '"' | grep -v '_$' | sort -u)
[ -n "$used" ] || fail "no GCPROF name found in runtime/, common/, tools/ and preload/"
n=0
for name in $used; do
    is_tag "$name" && continue
    n=$((n + 1))
    grep -q "{\"$name\"," "$table" || fail "$name is used but not a row of runtime/heap/env_table.c"
    grep -q "^| \`$name\` |" "$doc" || fail "$name is used but not in doc/environment.md"
done

# Rows nothing uses.
rows=$(grep -o '^ *{"GCPROF[A-Z0-9_]*"' "$table" | tr -d ' {"')
for name in $rows; do
    printf '%s\n' "$used" | grep -qx "$name" || fail "$name: a row of env_table.c that nothing reads"
done

# The page's variables: the table's, or the test harness's.
for name in $(grep -o '^| `GCPROF[A-Z0-9_]*`' "$doc" | tr -d '|` '); do
    printf '%s\n' "$rows" | grep -qx "$name" && continue
    grep -rqw "$name" "$src"/tests/*.c "$src"/tests/*.sh "$src"/scripts/*.sh ||
        fail "$name: in doc/environment.md, but neither in the table nor read by a test or script"
done

finish "PASS: $n variables used in runtime/, common/, tools/ and preload/, each in the table and the docs"
