/*
 * check_usage.c - gcp_memory_usage against the test's own measurements:
 * the collector's sizes of the objects a closure holds (GC_size), the
 * test's own /proc/self/statm reads and the kernel's RSS high-water mark,
 * and what the closure knows it did (forked, returned). Nothing here
 * depends on how many samples a second the sampler manages: a closure
 * that needs a sample taken while it holds memory waits for the sampler's
 * reading counter (white-box, usage.h) to move on.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gcprof.h"
#include "json_flat.h"
#include "testutil.h"
#include "usage.h"

#define MIB           ((uint64_t)1 << 20)
#define N_HELD        48 /* objects of 1 MiB a closure holds */
#define RSS_SLACK     MIB /* what RSS may move by around our reads: stacks, malloc */
#define WAIT_LIMIT_NS (120ull * 1000000000ull)

/* Not static: stores to it are real (BDWGC-NOTES). */
void *held[N_HELD];

/* ---- the test's own measurements --------------------------------------- */

/* RSS from /proc/self/statm, read and parsed here (stdio, not the
 * library's kept-open descriptor). */
static uint64_t statm_rss(void)
{
    unsigned long size = 0, resident = 0;
    FILE *fp = fopen("/proc/self/statm", "r");

    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(fscanf(fp, "%lu %lu", &size, &resident), 2);
    fclose(fp);
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Until the sampler threads have taken k more readings: then at least one
 * whole reading happened after the call. 0, or -1 after two minutes (a
 * sampler that never samples: the caller fails). */
static int wait_readings(uint64_t k)
{
    uint64_t until = gcp__usage_sampler_readings() + k, start = now_ns();
    struct timespec pause = {0, 500000};

    while (gcp__usage_sampler_readings() < until) {
        if (now_ns() - start > WAIT_LIMIT_NS)
            return -1;
        nanosleep(&pause, NULL);
    }
    return 0;
}

static gcp_usage_sample sample(const gcp_usage *u, size_t i)
{
    gcp_usage_sample s;

    ck_assert_int_eq(gcp_usage_get(u, i, &s), 0);
    return s;
}

/* Times start at 0 and never go back; every sample is sane. */
static void assert_samples_sane(const gcp_usage *u)
{
    size_t n = gcp_usage_count(u);

    ck_assert_uint_ge(n, 2);
    ck_assert_uint_ge(gcp_usage_readings(u), n);
    gcp_usage_sample prev = sample(u, 0);
    ck_assert(prev.t == 0);
    for (size_t i = 0; i < n; i++) {
        gcp_usage_sample s = sample(u, i);
        ck_assert_msg(s.t >= prev.t, "sample %zu at %.9f s, before %.9f s", i, s.t, prev.t);
        ck_assert_uint_ge(s.heap_size, s.heap_in_use);
        ck_assert_uint_le(s.heap_in_use, gcp_usage_max_heap(u));
        ck_assert_uint_le(s.rss, gcp_usage_max_rss(u));
        ck_assert_int_eq(s.has_rss, s.rss != 0);
        for (int w = 0; w < 4; w++)
            ck_assert_uint_eq(s.reserved_[w], 0);
        prev = s;
    }
}

static void setup(void)
{
    gcp_init();
}

/* ---- closures -------------------------------------------------------- */

typedef struct hold_env {
    uint64_t held_bytes;            /* sum of GC_size of what it held */
    uint64_t rss_entry;             /* statm at entry */
    uint64_t rss_held, rss_dropped; /* statm once all is held and touched, before the drop */
    uint64_t waits_after;           /* readings waited for while holding */
    int waited;                     /* 0, or -1: no reading came */
} hold_env;

/* Holds N_HELD MiB (touched, so RSS holds it too) with collection
 * disabled, waits for the sampler to read while it holds, then frees it
 * explicitly: the heap in use goes back to exactly where it started, so
 * only a reading taken in between can see the peak. */
static int hold_then_free(void *arg)
{
    hold_env *e = arg;

    e->rss_entry = statm_rss();
    GC_disable();
    for (int i = 0; i < N_HELD; i++) {
        held[i] = GC_MALLOC_ATOMIC(MIB);
        if (!held[i])
            break;
        memset(held[i], 0x5a, MIB);
        e->held_bytes += GC_size(held[i]);
    }
    e->rss_held = statm_rss();
    e->waited = wait_readings(e->waits_after);
    e->rss_dropped = statm_rss();
    for (int i = 0; i < N_HELD; i++) {
        GC_FREE(held[i]);
        held[i] = NULL;
    }
    GC_enable();
    return 0;
}

static int return_seven(void *arg)
{
    (*(int *)arg)++;
    return 7;
}

static int wait_some(void *arg)
{
    return wait_readings(*(uint64_t *)arg) < 0 ? 99 : 0;
}

/* ---- core ----------------------------------------------------------- */

/* The peak a closure holds only between the two ends is in the samples,
 * in the heap and in RSS, as the test measured it itself. */
START_TEST(test_samples_see_what_the_closure_holds)
{
    hold_env e = {.waits_after = 2};
    gcp_usage *u = NULL;

    GC_gcollect();
    uint64_t rss_before = statm_rss();
    ck_assert_int_eq(gcp_memory_usage(hold_then_free, &e, NULL, &u), 0);
    uint64_t hwm_after = tu_hwm_bytes();
    ck_assert_int_eq(e.waited, 0);
    ck_assert_uint_ge(e.held_bytes, (uint64_t)N_HELD * MIB);
    assert_samples_sane(u);
    size_t n = gcp_usage_count(u);
    ck_assert_uint_ge(n, 3); /* start, what it waited for, end */
    ck_assert_uint_eq(gcp_usage_readings(u), n); /* nothing dropped */

    gcp_usage_sample first = sample(u, 0), last = sample(u, n - 1);
    /* The ends: the heap in use is back where it was (explicit frees, no
     * collection), so neither end saw the peak. */
    ck_assert_uint_lt(last.heap_in_use, first.heap_in_use + e.held_bytes);
    /* A reading in between did: every byte held, and RSS as read here. */
    size_t peaks = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        gcp_usage_sample s = sample(u, i);
        if (s.heap_in_use < first.heap_in_use + e.held_bytes)
            continue;
        peaks++;
        /* All was allocated; at most the last MiB not yet touched. */
        ck_assert_msg(s.has_rss, "sample %zu has no RSS", i);
        ck_assert_uint_ge(s.rss + MIB + RSS_SLACK, e.rss_held);
        ck_assert_uint_le(s.rss, e.rss_dropped + RSS_SLACK);
    }
    ck_assert_msg(peaks >= 1, "no sample between the ends saw the %llu bytes held",
                  (unsigned long long)e.held_bytes);
    ck_assert_uint_ge(gcp_usage_max_heap(u), first.heap_in_use + e.held_bytes);
    /* A reading began after the test read rss_held. */
    ck_assert_uint_ge(gcp_usage_max_rss(u) + RSS_SLACK, e.rss_held);
    ck_assert_uint_le(gcp_usage_max_rss(u), hwm_after); /* the kernel's own peak */
    /* The start sample: between the test's reads around it. */
    ck_assert_uint_ge(first.rss + RSS_SLACK, rss_before < e.rss_entry ? rss_before : e.rss_entry);
    ck_assert_uint_le(first.rss, (rss_before > e.rss_entry ? rss_before : e.rss_entry) + RSS_SLACK);
    ck_assert_uint_ge(first.rss, rss_before / 2); /* a figure, not 0 */
    gcp_usage_free(u);
}
END_TEST

