# shellcheck shell=sh
# tests/lib.sh: what the shell tests share. Each tests/check_*.sh sources it
# first thing after its own `set`:
#
#     . "$(dirname "$0")/lib.sh"
#
# found beside the script, as the script is: make check runs a test from the
# top of the build tree, as tests/check_x.sh when the build tree has it and
# as $(srcdir)/tests/check_x.sh otherwise (a VPATH build, make distcheck),
# with top_builddir and top_srcdir set (tests/tests.am, AM_TESTS_ENVIRONMENT).
# Run alone from the top of a build tree:
#
#     top_builddir=. sh tests/check_x.sh
#
# It sets no shell option (each test has its own, set -u or set -eu) and
# defines:
#   top_builddir  the build tree, absolute (some tests cd); default .
#   top_srcdir    the source tree, absolute; default this file's folder's parent
#   gcprof        the gcprof command built there
#   failures      0; fail counts, finish reports
# and the functions below.

top_builddir=$(cd "${top_builddir:-.}" && pwd) || exit 1
top_srcdir=$(cd "${top_srcdir:-$(dirname "$0")/..}" && pwd) || exit 1
# shellcheck disable=SC2034 # for the tests that source this
gcprof="$top_builddir/tools/gcprof"
failures=0

# ---- outcomes ------------------------------------------------------------------

# fail MESSAGE: a failure, said; the test goes on (finish counts them).
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
# pass MESSAGE
pass() { echo "PASS: $*"; }
# check NAME CMD...: passes NAME when CMD succeeds, else fails it.
check() {
    check_name_=$1
    shift
    if "$@"; then pass "$check_name_"; else fail "$check_name_"; fi
}
# same A B: A is not empty and equals B (for check: `check NAME [ A ] && [ B ]`
# would check only the first test, the shell taking && as check's end).
same() { [ -n "$1" ] && [ "$1" = "$2" ]; }
# not CMD...: succeeds when CMD fails (for check).
not() { ! "$@"; }
# die MESSAGE: a failure that ends the test at once.
die() {
    echo "FAIL: $*"
    exit 1
}
# skip REASON: the test cannot run here (77: automake's SKIP).
skip() {
    echo "SKIP: $*"
    exit 77
}
# finish MESSAGE: the end of a test that counts failures: "N failure(s)" and
# status 1, or MESSAGE (PASS: ...) and status 0.
finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures failure(s)"
        exit 1
    fi
    echo "$1"
    exit 0
}

# gcprof_fails CMD STATUS WHAT ARGS...: `gcprof CMD ARGS` exits STATUS, says
# one line "gcprof CMD: ..." on stderr and prints nothing on stdout (needs
# make_tmp's $tmp).
gcprof_fails() {
    cmd_=$1 want_=$2 what_=$3
    shift 3
    "$gcprof" "$cmd_" "$@" >"$tmp/fails.out" 2>"$tmp/fails.err"
    st_=$?
    if [ "$st_" -ne "$want_" ]; then
        fail "$cmd_ $what_: status $st_, want $want_ ($(cat "$tmp/fails.err"))"
    elif [ "$(wc -l <"$tmp/fails.err")" -ne 1 ] || ! grep -q "^gcprof $cmd_: " "$tmp/fails.err"; then
        fail "$cmd_ $what_: not one 'gcprof $cmd_:' line: $(cat "$tmp/fails.err")"
    elif [ -s "$tmp/fails.out" ]; then
        fail "$cmd_ $what_: printed on stdout"
    else
        pass "$cmd_ $what_: $want_, '$(cat "$tmp/fails.err")'"
    fi
}

# ---- what a test needs ---------------------------------------------------------

# make_tmp: a fresh directory, $tmp, removed when the test exits; INT and TERM
# end the test with status 1, so it is removed then too.
make_tmp() {
    tmp=$(mktemp -d) || exit 1
    trap 'rm -rf "$tmp"' EXIT
    trap 'exit 1' INT TERM
}

# installed PROGRAM...: $tested gets those on the PATH; each missing one is
# skipped with a line, or fails in CI (scripts/install-deps.sh installs them).
installed() {
    tested=""
    for p_ in "$@"; do
        if command -v "$p_" >/dev/null 2>&1; then
            tested="$tested $p_"
        elif [ -n "${CI:-}" ]; then
            fail "$p_ is missing in CI: scripts/install-deps.sh installs it"
        else
            echo "$p_ not installed: skipping its part"
        fi
    done
}

# real_program_env CACHE_DIR: the collector's settings only ours (every GC_*
# of the caller's removed; one marker: with parallel markers bdwgc's own
# counts are approximate and its collections less repeatable), and Guile
# interpreting its source afresh (no compiled cache but CACHE_DIR's).
real_program_env() {
    for v_ in $(env | sed -n 's/^\(GC_[A-Za-z0-9_]*\)=.*/\1/p'); do
        unset "$v_"
    done
    GC_MARKERS=1
    GUILE_AUTO_COMPILE=0
    XDG_CACHE_HOME=$1
    export GC_MARKERS GUILE_AUTO_COMPILE XDG_CACHE_HOME
}

# need_built FILE...: each was built, or the test fails at once.
need_built() {
    while [ $# -gt 0 ]; do
        [ -f "$1" ] || die "$1 not built"
        shift
    done
}

# have_cc_and_bdwgc: a C compiler and bdw-gc's pkg-config, to build a test program.
have_cc_and_bdwgc() {
    command -v cc >/dev/null 2>&1 && pkg-config --exists bdw-gc 2>/dev/null
}

# asan_built LIB: LIB was built with AddressSanitizer (scripts/check-sanitizers.sh).
asan_built() {
    nm -D "$1" 2>/dev/null | grep -q ' U __asan_init'
}

# preload_path: the preload library for gcprof run: $GCPROF_PRELOAD, else the
# one built here; absolute (some tests cd).
preload_path() {
    set -- "${GCPROF_PRELOAD:-$top_builddir/.libs/libgcprof-preload.so}"
    case $1 in
    /*) echo "$1" ;;
    *) echo "$PWD/$1" ;;
    esac
}
# use_preload: GCPROF_PRELOAD set to preload_path, and exported.
use_preload() {
    GCPROF_PRELOAD=$(preload_path)
    export GCPROF_PRELOAD
}

# retention_test: this test asks that nothing dead be kept by a stale word;
# scripts/check-sanitizers.sh skips it (77: automake's SKIP) with
# GCPROF_SKIP_RETENTION_TESTS=1. Under ASan the runtime's own memory and its
# instrumentation of the calling program add scanned words the library cannot
# clear, and a dead 1000 MiB block or a demo's object was kept in about 1 run
# in 10 there. The portability matrix and plain make check run it.
retention_test() {
    if [ "${GCPROF_SKIP_RETENTION_TESTS:-}" = 1 ]; then
        echo "skipped: GCPROF_SKIP_RETENTION_TESTS=1"
        exit 77
    fi
}

# ---- helpers of more than one test -----------------------------------------------

# count PATTERN FILE: its lines that match PATTERN (0 when none).
count() {
    grep -c -- "$1" "$2" || true
}

# no_tmp WHAT: fails WHAT when a temporary file (NAME.tmp.XXXXXX) is left in $tmp.
no_tmp() {
    left=$(ls -a "$tmp" | grep '\.tmp\.' || true)
    [ -z "$left" ] || fail "$1: temporary file left: $left"
}
