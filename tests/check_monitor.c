/*
 * check_monitor.c - the timeline monitor against independent readings:
 * collection records against GC_get_gc_no() and the test's own count of
 * the collections it asked for, pauses against the profiler's sums and
 * the application's own hook, markers and labels where they were made.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <glob.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gcprof.h"
#include "testutil.h"

/* ---- reading the file back ------------------------------------------ */

typedef struct lines {
    char **line;
    size_t n;
} lines;

static lines read_lines(const char *path)
{
    lines l = {NULL, 0};
    char buf[4096];
    FILE *fp = fopen(path, "r");

    ck_assert_ptr_nonnull(fp);
    while (fgets(buf, sizeof buf, fp)) {
        buf[strcspn(buf, "\n")] = '\0';
        l.line = realloc(l.line, (l.n + 1) * sizeof *l.line);
        l.line[l.n++] = strdup(buf);
    }
    fclose(fp);
    return l;
}

static void free_lines(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->line[i]);
    free(l->line);
}

static size_t count_prefix(const lines *l, const char *prefix)
{
    size_t n = 0;

    for (size_t i = 0; i < l->n; i++)
        n += strncmp(l->line[i], prefix, strlen(prefix)) == 0;
    return n;
}

/* Index of the first line starting with prefix (and containing what, if
 * not NULL), or -1. */
static long find(const lines *l, const char *prefix, const char *what)
{
    for (size_t i = 0; i < l->n; i++)
        if (strncmp(l->line[i], prefix, strlen(prefix)) == 0 && (!what || strstr(l->line[i], what)))
            return (long)i;
    return -1;
}

static char path[64];

static void make_path(void)
{
    snprintf(path, sizeof path, "/tmp/gcprof-monitor-%d.dat", (int)getpid());
}

static void remove_path(void)
{
    unlink(path);
}

static gcp_monitor_options options(void)
{
    gcp_monitor_options o;

    ck_assert_int_eq(gcp_monitor_options_init(&o), 0);
    o.path = path;
    return o;
}

static void churn(size_t objects)
{
    for (size_t i = 0; i < objects; i++)
        tu_sink = gcp_alloc(64);
    tu_sink = NULL;
}

/* ---- records ---------------------------------------------------------- */

START_TEST(test_file_shape)
{
    gcp_monitor_options o = options();
    struct timespec wait = {0, 60 * 1000 * 1000};

    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    ck_assert(gcp_monitor_running());
    nanosleep(&wait, NULL);
    ck_assert_int_eq(gcp_monitor_stop(), 0);
    ck_assert(!gcp_monitor_running());

    lines l = read_lines(path);
    ck_assert_int_eq(find(&l, "CMDLINE ", NULL), 0);
    ck_assert_int_eq(find(&l, "GCPROF_META 2 ", NULL), 1);
    /* 60 ms at 10 ms: about six samples, each MEM with a heap line. */
    ck_assert_uint_ge(count_prefix(&l, "MEM "), 3);
    ck_assert_uint_eq(count_prefix(&l, "MEM "), count_prefix(&l, "GCPROF_HEAP "));
    ck_assert_int_eq(find(&l, "GCPROF_END ", NULL), (long)l.n - 1);
    for (size_t i = 0; i < l.n; i++)
        ck_assert_ptr_nonnull(strchr(l.line[i], ' ')); /* mprof splits every line */
    free_lines(&l);
}
END_TEST

