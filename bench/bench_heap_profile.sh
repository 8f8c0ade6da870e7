#!/bin/sh
# bench_heap_profile.sh - what `gcprof run --heap-profile` costs an
# unmodified bdwgc program, side by side in one run.
#
# Two programs: Guile running bench/programs/heap_churn.scm (GC-heavy,
# allocates through GC_malloc_many batches), and the shared workload
# (bench/workload plain, as bench_workload runs it, 1000 iterations: 8 GB of
# 8000-byte arrays). Variants: plain; gcprof run (timeline only); gcprof run
# --heap-profile (default rate, 512 KiB); for information --heap-profile=1
# (every allocation), heaptrack and valgrind massif (they see malloc, not the
# GC heap; N/A when not installed). One process per run, rounds interleaved,
# the order rotating.
#
# Target: --heap-profile's program run <= 1.03x the timeline-only run's, on
# the fastest runs (as bench_workload: deterministic work, a shared machine
# only adds time); medians printed next to it. "Program run" is the
# recording's own span, fork to the program reaped, the same clock for both
# variants; converting the dumps to pprof after the program ended is printed
# apart (whole command). Figures go to $GCP_BENCH_JSON. Run from the top of
# the build tree (make bench does, with srcdir set).
# Exit status 1: target missed; 2: a program or gcprof failed.
# shellcheck disable=SC2046,SC2086 # commands and figures are split into words
set -u

rounds=${GCP_BENCH_ROUNDS:-11}
target=1.03
top=$(pwd)
srcdir=${srcdir:-.}
gcprof=$top/tools/gcprof
json=${GCP_BENCH_JSON:-bench_heap_profile.json}
GCPROF_PRELOAD=${GCPROF_PRELOAD:-$top/.libs/libgcprof-preload.so}
export GCPROF_PRELOAD
for f in "$gcprof" "$GCPROF_PRELOAD" "$top/bench/workload"; do
    [ -f "$f" ] || { echo "bench_heap_profile: $f not built"; exit 2; }
done
case $(date +%N) in *[!0-9]*) echo "bench_heap_profile: needs GNU date (+%N)"; exit 2 ;; esac
tmp=$(mktemp -d) || exit 2
keep=0 # a failure keeps the logs
trap '[ $keep = 1 ] || rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
GUILE_AUTO_COMPILE=0 XDG_CACHE_HOME=$tmp/cache
export GUILE_AUTO_COMPILE XDG_CACHE_HOME
data=$tmp/data   # PROGRAM VARIANT ROUND WALL RUN RSS_KIB CPU (-: unknown)
figs=$tmp/figs   # PROGRAM VARIANT WHAT VALUE: samples, bytes seen
: >"$data"; : >"$figs"

cmd_guile="guile --no-auto-compile $srcdir/bench/programs/heap_churn.scm"
cmd_workload="$top/bench/workload plain 1000"
variants="plain timeline heap heap1 heaptrack massif"
skip="" # PROGRAM:VARIANT pairs that run no more
command -v guile >/dev/null 2>&1 || skip="$skip guile:*"
command -v heaptrack >/dev/null 2>&1 || skip="$skip *:heaptrack"
command -v valgrind >/dev/null 2>&1 || skip="$skip *:massif"
timer=""
[ -x /usr/bin/time ] && timer="/usr/bin/time -f %M:%U:%S -o $tmp/rss --" # GNU time: RSS, CPU

# The rounds a variant runs: the informational ones take 3-20x longer.
nrounds() {
    case $1 in heap1 | heaptrack) echo 3 ;; massif) echo 1 ;; *) echo "$rounds" ;; esac
}
skipped() {
    for s_ in $skip; do
        # shellcheck disable=SC2254 # the skip list holds patterns
        case $1 in $s_) return 0 ;; esac
    done
    return 1
}
# median, min, max of the numbers on standard input: "N MED MIN MAX".
stats() {
    sort -g | awk '{ x[NR] = $1 } END { if (!NR) { print "0 - - -"; exit }
        m = NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2
        print NR, m, x[1], x[NR] }'
}
# column PROGRAM VARIANT FIELD: that field of the runs, "-" left out.
column() {
    awk -v p="$1" -v v="$2" -v f="$3" '$1 == p && $2 == v && $f != "-" { print $f }' "$data"
}
field() { column "$@" | stats; }
figure() { awk -v p="$1" -v v="$2" -v w="$3" '$1 == p && $2 == v && $3 == w { print $4 }' "$figs" | stats | cut -d' ' -f2; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "-"; else printf "%.3f", a / b }'; }

