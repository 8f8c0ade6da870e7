/*
 * check_leak_report.c - the leak reports: a leak check's report printed
 * and as JSON (every field read back equal), and the leak verdict of two
 * snapshots against what the test itself kept between them (the
 * collector's size of each object, GC_size, at a line it knows).
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcprof.h"
#include "json_flat.h"
#include "testutil.h"

#define N_KEPT 37

/* Not static: stores to them are real (BDWGC-NOTES). */
void *kept_a[N_KEPT], *kept_b[N_KEPT], *kept_old[N_KEPT];
static int line_a, line_b, line_old, line_garbage, line_leak;

/* What print(what) writes, as a malloc'd string. */
#define PRINTED(print, what)                                                                      \
    __extension__({                                                                                \
        char *text_ = NULL;                                                                        \
        size_t len_ = 0;                                                                           \
        FILE *fp_ = open_memstream(&text_, &len_);                                                 \
        ck_assert_int_eq(print(fp_, (what)), 0);                                                   \
        fclose(fp_);                                                                               \
        text_;                                                                                     \
    })

/* The next line of *p (NUL-terminated in place), or NULL at the end. */
static char *next_line(char **p)
{
    char *line = *p, *end;

    if (!line || !*line)
        return NULL;
    end = strchr(line, '\n');
    ck_assert_ptr_nonnull(end); /* every line ends */
    *end = '\0';
    *p = end + 1;
    return line;
}

/* One JSON line parsed by the project's parser (tools/json_flat.c). */
static void parse_json(tool_jobj *o, char *text)
{
    ck_assert_ptr_eq(strchr(text, '\n'), text + strlen(text) - 1); /* one line */
    text[strlen(text) - 1] = '\0';
    ck_assert_msg(tool_json_object(o, text) == 0, "%s", o->err);
}

static const tool_jpair *json_get(const tool_jobj *o, const char *key, tool_jv_type type)
{
    const tool_jpair *p = tool_json_get(o, key);

    ck_assert_msg(p != NULL, "no \"%s\"", key);
    ck_assert_msg(p->type == type, "\"%s\" has type %d, not %d", key, (int)p->type, (int)type);
    return p;
}

static long long json_int(const tool_jobj *o, const char *key)
{
    return strtoll(json_get(o, key, TOOL_JV_NUMBER)->s, NULL, 10);
}

static unsigned long long json_uint(const tool_jobj *o, const char *key)
{
    return strtoull(json_get(o, key, TOOL_JV_NUMBER)->s, NULL, 10);
}

static double json_double(const tool_jobj *o, const char *key)
{
    return strtod(json_get(o, key, TOOL_JV_NUMBER)->s, NULL);
}

static int json_bool(const tool_jobj *o, const char *key)
{
    const tool_jpair *p = tool_json_get(o, key);

    ck_assert_msg(p && (p->type == TOOL_JV_TRUE || p->type == TOOL_JV_FALSE), "no boolean \"%s\"",
                  key);
    return p->type == TOOL_JV_TRUE;
}

/* Printed to `decimals` places: within half a unit of the last. */
static void assert_near(double printed, double value, int decimals, const char *what)
{
    ck_assert_msg(fabs(printed - value) <= 0.5 * pow(10, -decimals) + 1e-12,
                  "%s: printed %.*f, is %.17g", what, decimals, printed, value);
}

/* ---- a leak check's report: printed --------------------------------------- */

/* A report with every field set, each to a value of its own. */
static uint64_t synthetic_live[6] = {1000, 2000, 3000, 5000, 6000, 7777};

static gcp_leak_report synthetic(void)
{
    gcp_leak_report r;

    memset(&r, 0, sizeof r);
    strcpy(r.name, "synthetic \"quoted\" report");
    r.has_leak = 1;
    r.bytes_per_iteration = 1234.5678;
    r.objects_per_iteration = -2.25;
    r.r_squared = 0.87654321;
    r.iterations = 6;
    r.live_bytes_first = 1000;
    r.live_bytes_last = 7777;
    r.status = -3;
    r.live_bytes = synthetic_live;
    r.n_sites = 2;
    r.sites[0].file = "src/a.c";
    r.sites[0].func = "grow_a";
    r.sites[0].line = 12;
    r.sites[0].bytes_per_iteration = 800.125;
    r.sites[1].file = "dir/b.c";
    r.sites[1].func = "grow_b";
    r.sites[1].line = 345;
    r.sites[1].bytes_per_iteration = 17.5;
    r.persistent_bytes = -4096;
    r.fall_bytes = 512;
    r.persistent_span = 3;
    r.persistent_per_iteration = -1536.0 / 3;
    r.p_value = 1.0 / 3432;
    return r;
}

