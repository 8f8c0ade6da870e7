#!/bin/sh
# gcprof and its files at a full disk and at signals (issue 12, item 12):
# `gcprof run` at a full disk (a file-size limit, ulimit -f) says so at
# once while the program runs on, and keeps what it wrote, readable; a
# SIGTERM to gcprof run gives a committed file and no temporary one; a
# SIGKILLed gcprof run takes its program with it; `gcprof plot` stopped by
# SIGINT leaves no temporary file. Timeouts only detect a hang.
# Exit 0 pass, 1 fail.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
GCPROF_PRELOAD=/nonexistent # RSS only: the program is a shell
export GCPROF_PRELOAD
make_tmp
# wait_for CMD...: up to 20 s for CMD to succeed
wait_for() {
    i=0
    while ! "$@" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 200 ] || return 1
        sleep 0.1
    done
}

# ---- a full disk midway -------------------------------------------------
# The program waits for gcprof's message (the disk filled while it runs),
# then says it saw it: the message came at once, not after its end.
cat >"$tmp/prog.sh" <<'EOF2'
i=0
while ! grep -q 'keeping what was written' "$1" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 200 ] || exit 3
    sleep 0.1
done
echo seen >"$2"
EOF2
(
    ulimit -f 16 # KiB in most shells, 512-byte blocks in some: 8 or 16 KiB
    exec timeout 60 "$gcprof" run -i 0.001 -o "$tmp/full.dat" -- \
        /bin/sh "$tmp/prog.sh" "$tmp/full.err" "$tmp/seen"
) 2>"$tmp/full.err"
rc=$?
[ $rc -eq 125 ] || fail "full disk: status $rc, want 125 (the recording is cut short)"
[ -f "$tmp/seen" ] || fail "full disk: not said while the program ran: $(cat "$tmp/full.err")"
n=$(grep -c 'keeping what was written' "$tmp/full.err")
[ "$n" -eq 1 ] || fail "full disk: said $n times, want once"
grep -q "the recording in '$tmp/full.dat' is cut short" "$tmp/full.err" ||
    fail "full disk: no closing note: $(cat "$tmp/full.err")"
[ -s "$tmp/full.dat" ] || fail "full disk: what was written is lost"
"$gcprof" summary "$tmp/full.dat" >"$tmp/summary" 2>&1 ||
    fail "full disk: the kept file is not readable: $(cat "$tmp/summary")"
grep -q 'did not finish\|cut short' "$tmp/summary" ||
    fail "full disk: the kept file is not taken as cut short: $(cat "$tmp/summary")"
no_tmp "full disk"

# ---- SIGTERM to gcprof run: forwarded, the file committed ----------------
"$gcprof" run -o "$tmp/term.dat" -- /bin/sh -c 'echo $$ >"$1"; exec sleep 60' sh "$tmp/term.pid" \
    2>"$tmp/term.err" &
g=$!
wait_for test -s "$tmp/term.pid" || fail "SIGTERM: the program never started"
kill -TERM $g
wait $g
rc=$?
[ $rc -eq 143 ] || fail "SIGTERM: status $rc, want 143 (the program's SIGTERM)"
"$gcprof" summary "$tmp/term.dat" >/dev/null 2>&1 || fail "SIGTERM: no readable recording"
no_tmp "SIGTERM"

# ---- SIGKILL to gcprof run: the program does not outlive it -------------
"$gcprof" run -o "$tmp/kill.dat" -- /bin/sh -c 'echo $$ >"$1"; exec sleep 60' sh "$tmp/kill.pid" \
    2>/dev/null &
g=$!
wait_for test -s "$tmp/kill.pid" || fail "SIGKILL: the program never started"
p=$(cat "$tmp/kill.pid")
kill -KILL $g
wait $g 2>/dev/null
gone() { ! kill -0 "$p"; }
if ! wait_for gone; then
    fail "SIGKILL: the program (pid $p) outlived gcprof run"
    kill -KILL "$p" 2>/dev/null
fi
rm -f "$tmp"/kill.dat.tmp.* # SIGKILL runs no handler: the partial file stays

# ---- SIGINT to gcprof plot: no temporary file left ------------------------
# Deterministic: a preloaded rename() raises SIGINT, so it comes while the
# temporary file is there, just before it would have taken its name.
if command -v cc >/dev/null 2>&1; then
    cat >"$tmp/sigint.c" <<'EOF2'
#include <errno.h>
#include <signal.h>
#include <stdio.h>
int rename(const char *from, const char *to)
{
    (void)from;
    (void)to;
    raise(SIGINT);
    errno = EINTR;
    return -1;
}
EOF2
    if cc -shared -fPIC -o "$tmp/sigint.so" "$tmp/sigint.c" 2>"$tmp/cc.err"; then
        printf 'MEM 1.0 1700000000.0\nMEM 2.0 1700000001.0\n' >"$tmp/in.dat"
        LD_PRELOAD="$tmp/sigint.so" "$gcprof" plot "$tmp/in.dat" -o "$tmp/int.svg" 2>/dev/null
        rc=$?
        [ $rc -eq 130 ] || fail "plot at SIGINT: status $rc, want 130 (killed by SIGINT)"
        [ ! -e "$tmp/int.svg" ] || fail "plot at SIGINT: the picture was written"
        no_tmp "plot at SIGINT"
        rm -f "$tmp"/*.tmp.*
        # ignored on entry (nohup): ignored still, the picture written
        (trap '' INT; LD_PRELOAD="$tmp/sigint.so" "$gcprof" plot "$tmp/in.dat" -o "$tmp/ign.svg" \
            2>/dev/null)
        [ $? -ne 130 ] || fail "plot with SIGINT ignored: killed by it"
        rm -f "$tmp"/*.tmp.*
    else
        echo "note: cannot build a preloaded rename (cc failed): SIGINT to plot not tried"
    fi
else
    echo "note: no cc: SIGINT to plot not tried"
fi

finish "PASS: gcprof at a full disk and at signals"
