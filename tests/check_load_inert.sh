#!/bin/sh
# Linking libgcprof changes nothing a program does until it calls in: at
# load the library opens no file, allocates nothing, starts no thread and
# reads nothing (its constructor only stores a pointer; doc/architecture.md,
# "Start-up"). Checked with strace: an idle program linked with the library
# makes, once the libraries are mapped, the same system calls as the same
# program linked without it. Even with the start variables set: they are
# read at the first call, which the idle program never makes.
# Needs strace with ptrace allowed; exits 77 otherwise.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null 2>&1 || skip "no strace (Debian: apt-get install strace)"
strace -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace not allowed)"
lib="$top_builddir/.libs"
[ -f "$lib/libgcprof.so" ] || skip "no shared library built"
# An ASan build (scripts/check-sanitizers.sh): the sanitizer runtime makes
# calls of its own at load and exit, and LeakSanitizer stops under ptrace.
asan_built "$lib/libgcprof.so" && skip "an ASan build: its runtime's own calls; the plain build checks this"
make_tmp

# Each program names one library function, so the library is linked and
# loaded (with --as-needed too), and never calls it. The one without
# libgcprof links libgc, which libgcprof loads too.
cat >"$tmp/idle.c" <<'SRC'
#include <gc/gc.h>
#include "gcprof.h"
int main(int argc, char **argv)
{
    (void)argv;
#ifdef WITH_LIB
    return argc > 99 ? gcp_init() : 0;
#else
    return argc > 99 ? (int)GC_get_version() : 0;
#endif
}
SRC
# shellcheck disable=SC2046 # pkg-config's words are flags
${CC:-cc} -I"$top_srcdir/include" -DWITH_LIB -o "$tmp/with" "$tmp/idle.c" -L"$lib" -lgcprof \
    -Wl,-rpath,"$lib" $(pkg-config --cflags --libs bdw-gc) || die "cannot link against $lib"
# shellcheck disable=SC2046
${CC:-cc} -I"$top_srcdir/include" -o "$tmp/without" "$tmp/idle.c" \
    $(pkg-config --cflags --libs bdw-gc) || die "cannot link against libgc"

# The calls that change or reveal a process, less the loading of shared
# objects (their opens, the linker cache, failed lookups).
watched=open,openat,creat,brk,clone,clone3,fork,vfork,socket,connect,write,unlink,unlinkat
watched=$watched,rename,renameat,renameat2,mkdir,mkdirat,kill,rt_sigaction,prlimit64,setrlimit
calls() {
    strace -f -qq -e trace="$watched" -o "$tmp/trace" "$@" || fail "$*: exit status $?"
    sed -e 's/^[0-9]* *//' -e 's/ *= .*//' -e 's/0x[0-9a-f]*/ADDR/g' "$tmp/trace" |
        grep -v -e 'ld\.so\.cache' -e '\.so[.0-9]*"' -e '^+++ exited'
}
calls "$tmp/without" >"$tmp/without.calls"
for set in "" "GCPROF_MONITOR_OUT=$tmp/never.dat GCPROF_TRACE=1 GCPROF_SITES=1"; do
    opts=""
    for v in $set; do opts="$opts -E $v"; done
    # shellcheck disable=SC2086 # -E VAR=VALUE words
    calls $opts "$tmp/with" >"$tmp/with.calls"
    if ! diff "$tmp/without.calls" "$tmp/with.calls" >"$tmp/diff"; then
        fail "with the library loaded${set:+ ($set)}, the idle program made other calls:"
        sed 's/^/    /' "$tmp/diff"
    fi
done
[ -e "$tmp/never.dat" ] && fail "the idle program wrote $tmp/never.dat: nothing was called"
n=$(wc -l <"$tmp/with.calls")
finish "PASS: an idle program makes the same $n watched system calls with libgcprof loaded as without"
