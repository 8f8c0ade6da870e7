#!/bin/sh
# gcprof heap and the breakdown records (issue 17). What gcprof heap and
# gcprof plot show is read back and compared with python3's own reading of
# the records' JSON (never a snapshot):
#   - hand-written .dat and .jsonl recordings: every row's MiB and share, the
#     figures, the classes and the verdict of the text; --json gives the
#     record back; --all, --pid, which breakdown is the latest; errors;
#   - the library's own text of a breakdown (tests/breakdown_pair.c) equals
#     gcprof heap's text of its JSON;
#   - the chart (gcprof heap --svg, and below gcprof plot's timeline) is
#     well-formed, and its legend holds the record's bytes and figures;
#   - end to end, a bdwgc program never built against libgcprof
#     (tests/programs/bd_prog.c) under gcprof heap -- PROGRAM (exit
#     statuses, the temporary recording removed) and under gcprof run
#     --breakdown, asked for one more breakdown with SIGUSR1.
# Exit 0 pass, 1 fail, 77 skip. Run alone: top_builddir=. sh tests/check_gcprof_breakdown.sh
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
use_preload
unset GCPROF_TRACE GCPROF_TRACE_FILE GCPROF_PRELOAD_BREAKDOWN
pair="$top_builddir/tests/breakdown_pair"
prog="$top_builddir/tests/programs/bd_prog"
need_built "$gcprof" "$GCPROF_PRELOAD" "$pair" "$prog"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read the JSON"
make_tmp
py="$tmp/bd.py"

# bd.py COMMAND ARGS: the test's own reading of records and outputs.
cat >"$py" <<'PY'
import json, re, sys
import xml.etree.ElementTree as ET

MIB = 1048576.0
ROWS = ["gc_live", "gc_fragmentation", "gc_free_mapped", "gc_internal", "malloc", "stacks",
        "code", "file_data", "file_other", "anon_other"]
LABELS = ["GC heap: live objects", "GC heap: free slots in used blocks",
          "GC heap: free blocks still mapped", "collector's own tables", "malloc (glibc)",
          "thread stacks", "code (program, libraries)", "file-backed data",
          "other file mappings", "other anonymous memory"]
KINDS = {0: "atomic", 1: "normal", 2: "uncollectable", 3: "atomic-uncollectable"}
T0 = 1700000000.0

def mib(x): return "%.1f" % (x / MIB)
def pct(x, of): return "%.1f" % (100.0 * x / of if of else 0)

def breakdown(rows, gc, malloc, classes, nclasses, verdict, by_page=True, vm_rss=None):
    b = {"rss": sum(rows), "vm_rss": sum(rows) + 4096 if vm_rss is None else vm_rss,
         "rows": dict(zip(ROWS, rows)), "gc": gc}
    if malloc is not None:
        b["malloc"] = malloc
    b.update({"by_page": by_page, "shared": 8192, "nclasses": nclasses, "classes": [
        {"kind": k, "kind_name": KINDS.get(k, "kind %d" % k), "size": s, "objects": o,
         "bytes": n, "blocks": bl, "free_bytes": max(bl * 4096 - n, 0)}
        for k, s, o, n, bl in classes], "verdict": verdict})
    return b

def gc(heap, free, marked, n, collected, unmap=6):
    return {"heap_size": heap, "free": free, "unmapped": 3 << 20, "obtained": heap + (5 << 20),
            "marked": marked, "gc_no": n, "unmap_threshold": unmap, "collected": collected}

# The program's (pid 4242) breakdowns A at 1.0 s and B at 2.0 s, B written
# first; its child's (4243) C at 1.5 s.
A = breakdown([93 << 20, 7 << 20 | 12345, 31 << 20, 2 << 20, 40 << 20, 1 << 20, 3 << 20,
               700000, 900000, 123456],
              gc(160 << 20, 31 << 20, 93 << 20, 57, True),
              {"arena": 12 << 20, "mmapped": 28 << 20, "in_use": 38 << 20, "free": 2 << 20},
              [(1, 16, 500000, 8000000, 2000), (1, 32, 300000, 9600000, 2400),
               (0, 48, 100000, 4800000, 1200), (1, 0, 40, 40000000, 9800),
               (0, 0, 4, 300000, 80), (2, 64, 10, 640, 1), (1, 128, 1000, 128000, 40),
               (0, 2048, 3, 6144, 3)], 11,
              "31% of RSS (31.0 MiB) is free GC blocks still mapped; bdwgc returns it.\n"
              "The largest row is GC heap: live objects: 52% of RSS (93.0 MiB).")
