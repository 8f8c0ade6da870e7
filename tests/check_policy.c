/*
 * check_policy.c - when a collection pays (collect/policy_model.c, features/gc_point.c): the pure decision
 * and hold bound fed crafted signals, gcp_gc_point on the real collector,
 * auto_gc adaptive profiles, heap_only, and how reports print the
 * decision. Figures are checked against the test's own measurements:
 * GC_get_gc_no(), GC_get_heap_size(), GC_get_bytes_since_gc(), the
 * collector's enabled state, flag and hook, its own /proc/self/statm
 * reads, and counts it knows because it allocated them.
 */
#define _GNU_SOURCE /* open_memstream */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gcprof.h"
#include "policy.h"
#include "testutil.h"

#define KIB   ((uint64_t)1024)
#define MIB   ((uint64_t)1 << 20)
#define MIB_D 1048576.0
#define CHUNK (64 * 1024)

static gcp_config config(int auto_gc)
{
    gcp_config c;

    gcp_config_init(&c);
    c.auto_gc = auto_gc;
    return c;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

#define ASSERT_HAS(text, part)                                                                     \
    ck_assert_msg(strstr((text), (part)) != NULL, "'%s' lacks '%s'", (text), (part))
#define ASSERT_LACKS(text, part)                                                                   \
    ck_assert_msg(strstr((text), (part)) == NULL, "'%s' has '%s'", (text), (part))

/* RSS in bytes from /proc/self/statm, read here (the library keeps its own
 * descriptor and parser). */
static uint64_t own_statm_rss(void)
{
    char buf[128];
    unsigned long long size = 0, resident = 0;
    int fd = open("/proc/self/statm", O_RDONLY);

    ck_assert_int_ge(fd, 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    ck_assert_int_eq(sscanf(buf, "%llu %llu", &size, &resident), 2);
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static double own_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t heap_in_use(void)
{
    return (uint64_t)GC_get_heap_size() - (uint64_t)GC_get_free_bytes();
}

/* ---- garbage and live sets, made where no frame outlives them -------- */

/* n 64 KiB atomic chunks, each dropped at once; returns the collector's
 * bytes for them. */
static NOINLINE uint64_t drop_chunks(size_t n)
{
    uint64_t bytes = 0;

    for (size_t i = 0; i < n; i++) {
        char *p = gcp_alloc_atomic(CHUNK);
        REQUIRE(p != NULL);
        p[0] = p[CHUNK - 1] = (char)i;
        bytes += GC_size(p);
        tu_sink = p;
    }
    tu_sink = NULL;
    return bytes;
}

/* Garbage that no collection sees being made: every byte of it is still
 * "allocated since the last collection" afterwards. */
static NOINLINE uint64_t drop_garbage_unseen(size_t mib)
{
    uint64_t gc_no = GC_get_gc_no();

    GC_disable();
    uint64_t bytes = drop_chunks(mib * MIB / CHUNK);
    GC_enable();
    ck_assert_uint_eq(GC_get_gc_no(), gc_no);
    tu_clear_dead_stack();
    return bytes;
}

/* A live set the test keeps: an array of 64 KiB chunks. */
static void **kept;

static NOINLINE uint64_t make_live(size_t mib)
{
    size_t n = mib * MIB / CHUNK;
    void **arr = gcp_alloc(n * sizeof *arr);
    uint64_t bytes;

    ck_assert_ptr_nonnull(arr);
    bytes = GC_size(arr);
    for (size_t i = 0; i < n; i++) {
        arr[i] = gcp_alloc_atomic(CHUNK);
        REQUIRE(arr[i] != NULL);
        bytes += GC_size(arr[i]);
    }
    kept = arr;
    return bytes;
}

static void teardown(void)
{
    kept = NULL;
    tu_sink = NULL;
    tu_log_restore();
}

/* ---- gcp__gc_decide: one rule at a time ----------------------------- */

/* Signals that trigger no rule: little allocated against a large live
 * heap, a costly collection, none long ago. Each test changes a field. */
static gcp__gc_signals quiet_signals(void)
{
    gcp__gc_signals s;

    memset(&s, 0, sizeof s);
    s.allocated = 1 * MIB;
    s.live = 100 * MIB;
    s.predicted_s = 1.0;
    s.since_s = 0.0;
    return s;
}

static int decide(const gcp__gc_signals *s, char *reason, size_t n)
{
    return gcp__gc_decide(s, reason, n);
}

START_TEST(test_decide_disabled)
{
    gcp__gc_signals s = quiet_signals();
    char why[96];

    s.disabled = 1;
    s.allocated = 500 * MIB;         /* growth would fire */
    s.rss = s.threshold = 100 * MIB; /* and the threshold too */
    ck_assert_int_eq(decide(&s, why, sizeof why), 0);
    ASSERT_HAS(why, "disabled");
    s.disabled = 0;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ASSERT_LACKS(why, "disabled");
}
END_TEST

START_TEST(test_decide_little_garbage)
{
    gcp__gc_signals s = quiet_signals();
    char why[96];

    /* Even at the threshold and with no live heap, under 256 KiB waits. */
    s.live = 0;
    s.rss = s.threshold = 100 * MIB;
    s.allocated = 256 * KIB - 1;
    ck_assert_int_eq(decide(&s, why, sizeof why), 0);
    /* 262143 bytes: 255 KiB, rounded down so as not to read "256 under 256" */
    ck_assert_str_eq(why, "no collection: only 255 KiB allocated since the last collection, "
                          "under 256 KiB");
    s.allocated = 256 * KIB;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_msg(!starts_with(why, "no collection: only"), "reason '%s'", why);

    s = quiet_signals();
    s.allocated = 0;
    ck_assert_int_eq(decide(&s, why, sizeof why), 0);
    ck_assert_str_eq(why, "no collection: only 0 KiB allocated since the last collection, "
                          "under 256 KiB");
    s.allocated = 256 * KIB; /* past the floor, but no other rule holds */
    ck_assert_int_eq(decide(&s, why, sizeof why), 0);
    ck_assert_str_eq(why, "no collection: allocated 0.00x the live heap since the last "
                          "collection, under 0.25x");
}
END_TEST

START_TEST(test_decide_threshold)
{
    gcp__gc_signals s = quiet_signals();
    char why[96];

    /* 90% of 100 MiB is 90 MiB exactly (0.9 * 104857600 rounds to it). */
    s.threshold = 100 * MIB;
    s.rss = 90 * MIB;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(why, "collected: RSS 90.0 MiB is at or above 90% of threshold_mb=100.0");
    s.rss = 90 * MIB - 1;
    ck_assert_int_eq(decide(&s, why, sizeof why), 0);
    ck_assert_msg(starts_with(why, "no collection: allocated 0.01x"), "reason '%s'", why);
    s.rss = 300 * MIB; /* far above: still this rule */
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ASSERT_HAS(why, "threshold_mb");
    /* No threshold: RSS alone decides nothing. */
    s.threshold = 0;
    ck_assert_int_eq(decide(&s, why, sizeof why), 0);
    ASSERT_LACKS(why, "threshold_mb");
    /* RSS not read (0) with a threshold: not near it. */
    s.threshold = 100 * MIB;
    s.rss = 0;
    ck_assert_int_eq(decide(&s, why, sizeof why), 0);
}
END_TEST

START_TEST(test_decide_growth)
{
    gcp__gc_signals s = quiet_signals();
    char why[96];

    s.live = 8 * MIB;
    s.allocated = 48 * MIB;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__COLLECT);
    ck_assert_str_eq(why, "collected: allocated 6.0x the live heap since the last collection "
                          "(4x or more)");
    s.allocated = 32 * MIB;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__COLLECT);
    ASSERT_HAS(why, "allocated 4.0x the live heap");
    s.allocated = 32 * MIB - 1; /* just under 4x: the cost rule decides, and it costs too much */
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__SKIP);
    ck_assert_str_eq(why, "no collection: ~1000.00 ms to collect is over 2% of the 0.0 s since "
                          "the last collection");

    /* A small live heap counts as 4 MiB. */
    s.live = 1 * MIB;
    s.allocated = 16 * MIB;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__COLLECT);
    ASSERT_HAS(why, "allocated 4.0x the live heap");
    s.allocated = 16 * MIB - 1; /* 16x the real live heap, under the floor's 4x */
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__SKIP);
    s.live = 0;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__SKIP);
    s.allocated = 16 * MIB;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__COLLECT);
}
END_TEST

