/*
 * start.c - the library's start-up from the environment: site tracking
 * (GCPROF_SITES), a monitor (GCPROF_MONITOR_OUT, GCPROF_TRACE) and the
 * metrics endpoint (GCPROF_METRICS_ADDR, GCPROF_METRICS_FILE).
 *
 * A constructor registers it with the bottom layer, which runs it once,
 * right after it sets the collector up at the program's first call that
 * needs it (heap/collector.c says why not at load); the variables are
 * read then, so a program may still set them in main. Off the allocator's
 * path: the bottom layer calls it through a pointer, once. Failures reach
 * no caller: they are logged, naming the variable.
 */
#include "start.h"

#include "env.h"

static void sites_from_env(void)
{
    int on;

    if (gcp__env_bool("GCPROF_SITES", &on) < 0) /* no caller to tell: warn */
        gcp__log(GCP_LOG_WARN, "%s; site tracking stays off", gcp_last_error());
    else if (on)
        atomic_store(&gcp__tracking, 1);
}

static void metrics_from_env(void)
{
    if (gcp__metrics_start_env() < 0) /* no caller to tell: warn */
        gcp__log(GCP_LOG_WARN, "%s; no metrics endpoint", gcp_last_error());
}

static void start_from_env(void)
{
    gcp__collect_fork_safe(); /* before any profile, whatever the environment */
    gcp__env_startup(1);
    sites_from_env();
    gcp__monitor_from_env();
    metrics_from_env();
    gcp__env_startup(0);
}

/* Only a store: nothing is read or called before main (a getenv's frames
 * left words where main's frame goes, beyond any clearing of ours, and
 * kept a dead 1000 MiB block in 3-10 of 30 first profiles; clearing them
 * needed the thread's stack bounds, which glibc learns by opening
 * /proc/self/maps: a descriptor and a malloc in every program at load).
 * Not static: nothing calls it, so a static link (libgcprof.a) would leave
 * this file out; libgcprof.pc's Libs.private names it (-Wl,-u), and
 * tests/check_static_link.sh checks that the monitor starts there. */
__attribute__((constructor)) void gcp__start_at_load(void)
{
    gcp__after_collector_setup(start_from_env);
}
