#!/bin/sh
# Raw heap dumps into pprof inside the program, through the pprof module
# (libgcprof-pprof.so, pprof/module.c) that libgcprof loads for the call
# (runtime/features/pprof_module.c), and offline with `gcprof pprof`:
# - the module exports its two symbols only, and libgcprof.so links none
#   of libdw, protobuf-c and zlib;
# - a dump of tests/programs/selfdump's own stacks, converted by
#   tests/pprof_module_driver (gcp__pprof_convert, in a process that
#   collects before and after) from a descriptor left at another offset
#   and unlinked, reads in go tool pprof with the dump's functions and
#   values (addr2line finds them), and is byte for byte gcprof pprof's;
#   four threads at once write the same bytes;
# - GCPROF_PPROF_MODULE at a missing file, at libc, at a file that is no
#   ELF, at another ABI's module: GCP_ENOTFOUND naming the file, no crash;
#   a bad dump or an unwritable output: GCP_EIO with the module's message;
# - gcprof pprof's arguments, errors and standard input.
# Exit 0 pass, 1 fail, 77 skip. Run alone: top_builddir=. sh tests/check_pprof_module.sh
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
command -v addr2line >/dev/null 2>&1 || skip "addr2line is not installed (binutils)"
driver="$top_builddir/tests/pprof_module_driver"
selfdump="$top_builddir/tests/programs/selfdump"
module=${GCPROF_PPROF_MODULE:-$top_builddir/.libs/libgcprof-pprof.so}
need_built "$driver" "$selfdump" "$gcprof" "$module"
GCPROF_PPROF_MODULE=$module
export GCPROF_PPROF_MODULE

# Go's caches under the build tree too, removed at the end; no network.
# The fake modules in a short directory: gcp_last_error() keeps 255 bytes,
# and the messages about them name the path and end in the advice.
tmp="$top_builddir/tests/pprof_module.$$"
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
short=$(mktemp -d) || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp" "$short"' EXIT
trap 'exit 1' INT TERM

# drive ARGS...: the driver's output in $tmp/out, its status in $rc.
drive() {
    "$driver" "$@" >"$tmp/out" 2>&1
    rc=$?
}
said() { grep -qF -- "$1" "$tmp/out"; }

# ---- the module's symbols; libgcprof.so's libraries ------------------------
syms=$(nm -D --defined-only "$module" | awk 'NF == 3 {print $3}' | sort | tr '\n' ' ')
check "the module exports gcp_pprof_module_abi, _convert and _each_sample only ($syms)" \
    [ "$syms" = "gcp_pprof_module_abi gcp_pprof_module_convert gcp_pprof_module_each_sample " ]