/* With an interval longer than the call, exactly the start and the end. */
START_TEST(test_start_and_end_always)
{
    int runs = 0;
    gcp_usage *u = NULL;
    gcp_usage_options o = {.interval = 3600};

    ck_assert_int_eq(gcp_memory_usage(return_seven, &runs, &o, &u), 0);
    ck_assert_int_eq(runs, 1);
    ck_assert_int_eq(gcp_usage_status(u), 7);
    ck_assert_uint_eq(gcp_usage_count(u), 2);
    ck_assert_uint_eq(gcp_usage_readings(u), 2);
    assert_samples_sane(u);
    ck_assert(gcp_usage_interval(u) == 3600);
    gcp_usage_sample s;
    ck_assert_int_eq(gcp_usage_get(u, 2, &s), GCP_ERANGE);
    ck_assert_uint_gt(sample(u, 1).heap_size, 0);
    gcp_usage_free(u);
}
END_TEST

/* All-zero options and NULL are the defaults; a set field is kept. */
START_TEST(test_zero_options_are_defaults)
{
    int runs = 0;
    gcp_usage *u = NULL;
    gcp_usage_options zero = {0}, fine = {.interval = 0.002};

    ck_assert_int_eq(gcp_memory_usage(return_seven, &runs, NULL, &u), 0);
    ck_assert(gcp_usage_interval(u) == 0.01);
    ck_assert_int_eq(sample(u, 0).has_rss, 1);
    gcp_usage_free(u);
    ck_assert_int_eq(gcp_memory_usage(return_seven, &runs, &zero, &u), 0);
    ck_assert(gcp_usage_interval(u) == 0.01);
    ck_assert_int_eq(sample(u, 0).has_rss, 1);
    gcp_usage_free(u);
    ck_assert_int_eq(gcp_memory_usage(return_seven, &runs, &fine, &u), 0);
    ck_assert(gcp_usage_interval(u) == 0.002);
    gcp_usage_free(u);
    ck_assert_int_eq(runs, 3);
}
END_TEST