START_TEST(test_collections_recorded)
{
    gcp_monitor_options o = options();
    int asked = 4;

    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    uint64_t gc_before = GC_get_gc_no();
    for (int i = 0; i < asked; i++) {
        churn(2000);
        gcp_collect();
    }
    /* Garbage until the collector runs on its own too (how much that takes
     * depends on the heap: GC_INITIAL_HEAP_SIZE), at most ~6 GiB. */
    uint64_t gc_auto = GC_get_gc_no();
    for (int i = 0; i < 250 && GC_get_gc_no() == gc_auto; i++)
        churn(400000);
    uint64_t gc_delta = GC_get_gc_no() - gc_before;
    ck_assert_int_eq(gcp_monitor_stop(), 0);

    lines l = read_lines(path);
    size_t forced = 0;
    for (size_t i = 0; i < l.n; i++) {
        int flag; /* the 9th field */
        if (sscanf(l.line[i], "GCPROF_GC %*s %*s %*s %*s %*s %*s %*s %*s %d", &flag) == 1)
            forced += flag == 1;
    }
    ck_assert_uint_eq(count_prefix(&l, "GCPROF_GC "), gc_delta);
    ck_assert_uint_gt(gc_delta, (uint64_t)asked);
    ck_assert_uint_eq(forced, (size_t)asked);
    free_lines(&l);
}
END_TEST

/* The program's own GC_gcollect, GC_gcollect_and_unmap and
 * GC_try_to_collect, among collections the collector starts in allocation:
 * exactly the asked-for ones are forced, in the records and in the trace.
 * The test knows which they are: gc_no right after each of its calls. */
static int GC_CALLBACK never_stop(void)
{
    return 0;
}

static void garbage(size_t bytes) /* plain GC_MALLOC: the collector runs on its own */
{
    for (size_t i = 0; i < bytes / 256; i++)
        tu_sink = GC_MALLOC(256);
    tu_sink = NULL;
}

START_TEST(test_program_collections_forced)
{
    gcp_monitor_options o = options();
    FILE *trace = tmpfile();
    unsigned long long asked[16];
    int nasked = 0;

    o.trace = 1;
    o.trace_fp = trace;
    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    uint64_t gc_before = GC_get_gc_no();
    for (int round = 0; round < 4; round++) {
        garbage((size_t)8 << 20);
        uint64_t before = GC_get_gc_no();
        if (round % 3 == 0)
            GC_gcollect();
        else if (round % 3 == 1)
            GC_gcollect_and_unmap();
        else
            ck_assert_int_eq(GC_try_to_collect(never_stop), 1);
        ck_assert_uint_eq(GC_get_gc_no(), before + 1); /* one collection per call */
        asked[nasked++] = (unsigned long long)GC_get_gc_no();
    }
    /* Until the collector runs on its own (the heap's size decides when),
     * at most ~4 GiB. */
    uint64_t gc_auto = GC_get_gc_no();
    for (int i = 0; i < 512 && GC_get_gc_no() == gc_auto; i++)
        garbage((size_t)8 << 20);
    uint64_t gc_delta = GC_get_gc_no() - gc_before;
    ck_assert_int_eq(gcp_monitor_stop(), 0);
    ck_assert_uint_gt(gc_delta, (uint64_t)nasked); /* automatic ones too */

    lines l = read_lines(path);
    size_t records = 0, forced_records = 0;
    for (size_t i = 0; i < l.n; i++) {
        unsigned long long gc_no, before, after;
        double t, pause, mark, reclaim, total;
        int forced, was_asked = 0;
        if (sscanf(l.line[i], "GCPROF_GC %llu %lf %lf %lf %lf %lf %llu %llu %d", &gc_no, &t, &pause,
                   &mark, &reclaim, &total, &before, &after, &forced) != 9)
            continue;
        for (int k = 0; k < nasked; k++)
            was_asked |= asked[k] == gc_no;
        ck_assert_msg(forced == was_asked, "%s: asked for: %d", l.line[i], was_asked);
        records++;
        forced_records += forced;
    }
    free_lines(&l);
    ck_assert_uint_eq(records, gc_delta);
    ck_assert_uint_eq(forced_records, (size_t)nasked);

    char line[256];
    size_t trace_forced = 0;
    rewind(trace);
    while (fgets(line, sizeof line, trace)) {
        unsigned long long gc_no;
        int was_asked = 0;
        ck_assert_int_eq(sscanf(line, "gc %llu ", &gc_no), 1);
        for (int k = 0; k < nasked; k++)
            was_asked |= asked[k] == gc_no;
        ck_assert_msg((strstr(line, " (forced)\n") != NULL) == was_asked, "%s", line);
        trace_forced += was_asked;
    }
    ck_assert_uint_eq(trace_forced, (size_t)nasked);
    fclose(trace);
}
END_TEST

