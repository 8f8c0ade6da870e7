/*
 * check_sites.c - allocation sites: the counts by site against the test's
 * own counts of what it allocated where and what it kept, and snapshot
 * diffs against the changes it made.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gcprof.h"
#include "lines_other.h"
#include "testutil.h"

#define N_KEPT    300
#define N_DROPPED 700

/* Not static: the compiler may not drop stores to it (BDWGC-NOTES). */
void *tu_kept[N_KEPT + 100];
static int line_kept, line_dropped, line_atomic, line_later;

/* Allocates N_KEPT objects at one line (kept) and N_DROPPED at another. */
static void allocate_two_sites(uint64_t *kept_bytes)
{
    *kept_bytes = 0;
    for (int i = 0; i < N_KEPT; i++) {
        line_kept = __LINE__ + 1;
        tu_kept[i] = gcp_alloc(40 + (size_t)(i % 5) * 16);
        *kept_bytes += GC_size(GC_base(tu_kept[i]));
    }
    for (int i = 0; i < N_DROPPED; i++) {
        line_dropped = __LINE__ + 1;
        tu_sink = gcp_alloc(24);
    }
    tu_sink = NULL;
}

static const gcp_site_stats *find_line(const gcp_snapshot *s, int line)
{
    for (size_t i = 0; i < gcp_snapshot_count(s); i++) {
        const gcp_site_stats *st = gcp_snapshot_site(s, i);
        if (st->line == line && strstr(st->file, "check_sites.c"))
            return st;
    }
    return NULL;
}

static void track_on(void)
{
    gcp_sites_track(1);
}

static void track_off(void)
{
    gcp_sites_track(0);
}

START_TEST(test_untracked_objects_have_no_header)
{
    gcp_sites_track(0);
    void *p = gcp_alloc(40);
    ck_assert_ptr_eq(GC_base(p), p);
    ck_assert_uint_eq(gcp_sizeof(p), GC_size(p));
}
END_TEST

START_TEST(test_tracked_object_layout)
{
    char *p = gcp_alloc(40);
    char *base = GC_base(p);

    ck_assert_ptr_eq(p, base); /* the id is at the end: no offset */
    ck_assert_uint_eq(((uintptr_t)p) % 16, 0);
    ck_assert_uint_eq(gcp_sizeof(p), GC_size(base) - 8);
    ck_assert_uint_eq(GC_size(base), 64); /* 40 + extra byte + id fit 4 granules */
    ck_assert_uint_ge(gcp_sizeof(p), 40);
    for (int i = 0; i < 40; i++)
        ck_assert_int_eq(p[i], 0);
    /* Written right up to its end, its id intact, it survives. */
    memset(p, 0x5a, 40);
    tu_sink = p;
    gcp_collect();
    gcp_collect();
    for (int i = 0; i < 40; i++)
        ck_assert_int_eq(((char *)tu_sink)[i], 0x5a);
}
END_TEST

START_TEST(test_counts_by_site_exact)
{
    uint64_t kept_bytes;

    allocate_two_sites(&kept_bytes);
    gcp_snapshot *s = gcp_snapshot_take("after");
    ck_assert_ptr_nonnull(s);
    const gcp_site_stats *k = find_line(s, line_kept), *d = find_line(s, line_dropped);
    ck_assert_ptr_nonnull(k);
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(k->objects_allocated, N_KEPT);
    ck_assert_uint_eq(k->objects_live, N_KEPT);
    ck_assert_uint_eq(k->bytes_live, kept_bytes);
    ck_assert_uint_eq(k->bytes_allocated, kept_bytes);
    ck_assert_uint_eq(d->objects_allocated, N_DROPPED);
    ck_assert_uint_eq(d->objects_live, 0);
    ck_assert_str_eq(k->func, "allocate_two_sites");
    ck_assert_int_eq(k->atomic, 0);
    gcp_snapshot_free(s);
}
END_TEST

START_TEST(test_atomic_sites_marked)
{
    line_atomic = __LINE__ + 1;
    tu_kept[0] = gcp_alloc_atomic(100);
    gcp_snapshot *s = gcp_snapshot_take("atomic");
    const gcp_site_stats *a = find_line(s, line_atomic);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->atomic, 1);
    ck_assert_uint_eq(a->objects_live, 1);
    gcp_snapshot_free(s);
}
END_TEST

