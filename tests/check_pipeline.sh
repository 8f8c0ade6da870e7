#!/bin/sh
# demos/pipeline under each auto_gc mode: what each run reports against the
# collector's own trace (GCPROF_TRACE), and the comparison's table and JSON.
set -eu
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
demo="$top_builddir/demos/pipeline"
make_tmp
small="--batches 6 --scale 0.2"
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$2"; }

# always: a collection after each of the 18 stages, and a baseline before.
# shellcheck disable=SC2086
GCPROF_TRACE=1 "$demo" run always $small >"$tmp/always" 2>"$tmp/always.trace"
[ "$(field stages "$tmp/always")" -eq 18 ] || die "always: stages"
[ "$(field collected_after "$tmp/always")" -eq 18 ] || die "always: not every stage collected"
forced=$(grep -c '(forced)$' "$tmp/always.trace")
[ "$forced" -ge 36 ] || die "always: $forced forced collections in the trace, expected >= 36"
last=$(grep '^gc [0-9]* @' "$tmp/always.trace" | tail -n 1 | cut -d' ' -f2)
[ "$(field collections "$tmp/always")" -eq "$last" ] ||
    die "always: $(field collections "$tmp/always") collections, the trace's last is gc $last"

# off: the profiler never collects.
# shellcheck disable=SC2086
GCPROF_TRACE=1 "$demo" run off $small >"$tmp/off" 2>"$tmp/off.trace"
[ "$(field collected_after "$tmp/off")" -eq 0 ] || die "off collected"
! grep -q '(forced)$' "$tmp/off.trace" || die "off: forced collections in the trace"

# adaptive: one decision per batch at the gc point; the points that
# collected are forced collections in the trace.
# shellcheck disable=SC2086
GCPROF_TRACE=1 "$demo" run adaptive $small --verbose >"$tmp/adaptive" 2>"$tmp/adaptive.err"
[ "$(grep -c 'gc point: ' "$tmp/adaptive.err")" -eq 6 ] || die "adaptive: not 6 gc points"
points=$(field points "$tmp/adaptive")
after=$(field collected_after "$tmp/adaptive")
[ "$(grep -c '(forced)$' "$tmp/adaptive.err")" -ge $((points + after)) ] ||
    die "adaptive: fewer forced collections than decisions to collect"
[ "$(grep -c 'batch .* MiB allocated, heap ' "$tmp/adaptive.err")" -eq 18 ] ||
    die "adaptive: not 18 stage decisions"

# The comparison: every variant in the table and in valid JSON.
# shellcheck disable=SC2086
"$demo" compare --rounds 1 $small --json "$tmp/p.json" >"$tmp/table"
for m in off always adaptive adaptive-no-points; do
    grep -q "^$m " "$tmp/table" || die "no $m row"
done
verdicts=$(grep -c '(target \(<= [0-9.]*x\|[0-9.]*-[0-9.]*%\)): \(PASS\|FAIL\)$' "$tmp/table")
# The targets' figures, recomputed from the variants' own medians in the
# JSON: wall (fastest runs), the share of wall time in collections (bdwgc's
# clock; the least of the rounds) against the budget or off's, the peak against the setting the
# target names, which spends no more time collecting (or the least); and
# each verdict follows from its figure.
python3 - "$tmp/p.json" "$verdicts" "$tmp/table" <<'PY' || die "targets disagree with the variants' figures"
import json, re, sys
d = json.load(open(sys.argv[1]))
a, off = d["adaptive"], d["off"]
assert a["peak_rss_mib"] > 0
r = {x["name"]: x for x in d["results"]}
w = r["adaptive wall time vs off (fastest runs)"]
assert abs(w["value"] - a["fastest_s"] / off["fastest_s"]) < 1e-3, w
s = r["adaptive GC share of wall time (least)"]
assert abs(s["value"] - 100 * a["least_gc_share"]) < 0.05, s
budget, off_share = 0.10, off["least_gc_share"]
low, high = (0, off_share + 0.02) if off_share > budget else (budget - 0.02, budget + 0.02)
lo, hi = map(float, re.match(r"([0-9.]+)-([0-9.]+)%", s["target"]).groups())
assert abs(lo - 100 * max(low, 0)) < 0.051 and abs(hi - 100 * high) < 0.051, (s, low, high)
assert s["pass"] == (low <= s["value"] / 100 <= high), s
(name,) = [n for n in r if n.startswith("adaptive lowest peak vs ")]
knob = re.match(r"adaptive lowest peak vs (\S+) \(GC time <=\)", name).group(1)
low = "lowest_peak_rss_mib"
knobs = [k for k in d if k == "off" or k.startswith("off+")]
same = [k for k in knobs if d[k]["gc_s"] <= 1.02 * a["gc_s"]]
want = min(same, key=lambda k: d[k][low]) if same else min(knobs, key=lambda k: d[k]["gc_s"])
assert d[knob][low] == d[want][low], (knob, want)
p = r[name]
assert abs(p["value"] - a[low] / d[knob][low]) < 1e-3, p
# The memory limit: halfway between always's and off's lowest peaks, to
# 0.1 MiB; the limited row's highest peak against it, off's lowest above it.
# Without room between them (0.2 MiB at this small scale), no row: 0.
lim, gap = d["memory_limit_mib"], d["off"][low] - d["always"][low]
table = open(sys.argv[3]).read()
lnames = [n for n in r if n.startswith("adaptive highest peak vs limit ")]
assert int(sys.argv[2]) == 3 + len(lnames), (sys.argv[2], lnames)
if lim == 0:
    assert gap <= 0.2 and not lnames and "adaptive+limit" not in d, (gap, lnames)
else:
    mid = d["always"][low] + gap / 2
    assert abs(lim - round(mid * 10) / 10) < 1e-6, (lim, mid)
    assert "\nadaptive+limit " in table
    (lname,) = lnames
    l = r[lname]
    assert abs(float(re.search(r"limit ([0-9.]+) MiB", lname).group(1)) - lim) < 1e-6, lname
    limited = d["adaptive+limit"]
    assert abs(l["value"] - limited["highest_peak_rss_mib"] / lim) < 1e-3, l
    assert limited["highest_peak_rss_mib"] >= limited[low], limited
    assert l["pass"] == (limited["highest_peak_rss_mib"] <= lim and d["off"][low] > lim), l
# Each variant's environment reached its child: bdwgc collects more often
# the larger its divisor (here 7-8 against 18 collections).
assert d["off+divisor=8"]["collections"] > d["off+divisor=2"]["collections"], d
for x in d["results"]:
    if x["target"].startswith("<="):
        bound = float(re.match(r"<= ([0-9.]+)", x["target"]).group(1))
        assert x["pass"] == (x["value"] <= bound + 1e-9), x
PY

# Bad arguments: a usage message and status 2.
if "$demo" run sometimes >/dev/null 2>"$tmp/err"; then die "bad mode accepted"; fi
"$demo" run sometimes 2>/dev/null || [ $? -eq 2 ] || die "bad mode: status not 2"
grep -q usage "$tmp/err" || die "no usage message"
echo "PASS: pipeline"
