#!/bin/sh
# gcprof tune (issue 17, the tuning advisor), each figure against the
# test's own measure, none against a clock or another config:
# - run by run, against what the program itself printed at its end
#   (--show-output keeps its lines, in the order the runs ran: the JSON's
#   seq): collections are its GC_get_gc_no exactly; GC time is the time its
#   own collection event hook saw (0.1 ms apart here: the preload chains to
#   it), within 5 ms and 1%; wall time and CPU time enclose
#   its own monotonic and getrusage measures (tune's start before main and
#   end after exit: 5 to 35 ms here), by less than 0.25 s;
# - peak RSS: the program run here, under each of three configs, with
#   python's os.wait4 (ru_maxrss) lands in the range tune reported, widened
#   by 3% and 2 MiB (tune's runs carry its preload library: 0.3 MiB here);
# - the figures are the medians and ranges of the runs listed, the front
#   is the Pareto front of those medians, and --max-rss picks the fastest
#   config under the limit by the medians reported;
# - the recommendation applied: the program run here with the recommended
#   settings and with the defaults, in turns, gives a peak RSS ratio within
#   the reported range of paired ratios widened by 3% and a huge page;
# - SIGINT and SIGTERM after the first run: death by that signal (status
#   130 / 143), the partial
#   table, no process of the program's group left (a grandchild that
#   ignores SIGTERM included), no temporary file; a config whose runs fail
#   is not recommended; bad arguments, 126 and 127;
# - a child a run leaves in its group is gone before the next run starts;
#   a run stopped by job control (SIGTTOU) is killed, a failed run;
# - runs whose recordings cannot be written (ulimit -f) are reported
#   without collector figures, not given up.
# Exit 0 pass, 1 fail, 77 skip. Run alone: top_builddir=. sh tests/check_gcprof_tune.sh
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
use_preload
unset GC_FREE_SPACE_DIVISOR GC_INITIAL_HEAP_SIZE GC_MARKERS GC_UNMAP_THRESHOLD \
    GC_ENABLE_INCREMENTAL GC_PRINT_STATS
prog="$top_builddir/tests/programs/tune_churn"
need_built "$gcprof" "$GCPROF_PRELOAD" "$prog"
command -v python3 >/dev/null 2>&1 || skip "no python3 (os.wait4, json)"
make_tmp
# tune's temporary directory goes here: whatever it leaves, the test sees
TMPDIR="$tmp/tmpdir"
export TMPDIR
mkdir "$TMPDIR"
no_leftovers() { # no_leftovers WHAT
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$1: left in TMPDIR: $(ls -A "$TMPDIR")"
    no_tmp "$1"
}

# The program's peak RSS as this test measures it: python's os.wait4.
#   wait4.py peak PROG: its peak under the defaults, MiB
#   wait4.py check JSON PROG: three configs' peaks against tune's ranges,
#     and the recommendation's ratio to the defaults against tune's
cat >"$tmp/wait4.py" <<'EOF'
import json, os, sys
prog = sys.argv[-1]
def peak(c):  # MiB: ru_maxrss of one run of the program under config c
    env = {k: v for k, v in os.environ.items() if k not in c["env"]}
    env.update({k: v for k, v in c["env"].items() if v is not None})
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_RDWR)
        for i in (0, 1, 2):
            os.dup2(fd, i)
        os.execve(prog, [prog], env)
    _, status, ru = os.wait4(pid, 0)
    assert status == 0, status
    return ru.ru_maxrss / 1024.0
if sys.argv[1] == "peak":
    print("%.1f" % peak({"env": {}}))
    sys.exit(0)
d = json.load(open(sys.argv[2]))
confs = d["configs"]
bad = []
# three configs, twice each: within the range tune reported, widened
for label in ("default", "divisor=8", "heap=256M"):
    c = next(c for c in confs if c["label"] == label)
    st = c["peak_rss_mib"]
    for _ in range(2):
        p = peak(c)
        lo, hi = st["min"] * 0.97 - 2, st["max"] * 1.03 + 2
        if not lo <= p <= hi:
            bad.append("%s: peak RSS %.1f MiB measured here, tune's range %.1f-%.1f"
                       % (label, p, st["min"], st["max"]))