/* At a gc point: collect when the expected allocation (with a 1.5x
 * margin) does not fit the free space and the garbage could make up at
 * least half of what is missing; otherwise say there is room. */
START_TEST(test_decide_room)
{
    gcp__gc_signals s = quiet_signals();
    char why[96];

    s.expected = 10 * MIB; /* wants 15 MiB free */
    s.free = 15 * MIB - 1;
    s.allocated = 1 * MIB; /* garbage >= half of the 1-byte shortfall */
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__COLLECT);
    /* A byte short: free rounds down, the need up, so it reads short. */
    ck_assert_str_eq(why, "collected: 14.9 MiB free is short of the 15.0 MiB needed until the "
                          "next gc point");
    s.free = 15 * MIB;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__SKIP);
    ck_assert_str_eq(why, "no collection: 15.0 MiB free covers the 15.0 MiB needed until the "
                          "next gc point");
    /* 5 MiB missing: 2.5 MiB of garbage is enough, a byte less is not. */
    s.free = 10 * MIB;
    s.allocated = 5 * MIB / 2;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__COLLECT);
    ck_assert_str_eq(why, "collected: 10.0 MiB free is short of the 15.0 MiB needed until the "
                          "next gc point");
    s.allocated = 5 * MIB / 2 - 1;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__SKIP);
    ck_assert_str_eq(why, "no collection: heap 5.0 MiB short, and the 2.4 MiB allocated could "
                          "not cover half");
    /* A live heap under 4 MiB may grow instead. */
    s.free = 10 * MIB;
    s.allocated = 5 * MIB;
    s.live = 4 * MIB - 1;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__SKIP);
    ck_assert_str_eq(why, "no collection: short of room, but the 3.9 MiB live heap is under "
                          "4 MiB: let it grow");
    s.live = 4 * MIB;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__COLLECT);
    ck_assert_msg(starts_with(why, "collected: 10.0 MiB free is short"), "reason '%s'", why);
    s.live = 100 * MIB;
    /* Without an expectation (inside profiles) the rule never fires. */
    s.expected = 0;
    s.free = 0;
    s.allocated = 50 * MIB;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__SKIP);
    ck_assert_msg(starts_with(why, "no collection: ~1000.00 ms to collect"), "reason '%s'", why);
}
END_TEST

