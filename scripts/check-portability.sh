#!/bin/sh
# The truth tests (exact counts, memory saved, peaks, leak verdicts, the
# first profile of a fresh process) under the conditions that differ from
# one machine to the next: lazy or eager binding, -O0 or -O2, ASLR, the
# collector's heap layout, the CPU features glibc uses (which decide how
# much the lazy-binding trampoline spills on the stack), transparent huge
# pages. Prints a table; any cell FAIL or missing fails the run.
#
#     scripts/check-portability.sh
#
# PORT_BUILD_DIR (default /tmp/gcprof-port) gets src/ (a copy of the
# sources, as in check-sanitizers.sh: a VPATH build needs a tree never
# configured in place), O0/ and O2/ (configured with CFLAGS "-O0 -g" and
# "-O2 -g"; the library, demos and tests are built, the tests not run),
# probe/ and logs/ (one log per cell, kept). JOBS (default 2): make -j.
# PORT_THP=no leaves transparent huge pages alone (rows n/a). A
# condition's -O0 and -O2 rows run at the same time.
#
# Why these conditions (doc: BDWGC-NOTES.md, "Learned on a second machine"):
# the collector scans the stack conservatively, so garbage stays alive
# wherever a stale word survives. The lazy-binding trampoline
# (_dl_runtime_resolve_xsavec / _xsave / _fxsave, chosen by ld.so from the
# CPU's features) saves registers in a CPU-dependent area below the
# caller; the optimisation level moves locals and spills; ASLR and the
# heap layout move the addresses such words point to.
#
# Rows (condition x build); each cell is one test command run from the
# build directory, passing when it exits 0:
#   baseline      the caller's environment
#   bind-now      LD_BIND_NOW=1: every symbol bound at load, no trampoline
#   lazy          LD_BIND_NOW removed from the environment (checked: the
#                 GOT[2] slot holds the trampoline)
#   aslr-off      setarch <arch> -R (n/a when personality() is refused)
#   heap-small    GC_INITIAL_HEAP_SIZE=69632: bdwgc 8.2.2 ignores any
#                 value <= 64 KiB (its default) with "Bad initial heap
#                 size", so 65536 would test nothing; this is the smallest
#                 it takes (64 KiB + one block)
#   heap-large    GC_INITIAL_HEAP_SIZE=1073741824
#   fragmented    GCPROF_TEST_PREGROW=fragmented: tests/testutil.c grows
#                 the heap by 64 MiB of mixed small and large objects and
#                 keeps every other one before the suite runs (the Check
#                 suites only; a shell test's cell is n/a, and so is
#                 check_policy's: its decisions scale with the live heap)
#   cpu-noavx512  GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,...: same
#                 trampoline (xsavec) but the AVX-512 string functions are
#                 not used, so the zmm state is not in use and xsavec
#                 writes less of its area
#   cpu-xsave     glibc.cpu.hwcaps=-XSAVEC: _dl_runtime_resolve_xsave
#                 (standard-format area, every component)
#   cpu-fxsave    glibc.cpu.hwcaps=-XSAVEC,-XSAVE: _dl_runtime_resolve_fxsave
#                 (512 bytes; AVX is turned off too). -XSAVE alone
#                 changes nothing while XSAVEC is usable (glibc 2.36
#                 sysdeps/x86/cpu-features.c, after TUNABLE_GET (hwcaps);
#                 sysdeps/x86_64/dl-machine.h, elf_machine_runtime_setup)
#   thp-always    /sys/kernel/mm/transparent_hugepage/enabled = always,
#   thp-never     = never; only when that file can be written (the
#                 original value is put back on exit). Machine-wide:
#                 other processes see it while these rows run.
# The cpu-* rows are x86-64 only. The header shows, for each condition,
# what was measured to take effect: the trampoline in GOT[2] and the
# memset glibc picked (gdb on tests/check_profile, stopped at main), the
# personality, the heap bdwgc starts with (a probe program), the pre-grown
# heap (the suites' own line), the THP setting read back.
#
# Check binaries run with Check's defaults (CK_FORK, CK_RUN_SUITE,
# CK_RUN_CASE and the tag selections are removed from the environment);
# each cell is bounded by timeout(1), 300 s. Failing cells print their
# assertion lines (file:line:F:...) and the last 20 lines of output.
set -eu