START_TEST(test_diff_shows_growth_new_and_gone)
{
    uint64_t kept_bytes;
    char *text = NULL, *json = NULL;
    size_t tlen = 0, jlen = 0;

    allocate_two_sites(&kept_bytes);
    gcp_snapshot *before = gcp_snapshot_take("before");
    for (int i = 0; i < N_KEPT; i++)
        tu_kept[i] = NULL; /* the kept site's objects die */
    for (int i = 0; i < 50; i++) {
        line_later = __LINE__ + 1;
        tu_kept[N_KEPT + i] = gcp_alloc(64);
    }
    gcp_snapshot *after = gcp_snapshot_take("after");

    FILE *fp = open_memstream(&text, &tlen);
    ck_assert_int_eq(gcp_snapshot_diff_print(fp, before, after), 0);
    fclose(fp);
    fp = open_memstream(&json, &jlen);
    ck_assert_int_eq(gcp_snapshot_diff_write_json(fp, before, after), 0);
    fclose(fp);

    char want[128];
    snprintf(want, sizeof want, "%+13lld       -300  [gone]", -(long long)kept_bytes);
    ck_assert_msg(strstr(text, want) != NULL, "text:\n%s", text);
    snprintf(want, sizeof want, "check_sites.c:%d", line_later);
    const char *later = strstr(text, want);
    ck_assert_ptr_nonnull(later);
    ck_assert_ptr_nonnull(strstr(text, "+50  [new]"));
    /* Largest growth first: the new site comes before the gone one. */
    ck_assert(later < strstr(text, "[gone]"));
    snprintf(want, sizeof want,
             "\"line\": %d, \"function\": \"test_diff_shows_growth_new_and_gone_fn\"", line_later);
    ck_assert_ptr_nonnull(strstr(json, want));
    ck_assert_ptr_nonnull(strstr(json, "\"objects\": 50, \"new\": true"));
    free(text);
    free(json);
    gcp_snapshot_free(before);
    gcp_snapshot_free(after);
}
END_TEST

/* Two threads at one site: the site's count is exact. */
static int line_threads;

static void *thread_alloc(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000; i++) {
        line_threads = __LINE__ + 1;
        tu_sink = gcp_alloc(32);
    }
    return NULL;
}

START_TEST(test_threads_share_a_site)
{
    pthread_t t[2];

    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, thread_alloc, NULL), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    tu_sink = NULL;
    gcp_snapshot *s = gcp_snapshot_take("threads");
    const gcp_site_stats *st = find_line(s, line_threads);
    ck_assert_ptr_nonnull(st);
    ck_assert_uint_eq(st->objects_allocated, 40000);
    gcp_snapshot_free(s);
}
END_TEST

/* Sited objects are runtime objects: the profiler still counts exactly. */
typedef struct node {
    struct node *next;
} node;

static int ring_of_1000(void *env)
{
    node *first = GCP_NEW(node), *prev = first;

    (void)env;
    for (int i = 1; i < 1000; i++) {
        node *x = GCP_NEW(node);
        prev->next = x;
        prev = x;
    }
    prev->next = first;
    return 0;
}

START_TEST(test_profiler_counts_sited_objects)
{
    gcp_config c;
    gcp_report r;

    gcp_config_init(&c);
    ck_assert_int_eq(gcp_profile("ring", ring_of_1000, NULL, &c, &r), 0);
    ck_assert_uint_eq(r.objects_allocated, 1000);
    ck_assert_int_eq(r.gc_objects_collected, 1000);
}
END_TEST

/* A leak check names the line a leak grows at, with its exact rate. */
typedef struct leak_node {
    struct leak_node *next;
    char payload[48];
} leak_node;

leak_node *tu_leaked_list; /* not static: a root the compiler must keep */
static int line_leak;
static uint64_t leaked_size;

static int leak_one(void *env)
{
    (void)env;
    for (int i = 0; i < 16384; i++) /* 1 MiB of garbage at another line */
        tu_sink = gcp_alloc(48);
    tu_sink = NULL;
    line_leak = __LINE__ + 1;
    leak_node *n = GCP_NEW(leak_node);
    n->next = tu_leaked_list;
    tu_leaked_list = n;
    leaked_size = GC_size(GC_base(n));
    return 0;
}