/* Every line of the printed report against the report's fields. */
static void assert_print_is(const gcp_leak_report *r)
{
    char *text = PRINTED(gcp_leak_report_print, r), *p = text, *line;
    char name[256], verdict[32], file[256], func[256];
    size_t iterations, span, n;
    int status, site_line;
    long long persistent;
    unsigned long long fall, first, last;
    double per_iteration, p_value, bytes, objects, r2;

    line = next_line(&p);
    ck_assert_int_eq(sscanf(line, "leak check '%255[^']': %31[^;]; %zu iterations, status %d", name,
                            verdict, &iterations, &status),
                     4);
    ck_assert_str_eq(name, r->name);
    ck_assert_str_eq(verdict, r->has_leak ? "LEAK" : "no leak");
    ck_assert_uint_eq(iterations, r->iterations);
    ck_assert_int_eq(status, r->status);

    line = next_line(&p);
    ck_assert_int_eq(sscanf(line,
                            "  persistent growth %lld bytes over %zu iterations, largest fall "
                            "%llu bytes: %lf bytes/iteration (p_value %lf)",
                            &persistent, &span, &fall, &per_iteration, &p_value),
                     5);
    ck_assert_int_eq(persistent, r->persistent_bytes);
    ck_assert_uint_eq(span, r->persistent_span);
    ck_assert_uint_eq(fall, r->fall_bytes);
    assert_near(per_iteration, r->persistent_per_iteration, 3, "persistent_per_iteration");
    ck_assert_msg(fabs(p_value - r->p_value) <= 5e-3 * r->p_value, "p_value %g, is %g", p_value,
                  r->p_value); /* 3 significant digits */

    line = next_line(&p);
    ck_assert_int_eq(sscanf(line,
                            "  fitted growth %lf bytes/iteration, %lf objects/iteration, R^2 %lf",
                            &bytes, &objects, &r2),
                     3);
    assert_near(bytes, r->bytes_per_iteration, 3, "bytes_per_iteration");
    assert_near(objects, r->objects_per_iteration, 3, "objects_per_iteration");
    assert_near(r2, r->r_squared, 4, "r_squared");

    line = next_line(&p);
    ck_assert_int_eq(sscanf(line, "  live bytes %llu first, %llu last", &first, &last), 2);
    ck_assert_uint_eq(first, r->live_bytes_first);
    ck_assert_uint_eq(last, r->live_bytes_last);

    if (r->live_bytes) {
        line = next_line(&p);
        const char *head = "  live bytes by iteration:";
        ck_assert_int_eq(strncmp(line, head, strlen(head)), 0);
        char *q = line + strlen(head), *end;
        for (size_t i = 0; i < r->iterations; i++) {
            unsigned long long v = strtoull(q, &end, 10);
            ck_assert_ptr_ne(end, q);
            ck_assert_uint_eq(v, r->live_bytes[i]);
            q = end;
        }
        ck_assert_str_eq(q, "");
    }

    line = next_line(&p);
    ck_assert_int_eq(sscanf(line, "  growing sites %zu", &n), 1);
    ck_assert_uint_eq(n, r->n_sites);
    for (size_t i = 0; i < r->n_sites; i++) {
        line = next_line(&p);
        ck_assert_int_eq(sscanf(line, " %lf bytes/iteration %255[^:]:%d (%255[^)])", &bytes, file,
                                &site_line, func),
                         4);
        assert_near(bytes, r->sites[i].bytes_per_iteration, 3, "site bytes_per_iteration");
        ck_assert_str_eq(file, r->sites[i].file);
        ck_assert_int_eq(site_line, r->sites[i].line);
        ck_assert_str_eq(func, r->sites[i].func);
    }
    ck_assert_ptr_null(next_line(&p)); /* nothing more */
    free(text);
}

