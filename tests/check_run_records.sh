#!/bin/sh
# gcprof run loses nothing and writes nowhere else (issue 11): records
# reach the file before _exit and exec, and an exec'd image is marked; a
# program that takes over the recorder's descriptor gets no line of ours
# and the file says the channel was lost; processes the program starts are
# named, and followed with -f; every run, however short, gives a file
# every reader takes, with how the program ended and the kernel's peak RSS;
# live bytes equal the collector's own accounting; the Go-style trace adds
# up. Each against the program's or the collector's own count.
# Exit 0 pass, 1 fail, 77 skip.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
use_preload
unset GCPROF_TRACE GCPROF_TRACE_FILE GC_PRINT_STATS GC_MARKERS

have_cc_and_bdwgc || skip "no cc or no bdw-gc pkg-config to build the test program"
make_tmp

# gcprog MODE N: N collections (each after some garbage), then MODE:
#   exit, _exit, exec (runs itself with "_exit N": a second image), kill9,
#   takeover (first puts a file of its own at GCPROF_PRELOAD_FD's number),
#   closeall (first closes descriptors 10 to 255), child (runs itself as a
#   child with "exit N", waits), hwm (touches 8 MiB; no collection),
#   sigexit (a SIGALRM handler calls _exit(3) while the program retries an
#   exec that fails: the handler's _exit comes while this thread writes),
#   keep (first builds a list of 500 objects it keeps; prints
#   "kept GC_NO SIZE").
# Prints "gc_no G" (collections so far in this image) and, for takeover,
# "foreign L" (lines of ours in its file); hwm prints "hwm KiB".
cat >"$tmp/gcprog.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <gc/gc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
void *volatile sink;
void *volatile kept;
static void collections(int n)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < 2000; j++)
            sink = GC_MALLOC(200);
        GC_gcollect();
    }
}
static void on_alarm(int sig)
{
    (void)sig;
    _exit(3);
}
static long vm_hwm_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = atol(line + 6);
    if (f)
        fclose(f);
    return kib;
}
int main(int argc, char **argv)
{
    const char *mode = argv[1];
    int n = atoi(argv[2]);
    if (strcmp(mode, "hwm") == 0) { /* 8 MiB of pages touched, and kept */
        char *volatile p = malloc(8 << 20);
        for (int i = 0; i < 8 << 20; i += 4096)
            p[i] = 1;
        printf("hwm %ld\n", vm_hwm_kib());
        return 0;
    }
    GC_INIT();
    const char *fd_s = getenv("GCPROF_PRELOAD_FD");
    if (strcmp(mode, "takeover") == 0 && fd_s) { /* the number is the program's now */
        int fd = open("own.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
        dup2(fd, atoi(fd_s));
        close(fd);
    }
    if (strcmp(mode, "closeall") == 0)
        for (int fd = 10; fd < 256; fd++)
            close(fd);
    if (strcmp(mode, "keep") == 0) { /* 500 objects live from here on */
        void **list = NULL;
        for (int i = 0; i < 500; i++) {
            void **node = GC_MALLOC(200);
            node[0] = list;
            list = node;
        }
        kept = list;
        printf("kept %lu %zu\n", (unsigned long)GC_get_gc_no(), GC_size(list));
    }
    collections(n);
    printf("gc_no %lu\n", (unsigned long)GC_get_gc_no());
    fflush(stdout);
    if (strcmp(mode, "takeover") == 0) {
        char buf[1 << 16];
        int fd = open("own.txt", O_RDONLY);
        ssize_t got = fd >= 0 ? read(fd, buf, sizeof buf) : 0;
        int lines = 0;
        for (ssize_t i = 0; i + 7 <= got; i++)
            lines += memcmp(buf + i, "GCPROF_", 7) == 0;
        printf("foreign %d\n", lines);
        return 0;
    }
    if (strcmp(mode, "_exit") == 0)
        _exit(0);
    if (strcmp(mode, "kill9") == 0)
        kill(getpid(), SIGKILL);
    if (strcmp(mode, "exec") == 0) {
        execl("/proc/self/exe", argv[0], "_exit", argv[2], (char *)NULL);
        return 99;
    }
    if (strcmp(mode, "sigexit") == 0) {
        signal(SIGALRM, on_alarm);
        ualarm(20000, 0);
        for (;;)
            execl("/nonexistent/gcprof-test", "x", (char *)NULL);
    }
    if (strcmp(mode, "child") == 0 || strcmp(mode, "childsleep") == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            usleep(200000); /* alive across a sample or more: gcprof looks every 10 ms */
            if (mode[5]) /* childsleep: another image, seen under both names */
                execl("/bin/sleep", "sleep", "0.2", (char *)NULL);
            execl("/proc/self/exe", argv[0], "exit", argv[2], (char *)NULL);
            _exit(99);
        }
        waitpid(pid, NULL, 0);
    }
    return 0;
}
EOF
# shellcheck disable=SC2046 # pkg-config's flags are words
cc -O2 -o "$tmp/gcprog" "$tmp/gcprog.c" $(pkg-config --cflags --libs bdw-gc) ||
    { echo "FAIL: cannot build the test program"; exit 1; }