START_TEST(test_leak_check_names_site)
{
    gcp_leak_options opt;
    gcp_leak_report r;

    gcp_leak_options_init(&opt);
    memset(&r, 0, sizeof r);
    ck_assert_int_eq(gcp_leak_check("leak_one", leak_one, NULL, &opt, &r), 0);
    ck_assert(r.has_leak);
    ck_assert_uint_eq(r.n_sites, 1); /* the garbage site does not grow */
    ck_assert_int_eq(r.sites[0].line, line_leak);
    ck_assert_str_eq(r.sites[0].func, "leak_one");
    ck_assert_double_eq_tol(r.sites[0].bytes_per_iteration, (double)leaked_size, 1e-6);
    ck_assert_double_eq_tol(r.bytes_per_iteration, (double)leaked_size, 1e-6);
}
END_TEST

/* The line-by-line report of a closure: per line, what it allocated (the
 * test's own sums of GC sizes), what stayed live, its source text. */
static int line_a, line_b;
static uint64_t bytes_a, bytes_b;

static int two_lines(void *env)
{
    (void)env;
    bytes_a = bytes_b = 0;
    for (int i = 0; i < 100; i++) {
        line_a = __LINE__ + 1;
        tu_kept[i] = gcp_alloc(64); /* kept: line A */
        bytes_a += GC_size(GC_base(tu_kept[i]));
    }
    for (int i = 0; i < 400; i++) {
        line_b = __LINE__ + 1;
        void *p = gcp_alloc(32); /* dropped: line B */
        bytes_b += GC_size(GC_base(p));
        tu_sink = p;
    }
    tu_sink = NULL;
    return 0;
}

START_TEST(test_line_by_line_report)
{
    gcp_line_report *lines = NULL;
    gcp_report r;
    char *text = NULL, *json = NULL;
    size_t tlen = 0, jlen = 0;

    gcp_sites_track(0); /* the report turns tracking on itself, then back */
    ck_assert_int_eq(GCP_PROFILE_LINES("two_lines", two_lines, NULL, NULL, &r, &lines), 0);
    ck_assert_ptr_nonnull(lines);
    ck_assert_int_eq(gcp_sites_track(-1), 0);
    FILE *fp = open_memstream(&text, &tlen);
    ck_assert_int_eq(gcp_line_report_print(fp, lines), 0);
    fclose(fp);
    fp = open_memstream(&json, &jlen);
    ck_assert_int_eq(gcp_line_report_write_json(fp, lines), 0);
    fclose(fp);

    char want[256];
    snprintf(
        want, sizeof want,
        "{\"line\": %d, \"allocated\": %llu, \"live_after\": %llu, "
        "\"allocations\": 100, \"source\": \"        tu_kept[i] = gcp_alloc(64); /* kept: line A "
        "*/\"}",
        line_a, (unsigned long long)bytes_a, (unsigned long long)bytes_a);
    ck_assert_msg(strstr(json, want) != NULL, "json: %s\nwant: %s", json, want);
    snprintf(want, sizeof want,
             "{\"line\": %d, \"allocated\": %llu, \"live_after\": 0, "
             "\"allocations\": 400, ",
             line_b, (unsigned long long)bytes_b);
    ck_assert_msg(strstr(json, want) != NULL, "json: %s\nwant: %s", json, want);
    /* The table: sorted by line, a total row with the sums. */
    ck_assert(strstr(text, "Line #") != NULL);
    ck_assert_ptr_nonnull(strstr(text, "/* dropped: line B */"));
    snprintf(want, sizeof want, "  Total %12llu B %12llu B %11d  lines of %s",
             (unsigned long long)(bytes_a + bytes_b), (unsigned long long)bytes_a, 500, __FILE__);
    ck_assert_msg(strstr(text, want) != NULL, "table:\n%s", text);
    ck_assert_int_eq(r.gc_objects_collected, 400);
    free(text);
    free(json);
    gcp_line_report_free(lines);

    /* Without auto_gc the report still counts after a full collection. */
    gcp_config c;
    gcp_config_init(&c);
    c.auto_gc = GCP_AUTO_GC_OFF;
    ck_assert_int_eq(GCP_PROFILE_LINES("two_lines", two_lines, NULL, &c, &r, &lines), 0);
    json = NULL;
    fp = open_memstream(&json, &jlen);
    ck_assert_int_eq(gcp_line_report_write_json(fp, lines), 0);
    fclose(fp);
    snprintf(want, sizeof want, "{\"line\": %d, \"allocated\": %llu, \"live_after\": 0, ", line_b,
             (unsigned long long)bytes_b);
    ck_assert_msg(strstr(json, want) != NULL, "json: %s\nwant: %s", json, want);
    free(json);
    gcp_line_report_free(lines);
}
END_TEST

