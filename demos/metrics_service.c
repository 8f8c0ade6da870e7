/*
 * metrics_service - a small service instrumented with libgcprof's metrics
 * endpoint: what doc/fleet.md shows Prometheus scraping.
 *
 *     metrics_service [--addr ADDR] [--requests N] [--keep N] [--until FILE]
 *                     [--heap-profile]
 *
 * Serves /metrics at ADDR (default 127.0.0.1:0, any free port; or
 * GCPROF_METRICS_ADDR, which starts it at gcp_init instead) and prints
 * "port=P". Then handles N requests (default 200), each a profiled call
 * named after its route ("/search", "/item", "/cart") that builds a
 * response and drops it, and keeps every tenth response's id in a cache
 * of at most --keep entries (default 500). After the last request it
 * collects and prints what it holds, by its own count:
 *     gc_no=G live_objects=O live_bytes=B
 * (the collector's collection count, and the cache's objects and bytes),
 * then idles until FILE exists (--until; polled every 10 ms, at most
 * 10 minutes) or, without --until, exits. An idle service allocates
 * nothing, so the figures a scraper reads from then on are final.
 * --heap-profile: a heap profile of every allocation runs from the start,
 * served at /debug/pprof/heap (what it holds is the cache, all allocated
 * in handle()).
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gcprof.h"

typedef struct request {
    unsigned id;
    size_t bytes;
} request;

static void **cache; /* a managed vector would count too: keep it plain */
static size_t cached, cache_max = 500;

/* A response of a few objects; dropped, except every tenth id, kept. */
static int handle(void *arg)
{
    request *rq = arg;
    char *parts[8];

    for (int i = 0; i < 8; i++)
        parts[i] = gcp_alloc_atomic(rq->bytes);
    if (rq->id % 10 == 0 && cached < cache_max)
        cache[cached++] = parts[0];
    return 0;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: metrics_service [--addr ADDR] [--requests N] [--keep N] [--until FILE]\n"
            "                       [--heap-profile]\n");
    return 2;
}

static void idle_until(const char *path)
{
    struct timespec tick = {0, 10 * 1000 * 1000};

    for (int i = 0; path && i < 60000 && access(path, F_OK) != 0; i++)
        nanosleep(&tick, NULL);
}

static int serve(const char *addr)
{
    gcp_metrics_options o = {.addr = addr};
    int rc;

    if (gcp_metrics_port() < 0 && (rc = gcp_metrics_start(&o)) != 0) {
        fprintf(stderr, "metrics_service: %s\n", gcp_last_error());
        return rc;
    }
    printf("port=%d\n", gcp_metrics_port());
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    static const char *routes[] = {"/search", "/item", "/cart"};
    const char *addr = "127.0.0.1:0", *until = NULL;
    long requests = 200;
    gcp_config cfg = {.auto_gc = GCP_AUTO_GC_OFF, .heap_only = 1};
    int heap_profile = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--heap-profile") == 0) {
            heap_profile = 1;
            continue;
        }
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "--addr") == 0)
            addr = argv[++i];
        else if (strcmp(argv[i], "--requests") == 0)
            requests = atol(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0)
            cache_max = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--until") == 0)
            until = argv[++i];
        else
            return usage();
    }
    gcp_init();
    if (requests < 0 || !(cache = calloc(cache_max ? cache_max : 1, sizeof *cache)))
        return usage();
    GC_add_roots(cache, cache + (cache_max ? cache_max : 1));
    if (serve(addr) != 0)
        return 1;
    gcp_heap_profile_options every = {.rate = 1};
    if (heap_profile && gcp_heap_profile_start(&every) != 0) {
        fprintf(stderr, "metrics_service: %s\n", gcp_last_error());
        return 1;
    }
    for (long n = 0; n < requests; n++) {
        request rq = {(unsigned)n, 64 + (size_t)(n % 7) * 32};
        gcp_report r;
        gcp_profile(routes[n % 3], handle, &rq, &cfg, &r);
    }
    gcp_collect(); /* the census the endpoint serves from now on */
    size_t bytes = 0;
    for (size_t i = 0; i < cached; i++)
        bytes += GC_size(cache[i]);
    printf("gc_no=%lu live_objects=%zu live_bytes=%zu\n", (unsigned long)GC_get_gc_no(), cached,
           bytes);
    fflush(stdout);
    idle_until(until);
    return 0;
}
