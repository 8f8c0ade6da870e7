#!/bin/sh
# Build the Debian packages from the committed sources, check them with
# lintian, install them, and use them as a user would: a program built
# against libgcprof-dev with pkg-config alone (shared and static), the
# gcprof command recording a bdwgc program through the installed preload,
# its man pages and its bash completion. The packages are removed again at
# the end, whatever happened (CI runs on a machine that is not thrown away).
#
#     scripts/check-debian.sh            (as root, or with sudo; from the tree)
#
# Needs dpkg-dev, debhelper, fakeroot and lintian (.ci/run installs them),
# and the build dependencies of debian/control (scripts/install-deps.sh).
# The package's own `make check` is skipped (nocheck): CI runs the suite on
# the same sources before this. Exit status 0 when every check passed.
set -u
cd "$(dirname "$0")/.."
src=$(pwd)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "PASS: $*"; }
check() {
    what=$1
    shift
    if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}

tmp=$(mktemp -d) || exit 1
packages="gcprof libgcprof-dev libgcprof2"
installed=0
cleanup() {
    if [ "$installed" = 1 ]; then
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $packages >/dev/null 2>&1 ||
            echo "check-debian: could not remove $packages"
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- build, from the committed tree only -----------------------------------------
git archive --prefix=libgcprof/ HEAD | tar -x -C "$tmp" || exit 1
echo "== dpkg-buildpackage -us -uc -b"
if ! (cd "$tmp/libgcprof" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
    dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1); then
    tail -n 40 "$tmp/build.log"
    echo "FAIL: dpkg-buildpackage"
    exit 1
fi
pass "dpkg-buildpackage built $(cd "$tmp" && echo ./*.deb | wc -w) packages"
changes=$(echo "$tmp"/libgcprof_*.changes)

# ---- lintian: no error and no warning --------------------------------------------
echo "== lintian"
lintian --fail-on error,warning "$changes" >"$tmp/lintian" 2>&1
st=$?
grep -v "^running with root privileges" "$tmp/lintian"
[ "$st" -eq 0 ] && pass "lintian: no error, no warning" || fail "lintian (status $st)"

# ---- install ---------------------------------------------------------------------------
echo "== install"
debs=""
for p in $packages; do debs="$debs $(echo "$tmp/${p}_"*.deb)"; done
# shellcheck disable=SC2086 # the list of files
if $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $debs >"$tmp/apt.log" 2>&1; then
    installed=1
    pass "the three packages install"
else
    cat "$tmp/apt.log"
    fail "apt-get install of the packages"
    exit 1
fi
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
check "libgcprof2 holds the library" dpkg -S "/usr/lib/$ma/libgcprof.so.2"
check "libgcprof2 holds the preload" dpkg -S "/usr/lib/$ma/libgcprof/libgcprof-preload.so"
check "libgcprof-dev holds the header" dpkg -S /usr/include/gcprof.h
check "libgcprof-dev holds the pkg-config file" dpkg -S "/usr/lib/$ma/pkgconfig/libgcprof.pc"
check "gcprof holds the command" dpkg -S /usr/bin/gcprof

# ---- a program against the installed -dev, with pkg-config alone -------------------------
use_c="$src/tests/programs/pkgconfig_use.c"
# shellcheck disable=SC2046 # pkg-config's words
if cc -o "$tmp/use" "$use_c" $(pkg-config --cflags --libs libgcprof) 2>"$tmp/cc.err" &&
    "$tmp/use" >"$tmp/use.out" 2>&1 && grep -q "^ProfileReport(function_name='work'" "$tmp/use.out"; then
    pass "a program built with pkg-config --cflags --libs libgcprof runs"
else
    cat "$tmp/cc.err" "$tmp/use.out" 2>/dev/null
    fail "a program built against the installed libgcprof-dev"
fi
# /lib is /usr/lib on a merged-/usr system: ldd may name either.
check "it uses the installed shared library" \
    sh -c "ldd '$tmp/use' | grep -Eq 'libgcprof.so.2 => (/usr)?/lib/$ma/libgcprof.so.2 '"
# The archive, with what pkg-config --static adds for it (-l:libgcprof.a
# is GNU ld's name for that one file, so the shared library is not taken).
static_libs=$(pkg-config --static --libs libgcprof | sed 's/-lgcprof\b/-l:libgcprof.a/')
# shellcheck disable=SC2046,SC2086
if cc -o "$tmp/use_static" "$use_c" $(pkg-config --cflags libgcprof) $static_libs \
    2>"$tmp/cc.err" && "$tmp/use_static" >"$tmp/static.out" 2>&1 &&
    grep -q "^ProfileReport(function_name='work'" "$tmp/static.out" &&
    ! ldd "$tmp/use_static" | grep -q libgcprof; then
    pass "a program linked with libgcprof.a and pkg-config --static runs"
else
    cat "$tmp/cc.err" "$tmp/static.out" 2>/dev/null
    fail "a program linked with the installed libgcprof.a"
fi

# ---- the command, through the installed preload ------------------------------------
cat >"$tmp/gcprog.c" <<'C'
#include <gc/gc.h>
int main(void)
{
    GC_INIT();
    for (int i = 0; i < 200000; i++)
        (void)GC_MALLOC(100);
    return 0;
}
C
# shellcheck disable=SC2046
if cc -o "$tmp/gcprog" "$tmp/gcprog.c" $(pkg-config --cflags --libs bdw-gc) &&
    (cd "$tmp" && env -u GCPROF_PRELOAD gcprof run -i 0.001 -o run.dat -- ./gcprog >run.log 2>&1) &&
    grep -q "^GCPROF_GC " "$tmp/run.dat"; then
    pass "gcprof run records a bdwgc program's collections through the installed preload"
else
    cat "$tmp/run.log" 2>/dev/null
    fail "gcprof run with the installed preload"
fi
check "gcprof --version says $(dpkg-query -W -f '${Version}' gcprof)" \
    sh -c "gcprof --version | grep -qF '$(dpkg-query -W -f '${Version}' gcprof)'"

# ---- man pages and completion ----------------------------------------------------------
for page in 1:gcprof 3:libgcprof 7:gcprof-env; do
    check "man ${page%%:*} ${page#*:} finds the installed page" man -w "${page%%:*}" "${page#*:}"
    check "man ${page%%:*} ${page#*:} formats it without a warning" \
        sh -c "! man --warnings -E UTF-8 '${page%%:*}' '${page#*:}' 2>&1 >/dev/null | grep -q ."
done
check "bash completion installed where bash-completion looks" \
    test -f /usr/share/bash-completion/completions/gcprof
# As an interactive bash would: bash-completion loads the command's file on
# its first TAB, then `gcprof mas<TAB>` completes the command.
cat >"$tmp/tab.sh" <<'SH'
. /usr/share/bash-completion/bash_completion
__load_completion gcprof || exit 1
fn=$(complete -p gcprof | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
COMP_WORDS=(gcprof mas) COMP_CWORD=1 COMP_LINE="gcprof mas" COMP_POINT=10
"$fn" gcprof mas gcprof
echo "${COMPREPLY[*]}"
SH
if [ -f /usr/share/bash-completion/bash_completion ]; then
    got=$(bash --norc "$tmp/tab.sh" 2>&1)
    check "tab completion works: 'gcprof mas<TAB>' gives '$got'" test "$got" = massif
else
    fail "bash-completion is not installed (scripts/install-deps.sh installs it)"
fi

if [ "$failures" -ne 0 ]; then
    echo "check-debian: $failures failure(s)"
    exit 1
fi
echo "check-debian: PASS"