START_TEST(test_decide_cheap)
{
    gcp__gc_signals s = quiet_signals();
    char why[96];

    s.live = 40 * MIB;
    s.allocated = 10 * MIB; /* 0.25x */
    s.predicted_s = 0.02;   /* 2% of a second */
    s.since_s = 1.0;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(why, "collected: ~20.00 ms to collect is at most 2% of the 1.0 s since the "
                          "last collection");

    s.allocated = 10 * MIB - 1; /* ratio just under 0.25: rounded down, it reads under */
    ck_assert_int_eq(decide(&s, why, sizeof why), 0);
    ck_assert_str_eq(why, "no collection: allocated 0.24x the live heap since the last "
                          "collection, under 0.25x");

    s.allocated = 10 * MIB;
    s.predicted_s = nextafter(0.02, 1.0); /* costs just over 2% */
    ck_assert_int_eq(decide(&s, why, sizeof why), 0);
    ck_assert_str_eq(why, "no collection: ~20.00 ms to collect is over 2% of the 1.0 s since the "
                          "last collection");

    s.predicted_s = 0.02;
    s.since_s = nextafter(1.0, 0.0); /* a moment too soon */
    ck_assert_int_eq(decide(&s, why, sizeof why), 0);
    s.since_s = 1000.0;
    ck_assert_int_eq(decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
}
END_TEST

START_TEST(test_decide_not_worth_it)
{
    gcp__gc_signals s = quiet_signals();
    char why[96];

    ck_assert_int_eq(decide(&s, why, sizeof why), 0);
    /* 1 MiB of 100 MiB */
    ck_assert_str_eq(why, "no collection: allocated 0.01x the live heap since the last "
                          "collection, under 0.25x");
}
END_TEST

/* Every rule's phrase, exactly: it says which way the decision went and
 * what was compared with what. Each case twice: with ordinary figures,
 * and with the largest the phrase must hold (99999.9 MiB, 99999.99 ms,
 * a ratio of 262144x), which must still fit gc_reason's 96 bytes whole. */
typedef struct phrase_case {
    gcp__gc_signals s;
    int verdict;
    const char *want;
} phrase_case;

static void phrase_cases(phrase_case *c, int big)
{
    const uint64_t huge = (uint64_t)(99999.9 * (double)MIB); /* prints as 99999.9 */
    gcp__gc_signals q = quiet_signals();
    int i = 0;

    /* collection disabled */
    c[i].s = q;
    c[i].s.disabled = 1;
    c[i].s.allocated = 500 * MIB;
    c[i].verdict = GCP__SKIP;
    c[i++].want = "no collection: collection is disabled (GC_disable)";
    /* too little allocated */
    c[i].s = q;
    c[i].s.allocated = 100 * KIB + 1023;
    c[i].verdict = GCP__SKIP;
    c[i++].want = "no collection: only 100 KiB allocated since the last collection, under 256 KiB";
    /* RSS near the threshold */
    c[i].s = q;
    c[i].s.threshold = big ? huge : 100 * MIB;
    c[i].s.rss = big ? huge : 95 * MIB;
    c[i].verdict = GCP__COLLECT_AND_UNMAP;
    c[i++].want = big ? "collected: RSS 99999.9 MiB is at or above 90% of threshold_mb=99999.9"
                      : "collected: RSS 95.0 MiB is at or above 90% of threshold_mb=100.0";
    /* no room: the heap would grow */
    c[i].s = q;
    c[i].s.expected = big ? huge : 2 * MIB;
    c[i].s.free = big ? huge : MIB / 2;
    c[i].s.allocated = big ? huge : 2 * MIB;
    c[i].verdict = GCP__COLLECT;
    c[i++].want = big ? "collected: 99999.8 MiB free is short of the 149999.9 MiB needed until "
                        "the next gc point"
                      : "collected: 0.5 MiB free is short of the 3.0 MiB needed until the next "
                        "gc point";
    /* allocated several times the live heap */
    c[i].s = q;
    c[i].s.live = 4 * MIB;
    c[i].s.allocated = big ? (uint64_t)1 << 40 : 20 * MIB;
    c[i].verdict = GCP__COLLECT;
    c[i++].want = big ? "collected: allocated 262144.0x the live heap since the last collection "
                        "(4x or more)"
                      : "collected: allocated 5.0x the live heap since the last collection (4x "
                        "or more)";
    /* cheap against the time since the last collection */
    c[i].s = q;
    c[i].s.allocated = 50 * MIB;
    c[i].s.predicted_s = big ? 99.99999 : 0.0042;
    c[i].s.since_s = big ? 99999.9 : 0.5;
    c[i].verdict = big ? GCP__COLLECT_AND_UNMAP : GCP__COLLECT;
    c[i++].want = big ? "collected: ~99999.99 ms to collect is at most 2% of the 99999.9 s since "
                        "the last collection"
                      : "collected: ~4.20 ms to collect is at most 2% of the 0.5 s since the "
                        "last collection";
    /* room for what comes next */
    c[i].s = q;
    c[i].s.expected = big ? huge / 2 : 2 * MIB;
    c[i].s.free = big ? huge : 3 * MIB;
    c[i].verdict = GCP__SKIP;
    c[i++].want = big ? "no collection: 99999.8 MiB free covers the 74999.9 MiB needed until the "
                        "next gc point"
                      : "no collection: 3.0 MiB free covers the 3.0 MiB needed until the next gc "
                        "point";
    /* no room, but a small live heap may grow */
    c[i].s = q;
    c[i].s.live = 3 * MIB;
    c[i].s.expected = 4 * MIB;
    c[i].s.allocated = MIB;
    c[i].verdict = GCP__SKIP;
    c[i++].want = "no collection: short of room, but the 3.0 MiB live heap is under 4 MiB: let "
                  "it grow";
    /* no room, and too little garbage to make up for it */
    c[i].s = q;
    c[i].s.expected = big ? huge : 4 * MIB;
    c[i].s.free = MIB;
    c[i].s.live = big ? huge : q.live;
    c[i].s.allocated = big ? huge / 4 : MIB;
    c[i].verdict = GCP__SKIP;
    c[i++].want = big ? "no collection: heap 149998.9 MiB short, and the 24999.9 MiB allocated "
                        "could not cover half"
                      : "no collection: heap 5.0 MiB short, and the 1.0 MiB allocated could not "
                        "cover half";
    /* little allocated against the live heap */
    c[i].s = q;
    c[i].s.live = big ? huge : 100 * MIB;
    c[i].s.allocated = big ? huge / 5 : 10 * MIB;
    c[i].verdict = GCP__SKIP;
    c[i++].want = big ? "no collection: allocated 0.19x the live heap since the last collection, "
                        "under 0.25x"
                      : "no collection: allocated 0.10x the live heap since the last collection, "
                        "under 0.25x";
    /* enough allocated, but costly now */
    c[i].s = q;
    c[i].s.allocated = 50 * MIB;
    c[i].s.predicted_s = big ? 99.99999 : 0.5;
    c[i].s.since_s = big ? 999.9 : 2.0;
    c[i].verdict = GCP__SKIP;
    c[i++].want = big ? "no collection: ~99999.99 ms to collect is over 2% of the 999.9 s since "
                        "the last collection"
                      : "no collection: ~500.00 ms to collect is over 2% of the 2.0 s since the "
                        "last collection";
}

#define N_PHRASES 11

START_TEST(test_decide_reason_phrases)
{
    phrase_case cases[N_PHRASES];
    gcp_gc_decision d;

    phrase_cases(cases, _i);
    for (int i = 0; i < N_PHRASES; i++) {
        char full[256], fits[sizeof d.reason];
        ck_assert_msg(decide(&cases[i].s, full, sizeof full) == cases[i].verdict,
                      "case %d: verdict for '%s'", i, full);
        ck_assert_str_eq(full, cases[i].want);
        ck_assert_msg(strlen(full) < sizeof d.reason, "case %d: %zu bytes: '%s'", i, strlen(full),
                      full);
        decide(&cases[i].s, fits, sizeof fits);
        ck_assert_str_eq(fits, full);
        /* The verdict leads: the reader sees which way it went first. */
        ck_assert(
            starts_with(full, cases[i].verdict == GCP__SKIP ? "no collection: " : "collected: "));
    }
}
END_TEST

/* Each rule's reason, cut to every small buffer size: always terminated,
 * never a byte past n, and the verdict does not depend on n. */
START_TEST(test_decide_reason_buffer)
{
    gcp__gc_signals cases[6];
    for (int i = 0; i < 6; i++)
        cases[i] = quiet_signals();
    cases[0].disabled = 1;
    cases[1].allocated = 0;
    cases[2].rss = cases[2].threshold = 100 * MIB;
    cases[3].allocated = 400 * MIB;
    cases[4].allocated = 30 * MIB;
    cases[4].predicted_s = 0.001;
    cases[4].since_s = 10;
    /* cases[5]: not worth it */
    const int want[6] = {
        GCP__SKIP, GCP__SKIP, GCP__COLLECT_AND_UNMAP, GCP__COLLECT, GCP__COLLECT_AND_UNMAP,
        GCP__SKIP};

    for (int i = 0; i < 6; i++) {
        char full[96], buf[40];

        ck_assert_int_eq(decide(&cases[i], full, sizeof full), want[i]);
        ck_assert_uint_gt(strlen(full), 8);
        ck_assert_int_eq(decide(&cases[i], NULL, 0), want[i]);
        for (size_t n = 0; n <= 9; n++) {
            memset(buf, 'Z', sizeof buf);
            ck_assert_int_eq(decide(&cases[i], buf, n), want[i]);
            for (size_t k = n; k < sizeof buf; k++)
                ck_assert_msg(buf[k] == 'Z', "case %d, n %zu: byte %zu written", i, n, k);
            if (n > 0) {
                ck_assert_uint_eq(strlen(buf), n - 1);
                ck_assert_int_eq(memcmp(buf, full, n - 1), 0);
            }
        }
    }
}
END_TEST

/* ---- gcp__gc_hold_growth ------------------------------------------- */

static uint64_t growth(uint64_t live, uint64_t limit, uint64_t rss, uint64_t threshold)
{
    gcp__gc_signals s = quiet_signals();

    s.live = live;
    s.rss = rss;
    s.threshold = threshold;
    return gcp__gc_hold_growth(&s, limit);
}

START_TEST(test_hold_growth)
{
    const uint64_t big = 1024 * MIB;

    /* At least 8 MiB; the live heap when larger. */
    ck_assert_uint_eq(growth(0, big, 0, 0), 8 * MIB);
    ck_assert_uint_eq(growth(1 * MIB, big, 0, 0), 8 * MIB);
    ck_assert_uint_eq(growth(8 * MIB - 1, big, 0, 0), 8 * MIB);
    ck_assert_uint_eq(growth(8 * MIB + 1, big, 0, 0), 8 * MIB + 1);
    ck_assert_uint_eq(growth(300 * MIB, big, 0, 0), 300 * MIB);
    /* Never past the hold limit, even below the minimum. */
    ck_assert_uint_eq(growth(300 * MIB, 50 * MIB, 0, 0), 50 * MIB);
    ck_assert_uint_eq(growth(1 * MIB, 4 * MIB, 0, 0), 4 * MIB);
    ck_assert_uint_eq(growth(1 * MIB, 512 * KIB, 0, 0), 512 * KIB);
    /* Nor past the room under the threshold, which counts as >= 1 MiB. */
    ck_assert_uint_eq(growth(100 * MIB, big, 90 * MIB, 100 * MIB), 10 * MIB);
    ck_assert_uint_eq(growth(1 * MIB, big, 97 * MIB, 100 * MIB), 3 * MIB);
    ck_assert_uint_eq(growth(1 * MIB, big, 90 * MIB, 100 * MIB), 8 * MIB); /* room 10 */
    ck_assert_uint_eq(growth(100 * MIB, big, 99 * MIB - 1, 100 * MIB), 1 * MIB + 1);
    ck_assert_uint_eq(growth(100 * MIB, big, 99 * MIB, 100 * MIB), 1 * MIB);
    ck_assert_uint_eq(growth(100 * MIB, big, 100 * MIB - 768 * KIB, 100 * MIB), 1 * MIB);
    ck_assert_uint_eq(growth(100 * MIB, big, 100 * MIB - 1000, 100 * MIB), 1 * MIB);
    ck_assert_uint_eq(growth(100 * MIB, big, 100 * MIB, 100 * MIB), 1 * MIB);
    ck_assert_uint_eq(growth(100 * MIB, big, 400 * MIB, 100 * MIB), 1 * MIB);
    ck_assert_uint_eq(growth(100 * MIB, 512 * KIB, 400 * MIB, 100 * MIB), 512 * KIB);
    /* A threshold without an RSS reading, or RSS without a threshold. */
    ck_assert_uint_eq(growth(100 * MIB, big, 0, 100 * MIB), 100 * MIB);
    ck_assert_uint_eq(growth(100 * MIB, big, 400 * MIB, 0), 100 * MIB);
}
END_TEST

/* ---- gcp_gc_point on the real collector ---------------------------- */

START_TEST(test_point_after_collection)
{
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);
    gcp_gc_decision d;

    GC_gcollect();
    uint64_t gc_no = GC_get_gc_no();
    for (int i = 0; i < 10; i++)
        tu_sink = gcp_alloc(100);
    tu_sink = NULL;
    ck_assert_int_eq(gcp_gc_point(&c, &d), 0);
    uint64_t since_gc = (uint64_t)GC_get_bytes_since_gc();
    ck_assert_uint_eq(GC_get_gc_no(), gc_no);
    ck_assert_int_eq(d.collected, 0);
    ck_assert_msg(starts_with(d.reason, "no collection: only "), "reason '%s'", d.reason);
    ck_assert_uint_lt(d.allocated, 256 * KIB);
    ck_assert_uint_le(d.allocated, since_gc); /* read before, nothing collected since */
    ck_assert(d.cost == 0);
    ck_assert(d.memory_saved == 0);
}
END_TEST