/* Print and JSON of a line report, as strings (free both). */
static void render(const gcp_line_report *lines, char **text, char **json)
{
    size_t len;

    *text = *json = NULL;
    FILE *fp = open_memstream(text, &len);
    ck_assert_int_eq(gcp_line_report_print(fp, lines), 0);
    fclose(fp);
    fp = open_memstream(json, &len);
    ck_assert_int_eq(gcp_line_report_write_json(fp, lines), 0);
    fclose(fp);
}

/* A closure defined in another file: its lines are shown (under their
 * file), and the report says none of the caller's file allocated. */
START_TEST(test_lines_closure_in_other_file)
{
    gcp_line_report *lines = NULL;
    gcp_line_summary sum;
    gcp_report r;
    char *text, *json, want[512];
    size_t keep = 200;

    ck_assert_int_eq(GCP_PROFILE_LINES("other", tu_other_closure, &keep, NULL, &r, &lines), 0);
    ck_assert_ptr_nonnull(lines);
    ck_assert_int_eq(gcp_line_report_summary(lines, &sum, sizeof sum), 0);
    ck_assert(sum.flags & GCP_LINES_FILE_UNMATCHED);
    ck_assert(!(sum.flags & GCP_LINES_EMPTY));
    ck_assert_uint_eq(sum.file_bytes_allocated, 0);
    ck_assert_uint_eq(sum.n_files, 1);
    ck_assert_uint_eq(sum.n_rows, 2);
    ck_assert_uint_eq(sum.bytes_allocated, tu_other.kept_bytes + tu_other.dropped_bytes);
    ck_assert_uint_eq(sum.allocations, 2 * keep);
    ck_assert_uint_eq(sum.bytes_live, tu_other.kept_bytes);
    render(lines, &text, &json);
    snprintf(want, sizeof want, "warning: no line of %s allocated during the closure", __FILE__);
    ck_assert_msg(strstr(text, want) != NULL, "table:\n%s", text);
    snprintf(want, sizeof want, "\nFile: %s\n", tu_other_file);
    ck_assert_msg(strstr(text, want) != NULL, "table:\n%s", text);
    snprintf(want, sizeof want, "%7d %12llu B %12llu B %11llu  ", tu_other.line_kept,
             (unsigned long long)tu_other.kept_bytes, (unsigned long long)tu_other.kept_bytes,
             (unsigned long long)keep);
    ck_assert_msg(strstr(text, want) != NULL, "table:\n%s\nwant: %s", text, want);
    ck_assert_ptr_nonnull(strstr(json, "\"file_matched\": false"));
    ck_assert_ptr_nonnull(strstr(json, "\"warnings\": [\"no line of "));
    free(text);
    free(json);
    gcp_line_report_free(lines);

    /* Nothing allocated at all: no row, and a warning that says so. */
    keep = 0;
    ck_assert_int_eq(GCP_PROFILE_LINES("none", tu_other_closure, &keep, NULL, &r, &lines), 0);
    ck_assert_int_eq(gcp_line_report_summary(lines, &sum, sizeof sum), 0);
    ck_assert(sum.flags & GCP_LINES_EMPTY);
    ck_assert(sum.flags & GCP_LINES_FILE_UNMATCHED);
    ck_assert_uint_eq(sum.n_rows, 0);
    render(lines, &text, &json);
    ck_assert_msg(strstr(text, "warning: no line allocated during the closure") != NULL,
                  "table:\n%s", text);
    free(text);
    free(json);
    gcp_line_report_free(lines);
}
END_TEST

/* A cache rebuilt inside the closure, replacing an equally big old one:
 * "Live after" is what the new cache keeps, not the net change (~0). */
#define CACHE_N 1000
typedef struct cache_entry {
    char data[100];
} cache_entry;
cache_entry **tu_cache; /* not static: a root */
static int line_cache_array, line_cache_entry;
static uint64_t cache_array_bytes, cache_entry_bytes;