# ---- what runs -----------------------------------------------------------
# The truth tests: commands relative to the build directory (a script not
# built there is looked for in the sources, as make check does).
truth_tests="tests/check_profile
tests/check_returned
tests/check_monitor
tests/check_peaks
tests/check_leak
tests/check_heap
tests/check_policy
tests/check_policy_reach
tests/check_threads
tests/check_profiled
tests/check_types
tests/check_leak_report
tests/check_lines_by_caller
tests/check_leak_stacks
tests/check_metrics
tests/check_breakdown
tests/check_first_profile.sh
tests/check_demos.sh"
# Fewer fresh processes per shell-test cell than make check runs: the
# matrix has 24 rows.
FIRST_PROFILE_RUNS="${FIRST_PROFILE_RUNS:-3}"
DEMO_RUNS="${DEMO_RUNS:-2}"
export FIRST_PROFILE_RUNS DEMO_RUNS

conditions="baseline bind-now lazy aslr-off heap-small heap-large fragmented
cpu-noavx512 cpu-xsave cpu-fxsave thp-always thp-never"
builds="O0 O2"

small_heap=69632
large_heap=1073741824
noavx512="glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD"
thp=/sys/kernel/mm/transparent_hugepage/enabled

srcdir=$(cd "$(dirname "$0")/.." && pwd)
jobs=${JOBS:-2}
arch=$(uname -m)
cc=${CC:-cc}
build=${PORT_BUILD_DIR:-/tmp/gcprof-port}
start=$(date +%s)

if [ $# -ne 0 ]; then
    echo "usage: [PORT_BUILD_DIR=DIR] check-portability.sh" >&2
    exit 2
fi
# Check's own selections would run part of a suite.
unset CK_FORK CK_RUN_SUITE CK_RUN_CASE CK_INCLUDE_TAGS CK_EXCLUDE_TAGS \
    CK_EXCLUDE_CASE CK_EXCLUDE_SUITE 2>/dev/null || true

mkdir -p "$build"
build=$(cd "$build" && pwd)
src="$build/src"
logs="$build/logs"
probe="$build/probe"
rm -rf "$src" "$build/O0" "$build/O2" "$logs" "$probe"
mkdir -p "$src" "$logs" "$probe"
echo "check-portability: building in $build"

# ---- a source tree of our own ---------------------------------------------------
src=$("$srcdir/scripts/source-tree.sh" "$srcdir" "$src")

# ---- the two builds ------------------------------------------------------------
for b in $builds; do
    mkdir -p "$build/$b"
    cd "$build/$b"
    opt=-$b
    "$src/configure" CC="$cc" CFLAGS="$opt -g" >configure.log 2>&1 || {
        tail -n 30 configure.log
        echo "check-portability: configure ($b) failed (log: $build/$b/configure.log)"
        exit 1
    }
    # make check with no TESTS builds the test programs and runs nothing.
    { make -j"$jobs" && make -j"$jobs" check TESTS=; } >build.log 2>&1 || {
        tail -n 40 build.log
        echo "check-portability: build ($b) failed (log: $build/$b/build.log)"
        exit 1
    }
done
echo "check-portability: built -O0 and -O2 in $(($(date +%s) - start)) s"

# ---- conditions ------------------------------------------------------------------
# THP: what the file says now ("always [madvise] never" -> madvise).
thp_now() {
    sed -n 's/.*\[\(.*\)\].*/\1/p' "$thp" 2>/dev/null
}
thp_orig=$(thp_now)
thp_restore() {
    if [ -n "$thp_orig" ] && [ "$(thp_now)" != "$thp_orig" ]; then
        echo "$thp_orig" >"$thp" 2>/dev/null ||
            echo "check-portability: could not put THP back to $thp_orig" >&2
    fi
}
trap thp_restore EXIT
trap 'thp_restore; exit 130' INT TERM

# setting COND: what the condition changes.
setting() {
    case $1 in
    baseline) echo "caller's environment" ;;
    bind-now) echo "LD_BIND_NOW=1" ;;
    lazy) echo "LD_BIND_NOW unset" ;;
    aslr-off) echo "setarch $arch -R" ;;
    heap-small) echo "GC_INITIAL_HEAP_SIZE=$small_heap" ;;
    heap-large) echo "GC_INITIAL_HEAP_SIZE=$large_heap" ;;
    fragmented) echo "GCPROF_TEST_PREGROW=fragmented" ;;
    cpu-noavx512) echo "GLIBC_TUNABLES=$noavx512" ;;
    cpu-xsave) echo "GLIBC_TUNABLES=glibc.cpu.hwcaps=-XSAVEC" ;;
    cpu-fxsave) echo "GLIBC_TUNABLES=glibc.cpu.hwcaps=-XSAVEC,-XSAVE" ;;
    thp-always) echo "THP enabled=always" ;;
    thp-never) echo "THP enabled=never" ;;
    esac
}