/* The values in the records against the test's own readings: RSS (VmRSS,
 * another file and parser), the heap in use after a collection, the heap
 * size, and the monitor's own counts. */
START_TEST(test_values_match_own_readings)
{
    gcp_monitor_options o = options();
    struct timespec wait = {0, 80 * 1000 * 1000};
    size_t n = (size_t)48 << 20;
    uint64_t recorded0, dropped0;

    gcp_monitor_counts(&recorded0, &dropped0); /* totals since start */
    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    char *block = gcp_alloc_atomic(n); /* RSS held high for several samples */
    memset(block, 1, n);
    tu_sink = block;
    nanosleep(&wait, NULL);
    double own_rss = (double)tu_rss_bytes() / 1048576.0;
    tu_sink = NULL;
    gcp_collect();
    uint64_t own_heap_after = (uint64_t)GC_get_heap_size() - (uint64_t)GC_get_free_bytes();
    uint64_t own_gc_no = GC_get_gc_no();
    ck_assert_int_eq(gcp_monitor_stop(), 0);
    uint64_t own_heap_size = (uint64_t)GC_get_heap_size();

    lines l = read_lines(path);
    double mem_max = 0;
    unsigned long long last_heap_size = 0, gc_no = 0, heap_after = 0, last_gc = 0;
    for (size_t i = 0; i < l.n; i++) {
        double mib, t;
        unsigned long long size, free_b, unmapped, no, allocated, before, after;
        double pause, mark, reclaim, total;
        int forced;
        if (sscanf(l.line[i], "MEM %lf %lf", &mib, &t) == 2 && mib > mem_max)
            mem_max = mib;
        if (sscanf(l.line[i], "GCPROF_HEAP %lf %llu %llu %llu %llu %llu", &t, &size, &free_b,
                   &unmapped, &no, &allocated) == 6)
            last_heap_size = size;
        if (sscanf(l.line[i], "GCPROF_GC %llu %lf %lf %lf %lf %lf %llu %llu %d", &gc_no, &t, &pause,
                   &mark, &reclaim, &total, &before, &after, &forced) == 9 &&
            gc_no > last_gc) {
            last_gc = gc_no;
            heap_after = after;
        }
    }
    /* Samples came while the block was held: the highest is the held RSS. */
    ck_assert_msg(fabs(mem_max - own_rss) < 2.0, "MEM max %.1f MiB, own VmRSS %.1f MiB", mem_max,
                  own_rss);
    ck_assert_uint_eq(last_gc, own_gc_no);
    ck_assert_uint_eq(heap_after, own_heap_after);
    ck_assert_uint_eq(last_heap_size, own_heap_size);
    uint64_t recorded, dropped;
    gcp_monitor_counts(&recorded, &dropped);
    ck_assert_uint_eq(recorded - recorded0, count_prefix(&l, "GCPROF_GC "));
    ck_assert_uint_eq(dropped - dropped0, 0);
    free_lines(&l);
}
END_TEST

/* Pauses: the monitor's records against the profiler's own sums. */
static int collect_three(void *env)
{
    uint64_t *gc_delta = env, before = GC_get_gc_no();

    for (int i = 0; i < 3; i++) {
        churn(5000); /* the collector may also run on its own */
        gcp_collect();
    }
    *gc_delta = GC_get_gc_no() - before;
    return 0;
}