cd "$tmp" || exit 1

gc_no() { sed -n 's/^gc_no //p' "$1" | tail -n 1; }

# ---- _exit and exec: the last collections are not lost ---------------------
# Ten runs each: before, 7 to 8 of 10 lost the last interval's records.
i=0
while [ $i -lt 10 ]; do
    i=$((i + 1))
    "$gcprof" run -o x.dat -- ./gcprog _exit 5 >out 2>err || fail "_exit run: $(cat err)"
    [ "$(count '^GCPROF_GC ' x.dat)" -eq "$(gc_no out)" ] ||
        fail "_exit run $i: $(count '^GCPROF_GC ' x.dat) records, the program made $(gc_no out)"
    "$gcprof" run -o e.dat -- ./gcprog exec 4 >out 2>err || fail "exec run: $(cat err)"
    [ "$(count '^GCPROF_IMAGE ' e.dat)" -eq 2 ] ||
        fail "exec run $i: $(count '^GCPROF_IMAGE ' e.dat) image records, want 2"
    # both images' collections, each numbered from its own start
    want=$(awk '{ s += $2 } END { print s }' out)
    [ "$(count '^GCPROF_GC ' e.dat)" -eq "$want" ] ||
        fail "exec run $i: $(count '^GCPROF_GC ' e.dat) records, the images made $want"
done
"$gcprof" summary e.dat | grep -q '^execs           1:' || fail "summary does not show the exec"

# A signal handler's _exit while the same thread writes the records before
# an exec: the program still ends, with its status (it hung, before).
timeout 20 "$gcprof" run -o s.dat -- ./gcprog sigexit 3 >/dev/null 2>err
rc=$?
[ "$rc" -eq 3 ] || fail "_exit from a signal handler during an exec: exit $rc (124: it hung)"

# A program whose path is longer than a pipe write: its image record is cut
# to fit, and the file stays readable.
long=$tmp/$(printf '%0200d' 0)/$(printf '%0200d' 1)/$(printf '%0200d' 2)/$(printf '%0200d' 3)
long=$long/$(printf '%0200d' 4)/$(printf '%0200d' 5)/$(printf '%0200d' 6)
mkdir -p "$long" && cp gcprog "$long/gcprog" &&
    "$gcprof" run -o lp.dat -- "$long/gcprog" exit 3 >out 2>err || fail "long path run: $(cat err)"
"$gcprof" summary lp.dat >/dev/null 2>err || fail "long path: the file is not readable: $(cat err)"
[ "$(count '^GCPROF_GC ' lp.dat)" -eq "$(gc_no out)" ] || fail "long path: records lost"

# The trace file gets every image's lines: emptied once, appended to.
GCPROF_TRACE_FILE=$tmp/exec.trace "$gcprof" run --trace -o et.dat -- ./gcprog exec 4 >/dev/null 2>&1
[ "$(wc -l <exec.trace)" -eq "$(count '^GCPROF_GC ' et.dat)" ] ||
    fail "trace across an exec: $(wc -l <exec.trace) lines, $(count '^GCPROF_GC ' et.dat) records"

# ---- a descriptor taken over, or closed, is never written to ---------------
"$gcprof" run -o t.dat -- ./gcprog takeover 20 >out 2>err || fail "takeover run: $(cat err)"
[ "$(sed -n 's/^foreign //p' out)" = 0 ] || fail "our lines went into the program's file: $(cat out)"
[ "$(count '^GCPROF_LOST ' t.dat)" -eq 1 ] || fail "takeover: no GCPROF_LOST record"
grep -q "closed or replaced the descriptor" err || fail "takeover: gcprof run does not say so: $(cat err)"
"$gcprof" summary t.dat | grep -q "^warning: the collector's records of process" ||
    fail "takeover: summary does not warn"
