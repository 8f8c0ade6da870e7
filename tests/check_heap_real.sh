#!/bin/sh
# Heap profiles of real programs no one here wrote: Guile and ECL running
# tests/programs/churn.{scm,lisp} (vectors and strings built and dropped),
# profiled by gcprof run --heap-profile and read by the real go tool pprof.
# The functions that allocate must top the profile: make-vector and
# make-string for Guile, ECL's allocators for ECL.
set -u
. "$(dirname "$0")/lib.sh"

need_built "$gcprof"
command -v go >/dev/null 2>&1 || skip "go is not installed (apt-get install golang-go)"
use_preload
make_tmp
# Guile interprets churn.scm afresh: a compiled copy in the user's cache
# (left by any earlier run that compiled it) makes other functions allocate.
mkdir "$tmp/cache"
XDG_CACHE_HOME="$tmp/cache"
GUILE_AUTO_COMPILE=0
export XDG_CACHE_HOME GUILE_AUTO_COMPILE
# go keeps a cache: here, not in the user's home
GOCACHE="$tmp/gocache"
GOPATH="$tmp/gopath"
export GOCACHE GOPATH
programs="$top_srcdir/tests/programs"

# top NAME INDEX: go tool pprof's -top table for the profile, flat by INDEX.
top() {
    go tool pprof -top -nodecount=40 -sample_index="$2" "$tmp/$1.pb.gz" >"$tmp/$1.$2.top" 2>&1 ||
        { cat "$tmp/$1.$2.top"; return 1; }
}

# flat_rank NAME INDEX FUNCTION: the row (1 = largest flat) FUNCTION has
# among the rows that name a function. A row pprof names by its mapping
# ("[libguile-3.0.so.1]": addresses with no symbol, such as Guile's VM
# refilling its inline free lists, all lumped together) or "<unknown>" is
# no function: in Guile's profile that lump is the runner-up at 39-48%
# against scm_c_make_vector's 52-61% (16 runs), close enough for the
# sampling to swap them now and then (a clean-clone CI run did).
flat_rank() {
    awk -v f="$3" '/flat%/ { on = 1; next }
        on && $6 !~ /^\[/ && $6 != "<unknown>" { n++; if ($6 == f) { print n; exit } }' \
        "$tmp/$1.$2.top"
}

# in_top NAME INDEX N FUNCTION...: one of the FUNCTIONs is among the N largest.
in_top() {
    n_=$3
    f1_=$1 f2_=$2
    shift 3
    for f_ in "$@"; do
        r_=$(flat_rank "$f1_" "$f2_" "$f_")
        [ -n "$r_" ] && [ "$r_" -le "$n_" ] && return 0
    done
    return 1
}

tested=""
if command -v guile >/dev/null 2>&1; then
    if "$gcprof" run --heap-profile -o "$tmp/guile.dat" --heap-output "$tmp/guile.pb.gz" -- \
        guile --no-auto-compile "$programs/churn.scm" >"$tmp/guile.out" 2>&1; then
        top guile alloc_space || fail "guile: go tool pprof cannot read the profile"
        check "guile: scm_c_make_vector allocates most" in_top guile alloc_space 1 scm_c_make_vector ||
            cat "$tmp/guile.alloc_space.top"
        check "guile: make-string in the profile" grep -q 'scm_c_make_string' "$tmp/guile.alloc_space.top"
        top guile inuse_space || fail "guile: no in-use view"
        tested="$tested guile"
    else
        cat "$tmp/guile.out"
        fail "gcprof run --heap-profile guile failed"
    fi
fi
if command -v ecl >/dev/null 2>&1; then
    if "$gcprof" run --heap-profile -o "$tmp/ecl.dat" --heap-output "$tmp/ecl.pb.gz" -- \
        ecl --norc --shell "$programs/churn.lisp" >"$tmp/ecl.out" 2>&1; then
        top ecl alloc_space || fail "ecl: go tool pprof cannot read the profile"
        check "ecl: its allocators top the profile" \
            in_top ecl alloc_space 3 ecl_alloc ecl_alloc_object ecl_cons
        top ecl inuse_space || fail "ecl: no in-use view"
        tested="$tested ecl"
    else
        cat "$tmp/ecl.out"
        fail "gcprof run --heap-profile ecl failed"
    fi
fi
[ -n "$tested" ] || skip "neither guile nor ecl is installed (apt-get install guile-3.0 ecl)"
finish "PASS: heap profiles of$tested read by go tool pprof"
