#!/bin/sh
# A real Prometheus server scrapes what libgcprof serves (issue 16): the
# demo service built against the library (demos/metrics_service), and an
# unmodified bdwgc program under `gcprof run --metrics`. Prometheus scrapes
# both every second on loopback; the test then asks Prometheus' HTTP API
# for what it stored and compares it with what each program says of
# itself once idle: the collections counter with the collector's own count
# (GC_get_gc_no), the service's live-bytes gauge with the bytes its cache
# holds (its own GC_size sum), its closures' counts with the requests it
# handled. promtool checks both expositions.
#
# Waiting is bounded (60 s per figure) and only for Prometheus to have
# scraped a final figure: the programs are idle, so every scrape from then
# on returns it. Needs prometheus and promtool (Debian's prometheus), and
# python3 for the API's JSON; skips (77) without them.
# Exit 0 pass, 1 fail. Run alone: top_builddir=. sh tests/check_prometheus.sh
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
service="$top_builddir/demos/metrics_service"
need_built "$service" "$gcprof"
for tool in prometheus promtool python3; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed (Debian: prometheus, python3)"
done
have_cc_and_bdwgc || skip "needs cc and bdw-gc's pkg-config to build the unmodified program"
make_tmp
use_preload
trap 'kill $pids 2>/dev/null; rm -rf "$tmp"' EXIT
# Under ASan (scripts/check-sanitizers.sh) a stale word may keep a dropped
# response alive: the exact live figures are then checked as lower bounds.
exact=1
[ "${GCPROF_SKIP_RETENTION_TESTS:-}" = 1 ] && exact=0
pids=""

# ---- helpers ------------------------------------------------------------------

# free_port: a port nothing listens on now (the kernel's pick).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for FILE PATTERN: FILE has a line matching PATTERN (60 s at most).
wait_for() {
    i=0
    while ! grep -q "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -le 600 ] || return 1
        sleep 0.1
    done
}

# query EXPR: the value of an instant query's single sample, or nothing.
query() {
    python3 - "$prom" "$1" <<'EOF'
import json, sys, urllib.parse, urllib.request
url = "http://127.0.0.1:%s/api/v1/query?query=%s" % (sys.argv[1], urllib.parse.quote(sys.argv[2]))
try:
    r = json.load(urllib.request.urlopen(url, timeout=5))["data"]["result"]
except Exception:
    sys.exit(0)
if len(r) == 1:
    v = float(r[0]["value"][1])
    print(int(v) if v == int(v) else v)
EOF
}

# expect NAME EXPR WANT: Prometheus comes to hold WANT for EXPR (60 s at most).
expect() {
    i=0
    while [ "$(query "$2")" != "$3" ]; do
        i=$((i + 1))
        if [ $i -gt 120 ]; then
            fail "$1: Prometheus has $2 = '$(query "$2")', the program says $3"
            return
        fi
        sleep 0.5
    done
    pass "$1: $2 = $3"
}

# ---- the programs ----------------------------------------------------------

"$service" --requests 300 --heap-profile --until "$tmp/stop" >"$tmp/service.out" 2>"$tmp/service.err" &
pids="$pids $!"
wait_for "$tmp/service.out" '^gc_no=' || die "the service did not start: $(cat "$tmp/service.err")"
service_port=$(sed -n 's/^port=//p' "$tmp/service.out")

cat >"$tmp/prog.c" <<'EOF'
#include <gc/gc.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
static void *volatile keep[1000];
int main(int argc, char **argv)
{
    struct timespec tick = {0, 10 * 1000 * 1000};
    GC_INIT();
    for (int i = 0; i < 1000; i++)
        keep[i] = GC_MALLOC(100);
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 20000; i++)
            (void)GC_MALLOC(64);
        GC_gcollect();
    }
    printf("gc_no=%lu\n", (unsigned long)GC_get_gc_no());
    fflush(stdout);
    for (int i = 0; i < 60000 && access(argv[1], F_OK) != 0; i++)
        nanosleep(&tick, NULL);
    return argc > 2;
}
EOF
# shellcheck disable=SC2046 # pkg-config's words
cc -O1 -o "$tmp/prog" "$tmp/prog.c" $(pkg-config --cflags --libs bdw-gc) || die "cannot build prog"
"$gcprof" run -o "$tmp/prog.dat" --metrics 127.0.0.1:0 -- "$tmp/prog" "$tmp/stop" \
    >"$tmp/prog.out" 2>"$tmp/gcprof.err" &
