/*
 * leak_hunt - a leaky cache found, and the fix checked, by gcp_leak_check.
 *
 * A request handler memoises its results. The first version keys the cache
 * by request id, which is new every time: it grows forever. The fixed
 * version keeps the last 64 results in a ring. Each request also makes
 * plenty of garbage (a parsed map, strings, a cycle), which a tracing
 * collector reclaims and the check must not mistake for a leak.
 *
 *     leak_hunt [--quick] [--iterations N] [--threshold-kb X] [--verbose]
 *               [--only leaky|fixed] [--by-stack]
 *
 * With GCPROF_SITES=1 (site tracking) a leak names the lines it grows at;
 * with --by-stack (GCP_LEAK_BY_STACK) the call stacks it grows from, the
 * library's own allocations for the map included.
 *
 * Exit status 1 when a checked handler leaks (so it can gate CI), 2 on a
 * usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcprof.h"

#define RING 64

typedef struct server {
    gcp_map *by_id; /* leaky: id -> result, never evicted */
    gcp_vec *ring;  /* fixed: the last RING results */
    long next_id;
    int requests_per_run;
} server;

/* The request's garbage: a parsed map with a few strings and a cycle. */
static gcp_map *parse_request(long id)
{
    char text[64];
    gcp_map *req = gcp_map_new();
    gcp_vec *parts = gcp_vec_new(0);

    if (!req || !parts)
        return NULL;
    snprintf(text, sizeof text, "GET /items/%ld HTTP/1.1", id);
    gcp_map_set_ptr(req, "line", gcp_strdup(text));
    gcp_map_set_int(req, "id", id);
    for (int i = 0; i < 8; i++)
        gcp_vec_push(parts, gcp_strdup("header: value"));
    gcp_vec_push(parts, req); /* the cycle: parts -> req -> parts */
    gcp_map_set_ptr(req, "parts", parts);
    return req;
}

static void *compute(gcp_map *req)
{
    long *result = gcp_alloc_atomic(sizeof *result);

    if (result)
        *result = gcp_map_get_int(req, "id") * 2;
    return result;
}

static int leaky_handler(void *env)
{
    server *s = env;
    char key[32];

    for (int i = 0; i < s->requests_per_run; i++) {
        long id = s->next_id++;
        gcp_map *req = parse_request(id);
        if (!req)
            return 1;
        snprintf(key, sizeof key, "%ld", id);
        gcp_map_set_ptr(s->by_id, key, compute(req)); /* the leak */
    }
    return 0;
}

static int fixed_handler(void *env)
{
    server *s = env;

    for (int i = 0; i < s->requests_per_run; i++) {
        long id = s->next_id++;
        gcp_map *req = parse_request(id);
        if (!req)
            return 1;
        gcp_vec_set(s->ring, (size_t)(id % RING), compute(req));
    }
    return 0;
}

typedef struct args {
    gcp_leak_options opt;
    int verbose;
    const char *only;
} args;

static int usage(void)
{
    fprintf(stderr, "usage: leak_hunt [--quick] [--iterations N] [--threshold-kb X] [--verbose] "
                    "[--only leaky|fixed] [--by-stack]\n");
    return 2;
}

static int parse_args(int argc, char **argv, args *a)
{
    gcp_leak_options_init(&a->opt); /* all zero: the defaults; spelled out for the banner */
    a->opt.iterations = 30;
    a->opt.warmup = 3;
    a->opt.threshold_bytes = 16;
    a->verbose = 0;
    a->only = NULL;
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--quick") == 0) {
            a->opt.iterations = 8;
            a->opt.warmup = 1;
        } else if (strcmp(argv[i], "--by-stack") == 0) {
            a->opt.flags |= GCP_LEAK_BY_STACK;
        } else if (strcmp(argv[i], "--verbose") == 0) {
            a->verbose = 1;
        } else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 3 || n > 100000)
                return fprintf(stderr, "leak_hunt: --iterations: '%s' is not 3..100000\n", argv[i]),
                       -1;
            a->opt.iterations = (size_t)n;
        } else if (strcmp(argv[i], "--threshold-kb") == 0 && i + 1 < argc) {
            double kb = strtod(argv[++i], &end);
            if (*end || !(kb >= 0) || kb > 1e9)
                return fprintf(stderr, "leak_hunt: --threshold-kb: '%s' is not a size\n", argv[i]),
                       -1;
            a->opt.threshold_bytes = kb * 1024;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc &&
                   (strcmp(argv[i + 1], "leaky") == 0 || strcmp(argv[i + 1], "fixed") == 0)) {
            a->only = argv[++i];
        } else {
            return -1;
        }
    }
    return 0;
}

static int check(const char *name, gcp_fn fn, server *s, const args *a)
{
    gcp_leak_report r;
    uint64_t *series = calloc(a->opt.iterations, sizeof *series);

    memset(&r, 0, sizeof r);
    r.live_bytes = series;
    if (gcp_leak_check(name, fn, s, &a->opt, &r) < 0) {
        fprintf(stderr, "leak_hunt: %s\n", gcp_last_error());
        free(series);
        return -1;
    }
    printf("%-14s %s: %+.1f bytes/iteration (%.2f objects), R^2 %.3f, live %llu -> %llu bytes\n",
           name, r.has_leak ? "LEAK" : "ok  ", r.bytes_per_iteration, r.objects_per_iteration,
           r.r_squared, (unsigned long long)r.live_bytes_first,
           (unsigned long long)r.live_bytes_last);
    for (size_t i = 0; i < r.n_sites; i++) {
        printf("               grows %+.1f bytes/iteration at %s:%d (%s)\n",
               r.sites[i].bytes_per_iteration, r.sites[i].file, r.sites[i].line, r.sites[i].func);
        const char *stack = gcp_leak_report_stack(&r, i);
        for (const char *p = stack; p && *p;) { /* one frame a line */
            size_t n = strcspn(p, "\n");
            printf("                 at %.*s\n", (int)n, p);
            p += n + (p[n] == '\n');
        }
    }
    if (a->verbose && series) {
        printf("               live bytes after each iteration:");
        for (size_t i = 0; i < r.iterations; i++)
            printf(" %llu", (unsigned long long)series[i]);
        printf("\n");
    }
    free(series);
    gcp_leak_report_release(&r);
    return r.has_leak;
}

int main(int argc, char **argv)
{
    args a;
    server s = {0};

    if (parse_args(argc, argv, &a) < 0)
        return usage();
    gcp_init();
    s.by_id = gcp_map_new();
    s.ring = gcp_vec_new(RING);
    for (int i = 0; i < RING; i++)
        gcp_vec_push(s.ring, NULL);
    s.requests_per_run = 200;
    printf(
        "leak_hunt: %zu iterations (+%zu warm-up) of %d requests, threshold %.0f bytes/iteration\n",
        a.opt.iterations, a.opt.warmup, s.requests_per_run, a.opt.threshold_bytes);

    int leaks = 0;
    if (!a.only || strcmp(a.only, "leaky") == 0) {
        int rc = check("leaky_handler", leaky_handler, &s, &a);
        if (rc < 0)
            return 1;
        leaks += rc;
    }
    if (!a.only || strcmp(a.only, "fixed") == 0) {
        int rc = check("fixed_handler", fixed_handler, &s, &a);
        if (rc < 0)
            return 1;
        leaks += rc;
    }
    return leaks ? 1 : 0;
}