START_TEST(test_point_collects_garbage)
{
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);
    gcp_gc_decision d;

    double t_gc = own_seconds(); /* before the last collection began */
    GC_gcollect();
    uint64_t live = heap_in_use();
    uint64_t own = drop_garbage_unseen(16);
    uint64_t gc_no = GC_get_gc_no();
    uint64_t since_gc = (uint64_t)GC_get_bytes_since_gc();
    uint64_t rss_before = own_statm_rss();
    double t0 = own_seconds();
    ck_assert_int_eq(gcp_gc_point(&c, &d), 1);
    double outside = own_seconds() - t0;
    uint64_t rss_after = own_statm_rss();

    ck_assert_int_eq(d.collected, 1);
    ck_assert_uint_ge(GC_get_gc_no(), gc_no + 1);
    ASSERT_HAS(d.reason, "the live heap");
    /* Nothing was allocated between the test's reading and the point's. */
    ck_assert_uint_eq(d.allocated, since_gc);
    ck_assert_uint_ge(d.allocated, own);
    ck_assert_uint_le(d.allocated, own + 256 * KIB);
    ck_assert_msg(d.live < live + 2 * MIB, "live %ju, heap in use after GC_gcollect %ju",
                  (uintmax_t)d.live, (uintmax_t)live);
    ck_assert(d.cost > 0 && d.cost <= outside);
    ck_assert(d.predicted_cost > 0);
    /* The last collection ended after t_gc and before the point. */
    ck_assert_msg(d.since_last >= 0 && d.since_last <= t0 + outside - t_gc,
                  "since_last %.6f s, own clock %.6f s", d.since_last, t0 + outside - t_gc);
    ck_assert(d.memory_saved >= 0);
    double own_saved = rss_before > rss_after ? (double)(rss_before - rss_after) / MIB_D : 0;
    ck_assert_msg(fabs(d.memory_saved - own_saved) < 2, "saved %.2f MiB, own reads %.2f MiB",
                  d.memory_saved, own_saved);
    /* The garbage is gone: the heap in use is back near the live set. */
    ck_assert_uint_lt(heap_in_use(), live + 2 * MIB);
    ck_assert_uint_lt((uint64_t)GC_get_bytes_since_gc(), 64 * KIB);
}
END_TEST

static void idle_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Garbage whose pages were all written, so freeing it can lower RSS. */
static NOINLINE void drop_touched(size_t mib)
{
    GC_disable();
    for (size_t i = 0; i < mib * MIB / CHUNK; i++) {
        char *p = gcp_alloc_atomic(CHUNK);
        REQUIRE(p != NULL);
        memset(p, (int)i, CHUNK);
        tu_sink = p;
    }
    tu_sink = NULL;
    GC_enable();
    tu_clear_dead_stack();
}

/* A point unmaps when memory is short (RSS near threshold_mb), and then
 * returns everything it can, whatever the heap's layout (unmap.c): the
 * 32 MiB just dropped, at once, and nothing is left for the test's own
 * collections. With heap_only (no RSS, so no threshold) the point
 * collects once without unmapping, and memory_saved stays 0. The point
 * follows 150 ms of idleness, so its collection is cheap against the
 * time since the last. */
START_TEST(test_point_memory_saved)
{
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);
    gcp_gc_decision d;

    c.heap_only = _i;
    GC_gcollect();
    drop_touched(32);
    if (!c.heap_only) /* RSS at the threshold: the point unmaps */
        c.threshold_mb = (double)own_statm_rss() / MIB_D;
    idle_ms(150);
    uint64_t gc_no = GC_get_gc_no();
    uint64_t rss_before = own_statm_rss();
    ck_assert_int_eq(gcp_gc_point(&c, &d), 1);
    uint64_t rss_after = own_statm_rss();
    ck_assert_msg(starts_with(d.reason, "collected: RSS") == !c.heap_only, "reason '%s'", d.reason);
    ck_assert(d.cost > 0);
    if (c.heap_only) {
        ck_assert_uint_eq(GC_get_gc_no(), gc_no + 1);
        ck_assert(d.memory_saved == 0);
        return;
    }
    double own_saved = rss_before > rss_after ? (double)(rss_before - rss_after) / MIB_D : 0;
#ifndef __SANITIZE_ADDRESS__ /* ASan's shadow pages move RSS on their own */
    ck_assert_msg(d.memory_saved > 24, "saved %.2f MiB", d.memory_saved);
#endif
    ck_assert_msg(fabs(d.memory_saved - own_saved) < 2, "saved %.2f MiB, own reads %.2f MiB",
                  d.memory_saved, own_saved);
    /* Nothing left: the test's own unmapping collections return no more. */
    tu_clear_dead_stack();
    for (int i = 0; i < 4; i++)
        GC_gcollect_and_unmap();
    uint64_t rss_left = own_statm_rss();
    ck_assert_msg(rss_left + (2u << 20) > rss_after, "%.2f MiB more came back after the point",
                  (double)(rss_after - rss_left) / MIB_D);
}
END_TEST

START_TEST(test_point_disabled)
{
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);
    gcp_gc_decision d;

    GC_gcollect();
    drop_garbage_unseen(16);
    uint64_t gc_no = GC_get_gc_no();
    GC_disable();
    ck_assert_int_eq(gcp_gc_point(&c, &d), 0);
    ck_assert_int_eq(GC_is_disabled(), 1);
    GC_enable();
    ck_assert_uint_eq(GC_get_gc_no(), gc_no);
    ck_assert_int_eq(d.collected, 0);
    ASSERT_HAS(d.reason, "disabled");
    ck_assert(d.cost == 0);
    /* The same garbage with collection enabled again: it collects. */
    ck_assert_int_eq(gcp_gc_point(&c, &d), 1);
    ck_assert_uint_ge(GC_get_gc_no(), gc_no + 1);
    ck_assert_int_eq(GC_is_disabled(), 0);
}
END_TEST