START_TEST(test_heap_only_reads_no_rss)
{
    uint64_t k = 2;
    gcp_usage *u = NULL;
    gcp_usage_options o = {.heap_only = 1, .interval = 0.001};
    char *text = NULL;
    size_t len = 0;

    ck_assert_int_eq(gcp_memory_usage(wait_some, &k, &o, &u), 0);
    ck_assert_int_eq(gcp_usage_status(u), 0);
    assert_samples_sane(u);
    ck_assert_uint_ge(gcp_usage_count(u), 3);
    for (size_t i = 0; i < gcp_usage_count(u); i++) {
        ck_assert_int_eq(sample(u, i).has_rss, 0);
        ck_assert_uint_eq(sample(u, i).rss, 0);
        ck_assert_uint_gt(sample(u, i).heap_size, 0);
    }
    ck_assert_uint_eq(gcp_usage_max_rss(u), 0);
    FILE *fp = open_memstream(&text, &len);
    ck_assert_int_eq(gcp_usage_write_json(fp, u), 0);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(text, "\"max_rss\": null"));
    ck_assert_ptr_nonnull(strstr(text, "\"rss\": null"));
    ck_assert_ptr_null(strstr(text, "\"rss\": 1"));
    free(text);
    gcp_usage_free(u);
}
END_TEST

/* ---- limits: bounded samples -------------------------------------------- */

/* max_samples 3 over many readings: never more kept, the spacing doubled
 * each time, the start and the end kept. */
START_TEST(test_samples_bounded)
{
    uint64_t k = 20;
    gcp_usage *u = NULL;
    gcp_usage_options o = {.interval = 0.001, .max_samples = 3};

    ck_assert_int_eq(gcp_memory_usage(wait_some, &k, &o, &u), 0);
    ck_assert_int_eq(gcp_usage_status(u), 0);
    assert_samples_sane(u);
    ck_assert_uint_le(gcp_usage_count(u), 3);
    ck_assert_uint_ge(gcp_usage_readings(u), 2 + k);
    double ratio = gcp_usage_interval(u) / 0.001;
    int exponent;
    ck_assert(frexp(ratio, &exponent) == 0.5); /* a power of two */
    ck_assert_int_ge(exponent - 1, 1);         /* doubled at least once */
    gcp_usage_free(u);
}
END_TEST

