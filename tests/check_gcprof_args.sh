#!/bin/sh
# gcprof with bad or odd arguments, and its safety: each mistake is one
# line on stderr naming the option and the value, with the documented exit
# status (gcprof --help); paths and arguments with spaces, quotes, a leading
# '-' or non-ASCII letters work, and reach the program untouched (no shell);
# output files are never written through a planted symlink, never
# world-writable, never half-written; and the preload library does nothing
# in a secure-execution (setuid) process.
# Exit 0 pass, 1 fail. Run alone: top_builddir=. sh tests/check_gcprof_args.sh
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
use_preload
unset GCPROF_TRACE GCPROF_TRACE_FILE GCPROF_PRELOAD_PID GCPROF_PRELOAD_FD
data="$top_srcdir/tests/data"
need_built "$gcprof" "$GCPROF_PRELOAD"

make_tmp
# Some tests leave directories unreadable: made readable again to be removed.
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
umask 022
no_temp_files() { # no_temp_files DIR: nothing of ours left half-written
    [ -z "$(find "$1" -name '*.tmp*' 2>/dev/null)" ]
}

# expect STATUS KEYS CMD...: CMD, run in an empty directory, exits with
# STATUS, writes exactly one line to stderr containing every KEY (KEYS is
# split at '|'), and leaves the directory empty.
cwd="$tmp/cwd"
expect() {
    want=$1 keys=$2
    shift 2
    rm -rf "$cwd" && mkdir "$cwd"
    (cd "$cwd" && exec "$@") >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    msg=$(cat "$tmp/stderr")
    what="$(printf '%s' "$*" | tr '\n' '?' | cut -c1-100) => $rc [$msg]"
    if [ "$rc" -ne "$want" ]; then
        fail "status $rc, want $want: $what"
        return
    fi
    if [ "$(wc -l <"$tmp/stderr")" -ne 1 ]; then
        fail "want one line on stderr: $what"
        return
    fi
    rest=$keys
    while [ -n "$rest" ]; do
        key=${rest%%|*}
        [ "$key" = "$rest" ] && rest= || rest=${rest#*|}
        grep -qF -- "$key" "$tmp/stderr" || { fail "message lacks '$key': $what"; return; }
    done
    if [ -n "$(ls -A "$cwd")" ]; then
        fail "left $(ls -A "$cwd"): $what"
        return
    fi
    pass "$what"
}

# ---- gcprof itself ----------------------------------------------------------
expect 2 "no command given" "$gcprof"
expect 2 "unknown command 'bogus'" "$gcprof" bogus
expect 2 "unknown command ''" "$gcprof" ''
expect 2 "unknown option '-x'" "$gcprof" -x
"$gcprof" --help >"$tmp/help" 2>&1
rc=$?
check "gcprof --help: status 0" [ "$rc" -eq 0 ]
for s in 0 1 2 125 126 127; do
    check "gcprof --help lists exit status $s" grep -Eq "^  $s +[a-zA-Z]" "$tmp/help"
done
check "gcprof run --help states its statuses" sh -c "'$gcprof' run --help | grep -q '125 when gcprof run'"
check "gcprof --version" sh -c "'$gcprof' --version | grep -q '^gcprof '"
check "help to a full disk: status 1" sh -c "! '$gcprof' --help >/dev/full 2>/dev/null"
# Every command's --help in GNU's layout: "Usage: gcprof CMD" first, its
# options, an "Exit status" paragraph, lines of 80 columns at most; and
# every command gcprof --help lists has one.
cmds=$(awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }' "$tmp/help")
check "gcprof --help lists its commands" [ -n "$cmds" ]
for c in $cmds; do
    if "$gcprof" "$c" --help >"$tmp/chelp" 2>&1; then
        check "$c --help: 'Usage: gcprof $c' first" sh -c "head -n 1 '$tmp/chelp' | grep -q '^Usage: gcprof $c '"
        check "$c --help: an exit status paragraph" grep -q "^Exit status" "$tmp/chelp"
        check "$c --help: lists --help" grep -Eq "^ +(-h, )?--help " "$tmp/chelp"
        check "$c --help: 80 columns at most" awk 'length > 80 { exit 1 }' "$tmp/chelp"
    else
        fail "$c --help: status $?"
    fi
done

# ---- run: bad arguments, status 125 (the program's statuses stay its own) ---
expect 125 "no program" "$gcprof" run
expect 125 "no program" "$gcprof" run -o x.dat
expect 125 "no program" "$gcprof" run -o x.dat --
expect 125 "unknown option '-x'" "$gcprof" run -x -- /bin/true
expect 125 "unknown option '--intervals=1'" "$gcprof" run --intervals=1 -- /bin/true
expect 125 "unknown option '-prog'" "$gcprof" run -prog
expect 125 "missing value for -o" "$gcprof" run -o
expect 125 "missing value for --output" "$gcprof" run --output
expect 125 "missing value for -i" "$gcprof" run -i
expect 125 "missing value for --format" "$gcprof" run --format
for v in 1e12 99999999999999999999 3601 0 -1 -0.5 0.0001 1e-300 nan NaN inf -inf abc 1s 0.5x ''; do
    expect 125 "-i: '$v'|0.001 to 3600" "$gcprof" run -i "$v" -- /bin/true
done
expect 125 "--interval: '1e12'" "$gcprof" run --interval=1e12 -- /bin/true
expect 125 "--interval: ''" "$gcprof" run --interval= -- /bin/true
expect 125 "-i: '1e12'" "$gcprof" run -i1e12 -- /bin/true
expect 125 "--format: 'xml'|dat or jsonl" "$gcprof" run --format xml -- /bin/true
expect 125 "--format: ''" "$gcprof" run --format= -- /bin/true
expect 125 "-o given twice|'a.dat'|'b.dat'" "$gcprof" run -o a.dat -o b.dat -- /bin/true
expect 125 "--output given twice|'a.dat'|'a.dat'" "$gcprof" run -o a.dat --output a.dat -- /bin/true
expect 125 "-i given twice|'0.1'|'0.2'" "$gcprof" run --interval 0.1 -i 0.2 -- /bin/true
expect 125 "--format given twice|'dat'|'jsonl'" "$gcprof" run --format dat --format=jsonl -- /bin/true
expect 125 "empty file name for -o" "$gcprof" run -o '' -- /bin/true
expect 125 "-o: '-'|standard output" "$gcprof" run -o - -- /bin/true
# A value with a newline still makes one line.
expect 125 "bad interval for -i: '1?2'" "$gcprof" run -i "$(printf '1\n2')" -- /bin/true

# ---- run: the program cannot be started: 126 / 127, as a shell -------------
printf '#!/bin/sh\nexit 0\n' >"$tmp/not-exec"
chmod 644 "$tmp/not-exec"
expect 127 "cannot run './nonexistent': No such file or directory" \
    "$gcprof" run -o x.dat -- ./nonexistent
# A PATH directory we may not search makes execvp say EACCES, as env(1) does.
expect 127 "cannot run 'gcprof-no-such-program': No such file or directory" \
    env PATH=/usr/bin:/bin "$gcprof" run -o x.dat -- gcprof-no-such-program
expect 127 "cannot run ''" "$gcprof" run -o x.dat -- ''
expect 126 "cannot run '$tmp/not-exec': Permission denied" "$gcprof" run -o x.dat -- "$tmp/not-exec"
expect 126 "cannot run '$tmp': Permission denied" "$gcprof" run -o x.dat -- "$tmp"
expect 127 "cannot run 'pro?gram'" env PATH=/usr/bin:/bin "$gcprof" run -o x.dat -- "$(printf 'pro\ngram')"
# No shell: metacharacters are a name like any other, and nothing runs.
expect 127 "cannot run 'true; touch $tmp/pwned'" "$gcprof" run -o x.dat -- "true; touch $tmp/pwned"
expect 127 "cannot run '\$(touch $tmp/pwned)'" "$gcprof" run -o x.dat -- "\$(touch $tmp/pwned)"
check "no shell ran the program's name" [ ! -e "$tmp/pwned" ]

# ---- run: the output cannot be written: 125, before the program runs -------
mkdir "$tmp/adir"
: >"$tmp/afile"
mkfifo "$tmp/fifo"
marker="$tmp/program-ran"
ran() { printf '#!/bin/sh\n: >"%s"\n' "$marker" >"$tmp/ran" && chmod 755 "$tmp/ran"; }
ran
expect 125 "cannot write '$tmp/no/dir/x.dat': No such file or directory" \
    "$gcprof" run -o "$tmp/no/dir/x.dat" -- "$tmp/ran"
expect 125 "cannot write '$tmp/adir': Is a directory" "$gcprof" run -o "$tmp/adir" -- "$tmp/ran"
expect 125 "cannot write '$tmp/afile/x.dat': Not a directory" \
    "$gcprof" run -o "$tmp/afile/x.dat" -- "$tmp/ran"
expect 125 "cannot write '$tmp/fifo': not a regular file" "$gcprof" run -o "$tmp/fifo" -- "$tmp/ran"
check "-o FIFO: the FIFO is still there" [ -p "$tmp/fifo" ]
expect 125 "cannot write '/dev/null': not a regular file" "$gcprof" run -o /dev/null -- "$tmp/ran"
expect 125 "cannot write '/dev/stdout': a link to an open file" \
    "$gcprof" run -o /dev/stdout -- "$tmp/ran"
# Read-only places: root ignores permissions, but not those of /sys.
expect 125 "cannot write '/sys/gcprof-test.dat'" "$gcprof" run -o /sys/gcprof-test.dat -- "$tmp/ran"
check "the program never ran when its output was refused" [ ! -e "$marker" ]
no_temp_files "$tmp" && pass "run: no temporary file left by the refusals" ||
    fail "run: temporary files left: $(find "$tmp" -name '*.tmp*')"

# A directory without write permission. Root ignores the mode: as root, the
# test runs gcprof as nobody (setpriv), and says so when it cannot.
mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
as_user=
if [ "$(id -u)" -ne 0 ]; then
    as_user=" "
elif command -v setpriv >/dev/null 2>&1 && chmod 755 "$tmp" &&
    setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
if [ -n "$as_user" ]; then
    # shellcheck disable=SC2086 # $as_user is words
    expect 125 "cannot write '$tmp/ro/x.dat': Permission denied" \
        $as_user "$gcprof" run -o "$tmp/ro/x.dat" -- /bin/true
    # shellcheck disable=SC2086
    expect 1 "cannot write $tmp/ro/x.svg: Permission denied" \
        $as_user "$gcprof" plot "$data/small.dat" -o "$tmp/ro/x.svg"
    check "unwritable directory: nothing created" [ -z "$(ls -A "$tmp/ro")" ]
else
    echo "SKIP: running as root without setpriv: a directory's mode cannot be tested" \
        "(the read-only /sys and a file as parent directory stand in)"
fi

# ---- run: odd names work, and the program gets its arguments untouched ------
odd="$tmp/dir with space/-'single' \"double\" ünï ✓"
mkdir -p "$odd" "$tmp/bin"
# The program prints its arguments one per line, in brackets.
printf '#!/bin/sh\nfor a; do printf "[%%s]\\n" "$a"; done\n' >"$odd/prög 'q' \"dq\" -x"
chmod 755 "$odd/prög 'q' \"dq\" -x"
cp "$odd/prög 'q' \"dq\" -x" "$tmp/bin/-dash-prog"
set -- 'a b' '"quoted"' "it's" '-x' '--' '*' '$HOME' '; rm -rf /' '' 'ünï ✓' "$(printf 'two\nlines')" '\\'
for a; do printf '[%s]\n' "$a"; done >"$tmp/want-args"
out="$odd/-out 'q' \"dq\" é.dat"
"$gcprof" run -o "$out" -- "$odd/prög 'q' \"dq\" -x" "$@" >"$tmp/got-args" 2>"$tmp/stderr"
rc=$?
if [ "$rc" -eq 0 ] && cmp -s "$tmp/want-args" "$tmp/got-args"; then
    pass "run: arguments reach the program untouched (spaces, quotes, '*', '\$', '', newline)"
else
    fail "run: status $rc, arguments: $(cat "$tmp/got-args" "$tmp/stderr")"
fi
check "run: output with spaces, quotes, leading '-', unicode" grep -q '^GCPROF_END ' "$out"
check "run: its closing note names it" grep -qF "wrote $out (" "$tmp/stderr"
check "run: the command line is recorded" grep -qF "CMDLINE $odd/prög" "$out"
(cd "$odd" && PATH="$tmp/bin:$PATH" "$gcprof" run -o ./-x.jsonl -- -dash-prog x) >"$tmp/stdout" 2>&1
check "run: a program named -dash-prog, after --, from PATH" grep -qx '\[x\]' "$tmp/stdout"
check "run: an output named -x.jsonl is JSON lines" grep -q '^{"type":"end"' "$odd/-x.jsonl"

# ---- run: the program's status is gcprof's ----------------------------------
for code in 0 1 2 3 124 125; do
    "$gcprof" run -o "$tmp/st.dat" -- sh -c "exit $code" 2>/dev/null
    rc=$?
    check "run: program exits $code, gcprof too (got $rc)" [ "$rc" -eq "$code" ]
done
"$gcprof" run -o "$tmp/st.dat" -- sh -c 'kill -TERM $$' 2>/dev/null
rc=$?
check "run: program killed by SIGTERM: 143 (got $rc)" [ "$rc" -eq 143 ]
check "run: killed program: the recording is whole" grep -q '^GCPROF_END ' "$tmp/st.dat"

# A disk that fills while the program runs: what was written is kept (a
# recording cut short, which readers say), gcprof's status is 125, and the
# program's status is in the message (tests/check_gcprof_signals.sh checks
# that the program runs on).
echo "old recording" >"$tmp/full.dat"
(trap '' XFSZ && ulimit -f 4 && exec "$gcprof" run -i 0.001 -o "$tmp/full.dat" -- sh -c 'sleep 1; exit 3') \
    2>"$tmp/stderr"
rc=$?
if [ "$rc" -eq 125 ] && grep -q "the recording in '$tmp/full.dat' is cut short: File too large (the program's exit status was 3)" \
    "$tmp/stderr" && "$gcprof" summary "$tmp/full.dat" >/dev/null 2>&1 && no_temp_files "$tmp"; then
    pass "run: full disk: 125, the recording cut short but readable, no temporary file"
else
    fail "run: full disk: status $rc: $(cat "$tmp/stderr")"
fi

# ---- output files: symlinks and modes ---------------------------------------
# An attacker's symlink at the output name (or at the old fixed temporary
# name) points at a file of ours: that file keeps its bytes, and the
# recording replaces the link.
mkdir "$tmp/sym"
for cmd in run plot; do
    echo "precious" >"$tmp/sym/victim"
    out="$tmp/sym/out.$cmd"
    ln -s "$tmp/sym/victim" "$out"
    ln -s "$tmp/sym/victim" "$out.tmp"
    ln -s "$tmp/sym/created-by-attack" "$out.tmp.000000"
    if [ "$cmd" = run ]; then
        "$gcprof" run -o "$out" -- /bin/true 2>"$tmp/stderr"
    else
        "$gcprof" plot "$data/small.dat" -o "$out" 2>"$tmp/stderr"
    fi
    rc=$?
    check "$cmd over a symlink: status 0 (got $rc: $(cat "$tmp/stderr"))" [ "$rc" -eq 0 ]
    check "$cmd over a symlink: its target is untouched" [ "$(cat "$tmp/sym/victim")" = precious ]
    check "$cmd over a symlink: the link was replaced by a file" \
        sh -c "[ ! -L '$out' ] && [ -f '$out' ] && [ -s '$out' ]"
    check "$cmd: a link at the old temporary name is untouched" [ -L "$out.tmp" ]
    check "$cmd: nothing created through a dangling link" [ ! -e "$tmp/sym/created-by-attack" ]
    # A dangling link at the output name itself: replaced, nothing created.
    rm -f "$out" && ln -s "$tmp/sym/made-through-link" "$out"
    if [ "$cmd" = run ]; then
        "$gcprof" run -o "$out" -- /bin/true 2>/dev/null
    else
        "$gcprof" plot "$data/small.dat" -o "$out" 2>/dev/null
    fi
    check "$cmd over a dangling symlink: replaced, target not created" \
        sh -c "[ ! -L '$out' ] && [ -f '$out' ] && [ ! -e '$tmp/sym/made-through-link' ]"
    rm -f "$out.tmp" "$out.tmp.000000"
done
# A link to a directory or a device is refused, as they are.
ln -s "$tmp/adir" "$tmp/sym/to-dir"
ln -s /dev/null "$tmp/sym/to-null"
expect 125 "cannot write '$tmp/sym/to-dir': Is a directory" "$gcprof" run -o "$tmp/sym/to-dir" -- /bin/true
expect 1 "cannot write $tmp/sym/to-null: not a regular file" \
    "$gcprof" plot "$data/small.dat" -o "$tmp/sym/to-null"
check "links to a directory and a device stay" sh -c "[ -L '$tmp/sym/to-dir' ] && [ -L '$tmp/sym/to-null' ]"

# Modes: 0644 & ~umask, never world-writable, even over a 0666 file.
mkdir "$tmp/mode"
for mask in 000 022 077; do
    want=$(printf '%o' $((0644 & ~0$mask)))
    for cmd in run plot; do
        out="$tmp/mode/$cmd.$mask"
        : >"$out" && chmod 666 "$out"
        if [ "$cmd" = run ]; then
            (umask $mask && "$gcprof" run -o "$out" -- /bin/true 2>/dev/null)
        else
            (umask $mask && "$gcprof" plot "$data/small.dat" -o "$out" 2>/dev/null)
        fi
        got=$(stat -c %a "$out")
        check "$cmd under umask $mask: mode $got, want $want" [ "$got" = "$want" ]
    done
done
no_temp_files "$tmp/mode" && pass "modes: no temporary file left" || fail "modes: temporary files left"

# ---- peak, summary, plot: usage errors are 2 ---------------------------------
u_peak="usage: gcprof peak"
u_sum="usage: gcprof summary"
u_plot="usage: gcprof plot"
expect 2 "no FILE given|$u_peak" "$gcprof" peak
expect 2 "no FILE given|$u_sum" "$gcprof" summary
expect 2 "no FILE given|$u_plot" "$gcprof" plot
expect 2 "unknown option '--bogus'|$u_peak" "$gcprof" peak --bogus "$data/small.dat"
expect 2 "unknown option '-x'|$u_sum" "$gcprof" summary -x "$data/small.dat"
expect 2 "unknown option '--bogus'|$u_plot" "$gcprof" plot --bogus "$data/small.dat" -o x.svg
expect 2 "missing value for --func" "$gcprof" peak "$data/small.dat" --func
expect 2 "missing value for --func" "$gcprof" peak --func= "$data/small.dat"
expect 2 "--func given twice: 'a', then 'b'" "$gcprof" peak --func a --func=b "$data/small.dat"
expect 2 "no output given" "$gcprof" plot "$data/small.dat"
expect 2 "missing value for -o" "$gcprof" plot "$data/small.dat" -o
expect 2 "missing value for --title" "$gcprof" plot "$data/small.dat" -o x.svg --title
expect 2 "empty file name for -o" "$gcprof" plot "$data/small.dat" -o ''
expect 2 "-o given twice: 'a.svg', then 'b.svg'" "$gcprof" plot "$data/small.dat" -o a.svg -o b.svg
expect 2 "--output given twice: 'a.svg', then 'b.svg'" \
    "$gcprof" plot "$data/small.dat" -o a.svg --output=b.svg
expect 2 "--title given twice: 'a', then 'b'" "$gcprof" plot "$data/small.dat" -o x.svg --title a --title b
expect 2 "--width given twice: '400', then '500'" \
    "$gcprof" plot "$data/small.dat" -o x.svg --width 400 --width=500
expect 2 "more than one FILE: 'a.dat', then 'b.dat'" "$gcprof" plot a.dat b.dat -o x.svg
for v in 1e12 99999999999999999999 0 -5 319 20001 nan inf 12x ''; do
    expect 2 "--width: '$v'|320 to 20000" "$gcprof" plot "$data/small.dat" -o x.svg --width "$v"
done
expect 2 "--height: '99999999999999999999'|240 to 20000" \
    "$gcprof" plot "$data/small.dat" -o x.svg --height=99999999999999999999
cp "$data/small.dat" "$tmp/self.dat"
expect 2 "-o '$tmp/self.dat' is the input FILE" "$gcprof" plot "$tmp/self.dat" -o "$tmp/self.dat"
check "plot onto its own input: the input is intact" cmp -s "$data/small.dat" "$tmp/self.dat"

# ---- peak, summary, plot: input that is not a recording is 1 ----------------
: >"$tmp/empty.dat"
head -c 4096 "$gcprof" >"$tmp/garbage.dat"
printf '\000\001\002\377\376' >"$tmp/nul.dat"
for cmd in peak summary plot; do
    set -- "$gcprof" "$cmd"
    [ "$cmd" = plot ] && set -- "$@" -o x.svg
    expect 1 "gcprof $cmd: $tmp/missing.dat: No such file or directory" "$@" "$tmp/missing.dat"
    expect 1 "gcprof $cmd: $tmp/empty.dat:1: empty file" "$@" "$tmp/empty.dat"
    expect 1 "gcprof $cmd: $tmp/garbage.dat:" "$@" "$tmp/garbage.dat"
    expect 1 "gcprof $cmd: $tmp/nul.dat:1:" "$@" "$tmp/nul.dat"
    expect 1 "gcprof $cmd: $tmp/adir:1: read error: Is a directory" "$@" "$tmp/adir"
done
chmod 000 "$tmp/empty.dat"
if [ "$(id -u)" -ne 0 ]; then
    expect 1 "$tmp/empty.dat: Permission denied" "$gcprof" summary "$tmp/empty.dat"
fi
chmod 644 "$tmp/empty.dat"
# One bad file among good ones: the good ones are reported, status 1.
"$gcprof" peak "$data/small.dat" "$tmp/missing.dat" >"$tmp/stdout" 2>/dev/null
rc=$?
check "peak: a missing file among good ones: status 1 (got $rc)" [ "$rc" -eq 1 ]
check "peak: the good file is still reported" grep -q 'small.dat' "$tmp/stdout"

# ---- peak, summary, plot: odd names, and outputs that cannot be written ---
in="$odd/-in 'q' \"dq\" é.dat"
cp "$data/small.dat" "$in"
tab=$(printf '\t')
"$gcprof" peak -- "$in" >"$tmp/stdout" 2>&1
check "peak: input named with spaces, quotes, leading '-', unicode" \
    grep -qxF "$in${tab}87.654 MiB" "$tmp/stdout"
"$gcprof" summary -- "$in" >"$tmp/stdout" 2>&1
check "summary: the same name" grep -q '^peak RSS        87.654 MiB' "$tmp/stdout"
out="$odd/-plot 'q' \"dq\" é.svg"
"$gcprof" plot -o "$out" --title "it's \"<odd>\" ✓" -- "$in" 2>"$tmp/stderr"
check "plot: odd input, output and title" grep -q '^<svg' "$out"
check "plot: the title is escaped" grep -qF "it's &quot;&lt;odd&gt;&quot; ✓" "$out"
expect 1 "cannot write $tmp/no/dir/x.svg: No such file or directory" \
    "$gcprof" plot "$data/small.dat" -o "$tmp/no/dir/x.svg"
expect 1 "cannot write $tmp/adir: Is a directory" "$gcprof" plot "$data/small.dat" -o "$tmp/adir"
expect 1 "cannot write $tmp/afile/x.svg: Not a directory" \
    "$gcprof" plot "$data/small.dat" -o "$tmp/afile/x.svg"
expect 1 "cannot write $tmp/fifo: not a regular file" "$gcprof" plot "$data/small.dat" -o "$tmp/fifo"
expect 1 "cannot write /dev/stdout: a link to an open file" \
    "$gcprof" plot "$data/small.dat" -o /dev/stdout
expect 1 "cannot write /sys/gcprof-test.svg" "$gcprof" plot "$data/small.dat" -o /sys/gcprof-test.svg
for cmd in peak summary; do
    "$gcprof" "$cmd" "$data/small.dat" >/dev/full 2>"$tmp/stderr"
    rc=$?
    check "$cmd to a full disk: status 1 (got $rc)" [ "$rc" -eq 1 ]
    check "$cmd to a full disk: says so" grep -q "^gcprof $cmd: cannot write standard output: No space" \
        "$tmp/stderr"
done
"$gcprof" plot "$data/small.dat" -o - >/dev/full 2>"$tmp/stderr"
rc=$?
check "plot -o - to a full disk: status 1 (got $rc)" [ "$rc" -eq 1 ]
no_temp_files "$tmp" && pass "no temporary file left anywhere" ||
    fail "temporary files left: $(find "$tmp" -name '*.tmp*')"

# ---- the preload library in a secure-execution process ----------------------
# gcsec: a bdwgc program that collects three times (GC_gcollect, which the
# preload interposes), then prints the kernel's AT_SECURE, its thread count
# and its collections. Argument: a library to dlopen, or "-".
if ! have_cc_and_bdwgc; then
    echo "SKIP: no cc or no bdw-gc pkg-config: the secure-execution tests need them"
    [ -n "${CI:-}" ] && fail "cc and bdw-gc are missing in CI (scripts/install-deps.sh)"
else
    mkdir "$tmp/sec" && chmod 755 "$tmp" "$tmp/sec"
    cat >"$tmp/gcsec.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <gc/gc.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
void *volatile sink;
static int threads(void)
{
    char line[256];
    int n = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}
int main(int argc, char **argv)
{
    GC_INIT();
    if (argc > 1 && strcmp(argv[1], "-") != 0 && !dlopen(argv[1], RTLD_NOW)) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
    unsigned long start = (unsigned long)GC_get_gc_no();
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 20000; j++)
            sink = GC_MALLOC(100);
        GC_gcollect();
    }
    usleep(50000); /* the preload's reader thread runs meanwhile */
    printf("secure %lu threads %d gcs %lu\n", getauxval(AT_SECURE), threads(),
           (unsigned long)GC_get_gc_no() - start);
    return 0;
}
EOF
    # shim.so: getauxval(AT_SECURE) answers SHIM_SECURE (1 or 0), and every
    # getenv("GCPROF_...") is logged to fd 8. Preloaded with the preload
    # library, it stands in for the kernel: the library's own getauxval
    # call, in its real constructor, gets the answer.
    cat >"$tmp/shim.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
