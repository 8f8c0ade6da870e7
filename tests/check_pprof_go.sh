#!/bin/sh
# pprof files against Go's own tools: what pprof/ writes (a dump of
# tests/programs/selfdump's own stacks, converted by tests/pprof_convert)
# read by `go tool pprof`, its functions and values equal to the dump's as
# addr2line and this script find them; and a heap profile written by Go's
# runtime/pprof read by pprof/'s reader, its functions and values equal to
# what `go tool pprof` reads in it.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
command -v go >/dev/null 2>&1 || skip "go is not installed (Debian: apt-get install golang-go)"
command -v addr2line >/dev/null 2>&1 || skip "addr2line is not installed (binutils)"
convert="$top_builddir/tests/pprof_convert"
selfdump="$top_builddir/tests/programs/selfdump"
need_built "$convert" "$selfdump"

# Go's caches under the build tree, removed at the end; no network, no module.
tmp="$top_builddir/tests/pprof_go.$$"
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
GOCACHE="$tmp/gocache" GOPATH="$tmp/gopath" HOME="$tmp" GOFLAGS="" GOPROXY=off GOTOOLCHAIN=local
export GOCACHE GOPATH HOME GOFLAGS GOPROXY GOTOOLCHAIN

# ---- ours, read by go tool pprof ------------------------------------------
"$selfdump" "$tmp/self.dump" || die "selfdump failed"
"$convert" "$tmp/self.dump" "$tmp/self.pb.gz" >"$tmp/convert.out" 2>&1 ||
    die "pprof_convert: $(cat "$tmp/convert.out")"

# What each stack should show: its innermost address's function by addr2line
# (address - 1 - the map's bias, in the executable), with its values.
exe=$(awk '$1 == "map" {print substr($0, index($0, $7)); exit}' "$tmp/self.dump")
bias=$(awk '$1 == "map" {print $5; exit}' "$tmp/self.dump")
: >"$tmp/expected"
grep '^stack ' "$tmp/self.dump" | while read -r _ _ aobj aspace iobj ispace pc _; do
    addr=$(printf '%x' $((0x$pc - 1 - 0x$bias)))
    fn=$(addr2line -f -e "$exe" "$addr" | head -1)
    echo "$fn $aobj $aspace $iobj $ispace" >>"$tmp/expected"
done
[ "$(wc -l <"$tmp/expected")" -eq 3 ] || die "selfdump wrote $(wc -l <"$tmp/expected") stacks, not 3"
grep -q '^selfdump_alpha ' "$tmp/expected" || fail "addr2line does not find selfdump_alpha"
grep -q '^selfdump_beta ' "$tmp/expected" || fail "addr2line does not find selfdump_beta"

# flat per function, for value column $1 (2: alloc_objects ... 5: inuse_space)
expected_flat() {
    awk -v f="$1" -v c="$2" '$1 == f {s += $c} END {print s + 0}' "$tmp/expected"
}
# go tool pprof -top's flat value of function $1 for sample index $2 (units: B)
go_flat() {
    go tool pprof -top -sample_index="$2" -unit=B "$tmp/self.pb.gz" 2>/dev/null |
        awk -v f="$1" '$6 == f {v = $1; sub(/B$/, "", v); print v; found = 1}
                       END {if (!found) print "absent"}'
}
col=2
for index in alloc_objects alloc_space inuse_objects inuse_space; do
    for fn in selfdump_alpha selfdump_beta; do
        want=$(expected_flat "$fn" "$col")
        got=$(go_flat "$fn" "$index")
        # go tool pprof leaves out functions whose flat value is 0
        [ "$want" -eq 0 ] && [ "$got" = absent ] && got=0
        check "$index of $fn: go tool pprof $got, the dump $want" [ "$got" = "$want" ]
    done
    col=$((col + 1))
done

# -traces: one trace per stack, its alloc_space and innermost function
go tool pprof -traces -sample_index=alloc_space -unit=B "$tmp/self.pb.gz" >"$tmp/traces" 2>&1 ||
    fail "go tool pprof -traces: $(cat "$tmp/traces")"
awk '$1 ~ /^[0-9]+B$/ {v = $1; sub(/B$/, "", v); print $2, v}' "$tmp/traces" | sort >"$tmp/traces.got"
awk '{print $1, $3}' "$tmp/expected" | sort >"$tmp/traces.want"
check "-traces shows each stack's function and alloc_space" cmp -s "$tmp/traces.got" "$tmp/traces.want"
check "-traces shows the kind label" grep -q 'kind:  *atomic' "$tmp/traces"
check "-traces shows main as the caller" grep -q '^  *main$' "$tmp/traces"

# ---- Go's, read by ours ----------------------------------------------------
if ! (cd "$tmp" && go run "$top_srcdir/tests/programs/goheap.go" "$tmp/heap.pb.gz") \
    >"$tmp/go.out" 2>&1; then
    cat "$tmp/go.out"
    die "go run tests/programs/goheap.go failed"
fi
"$convert" --top "$tmp/heap.pb.gz" >"$tmp/top" 2>&1 || die "pprof_convert --top: $(cat "$tmp/top")"
for fn in main.allocAlpha main.allocBeta; do
    ours=$(awk -v f="$fn" '$1 == f {print $3}' "$tmp/top")
    theirs=$(go tool pprof -top -sample_index=alloc_space -unit=B "$tmp/heap.pb.gz" 2>/dev/null |
        awk -v f="$fn" '$6 == f {v = $1; sub(/B$/, "", v); print v}')
    check "$fn read from Go's heap profile" [ -n "$ours" ]
    check "$fn's alloc_space: ours $ours, go tool pprof $theirs" [ "$ours" = "$theirs" ]
done
# at MemProfileRate 1 every allocation counts: 100 x 4 KiB, 20 x 64 KiB at least
alpha=$(awk '$1 == "main.allocAlpha" {print $3}' "$tmp/top")
beta=$(awk '$1 == "main.allocBeta" {print $3}' "$tmp/top")
check "main.allocAlpha allocated at least 409600 bytes ($alpha)" [ "${alpha:-0}" -ge 409600 ]
check "main.allocBeta allocated at least 1310720 bytes ($beta)" [ "${beta:-0}" -ge 1310720 ]

finish "PASS: go tool pprof reads our profiles, and we read Go's"
