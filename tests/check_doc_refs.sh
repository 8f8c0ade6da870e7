#!/bin/sh
# Every path into the tree that the README, doc/ and the sources' comments
# name exists: a file moved or split leaves no pointer to where it was.
# Paths are those under the tree's folders (runtime/heap/heap.c,
# doc/abi.md, ...); system headers (<linux/...>) are not ours.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$top_srcdir" || die "cannot enter $top_srcdir"
files=$(find README.md doc common runtime tools preload include tests bench demos fuzz scripts \
    -type f \( -name '*.md' -o -name '*.[ch]' -o -name '*.sh' -o -name '*.am' \) \
    ! -path 'tests/data/*' ! -path 'tests/grown/*' 2>/dev/null)
named=$(grep -h -o -E '\b(runtime/(heap|collect|features|start)|common|tools|preload|doc|scripts|bench|demos|fuzz|include/gcprof)[/.][A-Za-z0-9_./-]*\.(c|h|md|sh|am|py|exports)\b' \
    $files | sort -u)
n=0
for p in $named; do
    n=$((n + 1))
    [ -e "$p" ] || fail "$p is named but does not exist ($(grep -l -F "$p" $files | head -3 | tr '\n' ' '))"
done
[ "$n" -gt 50 ] || fail "only $n paths found: wrong tree?"
finish "PASS: $n paths named in docs and sources, all there"