/* max_samples 2 keeps only the ends, yet the maxima cover every reading:
 * the peak held in between is in max_heap and in no kept sample. */
START_TEST(test_maxima_over_every_reading)
{
    hold_env e = {.waits_after = 2};
    gcp_usage *u = NULL;
    gcp_usage_options o = {.interval = 0.001, .max_samples = 2};

    GC_gcollect();
    ck_assert_int_eq(gcp_memory_usage(hold_then_free, &e, &o, &u), 0);
    ck_assert_int_eq(e.waited, 0);
    ck_assert_uint_eq(gcp_usage_count(u), 2);
    ck_assert_uint_ge(gcp_usage_readings(u), 4);
    gcp_usage_sample first = sample(u, 0), last = sample(u, 1);
    ck_assert_uint_lt(last.heap_in_use, first.heap_in_use + e.held_bytes);
    ck_assert_uint_ge(gcp_usage_max_heap(u), first.heap_in_use + e.held_bytes);
    ck_assert_uint_ge(gcp_usage_max_rss(u) + RSS_SLACK, e.rss_held);
    gcp_usage_free(u);
}
END_TEST

/* ---- the sampler thread ------------------------------------------------- */

typedef struct thread_env {
    int found;
    unsigned long long blocked; /* its SigBlk */
} thread_env;

/* Finds the sampler by name among this process's threads. */
static int look_at_sampler(void *arg)
{
    thread_env *e = arg;
    char path[300], line[256];
    DIR *dir;
    struct dirent *d;

    if (wait_readings(1) < 0 || !(dir = opendir("/proc/self/task")))
        return 1;
    while ((d = readdir(dir))) {
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", d->d_name);
        FILE *fp = fopen(path, "r");
        if (!fp)
            continue;
        int is_sampler = fgets(line, sizeof line, fp) && strcmp(line, "gcprof-usage\n") == 0;
        fclose(fp);
        if (!is_sampler)
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/status", d->d_name);
        fp = fopen(path, "r");
        while (fp && fgets(line, sizeof line, fp))
            if (sscanf(line, "SigBlk: %llx", &e->blocked) == 1)
                e->found++;
        if (fp)
            fclose(fp);
    }
    closedir(dir);
    return 0;
}

/* Its signals are blocked: no handler of the program runs on a thread the
 * collector does not know. */
START_TEST(test_sampler_blocks_signals)
{
    thread_env e = {0, 0};
    gcp_usage *u = NULL;
    gcp_usage_options o = {.interval = 0.001};
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD};

    ck_assert_int_eq(gcp_memory_usage(look_at_sampler, &e, &o, &u), 0);
    ck_assert_int_eq(gcp_usage_status(u), 0);
    ck_assert_int_eq(e.found, 1);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        ck_assert_msg(e.blocked & (1ull << (sigs[i] - 1)), "signal %d not blocked (SigBlk %llx)",
                      sigs[i], e.blocked);
    gcp_usage_free(u);
}
END_TEST

typedef struct fork_env {
    pid_t parent;
    int child_status;
} fork_env;

/* Forks while sampled; the child returns 3 from the closure. */
static int fork_inside(void *arg)
{
    fork_env *e = arg;

    if (wait_readings(1) < 0)
        return 99;
    pid_t pid = fork();
    if (pid == 0)
        return 3;
    if (pid < 0 || waitpid(pid, &e->child_status, 0) != pid)
        return 98;
    return 0;
}

/* A child forked inside the closure has no sampler to stop: it gets its
 * samples (start, end, in time order) and its status without waiting for
 * the parent's thread. */