extern char **environ;
unsigned long getauxval(unsigned long type)
{
    unsigned long (*real)(unsigned long) =
        (unsigned long (*)(unsigned long))dlsym(RTLD_NEXT, "getauxval");
    if (type == AT_SECURE) /* environ, not getenv: that one is watched */
        for (char **e = environ; e && *e; e++)
            if (strncmp(*e, "SHIM_SECURE=", 12) == 0)
                return strcmp(*e + 12, "1") == 0;
    return real ? real(type) : 0;
}
char *getenv(const char *name)
{
    char *(*real)(const char *) = (char *(*)(const char *))dlsym(RTLD_NEXT, "getenv");
    if (strncmp(name, "GCPROF_", 7) == 0) {
        char line[128];
        int n = snprintf(line, sizeof line, "%d getenv %s\n", (int)getpid(), name);
        if (write(8, line, (size_t)n) < 0) { /* fd 8 closed: not watched */
        }
    }
    return real ? real(name) : NULL;
}
EOF
    # shellcheck disable=SC2046 # pkg-config's flags are words
    if ! cc -O2 -o "$tmp/gcsec" "$tmp/gcsec.c" $(pkg-config --cflags --libs bdw-gc) -ldl ||
        ! cc -O2 -shared -fPIC -o "$tmp/shim.so" "$tmp/shim.c" -ldl; then
        fail "cannot build the secure-execution test programs"
    else
        # preloaded NAME SECURE LD_PRELOAD: gcsec as `gcprof run` starts it
        # (GCPROF_PRELOAD_PID its pid, GCPROF_PRELOAD_FD 9 a pipe named by
        # GCPROF_PRELOAD_FD_ID, a trace file asked for); what comes through the pipe goes to NAME.out.
        # pipe_to NAME: the named pipe NAME.fifo, read into NAME.out by $reader.
        pipe_to() {
            mkfifo "$tmp/sec/$1.fifo"
            cat "$tmp/sec/$1.fifo" >"$tmp/sec/$1.out" &
            reader=$!
        }
        # as_run NAME: in the subshell that becomes the program, in $tmp/sec,
        # what `gcprof run` sets: the pipe NAME.fifo as descriptor 9 (named
        # by its device and inode), .dat records every 0.01 s, a trace to
        # NAME.trace.
        as_run() {
            cd "$tmp/sec" || exit 1
            GCPROF_PRELOAD_FD_ID=$(stat -L -c '%d:%i' "$tmp/sec/$1.fifo")
            export GCPROF_PRELOAD_FD=9 GCPROF_PRELOAD_FD_ID GCPROF_PRELOAD_FORMAT=dat
            export GCPROF_PRELOAD_INTERVAL=0.01 GCPROF_PRELOAD_TRACE=1
            export GCPROF_PRELOAD_TRACE_FILE="$tmp/sec/$1.trace"
            # and a heap profile of every allocation, into NAME.heap
            mkdir -m 700 "$tmp/sec/$1.heap"
            export GCPROF_PRELOAD_HEAP_RATE=1 GCPROF_PRELOAD_HEAP_DIR="$tmp/sec/$1.heap"
        }
        preloaded() {
            name=$1
            pipe_to "$name"
            (
                as_run "$name"
                export SHIM_SECURE="$2" LD_PRELOAD="$3"
                exec sh -c 'GCPROF_PRELOAD_PID=$$; export GCPROF_PRELOAD_PID; exec "$0" -' "$tmp/gcsec"
            ) 9>"$tmp/sec/$name.fifo" 8>"$tmp/sec/$name.getenv" >"$tmp/sec/$name.stdout" \
                2>"$tmp/sec/$name.stderr"
            rc=$?
            wait "$reader"
            echo $rc
        }
        field() { # field NAME KEY: KEY's number in NAME's line
            sed -n "s/.*$2 \([0-9]*\).*/\1/p" "$tmp/sec/$1.stdout"
        }
        shim="$tmp/shim.so"
        rc_base=$(preloaded base 1 "$shim")
        # the preload's heap build: the timeline's and the heap profile's code
        heap_preload="${GCPROF_PRELOAD%/*}/libgcprof-preload-heap.so"
        rc_on=$(preloaded on 0 "$shim $heap_preload")
        rc_sec=$(preloaded sec 1 "$heap_preload $shim")
        base=$(field base threads) on=$(field on threads) sec=$(field sec threads)
        if [ "$rc_base$rc_on$rc_sec" != 000 ] || [ -z "$base" ] || [ -z "$on" ] || [ -z "$sec" ]; then
            fail "secure (shim): runs failed: $rc_base $rc_on $rc_sec: $(cat "$tmp/sec/"*.stderr)"
        else
            # the control run proves each observation can see the library at work
            check "control: the library reads GCPROF_ variables" [ -s "$tmp/sec/on.getenv" ]
            check "control: records collections" grep -q '^GCPROF_GC ' "$tmp/sec/on.out"
            check "control: opens the trace file" [ -e "$tmp/sec/on.trace" ]
            check "control: writes a heap dump" [ -n "$(ls "$tmp/sec/on.heap")" ]
            check "control: starts one thread ($base -> $on)" [ "$on" -eq $((base + 1)) ]
            check "AT_SECURE (shim): no GCPROF_ variable read" [ ! -s "$tmp/sec/sec.getenv" ]
            check "AT_SECURE (shim): nothing written to GCPROF_PRELOAD_FD" [ ! -s "$tmp/sec/sec.out" ]
            check "AT_SECURE (shim): no trace file created" [ ! -e "$tmp/sec/sec.trace" ]
            check "AT_SECURE (shim): no heap dump" [ -z "$(ls "$tmp/sec/sec.heap")" ]
            check "AT_SECURE (shim): no thread ($base -> $sec)" [ "$sec" -eq "$base" ]
            check "AT_SECURE (shim): GC_gcollect still collects ($(field sec gcs) collections)" \
                [ "$(field sec gcs)" -ge 3 ]
            check "AT_SECURE (shim): nothing on stderr" [ ! -s "$tmp/sec/sec.stderr" ]
        fi

        # The kernel's own AT_SECURE: a setuid-root copy of gcsec, run as
        # nobody, dlopens the library (ld.so ignores LD_PRELOAD paths in
        # such a process, but dlopen is allowed). Needs root, setpriv, and
        # a filesystem without nosuid.
        # suid NAME LIB SETPRIV...: gcsec-suid, dlopening LIB, as the user SETPRIV gives.
        suid() {
            name=$1 lib=$2
            shift 2
            pipe_to "$name"
            (
                as_run "$name"
                exec sh -c 'GCPROF_PRELOAD_PID=$$; export GCPROF_PRELOAD_PID; exec "$@"' sh "$@" "$tmp/sec/gcsec-suid" "$lib"
            ) 9>"$tmp/sec/$name.fifo" >"$tmp/sec/$name.stdout" 2>"$tmp/sec/$name.stderr"
            rc=$?
            wait "$reader"
            echo $rc
        }
        nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
        if [ "$(id -u)" -ne 0 ] || [ -z "$as_user" ]; then
            echo "SKIP: not root, or no setpriv: no setuid test (the shim test above stands in)"
        elif ! cp "$tmp/gcsec" "$tmp/sec/gcsec-suid" || ! chmod 4755 "$tmp/sec/gcsec-suid"; then
            fail "cannot make a setuid copy of gcsec"
        else
            # shellcheck disable=SC2086 # $nobody is words
            rc1=$(suid ubase - $nobody) rc2=$(suid usec "$heap_preload" $nobody)
            rc3=$(suid rbase - env) rc4=$(suid ron "$heap_preload" env)
            if [ "$(field ubase secure)" != 1 ]; then
                echo "SKIP: a setuid program does not get AT_SECURE in $tmp (a nosuid mount?)"
            elif [ "$rc1$rc2$rc3$rc4" != 0000 ]; then
                fail "setuid runs failed: $rc1 $rc2 $rc3 $rc4: $(cat "$tmp/sec/"u*.stderr "$tmp/sec/"r*.stderr)"
            else
                check "setuid control (root, no AT_SECURE): the library records" \
                    grep -q '^GCPROF_GC ' "$tmp/sec/ron.out"
                check "setuid control: one thread more" \
                    [ "$(field ron threads)" -eq $(($(field rbase threads) + 1)) ]
                check "setuid control: trace file created" [ -e "$tmp/sec/ron.trace" ]
                check "AT_SECURE (setuid as nobody): the kernel says secure" [ "$(field usec secure)" = 1 ]
                check "AT_SECURE (setuid): nothing written to GCPROF_PRELOAD_FD" [ ! -s "$tmp/sec/usec.out" ]
                check "AT_SECURE (setuid): no trace file, though euid is root" [ ! -e "$tmp/sec/usec.trace" ]
                check "AT_SECURE (setuid): no thread" [ "$(field usec threads)" -eq "$(field ubase threads)" ]
                check "AT_SECURE (setuid): nothing on stderr" [ ! -s "$tmp/sec/usec.stderr" ]
            fi
        fi
    fi
fi

finish PASS
