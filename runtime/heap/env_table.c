/*
 * env_table.c - every GCPROF_* variable, once: its kind, its default and
 * what it means (mimalloc's options table). The library reads its own
 * through env.c's typed readers, which find them here; the gcprof command
 * and its preload library read theirs themselves, and are listed so that
 * nothing goes undocumented. doc/environment.md is this table for people;
 * tests/check_env.c and tests/check_env_names.sh keep the two, and every
 * name in runtime/ and tools/, in step.
 */

#include "env.h"

#define NONE    NULL
#define MAX_MIB 1099511627776.0 /* 2^40, as config.c */

const gcp__env_var gcp__env_vars[] = {
    /* ---- the profiler's config (config.c): GCPROF, then GCPROF_<KEY> */
    {"GCPROF", GCP__ENV_SPEC, NONE, 0, 0, NULL, 0, GCP__ENV_LIB,
     "config spec \"key=value,...\" for gcp_config_init_env and a NULL config"},
    {"GCPROF_AUTO_GC", GCP__ENV_ENUM, "always", 0, 0, "off|always|adaptive", GCP__ENV_OR_BOOL,
     GCP__ENV_LIB, "the profiler's collections (config key auto_gc)"},
    {"GCPROF_DETAILED_STATS", GCP__ENV_BOOL, "0", 0, 0, NULL, 0, GCP__ENV_LIB,
     "collector statistics before and after (config key detailed_stats)"},
    {"GCPROF_TRACK_PEAK", GCP__ENV_BOOL, "0", 0, 0, NULL, 0, GCP__ENV_LIB,
     "the true RSS high-water mark (config key track_peak)"},
    {"GCPROF_THRESHOLD_MB", GCP__ENV_NUMBER, "0", 0, MAX_MIB, NULL, 0, GCP__ENV_LIB,
     "warn when RSS passes this many MiB; 0: never (config key threshold_mb)"},
    {"GCPROF_HOLD_LIMIT_MB", GCP__ENV_NUMBER, "1024", 0, MAX_MIB, NULL, 0, GCP__ENV_LIB,
     "MiB of heap growth that ends holding collection off; 0: 1024 (config key hold_limit_mb)"},
    {"GCPROF_HEAP_ONLY", GCP__ENV_BOOL, "0", 0, 0, NULL, 0, GCP__ENV_LIB,
     "heap figures only, no RSS reads (config key heap_only)"},
    {"GCPROF_GC_BUDGET", GCP__ENV_NUMBER, "0.10", 0, 1, NULL, 0, GCP__ENV_LIB,
     "share of wall time auto_gc adaptive and gc points may collect; 0: 0.10 (config key "
     "gc_budget)"},
    {"GCPROF_MEMORY_LIMIT_MB", GCP__ENV_NUMBER, "0", 0, MAX_MIB, NULL, 0, GCP__ENV_LIB,
     "RSS auto_gc adaptive and gc points keep under, over gc_budget if need be; 0: none (config "
     "key memory_limit_mb)"},
    /* ---- the cgroup's memory limit (cgroup_cache.c), at the first gc point
     * or adaptive profile */
    {"GCPROF_CGROUP", GCP__ENV_BOOL, "1", 0, 0, NULL, 0, GCP__ENV_LIB,
     "auto_gc adaptive and gc points keep RSS under the cgroup's memory limit"},
    /* ---- allocation sites (sites.c), at gcp_init */
    {"GCPROF_SITES", GCP__ENV_BOOL, "0", 0, 0, NULL, 0, GCP__ENV_LIB,
     "record allocation sites from gcp_init on (gcp_sites_track)"},
    /* ---- the monitor (monitor_env.c), started at gcp_init */
    {"GCPROF_MONITOR_OUT", GCP__ENV_PATH, NONE, 0, 0, NULL, 0, GCP__ENV_LIB,
     "write a timeline to this file (FILE.PID.ext in a process it was not meant for)"},
    {"GCPROF_MONITOR_INTERVAL", GCP__ENV_NUMBER, "0.01", 0.001, 3600, NULL, 0, GCP__ENV_LIB,
     "seconds between the timeline's samples"},
    {"GCPROF_MONITOR_FORMAT", GCP__ENV_ENUM, "dat", 0, 0, "dat|jsonl", 0, GCP__ENV_LIB,
     "the timeline's format"},
    {"GCPROF_MONITOR_PID", GCP__ENV_NUMBER, NONE, 1, 2147483647, NULL, GCP__ENV_WHOLE, GCP__ENV_LIB,
     "set by the first process to start a monitor: the one the file is meant for"},
    {"GCPROF_TRACE", GCP__ENV_BOOL, "0", 0, 0, NULL, 0, GCP__ENV_LIB,
     "a Go-style line per collection (doc/timeline-formats.md)"},
    {"GCPROF_TRACE_FILE", GCP__ENV_PATH, NONE, 0, 0, NULL, 0, GCP__ENV_LIB | GCP__ENV_RUN,
     "where trace lines go (GCPROF_TRACE, gcprof run --trace); default stderr"},
    /* ---- the metrics endpoint (serve/metrics.c), started at gcp_init */
    {"GCPROF_METRICS_ADDR", GCP__ENV_TEXT, NONE, 0, 0, NULL, 0, GCP__ENV_LIB,
     "serve /metrics here: PORT, :PORT, HOST:PORT or [IPV6]:PORT (no host: 127.0.0.1)"},
    {"GCPROF_METRICS_FILE", GCP__ENV_PATH, NONE, 0, 0, NULL, 0, GCP__ENV_LIB,
     "write the metrics to this .prom file (node_exporter's textfile collector)"},
    {"GCPROF_METRICS_INTERVAL", GCP__ENV_NUMBER, "15", 0.01, 86400, NULL, 0, GCP__ENV_LIB,
     "seconds between writes of GCPROF_METRICS_FILE"},
    {"GCPROF_METRICS_LIVE", GCP__ENV_BOOL, "1", 0, 0, NULL, 0, GCP__ENV_LIB,
     "count live bytes at every collection for the metrics (false: GCP_METRICS_NO_LIVE)"},
    {"GCPROF_HTTP_MODULE", GCP__ENV_PATH, "PKGLIBDIR/libgcprof-http.so", 0, 0, NULL, 0,
     GCP__ENV_LIB, "the module that serves the metrics endpoint with libmicrohttpd"},
    /* ---- heap profiles written by the program (features/pprof_module.c) */
    {"GCPROF_PPROF_MODULE", GCP__ENV_PATH, "PKGLIBDIR/libgcprof-pprof.so", 0, 0, NULL, 0,
     GCP__ENV_LIB, "the module that turns heap profiles into pprof's format inside the program"},
    /* ---- the gcprof command */
    {"GCPROF_PRELOAD", GCP__ENV_PATH, "PKGLIBDIR/libgcprof-preload.so", 0, 0, NULL, 0, GCP__ENV_RUN,
     "the preload library gcprof run loads into the program"},
    /* ---- gcprof run -> its preload library (tools/run_child.c sets them) */
    {"GCPROF_PRELOAD_FD", GCP__ENV_NUMBER, NONE, 0, 1 << 20, NULL, GCP__ENV_WHOLE,
     GCP__ENV_INTERNAL, "the pipe's descriptor"},
    {"GCPROF_PRELOAD_FD_ID", GCP__ENV_TEXT, NONE, 0, 0, NULL, 0, GCP__ENV_INTERNAL,
     "the pipe's identity, \"device:inode\": nothing else is written to"},
    {"GCPROF_PRELOAD_PID", GCP__ENV_NUMBER, NONE, 1, 2147483647, NULL, GCP__ENV_WHOLE,
     GCP__ENV_INTERNAL, "the process gcprof started: it and the images it execs record"},
    {"GCPROF_PRELOAD_FOLLOW", GCP__ENV_BOOL, "0", 0, 0, NULL, 0, GCP__ENV_INTERNAL,
     "every descendant records too (gcprof run -f)"},
    {"GCPROF_PRELOAD_INTERVAL", GCP__ENV_NUMBER, "0.01", 0, 3600, NULL, GCP__ENV_ABOVE_MIN,
     GCP__ENV_INTERNAL, "seconds between heap samples (gcprof run -i)"},
    {"GCPROF_PRELOAD_FORMAT", GCP__ENV_ENUM, "dat", 0, 0, "dat|jsonl", 0, GCP__ENV_INTERNAL,
     "the records' format (gcprof run --format)"},
    {"GCPROF_PRELOAD_LIVE", GCP__ENV_BOOL, "1", 0, 0, NULL, 0, GCP__ENV_INTERNAL,
     "count the live heap after each collection (0: gcprof run --no-live)"},
    {"GCPROF_PRELOAD_TRACE", GCP__ENV_BOOL, "0", 0, 0, NULL, 0, GCP__ENV_INTERNAL,
     "trace lines (gcprof run --trace)"},
    {"GCPROF_PRELOAD_TRACE_FILE", GCP__ENV_PATH, NONE, 0, 0, NULL, 0, GCP__ENV_INTERNAL,
     "the file trace lines are appended to (gcprof run's GCPROF_TRACE_FILE); default stderr"},
    {"GCPROF_PRELOAD_HEAP_RATE", GCP__ENV_NUMBER, NONE, 1, 1099511627776.0, NULL, GCP__ENV_WHOLE,
     GCP__ENV_INTERNAL, "mean bytes between heap samples (gcprof run --heap-profile=BYTES)"},
    {"GCPROF_PRELOAD_HEAP_DIR", GCP__ENV_PATH, NONE, 0, 0, NULL, 0, GCP__ENV_INTERNAL,
     "the private directory heap dumps go to (gcprof run --heap-profile)"},
    {"GCPROF_PRELOAD_HEAP_EVERY", GCP__ENV_NUMBER, "0", 0, 86400, NULL, 0, GCP__ENV_INTERNAL,
     "seconds between heap dumps while running; 0: at the end (gcprof run --heap-every)"},
    {"GCPROF_PRELOAD_BREAKDOWN", GCP__ENV_BOOL, "0", 0, 0, NULL, 0, GCP__ENV_INTERNAL,
     "an RSS breakdown into the recording at exit and on request (gcprof run --breakdown)"},
};

const size_t gcp__env_nvars = sizeof gcp__env_vars / sizeof gcp__env_vars[0];