/* The JSON against the report's fields: doubles read back equal. */
static void assert_json_is(const gcp_leak_report *r)
{
    char *text = PRINTED(gcp_leak_report_write_json, r);
    char *raw = strdup(text);
    tool_jobj o;

    parse_json(&o, text);
    ck_assert_str_eq(json_get(&o, "name", TOOL_JV_STRING)->s, r->name);
    ck_assert_int_eq(json_bool(&o, "has_leak"), r->has_leak);
    ck_assert_int_eq(json_int(&o, "status"), r->status);
    ck_assert_uint_eq(json_uint(&o, "iterations"), r->iterations);
    ck_assert(json_double(&o, "bytes_per_iteration") == r->bytes_per_iteration);
    ck_assert(json_double(&o, "objects_per_iteration") == r->objects_per_iteration);
    ck_assert(json_double(&o, "r_squared") == r->r_squared);
    ck_assert_uint_eq(json_uint(&o, "live_bytes_first"), r->live_bytes_first);
    ck_assert_uint_eq(json_uint(&o, "live_bytes_last"), r->live_bytes_last);
    ck_assert_int_eq(json_int(&o, "persistent_bytes"), r->persistent_bytes);
    ck_assert_uint_eq(json_uint(&o, "fall_bytes"), r->fall_bytes);
    ck_assert_uint_eq(json_uint(&o, "persistent_span"), r->persistent_span);
    ck_assert(json_double(&o, "persistent_per_iteration") == r->persistent_per_iteration);
    ck_assert(json_double(&o, "p_value") == r->p_value);
    ck_assert_uint_eq(json_uint(&o, "n_sites"), r->n_sites);
    json_get(&o, "sites", TOOL_JV_NESTED);
    json_get(&o, "live_bytes", r->live_bytes ? TOOL_JV_NESTED : TOOL_JV_NULL);

    /* The arrays, element by element. */
    const char *p = strstr(raw, "\"sites\": [");
    ck_assert_ptr_nonnull(p);
    p += strlen("\"sites\": [");
    for (size_t i = 0; i < r->n_sites; i++) {
        char file[256], func[256];
        int line, used = 0;
        double bytes;
        if (i) {
            ck_assert_int_eq(strncmp(p, ", ", 2), 0);
            p += 2;
        }
        ck_assert_int_eq(sscanf(p,
                                "{\"file\": \"%255[^\"]\", \"function\": \"%255[^\"]\", \"line\": "
                                "%d, \"bytes_per_iteration\": %lf}%n",
                                file, func, &line, &bytes, &used),
                         4);
        ck_assert_str_eq(file, r->sites[i].file);
        ck_assert_str_eq(func, r->sites[i].func);
        ck_assert_int_eq(line, r->sites[i].line);
        ck_assert(bytes == r->sites[i].bytes_per_iteration);
        p += used;
    }
    ck_assert_int_eq(*p, ']');
    if (r->live_bytes) {
        p = strstr(raw, "\"live_bytes\": [");
        ck_assert_ptr_nonnull(p);
        p += strlen("\"live_bytes\": [");
        for (size_t i = 0; i < r->iterations; i++) {
            char *end;
            unsigned long long v = strtoull(p, &end, 10);
            ck_assert_ptr_ne(end, p);
            ck_assert_uint_eq(v, r->live_bytes[i]);
            p = end;
            if (i + 1 < r->iterations) {
                ck_assert_int_eq(strncmp(p, ", ", 2), 0);
                p += 2;
            }
        }
        ck_assert_str_eq(p, "]}\n");
    }
    free(raw);
    free(text);
}

START_TEST(test_report_print_every_field)
{
    gcp_leak_report r = synthetic();

    assert_print_is(&r);
    r.live_bytes = NULL; /* no array: no such line */
    r.has_leak = 0;
    r.n_sites = 0;
    assert_print_is(&r);
}
END_TEST