START_TEST(test_pauses_match_profiler)
{
    gcp_monitor_options o = options();
    gcp_config c;
    gcp_report r;

    gcp_config_init(&c);
    uint64_t gc_delta = 0;
    c.auto_gc = GCP_AUTO_GC_OFF; /* only the closure's collections */
    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    ck_assert_int_eq(gcp_profile("three", collect_three, &gc_delta, &c, &r), 0);
    ck_assert_int_eq(gcp_monitor_stop(), 0);

    lines l = read_lines(path);
    double pause_ms = 0, total_ms = 0;
    size_t n = 0, n_forced = 0;
    for (size_t i = 0; i < l.n; i++) {
        unsigned long long gc_no, before, after;
        double t, pause, mark, reclaim, total;
        int forced;
        if (sscanf(l.line[i], "GCPROF_GC %llu %lf %lf %lf %lf %lf %llu %llu %d", &gc_no, &t, &pause,
                   &mark, &reclaim, &total, &before, &after, &forced) == 9) {
            pause_ms += pause;
            total_ms += total;
            n_forced += forced;
            n++;
        }
    }
    ck_assert_uint_eq(n, gc_delta);
    ck_assert_uint_eq(r.gc_count, gc_delta);
    ck_assert_uint_eq(n_forced, 3);
    /* Same events, read microseconds apart; the file rounds to 1 us. */
    ck_assert_msg(fabs(pause_ms / 1e3 - r.gc_pause_total) < 0.05 * r.gc_pause_total + 20e-6,
                  "monitor %.6f s, profiler %.6f s", pause_ms / 1e3, r.gc_pause_total);
    ck_assert_msg(fabs(total_ms / 1e3 - r.gc_time) < 0.05 * r.gc_time + 20e-6,
                  "monitor %.6f s, profiler %.6f s", total_ms / 1e3, r.gc_time);
    free_lines(&l);
}
END_TEST

/* ---- markers and labels ----------------------------------------------- */

static int labelled_inner(void *env)
{
    (void)env;
    churn(100);
    return gcp_monitor_label("inside the inner one");
}

static int labelled_outer(void *env)
{
    gcp_config c;
    gcp_report r;

    (void)env;
    gcp_config_init(&c);
    ck_assert_int_eq(gcp_monitor_label("before the inner one"), 0);
    ck_assert_int_eq(gcp_profile("inner job", labelled_inner, NULL, &c, &r), 0);
    return r.status;
}

START_TEST(test_markers_and_labels_in_place)
{
    gcp_monitor_options o = options();
    gcp_config c;
    gcp_report r;

    gcp_config_init(&c);
    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    ck_assert_int_eq(gcp_profile("outer", labelled_outer, NULL, &c, &r), 0);
    ck_assert_int_eq(gcp_monitor_stop(), 0);

    lines l = read_lines(path);
    long enter_outer = find(&l, "GCPROF_ENTER ", " 0 ");
    long label1 = find(&l, "GCPROF_LABEL ", "before the inner one");
    long enter_inner = find(&l, "GCPROF_ENTER ", "inner job");
    long label2 = find(&l, "GCPROF_LABEL ", "inside the inner one");
    long exit_inner = find(&l, "FUNC inner_job ", NULL); /* mprof: no spaces */
    long exit_outer = find(&l, "FUNC outer ", NULL);
    ck_assert(enter_outer >= 0 && enter_outer < label1);
    ck_assert(label1 < enter_inner && enter_inner < label2);
    ck_assert(label2 < exit_inner && exit_inner < exit_outer);
    ck_assert_ptr_nonnull(strstr(l.line[enter_inner], " 1 ")); /* its level */
    ck_assert(l.line[exit_inner][strlen(l.line[exit_inner]) - 1] == '1');
    ck_assert(l.line[exit_outer][strlen(l.line[exit_outer]) - 1] == '0');
    free_lines(&l);
}
END_TEST

START_TEST(test_jsonl_records)
{
    gcp_monitor_options o = options();

    o.format = GCP_MONITOR_JSONL;
    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    gcp_collect();
    ck_assert_int_eq(gcp_monitor_label("a \"quoted\" label"), 0);
    ck_assert_int_eq(gcp_monitor_stop(), 0);

    lines l = read_lines(path);
    ck_assert_int_eq(find(&l, "{\"type\":\"meta\"", NULL), 0);
    ck_assert_int_ge(find(&l, "{\"type\":\"gc\"", "\"forced\":true"), 0);
    ck_assert_int_ge(find(&l, "{\"type\":\"label\"", "a \\\"quoted\\\" label"), 0);
    ck_assert_int_ge(find(&l, "{\"type\":\"sample\"", "\"rss\":"), 0);
    ck_assert_int_eq(find(&l, "{\"type\":\"end\"", NULL), (long)l.n - 1);
    for (size_t i = 0; i < l.n; i++)
        ck_assert(l.line[i][0] == '{' && l.line[i][strlen(l.line[i]) - 1] == '}');
    free_lines(&l);
}
END_TEST

