#!/bin/sh
# The bash completion of gcprof (completion/gcprof), in bash itself: the
# script sourced into `bash --norc`, with bash-completion's library and
# without it (plain compgen), the built gcprof first on the PATH; each case
# sets COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT as bash does at the
# end of a line, calls the function `complete -p gcprof` names, and compares
# COMPREPLY with what gcprof's own --help says:
#   - gcprof <TAB>: the commands of `gcprof --help`, --help and --version;
#   - gcprof CMD -<TAB>: exactly the options `gcprof CMD --help` lists (its
#     usage lines and its option lines), for every command;
#   - each option's value: an option --help shows with a value completes
#     that value (files for FILE, RECORDING, OUT.svg...; the choices of
#     a|b; nothing for a number, a name, an address), one shown without a
#     value takes none (the word after it is an argument);
#   - arguments: recordings (*.dat, *.jsonl) for peak, summary, massif,
#     plot and heap, heap profiles (*.pb.gz, *.pb) for top, flame and diff,
#     and directories, not other files (c.txt here: no fallback to every
#     file); any file for pprof's RAW; nothing once a command has all its
#     arguments;
#   - after -- (run, heap, tune; run: or its first argument): a command,
#     then that command's own completion (gcprof's own, here).
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$gcprof" ] || skip "$gcprof is not built"
command -v bash >/dev/null 2>&1 || skip "bash is not installed"
make_tmp
script=$top_srcdir/completion/gcprof
library=/usr/share/bash-completion/bash_completion
LC_ALL=C
export LC_ALL

# ---- what --help says ---------------------------------------------------------

# help_commands: the commands of gcprof --help, one a line.
help_commands() {
    "$gcprof" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }'
}

# help_options CMD: the options gcprof CMD --help lists, one a line, each
# with its value as shown ("-o FILE", "--format dat|jsonl") or "-" when it
# takes none: from the usage lines (up to the first empty line: "[-o FILE]",
# "[--inuse|--alloc]", "-o OUT.svg", "[--heap-profile[=BYTES]]") and from
# the option lines ("  -o, --output FILE  where...": a value one space after
# the last spelling, the description two or more).
help_options() {
    "$gcprof" "$1" --help | awk '
    function add(opt, value) {
        if (!(opt in seen) || seen[opt] == "-") seen[opt] = value
    }
    function value_after(t, i) {
        # the word after a spelling, if it is a value: not an option, not
        # a bracket; "BYTES]" -> "BYTES"
        if (i > t[0] || t[i] ~ /^[-[]/) return "-"
        v = t[i]; sub(/]+$/, "", v)
        return v
    }
    /^[Uu]sage:/ { usage = 1 }
    usage && /^$/ { usage = 0 }
    usage {
        n = split($0, t, / +/); t[0] = n
        for (i = 1; i <= n; i++) {
            w = t[i]; sub(/^\[+/, "", w)
            if (w !~ /^--?[A-Za-z]/) continue
            k = split(w, alt, "|")
            for (j = 1; j <= k; j++) {
                a = alt[j]
                if (a ~ /\[=/) { sub(/\[=.*/, "", a); add(a, "-"); continue }
                if (sub(/]+$/, "", a)) { add(a, "-"); continue }
                add(a, j < k ? "-" : value_after(t, i + 1))
            }
        }
        next
    }
    /^ +-/ {
        line = $0; sub(/^ +/, "", line)
        last = ""
        while (match(line, /^--?[A-Za-z][-A-Za-z]*(\[=[^]]*\])?,? ?/)) {
            s = substr(line, 1, RLENGTH); line = substr(line, RLENGTH + 1)
            opt = s; sub(/[, ]+$/, "", opt)
            if (opt ~ /\[=/) { sub(/\[=.*/, "", opt); add(opt, "-"); last = ""; continue }
            spellings[++ns] = opt; last = opt
            if (s !~ / $/) break
        }
        value = "-"
        if (last != "" && line ~ /^[^ -]/) { value = line; sub(/ .*/, "", value) }
        for (i = 1; i <= ns; i++) add(spellings[i], value)
        ns = 0
    }
    END { for (o in seen) print o, seen[o] }' | sort
}

# ---- the cases ------------------------------------------------------------------

# In $tmp/files: two recordings, a file of another kind, two heap profiles,
# a directory.
mkdir "$tmp/files" "$tmp/files/sub" || exit 1
for f in a.dat b.jsonl c.txt d.pb.gz e.pb; do : >"$tmp/files/$f"; done
all_files="a.dat b.jsonl c.txt d.pb.gz e.pb sub"
recordings="a.dat b.jsonl sub"
profiles="d.pb.gz e.pb sub"

# case_ WHAT LINE HOW WANT: completing at the end of LINE gives exactly the
# words WANT (HOW "="), or gives at least them (HOW "has").
: >"$tmp/cases"
case_() {
    # shellcheck disable=SC2086 # WANT's words
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(words $4)" >>"$tmp/cases"
}
# words W...: sorted, one space between.
words() {
    for w_; do printf "%s\n" "$w_"; done | sort -u | tr '\n' ' ' | sed 's/ $//'
}

commands=$(help_commands)
check "gcprof --help lists the 11 commands" test "$(echo "$commands" | wc -l)" -eq 11
case_ "gcprof <TAB>: the commands" "gcprof " = "$commands --help --version"
case_ "gcprof -<TAB>" "gcprof -" = "--help --version"
case_ "gcprof p<TAB>" "gcprof p" = "peak plot pprof"
case_ "gcprof --help <TAB>: nothing" "gcprof --help " = ""

# What an argument of CMD completes to (at the end of "gcprof CMD "), as
# "HOW WANT" (cur: ec for run, the start of a program's name).
argument() {
    case $1 in
    run) echo "has echo" ;;
    peak | summary | massif | plot | heap) echo "= $recordings" ;;
    top | flame | diff) echo "= $profiles" ;;
    pprof) echo "= $all_files" ;;
    tune) echo "= --" ;;
    *) echo "= ?" ;;
    esac
}
cur_of() { if [ "$1" = run ]; then echo ec; fi; }