# the recommendation applied: paired runs, recommended over the defaults
rec = d["recommendation"]
if rec is not None and rec["id"] != 0:
    ratios = []
    for _ in range(3):
        ratios.append(peak(confs[rec["id"]]) / peak(confs[0]))
    ratios.sort()
    r = ratios[1]
    st = rec["vs_default"]["peak_rss"]
    # widened by 3%, and by a huge page (2 MiB) of the defaults' peak:
    # transparent huge pages can move a peak by one either way
    slack = 2 / confs[0]["peak_rss_mib"]["median"]
    if not st["min"] * 0.97 - slack <= r <= st["max"] * 1.03 + slack:
        bad.append("%s: peak RSS ratio %.3f measured here (%s), tune said %.3f (%.3f-%.3f)"
                   % (rec["assign"], r, ratios, st["median"], st["min"], st["max"]))
    else:
        print("%s: peak RSS ratio %.3f here, tune %.3f (%.3f-%.3f)"
              % (rec["assign"], r, st["median"], st["min"], st["max"]))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
EOF
# The limit for --max-rss: 85% of the defaults' peak, measured here.
# GC_FREE_SPACE_DIVISOR=8 keeps the program at about 77% (more garbage
# collected sooner), 5 at about 90%: some config is under it, not all.
default_peak=$(python3 "$tmp/wait4.py" peak "$prog") || die "cannot run $prog"
limit=$(awk -v p="$default_peak" 'BEGIN { printf "%.1f", p * 0.85 }')

# ---- one tune: the figures, run by run ----------------------------------------
"$gcprof" tune --runs 2 --max-rss "$limit" --show-output --json -o "$tmp/tune.json" \
    --plot "$tmp/tune.svg" -- "$prog" >"$tmp/prog.out" 2>"$tmp/progress"
rc=$?
[ $rc -eq 0 ] || die "tune: status $rc: $(tail -n 3 "$tmp/progress")"
no_leftovers "tune"
check "progress: a line a run, 22 runs" [ "$(count '^gcprof tune: run [0-9]*/22 ' "$tmp/progress")" -eq 22 ]
check "progress: the warm-up run first" [ "$(head -n 1 "$tmp/progress" | cut -c1-40)" = "gcprof tune: warm-up 1/1 (not counted): " ]
check "the plot is an SVG that parses" python3 -c "import sys, xml.dom.minidom as m; m.parse(sys.argv[1])" "$tmp/tune.svg"
# each point's tooltip: "LABEL: W s, R MiB", the JSON's medians as printed
python3 - "$tmp/tune.svg" "$tmp/tune.json" <<'EOF' || fail "the plot's figures (above)"
import json, re, sys
svg = open(sys.argv[1]).read()
d = json.load(open(sys.argv[2]))
seen = {m.group(1): (float(m.group(2)), float(m.group(3)))
        for m in re.finditer(r"<title>([^<:]+): ([0-9.]+) s, ([0-9.]+) MiB</title>", svg)}
bad = []
for c in d["configs"]:
    if c["label"] not in seen:
        bad.append("%s: no point in the plot" % c["label"])
        continue
    w, r = seen[c["label"]]
    # half the last digit shown, and the binary rounding of a tie (0.4325
    # is printed 0.432, 0.0005 + 2^-54 away)
    if abs(w - c["wall_s"]["median"]) > 0.0005 + 1e-9 or \
            abs(r - c["peak_rss_mib"]["median"]) > 0.05 + 1e-9:
        bad.append("%s: the plot says %.3f s, %.1f MiB; the JSON %.6f s, %.4f MiB"
                   % (c["label"], w, r, c["wall_s"]["median"], c["peak_rss_mib"]["median"]))
if len(seen) != len(d["configs"]):
    bad.append("%d points for %d configs" % (len(seen), len(d["configs"])))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