START_TEST(test_trace_lines)
{
    gcp_monitor_options o = options();
    FILE *trace = tmpfile();
    char line[256];
    int forced = 0, lines_seen = 0;

    o.path = NULL;
    o.trace = 1;
    o.trace_fp = trace;
    struct timespec t0, t1;
    clock_gettime(CLOCK_REALTIME, &t0);
    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    uint64_t gc_before = GC_get_gc_no();
    gcp_collect();
    gcp_collect();
    ck_assert_int_eq(gcp_monitor_stop(), 0);
    clock_gettime(CLOCK_REALTIME, &t1);
    double elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* the heap's size at each collection's end, in Go's MB (2^20 bytes) */
    unsigned long long heap_mib = (unsigned long long)(GC_get_heap_size() >> 20);
    rewind(trace);
    while (fgets(line, sizeof line, trace)) {
        unsigned long long n, heap;
        double at;
        ck_assert_int_eq(sscanf(line, "gc %llu @%lfs", &n, &at), 2);
        /* Its number and time against the test's own readings. */
        ck_assert_uint_eq(n, gc_before + 1 + (unsigned long long)lines_seen);
        ck_assert_msg(at >= 0 && at <= elapsed + 0.0005, /* printed to 1 ms */
                      "at %f elapsed %f: %s", at, elapsed, line);
        ck_assert_ptr_nonnull(strstr(line, " ms clock, "));
        const char *g = strstr(line, " MB, ");
        ck_assert_ptr_nonnull(g);
        char word[8] = "";
        ck_assert_int_eq(sscanf(g, " MB, %llu MB %7[a-z], ", &heap, word), 2);
        ck_assert_str_eq(word, "heap");
        ck_assert_uint_eq(heap, heap_mib);
        forced += strstr(line, "(forced)") != NULL;
        lines_seen++;
    }
    ck_assert_int_eq(lines_seen, 2);
    ck_assert_int_eq(forced, 2);
    fclose(trace);
}
END_TEST

/* The trace's share of time in collections, against the figures it comes
 * from (the records' totals over the time since the monitor started) and
 * the test's own clock. A long interval makes one drain pop them all at
 * the end, long after they ended; a burst of back-to-back collections
 * after a quiet start is where a share taken at drain time went past 100%. */
