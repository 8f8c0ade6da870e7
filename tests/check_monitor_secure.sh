#!/bin/sh
# The library's own files and environment inside a host process (issue 12,
# item 1). A setuid-root program linked with libgcprof, run as nobody
# (AT_SECURE), reads no GCPROF_* variable and writes no file: root-owned
# files named by GCPROF_MONITOR_OUT and GCPROF_TRACE_FILE stay as they
# were, nothing is created, GCPROF and GCPROF_SITES change nothing, and
# GCPROF_METRICS_ADDR/FILE serve and write nothing (issue 16). As
# root (no AT_SECURE), symlinks and hard links planted at those names are
# replaced, never written through, and /dev/stderr is the stream itself.
# Needs root, setpriv and a filesystem without nosuid; exits 77 otherwise.
# Exit 0 pass, 1 fail. Run alone: top_builddir=. sh tests/check_monitor_secure.sh
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
host="$top_builddir/tests/monitor_host"
unset GCPROF_MONITOR_PID GCPROF_MONITOR_FORMAT GCPROF_MONITOR_INTERVAL GCPROF_TRACE GCPROF_TRACE_FILE
[ -x "$host" ] || die "$host not built"
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1; then
    skip "needs root and setpriv (a setuid-root program run as nobody)"
fi

make_tmp
umask 022
chmod 755 "$tmp"
same() { cmp -s "$1" "$2"; }
listing() { (cd "$tmp/$1" && ls -A | LC_ALL=C sort); }
nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"

# run DIR OUT TRACE [SETPRIV...]: the host, every variable set, in DIR.
run() {
    dir=$1 out=$2 trace=$3
    shift 3
    env GCPROF_MONITOR_OUT="$out" GCPROF_TRACE=1 GCPROF_TRACE_FILE="$trace" \
        GCPROF_MONITOR_INTERVAL=0.01 GCPROF='no_such_key=1' GCPROF_SITES=1 \
        GCPROF_METRICS_ADDR=127.0.0.1:0 GCPROF_METRICS_FILE="$dir/metrics.prom" \
        "$@" "$dir/host" >"$dir/stdout" 2>"$dir/stderr"
}

# ---- setuid root, run as nobody: AT_SECURE ------------------------------
mkdir "$tmp/sec" && chmod 755 "$tmp/sec"
cp "$host" "$tmp/sec/host" && chmod 4755 "$tmp/sec/host" || exit 1
printf 'root only\n' >"$tmp/sec/root.dat"
printf 'root only too\n' >"$tmp/sec/root.trace"
cp "$tmp/sec/root.dat" "$tmp/root.dat.orig"
cp "$tmp/sec/root.trace" "$tmp/root.trace.orig"
before=$(listing sec)
# shellcheck disable=SC2086 # $nobody is words
run "$tmp/sec" "$tmp/sec/root.dat" "$tmp/sec/root.trace" $nobody
rc=$?
if ! grep -q '^secure=1 ' "$tmp/sec/stdout"; then
    echo "SKIP: a setuid program does not get AT_SECURE in $tmp (a nosuid mount?): $(cat "$tmp/sec/stdout")"
    exit 77
