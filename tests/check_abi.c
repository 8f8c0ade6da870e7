/*
 * check_abi.c - a program built against today's header runs against a
 * later library (issue 13, item 2; doc/abi.md). This program is compiled
 * with include/gcprof.h; the library it links is the same sources compiled
 * with tests/grown/gcprof.h, where every struct's reserved_ tail gave one
 * word to a new field, as the next version's would. Checked:
 *   - every struct keeps its size, and the new field sits where reserved_
 *     began (abi_layout.c, compiled on both sides);
 *   - nothing the library fills or reads goes past the caller's struct
 *     (guard words after each), arrays keep their stride (a batch's
 *     reports), and what comes back is right: the test's own counts of
 *     what its closures allocated and dropped.
 * Before the reserved tails, the same program against a library with one
 * field appended had gcp_config_init and gcp_profile write past its
 * structs and gcp_profile_many write reports[i] at the wrong stride.
 */
#include <gc/gc.h>

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "abi_layout.h"
#include "gcprof.h"
#include "testutil.h"

#define GUARD_WORD 0x5a5aa5a55a5aa5a5ull
#define N_GUARD    4
#define N_OBJECTS  2000

/* A struct of the caller's with guard words right after it. */
#define GUARDED(T)                                                                                 \
    struct {                                                                                       \
        T v;                                                                                       \
        uint64_t guard[N_GUARD];                                                                   \
    }

static void guard_set(uint64_t *g)
{
    for (int i = 0; i < N_GUARD; i++)
        g[i] = GUARD_WORD;
}

static void guard_check(const uint64_t *g, const char *what)
{
    for (int i = 0; i < N_GUARD; i++)
        ck_assert_msg(g[i] == GUARD_WORD, "%s: written past its end (word %d)", what, i);
}

#define PREPARE(x)                                                                                 \
    do {                                                                                           \
        memset(&(x).v, 0, sizeof(x).v);                                                            \
        guard_set((x).guard);                                                                      \
    } while (0)
#define CHECK_GUARD(x, what) guard_check((x).guard, what)

static void *volatile sink;

static int drop_n(void *env)
{
    size_t n = (size_t)(uintptr_t)env;

    for (size_t i = 0; i < n; i++)
        sink = gcp_alloc(32);
    sink = NULL;
    return 0;
}

START_TEST(test_layout)
{
    size_t n_now, n_grown;
    const abi_row *now = abi_layout_current(&n_now), *grown = abi_layout_grown(&n_grown);

    ck_assert_uint_eq(n_now, n_grown);
    for (size_t i = 0; i < n_now; i++) {
        ck_assert_str_eq(now[i].type, grown[i].type);
        ck_assert_msg(now[i].size == grown[i].size, "%s: %zu bytes, %zu in the later version",
                      now[i].type, now[i].size, grown[i].size);
        ck_assert_msg(now[i].tail == grown[i].tail, "%s: reserved_ at %zu, the new field at %zu",
                      now[i].type, now[i].tail, grown[i].tail);
    }
}
END_TEST

/* Words a version took from reserved_ stand where reserved_ began before,
 * and the struct keeps its size: gcp_gc_decision's cgroup_limit and
 * cgroup_usage, two of its four reserved words; gcp_config's two. */
START_TEST(test_taken_words)
{
    const size_t word = sizeof(uint64_t),
                 was = offsetof(gcp_gc_decision, memory_saved) + sizeof(double);

    ck_assert_uint_eq(offsetof(gcp_gc_decision, cgroup_limit), was);
    ck_assert_uint_eq(offsetof(gcp_gc_decision, cgroup_usage), was + word);
    ck_assert_uint_eq(offsetof(gcp_gc_decision, reserved_), was + 2 * word);
    ck_assert_uint_eq(sizeof(gcp_gc_decision), was + 4 * word);
    /* gcp_config's gc_budget and memory_limit_mb, two of its eight. */
    const size_t config_was =
        (offsetof(gcp_config, heap_only) + sizeof(int) + word - 1) / word * word;
    ck_assert_uint_eq(offsetof(gcp_config, gc_budget), config_was);
    ck_assert_uint_eq(offsetof(gcp_config, memory_limit_mb), config_was + word);
    ck_assert_uint_eq(offsetof(gcp_config, reserved_), config_was + 2 * word);
    ck_assert_uint_eq(sizeof(gcp_config), config_was + 8 * word);
}
END_TEST

START_TEST(test_profile)
{
    GUARDED(gcp_config) cfg;
    GUARDED(gcp_report) report;

    PREPARE(cfg);
    gcp_config_init(&cfg.v);
    CHECK_GUARD(cfg, "gcp_config_init");
    cfg.v.detailed_stats = 1;
    PREPARE(report);
    ck_assert_int_eq(gcp_profile("abi", drop_n, (void *)(uintptr_t)N_OBJECTS, &cfg.v, &report.v), 0);
    CHECK_GUARD(report, "gcp_profile's report");
    CHECK_GUARD(cfg, "gcp_profile's config");
    ck_assert_str_eq(report.v.function_name, "abi");
    ck_assert_int_eq(report.v.objects_allocated, N_OBJECTS);
    ck_assert_int_eq(report.v.gc_objects_collected, N_OBJECTS);
    ck_assert_int_eq(report.v.auto_gc, GCP_AUTO_GC_ALWAYS);
    ck_assert_int_eq(report.v.has_detailed_stats, 1);
}
END_TEST