static double mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_trace_share_is_of_wall_time)
{
    gcp_monitor_options o = options();
    struct timespec quiet = {0, 20 * 1000 * 1000}, gap = {0, 5 * 1000 * 1000};
    FILE *trace = tmpfile();
    void **keep = GC_MALLOC(20000 * sizeof *keep);
    char line[256];

    for (size_t i = 0; i < 20000; i++) /* a live heap: collections take a while */
        keep[i] = GC_MALLOC(200);
    o.interval = 5.0;
    o.trace = 1;
    o.trace_fp = trace;
    double t0 = mono_now();
    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    nanosleep(&quiet, NULL);
    for (int i = 0; i < 30; i++)
        GC_gcollect();
    for (int i = 0; i < 5; i++) {
        nanosleep(&gap, NULL);
        GC_gcollect();
    }
    ck_assert_int_eq(gcp_monitor_stop(), 0);
    double own_elapsed = mono_now() - t0;
    tu_sink = keep;

    lines l = read_lines(path);
    long meta = find(&l, "GCPROF_META ", NULL);
    double start = 0, gc_sum = 0, pause_sum = 0, share[64];
    int pid, n = 0;
    ck_assert_int_ge(meta, 0);
    ck_assert_int_eq(sscanf(l.line[meta], "GCPROF_META 2 %d %lf", &pid, &start), 2);
    for (size_t i = 0; i < l.n && n < 64; i++) {
        unsigned long long gc_no, before, after;
        double t, pause, mark, reclaim, total;
        int forced;
        if (sscanf(l.line[i], "GCPROF_GC %llu %lf %lf %lf %lf %lf %llu %llu %d", &gc_no, &t, &pause,
                   &mark, &reclaim, &total, &before, &after, &forced) != 9)
            continue;
        gc_sum += total / 1e3;
        pause_sum += pause / 1e3;
        share[n++] = gc_sum / (t + total / 1e3 - start); /* its figures' own ratio */
    }
    free_lines(&l);
    ck_assert_int_ge(n, 35);
    ck_assert_msg(gc_sum <= own_elapsed, "%.6f s in collections in %.6f s", gc_sum, own_elapsed);
    ck_assert(pause_sum <= gc_sum + 1e-5);

    rewind(trace);
    int k = 0, pct = -1;
    while (fgets(line, sizeof line, trace)) {
        unsigned long long gc_no;
        double at;
        ck_assert_int_eq(sscanf(line, "gc %llu @%lfs %d%%:", &gc_no, &at, &pct), 3);
        ck_assert_msg(pct >= 0 && pct <= 100, "%s", line);
        ck_assert_int_lt(k, n);
        /* The start time is written to 0.1 ms, the totals to 1 us. */
        double want = 100 * share[k], slack = 1 + want * 0.01;
        ck_assert_msg(fabs(pct - want) <= slack, "line %d: %d%%, its figures give %.2f%%: %s", k,
                      pct, want, line);
        k++;
    }
    ck_assert_int_eq(k, n);
    /* The last share is at least the whole run's, on the test's clock. */
    ck_assert_msg(pct + 1 >= 100 * gc_sum / own_elapsed, "last %d%%, own %.2f%%", pct,
                  100 * gc_sum / own_elapsed);
    fclose(trace);
}
END_TEST

/* ---- hooks and crashes ------------------------------------------------- */

static int app_events;
static void GC_CALLBACK app_hook(GC_EventType e)
{
    app_events += e == GC_EVENT_END;
}

START_TEST(test_hook_chained_and_restored)
{
    gcp_monitor_options o = options();

    ck_assert(GC_get_on_collection_event() == NULL);
    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    ck_assert_int_eq(gcp_monitor_stop(), 0);
    ck_assert(GC_get_on_collection_event() == NULL);

    GC_set_on_collection_event(app_hook);
    app_events = 0;
    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    gcp_collect();
    gcp_collect();
    ck_assert_int_eq(gcp_monitor_stop(), 0);
    ck_assert(GC_get_on_collection_event() == app_hook);
    ck_assert_int_eq(app_events, 2);
    GC_set_on_collection_event(NULL);
}
END_TEST

/* The file a monitor is writing: PATH.tmp.XXXXXX beside PATH until it
 * stops (malloc'd), or NULL while there is none or more than one. */
static char *temp_file_of(const char *target)
{
    char pattern[128];
    glob_t g;
    char *found = NULL;

    snprintf(pattern, sizeof pattern, "%s.tmp.??????", target);
    if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc == 1)
        found = strdup(g.gl_pathv[0]);
    globfree(&g);
    return found;
}

/* MEM lines in the file so far; 0 while it does not exist yet. */
static size_t mem_lines_now(const char *file)
{
    char buf[4096];
    size_t n = 0;
    FILE *fp = file ? fopen(file, "r") : NULL;

    if (!fp)
        return 0;
    while (fgets(buf, sizeof buf, fp))
        n += strncmp(buf, "MEM ", 4) == 0;
    fclose(fp);
    return n;
}

/* A killed program loses at most its last interval: the file is flushed
 * every interval and, having no end record, reads as cut short. It keeps
 * its temporary name (the target is replaced only by a clean stop). */
