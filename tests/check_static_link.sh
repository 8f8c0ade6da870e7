#!/bin/sh
# Link mode: the design's circular_refs linked against the static
# libgcprof.a, in a program bound lazily (no -z now of ours applies there:
# the library's calls into libgc go through the program's own PLT), run
# in fresh processes with --verify (the program's own record, checked by
# the collector's mark bits). Before the vector registers were cleared
# with the dead stack, every such run counted 5 of 407.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
RUNS="${STATIC_LINK_RUNS:-5}"
archive="$top_builddir/.libs/libgcprof.a"
[ -f "$archive" ] || die "no $archive (built with --disable-static?)"
make_tmp

# Linked as libgcprof.pc says for a static link (its Libs.private keep
# the environment's start-up, which nothing calls).
private=$(PKG_CONFIG_PATH="$top_builddir" pkg-config --static --libs-only-other libgcprof) ||
    die "pkg-config cannot read $top_builddir/libgcprof.pc"
# shellcheck disable=SC2046,SC2086 # pkg-config's words are flags
${CC:-cc} -O2 -I"$top_srcdir/include" -I"$top_srcdir/demos" -o "$tmp/circular_refs" \
    "$top_srcdir/demos/circular_refs.c" "$top_srcdir/demos/examples.c" "$top_srcdir/demos/verify.c" \
    "$archive" $private $(pkg-config --libs bdw-gc) -lpthread -ldl -lm || {
    echo "FAIL: could not link circular_refs against $archive"
    exit 1
}

# The environment's monitor starts in a static program too.
GCPROF_MONITOR_OUT="$tmp/static.dat" "$tmp/circular_refs" >/dev/null 2>&1 ||
    die "circular_refs failed with GCPROF_MONITOR_OUT set"
grep -q '^MEM ' "$tmp/static.dat" 2>/dev/null ||
    die "static link: GCPROF_MONITOR_OUT wrote no timeline (the start-up was left out)"
echo "static libgcprof.a: GCPROF_MONITOR_OUT starts the monitor"

retention_test
if readelf -d "$tmp/circular_refs" | grep -q 'BIND_NOW\|FLAGS_1.*NOW'; then
    echo "FAIL: the test program is bound eagerly; it must be lazy"
    exit 1
fi
bad=0
i=0
while [ "$i" -lt "$RUNS" ]; do
    out=$(env -u LD_BIND_NOW "$tmp/circular_refs" --verify) || bad=$((bad + 1))
    case "$out" in
    *"kept 0: ok"*) ;;
    *)
        echo "$out"
        bad=$((bad + 1))
        ;;
    esac
    i=$((i + 1))
done
echo "static libgcprof.a, lazy binding: $((RUNS - bad))/$RUNS right"
[ "$bad" -eq 0 ]