START_TEST(test_fork_inside_the_closure)
{
    fork_env e = {getpid(), -1};
    gcp_usage *u = NULL;
    gcp_usage_options o = {.interval = 0.001};

    int rc = gcp_memory_usage(fork_inside, &e, &o, &u);
    if (getpid() != e.parent) { /* the child, after its call returned */
        int ok = rc == 0 && gcp_usage_status(u) == 3 && gcp_usage_count(u) >= 2;
        gcp_usage_sample prev = {0}, s;
        for (size_t i = 0; ok && i < gcp_usage_count(u); i++) {
            ok = gcp_usage_get(u, i, &s) == 0 && s.t >= prev.t && s.heap_size > 0;
            prev = s;
        }
        gcp_usage_free(u);
        _exit(ok ? 0 : 1);
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(gcp_usage_status(u), 0);
    ck_assert_msg(WIFEXITED(e.child_status) && WEXITSTATUS(e.child_status) == 0,
                  "child status %#x", e.child_status);
    assert_samples_sane(u);
    gcp_usage_free(u);
}
END_TEST

/* ---- printed ------------------------------------------------------------ */

static gcp_usage *some_usage(void)
{
    uint64_t k = 3;
    gcp_usage *u = NULL;
    gcp_usage_options o = {.interval = 0.001};

    ck_assert_int_eq(gcp_memory_usage(wait_some, &k, &o, &u), 0);
    ck_assert_uint_ge(gcp_usage_count(u), 4);
    return u;
}

static char *print_to_string(int (*print)(FILE *, const gcp_usage *), const gcp_usage *u)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);

    ck_assert_int_eq(print(fp, u), 0);
    fclose(fp);
    return text;
}

/* Within the printed precision: 3 decimals of MiB or seconds. */
static void assert_printed(double printed, double value, const char *what, size_t row)
{
    ck_assert_msg(fabs(printed - value) <= 0.0005 + 1e-9, "row %zu %s: printed %.3f, is %.6f",
                  row, what, printed, value);
}

START_TEST(test_print_is_the_samples)
{
    gcp_usage *u = some_usage();
    char *text = print_to_string(gcp_usage_print, u);
    char *line = text, *end;
    size_t n = gcp_usage_count(u), count;
    unsigned long long readings;
    double interval, over;
    int status;

    end = strchr(line, '\n');
    ck_assert_ptr_nonnull(end);
    ck_assert_int_eq(sscanf(line, "memory usage: %zu samples (%llu readings), %lf s apart, over "
                                  "%lf s; status %d",
                            &count, &readings, &interval, &over, &status),
                     5);
    ck_assert_uint_eq(count, n);
    ck_assert_uint_eq(readings, gcp_usage_readings(u));
    ck_assert(fabs(interval - gcp_usage_interval(u)) < 1e-9);
    assert_printed(over, sample(u, n - 1).t, "duration", 0);
    ck_assert_int_eq(status, gcp_usage_status(u));
    line = strchr(end + 1, '\n') + 1; /* past the column heads */
    for (size_t i = 0; i < n; i++) {
        double t, rss, in_use, size;
        gcp_usage_sample s = sample(u, i);
        ck_assert_int_eq(sscanf(line, "%lf %lf %lf %lf", &t, &rss, &in_use, &size), 4);
        assert_printed(t, s.t, "t", i);
        assert_printed(rss, (double)s.rss / MIB, "rss", i);
        assert_printed(in_use, (double)s.heap_in_use / MIB, "heap in use", i);
        assert_printed(size, (double)s.heap_size / MIB, "heap size", i);
        line = strchr(line, '\n') + 1;
    }
    double max_rss, max_heap;
    ck_assert_int_eq(sscanf(line, "max RSS %lf MiB, max heap in use %lf MiB", &max_rss, &max_heap),
                     2);
    assert_printed(max_rss, (double)gcp_usage_max_rss(u) / MIB, "max rss", n);
    assert_printed(max_heap, (double)gcp_usage_max_heap(u) / MIB, "max heap", n);
    ck_assert_str_eq(strchr(line, '\n') + 1, ""); /* the last line */
    free(text);
    gcp_usage_free(u);
}
END_TEST