START_TEST(test_report_json_every_field)
{
    gcp_leak_report r = synthetic();

    assert_json_is(&r);
    r.live_bytes = NULL; /* "live_bytes": null */
    r.has_leak = 0;
    r.n_sites = 1;
    assert_json_is(&r);
}
END_TEST

/* An operation that keeps one object per call, at a line of ours. */
static void *volatile leak_list;

static int leak_one(void *env)
{
    (void)env;
    line_leak = __LINE__ + 1;
    void **node = gcp_alloc(64);
    node[0] = leak_list;
    leak_list = node;
    return 0;
}

/* A real check's report: both forms say what the check found, the
 * growing site included. */
START_TEST(test_report_of_a_real_check)
{
    uint64_t live[12];
    gcp_leak_options opt;
    gcp_leak_report r;

    gcp_sites_track(1);
    gcp_leak_options_init(&opt);
    opt.iterations = 12;
    memset(&r, 0, sizeof r);
    r.live_bytes = live;
    ck_assert_int_eq(gcp_leak_check("leak_one", leak_one, NULL, &opt, &r), 0);
    ck_assert_int_eq(r.has_leak, 1);
    ck_assert_uint_ge(r.n_sites, 1);
    ck_assert_int_eq(r.sites[0].line, line_leak);
    assert_print_is(&r);
    assert_json_is(&r);
    char *text = PRINTED(gcp_leak_report_print, &r);
    char want[64];
    snprintf(want, sizeof want, "check_leak_report.c:%d (leak_one)", line_leak);
    ck_assert_msg(strstr(text, want) != NULL, "%s", text);
    free(text);
}
END_TEST

/* A name with a newline stays on its line; in JSON it is escaped. */
START_TEST(test_report_name_with_control_characters)
{
    gcp_leak_report r = synthetic();

    strcpy(r.name, "two\nlines\tand 'quote'");
    char *text = PRINTED(gcp_leak_report_print, &r);
    const char *want = "leak check 'two?lines?and 'quote'': LEAK;";
    ck_assert_int_eq(strncmp(text, want, strlen(want)), 0);
    ck_assert_ptr_eq(strchr(text, '\n'), strstr(text, "status -3\n") + 9); /* one line */
    free(text);
    text = PRINTED(gcp_leak_report_write_json, &r);
    ck_assert_ptr_nonnull(strstr(text, "\"name\": \"two\\u000alines\\u0009and 'quote'\""));
    tool_jobj o;
    parse_json(&o, text);
    free(text);
    r.bytes_per_iteration = NAN;
    text = PRINTED(gcp_leak_report_write_json, &r);
    ck_assert_ptr_nonnull(strstr(text, "\"bytes_per_iteration\": null"));
    parse_json(&o, text);
    free(text);
}
END_TEST

START_TEST(test_report_null_arguments)
{
    gcp_leak_report r = synthetic();
    tu_log log;

    tu_log_capture(&log);
    ck_assert_int_eq(gcp_leak_report_print(NULL, &r), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "fp is NULL"));
    ck_assert_int_eq(gcp_leak_report_print(stdout, NULL), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "report is NULL"));
    ck_assert_int_eq(gcp_leak_report_write_json(NULL, &r), GCP_EINVAL);
    ck_assert_int_eq(gcp_leak_report_write_json(stdout, NULL), GCP_EINVAL);
    tu_log_restore();
}
END_TEST

/* ---- the verdict of two snapshots --------------------------------------- */

/* n objects of size at one line each, into where; their GC_size summed. */
static NOINLINE uint64_t keep_at_a(size_t size)
{
    uint64_t bytes = 0;

    for (int i = 0; i < N_KEPT; i++) {
        line_a = __LINE__ + 1;
        kept_a[i] = gcp_alloc(size);
        bytes += GC_size(GC_base(kept_a[i]));
    }
    return bytes;
}

static NOINLINE uint64_t keep_at_b(size_t size)
{
    uint64_t bytes = 0;

    for (int i = 0; i < N_KEPT; i++) {
        line_b = __LINE__ + 1;
        kept_b[i] = gcp_alloc_atomic(size);
        bytes += GC_size(GC_base(kept_b[i]));
    }
    return bytes;
}