B = breakdown([12 << 20, 1 << 20, 0, 1 << 20, 0, 135168, 2 << 20, 40960, 81920, 0],
              gc(16 << 20, 2 << 20, 12 << 20, 90, False, unmap=0), None,
              [(7, 0, 2, 9000000, 2200), (1, 64, 20, 1280, 1), (0, 16, 5, 80, 1)], 3,
              "No avoidable cause stands out: free GC blocks, free slots and free malloc "
              "memory are 6% of RSS together.\nThe largest row is GC heap: live objects: 73% "
              "of RSS (12.0 MiB).", by_page=False, vm_rss=0)
C = breakdown([1 << 20, 4096, 8192, 65536, 1 << 20, 65536, 1 << 20, 4096, 8192, 4096],
              gc(2 << 20, 8192, 1 << 20, 3, True),
              {"arena": 1 << 20, "mmapped": 0, "in_use": 900000, "free": 100000},
              [(1, 16, 100, 1600, 1)], 1, "Nothing stands out.\nThe largest row is malloc.")
RECS = [(T0 + 2.0, 4242, B), (T0 + 1.0, 4242, A), (T0 + 1.5, 4243, C)]

def write_recordings(d, recs, name):
    """NAME.dat and NAME.jsonl holding recs (time, pid, breakdown), None: none."""
    recs = RECS if recs == "all" else recs or []
    with open("%s/%s.dat" % (d, name), "w") as f:
        f.write("CMDLINE ./bdtest --big\nGCPROF_META 2 4242 %.4f 0.1000\n" % T0)
        f.write("GCPROF_IMAGE %.6f 4242 1 /usr/bin/bdtest\n" % (T0 + 0.01))
        f.write("GCPROF_CHILD %.6f 4243 4242 1 child\n" % (T0 + 0.5))
        for k in range(31):
            f.write("MEM %.6f %.4f\n" % (100 + k, T0 + k * 0.1))
        for t, pid, b in recs:
            f.write("GCPROF_BREAKDOWN %.6f %d %s\n" % (t, pid, json.dumps(b, separators=(",", ":"))))
        f.write("GCPROF_END %.4f\n" % (T0 + 3))
    with open("%s/%s.jsonl" % (d, name), "w") as f:
        w = lambda o: f.write(json.dumps(o, separators=(",", ":")) + "\n")
        w({"type": "meta", "version": 2, "cmdline": "./bdtest --big", "pid": 4242, "start": T0,
           "interval": 0.1})
        w({"type": "image", "t": T0 + 0.01, "pid": 4242, "ppid": 1, "exe": "/usr/bin/bdtest"})
        w({"type": "child", "t": T0 + 0.5, "pid": 4243, "ppid": 4242, "followed": True,
           "name": "child"})
        for k in range(31):
            w({"type": "sample", "t": T0 + k * 0.1, "rss": (100 + k) << 20})
        for t, pid, b in recs:
            w({"type": "breakdown", "t": t, "pid": pid, "breakdown": b})
        w({"type": "end", "t": T0 + 3})