pids="$pids $!"
wait_for "$tmp/gcprof.err" 'metrics on http://' || die "gcprof run --metrics: $(cat "$tmp/gcprof.err")"
run_port=$(sed -n 's|.*metrics on http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$tmp/gcprof.err")
wait_for "$tmp/prog.out" '^gc_no=' || die "the program did not run: $(cat "$tmp/gcprof.err")"

# ---- promtool on what both serve -------------------------------------------

python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$service_port/metrics').read().decode())" >"$tmp/service.prom"
python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$run_port/metrics').read().decode())" >"$tmp/run.prom"
check "promtool check metrics: the service's exposition" sh -c "promtool check metrics <'$tmp/service.prom'"
check "promtool check metrics: gcprof run's exposition" sh -c "promtool check metrics <'$tmp/run.prom'"

# ---- the heap profile, fetched by go tool pprof as Parca would ------------

# Every allocation sampled: what the service holds is its cache, all of it
# allocated in handle(), in use as of its last collection.
if command -v go >/dev/null 2>&1; then
    GOCACHE="$tmp/gocache" GOPATH="$tmp/gopath" HOME="$tmp" GOFLAGS="" GOPROXY=off GOTOOLCHAIN=local
    export GOCACHE GOPATH HOME GOFLAGS GOPROXY GOTOOLCHAIN
    go tool pprof -top -sample_index=inuse_space -unit=B \
        "http://127.0.0.1:$service_port/debug/pprof/heap" >"$tmp/top" 2>"$tmp/top.err"
    in_use=$(awk '$6 == "handle" {v = $1; sub(/B$/, "", v); print v}' "$tmp/top")
    want=$(sed -n 's/.* live_bytes=\([0-9]*\)$/\1/p' "$tmp/service.out")
    if [ $exact = 1 ]; then
        check "go tool pprof reads /debug/pprof/heap: handle() holds $in_use B, the cache $want B" \
            [ "$in_use" = "$want" ]
    else
        check "go tool pprof reads /debug/pprof/heap: handle() holds $in_use B >= the cache $want B" \
            [ "${in_use:-0}" -ge "$want" ]
    fi
else
    echo "SKIP: go not installed: /debug/pprof/heap not fetched"
fi

# ---- Prometheus --------------------------------------------------------------

prom=$(free_port)
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: service
    static_configs: [{targets: ['127.0.0.1:$service_port']}]
  - job_name: unmodified
    static_configs: [{targets: ['127.0.0.1:$run_port']}]
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
    --web.listen-address="127.0.0.1:$prom" >"$tmp/prometheus.log" 2>&1 &
pids="$pids $!"
i=0
until python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$prom/-/ready', timeout=2)" 2>/dev/null; do
    i=$((i + 1))
    [ $i -le 120 ] || die "Prometheus did not get ready: $(tail -5 "$tmp/prometheus.log")"
    sleep 0.5
done

svc_gc=$(sed -n 's/^gc_no=\([0-9]*\) .*/\1/p' "$tmp/service.out")
svc_objects=$(sed -n 's/.* live_objects=\([0-9]*\) .*/\1/p' "$tmp/service.out")
svc_bytes=$(sed -n 's/.* live_bytes=\([0-9]*\)$/\1/p' "$tmp/service.out")
prog_gc=$(sed -n 's/^gc_no=//p' "$tmp/prog.out")
expect "service: collections" 'bdwgc_collections_total{job="service"}' "$svc_gc"
if [ $exact = 1 ]; then
    expect "service: live runtime objects" 'gcprof_runtime_live_objects{job="service"}' "$svc_objects"
    expect "service: live runtime bytes" 'gcprof_runtime_live_bytes{job="service"}' "$svc_bytes"
else
    expect "service: live runtime bytes, at least the cache's" \
        "gcprof_runtime_live_bytes{job=\"service\"} >= bool $svc_bytes" 1
fi
expect "service: /search requests" \
    'gcprof_profile_duration_seconds_count{job="service",function="/search"}' 100
expect "service: target up" 'up{job="service"}' 1
expect "unmodified: collections" 'bdwgc_collections_total{job="unmodified"}' "$prog_gc"
expect "unmodified: target up" 'up{job="unmodified"}' 1

touch "$tmp/stop" # the programs end; the EXIT trap stops Prometheus
finish "all passed"