START_TEST(test_point_null_out)
{
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);

    GC_gcollect();
    drop_garbage_unseen(16);
    uint64_t gc_no = GC_get_gc_no();
    ck_assert_int_eq(gcp_gc_point(&c, NULL), 1);
    ck_assert_uint_ge(GC_get_gc_no(), gc_no + 1);
    gc_no = GC_get_gc_no();
    ck_assert_int_eq(gcp_gc_point(&c, NULL), 0); /* just collected */
    ck_assert_uint_eq(GC_get_gc_no(), gc_no);
}
END_TEST

START_TEST(test_point_bad_config)
{
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);
    gcp_gc_decision d;
    tu_log log;

    GC_gcollect();
    drop_garbage_unseen(16); /* a valid config would collect */
    uint64_t gc_no = GC_get_gc_no();
    tu_log_capture(&log);
    c.threshold_mb = -1;
    ck_assert_int_eq(gcp_gc_point(&c, &d), GCP_EINVAL);
    ASSERT_HAS(gcp_last_error(), "threshold_mb");
    c.threshold_mb = NAN;
    ck_assert_int_eq(gcp_gc_point(&c, NULL), GCP_EINVAL);
    ASSERT_HAS(gcp_last_error(), "threshold_mb");
    c.threshold_mb = 100;
    c.heap_only = 1;
    ck_assert_int_eq(gcp_gc_point(&c, &d), GCP_EINVAL);
    ASSERT_HAS(gcp_last_error(), "threshold_mb");
    tu_log_restore();
    ck_assert_int_eq(log.count, 0); /* returned, so not logged */
    ck_assert_uint_eq(GC_get_gc_no(), gc_no);
}
END_TEST

/* ---- auto_gc adaptive ---------------------------------------------- */

typedef struct churn_job {
    size_t chunks;
    uint64_t heap_max; /* GC_get_heap_size(), seen by the closure: its
                          largest, and at the start */
    uint64_t heap_start;
    uint64_t gc_no_start, gc_no_end;
    int flag_inside; /* GC_get_disable_automatic_collection() inside */
} churn_job;

static int churn(void *env)
{
    churn_job *job = env;

    job->gc_no_start = GC_get_gc_no();
    job->flag_inside = GC_get_disable_automatic_collection();
    job->heap_max = job->heap_start = (uint64_t)GC_get_heap_size();
    for (size_t i = 0; i < job->chunks; i++) {
        char *p = gcp_alloc_atomic(CHUNK);
        if (!p)
            return 1;
        p[0] = p[CHUNK - 1] = (char)i;
        tu_sink = p;
        uint64_t heap = (uint64_t)GC_get_heap_size();
        if (heap > job->heap_max)
            job->heap_max = heap;
    }
    tu_sink = NULL;
    job->gc_no_end = GC_get_gc_no();
    return 0;
}

/* Heaps only grow once their free space is used up: churning more than
 * the free space (GC_INITIAL_HEAP_SIZE can make it large) plus `mib`. */
static size_t chunks_past_free(size_t mib)
{
    return (GC_get_free_bytes() + mib * MIB) / CHUNK;
}

/* 128 MiB more short-lived garbage than the heap has free, against an
 * 8 MiB live set: adaptive holds collection off only after a baseline,
 * and lets the hold go once the heap has grown by about the live size,
 * quietly; always holds collection off (up to 1024
 * MiB) and the heap grows by all of it. */
START_TEST(test_adaptive_bounds_heap)
{
    churn_job adaptive = {0, 0, 0, 0, 0, 0};
    churn_job always;
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);
    gcp_report ra, rb;
    tu_log log;

    make_live(8);
    tu_clear_dead_stack();
    adaptive.chunks = chunks_past_free(128);
    always = adaptive;
    tu_log_capture(&log);
    ck_assert_int_eq(gcp_profile("adaptive", churn, &adaptive, &c, &ra), 0);
    tu_log_restore();
    ck_assert_int_eq(ra.status, 0);
    ck_assert_int_eq(log.warnings, 0);
    /* Held at first only after a baseline, and then given way. */
    if (ra.notes & GCP_NOTE_NO_BASELINE)
        ck_assert_int_eq(adaptive.flag_inside, 0);
    else
        ck_assert_msg(adaptive.flag_inside == 1 && (ra.notes & GCP_NOTE_HOLD_RELEASED),
                      "notes %#x, held inside %d", ra.notes, adaptive.flag_inside);
    ck_assert_msg(adaptive.heap_max - adaptive.heap_start < 56 * MIB,
                  "adaptive heap grew from %.1f to %.1f MiB", (double)adaptive.heap_start / MIB_D,
                  (double)adaptive.heap_max / MIB_D);
    ck_assert_uint_ge(adaptive.gc_no_end, adaptive.gc_no_start + 1);
    ck_assert_uint_eq(ra.gc_count, adaptive.gc_no_end - adaptive.gc_no_start);

    c = config(GCP_AUTO_GC_ALWAYS);
    always.chunks = chunks_past_free(128);
    ck_assert_int_eq(gcp_profile("always", churn, &always, &c, &rb), 0);
    ck_assert_msg(always.heap_max - always.heap_start > 100 * MIB,
                  "always heap grew from %.1f to %.1f MiB", (double)always.heap_start / MIB_D,
                  (double)always.heap_max / MIB_D);
    ck_assert_uint_eq(always.gc_no_end, always.gc_no_start);
    ck_assert_uint_eq(rb.gc_count, 0);
    ck_assert(!(rb.notes & GCP_NOTE_HOLD_RELEASED));
    ck_assert_int_eq(GC_get_disable_automatic_collection(), 0);
    ck_assert_ptr_nonnull(kept);
}
END_TEST

/* The control for the test above: a hold released in always mode does
 * warn, so log.warnings == 0 there means adaptive's release was quiet. */
START_TEST(test_always_release_warns)
{
    churn_job job = {chunks_past_free(48), 0, 0, 0, 0, 0};
    gcp_config c = config(GCP_AUTO_GC_ALWAYS);
    gcp_report r;
    tu_log log;

    c.hold_limit_mb = 16;
    tu_log_capture(&log);
    ck_assert_int_eq(gcp_profile("always", churn, &job, &c, &r), 0);
    tu_log_restore();
    ck_assert(r.notes & GCP_NOTE_HOLD_RELEASED);
    ck_assert_int_eq(log.warnings, 1);
    ASSERT_HAS(log.last, "hold_limit_mb");
}
END_TEST

static int alloc_tiny(void *env)
{
    int *flag = env;

    *flag = GC_get_disable_automatic_collection();
    for (int i = 0; i < 10; i++)
        tu_sink = gcp_alloc(100);
    tu_sink = NULL;
    return 0;
}

START_TEST(test_adaptive_tiny_no_collection)
{
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);
    gcp_report r;
    int flag = -1;

    GC_gcollect();
    uint64_t gc_no = GC_get_gc_no();
    ck_assert_int_eq(gcp_profile("tiny", alloc_tiny, &flag, &c, &r), 0);
    ck_assert_uint_eq(GC_get_gc_no(), gc_no);
    ck_assert_int_eq(flag, 0); /* no baseline, so no hold: nothing to count exactly */
    ck_assert_int_eq(GC_get_disable_automatic_collection(), 0);
    ck_assert_int_eq(r.gc_collected, 0);
    ck_assert_msg(starts_with(r.gc_reason, "no collection: only "), "reason '%s'", r.gc_reason);
    ck_assert(r.notes & GCP_NOTE_NO_BASELINE);
    ck_assert(!(r.notes & GCP_NOTE_COLLECTED_UNKNOWN));
    ck_assert_uint_eq(r.objects_allocated, 10);
    ck_assert_uint_eq(r.gc_count, 0);
    ck_assert_int_eq(r.gc_objects_collected, 0);
    ck_assert_int_eq(r.bytes_reclaimed, 0);
    ck_assert(r.profiler_gc_time == 0);
    ck_assert_int_eq(r.auto_gc, GCP_AUTO_GC_ADAPTIVE);
}
END_TEST