static NOINLINE int rebuild_cache(void *env)
{
    (void)env;
    line_cache_array = __LINE__ + 1;
    cache_entry **fresh = gcp_alloc(CACHE_N * sizeof *fresh);
    cache_array_bytes = GC_size(GC_base(fresh));
    cache_entry_bytes = 0;
    for (int i = 0; i < CACHE_N; i++) {
        line_cache_entry = __LINE__ + 1;
        fresh[i] = gcp_alloc(sizeof(cache_entry));
        cache_entry_bytes += GC_size(GC_base(fresh[i]));
    }
    tu_cache = fresh; /* the old cache is garbage now */
    return 0;
}

START_TEST(test_lines_live_after_counts_the_closures_objects)
{
    gcp_line_report *lines = NULL;
    gcp_line_summary sum;
    gcp_report r;
    char *text, *json, want[512];

    gcp_sites_track(1);
    rebuild_cache(NULL); /* the first build, sited at the same lines */
    gcp_sites_track(0);
    ck_assert_int_eq(GCP_PROFILE_LINES("rebuild", rebuild_cache, NULL, NULL, &r, &lines), 0);
    ck_assert_int_eq(gcp_line_report_summary(lines, &sum, sizeof sum), 0);
    ck_assert_uint_eq(sum.file_bytes_allocated, cache_array_bytes + cache_entry_bytes);
    ck_assert_uint_eq(sum.file_bytes_live, cache_array_bytes + cache_entry_bytes);
    render(lines, &text, &json);
    snprintf(want, sizeof want, "{\"line\": %d, \"allocated\": %llu, \"live_after\": %llu, ",
             line_cache_entry, (unsigned long long)cache_entry_bytes,
             (unsigned long long)cache_entry_bytes);
    ck_assert_msg(strstr(json, want) != NULL, "json: %s\nwant: %s", json, want);
    snprintf(want, sizeof want, "{\"line\": %d, \"allocated\": %llu, \"live_after\": %llu, ",
             line_cache_array, (unsigned long long)cache_array_bytes,
             (unsigned long long)cache_array_bytes);
    ck_assert_msg(strstr(json, want) != NULL, "json: %s\nwant: %s", json, want);
    snprintf(want, sizeof want, "%7d %12llu B %12llu B %11d  ", line_cache_entry,
             (unsigned long long)cache_entry_bytes, (unsigned long long)cache_entry_bytes,
             CACHE_N);
    ck_assert_msg(strstr(text, want) != NULL, "table:\n%s\nwant: %s", text, want);
    free(text);
    free(json);
    gcp_line_report_free(lines);
    tu_cache = NULL;
}
END_TEST

/* A closure here that calls a helper in another file, and the library's
 * containers: the table shows every file, the caller's file's total is
 * labelled as such, and the whole closure's figures stand beside it. */
#define OWN_N 400
static int line_own;
static uint64_t own_bytes, vec_bytes;
void *tu_own[OWN_N]; /* not static: a root */
gcp_vec *tu_vec;

static NOINLINE int with_helper(void *env)
{
    (void)env;
    own_bytes = 0;
    for (int i = 0; i < OWN_N; i++) {
        line_own = __LINE__ + 1;
        tu_own[i] = gcp_alloc(100);
        own_bytes += GC_size(GC_base(tu_own[i]));
    }
    tu_other_helper(1000, 128, 250); /* 1000 objects, 250 kept, in lines_other.c */
    tu_vec = gcp_vec_new(0); /* no site: the library's own allocations */
    return 0;
}