for cmd in $commands; do
    help_options "$cmd" >"$tmp/options.$cmd"
    if [ ! -s "$tmp/options.$cmd" ]; then
        fail "gcprof $cmd --help: no option found in it"
        continue
    fi
    all=$(cut -d' ' -f1 "$tmp/options.$cmd" | tr '\n' ' ')
    case_ "gcprof $cmd -<TAB>: the options of gcprof $cmd --help" "gcprof $cmd -" = "$all"
    # shellcheck disable=SC2046
    set -- $(argument "$cmd")
    how=$1
    shift
    case_ "gcprof $cmd <TAB>: an argument" "gcprof $cmd $(cur_of "$cmd")" "$how" "$*"
    while read -r opt value; do
        case $value in
        -) case_ "gcprof $cmd $opt <TAB>: $opt takes no value, an argument follows" \
            "gcprof $cmd $opt $(cur_of "$cmd")" "$how" "$*" ;;
        *"|"*) case_ "gcprof $cmd $opt <TAB>: $value" "gcprof $cmd $opt " = "$(echo "$value" | tr '|' ' ')" ;;
        FILE | RECORDING | OUT.svg | OUT.pb.gz | FILE.svg)
            case_ "gcprof $cmd $opt <TAB>: $value, any file" "gcprof $cmd $opt " = "$all_files" ;;
        SECONDS | N | K | PX | PID | NAME | TEXT | MIB | ADDR)
            case_ "gcprof $cmd $opt <TAB>: $value, nothing" "gcprof $cmd $opt " = "" ;;
        *) fail "gcprof $cmd --help: $opt $value: what does $value complete to? (teach this test)" ;;
        esac
    done <"$tmp/options.$cmd"
done

# The cases the brief of this completion names, and a few more.
case_ "run --format <TAB>" "gcprof run --format " = "dat jsonl"
case_ "run --format=<TAB>" "gcprof run --format=" = "dat jsonl"
case_ "run --format=j<TAB>" "gcprof run --format=j" = "jsonl"
case_ "run --heap-profile=<TAB>: a number" "gcprof run --heap-profile=" = ""
case_ "peak <TAB>: recordings and directories, not c.txt" "gcprof peak " = "$recordings"
case_ "peak a.dat <TAB>: more recordings" "gcprof peak a.dat " = "$recordings"
case_ "peak --func f <TAB>: recordings" "gcprof peak --func f " = "$recordings"
case_ "peak -- <TAB>: recordings" "gcprof peak -- " = "$recordings"
case_ "massif a.dat <TAB>: one recording only" "gcprof massif a.dat " = ""
case_ "diff d.pb.gz <TAB>: NEW" "gcprof diff d.pb.gz " = "$profiles"
case_ "diff d.pb.gz e.pb <TAB>: nothing more" "gcprof diff d.pb.gz e.pb " = ""
case_ "top --by <TAB>" "gcprof top --by " = "function line"
case_ "top --inuse -<TAB>: not --inuse nor --alloc" "gcprof top --inuse -" = \
    "--objects --space --by -n --rows --cum --raw -h --help"
case_ "top --rows 5 --space --<TAB>" "gcprof top --rows 5 --space --" = \
    "--inuse --alloc --by --cum --raw --help"