"$gcprof" run -o c.dat -- ./gcprog closeall 20 >out 2>err || fail "closeall run: $(cat err)"
[ "$(count '^GCPROF_LOST ' c.dat)" -eq 1 ] || fail "closeall: no GCPROF_LOST record"
# and a program that keeps its descriptors loses nothing, and is not marked
"$gcprof" run -o k.dat -- ./gcprog exit 20 >out 2>err || fail "plain run: $(cat err)"
[ "$(count '^GCPROF_LOST ' k.dat)" -eq 0 ] || fail "a plain run is marked lost"
[ "$(count '^GCPROF_GC ' k.dat)" -eq "$(gc_no out)" ] || fail "plain run: records lost"

# ---- children: named, and followed with -f ---------------------------------
# Under an ASan build (scripts/check-sanitizers.sh) the preload brings
# LeakSanitizer into the program, whose check at exit clones a tracer: a
# child process named as its parent, which gcprof rightly names too
# ("2 processes ./gcprog started"). These runs count children: no leak
# check in them (every other run keeps it).
no_lsan_children() {
    if asan_built "$(preload_path)"; then
        ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$@"
    else
        "$@"
    fi
}
no_lsan_children "$gcprof" run -o ch.dat -- ./gcprog child 6 >out 2>err || fail "child run: $(cat err)"
own=$(awk -v p="$(awk '$1 == "GCPROF_META" { print $3 }' ch.dat)" \
    '$1 == "GCPROF_GC" && $12 == p' ch.dat | wc -l)
[ "$(count '^GCPROF_GC ' ch.dat)" -eq "$own" ] || fail "not following, a child's collections are in"
if [ "$(count '^GCPROF_CHILD .* 0 gcprog$' ch.dat)" -ne 1 ]; then
    # seen only if it lived across a sample: make it so, and say if not
    echo "note: the child was not seen between two samples"
else
    grep -q "1 process ./gcprog started was not followed" err || fail "child: no note: $(cat err)"
fi
# first seen between fork and exec (its parent's name), then as itself: named
# again, one process to the readers, with the later name
no_lsan_children "$gcprof" run -o cs.dat -- ./gcprog childsleep 2 >out 2>err ||
    fail "childsleep run: $(cat err)"
names=$(awk '$1 == "GCPROF_CHILD" { print $3, $6 }' cs.dat | tr '\n' ' ')
# (seen only once, after the exec, it is named sleep at once: said, not failed)
[ "$names" = "${names#* gcprog }" ] && echo "note: childsleep: not seen before its exec: $names"
[ "$(awk '$1 == "GCPROF_CHILD" { print $3 }' cs.dat | sort -u | wc -l)" -eq 1 ] &&
    [ "$(awk '$1 == "GCPROF_CHILD" { last = $6 } END { print last }' cs.dat)" = sleep ] ||
    fail "childsleep: one pid, last named sleep, got: $names"
"$gcprof" summary --json cs.dat | grep -q '"children":1,' ||
    fail "childsleep: not one child to the reader: $("$gcprof" summary --json cs.dat)"
grep -q "1 process ./gcprog started was not followed" err || fail "childsleep: no note: $(cat err)"
"$gcprof" run -f -o f.dat -- ./gcprog child 6 >out 2>err || fail "-f run: $(cat err)"
# -f waits for what the program started, even orphaned: the second image's
# collections are in (the child runs on after its parent exited)...
"$gcprof" run -f -o orphan.dat -- sh -c './gcprog exit 5 >orphan.out & exit 0' 2>err ||
    fail "-f orphan: $(cat err)"
[ "$(count '^GCPROF_GC ' orphan.dat)" -eq "$(gc_no orphan.out)" ] ||
    fail "-f orphan: $(count '^GCPROF_GC ' orphan.dat) records, it made $(gc_no orphan.out)"
# ... and a signal stops the wait for one that does not end, once the
# program has ended (the sleep is gcprof's child then: it is the subreaper)
"$gcprof" run -f -o w.dat -- sh -c 'sleep 300 & echo $! >sleeper; exit 0' 2>err &
gp=$!
while [ ! -s sleeper ] || [ "$(awk '{ print $4 }' "/proc/$(cat sleeper)/stat" 2>/dev/null)" != "$gp" ]; do
    sleep 0.05