# unavailable COND: why the condition cannot be set up here (empty: it can).
unavailable() {
    case $1 in
    aslr-off)
        if ! err=$(setarch "$arch" -R true 2>&1); then
            echo "setarch: $(printf '%s' "$err" | head -n 1)"
        fi
        ;;
    cpu-*)
        [ "$arch" = x86_64 ] || echo "x86-64 only"
        ;;
    thp-*)
        if [ "${PORT_THP:-}" = no ]; then
            echo "PORT_THP=no"
        elif [ -z "$thp_orig" ]; then
            echo "no $thp"
        elif ! (echo "$thp_orig" >"$thp") 2>/dev/null; then
            echo "not writable"
        fi
        ;;
    esac
}

# enter COND: the condition's environment, in the calling (sub)shell; the
# command prefix is left in $prefix. Every row but the baseline starts from
# the caller's environment without the variables the matrix varies.
enter() {
    prefix=
    [ "$1" = baseline ] && return 0
    unset LD_BIND_NOW GLIBC_TUNABLES GC_INITIAL_HEAP_SIZE GCPROF_TEST_PREGROW
    case $1 in
    bind-now) LD_BIND_NOW=1 && export LD_BIND_NOW ;;
    aslr-off) prefix="setarch $arch -R" ;;
    heap-small) GC_INITIAL_HEAP_SIZE=$small_heap && export GC_INITIAL_HEAP_SIZE ;;
    heap-large) GC_INITIAL_HEAP_SIZE=$large_heap && export GC_INITIAL_HEAP_SIZE ;;
    fragmented) GCPROF_TEST_PREGROW=fragmented && export GCPROF_TEST_PREGROW ;;
    cpu-noavx512) GLIBC_TUNABLES=$noavx512 && export GLIBC_TUNABLES ;;
    cpu-xsave) GLIBC_TUNABLES=glibc.cpu.hwcaps=-XSAVEC && export GLIBC_TUNABLES ;;
    cpu-fxsave) GLIBC_TUNABLES=glibc.cpu.hwcaps=-XSAVEC,-XSAVE && export GLIBC_TUNABLES ;;
    esac
}

# switch COND: machine-wide settings (THP) for the condition's rows.
switch() {
    case $1 in
    thp-always) echo always >"$thp" ;;
    thp-never) echo never >"$thp" ;;
    *) thp_restore ;;
    esac
}

# ---- proof that a condition takes effect -------------------------------------
# The heap bdwgc starts with, as a program of the condition sees it.
cat >"$probe/heap.c" <<'EOF'
#include <gc/gc.h>
#include <stdio.h>
int main(void)
{
    GC_INIT();
    printf("%lu\n", (unsigned long)GC_get_heap_size());
    return 0;
}
EOF
# shellcheck disable=SC2046 # pkg-config's flags are words
$cc -o "$probe/heap" "$probe/heap.c" $(pkg-config --cflags --libs bdw-gc) 2>"$probe/heap.log" ||
    rm -f "$probe/heap"

# binding COND: the lazy-binding trampoline ld.so put in the program's
# GOT[2] (0 when bound at load) and the memset glibc chose, in
# tests/check_profile stopped at main.
binding() {
    command -v gdb >/dev/null 2>&1 || {
        echo "unverified (no gdb)"
        return 0
    }
    out=$(
        cd "$build/O0"
        enter "$1"
        timeout 60 gdb -q -batch -nx -ex 'set startup-with-shell off' -ex 'break main' -ex run \
            -ex 'output ((void**)&_GLOBAL_OFFSET_TABLE_)[2]' -ex 'echo \n' \
            -ex 'info symbol ((void*(*)(void*,const char*))dlsym)((void*)0,"memset")' \
            -ex kill tests/check_profile </dev/null 2>&1
    ) || true
    got=$(printf '%s\n' "$out" | sed -n 's/^(void \*) 0x[0-9a-f]* <\(.*\)>$/\1/p' | head -n 1)
    if [ -z "$got" ] && printf '%s\n' "$out" | grep -q '^(void \*) 0x0$'; then
        got="0 (bound at load)"
    fi
    memset=$(printf '%s\n' "$out" | sed -n 's/^\(__memset[a-z0-9_]*\) in section.*/\1/p' | head -n 1)
    echo "GOT[2] ${got:-?}, memset ${memset:-?}"
}