START_TEST(test_killed_program_keeps_timeline)
{
    pid_t child = fork();
    char *tmp = NULL;

    ck_assert_int_ne(child, -1);
    if (child == 0) {
        gcp_monitor_options o = options();
        if (gcp_monitor_start(&o) != 0)
            _exit(2);
        for (;;)
            churn(1000);
    }
    /* Five samples take about 150 ms, far longer under valgrind or a
     * loaded machine: wait for them (30 s at most), then kill. */
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 3000 && mem_lines_now(tmp) < 5; i++) {
        nanosleep(&tick, NULL);
        if (!tmp)
            tmp = temp_file_of(path);
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);

    ck_assert_ptr_nonnull(tmp);
    ck_assert_int_ne(access(path, F_OK), 0); /* never renamed: no clean stop */
    lines l = read_lines(tmp);
    ck_assert_uint_ge(count_prefix(&l, "MEM "), 5);
    ck_assert_int_eq(find(&l, "GCPROF_END", NULL), -1);
    free_lines(&l);
    unlink(tmp);
    free(tmp);
}
END_TEST

/* ---- errors ------------------------------------------------------------ */

START_TEST(test_bad_options)
{
    gcp_monitor_options o = options();
    /* 1e-9 was a busy loop writing 33 MB/s: the floor is gcprof run's 1 ms
     * (0 is the default). */
    const double bad[] = {-1, NAN, INFINITY, 1e9, 1e-9, 0.0009};

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.interval = bad[i];
        ck_assert_int_eq(gcp_monitor_start(&o), GCP_EINVAL);
        ck_assert_ptr_nonnull(strstr(gcp_last_error(), "interval"));
    }
    o = options();
    o.reserved_[3] = 1;
    ck_assert_int_eq(gcp_monitor_start(&o), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "reserved_"));
    o = options();
    o.path = NULL;
    ck_assert_int_eq(gcp_monitor_start(&o), GCP_EINVAL);
    o.path = "/nonexistent-dir/timeline.dat";
    ck_assert_int_eq(gcp_monitor_start(&o), GCP_EIO);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "/nonexistent-dir/timeline.dat"));
    ck_assert(!gcp_monitor_running());
    ck_assert_int_eq(gcp_monitor_start(NULL), GCP_EINVAL);
    o = options();
    o.interval = 0.001;
    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    ck_assert_int_eq(gcp_monitor_stop(), 0);
}
END_TEST

/* ---- the file ---------------------------------------------------------- */

static void write_text(const char *file, const char *text)
{
    FILE *fp = fopen(file, "w");

    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    ck_assert_int_eq(fclose(fp), 0);
}

static int has_text(const char *file, const char *text)
{
    char buf[256] = "";
    FILE *fp = fopen(file, "r");

    if (!fp)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return strcmp(buf, text) == 0;
}

/* A symlink planted at the path is replaced, never written through; the
 * file appears whole at stop, with mode 0644 & ~umask even under umask 0. */
START_TEST(test_link_replaced_not_followed)
{
    char victim[80];
    struct stat st;
    gcp_monitor_options o = options();

    snprintf(victim, sizeof victim, "%s.victim", path);
    write_text(victim, "precious\n");
    ck_assert_int_eq(symlink(victim, path), 0);
    mode_t old = umask(0);
    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    umask(old);
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISLNK(st.st_mode)); /* untouched until the stop */
    ck_assert_int_eq(gcp_monitor_stop(), 0);

    ck_assert(has_text(victim, "precious\n"));
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(st.st_mode & 07777, 0644);
    lines l = read_lines(path);
    ck_assert_int_eq(find(&l, "GCPROF_END ", NULL), (long)l.n - 1);
    free_lines(&l);
    char *left = temp_file_of(path);
    ck_assert_ptr_null(left);
    unlink(victim);
}
END_TEST

/* Directories, FIFOs and links into /proc are no place for a new file. */
START_TEST(test_unsuitable_targets_refused)
{
    gcp_monitor_options o = options();
    const char *bad[] = {"/tmp", "/dev/null", "/dev/stdout"};

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.path = bad[i];
        ck_assert_int_eq(gcp_monitor_start(&o), GCP_EIO);
        ck_assert_ptr_nonnull(strstr(gcp_last_error(), bad[i]));
        ck_assert(!gcp_monitor_running());
    }
}
END_TEST