START_TEST(test_lines_totals_show_the_whole_closure)
{
    gcp_line_report *lines = NULL;
    gcp_line_summary sum;
    gcp_report r;
    char *text, *json, want[512];
    gcp_config c;

    gcp_config_init(&c);
    ck_assert_int_eq(GCP_PROFILE_LINES("with_helper", with_helper, NULL, &c, &r, &lines), 0);
    vec_bytes = GC_size(GC_base(tu_vec)); /* capacity 0: the header only */
    uint64_t other_bytes = tu_other.kept_bytes + tu_other.dropped_bytes;
    uint64_t all_bytes = own_bytes + other_bytes + vec_bytes;
    uint64_t all_live = own_bytes + tu_other.kept_bytes + vec_bytes;
    ck_assert_int_eq(gcp_line_report_summary(lines, &sum, sizeof sum), 0);
    ck_assert_uint_eq(sum.flags, 0);
    ck_assert_uint_eq(sum.n_files, 3);
    ck_assert_uint_eq(sum.file_bytes_allocated, own_bytes);
    ck_assert_uint_eq(sum.file_bytes_live, own_bytes);
    ck_assert_uint_eq(sum.file_allocations, OWN_N);
    ck_assert_uint_eq(sum.closure_bytes_allocated, r.bytes_allocated);
    ck_assert_uint_eq(sum.closure_bytes_allocated, all_bytes);
    ck_assert_uint_eq(sum.bytes_allocated, all_bytes);
    ck_assert_uint_eq(sum.closure_bytes_live, all_live);
    ck_assert_uint_eq(sum.closure_allocations, r.objects_allocated);
    render(lines, &text, &json);
    snprintf(want, sizeof want, "  Total %12llu B %12llu B %11d  lines of %s",
             (unsigned long long)own_bytes, (unsigned long long)own_bytes, OWN_N, __FILE__);
    ck_assert_msg(strstr(text, want) != NULL, "table:\n%s\nwant: %s", text, want);
    snprintf(want, sizeof want, "  Total %12llu B %12llu B %11llu  lines of %s",
             (unsigned long long)other_bytes, (unsigned long long)tu_other.kept_bytes,
             (unsigned long long)(tu_other.kept_objects + tu_other.dropped_objects),
             tu_other_file);
    ck_assert_msg(strstr(text, want) != NULL, "table:\n%s\nwant: %s", text, want);
    snprintf(want, sizeof want, "Closure %12llu B %12llu B %11llu  the whole closure",
             (unsigned long long)all_bytes, (unsigned long long)all_live,
             (unsigned long long)r.objects_allocated);
    ck_assert_msg(strstr(text, want) != NULL, "table:\n%s\nwant: %s", text, want);
    ck_assert_ptr_nonnull(strstr(text, "\nFile: (no site)"));
    /* The caller's file comes first. */
    snprintf(want, sizeof want, "File: %s\n", __FILE__);
    ck_assert(strstr(text, want) < strstr(text, "File: (no site)"));
    snprintf(want, sizeof want,
             "\"closure\": {\"allocated\": %llu, \"live_after\": %llu, \"allocations\": %llu}",
             (unsigned long long)all_bytes, (unsigned long long)all_live,
             (unsigned long long)r.objects_allocated);
    ck_assert_msg(strstr(json, want) != NULL, "json: %s\nwant: %s", json, want);
    ck_assert_ptr_nonnull(strstr(json, "\"file_matched\": true"));
    ck_assert_ptr_nonnull(strstr(json, "\"warnings\": []}"));
    free(text);
    free(json);
    gcp_line_report_free(lines);
    tu_vec = NULL;
    for (int i = 0; i < OWN_N; i++)
        tu_own[i] = NULL;
}
END_TEST

/* An old caller's smaller struct is filled only as far as it goes. */
START_TEST(test_lines_summary_size)
{
    gcp_line_report *lines = NULL;
    gcp_line_summary sum;
    gcp_report r;
    size_t keep = 10;

    ck_assert_int_eq(GCP_PROFILE_LINES("other", tu_other_closure, &keep, NULL, &r, &lines), 0);
    memset(&sum, 0xab, sizeof sum);
    ck_assert_int_eq(gcp_line_report_summary(lines, &sum, sizeof sum.flags), 0);
    ck_assert(sum.flags & GCP_LINES_FILE_UNMATCHED);
    ck_assert_uint_eq(sum.n_rows, (size_t)0xabababababababab);
    ck_assert_int_eq(gcp_line_report_summary(NULL, &sum, sizeof sum), GCP_EINVAL);
    ck_assert_int_eq(gcp_line_report_summary(lines, NULL, sizeof sum), GCP_EINVAL);
    ck_assert_int_eq(gcp_profile_lines("x", tu_other_closure, &keep, NULL, NULL, &r, &lines),
                     GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "file"));
    gcp_line_report_free(lines);
}
END_TEST

/* ---- one table per snapshot, printed from two threads at once ----------- */

#define N_TABLE_SITES 200
#define N_PRINTS      4000

static gcp_site table_sites[N_TABLE_SITES];
static void *table_kept[N_TABLE_SITES * (N_TABLE_SITES + 1) / 2];

/* A snapshot where site i keeps i + 1 objects (or N - i when reversed):
 * every site's live bytes differ, in opposite orders for the two. */
