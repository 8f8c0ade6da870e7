#!/bin/sh
# source-tree.sh SRCDIR DEST: print the directory an out-of-tree build of
# SRCDIR should configure from. A VPATH build needs a tree never configured
# in place, so DEST (created empty by the caller) gets a copy: the files git
# knows (and autoreconf's output, which it ignores), or else `make distdir`.
# A tree never configured in place is used as it is (DEST is removed).
# autoreconf runs in the copy when it has no configure; its log goes to
# DEST.autoreconf.log. Shared by check-sanitizers.sh and
# check-portability.sh.
set -eu
srcdir=$1
src=$2

if git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$srcdir" && git ls-files -co --exclude-standard | tar -cf - -T -) | tar -xf - -C "$src"
    for f in configure aclocal.m4 config.h.in Makefile.in build-aux m4; do
        if [ -e "$srcdir/$f" ]; then cp -pR "$srcdir/$f" "$src/"; fi
    done
elif [ -f "$srcdir/Makefile" ]; then
    make -s -C "$srcdir" distdir distdir="$src" >/dev/null
else
    rmdir "$src"
    src=$srcdir
fi
if [ ! -x "$src/configure" ]; then
    (cd "$src" && autoreconf -fi) >"$src.autoreconf.log" 2>&1 || {
        tail -n 30 "$src.autoreconf.log" >&2
        echo "source-tree: autoreconf failed in $src" >&2
        exit 1
    }
fi
echo "$src"