START_TEST(test_out_of_order_calls)
{
    gcp_monitor_options o = options();

    ck_assert_int_eq(gcp_monitor_stop(), GCP_ESTATE);
    ck_assert_int_eq(gcp_monitor_label("nobody listens"), GCP_ESTATE);
    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    ck_assert_int_eq(gcp_monitor_start(&o), GCP_ESTATE);
    ck_assert_int_eq(gcp_monitor_label(NULL), GCP_EINVAL);
    ck_assert_int_eq(gcp_monitor_stop(), 0);
    ck_assert_int_eq(gcp_monitor_stop(), GCP_ESTATE);
}
END_TEST

START_TEST(test_options_from_environment)
{
    gcp_monitor_options o;

    setenv("GCPROF_MONITOR_INTERVAL", "0.25", 1);
    setenv("GCPROF_MONITOR_FORMAT", "jsonl", 1);
    setenv("GCPROF_MONITOR_OUT", "/tmp/x.jsonl", 1);
    ck_assert_int_eq(gcp_monitor_options_init_env(&o), 0);
    ck_assert_double_eq(o.interval, 0.25);
    ck_assert_int_eq(o.format, GCP_MONITOR_JSONL);
    ck_assert_str_eq(o.path, "/tmp/x.jsonl");
    setenv("GCPROF_MONITOR_INTERVAL", "soon", 1);
    ck_assert_int_eq(gcp_monitor_options_init_env(&o), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "GCPROF_MONITOR_INTERVAL"));
    setenv("GCPROF_MONITOR_INTERVAL", "0.25", 1);
    setenv("GCPROF_MONITOR_FORMAT", "xml", 1);
    ck_assert_int_eq(gcp_monitor_options_init_env(&o), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "GCPROF_MONITOR_FORMAT"));
    ck_assert_ptr_null(o.path); /* the defaults after a bad variable */
    ck_assert_int_eq(o.format, GCP_MONITOR_DAT);
    /* plain _init is the built-in defaults, whatever the environment */
    setenv("GCPROF_MONITOR_FORMAT", "jsonl", 1);
    ck_assert_int_eq(gcp_monitor_options_init(&o), 0);
    ck_assert_ptr_null(o.path);
    ck_assert_int_eq(o.format, GCP_MONITOR_DAT);
    /* CK_FORK=no (scripts/check-valgrind.sh) runs the later tests in this
     * process: leave no setting behind */
    unsetenv("GCPROF_MONITOR_INTERVAL");
    unsetenv("GCPROF_MONITOR_FORMAT");
    unsetenv("GCPROF_MONITOR_OUT");
}
END_TEST

static Suite *make_monitor_suite(void)
{
    Suite *s = suite_create("monitor");
    TCase *records = tcase_create("records");
    TCase *errors = tcase_create("errors");

    tcase_add_checked_fixture(records, make_path, remove_path);
    tcase_set_timeout(records, 30);
    tcase_add_test(records, test_file_shape);
    tcase_add_test(records, test_collections_recorded);
    tcase_add_test(records, test_program_collections_forced);
    tcase_add_test(records, test_pauses_match_profiler);
    tcase_add_test(records, test_values_match_own_readings);
    tcase_add_test(records, test_markers_and_labels_in_place);
    tcase_add_test(records, test_jsonl_records);
    tcase_add_test(records, test_trace_lines);
    tcase_add_test(records, test_trace_share_is_of_wall_time);
    tcase_add_test(records, test_hook_chained_and_restored);
    tcase_add_test(records, test_killed_program_keeps_timeline);
    suite_add_tcase(s, records);

    tcase_add_checked_fixture(errors, make_path, remove_path);
    tcase_add_test(errors, test_bad_options);
    tcase_add_test(errors, test_out_of_order_calls);
    tcase_add_test(errors, test_options_from_environment);
    tcase_add_test(errors, test_link_replaced_not_followed);
    tcase_add_test(errors, test_unsuitable_targets_refused);
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    return tu_run(make_monitor_suite());
}