def check_text(text, b, shown=None):
    """The text of breakdown b, line by line against b's own figures."""
    bad, lines = [], text.split("\n")
    rss = b["rss"]
    def want(i, line, what):
        if i >= len(lines) or lines[i] != line:
            bad.append("%s: line %d is %r, want %r" % (what, i + 1,
                       lines[i] if i < len(lines) else None, line))
    want(0, "RSS %s MiB, of which:" % mib(rss), "total")
    for i, (row, label) in enumerate(zip(ROWS, LABELS)):
        m = re.match(r"^  (.{36}) +([0-9.]+) MiB +([0-9.]+)%$", lines[1 + i])
        x = b["rows"][row]
        if not m or m.group(1).rstrip() != label or m.group(2) != mib(x) or m.group(3) != pct(x, rss):
            bad.append("row %s: %r, want %s, %s MiB, %s%%" % (row, lines[1 + i], label, mib(x), pct(x, rss)))
    i = 11
    if b["vm_rss"]:
        want(i, "  (VmRSS read right after: %s MiB)" % mib(b["vm_rss"]), "vm_rss"); i += 1
    g = b["gc"]
    want(i, "GC heap: %s MiB mapped, %s MiB of it in free blocks; %s MiB unmapped (given back); "
         "%s MiB in marked objects (collection %d%s)" % (mib(g["heap_size"]), mib(g["free"]),
         mib(g["unmapped"]), mib(g["marked"]), g["gc_no"], ", run for this breakdown"
         if g["collected"] else "'s marks: objects allocated since count as free slots"), "gc")
    i += 1
    want(i, "free GC blocks: unmapped once free through %d collections (GC_UNMAP_THRESHOLD)"
         % g["unmap_threshold"] if g["unmap_threshold"] else
         "free GC blocks: never unmapped (GC_UNMAP_THRESHOLD=0)", "unmap_threshold")
    i += 1
    if "malloc" in b:
        want(i, "malloc: %s MiB in use, %s MiB free in its arenas (mallinfo2)"
             % (mib(b["malloc"]["in_use"]), mib(b["malloc"]["free"])), "malloc"); i += 1
    if not b["by_page"]:
        if "pagemap could not be read" not in lines[i]:
            bad.append("no pagemap note: %r" % lines[i])
        i += 1
    cls = b["classes"][:10 if shown is None else shown]
    if cls:
        want(i, "GC size classes (most blocks first):", "classes"); i += 2
    for c in cls:
        f = lines[i].split()
        name = KINDS.get(c["kind"], "kind %d" % c["kind"]).split()
        size = str(c["size"]) if c["size"] else "large"
        if f[:len(name)] != name or f[len(name):len(name) + 5] != [size, str(c["objects"]),
                str(c["bytes"]), str(c["blocks"]), "%.0f%%" % (100.0 * c["free_bytes"] / (c["blocks"] * 4096))]:
            bad.append("class %r: %r" % (c, lines[i]))
        i += 1
    if "\n".join(lines[i:]) != "verdict: %s\n" % b["verdict"]:
        bad.append("verdict: %r, want %r" % (lines[i:], b["verdict"]))
    return bad

def by_key(key):
    return {"A": A, "B": B, "C": C}[key]

def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    out = []
    if cmd == "write":                      # write DIR NAME all|none
        write_recordings(args[0], args[2] if args[2] == "all" else None, args[1])
    elif cmd == "text":                     # text KEY FILE [SHOWN]: FILE is KEY's text
        out = check_text(open(args[1]).read(), by_key(args[0]),
                         int(args[2]) if len(args) > 2 else None)
    elif cmd == "json":                     # json KEY T PID FILE: one record, KEY's
        lines = open(args[3]).read().splitlines()
        r = json.loads(lines[-1]) if len(lines) == 1 else None
        if not r or r.get("type") != "breakdown" or abs(r["t"] - T0 - float(args[1])) > 1e-6 \
                or r["pid"] != int(args[2]) or r["breakdown"] != by_key(args[0]):
            out.append("not the record of %s: %r" % (args[0], lines))
    elif cmd == "all":                      # all FILE KEY...: those records, in that order
        got = [json.loads(l)["breakdown"] for l in open(args[0])]
        if got != [by_key(k) for k in args[1:]]:
            out.append("--all --json: %d records, not %s in order" % (len(got), args[1:]))
    elif cmd == "chart":                    # chart SVG KEY: the chart holds KEY's figures
        out = check_chart(args[0], by_key(args[1]))
    elif cmd == "record":                   # record FILE: the JSON a line of FILE holds, checked
        out = check_real(args[0])
    elif cmd == "cut":                      # cut JSON N: the JSON with its first N classes
        b = json.loads(open(args[0]).read())
        b["classes"] = b["classes"][:int(args[1])]
        print(json.dumps(b, separators=(",", ":")))
    elif cmd == "head":                     # head TEXT N: the library's text, N classes shown
        lines = open(args[0]).read().split("\n")
        if "GC size classes (most blocks first):" in lines:
            first = lines.index("GC size classes (most blocks first):") + 2
            end = first
            while end < len(lines) and lines[end].startswith("  "):
                end += 1
            lines = lines[:min(first + int(args[1]), end)] + lines[end:]
        sys.stdout.write("\n".join(lines))
    for o in out:
        print(o)