static uint64_t json_u64(const tool_jobj *o, const char *key)
{
    const tool_jpair *p = tool_json_get(o, key);

    ck_assert_msg(p && p->type == TOOL_JV_NUMBER, "no number \"%s\"", key);
    return strtoull(p->s, NULL, 10);
}

/* The JSON reads back as the very figures: top-level keys with the
 * project's parser (tools/json_flat.c), samples one by one. */
START_TEST(test_json_is_the_samples)
{
    gcp_usage *u = some_usage();
    char *text = print_to_string(gcp_usage_write_json, u);
    tool_jobj o;
    size_t n = gcp_usage_count(u);

    ck_assert_ptr_eq(strchr(text, '\n'), text + strlen(text) - 1); /* one line */
    char *copy = strdup(text);
    copy[strcspn(copy, "\n")] = '\0';
    ck_assert_msg(tool_json_object(&o, copy) == 0, "%s", o.err);
    ck_assert_uint_eq(json_u64(&o, "status"), (uint64_t)gcp_usage_status(u));
    ck_assert(strtod(tool_json_get(&o, "interval")->s, NULL) == gcp_usage_interval(u));
    ck_assert_uint_eq(json_u64(&o, "count"), n);
    ck_assert_uint_eq(json_u64(&o, "readings"), gcp_usage_readings(u));
    ck_assert_uint_eq(json_u64(&o, "max_rss"), gcp_usage_max_rss(u));
    ck_assert_uint_eq(json_u64(&o, "max_heap_in_use"), gcp_usage_max_heap(u));
    ck_assert_int_eq(tool_json_get(&o, "samples")->type, TOOL_JV_NESTED);

    const char *p = strstr(text, "\"samples\": [");
    ck_assert_ptr_nonnull(p);
    p += strlen("\"samples\": [");
    for (size_t i = 0; i < n; i++) {
        double t;
        unsigned long long rss, in_use, size;
        int used = 0;
        gcp_usage_sample s = sample(u, i);
        if (i) {
            ck_assert_int_eq(strncmp(p, ", ", 2), 0);
            p += 2;
        }
        ck_assert_int_eq(sscanf(p, "{\"t\": %lf, \"rss\": %llu, \"heap_in_use\": %llu, "
                                   "\"heap_size\": %llu}%n",
                                &t, &rss, &in_use, &size, &used),
                         4);
        ck_assert_msg(t == s.t, "sample %zu: t %.17g in JSON, %.17g", i, t, s.t);
        ck_assert_uint_eq(rss, s.rss);
        ck_assert_uint_eq(in_use, s.heap_in_use);
        ck_assert_uint_eq(size, s.heap_size);
        p += used;
    }
    ck_assert_str_eq(p, "]}\n");
    free(copy);
    free(text);
    gcp_usage_free(u);
}
END_TEST

/* ---- errors ---------------------------------------------------------------- */

typedef struct bad_case {
    gcp_usage_options o;
    const char *named; /* in the message */
} bad_case;

static const bad_case bad[] = {
    {{.interval = -1}, "interval"},
    {{.interval = 0.0005}, "interval"},
    {{.interval = 3601}, "interval"},
    {{.interval = NAN}, "interval"},
    {{.interval = INFINITY}, "interval"},
    {{.heap_only = 2}, "heap_only"},
    {{.heap_only = -1}, "heap_only"},
    {{.max_samples = 1}, "max_samples"},
    {{.max_samples = 10000001}, "max_samples"},
    {{.reserved_ = {1, 0, 0, 0}}, "reserved_[0]"},
    {{.reserved_ = {0, 0, 0, 5}}, "reserved_[3]"},
};