done
kill -TERM "$gp"
timeout 20 sh -c "while kill -0 $gp 2>/dev/null; do sleep 0.05; done"
rc=$?
kill "$(cat sleeper)" 2>/dev/null
wait "$gp" 2>/dev/null
[ "$rc" -eq 0 ] || fail "-f: SIGTERM did not stop waiting for a child that runs on"
[ -f w.dat ] || fail "-f: no file after SIGTERM"
# the program, its forked child (the same image), the child's exec
[ "$(count '^GCPROF_IMAGE ' f.dat)" -eq 3 ] || fail "-f: $(count '^GCPROF_IMAGE ' f.dat) images, want 3"
want=$(awk '{ s += $2 } END { print s }' out)
[ "$(count '^GCPROF_GC ' f.dat)" -eq "$want" ] ||
    fail "-f: $(count '^GCPROF_GC ' f.dat) records, the two processes made $want"
pids=$(awk '$1 == "GCPROF_GC" { print $12 }' f.dat | sort -u | wc -l)
[ "$pids" -eq 2 ] || fail "-f: records from $pids processes, want 2"

# ---- every run gives a file every reader takes ------------------------------
mprof=$(command -v mprof || true)
i=0
while [ $i -lt 20 ]; do
    i=$((i + 1))
    "$gcprof" run -o true.dat -- true 2>err || fail "true: $(cat err)"
    "$gcprof" summary true.dat >/dev/null 2>err || fail "true run $i: summary rejects it: $(cat err)"
    "$gcprof" peak true.dat >/dev/null 2>err || fail "true run $i: peak rejects it: $(cat err)"
    if [ -n "$mprof" ]; then
        "$mprof" peak true.dat >/dev/null 2>err || fail "true run $i: mprof peak fails: $(cat err)"
    fi
    [ "$(count '^GCPROF_STATUS .* exit 0 ' true.dat)" -eq 1 ] || fail "true run $i: no status"
done
# The kernel's peak holds the 8 MiB the program touched and kept. (Not
# VmHWM exactly: since Linux 6.2 the RSS counters are per CPU, and the
# figure taken at exit leaves out what is not yet folded in, up to 32
# pages per CPU; here it reads 30 to 100 KiB under VmHWM.)
"$gcprof" run -o h.dat -- ./gcprog hwm 0 >out 2>err || fail "hwm run: $(cat err)"
hwm=$(sed -n 's/^hwm //p' out)
maxrss=$(awk '$1 == "GCPROF_STATUS" { print $6 }' h.dat)
echo "kernel peak $maxrss bytes; the program's own VmHWM $hwm KiB"
[ -n "$maxrss" ] && [ "$maxrss" -ge $((8 << 20)) ] ||
    fail "kernel peak '$maxrss' bytes below the 8 MiB the program touched"
"$gcprof" summary h.dat | grep -q '^kernel peak RSS' || fail "summary shows no kernel peak"

# ---- the interval the samples really came at ---------------------------------
# Asked 1 ms; the summary's measured figure is the median gap between the
# MEM lines, as the test computes it itself.
"$gcprof" run -i 0.001 -o iv.dat -- sleep 0.2 2>/dev/null
gaps=$(awk '$1 == "MEM" { print $3 }' iv.dat | sort -n |
    awk 'NR > 1 { printf "%.6f\n", $1 - prev } { prev = $1 }' | sort -n)
n=$(printf '%s\n' "$gaps" | wc -l)
median=$(printf '%s\n' "$gaps" | sed -n "$(((n + 1) / 2))p")
shown=$("$gcprof" summary iv.dat | sed -n 's/.*0.001 s asked, \([0-9.e-]*\) s measured.*/\1/p')
awk -v a="$median" -v b="$shown" 'BEGIN { d = a - b; exit !(d < 0.00005 && d > -0.00005) }' ||
    fail "interval: summary says ${shown:-nothing} s measured, the median gap is $median s"

