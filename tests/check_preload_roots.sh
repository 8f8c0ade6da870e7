#!/bin/sh
# The preload adds nothing the collector scans. bdwgc registers every
# writable PT_LOAD segment of every loaded library as a root (less its
# PT_GNU_RELRO part), and the roots' size enters its collection trigger
# (alloc.c, min_bytes_allocd): with ~160 KiB of preload data there, poke
# collected 3454 times instead of 2272 in 10 of 24 recorded runs.
#
# Checked three ways: the collector's own root table (GC_dump's
# "GC_root_size=") is the same with and without the preload, recorded or
# not; the preload needs no library but libc (libm's data would be a root
# of its own); and its own writable data stays small, for a program that
# sets the collector's one root filter behind the preload's back.
set -eu
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
lib="$top_builddir/.libs/libgcprof-preload.so"
heap_lib="$top_builddir/.libs/libgcprof-preload-heap.so" # gcprof run --heap-profile's
limit=1024

[ -f "$lib" ] || die "no $lib"

# A sanitizer build (scripts/check-sanitizers.sh) instruments the preload:
# it brings libasan, whose data is a root of its own, and ASan's redzones.
asan=0
asan_built "$lib" && asan=1

# ---- the collector's own root table ----------------------------------------
make_tmp
cat >"$tmp/roots.c" <<'EOC'
#include <gc/gc.h>
int main(void)
{
    GC_INIT();
    GC_gcollect(); /* registers the libraries' segments */
    GC_dump();     /* prints "GC_root_size= N" */
    return 0;
}
EOC
# shellcheck disable=SC2046 # pkg-config's flags are words
if [ "$asan" = 1 ]; then
    echo "note: an ASan build of the preload (libasan's data is a root); root table not compared"
elif have_cc_and_bdwgc &&
    cc -o "$tmp/roots" "$tmp/roots.c" $(pkg-config --cflags --libs bdw-gc); then
    root_size() { awk -F'= ' '/^GC_root_size=/ { print $2 }'; }
    plain=$("$tmp/roots" | root_size)
    loaded=$(LD_PRELOAD="$lib" "$tmp/roots" | root_size)
    recorded=$(GCPROF_PRELOAD="$lib" "$gcprof" run -o "$tmp/r.dat" -- "$tmp/roots" 2>/dev/null |
        root_size)
    # --heap-profile: the preload's heap build, and libunwind (and liblzma)
    # loaded into the program: their data must stay out of the roots too.
    sampled=$(GCPROF_PRELOAD="$lib" "$gcprof" run --heap-profile=1 -o "$tmp/h.dat" \
        --heap-output "$tmp/h.pb.gz" -- "$tmp/roots" 2>/dev/null | root_size)
    echo "GC_root_size: plain $plain, preloaded $loaded, recorded $recorded, heap-profiled $sampled"
    [ -n "$plain" ] || fail "no GC_root_size in GC_dump's output"
    [ "$loaded" = "$plain" ] || fail "preloaded, not recorded: roots $loaded bytes, not $plain"
    [ "$recorded" = "$plain" ] || fail "recorded: roots $recorded bytes, not $plain"
    [ "$sampled" = "$plain" ] || fail "heap-profiled: roots $sampled bytes, not $plain"
    [ -s "$tmp/h.pb.gz" ] || fail "the heap-profiled run wrote no profile"
    grep -q '^GCPROF_GC ' "$tmp/r.dat" || fail "the recorded run has no collection"

    # A program with a filter of its own (bdwgc keeps one): the preload
    # chains it, so it still decides for every other segment, and ours
    # stays out. The filter leaves the main program's data out and counts
    # its calls; the roots and the count are the same with the preload.
    cat >"$tmp/filter.c" <<'EOC'
#include <gc/gc.h>
#include <stdio.h>
static int calls;
static int no_main(const char *name, void *start, size_t size)
{
    (void)start, (void)size;
    calls++;
    return name && *name; /* "" is the main program */
}
int main(void)
{
    GC_register_has_static_roots_callback(no_main);
    GC_INIT();
    GC_gcollect();
    GC_dump();
    printf("calls= %d\n", calls);
    return 0;
}
EOC
    # shellcheck disable=SC2046
    cc -o "$tmp/filter" "$tmp/filter.c" $(pkg-config --cflags --libs bdw-gc) ||
        fail "cannot build the filter program"
    fplain=$("$tmp/filter" | awk '/^GC_root_size=|^calls=/ { printf "%s ", $2 }')
    floaded=$(GCPROF_PRELOAD="$lib" "$gcprof" run -o "$tmp/f.dat" -- "$tmp/filter" 2>/dev/null |
        awk '/^GC_root_size=|^calls=/ { printf "%s ", $2 }')
    echo "with the program's filter (roots, calls): plain $fplain, recorded $floaded"
    [ -n "$fplain" ] && [ "$floaded" = "$fplain" ] ||
        fail "with the program's own filter: '$floaded', not '$fplain'"
    [ "${fplain%% *}" -lt "$plain" ] || fail "the program's filter left nothing out"
else
    echo "note: no cc or bdw-gc to build a test program; root table not compared"
fi

# ---- what each build of the preload brings into the process ------------------
for lib in "$lib" "$heap_lib"; do
    name=${lib##*/}
    [ -f "$lib" ] || die "no $lib"
    needed=$(readelf -dW "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    echo "$name needs: $needed"
    if [ "$asan" = 1 ]; then
        echo "note: a sanitizer build links its runtimes and theirs (libm...); not checked"
    else
        for n in $needed; do
            case $n in
            libc.so.*) ;;
            *) fail "$name needs $n: its writable data would be a root in every program" ;;
            esac
        done
    fi

    # ---- its own data, when the program replaces the filter -----------------
    if [ "$asan" = 1 ]; then
        echo "note: an ASan build of the preload; its data size is not checked"
    else
        # Writable PT_LOAD memory size minus the RELRO part, from the ELF
        # headers (hex sizes; the shell converts them).
        rw=$(readelf -lW "$lib" | awk '$1 == "LOAD" && $(NF-1) ~ /W/ { print $6 }')
        relro=$(readelf -lW "$lib" | awk '$1 == "GNU_RELRO" { print $6 }')
        scanned=$(($(printf '%d' "${rw:-0}") - $(printf '%d' "${relro:-0}")))
        echo "$name: $scanned bytes of writable data outside RELRO (limit $limit)"
        [ "$scanned" -le "$limit" ] || fail "$name has $scanned bytes of writable data"
    fi
done
finish PASS