# verify COND: sets $evidence (one line for the header) and $effective:
# no when the measurement contradicts the condition (that fails the run:
# the row would not test what it says), else yes or unknown.
verify() {
    effective=yes
    case $1 in
    baseline | bind-now | lazy | cpu-*)
        evidence=$(binding "$1")
        case $1:$evidence in
        *:unverified*) effective=unknown ;;
        bind-now:"GOT[2] 0 "*) ;;
        lazy:"GOT[2] _dl_runtime_resolve_"* | cpu-noavx512:"GOT[2] _dl_runtime_resolve_"*) ;;
        cpu-xsave:"GOT[2] _dl_runtime_resolve_xsave,"*) ;;
        cpu-fxsave:"GOT[2] _dl_runtime_resolve_fxsave,"*) ;;
        baseline:*) ;;
        *) effective=no ;;
        esac
        ;;
    aslr-off)
        pers=$(setarch "$arch" -R cat /proc/self/personality)
        s1=$(setarch "$arch" -R grep '\[stack\]' /proc/self/maps | cut -d' ' -f1)
        s2=$(setarch "$arch" -R grep '\[stack\]' /proc/self/maps | cut -d' ' -f1)
        evidence="personality $pers, stack $s1 $([ "$s1" = "$s2" ] && echo "in two runs" || echo "then $s2")"
        evidence="$evidence (randomize_va_space=$(cat /proc/sys/kernel/randomize_va_space))"
        [ $((0x$pers & 0x0040000)) -ne 0 ] && [ "$s1" = "$s2" ] || effective=no
        ;;
    heap-*)
        if [ -x "$probe/heap" ]; then
            got=$(enter "$1" && "$probe/heap" 2>&1 | tr '\n' ' ')
            def=$(env -u GC_INITIAL_HEAP_SIZE "$probe/heap" 2>&1)
            evidence="heap after GC_INIT: ${got% } bytes (default $def)"
            want=$small_heap
            [ "$1" = heap-small ] || want=$large_heap
            [ "${got% }" = "$want" ] || effective=no
        else
            evidence="unverified (the probe did not build: $probe/heap.log)"
            effective=unknown
        fi
        ;;
    fragmented)
        evidence=$(cat "$logs"/fragmented.O0.*.log 2>/dev/null | grep -m 1 '^testutil: pregrow' || true)
        [ -n "$evidence" ] || {
            evidence="no 'testutil: pregrow' line from the suites"
            effective=no
        }
        ;;
    thp-*)
        evidence="read back: $(thp_now)"
        [ "$(thp_now)" = "${1#thp-}" ] || effective=no
        ;;
    esac
}

# ---- the cells -----------------------------------------------------------------------
# cell COND BUILD TEST: runs one test, sets $result.
cell() {
    log="$logs/$1.$2.$(basename "$3").log"
    cmd=$3
    if [ ! -e "$build/$2/$cmd" ]; then
        if [ -e "$src/$cmd" ]; then
            cmd=$src/$cmd
        else
            result=missing
            echo "$3: not in $build/$2 nor in $src" >"$log"
            return 0
        fi
    fi
    if [ "$1" = fragmented ] && [ "${cmd%.sh}" != "$cmd" ]; then
        result="n/a"
        echo "a shell test: it does not run tests/testutil.c" >"$log"
        return 0
    fi
    # check_policy tests decisions that scale with the live heap by design
    # (collect when garbage exceeds a multiple of it), with fixed amounts
    # of garbage chosen against the suite's own small live set: 32 MiB
    # kept live beforehand changes the decision, not the truth of a figure.
    if [ "$1" = fragmented ] && [ "$(basename "$3")" = check_policy ]; then
        result="n/a"
        echo "decisions scale with the live heap; the pre-grown 32 MiB changes them" >"$log"
        return 0
    fi
    rc=0
    (
        cd "$build/$2"
        top_builddir=. top_srcdir=$src
        # The build's modules, as make check gives them (by-caller line
        # tables and leak checks by stack symbolise through the pprof one;
        # the metrics endpoint serves through the HTTP one).
        GCPROF_PPROF_MODULE=$build/$2/.libs/libgcprof-pprof.so
        GCPROF_HTTP_MODULE=$build/$2/.libs/libgcprof-http.so
        export top_builddir top_srcdir GCPROF_PPROF_MODULE GCPROF_HTTP_MODULE
        enter "$1"
        # shellcheck disable=SC2086 # $prefix is a command and its words
        case $cmd in
        *.sh) exec timeout 300 $prefix sh "$cmd" ;;
        *) exec timeout 300 $prefix "$cmd" ;;
        esac
    ) >"$log" 2>&1 || rc=$?
    result=PASS
    [ "$rc" -eq 0 ] || result=FAIL
    [ "$rc" -ne 124 ] || echo "check-portability: timed out after 300 s" >>"$log"
    if [ "$1" = fragmented ] && ! grep -q '^testutil: pregrow fragmented' "$log"; then
        result=FAIL # the condition did not take effect
        echo "check-portability: no pre-grown heap (no 'testutil: pregrow' line)" >>"$log"
    fi
    return 0
}