# ---- the default name never replaces a file ---------------------------------
# Runs in the same second (or not) leave one file each: mprof's name, then
# the same with -2, -3 before the extension.
mkdir names && (cd names && for i in 1 2 3; do "$gcprof" run -- true 2>/dev/null; done)
[ "$(ls names | wc -l)" -eq 3 ] || fail "three runs without -o left $(ls names | wc -l) files: $(ls names)"
for f in names/*; do
    "$gcprof" summary "$f" >/dev/null 2>&1 || fail "default-named $f is not readable"
done

# ---- how it ended -----------------------------------------------------------
"$gcprof" run -o k9.dat -- ./gcprog kill9 2 >/dev/null 2>&1
[ "$(count '^GCPROF_STATUS .* signal 9 ' k9.dat)" -eq 1 ] || fail "kill9: no signal status"
"$gcprof" summary k9.dat | grep -q '^ended           killed by signal 9 (SIGKILL)' ||
    fail "summary does not show the signal"

# ---- live bytes: between the program's count and the collector's ---------
# From below: the program keeps 500 objects (of GC_size bytes each) from
# collection K on; every later record counts at least those. From above:
# GC_PRINT_STATS logs "In-use heap: P% (A KiB pointers + B KiB other)" per
# collection, from its per-block mark counts, which bdwgc documents as
# approximate and which read higher than the mark bits themselves (here by
# one or two 208-byte objects in collections the program asked for): ours
# is never above it (A and B are each rounded down: +1 KiB).
GC_MARKERS=1 GC_PRINT_STATS=1 "$gcprof" run -o l.dat -- ./gcprog keep 8 >out 2>log ||
    fail "live run failed"
read -r _ from size <<EOF
$(grep '^kept ' out)
EOF
sed -n 's/^In-use heap: [0-9]*% (\([0-9]*\) KiB pointers + \([0-9]*\) KiB other)$/\1 \2/p' log >kib
awk '$1 == "GCPROF_GC" { print $2, $11 }' l.dat >live
if [ "$(wc -l <kib)" -ne "$(wc -l <live)" ] || [ ! -s kib ] || [ -z "${size:-}" ]; then
    fail "live: $(wc -l <kib) collections in the collector's log, $(wc -l <live) records; kept: $(cat out)"
else
    bad=$(paste kib live | awk -v from="$from" -v kept=$((500 * size)) '
        $4 == "-" { print "not measured: " $0; next }
        int($4 / 1024) > $1 + $2 + 1 { print "above the collector: " $0 }
        $3 > from && $4 < kept { print "below what the program kept (" kept "): " $0 }')
    [ -z "$bad" ] || fail "live bytes (KiB ptr, KiB other, n, ours): $bad"
    [ "$(awk -v f="$from" '$1 > f' live | wc -l)" -ge 8 ] ||
        fail "live: fewer than 8 collections after the program kept its objects"
fi

# ---- the Go-style trace: phases add up, MiB as Go prints them ---------------
GCPROF_TRACE_FILE=trace "$gcprof" run --trace -o g.dat -- ./gcprog exit 8 >/dev/null 2>&1
re='^gc [0-9]+ @[0-9]+\.[0-9]{3}s [0-9]+%: [0-9.e+-]+\+[0-9.e+-]+\+[0-9.e+-]+ ms clock, [0-9]+->[0-9]+->([0-9]+|\?) MB, [0-9]+ MB heap, [0-9]+ markers( \(forced\))?$'
[ "$(grep -Ecv "$re" trace)" -eq 0 ] || fail "trace lines not in the format: $(grep -Ev "$re" trace | head -3)"
awk '$1 == "GCPROF_GC"' g.dat >gc
[ "$(wc -l <trace)" -eq "$(wc -l <gc)" ] || fail "trace: $(wc -l <trace) lines, $(wc -l <gc) records"
# trace: "gc N @T P%: A+B+C ms clock, X->Y->Z MB, H MB heap, M markers";
# record: GCPROF_GC n t pause mark reclaim total(ms) before after forced live pid
bad=$(paste -d '|' trace gc | awk -F'|' '{
    split($1, t, " "); split($2, r, " ")
    split(t[5], ph, "+"); split(t[8], mb, "->")
    sum = ph[1] + ph[2] + ph[3]; total = r[7]
    # each phase printed to 3 significant digits: allow that rounding
    if (sum < total * 0.99 - 0.002 || sum > total * 1.01 + 0.002) print "phases " t[5] " total " total
    if (t[2] != r[2]) print "numbers " t[2] " " r[2]
    if (mb[1] != int(r[8] / 1048576) || mb[2] != int(r[9] / 1048576)) print "MiB " t[8] " vs " r[8] " " r[9]
    if (mb[3] != "?" && mb[3] != int(r[11] / 1048576)) print "live " mb[3] " vs " r[11]
    if ((t[15] == "(forced)") != (r[10] == 1)) print "forced " t[15] " vs " r[10]
}')
[ -z "$bad" ] || fail "trace vs records: $bad"

finish PASS