fi
check "AT_SECURE: the program runs (status $rc)" [ "$rc" -eq 0 ]
check "AT_SECURE: GCPROF_MONITOR_OUT's root-owned file unchanged" same "$tmp/sec/root.dat" "$tmp/root.dat.orig"
check "AT_SECURE: GCPROF_TRACE_FILE's root-owned file unchanged" same "$tmp/sec/root.trace" "$tmp/root.trace.orig"
check "AT_SECURE: nothing created ($(listing sec | tr '\n' ' '))" [ "$(listing sec)" = "$before
stderr
stdout" ]
check "AT_SECURE: no monitor, no site tracking" grep -q ' sites=0 monitor=0 ' "$tmp/sec/stdout"
check "AT_SECURE: no metrics endpoint" grep -q ' metrics=-1001$' "$tmp/sec/stdout"
check "AT_SECURE: nothing on stderr (no trace, GCPROF unread)" [ ! -s "$tmp/sec/stderr" ]

# ---- the same as root: the control ------------------------------------------
mkdir "$tmp/ctl" && cp "$host" "$tmp/ctl/host" || exit 1
run "$tmp/ctl" "$tmp/ctl/run.dat" "$tmp/ctl/run.trace"
check "control: the program runs" [ $? -eq 0 ]
check "control: not secure, a monitor, site tracking" grep -q '^secure=0 sites=1 monitor=1 ' "$tmp/ctl/stdout"
check "control: GCPROF read (its bad key named)" grep -q 'no_such_key' "$tmp/ctl/stderr"
check "control: the timeline written, end record last" sh -c "tail -n 1 '$tmp/ctl/run.dat' | grep -q '^GCPROF_END '"
check "control: the trace written" grep -q '^gc [0-9]* @' "$tmp/ctl/run.trace"
check "control: a metrics endpoint" grep -q ' metrics=[1-9][0-9]*$' "$tmp/ctl/stdout"
check "control: the metrics file written at exit" grep -q '^bdwgc_collections_total [1-9]' "$tmp/ctl/metrics.prom"

# ---- as root: links planted at the names ---------------------------------
mkdir "$tmp/ln" && cp "$host" "$tmp/ln/host" || exit 1
printf 'victim one\n' >"$tmp/ln/victim1"
printf 'victim two\n' >"$tmp/ln/victim2"
printf 'victim three\n' >"$tmp/ln/victim3"
cp "$tmp/ln/victim1" "$tmp/v1" && cp "$tmp/ln/victim2" "$tmp/v2" && cp "$tmp/ln/victim3" "$tmp/v3"
ln -s "$tmp/ln/victim1" "$tmp/ln/run.dat"
ln -s "$tmp/ln/victim2" "$tmp/ln/run.trace"
run "$tmp/ln" "$tmp/ln/run.dat" "$tmp/ln/run.trace"
check "symlink at GCPROF_MONITOR_OUT: victim unchanged" same "$tmp/ln/victim1" "$tmp/v1"
check "symlink at GCPROF_MONITOR_OUT: replaced by the timeline" \
    sh -c "[ -f '$tmp/ln/run.dat' ] && [ ! -L '$tmp/ln/run.dat' ] && grep -q '^GCPROF_END ' '$tmp/ln/run.dat'"
check "symlink at GCPROF_TRACE_FILE: victim unchanged" same "$tmp/ln/victim2" "$tmp/v2"
check "symlink at GCPROF_TRACE_FILE: replaced by the trace" \
    sh -c "[ ! -L '$tmp/ln/run.trace' ] && grep -q '^gc [0-9]* @' '$tmp/ln/run.trace'"
check "no temporary file left" [ -z "$(find "$tmp/ln" -name '*.tmp.*')" ]
rm -f "$tmp/ln/run.dat" "$tmp/ln/run.trace"
ln "$tmp/ln/victim3" "$tmp/ln/hard.trace"
run "$tmp/ln" "$tmp/ln/hard.dat" "$tmp/ln/hard.trace"
check "hard link at GCPROF_TRACE_FILE: victim unchanged" same "$tmp/ln/victim3" "$tmp/v3"
check "hard link at GCPROF_TRACE_FILE: a file of its own" \
    sh -c "[ \$(stat -c %h '$tmp/ln/victim3') -eq 1 ] && grep -q '^gc [0-9]* @' '$tmp/ln/hard.trace'"

# ---- /dev/stderr is the stream, not a reopened (truncated) file ----------
printf 'the program said this first\n' >"$tmp/ln/err"
GCPROF_TRACE=1 GCPROF_TRACE_FILE=/dev/stderr "$tmp/ln/host" >/dev/null 2>>"$tmp/ln/err"
check "GCPROF_TRACE_FILE=/dev/stderr appends to the stream" \
    sh -c "head -n 1 '$tmp/ln/err' | grep -q 'said this first' && grep -q '^gc [0-9]* @' '$tmp/ln/err'"

finish "all passed"