lib="$top_builddir/.libs/libgcprof.so"
if [ -f "$lib" ]; then
    needed=$(readelf -d "$lib" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    check "libgcprof.so needs no libdw, protobuf-c or zlib ($needed)" \
        not sh -c "echo '$needed' | grep -Eq 'libdw|libprotobuf-c|libz\\.'"
fi

# ---- a dump converted in the program ----------------------------------------
"$selfdump" "$tmp/self.dump" || die "selfdump failed"
cp "$tmp/self.dump" "$tmp/gone.dump"
drive --offset 100 --unlink "$tmp/gone.dump" "$tmp/self.pb.gz"
check "converted from an unlinked descriptor at offset 100 (status $rc)" [ "$rc" -eq 0 ]
said rc=GCP_OK || fail "the driver says: $(cat "$tmp/out")"
[ -s "$tmp/self.pb.gz" ] || die "no profile written: $(cat "$tmp/out")"
"$gcprof" pprof -o "$tmp/offline.pb.gz" "$tmp/self.dump" 2>"$tmp/offline.err" ||
    fail "gcprof pprof: $(cat "$tmp/offline.err")"
check "gcprof pprof writes the module's bytes" cmp -s "$tmp/self.pb.gz" "$tmp/offline.pb.gz"
check "gcprof pprof says nothing for a dump it fully names" [ ! -s "$tmp/offline.err" ]

drive --threads 4 "$tmp/self.dump" "$tmp/thread.pb.gz"
check "four threads convert at once (status $rc)" [ "$rc" -eq 0 ]
for i in 1 2 3 4; do
    check "thread $i wrote the same bytes" cmp -s "$tmp/self.pb.gz" "$tmp/thread.pb.gz.$i"
done

# What each stack should show: its innermost address's function by addr2line
# (address - 1 - the map's bias, in the executable), with its values.
exe=$(awk '$1 == "map" {print substr($0, index($0, $7)); exit}' "$tmp/self.dump")
bias=$(awk '$1 == "map" {print $5; exit}' "$tmp/self.dump")
grep '^stack ' "$tmp/self.dump" | while read -r _ _ aobj aspace iobj ispace pc _; do
    fn=$(addr2line -f -e "$exe" "$(printf '%x' $((0x$pc - 1 - 0x$bias)))" | head -1)
    echo "$fn $aobj $aspace $iobj $ispace"
done >"$tmp/expected"
grep -q '^selfdump_alpha ' "$tmp/expected" || fail "addr2line does not find selfdump_alpha"
grep -q '^selfdump_beta ' "$tmp/expected" || fail "addr2line does not find selfdump_beta"

if command -v go >/dev/null 2>&1; then
    GOCACHE="$tmp/gocache" GOPATH="$tmp/gopath" HOME="$tmp" GOFLAGS="" GOPROXY=off
    GOTOOLCHAIN=local
    export GOCACHE GOPATH HOME GOFLAGS GOPROXY GOTOOLCHAIN
    col=2
    for index in alloc_objects alloc_space inuse_objects inuse_space; do
        go tool pprof -top -sample_index="$index" -unit=B "$tmp/self.pb.gz" >"$tmp/top" 2>&1 ||
            fail "go tool pprof -top: $(cat "$tmp/top")"
        for fn in selfdump_alpha selfdump_beta; do
            want=$(awk -v f="$fn" -v c="$col" '$1 == f {s += $c} END {print s + 0}' \
                "$tmp/expected")
            got=$(awk -v f="$fn" '$6 == f {v = $1; sub(/B$/, "", v); print v; found = 1}
                                  END {if (!found) print "absent"}' "$tmp/top")
            # go tool pprof leaves out functions whose flat value is 0
            [ "$want" -eq 0 ] && [ "$got" = absent ] && got=0
            check "$index of $fn: go tool pprof $got, the dump $want" [ "$got" = "$want" ]
        done
        col=$((col + 1))
    done
else
    echo "SKIP (part): go is not installed: the profile is not read by go tool pprof"
fi
# gcprof's own reader, in any case: alloc_space per function
for fn in selfdump_alpha selfdump_beta; do
    want=$(awk -v f="$fn" '$1 == f {s += $3} END {print s + 0}' "$tmp/expected")
    got=$("$gcprof" top --alloc --raw "$tmp/self.pb.gz" | awk -v f="$fn" '$6 == f {print $1}')
    check "gcprof top --raw: $fn allocated $got, the dump $want" [ "$got" = "$want" ]
done

# ---- no usable module: GCP_ENOTFOUND, naming it -------------------------------
# notfound WHAT TEXT: the driver failed with GCP_ENOTFOUND (status 1: no crash),
# saying TEXT and the advice, and wrote nothing.
notfound() {
    check "$1: GCP_ENOTFOUND (status $rc)" [ "$rc" -eq 1 ]
    said rc=GCP_ENOTFOUND || fail "$1: $(cat "$tmp/out")"
    said "$2" || fail "$1: the message does not say '$2': $(cat "$tmp/out")"
    said 'convert it with `gcprof pprof`' || fail "$1: no advice: $(cat "$tmp/out")"
    [ ! -e "$tmp/none.pb.gz" ] || fail "$1: a profile was written"
}
GCPROF_PPROF_MODULE="$short/no-such-module.so" drive "$tmp/self.dump" "$tmp/none.pb.gz"
notfound "a missing module" "pprof module $short/no-such-module.so: No such file or directory"
libc=$(ldd "$driver" | awk '$1 ~ /^libc\.so/ {print $3}')
if [ -f "$libc" ]; then
    GCPROF_PPROF_MODULE=$libc drive "$tmp/self.dump" "$tmp/none.pb.gz"
    notfound "libc as the module" "$libc is not the pprof module"
fi
cp "$tmp/self.dump" "$short/self.dump"
GCPROF_PPROF_MODULE="$short/self.dump" drive "$tmp/self.dump" "$tmp/none.pb.gz"
notfound "a file that is no ELF" "pprof module $short/self.dump cannot be loaded: invalid ELF"
if command -v cc >/dev/null 2>&1; then
    printf '%s\n' 'const unsigned gcp_pprof_module_abi = 1;' \
        'int gcp_pprof_module_convert(void) { return 0; }' >"$short/abi1.c"
    if cc -shared -fPIC -o "$short/abi1.so" "$short/abi1.c" 2>"$tmp/cc.err"; then
        GCPROF_PPROF_MODULE="$short/abi1.so" drive "$tmp/self.dump" "$tmp/none.pb.gz"
        notfound "another ABI's module" "pprof module $short/abi1.so: ABI 1, this libgcprof wants 2"
    else
        fail "cc: $(cat "$tmp/cc.err")"
    fi
    printf '%s\n' 'const unsigned gcp_pprof_module_abi = 2;' \
        'int gcp_pprof_module_convert(void) { return 0; }' >"$short/half.c"
    if cc -shared -fPIC -o "$short/half.so" "$short/half.c" 2>"$tmp/cc.err"; then
        GCPROF_PPROF_MODULE="$short/half.so" drive "$tmp/self.dump" "$tmp/none.pb.gz"
        notfound "ABI 2 without its third symbol" \
            "$short/half.so is not the pprof module (no gcp_pprof_module_each_sample)"
    else
        fail "cc: $(cat "$tmp/cc.err")"
    fi
fi
# a name without '/' is a file in the current directory, not a library search
(cd "$(dirname "$module")" && GCPROF_PPROF_MODULE=$(basename "$module") \
    "$driver" "$tmp/self.dump" "$tmp/bare.pb.gz") >"$tmp/out" 2>&1
check "GCPROF_PPROF_MODULE=$(basename "$module") in its directory: $(cat "$tmp/out")" \
    cmp -s "$tmp/bare.pb.gz" "$tmp/self.pb.gz"
(cd "$short" && GCPROF_PPROF_MODULE=$(basename "$module") \
    "$driver" "$tmp/self.dump" "$tmp/none.pb.gz") >"$tmp/out" 2>&1
rc=$?
notfound "a bare name elsewhere" "pprof module ./$(basename "$module"): No such file"

# ---- the module fails: GCP_EIO, its message ----------------------------------
printf 'not a dump\n' >"$tmp/bad.dump"
drive "$tmp/bad.dump" "$tmp/none.pb.gz"
check "a bad dump: status 1 ($rc)" [ "$rc" -eq 1 ]
check "a bad dump: GCP_EIO" said rc=GCP_EIO
check "a bad dump: the line named" said ":1: not a gcprof heap dump"
drive "$tmp/self.dump" "$tmp/no-dir/out.pb.gz"
check "an unwritable output: status 1 ($rc)" [ "$rc" -eq 1 ]
check "an unwritable output: GCP_EIO" said rc=GCP_EIO
check "an unwritable output: named" said "$tmp/no-dir/out.pb.gz"
no_tmp "the failures"

# ---- gcprof pprof ------------------------------------------------------------
# expect STATUS TEXT ARGS...: gcprof pprof ARGS exits STATUS and says TEXT.
expect() {
    want=$1 text=$2
    shift 2
    "$gcprof" pprof "$@" >"$tmp/out" 2>&1
    got=$?
    check "gcprof pprof $*: status $got, want $want" [ "$got" -eq "$want" ]
    said "$text" || fail "gcprof pprof $*: does not say '$text': $(cat "$tmp/out")"
}
expect 0 "Usage: gcprof pprof -o OUT.pb.gz RAW" --help
expect 2 "gcprof pprof: no output given: -o OUT.pb.gz" "$tmp/self.dump"
expect 2 "gcprof pprof: no RAW given" -o "$tmp/x.pb.gz"
expect 2 "gcprof pprof: more than one RAW" -o "$tmp/x.pb.gz" "$tmp/self.dump" "$tmp/self.dump"
expect 2 "gcprof pprof: empty file name for -o" -o '' "$tmp/self.dump"
expect 2 "is the input RAW" -o "$tmp/self.dump" "$tmp/self.dump"
expect 2 "gcprof pprof: unknown option" --bogus "$tmp/self.dump"
expect 1 "gcprof pprof: $tmp/bad.dump:1: not a gcprof heap dump" -o "$tmp/x.pb.gz" "$tmp/bad.dump"
expect 1 "gcprof pprof: $tmp/absent.dump: No such file or directory" -o "$tmp/x.pb.gz" \
    "$tmp/absent.dump"
expect 1 "gcprof pprof: cannot write $tmp/no-dir/x.pb.gz" -o "$tmp/no-dir/x.pb.gz" "$tmp/self.dump"
[ ! -e "$tmp/x.pb.gz" ] || fail "gcprof pprof wrote a profile while failing"
"$gcprof" pprof -o "$tmp/stdin.pb.gz" - <"$tmp/self.dump" || fail "gcprof pprof - <file"
check "RAW '-' from a file: the same bytes" cmp -s "$tmp/stdin.pb.gz" "$tmp/self.pb.gz"
cat "$tmp/self.dump" | "$gcprof" pprof -o "$tmp/pipe.pb.gz" - || fail "gcprof pprof - <pipe"
check "RAW '-' from a pipe: the same bytes" cmp -s "$tmp/pipe.pb.gz" "$tmp/self.pb.gz"
# a dump whose executable changed: frames unnamed, and a note says why
if awk '$1 == "map" && $6 != "-" {found = 1} END {exit !found}' "$tmp/self.dump"; then
    sed 's/^\(map [^ ]* [^ ]* [^ ]* [^ ]* \)[0-9a-f]*/\1deadbeef/' "$tmp/self.dump" >"$tmp/old.dump"
    expect 0 "gcprof pprof: note: $exe not symbolised: its build ID is" -o "$tmp/old.pb.gz" \
        "$tmp/old.dump"
fi
no_tmp "gcprof pprof"

finish "PASS: raw heap dumps into pprof, in the program through the module and with gcprof pprof"