static NOINLINE uint64_t keep_old(void)
{
    uint64_t bytes = 0;

    for (int i = 0; i < N_KEPT; i++) {
        line_old = __LINE__ + 1;
        kept_old[i] = gcp_alloc(48);
        bytes += GC_size(GC_base(kept_old[i]));
    }
    return bytes;
}

static NOINLINE void make_garbage(void)
{
    for (int i = 0; i < 1000; i++) {
        line_garbage = __LINE__ + 1;
        tu_sink = gcp_alloc(32 + (size_t)(i % 7) * 16);
    }
    tu_sink = NULL;
}

static void track_on(void)
{
    gcp_init();
    gcp_sites_track(1);
}

static gcp_snapshot_verdict verdict_of(const gcp_snapshot_leaks *l)
{
    gcp_snapshot_verdict v;

    ck_assert_int_eq(gcp_snapshot_leaks_verdict(l, &v), 0);
    for (int w = 0; w < 4; w++)
        ck_assert_uint_eq(v.reserved_[w], 0);
    return v;
}

static gcp_snapshot_leak_site site_of(const gcp_snapshot_leaks *l, size_t i)
{
    gcp_snapshot_leak_site s;

    ck_assert_int_eq(gcp_snapshot_leaks_site(l, i, &s), 0);
    for (int w = 0; w < 4; w++)
        ck_assert_uint_eq(s.reserved_[w], 0);
    return s;
}

/* K objects kept at one line between the snapshots: the growth is
 * exactly their GC_size, the site's row says so, and the threshold is
 * inclusive. */
START_TEST(test_kept_objects_are_the_growth)
{
    gcp_snapshot *before = gcp_snapshot_take("before");
    uint64_t kept = keep_at_a(100);
    gcp_snapshot *after = gcp_snapshot_take("after");
    gcp_snapshot_leaks *l = NULL;

    ck_assert_ptr_nonnull(before);
    ck_assert_ptr_nonnull(after);
    ck_assert_int_eq(gcp_snapshot_check_leaks(before, after, 0, &l), 1);
    gcp_snapshot_verdict v = verdict_of(l);
    ck_assert_int_eq(v.has_leak, 1);
    ck_assert_int_eq(v.growth_bytes, (int64_t)kept);
    ck_assert_int_eq(v.growth_objects, N_KEPT);
    ck_assert_uint_eq(v.bytes_after - v.bytes_before, kept);
    ck_assert_uint_eq(v.objects_after - v.objects_before, N_KEPT);
    ck_assert_str_eq(v.before_label, "before");
    ck_assert_str_eq(v.after_label, "after");
    ck_assert(v.threshold_bytes == 0);
    ck_assert_uint_eq(v.n_sites, 1);
    ck_assert_uint_eq(gcp_snapshot_leaks_count(l), 1);
    gcp_snapshot_leak_site s = site_of(l, 0);
    ck_assert_int_eq(s.line, line_a);
    ck_assert_ptr_nonnull(strstr(s.file, "check_leak_report.c"));
    ck_assert_str_eq(s.func, "keep_at_a");
    ck_assert_int_eq(s.growth_bytes, (int64_t)kept);
    ck_assert_int_eq(s.growth_objects, N_KEPT);
    ck_assert_uint_eq(s.bytes_before, 0);
    ck_assert_uint_eq(s.bytes_after, kept);
    ck_assert_uint_eq(s.objects_after, N_KEPT);
    ck_assert_int_eq(s.is_new, 1);
    ck_assert_int_eq(s.atomic, 0);
    ck_assert_int_eq(gcp_snapshot_leaks_site(l, 1, &s), GCP_ERANGE);
    gcp_snapshot_leaks_free(l);

    /* Inclusive: exactly the growth is a leak, a byte more is not. */
    ck_assert_int_eq(gcp_snapshot_check_leaks(before, after, (double)kept, NULL), 1);
    ck_assert_int_eq(gcp_snapshot_check_leaks(before, after, (double)kept + 1, &l), 0);
    v = verdict_of(l);
    ck_assert_int_eq(v.has_leak, 0);
    ck_assert_int_eq(v.growth_bytes, (int64_t)kept); /* the figures stand */
    ck_assert_uint_eq(gcp_snapshot_leaks_count(l), 1);
    gcp_snapshot_leaks_free(l);

    /* The other way round it shrank: no leak, no site grew. */
    ck_assert_int_eq(gcp_snapshot_check_leaks(after, before, 0, &l), 0);
    v = verdict_of(l);
    ck_assert_int_eq(v.growth_bytes, -(int64_t)kept);
    ck_assert_uint_eq(v.n_sites, 0);
    ck_assert_uint_eq(gcp_snapshot_leaks_count(l), 0);
    gcp_snapshot_leaks_free(l);
    gcp_snapshot_free(before);
    gcp_snapshot_free(after);
}
END_TEST

