#!/bin/sh
# The environment as gcp_init reads it in a fresh process (issue 13):
# GCPROF_SITES and GCPROF_TRACE take the one boolean vocabulary (false is
# off); a bad value, with no caller to tell, is a warning naming the
# variable, and the setting keeps its default (site tracking off; no monitor
# and no trace); the monitor's numbers and choices likewise; the config's
# variables fail the NULL-config profile instead. And `gcprof run --trace`
# of a program linked with libgcprof traces each collection once: gcprof
# talks to its preload library in GCPROF_PRELOAD_* variables, not in the
# program's own GCPROF_TRACE. tests/monitor_host prints what it got.
# Exit 0 pass, 1 fail. Run alone: top_builddir=. sh tests/check_env.sh
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
host="$top_builddir/tests/monitor_host"
preload=$(preload_path) # not exported: the host gets no GCPROF variable of ours
for v in $(env | sed -n 's/^\(GCPROF[A-Z0-9_]*\)=.*/\1/p'); do
    unset "$v"
done
[ -x "$host" ] || die "$host not built"
make_tmp
vocab='(true/false, 1/0, yes/no, on/off)'

# host VAR=VALUE...: run the host with these set; its line in $tmp/out,
# its stderr in $tmp/err.
host() {
    env "$@" "$host" >"$tmp/out" 2>"$tmp/err"
}
field() { # field KEY: the host's KEY=value
    sed -n "s/.*\<$1=\([-0-9]*\).*/\1/p" "$tmp/out"
}
warned() { # warned TEXT: stderr has a warning with TEXT
    grep -qF "gcprof: warning: $1" "$tmp/err"
}

# ---- GCPROF_SITES ----------------------------------------------------------
# sites_read WANT WORD...: GCPROF_SITES=WORD gives sites=WANT, and no message.
sites_read() {
    want=$1
    shift
    for w in "$@"; do
        host GCPROF_SITES="$w"
        [ "$(field sites)" = "$want" ] || fail "GCPROF_SITES='$w': sites=$(field sites), want $want"
        [ ! -s "$tmp/err" ] || fail "GCPROF_SITES='$w': $(cat "$tmp/err")"
    done
}
sites_read 1 true TRUE True 1 yes YES on On ' on '
sites_read 0 false FALSE False 0 no NO off Off '' ' '
for w in ture 2 enable; do
    host GCPROF_SITES="$w"
    [ "$(field sites)" = 0 ] || fail "GCPROF_SITES='$w' (a typo): sites=$(field sites), want 0"
    warned "GCPROF_SITES: '$w' is not a boolean $vocab; site tracking stays off" ||
        fail "GCPROF_SITES='$w': no warning naming it: $(cat "$tmp/err")"
    [ "$(field profile)" = 0 ] || fail "GCPROF_SITES='$w': the program did not run on"
done

# ---- GCPROF_TRACE: a trace alone starts the monitor -------------------------
for w in true TRUE 1 yes on On; do
    host GCPROF_TRACE="$w"
    [ "$(field monitor)" = 1 ] || fail "GCPROF_TRACE='$w': monitor=$(field monitor), want 1"
    grep -q '^gc [0-9]* @' "$tmp/err" || fail "GCPROF_TRACE='$w': no trace lines"
done
for w in false FALSE 0 no off Off ''; do
    host GCPROF_TRACE="$w"
    [ "$(field monitor)" = 0 ] || fail "GCPROF_TRACE='$w': monitor=$(field monitor), want 0"
    [ ! -s "$tmp/err" ] || fail "GCPROF_TRACE='$w': $(head -n 3 "$tmp/err")"
done
host GCPROF_TRACE=ture
[ "$(field monitor)" = 0 ] || fail "GCPROF_TRACE=ture: monitor=$(field monitor), want 0"
grep -q '^gc [0-9]* @' "$tmp/err" && fail "GCPROF_TRACE=ture: traced"
warned "GCPROF_TRACE: 'ture' is not a boolean $vocab; no monitor or trace from the environment" ||
    fail "GCPROF_TRACE=ture: no warning naming it: $(cat "$tmp/err")"

# ---- the monitor's numbers and choices: named, no file ----------------------
host GCPROF_MONITOR_OUT="$tmp/m1.dat" GCPROF_MONITOR_FORMAT=xml
[ "$(field monitor)" = 0 ] && [ ! -e "$tmp/m1.dat" ] || fail "FORMAT=xml: a monitor started"
warned "GCPROF_MONITOR_FORMAT: 'xml' is not dat or jsonl" ||
    fail "GCPROF_MONITOR_FORMAT=xml: not named: $(cat "$tmp/err")"
host GCPROF_MONITOR_OUT="$tmp/m2.dat" GCPROF_MONITOR_INTERVAL=0
[ "$(field monitor)" = 0 ] && [ ! -e "$tmp/m2.dat" ] || fail "INTERVAL=0: a monitor started"
warned "GCPROF_MONITOR_INTERVAL must be from 0.001 to 3600, got 0" ||
    fail "GCPROF_MONITOR_INTERVAL=0: not named: $(cat "$tmp/err")"
host GCPROF_MONITOR_OUT="$tmp/m3.dat" GCPROF_MONITOR_INTERVAL=soon
warned "GCPROF_MONITOR_INTERVAL: 'soon' is not a number" ||
    fail "GCPROF_MONITOR_INTERVAL=soon: not named: $(cat "$tmp/err")"
host GCPROF_MONITOR_OUT="$tmp/m4.jsonl" GCPROF_MONITOR_FORMAT=' JSONL ' GCPROF_MONITOR_INTERVAL=' 0.005 '
[ "$(field monitor)" = 1 ] && [ ! -s "$tmp/err" ] || fail "FORMAT=' JSONL ': $(cat "$tmp/err")"
head -c 1 "$tmp/m4.jsonl" 2>/dev/null | grep -q '{' || fail "FORMAT=' JSONL ': not a .jsonl file"

# ---- the config's variables: the NULL-config profile fails, named -----------
host GCPROF_TRACK_PEAK=off GCPROF_HEAP_ONLY=No
[ "$(field profile)" = 0 ] || fail "GCPROF_TRACK_PEAK=off: profile=$(field profile)"
host GCPROF_TRACK_PEAK=ture
[ "$(field profile)" = -22 ] || fail "GCPROF_TRACK_PEAK=ture: profile=$(field profile), want -22"

# ---- gcprof run --trace: each collection traced once -------------------------
if [ -x "$gcprof" ] && [ -f "$preload" ]; then
    GCPROF_PRELOAD="$preload" "$gcprof" run --trace -o "$tmp/run.dat" -- "$host" \
        >"$tmp/out" 2>"$tmp/err" || fail "gcprof run --trace: exit $?: $(cat "$tmp/err")"
    gcs=$(grep -c '^GCPROF_GC ' "$tmp/run.dat")
    lines=$(grep -c '^gc [0-9]* @' "$tmp/err")
    [ "$gcs" -gt 0 ] && [ "$lines" -eq "$gcs" ] ||
        fail "gcprof run --trace: $lines trace lines for $gcs collections"
    [ "$(field monitor)" = 0 ] || fail "gcprof run --trace: the program's own monitor started"
else
    echo "SKIP: gcprof run (no $gcprof or $preload)"
fi

finish "PASS: GCPROF_SITES, GCPROF_TRACE, the monitor's and the config's variables at start-up"