static int disable_collection(void *env)
{
    (void)env;
    GC_disable();
    return 0;
}

/* The fixed modes' reasons say which way it went too, and the details
 * print the mode and the reason once. */
START_TEST(test_fixed_mode_reasons)
{
    gcp_report r;
    int flag, rc;
    char *text = NULL;
    size_t len = 0;

    gcp_config c = config(GCP_AUTO_GC_OFF);
    ck_assert_int_eq(gcp_profile("off", alloc_tiny, &flag, &c, &r), 0);
    ck_assert_str_eq(r.gc_reason, "no collection: auto_gc=off");
    c = config(GCP_AUTO_GC_ALWAYS);
    ck_assert_int_eq(gcp_profile("always", alloc_tiny, &flag, &c, &r), 0);
    ck_assert_str_eq(r.gc_reason, "collected: auto_gc=always collects after every closure");
    FILE *fp = open_memstream(&text, &len);
    rc = gcp_report_print_details(fp, &r);
    fclose(fp);
    ck_assert_int_eq(rc, 0);
    ASSERT_HAS(text, "\n  auto_gc                always, collected: auto_gc=always collects after "
                     "every closure\n");
    free(text);
    ck_assert_int_eq(gcp_profile("disabler", disable_collection, NULL, &c, &r), 0);
    GC_enable();
    ck_assert_str_eq(r.gc_reason, "no collection: collection is disabled (GC_disable)");
}
END_TEST

/* ---- exact counts when adaptive runs both collections --------------- */

typedef struct many_job {
    size_t n;
    uint64_t bytes; /* the test's own sum of GC_size */
    tu_hidden seen;
} many_job;

static NOINLINE int alloc_many(void *env)
{
    many_job *job = env;

    job->bytes = 0;
    for (size_t i = 0; i < job->n; i++) {
        void *p = gcp_alloc(40);
        if (!p)
            return 1;
        job->bytes += GC_size(p);
        tu_hidden_add(&job->seen, p);
        tu_sink = p;
    }
    tu_sink = NULL;
    return 0;
}

START_TEST(test_adaptive_counts_exactly)
{
    many_job job = {400000, 0, {0}}; /* 19 MB: over 4x the live heap */
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);
    gcp_report r;

    GC_gcollect();
    drop_garbage_unseen(16); /* garbage >= live: the baseline pays */
    uint64_t gc_no = GC_get_gc_no();
    ck_assert_int_eq(gcp_profile("many", alloc_many, &job, &c, &r), 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(!(r.notes & GCP_NOTE_NO_BASELINE), "notes %#x", r.notes);
    ck_assert_int_eq(r.gc_collected, 1);
    ck_assert_uint_ge(GC_get_gc_no(), gc_no + 2); /* baseline and after */
    ck_assert(r.profiler_gc_time > 0);
    ck_assert_uint_eq(r.objects_allocated, job.n);
    ck_assert_uint_eq(r.bytes_allocated, job.bytes);
    ck_assert_int_eq(r.gc_objects_collected, (int64_t)tu_hidden_collected(&job.seen));
#ifndef __SANITIZE_ADDRESS__ /* ASan's frames can leave one stale word */
    ck_assert_int_eq(r.gc_objects_collected, (int64_t)job.n);
    ck_assert_int_eq(r.bytes_reclaimed, (int64_t)job.bytes);
#endif
    ck_assert(!(r.notes & GCP_NOTE_COLLECTED_UNKNOWN));
    tu_hidden_free(&job.seen);
}
END_TEST

/* ---- the collector is left as it was -------------------------------- */

static int app_hook_ends;
static void GC_CALLBACK app_hook(GC_EventType e)
{
    if (e == GC_EVENT_END)
        app_hook_ends++;
}

/* Three adaptive profiles: tiny (no collection), garbage-heavy (hold
 * released, collections during), and after unseen garbage (baseline). */
static void run_adaptive_mix(churn_job *heavy)
{
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);
    gcp_report r;
    int flag = -1;

    GC_gcollect();
    ck_assert_int_eq(gcp_profile("tiny", alloc_tiny, &flag, &c, &r), 0);
    ck_assert_int_eq(gcp_profile("heavy", churn, heavy, &c, &r), 0);
    drop_garbage_unseen(16);
    ck_assert_int_eq(gcp_profile("tiny", alloc_tiny, &flag, &c, &r), 0);
    ck_assert(!(r.notes & GCP_NOTE_NO_BASELINE));
}

START_TEST(test_adaptive_restores_collector)
{
    churn_job heavy = {64 * MIB / CHUNK, 0, 0, 0, 0, 0};

    /* The application's hook stays, and sees every collection. */
    GC_set_on_collection_event(app_hook);
    app_hook_ends = 0;
    uint64_t gc_no = GC_get_gc_no();
    run_adaptive_mix(&heavy);
    ck_assert(GC_get_on_collection_event() == app_hook);
    ck_assert_int_eq(app_hook_ends, (int)(GC_get_gc_no() - gc_no));
    ck_assert_int_gt(app_hook_ends, 1);
    ck_assert_int_eq(GC_is_disabled(), 0);
    ck_assert_int_eq(GC_get_disable_automatic_collection(), 0);

    /* No hook before: none after. */
    GC_set_on_collection_event(NULL);
    run_adaptive_mix(&heavy);
    ck_assert(GC_get_on_collection_event() == NULL);
    ck_assert_int_eq(GC_is_disabled(), 0);
    ck_assert_int_eq(GC_get_disable_automatic_collection(), 0);
}
END_TEST

/* Automatic collection off by the application's choice stays off: no
 * bound switches it on, during or after. */
START_TEST(test_adaptive_keeps_app_setting)
{
    churn_job heavy = {64 * MIB / CHUNK, 0, 0, 0, 0, 0};
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);
    gcp_report r;

    GC_set_disable_automatic_collection(1);
    run_adaptive_mix(&heavy);
    ck_assert_int_eq(GC_get_disable_automatic_collection(), 1);
    ck_assert_int_eq(heavy.flag_inside, 1);
    /* 64 MiB against an 8 MiB bound, and no collection inside. */
    ck_assert_uint_eq(heavy.gc_no_end, heavy.gc_no_start);

    ck_assert_int_eq(gcp_profile("heavy", churn, &heavy, &c, &r), 0);
    ck_assert(!(r.notes & GCP_NOTE_HOLD_RELEASED));
    ck_assert_uint_eq(r.gc_count, 0);
    ck_assert_int_eq(GC_get_disable_automatic_collection(), 1);
    ck_assert_int_eq(GC_is_disabled(), 0);
    GC_set_disable_automatic_collection(0);
}
END_TEST

/* GC_disable() in force across an adaptive profile: nothing runs, and it
 * is still in force after. */
START_TEST(test_adaptive_under_gc_disable)
{
    churn_job job = {16 * MIB / CHUNK, 0, 0, 0, 0, 0};
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);
    gcp_report r;

    drop_garbage_unseen(16);
    uint64_t gc_no = GC_get_gc_no();
    GC_disable();
    ck_assert_int_eq(gcp_profile("disabled", churn, &job, &c, &r), 0);
    ck_assert_int_eq(GC_is_disabled(), 1);
    GC_enable();
    ck_assert_int_eq(GC_is_disabled(), 0);
    ck_assert_uint_eq(GC_get_gc_no(), gc_no);
    ck_assert(r.notes & GCP_NOTE_NO_BASELINE);
    ck_assert_int_eq(r.gc_collected, 0);
    ASSERT_HAS(r.gc_reason, "disabled");
    ck_assert_int_eq(GC_get_disable_automatic_collection(), 0);
}
END_TEST

