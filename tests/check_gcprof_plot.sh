#!/bin/sh
# gcprof plot on recordings made here, checked against what the test knows
# of its own data, read back from the SVG's structure (never a snapshot):
# the GC heap as a sawtooth for a few collections and as a band with a floor
# line for thousands, within the plot's width in points; the pause lane's
# scale in ms for pauses from 0.01 ms to seconds; the allocation lane's
# rates, equal to the test's own from the heap samples.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$gcprof" ] || skip "$gcprof is not built"
make_tmp

# gen N SECONDS PAUSE_MS [HEAP_STEP]: a recording of N collections, evenly
# spread, the longest pause PAUSE_MS; MEM and heap samples every HEAP_STEP
# seconds (0.1). Heap in use climbs 8 MiB between collections, and what
# each leaves grows from 20 to 30 MiB; bytes allocated grow by 3 to 15 MiB
# per sample, in a cycle of five.
gen() {
    awk -v n="$1" -v dur="$2" -v ps="$3" -v step="${4:-0.1}" 'BEGIN {
        t0 = 1700000000; mib = 1048576; gap = dur / n
        printf "CMDLINE ./churn %d\n", n
        printf "GCPROF_META 1 4242 %.4f %.4f\n", t0, step
        for (i = 0; i < n; i++) {
            after = (20 + 10 * i / n) * mib
            pause = ps * ((i * 7) % 11 + 1) / 11
            printf "GCPROF_GC %d %.6f %.3f %.3f %.3f %.3f %.0f %.0f %d\n", i + 1,
                t0 + (i + 0.5) * gap, pause, pause * 0.8, pause * 0.1, pause * 1.2,
                after + 8 * mib, after, i % 50 == 49
        }
        ns = int(dur / step + 0.5); ba = 0
        for (k = 0; k <= ns; k++) {
            t = k * step; jf = t / gap - 0.5; j = int(jf)
            if (jf < 0) used = 20 * mib + 8 * mib * t / (0.5 * gap)
            else used = (20 + 10 * j / n) * mib + 8 * mib * (jf - j)
            if (k > 0) ba += (k % 5 + 1) * 3 * mib
            printf "MEM %.6f %.4f\n", 60 + 10 * sin(k / 10), t0 + t
            printf "GCPROF_HEAP %.4f %.0f %.0f 0 %d %.0f\n", t0 + t, 64 * mib, 64 * mib - used, j, ba
        }
        printf "GCPROF_END %.4f\n", t0 + dur
    }'
}

# plot NAME: NAME.dat to NAME.svg; 1 if that failed (and says so).
plot() {
    if "$gcprof" plot "$tmp/$1.dat" -o "$tmp/$1.svg" 2>"$tmp/err"; then
        return 0
    fi
    fail "plot $1: $(cat "$tmp/err")"
    return 1
}