EOF

python3 - "$tmp/tune.json" "$tmp/prog.out" "$limit" <<'EOF' || fail "tune's figures (above)"
import json, sys
d = json.load(open(sys.argv[1]))
limit = float(sys.argv[3])
# "gc_no N wall W cpu C gc G" a run, the warm-up run's first: not in the figures
printed = [dict(zip(f[0::2], map(float, f[1::2])))
           for f in (l.split() for l in open(sys.argv[2]) if l.startswith("gc_no "))][1:]
bad = []
def check(ok, what):
    if not ok:
        bad.append(what)
confs = d["configs"]
check(len(confs) == 11 and confs[0]["label"] == "default", "11 configs, the defaults first")
check(d["rounds"] == 2 and d["complete_rounds"] == 2 and d["warmup"] == 1, "2 rounds, complete")
runs = sorted((r["seq"], c["id"], r) for c in confs for r in c["runs"])
check([s for s, _, _ in runs] == list(range(1, 23)), "runs numbered 1 to 22")
check(len(printed) == 22, "the program printed 22 lines after the warm-up's: %d" % len(printed))
for (seq, cid, r), own in zip(runs, printed):
    what = "run %d (%s)" % (seq, confs[cid]["label"])
    check(r["status"] == "ok", "%s: %s" % (what, r["status"]))
    # the collector's own count, from the preload's records, equals the
    # count the program printed at its end
    check(r["collections"] == own["gc_no"], "%s: %s collections, the program printed %d"
          % (what, r["collections"], own["gc_no"]))
    # tune's clock starts before main and stops after exit; rusage's CPU
    # time adds the exit's to what the program had used (to the us)
    # (by 5 to 35 ms here: exec before main, exit after it; 0.25 s allows a
    # busy machine's scheduling, and is still an eighth of the 2 s allowed once)
    check(own["wall"] <= r["wall_s"] <= own["wall"] + 0.25, "%s: wall %.6f s, the program's %.6f s"
          % (what, r["wall_s"], own["wall"]))
    check(own["cpu"] - 1e-5 <= r["cpu_s"] <= own["cpu"] + 0.25, "%s: CPU %.6f s, the program's %.6f s"
          % (what, r["cpu_s"], own["cpu"]))
    if r["gc_s"] is not None:
        # the same events, its hook called from the preload's: the clock
        # reads a call apart (5 ms: a preemption between them)
        check(abs(r["gc_s"] - own["gc"]) <= 0.005 + 0.01 * own["gc"],
              "%s: GC %.6f s, the program's hook %.6f s" % (what, r["gc_s"], own["gc"]))
