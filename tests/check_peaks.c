/*
 * check_peaks.c - high-water marks and thresholds: RSS peaks against the
 * test's own VmRSS reads at the top of a spike, heap peaks against its
 * own reads of the heap in use at its largest (GC_get_heap_size() minus
 * GC_get_free_bytes(), taken inside the closure), explicit frees included.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <string.h>
#include <sys/mman.h>

#include "gcprof.h"
#include "testutil.h"

#define MIB (1024.0 * 1024.0)

static uint64_t own_heap_in_use(void)
{
    return (uint64_t)GC_get_heap_size() - (uint64_t)GC_get_free_bytes();
}

/* ---- peaks --------------------------------------------------------- */

typedef struct spike_job {
    size_t mib;
    uint64_t rss_top;  /* own VmRSS read at the top of the spike */
    uint64_t heap_top; /* own heap-in-use read at its largest */
} spike_job;

/* RSS rises by mib for a few milliseconds and falls again (munmap). */
static int rss_spike(void *env)
{
    spike_job *job = env;
    size_t n = job->mib << 20;
    char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED)
        return 1;
    memset(p, 1, n);
    job->rss_top = tu_rss_bytes();
    munmap(p, n);
    return 0;
}

START_TEST(test_peak_catches_short_spike)
{
    spike_job job = {100, 0, 0};
    gcp_config c = tu_config(GCP_AUTO_GC_OFF, 1);
    gcp_report r;

    ck_assert_int_eq(gcp_profile("spike", rss_spike, &job, &c, &r), 0);
    double own_top = (double)job.rss_top / MIB;
    ck_assert(r.track_peak);
    ck_assert_msg(r.peak_memory >= own_top - 0.5, "peak %.1f < own %.1f", r.peak_memory, own_top);
    ck_assert_msg(r.peak_memory <= own_top + 4, "peak %.1f >> own %.1f", r.peak_memory, own_top);
    ck_assert_msg(r.memory_after < own_top - 90, "RSS fell during the closure");
}
END_TEST

static int heap_spike(void *env)
{
    spike_job *job = env;

    job->heap_top = 0;
    for (size_t i = 0; i < job->mib * 16; i++) {
        tu_sink = gcp_alloc(64 * 1024 - 64);
        /* Read after each: an automatic collection may come in between
         * (on a larger heap the collector's trigger comes later or
         * sooner), and the top is just before it. */
        uint64_t in_use = own_heap_in_use();
        if (in_use > job->heap_top)
            job->heap_top = in_use;
    }
    tu_sink = NULL;
    gcp_collect(); /* heap in use falls again inside the closure */
    return 0;
}

START_TEST(test_peak_heap_is_high_water)
{
    spike_job job = {48, 0, 0};
    gcp_config c = tu_config(GCP_AUTO_GC_ALWAYS, 1);
    gcp_report r;

    ck_assert_int_eq(gcp_profile("heap-spike", heap_spike, &job, &c, &r), 0);
    ck_assert_uint_ge(r.peak_heap, job.heap_top);
    ck_assert_uint_le(r.peak_heap, job.heap_top + (1 << 20));
    /* The 48 MiB were dropped: whatever else is live (a pre-grown heap's
     * 32 MiB), more than half of them is gone. */
    ck_assert_uint_lt(r.heap_after, job.heap_top - (job.mib << 20) / 2);
}
END_TEST

/* Outer spikes 120 MiB, then runs an inner profile that spikes 40 MiB:
 * the inner reset must not hide the outer peak. */
static int outer_with_inner(void *env)
{
    spike_job *outer = env;
    spike_job inner = {40, 0, 0};
    gcp_config c = tu_config(GCP_AUTO_GC_OFF, 1);
    gcp_report *ir = GC_MALLOC_UNCOLLECTABLE(sizeof *ir);

    if (rss_spike(outer) != 0)
        return 1;
    ck_assert_int_eq(gcp_profile("inner", rss_spike, &inner, &c, ir), 0);
    ck_assert_int_eq(ir->depth, 1);
    ck_assert_msg(ir->peak_memory <= (double)outer->rss_top / MIB - 60,
                  "inner peak %.1f includes the outer spike %.1f", ir->peak_memory,
                  (double)outer->rss_top / MIB);
    ck_assert_msg(ir->peak_memory >= (double)inner.rss_top / MIB - 0.5, "inner peak missed");
    GC_FREE(ir);
    return 0;
}