START_TEST(test_batch_stride)
{
    static const size_t counts[3] = {100, 700, 300};
    gcp_task tasks[3] = {
        {.name = "first", .fn = drop_n, .env = (void *)(uintptr_t)100},
        {.name = "second", .fn = drop_n, .env = (void *)(uintptr_t)700},
        {.name = "third", .fn = drop_n, .env = (void *)(uintptr_t)300},
    };
    typedef gcp_report three_reports[3];
    GUARDED(three_reports) reports;

    PREPARE(reports);
    ck_assert_int_eq(gcp_profile_many(tasks, 3, NULL, reports.v), 0);
    CHECK_GUARD(reports, "gcp_profile_many's reports");
    for (int i = 0; i < 3; i++) {
        ck_assert_str_eq(reports.v[i].function_name, tasks[i].name);
        ck_assert_int_eq(reports.v[i].objects_allocated, counts[i]);
        ck_assert_int_eq(reports.v[i].gc_objects_collected, counts[i]);
    }
}
END_TEST

START_TEST(test_region)
{
    GUARDED(gcp_region) region;
    GUARDED(gcp_report) report;

    PREPARE(region);
    PREPARE(report);
    ck_assert_int_eq(gcp_profile_begin(&region.v, "region", NULL), 0);
    drop_n((void *)(uintptr_t)N_OBJECTS);
    ck_assert_int_eq(gcp_profile_end(&region.v, 0, &report.v), 0);
    CHECK_GUARD(region, "gcp_profile_begin/end's region");
    CHECK_GUARD(report, "gcp_profile_end's report");
    ck_assert_int_eq(report.v.gc_objects_collected, N_OBJECTS);
    ck_assert_int_eq(gcp_profile_end(&region.v, 0, &report.v), GCP_ESTATE); /* ended */
}
END_TEST

/* A site compiled into the caller (GCP_SITE_INIT): the library keeps its
 * counters inside it. */
START_TEST(test_site)
{
    static GUARDED(gcp_site) site = {GCP_SITE_INIT, {GUARD_WORD, GUARD_WORD, GUARD_WORD, GUARD_WORD}};
    int was = gcp_sites_track(1);
    for (int i = 0; i < 5; i++)
        sink = gcp_alloc_at(24, &site.v);
    sink = NULL;
    gcp_sites_track(was);
    CHECK_GUARD(site, "a site's counters");
    gcp_snapshot *snap = gcp_snapshot_take("abi");
    ck_assert_ptr_nonnull(snap);
    int found = 0;
    for (size_t i = 0; i < gcp_snapshot_count(snap); i++) {
        const gcp_site_stats *st = gcp_snapshot_site(snap, i);
        if (st->line == site.v.line && strcmp(st->file, site.v.file) == 0) {
            found = 1;
            ck_assert_int_eq(st->objects_allocated, 5);
        }
    }
    gcp_snapshot_free(snap);
    ck_assert(found);
}
END_TEST

START_TEST(test_filled_structs)
{
    GUARDED(gcp_heap_counters) counters;
    GUARDED(gcp_gc_decision) decision;
    GUARDED(gcp_leak_options) opt;
    GUARDED(gcp_leak_report) leak;
    GUARDED(gcp_live_counts) before, after;
    GUARDED(gcp_monitor_options) mon;
    GUARDED(gcp_metrics_options) met;

    drop_n((void *)(uintptr_t)10);
    PREPARE(counters);
    gcp_heap_counters_get(&counters.v);
    CHECK_GUARD(counters, "gcp_heap_counters_get");
    ck_assert_uint_ge(counters.v.objects_allocated, 10);
    PREPARE(decision);
    ck_assert_int_ge(gcp_gc_point(NULL, &decision.v), 0);
    CHECK_GUARD(decision, "gcp_gc_point's decision");
    PREPARE(opt);
    gcp_leak_options_init(&opt.v);
    CHECK_GUARD(opt, "gcp_leak_options_init");
    opt.v.iterations = 4;
    PREPARE(leak);
    ck_assert_int_eq(gcp_leak_check("abi", drop_n, (void *)(uintptr_t)10, &opt.v, &leak.v), 0);
    CHECK_GUARD(leak, "gcp_leak_check's report");
    ck_assert_uint_eq(leak.v.iterations, 4);
    ck_assert_int_eq(leak.v.has_leak, 0); /* drop_n keeps nothing */
    PREPARE(before);
    PREPARE(after);
    ck_assert_int_eq(gcp_live_growth(drop_n, (void *)(uintptr_t)10, &before.v, &after.v, NULL), 0);
    CHECK_GUARD(before, "gcp_live_growth's before");
    CHECK_GUARD(after, "gcp_live_growth's after");
    ck_assert_uint_eq(after.v.objects, before.v.objects);
    PREPARE(mon);
    ck_assert_int_eq(gcp_monitor_options_init(&mon.v), 0);
    CHECK_GUARD(mon, "gcp_monitor_options_init");
    PREPARE(met);
    ck_assert_int_eq(gcp_metrics_options_init(&met.v), 0);
    CHECK_GUARD(met, "gcp_metrics_options_init");
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("abi");
    TCase *tc = tcase_create("a later library");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_layout);
    tcase_add_test(tc, test_taken_words);
    tcase_add_test(tc, test_profile);
    tcase_add_test(tc, test_batch_stride);
    tcase_add_test(tc, test_region);
    tcase_add_test(tc, test_site);
    tcase_add_test(tc, test_filled_structs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(make_suite());
}