/* ---- threshold_mb ---------------------------------------------------- */

START_TEST(test_adaptive_threshold)
{
    churn_job job = {8, 0, 0, 0, 0, 0}; /* 8 chunks: ~544 KiB, > 256 KiB */
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);
    gcp_report r;
    tu_log log;

    GC_gcollect();
    /* Room in the heap: the closure's garbage needs no growth, so nothing
     * can collect inside and the decision after sees all of it. */
    ck_assert(GC_expand_hp(16 * MIB));

    /* The control: the same garbage, no threshold, is not worth it. */
    ck_assert_int_eq(gcp_profile("below", churn, &job, &c, &r), 0);
    ck_assert_uint_eq(r.gc_count, 0);
    ck_assert_int_eq(r.gc_collected, 0);
    ck_assert_msg(starts_with(r.gc_reason, "no collection: ") &&
                      !starts_with(r.gc_reason, "no collection: only"),
                  "reason '%s'", r.gc_reason);

    /* Just below RSS: 2 MiB below went negative (EINVAL) in a forked
     * child whose RSS was under 2 MiB (once in the portability matrix). */
    double rss_mb = (double)own_statm_rss() / MIB_D;
    c.threshold_mb = rss_mb * 0.9;
    uint64_t gc_no = GC_get_gc_no();
    tu_log_capture(&log);
    ck_assert_int_eq(gcp_profile("near", churn, &job, &c, &r), 0);
    tu_log_restore();
    ck_assert_uint_eq(r.gc_count, 0);
    ck_assert_int_eq(r.gc_collected, 1);
    ASSERT_HAS(r.gc_reason, "threshold_mb");
    ck_assert_uint_ge(GC_get_gc_no(), gc_no + 1);
    ck_assert(r.exceeded_threshold);
    ck_assert_int_eq(log.warnings, 1); /* the threshold's, not the hold's */
    ASSERT_HAS(log.last, "threshold_mb");
}
END_TEST

/* ---- heap_only --------------------------------------------------------- */

typedef struct mixed_job {
    uint64_t objects, bytes; /* the test's own counts */
} mixed_job;

static NOINLINE int alloc_mixed(void *env)
{
    mixed_job *job = env;

    job->objects = job->bytes = 0;
    for (int i = 0; i < 1000; i++) {
        void *p = gcp_alloc(100);
        if (!p)
            return 1;
        job->bytes += GC_size(p);
        job->objects++;
        tu_sink = p;
    }
    for (int i = 0; i < 10; i++) {
        void *p = gcp_alloc_atomic(5000);
        if (!p)
            return 1;
        job->bytes += GC_size(p);
        job->objects++;
        tu_sink = p;
    }
    tu_sink = NULL;
    return 0;
}

START_TEST(test_heap_only_report)
{
    const int modes[] = {GCP_AUTO_GC_ALWAYS, GCP_AUTO_GC_ADAPTIVE, GCP_AUTO_GC_OFF};
    gcp_config c = config(modes[_i]);
    mixed_job job;
    gcp_report r;

    /* Without heap_only, the memory figures are there. */
    ck_assert_int_eq(gcp_profile("rss", alloc_mixed, &job, &c, &r), 0);
    ck_assert(r.memory_before > 0 && r.memory_after > 0);
    ck_assert(!(r.notes & GCP_NOTE_HEAP_ONLY));

    c.heap_only = 1;
    ck_assert_int_eq(gcp_profile("heap", alloc_mixed, &job, &c, &r), 0);
    ck_assert(r.notes & GCP_NOTE_HEAP_ONLY);
    ck_assert(r.memory_before == 0);
    ck_assert(r.memory_after == 0);
    ck_assert(r.memory_saved == 0);
    ck_assert(r.peak_memory == 0);
    ck_assert_uint_eq(r.objects_allocated, job.objects);
    ck_assert_uint_eq(r.objects_allocated, 1010);
    ck_assert_uint_eq(r.bytes_allocated, job.bytes);
    if (modes[_i] == GCP_AUTO_GC_ALWAYS)
        ck_assert_int_eq(r.gc_objects_collected, 1010);
}
END_TEST

START_TEST(test_heap_only_rejects_threshold)
{
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);
    gcp_report r;
    mixed_job job = {0, 0};
    tu_log log;

    c.heap_only = 1;
    c.threshold_mb = 100;
    tu_log_capture(&log);
    ck_assert_int_eq(gcp_profile("bad", alloc_mixed, &job, &c, &r), GCP_EINVAL);
    tu_log_restore();
    ASSERT_HAS(gcp_last_error(), "threshold_mb");
    ck_assert_uint_eq(job.objects, 0); /* not run */
    ck_assert_int_eq(log.count, 0);    /* returned, so not logged */
}
END_TEST

typedef struct peak_job {
    uint64_t live_bytes;  /* held at once before the first collection */
    uint64_t heap_at_end; /* heap in use as the closure returns */
} peak_job;

static NOINLINE void build_and_drop(peak_job *job)
{
    void **arr = gcp_alloc(128 * sizeof *arr);

    job->live_bytes = GC_size(arr);
    for (int i = 0; i < 128; i++) {
        arr[i] = gcp_alloc_atomic(CHUNK);
        job->live_bytes += GC_size(arr[i]);
    }
    tu_sink = arr;
    gcp_collect(); /* all of it live here */
    tu_sink = NULL;
}

static int peak_then_drop(void *env)
{
    peak_job *job = env;

    build_and_drop(job);
    tu_clear_dead_stack();
    gcp_collect();
    job->heap_at_end = heap_in_use();
    return 0;
}

static char *json_of(const gcp_report *r);

static int collect_once(void *env)
{
    (void)env;
    GC_gcollect();
    return 0;
}

static int do_nothing(void *env)
{
    (void)env;
    return 0;
}

/* heap_only with auto_gc off installs no hook: pause figures are unknown
 * (NaN, JSON null) when a collection ran, and exactly 0 when none did. */
START_TEST(test_heap_only_pauses_unknown)
{
    gcp_config c = config(GCP_AUTO_GC_OFF);
    gcp_report r;

    c.heap_only = 1;
    uint64_t gc_no = GC_get_gc_no();
    ck_assert_int_eq(gcp_profile("collects", collect_once, NULL, &c, &r), 0);
    ck_assert_uint_eq(r.gc_count, GC_get_gc_no() - gc_no);
    ck_assert_uint_ge(r.gc_count, 1);
    ck_assert(isnan(r.gc_time) && isnan(r.gc_pause_total) && isnan(r.gc_pause_max));
    /* what died in that collection: not counted (no census), so unknown */
    ck_assert(r.gc_objects_collected == -1 && r.bytes_reclaimed == -1);
    ck_assert(r.notes & GCP_NOTE_COLLECTED_UNKNOWN);
    ck_assert(!r.gc_collected);
    ck_assert_str_eq(r.gc_reason, "no collection: auto_gc=off");
    char *json = json_of(&r);
    ASSERT_HAS(json, "\"gc_time\": null");
    free(json);

    ck_assert_int_eq(gcp_profile("idle", do_nothing, NULL, &c, &r), 0);
    ck_assert_uint_eq(r.gc_count, 0);
    ck_assert(r.gc_time == 0 && r.gc_pause_total == 0 && r.gc_pause_max == 0);
    /* no collection ran: nothing can have been collected */
    ck_assert(r.gc_objects_collected == 0 && r.bytes_reclaimed == 0);
    ck_assert(!(r.notes & GCP_NOTE_COLLECTED_UNKNOWN));
    /* With the hook (auto_gc on), the same collection is timed. */
    c.auto_gc = GCP_AUTO_GC_ALWAYS;
    ck_assert_int_eq(gcp_profile("collects", collect_once, NULL, &c, &r), 0);
    ck_assert(r.gc_count >= 1 && r.gc_time > 0);
}
END_TEST