/* Garbage made between the snapshots and nothing kept: no leak, even at
 * threshold 0, and no site grew. */
START_TEST(test_nothing_kept_is_no_leak)
{
    gcp_snapshot *before = gcp_snapshot_take("before");
    make_garbage();
    tu_clear_dead_stack();
    gcp_snapshot *after = gcp_snapshot_take("after");
    gcp_snapshot_leaks *l = NULL;

    ck_assert_int_eq(gcp_snapshot_check_leaks(before, after, 0, &l), 0);
    gcp_snapshot_verdict v = verdict_of(l);
    ck_assert_int_eq(v.has_leak, 0);
    ck_assert_int_eq(v.growth_bytes, 0);
    ck_assert_int_eq(v.growth_objects, 0);
    ck_assert_uint_eq(v.n_sites, 0);
    gcp_snapshot_leaks_free(l);
    gcp_snapshot_free(before);
    gcp_snapshot_free(after);
}
END_TEST

/* Two sites grew, one shrank: the grown ones largest first, the shrunk
 * one only in the totals. */
START_TEST(test_sites_largest_first)
{
    uint64_t old = keep_old();
    gcp_snapshot *before = gcp_snapshot_take("before");
    for (int i = 0; i < N_KEPT; i++)
        kept_old[i] = NULL;
    uint64_t a = keep_at_a(64), b = keep_at_b(1000);
    gcp_snapshot *after = gcp_snapshot_take("after");
    gcp_snapshot_leaks *l = NULL;

    ck_assert_int_eq(gcp_snapshot_check_leaks(before, after, 1, &l), 1);
    gcp_snapshot_verdict v = verdict_of(l);
    ck_assert_int_eq(v.growth_bytes, (int64_t)(a + b) - (int64_t)old);
    ck_assert_int_eq(v.growth_objects, N_KEPT);
    ck_assert_uint_eq(v.n_sites, 2);
    gcp_snapshot_leak_site first = site_of(l, 0), second = site_of(l, 1);
    ck_assert_int_eq(first.line, line_b);
    ck_assert_int_eq(first.growth_bytes, (int64_t)b);
    ck_assert_int_eq(first.atomic, 1);
    ck_assert_int_eq(second.line, line_a);
    ck_assert_int_eq(second.growth_bytes, (int64_t)a);
    gcp_snapshot_leaks_free(l);
    gcp_snapshot_free(before);
    gcp_snapshot_free(after);
}
END_TEST

/* Printed and JSON: the verdict's own figures, after the snapshots are
 * gone (the verdict keeps its labels). */