# ---- reading the SVG ---------------------------------------------------
# group NAME FILE: the lines of <g id="NAME"> (one element a line).
group() { sed -n "/<g id=\"$1\">/,/<\/g>/p" "$2"; }
# points CLASS: "x y" per point of the first element of that class on stdin.
points() {
    grep -o "class=\"$1\" points=\"[^\"]*\"" | head -n 1 | sed 's/.*points="//; s/"$//' |
        tr ' ' '\n' | grep . | tr ',' ' '
}
# ticks: "y label" per tick label on stdin (right-aligned "tick" texts),
# y where its tick is (the text sits 4 px lower).
ticks() {
    sed -n 's/.*<text x="[^"]*" y="\([^"]*\)" class="tick" text-anchor="end">\([^<]*\)<.*/\1 \2/p' |
        awk '{ print $1 - 4, $2 }'
}
# The memory chart's own ticks: those before the first group.
chart_ticks() { awk '/<g id=/ { exit } { print }' "$1" | ticks; }
# to_px MIB: where the chart draws that many MiB, from its lowest and
# highest tick.
to_px() {
    chart_ticks "$svg" | awk -v v="$1" 'NR == 1 { y0 = $1; v0 = $2 } { y1 = $1; v1 = $2 }
        END { printf "%.2f\n", y0 + (v - v0) * (y1 - y0) / (v1 - v0) }'
}
# The plotting area's width in px: a lane's background spans it.
plot_width() {
    sed -n 's/.*<rect class="lane-bg" x="[^"]*" y="[^"]*" width="\([^"]*\)".*/\1/p' "$1" | head -n 1
}
# near A B TOLERANCE: |A - B| <= TOLERANCE.
near() { awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN { exit !(a - b <= d && b - a <= d) }'; }
# legend TEXT FILE: a legend entry says exactly TEXT.
# shellcheck disable=SC2317
legend() { grep -qF "class=\"legend\" text-anchor=\"start\">$1</text>" "$2"; }

# From the recording itself: the GC heap's extremes in MiB (heap in use at
# samples, before and after collections), the longest pause in ms.
heap_max() {
    awk '$1 == "GCPROF_GC" { v = $8 } $1 == "GCPROF_HEAP" { v = $3 - $4 }
        ($1 == "GCPROF_GC" || $1 == "GCPROF_HEAP") && (!m || v > max) { max = v; m = 1 }
        END { printf "%.6f\n", max / 1048576 }' "$1"
}
heap_min() {
    awk '$1 == "GCPROF_GC" { v = $9 } $1 == "GCPROF_HEAP" { v = $3 - $4 }
        ($1 == "GCPROF_GC" || $1 == "GCPROF_HEAP") && (!m || v < min) { min = v; m = 1 }
        END { printf "%.6f\n", min / 1048576 }' "$1"
}
# shellcheck disable=SC2317
pause_max() { awk '$1 == "GCPROF_GC" && $4 + 0 > m { m = $4 + 0 } END { print m + 0 }' "$1"; }

# ystats: the lowest and highest y of the points on stdin, and their count.
ystats() { awk 'NR == 1 { lo = hi = $2 } $2 < lo { lo = $2 } $2 > hi { hi = $2 }
    END { print lo + 0, hi + 0, NR }'; }

# ---- few collections: the sawtooth -------------------------------------
gen 5 4 3 >"$tmp/few.dat"
if plot few; then
    svg=$tmp/few.svg
    group heap "$svg" >"$tmp/heap"
    points heap <"$tmp/heap" >"$tmp/saw"
    points heap-floor <"$tmp/heap" >"$tmp/floor"
    nheap=$(grep -c '^GCPROF_HEAP' "$tmp/few.dat")
    check "few: the sawtooth, every point (samples, before and after each collection)" \
        [ "$(wc -l <"$tmp/saw")" -eq $((nheap + 10)) ]
    check "few: no band" not grep -q 'class="heap-band"' "$svg"
    check "few: the floor line, a point per collection" [ "$(wc -l <"$tmp/floor")" -eq 5 ]
    # each floor point where that collection's heap after is
    grep '^GCPROF_GC' "$tmp/few.dat" | awk '{ printf "%.6f\n", $9 / 1048576 }' >"$tmp/after"
    ok=1 i=0
    while read -r mib; do
        i=$((i + 1))
        y=$(sed -n "${i}p" "$tmp/floor" | cut -d' ' -f2)
        near "$y" "$(to_px "$mib")" 1 || { ok=0 && echo "  collection $i: y $y, want $mib MiB"; }
    done <"$tmp/after"
    check "few: floor points at each collection's heap after" [ $ok -eq 1 ]
    read -r top _ _ <<EOF
$(ystats <"$tmp/saw")
EOF
    check "few: the teeth reach the highest heap in use" \
        near "$top" "$(to_px "$(heap_max "$tmp/few.dat")")" 1
    check "few: legend, the heap line" legend "GC heap in use" "$svg"
    check "few: legend, the floor line" legend "GC heap in use after each collection" "$svg"
fi

# A burst of forced collections a millisecond apart keeps the sawtooth.
{
    gen 12 4 3
    for i in 1 2 3 4 5; do
        printf 'GCPROF_GC %d 1700000000.%03d000 0.500 0.400 0.050 0.600 23165824 21117248 1\n' \
            $((20 + i)) $((501 + i))
    done
} >"$tmp/burst.dat"
if plot burst; then
    check "a burst of 5: still the sawtooth" grep -q 'class="heap" points=' "$tmp/burst.svg"
    check "a burst of 5: no band" not grep -q 'class="heap-band" points=' "$tmp/burst.svg"
fi

# ---- 2000 collections: a band and a floor, within the plot's width -------
gen 2000 10 0.5 >"$tmp/many.dat"
if plot many; then
    svg=$tmp/many.svg
    width=$(plot_width "$svg")
    group heap "$svg" >"$tmp/heap"
    points heap-band <"$tmp/heap" >"$tmp/band"
    points heap-floor <"$tmp/heap" >"$tmp/floor"
    read -r band_top band_bottom nband <<EOF
$(ystats <"$tmp/band")
EOF
    echo "  plot width $width px; band $nband points, floor $(wc -l <"$tmp/floor")"
    check "many: the band is there" [ "$nband" -gt 0 ]
    check "many: no sawtooth line" not grep -q 'class="heap"' "$tmp/heap"
    check "many: band points <= 2 per pixel column" \
        awk -v n="$nband" -v w="$width" 'BEGIN { exit !(n <= 2 * (w + 1)) }'
    check "many: the band spans the plot" awk -v n="$nband" -v w="$width" 'BEGIN { exit !(n >= w) }'
    check "many: floor points <= 1 per pixel column" \
        awk -v n="$(wc -l <"$tmp/floor")" -v w="$width" 'BEGIN { exit !(n > 10 && n <= w + 1) }'
    check "many: band top at the highest heap in use" \
        near "$band_top" "$(to_px "$(heap_max "$tmp/many.dat")")" 1
    check "many: band bottom at the lowest heap in use" \
        near "$band_bottom" "$(to_px "$(heap_min "$tmp/many.dat")")" 1
    read -r floor_top floor_bottom _ <<EOF
$(ystats <"$tmp/floor")
EOF
    check "many: the floor stays inside the band" \
        awk -v a="$floor_top" -v b="$floor_bottom" -v t="$band_top" -v u="$band_bottom" \
        'BEGIN { exit !(a >= t - 0.2 && b <= u + 0.2) }'
    check "many: floor's lowest is the lowest heap after" \
        near "$floor_bottom" "$(to_px "$(heap_min "$tmp/many.dat")")" 1
    check "many: legend, the band" legend "GC heap in use, lowest to highest per pixel" "$svg"
    check "many: legend, the floor" \
        legend "GC heap in use after collections (lowest per pixel)" "$svg"
    check "many: every element of the plot within the width" \
        awk -v w="$width" '{ n = gsub(/,/, ",") } n > 2 * (w + 1) + 4 { exit 1 }' "$svg"
fi

# ---- the pause lane's scale --------------------------------------------
# ticks_ok FILE: "0" first, increasing evenly, 3 to 5 of them, at least
# 12 px apart; the highest covers the longest pause and is less than 2.5
# times it; the tallest bar's height is that pause on this scale.
# shellcheck disable=SC2317
ticks_ok() {
    group pauses "$1" >"$tmp/lane"
    ticks <"$tmp/lane" >"$tmp/ticks"
    max=$(pause_max "${1%.svg}.dat")
    echo "  longest pause $max ms; ticks: $(cut -d' ' -f2 "$tmp/ticks" | tr '\n' ' ')"
    awk -v max="$max" 'NR == 1 && $2 != "0" { exit 1 }
        NR > 1 { d = $2 - v; if (d <= 0 || py - $1 < 12) exit 1
                 if (NR > 2 && (d - step > step * 1e-6 || step - d > step * 1e-6)) exit 1
                 step = d }
        { v = $2; py = $1 }
        END { exit !(NR >= 3 && NR <= 5 && v >= max && v < 2.5 * max) }' "$tmp/ticks" || return 1
    tallest=$(sed -n 's/.*<rect class="gc[^"]*" x="[^"]*" y="[^"]*" width="[^"]*" height="\([^"]*\)".*/\1/p' \
        "$tmp/lane" | sort -g | tail -n 1)
    want=$(awk -v max="$max" 'NR == 1 { y0 = $1 } { y = $1; v = $2 }
        END { h = (y0 - y) * max / v; printf "%.2f\n", h < 2 ? 2 : h }' "$tmp/ticks")
    near "$tallest" "$want" 0.5 || { echo "  tallest bar $tallest px, want $want" && return 1; }
}
for ms in 0.01 0.011 0.3 1 7.5 45 2300 60000; do
    gen 5 4 "$ms" >"$tmp/pause_$ms.dat"
    plot "pause_$ms" && check "pause scale, longest $ms ms" ticks_ok "$tmp/pause_$ms.svg"
done
check "pause lane title says what and in what unit" \
    grep -qF '>GC pause (world stopped), ms</text>' "$tmp/pause_1.svg"
[ -s "$tmp/many.svg" ] && check "pause scale, 2000 collections" ticks_ok "$tmp/many.svg"

# ---- the allocation lane -----------------------------------------------
# rates FILE.dat: "RATE MiB/s from T0 s to T1 s" between consecutive heap
# samples, from the recording, as the lane's tooltips write them.
rates() {
    awk '$1 == "GCPROF_META" { o = $4 }
        $1 == "GCPROF_HEAP" { t = $2 - o
            if (n++) printf "%.4g MiB/s from %.3f s to %.3f s\n", ($7 - b) / (t - pt) / 1048576, pt, t
            pt = t; b = $7 }' "$1"
}
# drawn FILE.svg: the same, from the lane.
drawn() {
    group allocation "$1" | sed -n 's/.*<rect class="alloc".*<title>\([^:]*\):.*/\1/p'
}
for rec in few many; do
    [ -s "$tmp/$rec.svg" ] || continue
    rates "$tmp/$rec.dat" >"$tmp/want"
    drawn "$tmp/$rec.svg" >"$tmp/got"
    if [ -s "$tmp/want" ] && cmp -s "$tmp/want" "$tmp/got"; then
        pass "$rec: allocation rates = the test's own ($(wc -l <"$tmp/got") intervals)"
    else
        fail "$rec: allocation rates differ"
        diff "$tmp/want" "$tmp/got" | head -n 5
    fi
    total=$(awk '$1 == "GCPROF_HEAP" { b = $7 } END { printf "%.1f", b / 1048576 }' "$tmp/$rec.dat")
    check "$rec: $total MiB allocated in all" grep -qF ">$total MiB allocated in all<" "$tmp/$rec.svg"
    top=$(group allocation "$tmp/$rec.svg" | ticks | tail -n 1 | cut -d' ' -f2)
    maxrate=$(cut -d' ' -f1 "$tmp/want" | sort -g | tail -n 1)
    # rates divide by times rounded in the file: 1e-5 of slack
    check "$rec: allocation scale up to $top covers $maxrate MiB/s" \
        awk -v t="$top" -v m="$maxrate" 'BEGIN { exit !(t >= m * (1 - 1e-5) && t < 2.5 * m) }'
    check "$rec: allocation lane titled" \
        grep -qF '>allocation rate, MiB/s (bytes allocated between heap samples / time)</text>' \
        "$tmp/$rec.svg"
    check "$rec: legend, the allocation rate" \
        legend "allocation rate between heap samples" "$tmp/$rec.svg"
done

# 20000 heap samples: bars join to a pixel wide at least, and together
# still hold every byte allocated from the first sample to the last.
gen 50 10 1 0.0005 >"$tmp/dense.dat"
if plot dense; then
    width=$(plot_width "$tmp/dense.svg")
    group allocation "$tmp/dense.svg" | grep 'class="alloc"' >"$tmp/bars"
    check "dense samples: allocation bars <= plot width ($(wc -l <"$tmp/bars") bars, $width px)" \
        [ "$(wc -l <"$tmp/bars")" -le "$(printf '%.0f' "$width")" ]
    sum=$(sed 's/.*: \([0-9.]*\) MiB allocated.*/\1/' "$tmp/bars" | awk '{ s += $1 } END { print s }')
    want=$(awk '$1 == "GCPROF_HEAP" { if (!n++) a = $7; b = $7 } END { print (b - a) / 1048576 }' \
        "$tmp/dense.dat")
    check "dense samples: the bars hold $want MiB (got $sum)" \
        awk -v s="$sum" -v w="$want" 'BEGIN { exit !(s - w < w * 1e-3 && w - s < w * 1e-3) }'
fi

# No lane without two heap samples: none, or one.
if "$gcprof" plot "$top_srcdir/tests/data/rss_only.jsonl" -o "$tmp/rss.svg"; then
    check "no allocation lane without heap samples" not grep -q '<g id="allocation">' "$tmp/rss.svg"
else
    fail "plot rss_only.jsonl"
fi
printf 'MEM 3.0 1700000000.0\nGCPROF_HEAP 1700000000.0 4194304 2097152 0 0 100\n' >"$tmp/one.dat"
if plot one; then
    check "no allocation lane from one heap sample" not grep -q '<g id="allocation">' "$tmp/one.svg"
    check "no pause lane without collections" not grep -q '<g id="pauses">' "$tmp/one.svg"
fi

exit $((failures > 0))