case_ "massif -o x --<TAB>: not --output" "gcprof massif -o x --" = "--pid --help"
case_ "massif -ox --<TAB>: not --output" "gcprof massif -ox --" = "--pid --help"
case_ "massif --output=x --<TAB>: not --output" "gcprof massif --output=x --" = "--pid --help"
case_ "massif -o -<TAB>: -o's value, a file" "gcprof massif -o -" = ""
case_ "tune --grid <TAB>" "gcprof tune --grid " = "axes full"
case_ "tune --runs 3 <TAB>: --" "gcprof tune --runs 3 " = "--"
case_ "heap --json <TAB>: recordings" "gcprof heap --json " = "$recordings"
case_ "run -- ec<TAB>: commands" "gcprof run -- ec" has "echo"
case_ "run -i 0.1 ec<TAB>: commands (run needs no --)" "gcprof run -i 0.1 ec" has "echo"
case_ "heap -- ec<TAB>: commands" "gcprof heap -- ec" has "echo"
case_ "tune --quiet -- ec<TAB>: commands" "gcprof tune --quiet -- ec" has "echo"
case_ "run -- gcprof pe<TAB>: gcprof's own completion" "gcprof run -- gcprof pe" = "peak"
case_ "run --format=jsonl -- gcprof pe<TAB>" "gcprof run --format=jsonl -- gcprof pe" = "peak"
case_ "run gcprof top --b<TAB>" "gcprof run gcprof top --b" = "--by"
case_ "tune -- gcprof run --fo<TAB>" "gcprof tune -- gcprof run --fo" = "--follow --format"
case_ "heap -o r.dat -- gcprof massif -o <TAB>" "gcprof heap -o r.dat -- gcprof massif -o " = \
    "$all_files"

# ---- in bash --------------------------------------------------------------------

# $tmp/complete.bash MODE: sources the library (MODE full) and the script,
# then completes each line of its standard input as bash does at the line's
# end (words split at blanks and at '=', COMP_WORDBREAKS), and prints the
# COMPREPLY of each, its words sorted, on one line.
cat >"$tmp/complete.bash" <<'EOF'
if [[ $1 == full ]]; then
    source "$LIBRARY" || exit 3
fi
if [[ $1 == full ]] && ! declare -F _init_completion _filedir _command_offset >/dev/null; then
    echo "the library defines no _init_completion, _filedir or _command_offset" >&2
    exit 5
fi
source "$SCRIPT" || exit 3
spec=$(complete -p gcprof) || exit 4
func=${spec#* -F }
func=${func%% *}
COMP_WORDBREAKS=$' \t\n"\'><=;|&(:'
while IFS= read -r line <&3; do
    (
        COMP_LINE=$line
        COMP_POINT=${#line}
        read -r -a COMP_WORDS <<<"${line//=/ = }"
        [[ $line == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMPREPLY=()
        "$func" gcprof "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf '%s\n' "${COMPREPLY[@]}" | sort -u | paste -sd ' ' -
    )
done 3<&0 </dev/null
EOF

# in_bash MODE: every case, in bash (MODE full: with bash-completion's
# library; plain: without).
in_bash() {
    mode=$1
    cut -f2 "$tmp/cases" >"$tmp/lines"
    (cd "$tmp/files" && env -u BASH_ENV HOME="$tmp" PATH="$top_builddir/tools:$PATH" \
        SCRIPT="$script" LIBRARY="$library" \
        bash --norc --noprofile "$tmp/complete.bash" "$mode" <"$tmp/lines" \
        >"$tmp/got.$mode" 2>"$tmp/err.$mode")
    st=$?
    if [ "$st" -ne 0 ] || [ "$(wc -l <"$tmp/got.$mode")" -ne "$(wc -l <"$tmp/lines")" ]; then
        fail "$mode: bash status $st, $(wc -l <"$tmp/got.$mode") answers for $(wc -l <"$tmp/lines") lines: $(head -n 5 "$tmp/err.$mode")"
        return
    fi
    n=0
    bad=0
    while IFS="$(printf '\t')" read -r what line how want; do
        n=$((n + 1))
        got=$(sed -n "${n}p" "$tmp/got.$mode")
        if [ "$how" = "=" ] && [ "$got" = "$want" ]; then
            continue
        elif [ "$how" = has ]; then
            missing=""
            for w in $want; do
                case " $got " in *" $w "*) ;; *) missing="$missing $w" ;; esac
            done
            [ -z "$missing" ] && continue
        fi
        bad=$((bad + 1))
        missing=$(for w in $want; do
            case " $got " in *" $w "*) ;; *) printf '%s ' "$w" ;; esac
        done)
        extra=$(for w in $got; do
            case " $want " in *" $w "*) ;; *) printf '%s ' "$w" ;; esac
        done)
        if [ "$how" = has ]; then extra=""; fi
        fail "$mode: $what: '$line<TAB>' gave '$(printf '%s' "$got" | cut -c1-200)';" \
            "missing: ${missing:-none}; extra: ${extra:-none}"
    done <"$tmp/cases"
    if [ "$bad" -eq 0 ]; then
        pass "$mode: all $n cases"
    fi
}

if [ -f "$library" ]; then
    in_bash full
elif [ -n "${CI:-}" ]; then
    fail "$library is missing in CI: scripts/install-deps.sh installs bash-completion"
else
    echo "bash-completion not installed ($library): testing without it only"
fi
in_bash plain

finish "PASS: gcprof's bash completion: $(wc -l <"$tmp/cases") cases, each against --help"