START_TEST(test_verdict_printed_and_json)
{
    keep_old();
    gcp_snapshot *before = gcp_snapshot_take("warm \"cache\"");
    for (int i = 0; i < N_KEPT; i++)
        kept_old[i] = NULL;
    keep_at_a(64);
    keep_at_b(1000);
    gcp_snapshot *after = gcp_snapshot_take("after");
    gcp_snapshot_leaks *l = NULL;

    ck_assert_str_eq(gcp_snapshot_label(before), "warm \"cache\"");
    ck_assert_int_eq(gcp_snapshot_check_leaks(before, after, 2.5, &l), 1);
    gcp_snapshot_free(before);
    gcp_snapshot_free(after);
    gcp_snapshot_verdict v = verdict_of(l);
    size_t n = gcp_snapshot_leaks_count(l);
    ck_assert_uint_eq(n, 2);

    /* printed */
    char *text = PRINTED(gcp_snapshot_leaks_print, l), *p = text, *line;
    char verdict[16], rest[512];
    long long growth, objects;
    unsigned long long bb, ob, ba, oa;
    size_t sites;
    double threshold;
    line = next_line(&p);
    ck_assert_int_eq(sscanf(line,
                            "'warm \"cache\"' -> 'after': %15[^:]: live bytes %lld (threshold "
                            "%lf), objects %lld",
                            verdict, &growth, &threshold, &objects),
                     4);
    ck_assert_str_eq(verdict, "LEAK");
    ck_assert_int_eq(growth, v.growth_bytes);
    ck_assert(threshold == 2.5);
    ck_assert_int_eq(objects, v.growth_objects);
    line = next_line(&p);
    ck_assert_int_eq(sscanf(line,
                            "  live before %llu bytes in %llu objects, after %llu bytes in %llu "
                            "objects",
                            &bb, &ob, &ba, &oa),
                     4);
    ck_assert_uint_eq(bb, v.bytes_before);
    ck_assert_uint_eq(ob, v.objects_before);
    ck_assert_uint_eq(ba, v.bytes_after);
    ck_assert_uint_eq(oa, v.objects_after);
    line = next_line(&p);
    ck_assert_int_eq(sscanf(line, "  sites that grew: %zu", &sites), 1);
    ck_assert_uint_eq(sites, n);
    next_line(&p); /* column heads */
    for (size_t i = 0; i < n; i++) {
        gcp_snapshot_leak_site s = site_of(l, i);
        char want[256];
        line = next_line(&p);
        ck_assert_int_eq(sscanf(line, " %lld %lld %511[^\n]", &growth, &objects, rest), 3);
        ck_assert_int_eq(growth, s.growth_bytes);
        ck_assert_int_eq(objects, s.growth_objects);
        snprintf(want, sizeof want, "%s%s:%d %s", s.is_new ? "[new] " : "", s.file, s.line, s.func);
        ck_assert_str_eq(rest, want);
    }
    ck_assert_ptr_null(next_line(&p));
    free(text);

    /* JSON */
    text = PRINTED(gcp_snapshot_leaks_write_json, l);
    char *raw = strdup(text);
    tool_jobj o;
    parse_json(&o, text);
    ck_assert_str_eq(json_get(&o, "before", TOOL_JV_STRING)->s, "warm \"cache\"");
    ck_assert_str_eq(json_get(&o, "after", TOOL_JV_STRING)->s, "after");
    ck_assert_int_eq(json_bool(&o, "has_leak"), v.has_leak);
    ck_assert(json_double(&o, "threshold_bytes") == 2.5);
    ck_assert_uint_eq(json_uint(&o, "bytes_before"), v.bytes_before);
    ck_assert_uint_eq(json_uint(&o, "bytes_after"), v.bytes_after);
    ck_assert_uint_eq(json_uint(&o, "objects_before"), v.objects_before);
    ck_assert_uint_eq(json_uint(&o, "objects_after"), v.objects_after);
    ck_assert_int_eq(json_int(&o, "growth_bytes"), v.growth_bytes);
    ck_assert_int_eq(json_int(&o, "growth_objects"), v.growth_objects);
    ck_assert_uint_eq(json_uint(&o, "n_sites"), n);
    json_get(&o, "sites", TOOL_JV_NESTED);
    p = strstr(raw, "\"sites\": [") + strlen("\"sites\": [");
    for (size_t i = 0; i < n; i++) {
        gcp_snapshot_leak_site s = site_of(l, i);
        char want[1024];
        snprintf(want, sizeof want,
                 "%s{\"file\": \"%s\", \"line\": %d, \"function\": \"%s\", \"atomic\": %s, "
                 "\"new\": %s, \"bytes_before\": %llu, \"bytes_after\": %llu, "
                 "\"objects_before\": %llu, \"objects_after\": %llu, \"growth_bytes\": %lld, "
                 "\"growth_objects\": %lld}",
                 i ? ", " : "", s.file, s.line, s.func, s.atomic ? "true" : "false",
                 s.is_new ? "true" : "false", (unsigned long long)s.bytes_before,
                 (unsigned long long)s.bytes_after, (unsigned long long)s.objects_before,
                 (unsigned long long)s.objects_after, (long long)s.growth_bytes,
                 (long long)s.growth_objects);
        ck_assert_int_eq(strncmp(p, want, strlen(want)), 0);
        p += strlen(want);
    }
    ck_assert_str_eq(p, "]}\n");
    free(raw);
    free(text);
    gcp_snapshot_leaks_free(l);
}
END_TEST