results="$logs/results"
: >"$results"
not_in_effect=0
n_rows=$(($(echo "$conditions" | wc -w) * $(echo "$builds" | wc -w)))
row=0
for c in $conditions; do
    why=$(unavailable "$c")
    [ -n "$why" ] || switch "$c"
    # The builds' rows of one condition at once (two processes: the
    # condition is the same for both, THP included; each test is a
    # process of its own, as under make check -j2), then printed in order.
    t0=$(date +%s)
    for b in $builds; do
        (
            line=""
            for t in $truth_tests; do
                if [ -n "$why" ]; then
                    result="n/a"
                else
                    cell "$c" "$b" "$t"
                fi
                line="$line $result"
                printf '%s %s %s %s\n' "$c" "$b" "$t" "$result" >>"$logs/.rows.$b"
            done
            echo "$line" >"$logs/.line.$b"
        ) &
    done
    wait
    for b in $builds; do
        row=$((row + 1))
        cat "$logs/.rows.$b" >>"$results"
        printf 'check-portability: [%2d/%d] %-13s -%s %3d s:%s\n' "$row" "$n_rows" "$c" \
            "$b" "$(($(date +%s) - t0))" "$(cat "$logs/.line.$b")"
        rm -f "$logs/.rows.$b" "$logs/.line.$b"
    done
    if [ -n "$why" ]; then
        evidence="n/a ($why)"
    else
        verify "$c"
        if [ "$effective" = no ]; then
            evidence="NOT IN EFFECT: $evidence"
            not_in_effect=$((not_in_effect + 1))
        fi
    fi
    printf '%s\t%s\t%s\n' "$c" "$(setting "$c")" "$evidence" >>"$logs/verified"
    thp_restore
done

# ---- the tables ---------------------------------------------------------------------
echo
echo "Conditions (and what was measured to take effect; THP was ${thp_orig:-absent}):"
awk -F'\t' '{ printf "  %-13s %s\n  %13s -> %s\n", $1, $2, "", $3 }' "$logs/verified"
echo
{
    printf '%-13s %-5s' condition build
    for t in $truth_tests; do printf ' %-14s' "$(basename "$t")"; done
    echo
    for c in $conditions; do
        for b in $builds; do
            printf '%-13s -%-4s' "$c" "$b"
            for t in $truth_tests; do
                printf ' %-14s' "$(awk -v c="$c" -v b="$b" -v t="$t" \
                    '$1 == c && $2 == b && $3 == t { print $4 }' "$results")"
            done
            echo
        done
    done
}

# ---- what failed, and why ------------------------------------------------------------
bad=0
while read -r c b t r; do
    case $r in
    FAIL | missing) ;;
    *) continue ;;
    esac
    bad=$((bad + 1))
    log="$logs/$c.$b.$(basename "$t").log"
    echo
    if [ "$r" = missing ]; then
        echo "== missing: $(cat "$log")"
        continue
    fi
    echo "== $r: $c ($(setting "$c")), -$b, $t (log: $log)"
    grep -E '^[^ ]+:[0-9]+:[EF]:' "$log" || true
    echo "-- last 20 lines:"
    tail -n 20 "$log"
done <"$results"

pass=$(awk '$4 == "PASS"' "$results" | wc -l)
fail=$(awk '$4 == "FAIL"' "$results" | wc -l)
missing=$(awk '$4 == "missing"' "$results" | wc -l)
na=$(awk '$4 == "n/a"' "$results" | wc -l)
echo
echo "check-portability: $pass PASS, $fail FAIL, $missing missing, $na n/a;" \
    "$not_in_effect condition(s) not in effect; $(($(date +%s) - start)) s (logs: $logs)"
if [ "$bad" -ne 0 ] || [ "$not_in_effect" -ne 0 ]; then
    echo "check-portability: FAIL"
    exit 1
fi
echo "check-portability: PASS"
