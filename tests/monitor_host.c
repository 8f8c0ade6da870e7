/*
 * monitor_host.c - a program linked with libgcprof for the shell tests of
 * the monitor started by the environment (check_monitor_secure.sh,
 * check_monitor_noproc.sh): it initialises the library, profiles one call
 * with the environment's config, collects over ten intervals, and prints
 * what the library made of the environment:
 *   secure=<AT_SECURE> sites=<tracking> monitor=<running> profile=<rc>
 *   heap_only=<rc of a heap-only profile> metrics=<its port, or an error>
 * and, on stderr, why the first profile failed if it did.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <stdio.h>
#include <sys/auxv.h>
#include <time.h>

#include "gcprof.h"

static void *volatile sink;

static int work(void *env)
{
    (void)env;
    for (int i = 0; i < 10000; i++)
        sink = GC_MALLOC(64);
    sink = NULL;
    return 0;
}

int main(void)
{
    struct timespec tick = {0, 10 * 1000 * 1000};
    gcp_report report;
    gcp_config heap_only;

    gcp_init();
    int rc = gcp_profile("host", work, NULL, NULL, &report);
    if (rc < 0) /* the library logs no failure it returns: saying it is ours */
        fprintf(stderr, "monitor_host: profile: %s\n", gcp_last_error());
    gcp_config_init(&heap_only);
    heap_only.heap_only = 1;
    int rc_heap = gcp_profile("host_heap", work, NULL, &heap_only, &report);
    for (int i = 0; i < 10; i++) {
        work(NULL);
        GC_gcollect();
        nanosleep(&tick, NULL);
    }
    printf("secure=%lu sites=%d monitor=%d profile=%d heap_only=%d metrics=%d\n",
           getauxval(AT_SECURE), gcp_sites_track(-1), gcp_monitor_running(), rc, rc_heap,
           gcp_metrics_port());
    return 0;
}