static gcp_snapshot *table_snapshot(int reversed, const char *label)
{
    size_t k = 0;

    for (int i = 0; i < N_TABLE_SITES; i++) {
        int n = reversed ? N_TABLE_SITES - i : i + 1;
        for (int j = 0; j < n; j++)
            table_kept[k++] = gcp_alloc_at(48, &table_sites[i]);
    }
    gcp_snapshot *snap = gcp_snapshot_take(label);
    memset(table_kept, 0, sizeof table_kept);
    return snap;
}

/* The table as the header documents it, built from the snapshot's sites:
 * largest live bytes first, ties in site order. malloc'd. */
static char *expected_table(const gcp_snapshot *snap, const char *label)
{
    size_t n = gcp_snapshot_count(snap), len = 0;
    size_t *order = malloc(n * sizeof *order);
    char *text = NULL;
    FILE *fp = open_memstream(&text, &len);

    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        uint64_t live = gcp_snapshot_site(snap, i)->bytes_live;
        for (; j > 0 && gcp_snapshot_site(snap, order[j - 1])->bytes_live < live; j--)
            order[j] = order[j - 1];
        order[j] = i; /* after the ones with as many bytes: stable */
    }
    fprintf(fp, "snapshot '%s': live runtime objects by allocation site\n", label);
    fprintf(fp, "%12s %9s %14s %10s  %-7s %s\n", "live bytes", "objects", "allocated", "objects",
            "memory", "site");
    for (size_t i = 0; i < n; i++) {
        const gcp_site_stats *s = gcp_snapshot_site(snap, order[i]);
        fprintf(fp, "%12llu %9llu %14llu %10llu  %-7s %s:%d %s\n",
                (unsigned long long)s->bytes_live, (unsigned long long)s->objects_live,
                (unsigned long long)s->bytes_allocated, (unsigned long long)s->objects_allocated,
                s->atomic ? "atomic" : "scanned", s->file, s->line, s->func);
    }
    fclose(fp);
    free(order);
    return text;
}

typedef struct table_job {
    const gcp_snapshot *snap;
    const char *want;
    int wrong; /* prints that differed from want */
    char first_wrong[256];
} table_job;

static void *print_tables(void *arg)
{
    table_job *job = arg;

    for (int i = 0; i < N_PRINTS; i++) {
        char *text = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&text, &len);
        int rc = gcp_snapshot_print(fp, job->snap);
        fclose(fp);
        if (rc != 0 || strcmp(text, job->want) != 0) {
            if (job->wrong++ == 0) {
                size_t at = 0;
                while (text[at] && text[at] == job->want[at])
                    at++;
                snprintf(job->first_wrong, sizeof job->first_wrong, "rc %d, from byte %zu: %.120s",
                         rc, at, text + at);
            }
        }
        free(text);
    }
    return NULL;
}

/* ---- many sites, interleaved, on two threads ------------------------------ */

/* More sites than a thread's counters reach (65,536 ids): the last ones
 * count in the site itself. Site i gets i % 3 + 1 objects a thread, the
 * threads going round all sites in turn, and each thread sums the
 * collector's size of what it allocated at each site. */
#define N_MANY (65536 + 1000)

static gcp_site many[N_MANY];
static uint64_t many_bytes[2][N_MANY];

static void *alloc_many(void *arg)
{
    uint64_t *bytes = arg;

    for (int round = 0; round < 3; round++)
        for (int i = 0; i < N_MANY; i++)
            if (round <= i % 3) {
                void *p = gcp_alloc_at(16 + (size_t)(i % 4) * 8, &many[i]);
                ck_assert_ptr_nonnull(p);
                bytes[i] += GC_size(GC_base(p));
            }
    return NULL;
}

START_TEST(test_many_sites_counted_exactly)
{
    pthread_t t[2];

    for (int i = 0; i < N_MANY; i++) {
        many[i].file = "many.c";
        many[i].line = i + 1;
        many[i].func = "alloc_many";
    }
    for (int k = 0; k < 2; k++)
        ck_assert_int_eq(pthread_create(&t[k], NULL, alloc_many, many_bytes[k]), 0);
    for (int k = 0; k < 2; k++)
        pthread_join(t[k], NULL);
    gcp_snapshot *s = gcp_snapshot_take("many");
    ck_assert_ptr_nonnull(s);
    int seen = 0;
    for (size_t j = 0; j < gcp_snapshot_count(s); j++) {
        const gcp_site_stats *st = gcp_snapshot_site(s, j);
        if (strcmp(st->file, "many.c") != 0)
            continue;
        int i = st->line - 1;
        ck_assert_uint_eq(st->objects_allocated, 2 * (uint64_t)(i % 3 + 1));
        ck_assert_uint_eq(st->bytes_allocated, many_bytes[0][i] + many_bytes[1][i]);
        seen++;
    }
    ck_assert_int_eq(seen, N_MANY);
    gcp_snapshot_free(s);
}
END_TEST