START_TEST(test_nested_peaks_separate)
{
    spike_job job = {120, 0, 0};
    gcp_config c = tu_config(GCP_AUTO_GC_OFF, 1);
    gcp_report r;

    ck_assert_int_eq(gcp_profile("outer", outer_with_inner, &job, &c, &r), 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(r.depth, 0);
    ck_assert_msg(r.peak_memory >= (double)job.rss_top / MIB - 0.5, "outer peak %.1f lost (%.1f)",
                  r.peak_memory, (double)job.rss_top / MIB);
}
END_TEST

/* ---- thresholds: a spike above, with and without track_peak -------- */

/* A spike of mib MiB against a threshold margin_mb above the RSS at the
 * start: past it, the report says so and one warning names the profile and
 * threshold_mb; short of it, neither. */
static const struct {
    size_t mib;
    double margin_mb;
    const char *name;
    int exceeded;
} threshold_cases[] = {
    {80, 40, "over", 1},
    {10, 200, "under", 0},
};

START_TEST(test_threshold)
{
    spike_job job = {threshold_cases[_i].mib, 0, 0};
    const char *name = threshold_cases[_i].name;
    gcp_config c = tu_config(GCP_AUTO_GC_OFF, 1);
    gcp_report r;
    tu_log log;

    c.threshold_mb = (double)tu_rss_bytes() / MIB + threshold_cases[_i].margin_mb;
    tu_log_capture(&log);
    ck_assert_int_eq(gcp_profile(name, rss_spike, &job, &c, &r), 0);
    tu_log_restore();
    ck_assert_int_eq(r.exceeded_threshold, threshold_cases[_i].exceeded);
    ck_assert_int_eq(log.warnings, threshold_cases[_i].exceeded);
    if (threshold_cases[_i].exceeded) {
        ck_assert_ptr_nonnull(strstr(log.last, name));
        ck_assert_ptr_nonnull(strstr(log.last, "threshold_mb"));
    }
}
END_TEST

/* ---- explicit frees: the heap falls without a collection ----------- */

typedef struct free_job {
    size_t mib;
    int grow_by_realloc; /* 0: allocate and GC_FREE; 1: GC_REALLOC to twice */
    uint64_t heap_top;   /* own reading of the most that was in use at once */
} free_job;

static int alloc_and_free(void *env)
{
    free_job *job = env;
    size_t n = job->mib << 20;
    char *p = GC_MALLOC_ATOMIC(n);

    if (!p)
        return 1;
    memset(p, 1, n);
    if (!job->grow_by_realloc) {
        job->heap_top = own_heap_in_use();
        GC_FREE(p);
        return 0;
    }
    /* GC_REALLOC allocates the larger block, copies, frees the old one:
     * at the top both are in use, the old one already counted now. */
    uint64_t before = own_heap_in_use();
    char *q = GC_REALLOC(p, 2 * n);
    if (!q)
        return 1;
    job->heap_top = before + GC_size(q);
    tu_sink = q;
    tu_sink = NULL;
    return 0;
}

static void check_explicit_free(int auto_gc, int heap_only, int grow_by_realloc)
{
    free_job job = {64, grow_by_realloc, 0};
    gcp_config c = tu_config(auto_gc, 0);
    gcp_report r;

    c.heap_only = heap_only;
    ck_assert_int_eq(gcp_profile("explicit", alloc_and_free, &job, &c, &r), 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(r.notes & GCP_NOTE_EXPLICIT_FREES, "notes %#x", r.notes);
    /* Exact to the block: the collector counts the object's size, the heap
     * its whole 4 KiB blocks. */
    ck_assert_msg(r.peak_heap + 4096 > job.heap_top && r.peak_heap <= job.heap_top + 4096,
                  "peak_heap %llu, own %llu", (unsigned long long)r.peak_heap,
                  (unsigned long long)job.heap_top);
}

static const struct {
    int auto_gc, heap_only, grow_by_realloc;
} explicit_free_cases[] = {
    {GCP_AUTO_GC_ALWAYS, 0, 0}, /* GC_FREE */
    {GCP_AUTO_GC_OFF, 1, 0},    /* GC_FREE, heap_only and off: no hook */
    {GCP_AUTO_GC_ALWAYS, 0, 1}, /* GC_REALLOC to twice the size */
};

START_TEST(test_peak_heap_sees_explicit_frees)
{
    check_explicit_free(explicit_free_cases[_i].auto_gc, explicit_free_cases[_i].heap_only,
                        explicit_free_cases[_i].grow_by_realloc);
}
END_TEST

/* Freed again and again: the bound never passes the heap's own size,
 * which between collections only grows (read at the closure's end). */
static uint64_t rounds_heap_size, rounds_bound;
static int alloc_free_rounds(void *env)
{
    free_job *job = env;
    size_t n = job->mib << 20;
    uint64_t freed = 0;

    job->heap_top = 0;
    for (int i = 0; i < 10; i++) {
        char *p = GC_MALLOC_ATOMIC(n);
        if (!p)
            return 1;
        memset(p, 1, n);
        uint64_t in_use = own_heap_in_use();
        if (in_use > job->heap_top)
            job->heap_top = in_use;
        freed += GC_size(p);
        GC_FREE(p);
    }
    rounds_heap_size = GC_get_heap_size();
    /* The same bound by our own reads: in use now, plus what we freed,
     * plus a page for each object's rounding to whole blocks. */
    rounds_bound = own_heap_in_use() + freed + 10 * 4096;
    return 0;
}

START_TEST(test_peak_heap_bound_by_heap_size)
{
    free_job job = {64, 0, 0};
    gcp_config c = tu_config(GCP_AUTO_GC_ALWAYS, 0);
    gcp_report r;

    ck_assert_int_eq(gcp_profile("rounds", alloc_free_rounds, &job, &c, &r), 0);
    ck_assert(r.notes & GCP_NOTE_EXPLICIT_FREES);
    ck_assert_uint_ge(r.peak_heap, job.heap_top);
    /* Ten times 64 MiB were freed: the bound (in use + freed) would read
     * 640 MiB more than the top, but the heap never held more than its
     * size, which a heap grown only for this stays near (a large
     * GC_INITIAL_HEAP_SIZE makes that size, and the bound, larger). */
    ck_assert_msg(r.peak_heap <= rounds_heap_size, "peak_heap %llu, heap %llu",
                  (unsigned long long)r.peak_heap, (unsigned long long)rounds_heap_size);
    ck_assert_msg(r.peak_heap <= rounds_bound, "peak_heap %llu, own bound %llu",
                  (unsigned long long)r.peak_heap, (unsigned long long)rounds_bound);
}
END_TEST

/* A profile begun inside one that freed memory: the outer peak keeps
 * the frees made before the inner one reset the shared marks. */
static int free_then_nest(void *env)
{
    free_job *job = env;
    free_job inner = {1, 0, 0};
    gcp_config c = tu_config(GCP_AUTO_GC_OFF, 0);
    gcp_report *ir = GC_MALLOC_UNCOLLECTABLE(sizeof *ir);

    if (!ir || alloc_and_free(job) != 0)
        return 1;
    ck_assert_int_eq(gcp_profile("inner", alloc_and_free, &inner, &c, ir), 0);
    GC_FREE(ir);
    return 0;
}

START_TEST(test_nested_keeps_outer_frees)
{
    free_job job = {64, 0, 0};
    gcp_config c = tu_config(GCP_AUTO_GC_ALWAYS, 0);
    gcp_report r;

    ck_assert_int_eq(gcp_profile("outer", free_then_nest, &job, &c, &r), 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert(r.notes & GCP_NOTE_EXPLICIT_FREES);
    ck_assert_msg(r.peak_heap + 4096 > job.heap_top, "peak_heap %llu, own %llu",
                  (unsigned long long)r.peak_heap, (unsigned long long)job.heap_top);
}
END_TEST

START_TEST(test_no_explicit_free_no_note)
{
    spike_job job = {16, 0, 0};
    gcp_config c = tu_config(GCP_AUTO_GC_ALWAYS, 0);
    gcp_report r;

    ck_assert_int_eq(gcp_profile("heap-spike", heap_spike, &job, &c, &r), 0);
    ck_assert(!(r.notes & GCP_NOTE_EXPLICIT_FREES));
}
END_TEST

/* heap_only with auto_gc off and track_peak: the peak before a collection
 * inside the closure is seen (the hook reads it at the collection's start). */
START_TEST(test_heap_only_track_peak_reads_collections)
{
    spike_job job = {32, 0, 0};
    gcp_config c = tu_config(GCP_AUTO_GC_OFF, 1);
    gcp_report r;

    c.heap_only = 1;
    ck_assert_int_eq(gcp_profile("heap-only-peak", heap_spike, &job, &c, &r), 0);
    ck_assert_uint_ge(r.peak_heap, job.heap_top);
    ck_assert_uint_le(r.peak_heap, job.heap_top + (1 << 20));
    /* Without track_peak, the two ends only: the spike is not seen. */
    c.track_peak = 0;
    ck_assert_int_eq(gcp_profile("heap-only-ends", heap_spike, &job, &c, &r), 0);
    ck_assert_uint_lt(r.peak_heap, job.heap_top - (job.mib << 20) / 2);
}
END_TEST

/* A spike between the two ends goes above the threshold: seen without
 * track_peak too (a threshold tracks the kernel's high-water mark). */
START_TEST(test_threshold_spike_without_track_peak)
{
    for (int i = 0; i < 10; i++) {
        spike_job job = {100, 0, 0};
        gcp_config c = tu_config(GCP_AUTO_GC_OFF, 0);
        gcp_report r;
        tu_log log;

        c.threshold_mb = (double)tu_rss_bytes() / MIB + 50;
        tu_log_capture(&log);
        ck_assert_int_eq(gcp_profile("spike", rss_spike, &job, &c, &r), 0);
        tu_log_restore();
        ck_assert_msg((double)job.rss_top / MIB > c.threshold_mb, "own top %.1f",
                      (double)job.rss_top / MIB);
        ck_assert_msg(r.memory_after < c.threshold_mb, "the spike is over at the end");
        ck_assert_msg(r.exceeded_threshold, "run %d: peak %.1f, threshold %.1f", i, r.peak_memory,
                      c.threshold_mb);
        ck_assert(r.track_peak);
        ck_assert_msg(r.peak_memory >= (double)job.rss_top / MIB - 0.5, "peak %.1f < own %.1f",
                      r.peak_memory, (double)job.rss_top / MIB);
        ck_assert_int_eq(log.warnings, 1);
    }
}
END_TEST

static Suite *make_peaks_suite(void)
{
    Suite *s = suite_create("peaks");
    TCase *peaks = tcase_create("peaks");
    TCase *frees = tcase_create("explicit_frees");
    TCase *thresholds = tcase_create("thresholds");

    tcase_set_timeout(peaks, 60);
    tcase_set_timeout(thresholds, 60);
    tcase_add_test(peaks, test_peak_catches_short_spike);
    tcase_add_test(peaks, test_peak_heap_is_high_water);
    tcase_add_test(peaks, test_nested_peaks_separate);
    tcase_add_test(peaks, test_heap_only_track_peak_reads_collections);
    suite_add_tcase(s, peaks);

    tcase_add_loop_test(frees, test_peak_heap_sees_explicit_frees, 0, TU_ROWS(explicit_free_cases));
    tcase_add_test(frees, test_no_explicit_free_no_note);
    tcase_add_test(frees, test_peak_heap_bound_by_heap_size);
    tcase_add_test(frees, test_nested_keeps_outer_frees);
    suite_add_tcase(s, frees);

    tcase_add_loop_test(thresholds, test_threshold, 0, TU_ROWS(threshold_cases));
    tcase_add_test(thresholds, test_threshold_spike_without_track_peak);
    suite_add_tcase(s, thresholds);
    return s;
}

int main(void)
{
    return tu_run(make_peaks_suite());
}
