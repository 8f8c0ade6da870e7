#!/bin/sh
# libgcprof.pc is well-formed and a program builds against the installed
# layout with nothing but `pkg-config --cflags --libs libgcprof`.
set -eu
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
make_tmp

make -C "$top_builddir" install DESTDIR="$tmp/root" >/dev/null
prefix=$(sed -n 's/^prefix=//p' "$top_builddir/libgcprof.pc")
pcdir=$(find "$tmp/root" -name libgcprof.pc -exec dirname {} \;)
[ -n "$pcdir" ] || die "libgcprof.pc not installed"
grep -q '^Requires.private: bdw-gc' "$pcdir/libgcprof.pc" || die "no Requires.private: bdw-gc"

export PKG_CONFIG_PATH="$pcdir"
export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
flags=$(pkg-config --cflags --libs libgcprof)
# shellcheck disable=SC2086
${CC:-cc} -o "$tmp/use" "$top_srcdir/tests/programs/pkgconfig_use.c" $flags -Wl,-rpath,"$tmp/root$prefix/lib"
out=$(LD_LIBRARY_PATH="$tmp/root$prefix/lib" "$tmp/use")
case "$out" in
    "ProfileReport(function_name='work'"*) echo "PASS: $out" ;;
    *) die "unexpected output: $out" ;;
esac