/* gcp_snapshot_print sorted through a file-static: two threads printing
 * at once sorted one snapshot's rows by the other's bytes. */
START_TEST(test_snapshot_print_two_threads)
{
    for (int i = 0; i < N_TABLE_SITES; i++)
        table_sites[i] = (gcp_site){.file = "table_site.c", .line = i + 1, .func = "table_site"};
    gcp_snapshot *up = table_snapshot(0, "up"), *down = table_snapshot(1, "down");
    ck_assert_ptr_nonnull(up);
    ck_assert_ptr_nonnull(down);
    table_job jobs[2] = {{up, expected_table(up, "up"), 0, ""},
                         {down, expected_table(down, "down"), 0, ""}};
    /* The two orders differ, and one thread alone prints them right. */
    ck_assert_str_ne(strchr(jobs[0].want, '\n'), strchr(jobs[1].want, '\n'));
    for (int i = 0; i < 2; i++) {
        char *text = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&text, &len);
        ck_assert_int_eq(gcp_snapshot_print(fp, jobs[i].snap), 0);
        fclose(fp);
        ck_assert_str_eq(text, jobs[i].want);
        free(text);
    }

    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, print_tables, &jobs[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(jobs[i].wrong == 0, "%s: %d of %d tables wrong; first: %s", i ? "down" : "up",
                      jobs[i].wrong, N_PRINTS, jobs[i].first_wrong);
        free((char *)jobs[i].want);
    }
    gcp_snapshot_free(up);
    gcp_snapshot_free(down);
}
END_TEST

START_TEST(test_snapshot_errors)
{
    ck_assert_int_eq(gcp_snapshot_print(NULL, NULL), GCP_EINVAL);
    ck_assert_int_eq(gcp_snapshot_diff_print(stdout, NULL, NULL), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "before"));
    ck_assert_uint_eq(gcp_snapshot_count(NULL), 0);
    ck_assert_ptr_null(gcp_snapshot_site(NULL, 0));
    GC_disable();
    ck_assert_ptr_null(gcp_snapshot_take("disabled"));
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "disabled"));
    GC_enable();
    gcp_snapshot_free(NULL);
}
END_TEST

static Suite *make_sites_suite(void)
{
    Suite *s = suite_create("sites");
    TCase *off = tcase_create("off");
    TCase *on = tcase_create("on");

    tcase_add_test(off, test_untracked_objects_have_no_header);
    tcase_add_test(off, test_snapshot_errors);
    tcase_add_test(off, test_line_by_line_report);
    tcase_add_test(off, test_lines_closure_in_other_file);
    tcase_add_test(off, test_lines_live_after_counts_the_closures_objects);
    tcase_add_test(off, test_lines_totals_show_the_whole_closure);
    tcase_add_test(off, test_lines_summary_size);
    suite_add_tcase(s, off);

    tcase_add_checked_fixture(on, track_on, track_off);
    tcase_add_test(on, test_tracked_object_layout);
    tcase_add_test(on, test_counts_by_site_exact);
    tcase_add_test(on, test_atomic_sites_marked);
    tcase_add_test(on, test_diff_shows_growth_new_and_gone);
    tcase_add_test(on, test_threads_share_a_site);
    tcase_add_test(on, test_profiler_counts_sited_objects);
    tcase_add_test(on, test_leak_check_names_site);
    tcase_add_test(on, test_snapshot_print_two_threads);
    suite_add_tcase(s, on);
    /* Apart: 133,000 sited allocations take two minutes under valgrind
     * (scripts/check-valgrind.sh runs off and on). */
    TCase *wide = tcase_create("many");
    tcase_add_checked_fixture(wide, track_on, track_off);
    tcase_add_test(wide, test_many_sites_counted_exactly);
    suite_add_tcase(s, wide);
    return s;
}

int main(void)
{
    return tu_run(make_sites_suite());
}
