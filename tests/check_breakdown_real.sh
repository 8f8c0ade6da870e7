#!/bin/sh
# The RSS breakdown (gcprof run's preload, GCPROF_BREAKDOWN records) of four
# bdwgc programs no one here wrote: GNU Guile 3.0, ECL, w3m rendering a big
# page and Inkscape exporting a drawing of 20000 shapes. Each record, taken
# at the program's exit after a full collection, is checked against readings
# that are not ours:
#   - its rows' sum (every mapping's Rss in smaps) against the kernel's other
#     count, /proc/self/statm, read right after: within 5%;
#   - for Guile and ECL, against the program's own reading of
#     /proc/self/smaps_rollup just before it ends (tests/programs/
#     breakdown.scm and .lisp): within 5%;
#   - the bytes of marked objects against libgc's own log (GC_PRINT_STATS:
#     "In-use heap" of the same collection, two figures in whole KiB): within
#     8 KiB. With GC_MARKERS=1: with parallel markers bdwgc's per-block mark
#     counts are approximate (Guile's read 1.2 MB low of 39 MB);
#   - the rest no row claims (other anonymous memory) is under 5% of RSS.
# Exit 0 pass, 1 fail, 77 skip (none installed; in CI a missing one fails).
# Run alone: top_builddir=. top_srcdir=. sh tests/check_breakdown_real.sh
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
use_preload
unset GCPROF_TRACE GCPROF_TRACE_FILE GCPROF_PRELOAD_FOLLOW
programs="$top_srcdir/tests/programs"
need_built "$gcprof" "$GCPROF_PRELOAD"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read the records"

installed guile ecl w3m inkscape
[ -n "$tested" ] || skip "none of guile, ecl, w3m, inkscape is installed"

make_tmp
mkdir "$tmp/cache" "$tmp/home"
real_program_env "$tmp/cache"
HOME="$tmp/home" # Inkscape's and w3m's settings: none
export HOME

# Inputs for w3m and Inkscape, the same every run.
python3 - "$tmp" <<'PY'
import random, sys
d = sys.argv[1]
with open(d + "/page.html", "w") as f:
    f.write("<html><body>")
    for i in range(20000):
        f.write("<p>line %d <b>bold</b> <a href='x%d'>link</a></p>\n" % (i, i))
    f.write("</body></html>\n")
r = random.Random(1)
with open(d + "/drawing.svg", "w") as f:
    f.write('<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="2000">\n')
    for i in range(20000):
        f.write('<circle cx="%d" cy="%d" r="%d" fill="#%06x" opacity="0.5"/>\n'
                % (r.randint(0, 2000), r.randint(0, 2000), r.randint(2, 30), r.randint(0, 0xffffff)))
    f.write("</svg>\n")
PY

# record P: P's workload under gcprof run, taking a breakdown at its exit.
record() {
    BREAKDOWN_RSS_OUT="$tmp/$1.own"
    export BREAKDOWN_RSS_OUT
    set -- "$1" env GC_PRINT_STATS=1 GC_LOG_FILE="$tmp/$1.gclog" \
        "$gcprof" run --breakdown -o "$tmp/$1.dat" --
    case $1 in
    guile) shift; "$@" guile --no-auto-compile "$programs/breakdown.scm" ;;
    ecl) shift; "$@" ecl --norc --load "$programs/breakdown.lisp" ;;
    w3m) shift; "$@" w3m -dump "$tmp/page.html" ;;
    inkscape) shift; "$@" inkscape --export-type=png --export-filename="$tmp/out.png" \
        "$tmp/drawing.svg" ;;
    esac
}

# judge P: the checks above, one line per failure (python3 reads the JSON).
judge() {
    python3 - "$tmp" "$1" <<'PY'
import json, re, sys
d, p = sys.argv[1], sys.argv[2]
recs, pid = [], None
for line in open("%s/%s.dat" % (d, p)):
    f = line.split(" ", 3)
    if f[0] == "GCPROF_META":
        pid = int(line.split()[2])
    elif f[0] == "GCPROF_BREAKDOWN" and int(f[2]) == pid:
        recs.append(json.loads(f[3]))
bad = []
if not recs:
    print("no breakdown of pid %s in the recording" % pid); sys.exit(0)
b = recs[-1]
rss, rows = b["rss"], b["rows"]
mib = lambda x: "%.1f MiB" % (x / 1048576.0)
if sum(rows.values()) != rss:
    bad.append("rows add up to %d, not rss %d" % (sum(rows.values()), rss))
if not b["gc"]["collected"]:
    bad.append("the exit breakdown did not collect first")
if abs(rss - b["vm_rss"]) > 0.05 * rss:
    bad.append("rss %s vs statm %s" % (mib(rss), mib(b["vm_rss"])))
if rows["anon_other"] > 0.05 * rss:
    bad.append("unclaimed anonymous memory %s is over 5%% of %s" % (mib(rows["anon_other"]), mib(rss)))
try:
    own = open("%s/%s.own" % (d, p)).read()
    own = int(re.search(r"Rss:\s+(\d+) kB", own).group(1)) * 1024
    if abs(rss - own) > 0.05 * own:
        bad.append("rss %s vs the program's own smaps_rollup %s" % (mib(rss), mib(own)))
except FileNotFoundError:
    pass
# libgc's log: the In-use line after "collection #<gc_no>"
gc_no, inuse, cur = b["gc"]["gc_no"], None, None
for line in open("%s/%s.gclog" % (d, p), errors="replace"):
    m = re.match(r"--> Marking for collection #(\d+) ", line)
    if m:
        cur = int(m.group(1))
    m = re.match(r"In-use heap: \d+% \((\d+) KiB pointers \+ (\d+) KiB other\)", line)
    if m and cur == gc_no:
        inuse = (int(m.group(1)) + int(m.group(2))) * 1024
if inuse is None:
    bad.append("libgc logged no In-use line for collection %d" % gc_no)
elif abs(inuse - b["gc"]["marked"]) > 8192:
    bad.append("marked %d bytes vs libgc's In-use %d" % (b["gc"]["marked"], inuse))
for x in bad:
    print(x)
print("#", p, "rss", mib(rss), "unclaimed", mib(rows["anon_other"]), "marked", b["gc"]["marked"],
      "libgc", inuse, file=sys.stderr)
PY
}

for p in $tested; do
    record "$p" >"$tmp/$p.out" 2>"$tmp/$p.err" || {
        fail "$p under gcprof run exited $?: $(tail -n 3 "$tmp/$p.err")"
        continue
    }
    problems=$(judge "$p" 2>"$tmp/$p.judge")
    cat "$tmp/$p.judge"
    if [ -z "$problems" ]; then
        pass "$p: the breakdown matches the kernel's and libgc's own figures"
    else
        fail "$p: $problems"
    fi
done
finish "PASS: the breakdown of every program matches the kernel's and libgc's figures"
