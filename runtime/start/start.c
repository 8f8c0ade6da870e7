/*
 * start.c - the library's start-up from the environment: site tracking
 * (GCPROF_SITES) and a monitor (GCPROF_MONITOR_OUT, GCPROF_TRACE).
 *
 * A constructor looks at the variables when the library is loaded. When
 * none is set, nothing more happens, ever: the allocator and the profiler
 * never ask. When one is, the start-up is registered with the bottom
 * layer, which runs it once right after it sets the collector up at the
 * program's first call that needs it (heap/collector.c says why not at
 * load). Failures reach no caller: they are logged, naming the variable.
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

static void start_from_env(void)
{
    gcp__env_startup(1);
    sites_from_env();
    gcp__monitor_from_env();
    gcp__env_startup(0);
}

/* Set, even to a bad value: the start-up reads it again, and reports. */
__attribute__((noinline)) static int asked(void)
{
    return gcp__env_is_set("GCPROF_SITES") || gcp__env_is_set("GCPROF_MONITOR_OUT") ||
           gcp__env_is_set("GCPROF_TRACE");
}

/* Not static: nothing calls it, so a static link (libgcprof.a) would leave
 * this file out; libgcprof.pc's Libs.private names it (-Wl,-u), and
 * tests/check_static_link.sh checks that the monitor starts there. */
__attribute__((constructor)) void gcp__start_at_load(void)
{
    int ask = asked();

    /* It runs before main, at the depth main's frame will take: the words
     * getenv's frames left there would lie in main's frame, beyond any
     * clearing of ours, and one reading 0x7fXX'00000000 keeps whatever
     * heap block that address falls in (check_first_profile: a dead
     * 1000 MiB block kept in 3-10 of 30 runs). Take them back. */
    gcp__clear_own_frames();
    if (ask)
        gcp__after_collector_setup(start_from_env);
}