def med(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
for c in confs:
    for key in ("wall_s", "cpu_s", "peak_rss_mib", "collections", "gc_s"):
        v = [r[key] for r in c["runs"]]
        st = c[key]
        if None in v:
            check(st is None, "%s %s: null in a run, not in the figure" % (c["label"], key))
            continue
        # printed to 6 (4 for MiB) decimals: equal within their rounding
        check(abs(st["median"] - med(v)) < 1e-3 and abs(st["min"] - min(v)) < 1e-3
              and abs(st["max"] - max(v)) < 1e-3, "%s %s: %s of %s" % (c["label"], key, st, v))
    incremental = c["env"]["GC_ENABLE_INCREMENTAL"] == "1"
    # incremental collections send no start/end events: their time is unknown
    check((c["gc_s"] is None) == incremental, "%s: gc_s %s" % (c["label"], c["gc_s"]))
    check(c["collections"]["min"] >= 1, "%s: no collections" % c["label"])
# the front: exactly the configs no other one dominates
m = {c["id"]: (c["wall_s"]["median"], c["peak_rss_mib"]["median"]) for c in confs}
for c in confs:
    w, r = m[c["id"]]
    dominated = any(w2 <= w and r2 <= r and (w2 < w or r2 < r) for w2, r2 in m.values())
    check(c["front"] == (not dominated), "%s: front %s" % (c["label"], c["front"]))
# --max-rss: the fastest by median wall of those at most the limit
check(abs(d["max_rss_mib"] - limit) < 1e-3, "max_rss_mib %s" % d["max_rss_mib"])
under = [c for c in confs if c["peak_rss_mib"]["median"] <= limit]
rec = d["recommendation"]
# a recommendation exactly when some config's median is under the limit
# (all had status 0 here), whatever this machine's peaks
check((rec is not None) == bool(under), "a recommendation (%s) iff a config is under %.1f MiB: %s"
      % (rec and rec["label"], limit, [c["label"] for c in under]))
# the paired ratios: in each round, the config's run over the defaults'
# run, both ok; median and range, from the runs listed
by_round = lambda c: {r["round"]: r for r in c["runs"] if r["status"] == "ok"}
base = by_round(confs[0])
for c in confs:
    runs_c = by_round(c)
    vs = c["vs_default"]
    rounds = sorted(set(base) & set(runs_c))
    check(vs["n"] == len(rounds), "%s: vs_default over %s rounds, %d paired" % (c["label"], vs["n"], len(rounds)))
    for key, field in (("wall", "wall_s"), ("cpu", "cpu_s"), ("peak_rss", "peak_rss_mib")):
        v = [runs_c[r][field] / base[r][field] for r in rounds]
        st = vs[key]
        # the runs' figures are printed to 6 (4) decimals: ratios of them agree to 1e-4 relative
        tol = lambda x: 1e-4 * max(1.0, abs(x))
        check(st is not None and abs(st["median"] - med(v)) <= tol(med(v))
              and abs(st["min"] - min(v)) <= tol(min(v)) and abs(st["max"] - max(v)) <= tol(max(v)),
              "%s vs_default %s: %s, recomputed median %.6f (%.6f-%.6f)"
              % (c["label"], key, st, med(v), min(v), max(v)))
if rec is not None and under:
    best = min(under, key=lambda c: (c["wall_s"]["median"], c["peak_rss_mib"]["median"]))
    check(rec["id"] == best["id"], "recommended %s, the fastest under %.1f MiB is %s"
          % (rec["label"], limit, best["label"]))
    check(confs[rec["id"]]["peak_rss_mib"]["median"] <= limit, "recommended over the limit")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
EOF

# ---- peak RSS and the recommendation, measured here ---------------------------
python3 "$tmp/wait4.py" check "$tmp/tune.json" "$prog" || fail "peak RSS against os.wait4 (above)"

# ---- the text report: the limit no config meets --------------------------------
"$gcprof" tune --runs 1 --max-rss 1 --quiet -- "$prog" >"$tmp/text" 2>"$tmp/stderr"
rc=$?
[ $rc -eq 0 ] || fail "--max-rss 1: status $rc: $(cat "$tmp/stderr")"
[ ! -s "$tmp/stderr" ] || fail "--quiet: said $(cat "$tmp/stderr")"
# the table's rows (after its header, to the blank line), label first: the
# median peak RSS is the 7th field
lowest=$(sed -n '/^  config /,/^$/p' "$tmp/text" | sed '1d;$d' | cut -c3- |
    awk '{ print $7, $1 }' | sort -n | head -n 1)
grep -q "^no recommendation: no config has a median peak RSS of at most 1.0 MiB" "$tmp/text" ||
    fail "--max-rss 1: $(cat "$tmp/text")"
grep -q "^  the lowest is ${lowest#* } (.*) at ${lowest%% *} MiB" "$tmp/text" ||
    fail "--max-rss 1: the lowest is '$lowest' by the table: $(tail -n 3 "$tmp/text")"
no_leftovers "--max-rss 1"

# ---- stopped by a signal after the first run --------------------------------------
# The warm-up and the first run end at once; the second starts a
# grandchild that ignores SIGTERM, notes the pids and waits.
cat >"$tmp/sleeper.sh" <<'EOF'
echo $$ >>"$1/pids"
if [ "$(wc -l <"$1/pids")" -ge 3 ]; then
    # SIGTERM ignored before its pid is noted: the stop needs the SIGKILL
    sh -c 'trap "" TERM; echo $$ >>"$1/pids"; exec sleep 60' - "$1" &
    wait
fi
EOF
cat >"$tmp/stop.py" <<'EOF'
import os, signal, subprocess, sys, time
tmp, gcprof, sig = sys.argv[1], sys.argv[2], getattr(signal, sys.argv[3])
if os.path.exists(os.path.join(tmp, "pids")):
    os.unlink(os.path.join(tmp, "pids"))
with open(os.path.join(tmp, "stop.out"), "w") as out, open(os.path.join(tmp, "stop.err"), "w") as err:
    # SIGINT as a terminal's ^C would find it: not ignored, whatever we inherited
    p = subprocess.Popen([gcprof, "tune", "--runs", "2", "--", "/bin/sh",
                          os.path.join(tmp, "sleeper.sh"), tmp], stdout=out, stderr=err,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # the progress line of run 2 (run 1 has ended), and its two pids noted
    # (after the warm-up's and run 1's)
    deadline = time.time() + 60
    while time.time() < deadline:
        done = "run 2/" in open(os.path.join(tmp, "stop.err")).read()
        pids = open(os.path.join(tmp, "pids")).read().split() if os.path.exists(os.path.join(tmp, "pids")) else []
        if done and len(pids) >= 4:
            break
        time.sleep(0.02)
    p.send_signal(sig)
    try:
        rc = p.wait(timeout=60)  # a hang, not a time
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "hung"
# as a shell shows it (128+N for death by signal N), and whether it died so
print(rc if rc == "hung" or rc >= 0 else 128 - rc, "signaled" if rc != "hung" and rc < 0 else "exited")
EOF
running() { # running PID: it exists and is not a zombie
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -n "$state" ] && [ "$state" != Z ]
}

# gone PID TENTHS WHAT: wait up to TENTHS tenths of a second for PID to
# end; fail saying WHAT, and kill it, when it is still running.
gone() {
    i=0
    while running "$1" && [ $i -lt "$2" ]; do
        i=$((i + 1))
        sleep 0.1
    done
    ! running "$1" || {
        fail "$3"
        kill -KILL "$1"
    }
}
for sig in SIGINT SIGTERM; do
    want=130
    [ $sig = SIGTERM ] && want=143
    rc=$(python3 "$tmp/stop.py" "$tmp" "$gcprof" $sig)
    how=${rc#* }
    rc=${rc%% *}
    [ "$rc" = "$want" ] || fail "$sig: status $rc, want $want: $(cat "$tmp/stop.err")"
    # the report written, gcprof ends by the signal: a shell's loop sees it
    [ "$how" = signaled ] || fail "$sig: gcprof $how, not ended by the signal"
    grep -q "^stopped by signal $( [ $sig = SIGINT ] && echo 2 || echo 15) (.*) with 1 of 22 runs done: 0 complete rounds" \
        "$tmp/stop.out" || fail "$sig: no note of the stop: $(cat "$tmp/stop.out")"
    grep -q "^[* ] default  *1  " "$tmp/stop.out" || fail "$sig: no row of the run done: $(cat "$tmp/stop.out")"
    grep -q "^  divisor=2  *stopped  " "$tmp/stop.out" || fail "$sig: the stopped run's row: $(cat "$tmp/stop.out")"
    grep -q "^no recommendation: no round was completed" "$tmp/stop.out" || fail "$sig: recommended"
    # each process of the program's group has ended (a zombie has: its
    # reaper, maybe a pid 1 that never reaps, is not gcprof)
    for p in $(cat "$tmp/pids"); do
        gone "$p" 100 "$sig: process $p of the program's is left running"
    done
    no_leftovers "$sig"
done

# ---- runs that fail ----------------------------------------------------------------
# One config fails: reported, not recommended. Every run fails: status 1.
"$gcprof" tune --runs 1 --quiet --json -- /bin/sh -c '[ "${GC_MARKERS:-}" != 1 ]' \
    >"$tmp/fail.json" 2>"$tmp/stderr"
rc=$?
[ $rc -eq 0 ] || fail "one config fails: status $rc: $(cat "$tmp/stderr")"
python3 - "$tmp/fail.json" <<'EOF' || fail "one config fails: $(cat "$tmp/fail.json")"
import json, sys
d = json.load(open(sys.argv[1]))
c = next(c for c in d["configs"] if c["label"] == "markers=1")
assert c["runs_failed"] == 1 and c["runs"][0]["ended"] == "exit status 1" and not c["front"]
assert d["recommendation"] and d["recommendation"]["label"] != "markers=1"
EOF
"$gcprof" tune --runs 1 --quiet -- /bin/sh -c 'exit 3' >"$tmp/text" 2>"$tmp/stderr"
rc=$?
[ $rc -eq 1 ] || fail "every run fails: status $rc"
grep -q "^gcprof tune: every run of '/bin/sh' failed (the first: exit status 3)$" "$tmp/stderr" ||
    fail "every run fails: $(cat "$tmp/stderr")"
grep -q "^  default  *0+1 failed  " "$tmp/text" || fail "every run fails: $(cat "$tmp/text")"
no_leftovers "failing runs"

# ---- what a run leaves in its group; a run that job control stops ----------------
# Each run starts a child that ignores SIGTERM and outlives it: tune kills
# it before the next run starts (that run's program looks: none of the
# children noted so far still runs), and after the last.
cat >"$tmp/leaver.sh" <<'EOF'
for p in $(cat "$1/left" 2>/dev/null); do
    state=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -c1)
    [ -n "$state" ] && [ "$state" != Z ] && echo "$p" >>"$1/overlap"
done
n=$(cat "$1/left" 2>/dev/null | wc -l)
sh -c 'trap "" TERM; echo $$ >>"$1/left"; exec sleep 60' - "$1" &
while [ "$(cat "$1/left" 2>/dev/null | wc -l)" -le "$n" ]; do sleep 0.01; done
EOF
rm -f "$tmp/left" "$tmp/overlap"
timeout 120 "$gcprof" tune --runs 1 --quiet -- /bin/sh "$tmp/leaver.sh" "$tmp" >"$tmp/text" 2>"$tmp/stderr"
rc=$?
[ $rc -eq 0 ] || fail "a child left running: status $rc: $(cat "$tmp/stderr")"
check "a child left by each of 12 runs (warm-up too)" [ "$(wc -l <"$tmp/left")" -eq 12 ]
[ ! -e "$tmp/overlap" ] || fail "a run's child still ran when the next run started: $(cat "$tmp/overlap")"
for p in $(cat "$tmp/left"); do
    gone "$p" 50 "the child $p of a run is left running after tune"
done
no_leftovers "children left"
# A program stopped by job control (here by itself: SIGTTOU, as a
# background group writing to a terminal set to tostop gets it) is killed,
# a failed run, said: tune does not wait on it.
timeout 60 "$gcprof" tune --runs 1 --warmup 0 --quiet -- /bin/sh -c 'kill -TTOU $$; exit 0' \
    >"$tmp/text" 2>"$tmp/stderr"
rc=$?
[ $rc -eq 1 ] || fail "a stopped program: status $rc (124: tune hung): $(cat "$tmp/stderr")"
check "a stopped program: said, run by run" \
    [ "$(count "^gcprof tune: run [0-9]*: '/bin/sh' was stopped by SIGTTOU " "$tmp/stderr")" -eq 11 ]
grep -q "^  default  *0+1 failed  " "$tmp/text" || fail "a stopped program: $(cat "$tmp/text")"
no_leftovers "a stopped program"

# ---- runs whose recordings cannot be written -------------------------------------
# A file size limit of one block cuts every recording short (tune's
# standard output and error are pipes, which it does not limit): each run
# goes on without its collector figures, said; the report is made from
# wait4's figures.
{ sh -c 'ulimit -f 1; "$@"; echo $? >"$0"' "$tmp/unrec.rc" "$gcprof" tune --runs 1 --warmup 0 \
    --quiet --json -- "$prog" 2>&1 >&3 | cat >"$tmp/unrec.err"; } 3>&1 | cat >"$tmp/unrec.json"
rc=$(cat "$tmp/unrec.rc")
[ "$rc" = 0 ] || fail "unwritable recordings: status $rc: $(tail -n 3 "$tmp/unrec.err")"
check "unwritable recordings: said, run by run" \
    [ "$(count "^gcprof tune: run [0-9]*: no recording: its collections and GC time are unknown$" "$tmp/unrec.err")" -eq 11 ]
python3 - "$tmp/unrec.json" <<'EOF' || fail "unwritable recordings: $(cat "$tmp/unrec.json")"
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["configs"]:
    assert c["runs_ok"] == 1 and c["runs_unrecorded"] == 1, c
    assert c["collections"] is None and c["gc_s"] is None, c
    assert c["wall_s"]["median"] > 0 and c["peak_rss_mib"]["median"] > 1, c
    r = c["runs"][0]
    assert r["recorded"] is False and r["collections"] is None and r["gc_s"] is None, r
assert d["recommendation"] is not None
EOF
no_leftovers "unwritable recordings"

# ---- bad arguments: one line naming the culprit, status 2; 126, 127 ------------------
expect() { # expect STATUS KEY ARGS...
    want=$1 key=$2
    shift 2
    "$gcprof" tune "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    if [ $rc -ne "$want" ] || [ "$(wc -l <"$tmp/stderr")" -ne 1 ] ||
        ! grep -qF -- "$key" "$tmp/stderr"; then
        fail "tune $*: status $rc (want $want), stderr: $(cat "$tmp/stderr")"
    else
        pass "tune $* => $rc: $(cat "$tmp/stderr")"
    fi
}
expect 2 "bad value for --runs: '0'" --runs 0 -- "$prog"
expect 2 "bad value for --runs: '101'" --runs 101 -- "$prog"
expect 2 "bad value for --warmup: '11'" --warmup 11 -- "$prog"
expect 2 "bad value for --max-rss: 'x'" --max-rss x -- "$prog"
expect 2 "bad value for --max-rss: '-5'" --max-rss -5 -- "$prog"
expect 2 "missing '--' before the program '$prog'" "$prog"
expect 2 "no program to run" --runs 2 --
expect 2 "unknown option '--bogus'" --bogus -- "$prog"
expect 2 "bad value for --grid: 'most'" --grid most -- "$prog"
expect 2 "216 configs x 5 rounds is 1080 runs" --grid full --runs 5 -- "$prog"
expect 2 "--runs given twice" --runs 1 --runs 2 -- "$prog"
expect 2 "bad file name for --plot: '-'" --plot - -- "$prog"
expect 2 "bad value for --runs: '+2'" --runs +2 -- "$prog"
expect 2 "unexpected argument 'x' before '--'" --runs 2 x -- "$prog"
expect 2 "-o and --plot name one file" -o "$tmp/one.svg" --plot "$tmp/./one.svg" -- "$prog"
expect 2 "-o and --plot name one file" -o "$tmp/one.svg" --plot "$tmp/../$(basename "$tmp")/one.svg" -- "$prog"
expect 127 "cannot run './no-such-program': No such file or directory" --quiet -- ./no-such-program
printf '#!/bin/sh\n' >"$tmp/not-exec"
expect 126 "cannot run '$tmp/not-exec': Permission denied" --quiet -- "$tmp/not-exec"
no_leftovers "bad arguments"
check "gcprof --help lists tune" sh -c "'$gcprof' --help | grep -q '^  tune '"
check "gcprof tune --help lists the settings" sh -c "'$gcprof' tune --help | grep -q '^  GC_FREE_SPACE_DIVISOR '"

finish "PASS: gcprof tune's counts, peak RSS, front, recommendation, stops and errors"
