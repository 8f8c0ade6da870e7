/*
 * first_profile.c - the first profile of a fresh process, checked against
 * the program's own measurements. Run by check_first_profile.sh many
 * times, in fresh processes, under lazy and eager binding: what a stale
 * word keeps alive depends on the CPU (the lazy-binding trampoline's
 * register save area), on ASLR and on frame layout, so one run proves
 * little.
 *
 *     first_profile cycles   records that refer to each other (the
 *                            design's circular_refs, built with gcp
 *                            containers), all garbage at the end
 *     first_profile big      one 1000 MiB block, garbage at the end
 *
 * Exit 0 when every figure agrees, 1 with a message when one does not.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <stdio.h>
#include <string.h>

#include "gcprof.h"
#include "testutil.h"

#define MIB     (1024.0 * 1024.0)
#define RECORDS 100
#define BIG_MIB 1000

static int failures;

#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "first_profile: " __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

typedef struct job {
    tu_hidden seen;      /* the top-level objects, for the collector's verdict */
    uint64_t rss_at_end; /* own VmRSS read as the closure ends */
} job;

static int cycles(void *env)
{
    job *j = env;
    gcp_vec *shared = gcp_vec_new(0);

    if (!shared)
        return 1;
    tu_hidden_add(&j->seen, shared);
    for (int i = 0; i < RECORDS; i++) {
        gcp_map *record = gcp_map_new();
        if (!record || gcp_map_set_int(record, "id", i) < 0 ||
            gcp_map_set_ptr(record, "refs", shared) < 0 || gcp_vec_push(shared, record) < 0)
            return 1;
        tu_hidden_add(&j->seen, record);
    }
    j->rss_at_end = tu_rss_bytes();
    return 0;
}

static int big(void *env)
{
    job *j = env;
    size_t n = (size_t)BIG_MIB << 20;
    char *block = gcp_alloc_atomic(n);

    if (!block)
        return 1;
    memset(block, 1, n); /* touched: in RSS */
    tu_hidden_add(&j->seen, block);
    j->rss_at_end = tu_rss_bytes();
    return 0;
}

static int run(const char *scenario)
{
    gcp_config c;
    gcp_report r;
    job j = {{0}, 0};
    int is_big = strcmp(scenario, "big") == 0;

    gcp_config_init(&c);
    c.auto_gc = GCP_AUTO_GC_ALWAYS;
    if (gcp_profile(scenario, is_big ? big : cycles, &j, &c, &r) < 0) {
        fprintf(stderr, "first_profile: %s\n", gcp_last_error());
        return 1;
    }
    uint64_t rss_after = tu_rss_bytes();
    size_t top_level = j.seen.n, dead = tu_hidden_collected(&j.seen);

    EXPECT(r.status == 0, "%s: the closure failed", scenario);
    /* Everything the closure made is garbage: every object it built died,
     * by the collector's own verdict, and the count is all of them. */
    EXPECT(dead == top_level, "%s: %zu of %zu top-level objects died", scenario, dead, top_level);
    EXPECT(r.gc_objects_collected == (int64_t)r.objects_allocated,
           "%s: gc_objects_collected=%lld, objects_allocated=%llu", scenario,
           (long long)r.gc_objects_collected, (unsigned long long)r.objects_allocated);
    if (is_big) {
        double own_saved = ((double)j.rss_at_end - (double)rss_after) / MIB;
        EXPECT(own_saved > BIG_MIB - 8, "big: own reads saw %.1f MiB given back", own_saved);
        EXPECT(r.memory_saved > own_saved - 2 && r.memory_saved < own_saved + 2,
               "big: memory_saved=%.1f MiB, own reads %.1f", r.memory_saved, own_saved);
    }
    if (failures)
        gcp_report_print(stderr, &r);
    tu_hidden_free(&j.seen);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "cycles") != 0 && strcmp(argv[1], "big") != 0)) {
        fprintf(stderr, "usage: first_profile cycles|big\n");
        return 2;
    }
    /* The test's own frames are not the library's to clear: run()'s is
     * made on cleared stack, so what the program's start-up left there (an
     * ASan build's start-up leaves its mappings' addresses) cannot keep the
     * closure's garbage alive. What the library must clear, it does. */
    tu_clear_dead_stack();
    return run(argv[1]);
}