def check_chart(path, b):
    bad = []
    root = ET.parse(path).getroot()          # well-formed, or this raises
    ns = "{http://www.w3.org/2000/svg}"
    g = [e for e in root.iter(ns + "g") if e.get("id") == "breakdown"]
    if len(g) != 1:
        return ["%d breakdown charts" % len(g)]
    items = [e for e in g[0].iter(ns + "g") if e.get("class") == "bd-item"]
    if [e.get("data-row") for e in items] != ROWS:
        bad.append("legend rows %r" % [e.get("data-row") for e in items])
    for e in items:
        row = e.get("data-row")
        x = b["rows"].get(row, -1)
        texts = [t.text for t in e.iter(ns + "text")]
        if e.get("data-bytes") != str(x):
            bad.append("%s: %s bytes, want %d" % (row, e.get("data-bytes"), x))
        if len(texts) != 2 or texts[1].split() != [mib(x), "MiB", pct(x, b["rss"]) + "%"]:
            bad.append("%s: legend %r, want %s MiB %s%%" % (row, texts, mib(x), pct(x, b["rss"])))
        if texts and texts[0] != LABELS[ROWS.index(row)]:
            bad.append("%s: label %r" % (row, texts[0]))
    segs = [e for e in g[0].iter(ns + "rect") if "bd-seg" in (e.get("class") or "")]
    if len(segs) != sum(1 for r in ROWS if b["rows"][r]):
        bad.append("%d bar segments for %d rows with bytes" % (len(segs), sum(1 for r in ROWS if b["rows"][r])))
    verdict = " ".join(t.text for t in g[0].iter(ns + "text") if t.get("class") == "bd-verdict")
    if verdict.split() != b["verdict"].split():
        bad.append("verdict %r" % verdict)
    return bad

def check_real(path):
    """A real record: the rows add up to rss, the process's kept bytes are live."""
    lines = open(path).read().splitlines()
    kept = int([l for l in lines if l.startswith("kept ")][0].split()[1])
    r = json.loads(lines[-1])
    b, bad = r["breakdown"], []
    if sum(b["rows"].values()) != b["rss"]:
        bad.append("rows add up to %d, rss %d" % (sum(b["rows"].values()), b["rss"]))
    if not kept <= b["gc"]["marked"] <= kept + (4 << 20):
        bad.append("marked %d for %d kept" % (b["gc"]["marked"], kept))
    if not b["gc"]["collected"]:
        bad.append("the breakdown at exit was not after a collection")
    return bad

main()
PY

# pycheck WHAT ARGS...: passes WHAT when bd.py ARGS says nothing.
pycheck() {
    pc_what=$1
    shift
    pc_out=$(python3 "$py" "$@" 2>&1)
    if [ -z "$pc_out" ]; then pass "$pc_what"; else fail "$pc_what: $pc_out"; fi
}

# heap WHAT STATUS ARGS...: gcprof heap ARGS exits STATUS; stdout in $tmp/out,
# stderr in $tmp/err. Failures say WHAT.
heap() {
    h_what=$1 h_want=$2
    shift 2
    "$gcprof" heap "$@" >"$tmp/out" 2>"$tmp/err"
    h_rc=$?
    [ "$h_rc" -eq "$h_want" ] && return 0
    fail "$h_what: exit $h_rc, want $h_want: $(head -c 400 "$tmp/err")"
    return 1
}