/* A bad option is named, and the closure does not run. */
START_TEST(test_bad_options)
{
    const bad_case *c = &bad[_i];
    int runs = 0;
    gcp_usage *u = (gcp_usage *)&runs; /* must come back NULL */
    tu_log log;

    tu_log_capture(&log);
    ck_assert_int_eq(gcp_memory_usage(return_seven, &runs, &c->o, &u), GCP_EINVAL);
    tu_log_restore();
    ck_assert_ptr_null(u);
    ck_assert_int_eq(runs, 0);
    ck_assert_msg(strstr(gcp_last_error(), c->named), "'%s' does not name %s", gcp_last_error(),
                  c->named);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "gcp_memory_usage"));
}
END_TEST

START_TEST(test_null_arguments)
{
    int runs = 0;
    gcp_usage *u = NULL;
    gcp_usage_sample s;
    tu_log log;

    tu_log_capture(&log);
    ck_assert_int_eq(gcp_memory_usage(NULL, &runs, NULL, &u), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "fn is NULL"));
    ck_assert_int_eq(gcp_memory_usage(return_seven, &runs, NULL, NULL), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "out is NULL"));
    ck_assert_int_eq(runs, 0);
    ck_assert_uint_eq(gcp_usage_count(NULL), 0);
    ck_assert_uint_eq(gcp_usage_max_rss(NULL), 0);
    ck_assert_uint_eq(gcp_usage_max_heap(NULL), 0);
    ck_assert_uint_eq(gcp_usage_readings(NULL), 0);
    ck_assert(gcp_usage_interval(NULL) == 0);
    ck_assert_int_eq(gcp_usage_status(NULL), 0);
    ck_assert_int_eq(gcp_usage_get(NULL, 0, &s), GCP_EINVAL);
    ck_assert_int_eq(gcp_usage_print(NULL, NULL), GCP_EINVAL);
    ck_assert_int_eq(gcp_usage_print(stdout, NULL), GCP_EINVAL);
    ck_assert_int_eq(gcp_usage_write_json(stdout, NULL), GCP_EINVAL);
    ck_assert_int_eq(gcp_memory_usage(return_seven, &runs, NULL, &u), 0);
    ck_assert_int_eq(gcp_usage_get(u, 0, NULL), GCP_EINVAL);
    ck_assert_int_eq(gcp_usage_print(NULL, u), GCP_EINVAL);
    ck_assert_int_eq(gcp_usage_write_json(NULL, u), GCP_EINVAL);
    tu_log_restore();
    gcp_usage_free(u);
    gcp_usage_free(NULL);
}
END_TEST

static Suite *make_usage_suite(void)
{
    Suite *s = suite_create("usage");
    TCase *core = tcase_create("core");
    TCase *limits = tcase_create("limits");
    TCase *thread = tcase_create("thread");
    TCase *printed = tcase_create("printed");
    TCase *errors = tcase_create("errors");

    /* A loaded machine may starve the sampler for a while: the closures
     * wait for its readings, up to two minutes. */
    tcase_set_timeout(core, 150);
    tcase_set_timeout(limits, 150);
    tcase_set_timeout(thread, 150);
    tcase_set_timeout(printed, 150);
    tcase_add_checked_fixture(core, setup, NULL);
    tcase_add_test(core, test_samples_see_what_the_closure_holds);
    tcase_add_test(core, test_start_and_end_always);
    tcase_add_test(core, test_zero_options_are_defaults);
    tcase_add_test(core, test_heap_only_reads_no_rss);
    suite_add_tcase(s, core);

    tcase_add_test(limits, test_samples_bounded);
    tcase_add_test(limits, test_maxima_over_every_reading);
    suite_add_tcase(s, limits);

    tcase_add_test(thread, test_sampler_blocks_signals);
    tcase_add_test(thread, test_fork_inside_the_closure);
    suite_add_tcase(s, thread);

    tcase_add_test(printed, test_print_is_the_samples);
    tcase_add_test(printed, test_json_is_the_samples);
    suite_add_tcase(s, printed);

    tcase_add_loop_test(errors, test_bad_options, 0, TU_ROWS(bad));
    tcase_add_test(errors, test_null_arguments);
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    return tu_run(make_usage_suite());
}