START_TEST(test_heap_only_peak)
{
    gcp_config c = config(GCP_AUTO_GC_ALWAYS);
    peak_job job = {0, 0};
    gcp_report r;

    c.heap_only = 1;
    c.track_peak = 1;
    ck_assert_int_eq(gcp_profile("peak", peak_then_drop, &job, &c, &r), 0);
    ck_assert_uint_ge(job.live_bytes, 8 * MIB);
    ck_assert_uint_ge(r.peak_heap, r.heap_before + job.live_bytes);
    /* The peak is the high-water mark, not the reading at the end. */
    ck_assert_uint_lt(job.heap_at_end + job.live_bytes / 2, r.peak_heap);
    ck_assert_uint_eq(r.gc_count, 2);
    ck_assert(r.peak_memory == 0);
}
END_TEST

/* ---- printed forms --------------------------------------------------- */

static int alloc_20mib(void *env)
{
    (void)env;
    drop_chunks(20 * MIB / CHUNK); /* over 4x the live heap's 4 MiB floor */
    return 0;
}

/* An adaptive report whose collection after ran. */
static void adaptive_collecting_report(gcp_report *r)
{
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);

    GC_gcollect();
    ck_assert(GC_expand_hp(48 * MIB)); /* no growth, so no release inside */
    ck_assert_int_eq(gcp_profile("collects", alloc_20mib, NULL, &c, r), 0);
    ck_assert_int_eq(r->gc_collected, 1);
}

static char *json_of(const gcp_report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(gcp_report_write_json(fp, r), 0);
    ck_assert_int_eq(fclose(fp), 0);
    ck_assert_ptr_nonnull(buf);
    return buf;
}

START_TEST(test_print_adaptive)
{
    gcp_config c = config(GCP_AUTO_GC_ADAPTIVE);
    gcp_report r;
    char line[1024], want[256];
    int flag;

    adaptive_collecting_report(&r);
    ck_assert_int_eq(gcp_report_snprint(line, sizeof line, &r), 0);
    snprintf(want, sizeof want, ", gc_collected=True, gc_reason='%s')", r.gc_reason);
    ASSERT_HAS(line, want);
    char *json = json_of(&r);
    ASSERT_HAS(json, "\"auto_gc\": \"adaptive\"");
    ASSERT_HAS(json, "\"gc_collected\": true");
    snprintf(want, sizeof want, "\"gc_reason\": \"%s\"", r.gc_reason);
    ASSERT_HAS(json, want);
    free(json);

    GC_gcollect();
    ck_assert_int_eq(gcp_profile("tiny", alloc_tiny, &flag, &c, &r), 0);
    ck_assert_int_eq(r.gc_collected, 0);
    ck_assert_int_eq(gcp_report_snprint(line, sizeof line, &r), 0);
    snprintf(want, sizeof want, ", gc_collected=False, gc_reason='%s')", r.gc_reason);
    ASSERT_HAS(line, want);
    json = json_of(&r);
    ASSERT_HAS(json, "\"gc_collected\": false");
    ASSERT_HAS(json, "\"gc_reason\"");
    free(json);
}
END_TEST

START_TEST(test_print_other_modes)
{
    const int modes[] = {GCP_AUTO_GC_ALWAYS, GCP_AUTO_GC_OFF};
    const char *names[] = {"\"auto_gc\": \"always\"", "\"auto_gc\": \"off\""};
    gcp_config c = config(modes[_i]);
    gcp_report r;
    char line[1024];
    int flag;

    ck_assert_int_eq(gcp_profile("plain", alloc_tiny, &flag, &c, &r), 0);
    ck_assert_int_eq(gcp_report_snprint(line, sizeof line, &r), 0);
    ASSERT_HAS(line, "ProfileReport(");
    ASSERT_LACKS(line, "gc_collected=");
    ASSERT_LACKS(line, "gc_reason");
    char *json = json_of(&r);
    ASSERT_HAS(json, names[_i]);
    ASSERT_HAS(json, "\"gc_collected\": ");
    ASSERT_HAS(json, "\"gc_reason\"");
    free(json);
}
END_TEST

static Suite *make_policy_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *pure = tcase_create("pure");
    TCase *point = tcase_create("point");
    TCase *adaptive = tcase_create("adaptive");
    TCase *heap_only = tcase_create("heap_only");
    TCase *printed = tcase_create("printed");

    tcase_add_test(pure, test_decide_disabled);
    tcase_add_test(pure, test_decide_little_garbage);
    tcase_add_test(pure, test_decide_threshold);
    tcase_add_test(pure, test_decide_growth);
    tcase_add_test(pure, test_decide_room);
    tcase_add_test(pure, test_decide_room);
    tcase_add_test(pure, test_decide_cheap);
    tcase_add_test(pure, test_decide_not_worth_it);
    tcase_add_test(pure, test_decide_reason_buffer);
    tcase_add_loop_test(pure, test_decide_reason_phrases, 0, 2);
    tcase_add_test(pure, test_hold_growth);
    suite_add_tcase(s, pure);

    tcase_add_checked_fixture(point, NULL, teardown);
    tcase_set_timeout(point, 60);
    tcase_add_test(point, test_point_after_collection);
    tcase_add_test(point, test_point_collects_garbage);
    tcase_add_loop_test(point, test_point_memory_saved, 0, 2);
    tcase_add_test(point, test_point_disabled);
    tcase_add_test(point, test_point_null_out);
    tcase_add_test(point, test_point_bad_config);
    suite_add_tcase(s, point);

    tcase_add_checked_fixture(adaptive, NULL, teardown);
    tcase_set_timeout(adaptive, 60);
    tcase_add_test(adaptive, test_adaptive_bounds_heap);
    tcase_add_test(adaptive, test_always_release_warns);
    tcase_add_test(adaptive, test_adaptive_tiny_no_collection);
    tcase_add_test(adaptive, test_fixed_mode_reasons);
    tcase_add_test(adaptive, test_adaptive_counts_exactly);
    tcase_add_test(adaptive, test_adaptive_restores_collector);
    tcase_add_test(adaptive, test_adaptive_keeps_app_setting);
    tcase_add_test(adaptive, test_adaptive_under_gc_disable);
    tcase_add_test(adaptive, test_adaptive_threshold);
    suite_add_tcase(s, adaptive);

    tcase_add_checked_fixture(heap_only, NULL, teardown);
    tcase_set_timeout(heap_only, 60);
    tcase_add_loop_test(heap_only, test_heap_only_report, 0, 3);
    tcase_add_test(heap_only, test_heap_only_rejects_threshold);
    tcase_add_test(heap_only, test_heap_only_peak);
    tcase_add_test(heap_only, test_heap_only_pauses_unknown);
    suite_add_tcase(s, heap_only);

    tcase_add_checked_fixture(printed, NULL, teardown);
    tcase_set_timeout(printed, 60);
    tcase_add_test(printed, test_print_adaptive);
    tcase_add_loop_test(printed, test_print_other_modes, 0, 2);
    suite_add_tcase(s, printed);
    return s;
}

int main(void)
{
    return tu_run(make_policy_suite());
}