# one_error WHAT STATUS KEY ARGS...: exits STATUS, one line on stderr naming
# KEY, nothing on stdout.
one_error() {
    oe_what=$1 oe_want=$2 oe_key=$3
    shift 3
    heap "$oe_what" "$oe_want" "$@" || return
    if [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -qF -- "$oe_key" "$tmp/err" &&
        grep -q '^gcprof heap: ' "$tmp/err" && [ ! -s "$tmp/out" ]; then
        pass "$oe_what"
    else
        fail "$oe_what: stderr [$(cat "$tmp/err")], stdout $(wc -c <"$tmp/out") bytes"
    fi
}

# ---- hand-written recordings, both formats ---------------------------------------
python3 "$py" write "$tmp" rec all || die "cannot write the recordings"
python3 "$py" write "$tmp" none none || die "cannot write the recordings"
for fmt in dat jsonl; do
    rec="$tmp/rec.$fmt"
    # the default: the program's (the meta pid's) latest in time, B, though written first
    heap "$fmt: text" 0 "$rec" && pycheck "$fmt: the latest breakdown's text, row by row" text B "$tmp/out"
    heap "$fmt: --pid 4243" 0 --pid 4243 "$rec" && pycheck "$fmt: --pid 4243: C's text" text C "$tmp/out"
    heap "$fmt: --json" 0 --json "$rec" && pycheck "$fmt: --json is B's record" json B 2 4242 "$tmp/out"
    heap "$fmt: --json --pid" 0 --pid=4243 --json "$rec" &&
        pycheck "$fmt: --json --pid 4243 is C's record" json C 1.5 4243 "$tmp/out"
    heap "$fmt: --all --json" 0 --all --json "$rec" &&
        pycheck "$fmt: --all --json: every record, in time order" all "$tmp/out" A C B
    heap "$fmt: --all --pid --json" 0 --all --pid 4242 --json "$rec" &&
        pycheck "$fmt: --all --pid 4242: its two, in time order" all "$tmp/out" A B
    if heap "$fmt: --all" 0 --all "$rec"; then
        grep '^== ' "$tmp/out" >"$tmp/heads"
        check "$fmt: --all: a header per breakdown, in time order, with name and time" \
            [ "$(cat "$tmp/heads")" = "$(printf '%s\n' '== pid 4242 (bdtest) at 1.000 s ==' \
                '== pid 4243 (child) at 1.500 s ==' '== pid 4242 (bdtest) at 2.000 s ==')" ]
        # each one's text is its breakdown's: A, C, B
        awk -v d="$tmp" '/^== / { n++; next } { print > (d "/all." n) }' "$tmp/out"
        sed -i '$ d' "$tmp/all.1" "$tmp/all.2" # the blank line between two
        pycheck "$fmt: --all: A's text" text A "$tmp/all.1" 8
        pycheck "$fmt: --all: C's text" text C "$tmp/all.2"
        pycheck "$fmt: --all: B's text" text B "$tmp/all.3"
    fi
    one_error "$fmt: --pid of no breakdown" 1 "4244" --pid 4244 "$rec"
    one_error "$fmt: no breakdown in the file" 1 "has no breakdown" "$tmp/none.$fmt"
done
check "dat and jsonl: the same text" sh -c '"$1" heap "$2/rec.dat" >"$2/a" && "$1" heap "$2/rec.jsonl" >"$2/b" && cmp -s "$2/a" "$2/b"' - "$gcprof" "$tmp"
check "gcprof summary reads the recording" sh -c '"$1" summary "$2" >/dev/null' - "$gcprof" "$tmp/rec.dat"
if command -v mprof >/dev/null 2>&1; then # mprof skips tags it does not know
    check "mprof peak reads the recording" sh -c 'mprof peak "$1" >/dev/null 2>&1' - "$tmp/rec.dat"
fi

# ---- errors ------------------------------------------------------------------------
one_error "no such file" 1 "nope.dat" "$tmp/nope.dat"
first=$(grep -n '^GCPROF_BREAKDOWN' "$tmp/rec.dat" | head -n 1 | cut -d: -f1)
sed 's/"malloc":[0-9]*,//' "$tmp/rec.dat" >"$tmp/bad1.dat"
one_error "a breakdown without a row: file and line" 1 \
    "bad1.dat:$first: breakdown: \"rows\" lacks \"malloc\"" "$tmp/bad1.dat"
sed "$first s/,\"verdict\".*\$//" "$tmp/rec.dat" >"$tmp/bad2.dat"
one_error "a breakdown cut short" 1 "bad2.dat:$first: breakdown:" "$tmp/bad2.dat"
sed '/"type":"breakdown"/ s/"breakdown":{/"breakdown":[{/; s/}}$/}]}/' "$tmp/rec.jsonl" >"$tmp/bad3.jsonl"
one_error "a breakdown that is not an object" 1 'is not an object' "$tmp/bad3.jsonl"
one_error "no arguments" 2 "no RECORDING" --json
one_error "two recordings" 2 "more than one RECORDING" "$tmp/rec.dat" "$tmp/rec.jsonl"
one_error "a bad pid" 2 "--pid: 'x'" --pid x "$tmp/rec.dat"
one_error "pid 0" 2 "--pid: '0'" --pid 0 "$tmp/rec.dat"
one_error "an unknown option" 2 "--bogus" --bogus "$tmp/rec.dat"
one_error "-o without a program" 2 "-o is where PROGRAM's recording goes" -o "$tmp/x.dat" "$tmp/rec.dat"
one_error "--svg to standard output" 2 "--svg: '-'" --svg - "$tmp/rec.dat"
one_error "--svg over the recording" 2 "is the recording" --svg "$tmp/rec.dat" "$tmp/rec.dat"
one_error "--svg over -o's recording, by another name" 2 "is the recording" \
    -o "$tmp/new.dat" --svg "$tmp/./new.dat" -- "$prog" 1 0 0
one_error "a pid with a sign" 2 "--pid: '+5'" --pid +5 "$tmp/rec.dat"
one_error "a recording and a program" 2 "give one" "$tmp/rec.dat" -- "$prog" 1 0 0
one_error "no program after --" 2 "no PROGRAM after --" --json --
heap "--help" 0 --help && check "--help: usage on stdout" grep -q '^Usage: gcprof heap' "$tmp/out"
check "gcprof --help lists heap" sh -c '"$1" --help | grep -q "^  heap  "' - "$gcprof"

# ---- the library's text and gcprof heap's ---------------------------------------------
if "$pair" "$tmp/lib.txt" >"$tmp/lib.json" 2>"$tmp/err"; then
    # a recording whose record is the library's JSON, with every class, then cut to 8
    for n in all 8; do
        { echo "GCPROF_META 2 77 1700000000.0000 0.0100"; echo "MEM 10.0 1700000000.1000"
            printf 'GCPROF_BREAKDOWN 1700000000.200000 77 '
            if [ "$n" = all ]; then cat "$tmp/lib.json"; else python3 "$py" cut "$tmp/lib.json" 8; fi
            echo "GCPROF_END 1700000000.3000"; } >"$tmp/lib.$n.dat"
        python3 "$py" head "$tmp/lib.txt" "$([ "$n" = all ] && echo 10 || echo 8)" >"$tmp/lib.want"
        if heap "library text ($n classes)" 0 "$tmp/lib.$n.dat"; then
            check "gcprof heap prints what gcp_breakdown_print printed ($n classes in the record)" \
                cmp -s "$tmp/out" "$tmp/lib.want"
        fi
    done
else
    fail "breakdown_pair: $(cat "$tmp/err")"
fi

# ---- the chart -------------------------------------------------------------------------
if heap "--svg" 0 --svg "$tmp/h.svg" "$tmp/rec.dat"; then
    pycheck "--svg: well-formed, B's rows, figures and verdict" chart "$tmp/h.svg" B
    pycheck "--svg also prints the text" text B "$tmp/out"
fi
heap "--svg --pid" 0 --pid 4243 --svg "$tmp/c.svg" "$tmp/rec.jsonl" &&
    pycheck "--svg --pid 4243: C's chart" chart "$tmp/c.svg" C
if "$gcprof" plot "$tmp/rec.dat" -o "$tmp/p.svg" 2>"$tmp/err"; then
    pycheck "plot: well-formed, the main process's latest breakdown below the timeline" chart "$tmp/p.svg" B
else
    fail "plot: $(cat "$tmp/err")"
fi
if "$gcprof" plot "$tmp/none.jsonl" -o "$tmp/n.svg" 2>"$tmp/err"; then
    check "plot without a breakdown: no chart" not grep -q 'id="breakdown"' "$tmp/n.svg"
else
    fail "plot: $(cat "$tmp/err")"
fi
if command -v xmllint >/dev/null 2>&1; then
    check "the charts: well-formed (xmllint)" xmllint --noout "$tmp/h.svg" "$tmp/p.svg"
fi

# ---- end to end: a bdwgc program, unmodified -----------------------------------------------
mkdir "$tmp/tmpdir"
export TMPDIR="$tmp/tmpdir" # where gcprof heap's own recording goes, and must not stay
if heap "heap -- PROGRAM --json" 0 --json -- "$prog" 6 0.3 0; then
    pycheck "heap -- PROGRAM: its breakdown at exit, rows adding up to RSS, its kept bytes live" \
        record "$tmp/out"
fi
if heap "heap -- PROGRAM, exit 5" 5 -- "$prog" 2 0.2 5; then
    check "heap -- PROGRAM: the text after PROGRAM's output" \
        sh -c 'head -n 1 "$1" | grep -q "^kept " && grep -q "^RSS .* MiB, of which:" "$1" && grep -q "^verdict: " "$1"' - "$tmp/out"
fi
one_error "heap -- a program without bdwgc" 1 "no breakdown of sh was recorded" -- sh -c 'exit 0'
heap "heap -- a program without bdwgc, exit 3" 3 -- sh -c 'exit 3'
one_error "heap -- no such program" 127 "cannot run" -- "$tmp/no-such-program"
check "heap -- PROGRAM leaves no recording of its own behind" [ -z "$(ls -A "$tmp/tmpdir")" ]
if heap "heap -o" 0 -o "$tmp/kept.jsonl" -- "$prog" 2 0.2 0; then
    check "heap -o: the recording is kept, with the breakdown" grep -q '"type":"breakdown"' "$tmp/kept.jsonl"
    heap "heap of the kept recording" 0 "$tmp/kept.jsonl"
fi

# gcprof run --breakdown, and one more breakdown asked for with SIGUSR1 while
# the program runs (once it has started: it prints "kept"). The program
# runs until told to stop (a file; 120 s at most): once the requested
# breakdown is in the recording (gcprof flushes each breakdown into its
# temporary file at once), the test makes the file, and the program's exit
# brings the second. No step rests on how long another takes.
"$gcprof" run --breakdown -o "$tmp/usr1.dat" -- "$prog" 2 120 0 "$tmp/usr1.stop" \
    >"$tmp/usr1.out" 2>"$tmp/usr1.err" &
run_pid=$!
i=0
while ! grep -q '^kept' "$tmp/usr1.out" 2>/dev/null && [ $i -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill -USR1 "$run_pid"
i=0
while [ $i -lt 300 ] && ! cat "$tmp"/usr1.dat.tmp.* 2>/dev/null | grep -q '^GCPROF_BREAKDOWN '; do
    sleep 0.1
    i=$((i + 1))
done
check "run --breakdown + SIGUSR1: the requested breakdown reaches the recording while the program runs" \
    sh -c 'cat "$1"/usr1.dat.tmp.* | grep -q "^GCPROF_BREAKDOWN "' - "$tmp"
: >"$tmp/usr1.stop"
wait "$run_pid"
rc=$?
if [ "$rc" -ne 0 ]; then
    fail "run --breakdown: exit $rc: $(cat "$tmp/usr1.err")"
else
    main=$(awk '$1 == "GCPROF_META" { print $3 }' "$tmp/usr1.dat")
    n=$(awk -v p="$main" '$1 == "GCPROF_BREAKDOWN" && $3 == p' "$tmp/usr1.dat" | wc -l)
    check "run --breakdown + SIGUSR1: one breakdown on request, one at exit ($n)" [ "$n" -eq 2 ]
    if heap "--all of the run" 0 --all "$tmp/usr1.dat"; then
        check "--all: both, the requested one first" [ "$(grep -c '^== pid' "$tmp/out")" -eq 2 ]
    fi
    check "run --breakdown: its closing note counts them" grep -q "2 breakdowns)" "$tmp/usr1.err"
    check "run --breakdown: no private directory left" [ -z "$(ls -A "$tmp/tmpdir")" ]
fi

finish "PASS: gcprof heap and the breakdown records"