# run PROGRAM VARIANT ROUND: one timed run; its figures appended to $data.
run() {
    case $1 in guile) cmd=$cmd_guile ;; *) cmd=$cmd_workload ;; esac
    out=$tmp/$1.$2.$3
    case $2 in
        plain) set -- "$1" "$2" "$3" ;;
        timeline) set -- "$1" "$2" "$3" "$gcprof" run -o "$out.dat" -- ;;
        heap) set -- "$1" "$2" "$3" "$gcprof" run --heap-profile -o "$out.dat" --heap-output "$out.pb.gz" -- ;;
        heap1) set -- "$1" "$2" "$3" "$gcprof" run --heap-profile=1 -o "$out.dat" --heap-output "$out.pb.gz" -- ;;
        heaptrack) set -- "$1" "$2" "$3" heaptrack -o "$out.ht" ;;
        massif) set -- "$1" "$2" "$3" valgrind --tool=massif --massif-out-file="$out.massif" ;;
    esac
    p=$1 v=$2 rr=$3
    shift 3
    rm -f "$tmp/rss"
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086 # the commands are words
    $timer "$@" $cmd >"$out.log" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    if [ $rc -ne 0 ]; then
        echo "  $p $v: failed, exit $rc (log: $out.log)"
        skip="$skip $p:$v" keep=1 failed=1
        return
    fi
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
    set -- - -
    [ -f "$tmp/rss" ] && set -- $(awk -F: 'END { printf "%d %.2f", $1, $2 + $3 }' "$tmp/rss")
    rss=$1 cpu=$2
    run=$wall
    if [ -f "$out.dat" ]; then # the program's own span and peak, as gcprof run saw them
        set -- $(awk '$1 == "GCPROF_META" { s = $4 } $1 == "GCPROF_STATUS" { e = $2; m = $6 }
            END { printf "%.4f %d", e - s, m / 1024 }' "$out.dat")
        run=$1 rss=$2
    fi
    echo "$p $v $rr $wall $run $rss $cpu" >>"$data"
    case $v in
        heap | heap1) # "Type: allocated space (alloc_space): B in all, N samples"
            "$gcprof" top --alloc --raw -n 1 "$out.pb.gz" | awk -v p="$p" -v v="$v" \
                '/^Type:/ { print p, v, "bytes", $5; print p, v, "samples", $8 }' >>"$figs" ;;
        heaptrack)
            for f in "$out".ht.*; do break; done # .zst or .gz
            heaptrack_print -f "$f" -p 0 -a 0 -T 0 2>/dev/null | awk -v p="$p" -v v="$v" '
                /^peak heap memory consumption:/ { x = $5 + 0; u = substr($5, length($5))
                    x *= u == "K" ? 1e3 : u == "M" ? 1e6 : u == "G" ? 1e9 : 1; print p, v, "bytes", x }' >>"$figs" ;;
        massif)
            awk -F= -v p="$p" -v v="$v" '$1 == "mem_heap_B" && $2 > m { m = $2 }
                END { print p, v, "bytes", m + 0 }' "$out.massif" >>"$figs" ;;
    esac
    rm -f "$out".*
}

failed=0
echo "bench_heap_profile: gcprof run --heap-profile's cost, $rounds rounds (informational" \
    "variants fewer), one process per run"
