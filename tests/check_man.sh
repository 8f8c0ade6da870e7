#!/bin/sh
# The man pages of doc/man/ (gcprof.1, libgcprof.3, gcprof-env.7):
#
# - each formats without a warning (man --warnings, and groff -ww where the
#   groff command is there) and lexgrog reads its NAME line, as mandb and
#   whatis(1) do (man-db's; skipped without it, failed in CI);
# - each .TH names the version gcprof --version prints;
# - gcprof.1 keeps step with --help, both ways (below);
# - libgcprof.3 has an item for every function of include/gcprof.exports
#   and for no other, and one for every assertion of include/gcprof/check.h;
# - gcprof-env.7 lists every variable of doc/environment.md's tables but the
#   test harness's, and no other; they are the rows of
#   runtime/heap/env_table.c, and each item's "Default:" line is its row's;
# - gcprof.1's ENVIRONMENT has every variable that row says gcprof reads.
#
# How gcprof.1 is compared with --help. The commands are the first words of
# the lines under "Commands:" in `gcprof --help`; each has its own section
# in gcprof.1, from the line `.SS "gcprof CMD"` to the next .SS or .SH line.
# Option names are the words -x and --long (a letter after the dashes, so
# "--" before PROGRAM is none) that start a line's text or follow a space,
# ',', '|', '[' or ']'. From `gcprof CMD --help` they are read in
#   - the usage: the line that starts with "Usage:" (or "usage:") and the
#     indented lines right after it;
#   - the option table: lines that start with spaces and a dash, up to the
#     end of their option names ("  -o, --output FILE  ..." gives -o and
#     --output).
# From the roff source of the section, with font escapes dropped and \-
# read as -, they are read in
#   - the synopsis: the section's lines before its first .PP;
#   - the items: the tag line after each .TP (or .TQ) that starts with a
#     dash.
# The options of the help's usage must be the synopsis's, and all options
# of the help those of the items. For gcprof itself the synopsis is the
# SYNOPSIS section and the items those of OPTIONS.
#
# Exit 0 pass, 1 fail, 77 skip. Run alone from the build tree:
#     top_builddir=. sh tests/check_man.sh
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$gcprof" ] || skip "$gcprof is not built"
mandir="$top_srcdir/doc/man"
pages="gcprof.1 libgcprof.3 gcprof-env.7"
for p in $pages; do
    [ -f "$mandir/$p" ] || die "no $mandir/$p"
done
make_tmp

# ---- helpers ----------------------------------------------------------------------

# joined: standard input's lines on one line, a space between them.
joined() { tr '\n' ' ' | sed 's/ $//'; }

