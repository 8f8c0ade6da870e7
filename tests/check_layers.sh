#!/bin/sh
# The layers point one way (doc/architecture.md):
#   common <- runtime/heap <- runtime/collect <- runtime/features <- runtime/serve
#   <- runtime/start
# and the command (tools/) builds on common/, pprof/ (heap profiles,
# collector-free) and http/ (the metrics endpoint's server, which builds on
# common/ alone), the preload on common/ alone.
# 1. Includes: every quoted include names a header of the file's own layer
#    or a layer below it, by name (no paths: the build's -I list is the
#    layer's, so a wrong-way include would not compile either).
# 2. Calls: with nm, every gcp_ symbol a layer's library uses is defined in
#    that layer or one below, and no two files of the runtime call each
#    other, directly or round a longer loop (tsort finds loops).
set -eu
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
export LC_ALL=C
make_tmp

layers="common runtime/heap runtime/collect runtime/features runtime/serve runtime/start"

# The directories a file in $1 may include from (besides its own).
allowed() {
    case $1 in
    common) echo "common" ;;
    runtime/heap) echo "include common runtime/heap" ;;
    runtime/collect) echo "include common runtime/heap runtime/collect" ;;
    runtime/features) echo "include common runtime/heap runtime/collect runtime/features" ;;
    runtime/serve) echo "include common runtime/heap runtime/collect runtime/features runtime/serve" ;;
    runtime/start) echo "include common runtime/heap runtime/collect runtime/features runtime/serve runtime/start" ;;
    pprof) echo "common pprof" ;;
    http) echo "common http" ;;
    tools) echo "common pprof http tools" ;;
    preload) echo "common preload" ;;
    esac
}

# Where header $1 lives, or nothing: in the sources, or made by the build
# (pprof/profile.pb-c.h, from protoc-c, is in the build tree).
home_of() {
    for d in include common $layers pprof http tools preload; do
        if [ -f "$top_srcdir/$d/$1" ] || [ -f "$top_builddir/$d/$1" ]; then
            echo "$d"
            return
        fi
    done
}

checked=0
for dir in $layers pprof http tools preload; do
    [ -d "$top_srcdir/$dir" ] || continue
    ok=$(allowed "$dir")
    for f in "$top_srcdir/$dir"/*.[ch]; do
        [ -f "$f" ] || continue
        name=${f#"$top_srcdir"/}
        for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
            checked=$((checked + 1))
            case $h in
            */*) fail "$name includes \"$h\": a path, not a name (layers are -I paths)"; continue ;;
            config.h) [ "$dir" = tools ] && continue ;;
            esac
            home=$(home_of "$h")
            if [ -z "$home" ]; then
                fail "$name includes \"$h\", found in no layer"
                continue
            fi
            case " $ok " in
            *" $home "*) ;;
            *) fail "$name ($dir) includes $home/$h: a layer above it, or beside it" ;;
            esac
        done
    done
done
[ "$checked" -gt 50 ] || fail "only $checked includes found under $top_srcdir: wrong tree?"

# ---- calls ------------------------------------------------------------
lib_of() {
    echo "$top_builddir/.libs/libgcprof_$(basename "$1").a"
}
for l in $layers; do
    if [ ! -f "$(lib_of "$l")" ]; then
        [ "$failures" -eq 0 ] || finish ""
        skip "$(lib_of "$l") not built (shared-only build); includes checked"
    fi
done

below=""
for l in $layers; do
    below="$below $(lib_of "$l")"
    nm --defined-only $below 2>/dev/null | awk 'NF == 3 && $3 ~ /^gcp_/ {print $3}' |
        sort -u >"$tmp/defined"
    nm --undefined-only "$(lib_of "$l")" | awk '$2 ~ /^gcp_/ {print $2}' | sort -u >"$tmp/used"
    up=$(comm -23 "$tmp/used" "$tmp/defined")
    [ -z "$up" ] || fail "$l calls up: $(echo $up)"
done

# One line "user provider" per runtime file that calls another.
for l in $layers; do
    nm -A --defined-only "$(lib_of "$l")" 2>/dev/null |
        awk 'NF == 3 && $3 ~ /^gcp_/ {split($1, p, ":"); print $3, p[2]}'
done | sort >"$tmp/owner"
for l in $layers; do
    nm -A --undefined-only "$(lib_of "$l")" 2>/dev/null |
        awk '$NF ~ /^gcp_/ {split($1, p, ":"); print $NF, p[2]}'
done | sort >"$tmp/user"
join "$tmp/user" "$tmp/owner" | awk '$2 != $3 {print $2, $3}' | sort -u >"$tmp/edges"
[ -s "$tmp/edges" ] || fail "no calls between runtime files found: nm output not understood"
if ! tsort "$tmp/edges" >/dev/null 2>"$tmp/loops"; then
    fail "runtime files call each other round a loop:"
    sed 's/^/    /' "$tmp/loops"
fi

finish "PASS: $checked includes, $(wc -l <"$tmp/edges") calls between files, one way"