echo "  guile: $cmd_guile"
echo "  workload: $cmd_workload"
for p in guile workload; do skipped "$p:plain" || run "$p" plain 0; done >/dev/null # warm caches
: >"$data"
r=0
while [ $r -lt "$rounds" ]; do
    pairs=""
    for p in guile workload; do
        for v in $variants; do
            [ $r -lt "$(nrounds $v)" ] && ! skipped "$p:$v" && pairs="$pairs $p:$v"
        done
    done
    set -- $pairs
    [ $# -gt 0 ] || break
    k=$((r % $#))
    while [ $k -gt 0 ]; do # rotate: round r starts at pair r mod n
        set -- "$@" "$1"
        shift
        k=$((k - 1))
    done
    for pair in "$@"; do run "${pair%%:*}" "${pair#*:}" $r; done
    r=$((r + 1))
done

# ---- the table, the verdicts, the JSON ------------------------------------
exec 3>"$json"
printf '{"benchmark": "bench_heap_profile", "results": [' >&3
sep=""
result() { # NAME VALUE UNIT [TARGET PASS]
    [ "$2" = "-" ] && return
    printf '%s\n  {"name": "%s", "value": %s, "unit": "%s"' "$sep" "$1" "$2" "$3" >&3
    [ $# -gt 3 ] && printf ', "target": "%s", "pass": %s' "$4" "$5" >&3
    printf '}' >&3
    sep=","
}
rc=0
for p in guile workload; do
    echo
    if skipped "$p:*"; then echo "  $p: N/A (not installed)"; continue; fi
    printf '  %-9s | %2s | %-22s | %8s | %8s | %7s | %6s | %7s | %s\n' "$p" n \
        "wall s median (min-max)" "vs plain" "run s" "vs tl" "cpu s" "RSS MiB" "note"
    set -- $(field "$p" plain 4)
    plain=$2
    set -- $(field "$p" timeline 5)
    tl_run=$2
    for v in $variants; do
        set -- $(field "$p" "$v" 4)
        if [ "$1" = 0 ]; then
            printf '  %-9s | %2s | %-22s | %8s | %8s | %7s | %6s | %7s | %s\n' "$v" 0 N/A - - - - - \
                "$(skipped "$p:$v" && echo "not installed or failed")"
            continue
        fi
        n=$1 wall=$2 wmin=$3 wmax=$4
        run_med=$(field "$p" "$v" 5 | cut -d' ' -f2)
        span=$(awk -v a="$wmin" -v b="$wmax" -v m="$wall" 'BEGIN { printf "%.3f (%.3f-%.3f)", m, a, b }')
        rss=$(field "$p" "$v" 6 | cut -d' ' -f2)
        cpu=$(field "$p" "$v" 7 | cut -d' ' -f2)
        rss_mib=$(awk -v k="$rss" 'BEGIN { if (k == "-") print "-"; else printf "%.1f", k / 1024 }')
        vs_tl=-
        case $v in heap | heap1) vs_tl=$(ratio "$run_med" "$tl_run")x ;; esac
        bytes=$(figure "$p" "$v" bytes)
        case $v in
            plain) note="baseline" ;;
            timeline) note="gcprof run: RSS + collections" ;;
            heap | heap1) note="pprof: $(figure "$p" "$v" samples) samples (stack x kind)," ;;
            *) note="peak malloc heap (not the GC heap):" ;;
        esac
        case $v in timeline | plain) ;; *)
            note="$note $(awk -v b="$bytes" 'BEGIN { printf b == "-" ? "?" : "%.1f MB", b / 1e6 }')"
            case $v in heap | heap1) note="$note allocated" ;; esac ;;
        esac
        printf '  %-9s | %2s | %-22s | %7sx | %8s | %7s | %6s | %7s | %s\n' "$v" "$n" "$span" \
            "$(ratio "$wall" "$plain")" "$(printf %.3f "$run_med")" "$vs_tl" "$cpu" "$rss_mib" "$note"
        result "$p.$v.wall_median" "$wall" s
        result "$p.$v.wall_min" "$wmin" s
        result "$p.$v.wall_max" "$wmax" s
        result "$p.$v.run_median" "$run_med" s
        result "$p.$v.peak_rss_median" "$rss" KiB
        result "$p.$v.cpu_median" "$cpu" s
        result "$p.$v.vs_plain_median" "$(ratio "$wall" "$plain")" x
        result "$p.$v.seen_bytes" "$bytes" B
    done
    if [ "$(field "$p" heap 5 | cut -d' ' -f1)" = 0 ] || [ "$tl_run" = - ]; then
        rc=2
        continue
    fi
    fast=$(ratio "$(field "$p" heap 5 | cut -d' ' -f3)" "$(field "$p" timeline 5 | cut -d' ' -f3)")
    med=$(ratio "$(field "$p" heap 5 | cut -d' ' -f2)" "$tl_run")
    whole=$(ratio "$(field "$p" heap 4 | cut -d' ' -f3)" "$(field "$p" timeline 4 | cut -d' ' -f3)")
    wmed=$(ratio "$(field "$p" heap 4 | cut -d' ' -f2)" "$(field "$p" timeline 4 | cut -d' ' -f2)")
    drss=$(awk -v a="$(field "$p" heap 6 | cut -d' ' -f2)" -v b="$(field "$p" timeline 6 | cut -d' ' -f2)" \
        'BEGIN { printf "%+.2f", (a - b) / 1024 }')
    pass=$(awk -v x="$fast" -v t="$target" 'BEGIN { print x <= t ? "true" : "false" }')
    echo "  => target: --heap-profile / timeline-only program run <= $target, fastest runs:" \
        "${fast}x (medians ${med}x) $( [ "$pass" = true ] && echo PASS || echo FAIL)"
    echo "     whole command (with writing the pprof file): fastest ${whole}x, medians ${wmed}x;" \
        "vs plain: medians $(ratio "$(field "$p" heap 4 | cut -d' ' -f2)" "$plain")x" \
        "(timeline alone $(ratio "$(field "$p" timeline 4 | cut -d' ' -f2)" "$plain")x)"
    cpu_ratio=$(ratio "$(field "$p" heap 7 | cut -d' ' -f2)" "$(field "$p" timeline 7 | cut -d' ' -f2)")
    echo "     CPU (user+sys of the whole command, medians): --heap-profile / timeline-only" \
        "${cpu_ratio}x, less sensitive than wall time to other work on the machine"
    echo "     profiler memory: program peak RSS, --heap-profile - timeline-only (medians): $drss MiB"
    result "$p.heap_vs_timeline_cpu_median" "$cpu_ratio" x
    result "$p.heap_vs_timeline_run_fastest" "$fast" x "<= $target" "$pass"
    result "$p.heap_vs_timeline_run_median" "$med" x
    result "$p.heap_vs_timeline_whole_fastest" "$whole" x
    result "$p.heap_rss_minus_timeline" "${drss#+}" MiB
    [ "$pass" = true ] || [ $rc = 2 ] || rc=1
done
printf '\n]}\n' >&3
exec 3>&-
[ $failed = 1 ] && rc=2
exit $rc