# lists LABEL WORDS [LABEL WORDS...]: " LABEL: WORDS" for each pair whose
# WORDS are not empty, joined by ';'.
lists() {
    lists_=""
    while [ $# -gt 1 ]; do
        [ -z "$2" ] || lists_="$lists_${lists_:+;} $1: $2"
        shift 2
    done
    printf '%s' "$lists_"
}

# words: the option names in standard input, sorted, once each.
words() {
    grep -oE '(^|[][ ,|])--?[A-Za-z][A-Za-z0-9-]*' | sed -E 's/^[][ ,|]//' | sort -u
}

# help_usage FILE, help_all FILE: the options of a --help text's usage, and
# of its usage and option table.
help_usage() {
    awk '/^[Uu]sage:/ { u = 1; print; next } u && /^[ \t]/ { print; next } { u = 0 }' "$1" | words
}
help_all() {
    {
        help_usage "$1"
        awk 'match($0, /^ +(-[A-Za-z0-9], +)?--?[A-Za-z][A-Za-z0-9-]*/) { print substr($0, 1, RLENGTH) }' "$1"
    } | words
}

# man_opts synopsis|items CMD: the options of gcprof.1's section of CMD (""
# for gcprof itself: SYNOPSIS and OPTIONS).
man_opts() {
    awk -v what="$1" -v cmd="$2" '
        function plain(s) {
            gsub(/\\f(\[[^]]*\]|\(..|.)/, "", s)
            gsub(/\\-/, "-", s)
            gsub(/\\ /, " ", s)
            gsub(/\\&/, "", s)
            gsub(/"/, "", s)
            sub(/^\.[A-Za-z]+[ \t]*/, "", s)
            return s
        }
        /^\.\\"/ { next }
        /^\.S[HS]([ \t]|$)/ {
            h = $0
            sub(/^\.S[HS][ \t]*/, "", h)
            gsub(/"/, "", h)
            if (cmd == "") {
                syn = h == "SYNOPSIS"
                sec = h == "OPTIONS"
            } else {
                sec = h == "gcprof " cmd
                syn = sec
            }
            tag = 0
            next
        }
        cmd != "" && /^\.PP/ { syn = 0 }
        what == "synopsis" && syn { print plain($0) }
        what == "items" && sec && tag {
            t = plain($0)
            if (t ~ /^-/)
                print t
            tag = 0
            next
        }
        what == "items" && sec && /^\.T[PQ]([ \t]|$)/ { tag = 1 }
    ' "$mandir/gcprof.1" | words
}

# differ WHAT A B: fails WHAT naming the lines of file A not in B and of B
# not in A (both sorted); true when they are the same.
differ() {
    only_a=$(comm -23 "$2" "$3" | joined)
    only_b=$(comm -13 "$2" "$3" | joined)
    [ -z "$only_a$only_b" ] && return 0
    fail "$1:$(lists "only in --help" "$only_a" "only in gcprof.1" "$only_b")"
    return 1
}

# plain_lines PAGE: the page's roff source with font escapes dropped, \- as -.
plain_lines() {
    sed -e 's/\\f\[[^]]*\]//g' -e 's/\\f(..//g' -e 's/\\f.//g' -e 's/\\-/-/g' \
        -e 's/\\&//g' -e 's/\\ / /g' "$mandir/$1"
}

# items PAGE: the tags of the page's .TP and .TQ items, plain.
items() {
    plain_lines "$1" | awk 'tag { sub(/^\.[A-Za-z]+[ \t]*/, ""); gsub(/"/, ""); print; tag = 0; next }
        /^\.T[PQ]([ \t]|$)/ { tag = 1 }'
}

# ---- formatting, and the NAME line ------------------------------------------------
version=$("$gcprof" --version | sed -n 's/^gcprof //p')
[ -n "$version" ] || fail "gcprof --version printed no version"
for p in $pages; do
    th=$(grep '^\.TH ' "$mandir/$p" | grep -o '"libgcprof [^"]*"' | tr -d '"')
    check "$p: .TH names libgcprof $version" same "$th" "libgcprof $version"
done

installed man lexgrog
for p in $pages; do
    name=${p%.*}
    case $tested in
    *man*)
        man --warnings -E UTF-8 -l "$mandir/$p" >"$tmp/out" 2>"$tmp/err"
        st=$?
        if [ "$st" -ne 0 ] || [ -s "$tmp/err" ]; then
            fail "$p: man --warnings: status $st: $(head -n 5 "$tmp/err")"
        elif ! grep -q "^NAME" "$tmp/out"; then
            fail "$p: man -l shows no NAME section"
        else
            pass "$p: man --warnings: no warning"
        fi
        ;;
    esac
    if command -v groff >/dev/null 2>&1; then
        groff -man -ww -z "$mandir/$p" >"$tmp/err" 2>&1
        st=$?
        if [ "$st" -ne 0 ] || [ -s "$tmp/err" ]; then
            fail "$p: groff -ww: status $st: $(head -n 5 "$tmp/err")"
        else
            pass "$p: groff -ww: no warning"
        fi
    fi
    case $tested in
    *lexgrog*)
        # lexgrog prints 'PATH: "NAME - what it is"' when it parses NAME.
        if lexgrog "$mandir/$p" >"$tmp/out" 2>&1 && grep -q ": \"$name - [^\"]" "$tmp/out"; then
            pass "$p: lexgrog parses its NAME line"
        else
            fail "$p: lexgrog: $(cat "$tmp/out")"
        fi
        ;;
    esac
done

# ---- gcprof.1 against --help ---------------------------------------------------------
"$gcprof" --help >"$tmp/help" 2>&1 || fail "gcprof --help: status $?"
cmds=$(awk '/^Commands:/ { c = 1; next } c && /^ +[a-z]/ { print $1; next } { c = 0 }' "$tmp/help")
[ -n "$cmds" ] || die "no commands under 'Commands:' in gcprof --help"
printf '%s\n' "$cmds" | sort >"$tmp/cmds.help"
sed -n 's/^\.SS "\{0,1\}gcprof \([a-z]*\)"\{0,1\}$/\1/p' "$mandir/gcprof.1" | sort >"$tmp/cmds.man"
differ "the commands" "$tmp/cmds.help" "$tmp/cmds.man" && pass "gcprof.1 has a section per command: $(printf '%s\n' "$cmds" | joined)"

help_usage "$tmp/help" >"$tmp/u.help"
help_all "$tmp/help" >"$tmp/a.help"
man_opts synopsis "" >"$tmp/u.man"
man_opts items "" >"$tmp/a.man"
differ "gcprof: usage and SYNOPSIS" "$tmp/u.help" "$tmp/u.man" &&
    differ "gcprof: --help and OPTIONS" "$tmp/a.help" "$tmp/a.man" &&
    pass "gcprof: $(wc -l <"$tmp/a.help") options, the same in --help and gcprof.1"

for c in $cmds; do
    if ! "$gcprof" "$c" --help >"$tmp/help.$c" 2>&1; then
        fail "gcprof $c --help: status $?"
        continue
    fi
    help_usage "$tmp/help.$c" >"$tmp/u.help"
    help_all "$tmp/help.$c" >"$tmp/a.help"
    man_opts synopsis "$c" >"$tmp/u.man"
    man_opts items "$c" >"$tmp/a.man"
    if [ ! -s "$tmp/a.help" ]; then
        fail "gcprof $c --help: no option found in it"
        continue
    fi
    differ "gcprof $c: its usage and its synopsis" "$tmp/u.help" "$tmp/u.man" &&
        differ "gcprof $c: its options" "$tmp/a.help" "$tmp/a.man" &&
        pass "gcprof $c: $(wc -l <"$tmp/a.help") options, the same in --help and gcprof.1"
done

# ---- libgcprof.3 against the exports and gcprof/check.h --------------------------------
grep -v '^ *$' "$top_srcdir/include/gcprof.exports" | sort -u >"$tmp/exports"
items libgcprof.3 | sed -n 's/^\(gcp_[a-z0-9_]*\) *()$/\1/p' | sort >"$tmp/fns.all"
sort -u "$tmp/fns.all" >"$tmp/fns"
only_x=$(comm -23 "$tmp/exports" "$tmp/fns" | joined)
only_m=$(comm -13 "$tmp/exports" "$tmp/fns" | joined)
twice=$(uniq -d "$tmp/fns.all" | joined)
if [ -n "$only_x$only_m$twice" ]; then
    fail "libgcprof.3:$(lists "no item for" "$only_x" "not exported" "$only_m" "twice" "$twice")"
else
    pass "libgcprof.3: an item for each of the $(wc -l <"$tmp/exports") exported functions"
fi
ck_macros=$(sed -n 's/^#define \(gcp_ck_assert_[a-z_]*\)(.*/\1/p' "$top_srcdir/include/gcprof/check.h")
[ -n "$ck_macros" ] || fail "no gcp_ck_assert_ macro found in include/gcprof/check.h"
for m in $ck_macros; do
    items libgcprof.3 | grep -q "^$m(" || fail "libgcprof.3: no item for $m (gcprof/check.h)"
done

# ---- gcprof-env.7 against doc/environment.md and env_table.c -----------------------------
table="$top_srcdir/runtime/heap/env_table.c"
# shellcheck disable=SC2016 # markdown's backquotes, not the shell's
awk '/^## / { harness = /test harness/ } !harness && /^\| `GCPROF[A-Z0-9_]*` \|/ { print }' \
    "$top_srcdir/doc/environment.md" | grep -o '^| `GCPROF[A-Z0-9_]*`' | tr -d '|` ' | sort >"$tmp/env.md"
grep -o '^ *{"GCPROF[A-Z0-9_]*"' "$table" | tr -d ' {"' | sort >"$tmp/env.table"
items gcprof-env.7 | grep -E '^GCPROF[A-Z0-9_]*$' | sort >"$tmp/env.page"
[ -s "$tmp/env.md" ] || fail "no variable found in doc/environment.md"
if cmp -s "$tmp/env.md" "$tmp/env.table"; then
    pass "doc/environment.md's tables are env_table.c's $(wc -l <"$tmp/env.table") rows"
else
    fail "doc/environment.md and env_table.c differ: $(diff "$tmp/env.md" "$tmp/env.table" | grep '^[<>]' | joined)"
fi
only_d=$(comm -23 "$tmp/env.md" "$tmp/env.page" | joined)
only_p=$(comm -13 "$tmp/env.md" "$tmp/env.page" | joined)
twice=$(uniq -d "$tmp/env.page" | joined)
if [ -n "$only_d$only_p$twice" ]; then
    fail "gcprof-env.7:$(lists "missing" "$only_d" "not in doc/environment.md" "$only_p" "twice" "$twice")"
else
    pass "gcprof-env.7 lists the $(wc -l <"$tmp/env.page") variables of doc/environment.md"
fi
# Any other GCPROF name in its text (GCPROF_<KEY> reads as GCPROF_: left out).
others=$(plain_lines gcprof-env.7 | grep -v '^\.\\"' | grep -oE 'GCPROF[A-Z0-9_]*' | grep -v '_$' |
    sort -u | comm -23 - "$tmp/env.md" | joined)
[ -z "$others" ] || fail "gcprof-env.7 names what is no variable: $others"

# Defaults: the row's third field (NONE: "none") against the item's "Default:".
sed -n 's/^ *{"\(GCPROF[A-Z0-9_]*\)", GCP__ENV_[A-Z]*, \(NONE\|"[^"]*"\),.*/\1 \2/p' "$table" |
    sed -e 's/ NONE$/ none/' -e 's/"//g' | sort >"$tmp/def.table"
plain_lines gcprof-env.7 | awk '
    tag { if ($0 ~ /^\.B GCPROF/) { v = $2 } else { v = "" }; tag = 0; next }
    /^\.T[PQ]/ { tag = 1; v = ""; next }
    /^\.S[HS]/ { v = "" }
    v != "" && /^Default: / { d = $0; sub(/^Default: /, "", d); sub(/\.$/, "", d); print v, d; v = "" }
' | sort >"$tmp/def.page"
differ_defaults=$(diff "$tmp/def.table" "$tmp/def.page" | grep '^[<>]' | joined)
if [ -n "$differ_defaults" ]; then
    fail "gcprof-env.7's defaults are not env_table.c's (< table, > page): $differ_defaults"
else
    pass "gcprof-env.7: each of $(wc -l <"$tmp/def.page") defaults is env_table.c's"
fi

# gcprof.1's ENVIRONMENT: the rows gcprof reads (GCP__ENV_RUN).
run_vars=$(awk '/^ *\{"GCPROF/ { row = $0; name = $0; sub(/^ *\{"/, "", name); sub(/".*/, "", name) }
    row != "" && !/^ *\{"GCPROF/ { row = row $0 }
    row != "" && /\},/ { if (row ~ /GCP__ENV_RUN/) print name; row = "" }' "$table")
[ -n "$run_vars" ] || fail "no row of env_table.c is read by gcprof (GCP__ENV_RUN)"
env_items=$(plain_lines gcprof.1 | awk '/^\.SH/ { e = /ENVIRONMENT/ } e && tag { print $2; tag = 0 } e && /^\.TP/ { tag = 1 }')
for v in $run_vars; do
    printf '%s\n' "$env_items" | grep -qx "$v" || fail "gcprof.1: $v (read by gcprof) is not in its ENVIRONMENT"
done

finish "PASS: the man pages format cleanly, and keep step with --help, the exports and the environment's table"