START_TEST(test_verdict_errors)
{
    gcp_snapshot *s = gcp_snapshot_take("s");
    gcp_snapshot_leaks *l = (gcp_snapshot_leaks *)&l; /* must come back NULL */
    const double bad[] = {-1, NAN, INFINITY, -INFINITY};
    gcp_snapshot_verdict v;
    gcp_snapshot_leak_site site;
    tu_log log;

    tu_log_capture(&log);
    ck_assert_int_eq(gcp_snapshot_check_leaks(NULL, s, 0, &l), GCP_EINVAL);
    ck_assert_ptr_null(l);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "before is NULL"));
    ck_assert_int_eq(gcp_snapshot_check_leaks(s, NULL, 0, &l), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "after is NULL"));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        l = (gcp_snapshot_leaks *)&l;
        ck_assert_int_eq(gcp_snapshot_check_leaks(s, s, bad[i], &l), GCP_EINVAL);
        ck_assert_ptr_null(l);
        ck_assert_ptr_nonnull(strstr(gcp_last_error(), "threshold_bytes"));
    }
    ck_assert_int_eq(gcp_snapshot_leaks_verdict(NULL, &v), GCP_EINVAL);
    ck_assert_int_eq(gcp_snapshot_leaks_site(NULL, 0, &site), GCP_EINVAL);
    ck_assert_uint_eq(gcp_snapshot_leaks_count(NULL), 0);
    ck_assert_int_eq(gcp_snapshot_leaks_print(stdout, NULL), GCP_EINVAL);
    ck_assert_int_eq(gcp_snapshot_leaks_write_json(stdout, NULL), GCP_EINVAL);
    ck_assert_int_eq(gcp_snapshot_check_leaks(s, s, 0, &l), 0); /* the same: no growth */
    ck_assert_int_eq(gcp_snapshot_leaks_verdict(l, NULL), GCP_EINVAL);
    ck_assert_int_eq(gcp_snapshot_leaks_site(l, 0, NULL), GCP_EINVAL);
    ck_assert_int_eq(gcp_snapshot_leaks_print(NULL, l), GCP_EINVAL);
    ck_assert_int_eq(gcp_snapshot_leaks_write_json(NULL, l), GCP_EINVAL);
    tu_log_restore();
    ck_assert_str_eq(gcp_snapshot_label(NULL), "");
    ck_assert_str_eq(gcp_snapshot_label(s), "s");
    gcp_snapshot_leaks_free(l);
    gcp_snapshot_leaks_free(NULL);
    gcp_snapshot_free(s);
}
END_TEST

static Suite *make_leak_report_suite(void)
{
    Suite *s = suite_create("leak_report");
    TCase *report = tcase_create("report");
    TCase *snapshots = tcase_create("snapshots");
    TCase *errors = tcase_create("errors");

    tcase_set_timeout(report, 60);
    tcase_add_test(report, test_report_print_every_field);
    tcase_add_test(report, test_report_json_every_field);
    tcase_add_test(report, test_report_of_a_real_check);
    tcase_add_test(report, test_report_name_with_control_characters);
    tcase_add_test(report, test_report_null_arguments);
    suite_add_tcase(s, report);

    tcase_add_checked_fixture(snapshots, track_on, NULL);
    tcase_add_test(snapshots, test_kept_objects_are_the_growth);
    tcase_add_test(snapshots, test_nothing_kept_is_no_leak);
    tcase_add_test(snapshots, test_sites_largest_first);
    tcase_add_test(snapshots, test_verdict_printed_and_json);
    suite_add_tcase(s, snapshots);

    tcase_add_checked_fixture(errors, track_on, NULL);
    tcase_add_test(errors, test_verdict_errors);
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    return tu_run(make_leak_report_suite());
}
