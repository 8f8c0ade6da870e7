/*
 * check_report.c - the printed forms of a report: the one-line
 * ProfileReport (docs/FORMATS.md), the multi-line details, and JSON.
 *
 * Reports are built by hand; each expected text is built by the test from
 * the same fields (its own Python-repr escaper, snprintf), or is a literal
 * taken from FORMATS.md or worked out by hand (rounding). JSON is checked
 * with a strict validator written here.
 */
#define _GNU_SOURCE /* vasprintf */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcprof.h"
#include "testutil.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

typedef int (*render_fn)(FILE *, const gcp_report *);

static void teardown(void)
{
    tu_log_restore();
}

/* Run fn into memory; the text (malloc'd) and fn's return value. */
static char *render(render_fn fn, const gcp_report *r, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(fp);
    *rc = fn(fp, r);
    ck_assert_int_eq(fclose(fp), 0);
    ck_assert_ptr_nonnull(buf);
    ck_assert_msg(strlen(buf) == len, "output holds a NUL byte");
    return buf;
}

static char *xasprintf(const char *fmt, ...) GCP_PRINTF(1, 2);
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    ck_assert_int_ge(n, 0);
    return s;
}

static void set_name(gcp_report *r, const char *name)
{
    ck_assert_uint_lt(strlen(name), sizeof r->function_name);
    memset(r->function_name, 0, sizeof r->function_name);
    memcpy(r->function_name, name, strlen(name));
}

/* The FORMATS.md example's fields. */
static void example_report(gcp_report *r)
{
    memset(r, 0, sizeof *r);
    set_name(r, "process_data");
    r->execution_time = 0.045;
    r->memory_before = 50.2;
    r->memory_after = 45.1;
    r->memory_saved = 5.1;
    r->gc_objects_collected = 1000;
    r->bytes_reclaimed = 48000;
    r->exceeded_threshold = 0;
}

/* ---- Python's repr() of a str, written again here ------------------------ */

/* Decode one UTF-8 sequence at s (valid input assumed: the tests feed
 * only valid UTF-8 here); returns its length and the code point. */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        *cp = ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if ((s[0] & 0xF0) == 0xE0) {
        *cp = ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    *cp = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
          ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    return 4;
}

/* str.isprintable() for the code points the tests use: Latin-1's C1
 * controls, NBSP and soft hyphen are not; the rest used here are. */
static int py_printable(uint32_t cp)
{
    if (cp < 0x20 || cp == 0x7f)
        return 0;
    if (cp >= 0x80 && cp <= 0xA0)
        return 0;
    return cp != 0xAD;
}

/* CPython's unicode_repr: single quotes unless the text has ' and no ";
 * the chosen quote and backslash escaped; \t \n \r; other unprintables as
 * \xhh / \uhhhh / \Uhhhhhhhh; printable characters as they are. */
static char *py_repr(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    char quote = strchr(text, '\'') && !strchr(text, '"') ? '"' : '\'';
    size_t cap = strlen(text) * 10 + 3, n = 0;
    char *out = malloc(cap);

    ck_assert_ptr_nonnull(out);
    out[n++] = quote;
    while (*s) {
        uint32_t cp;
        size_t len = utf8_decode(s, &cp);
        if (cp == (uint32_t)quote || cp == '\\')
            n += (size_t)sprintf(out + n, "\\%c", (char)cp);
        else if (cp == '\t')
            n += (size_t)sprintf(out + n, "\\t");
        else if (cp == '\n')
            n += (size_t)sprintf(out + n, "\\n");
        else if (cp == '\r')
            n += (size_t)sprintf(out + n, "\\r");
        else if (!py_printable(cp))
            n += (size_t)(cp <= 0xff     ? sprintf(out + n, "\\x%02x", cp)
                          : cp <= 0xffff ? sprintf(out + n, "\\u%04x", cp)
                                         : sprintf(out + n, "\\U%08x", cp));
        else {
            memcpy(out + n, s, len);
            n += len;
        }
        s += len;
    }
    out[n++] = quote;
    out[n] = '\0';
    return out;
}

/* The line gcp_report_print must write, built from the fields. */
static char *expected_line(const gcp_report *r)
{
    char count[32];
    char peak[64] = "";
    char *name = py_repr(r->function_name);

    if (r->gc_objects_collected < 0)
        snprintf(count, sizeof count, "None");
    else
        snprintf(count, sizeof count, "%lld", (long long)r->gc_objects_collected);
    if (r->track_peak)
        snprintf(peak, sizeof peak, ", peak_memory=%.1f", r->peak_memory);
    char *line = xasprintf("ProfileReport(function_name=%s, execution_time=%.3f, "
                           "memory_before=%.1f, memory_after=%.1f, memory_saved=%.1f, "
                           "gc_objects_collected=%s, exceeded_threshold=%s%s)\n",
                           name, r->execution_time, r->memory_before, r->memory_after,
                           r->memory_saved, count, r->exceeded_threshold ? "True" : "False", peak);
    free(name);
    return line;
}

static void assert_prints(const gcp_report *r, const char *want)
{
    int rc;
    char *got = render(gcp_report_print, r, &rc);

    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(got, want);
    free(got);
}

static void assert_prints_expected(const gcp_report *r)
{
    char *want = expected_line(r);

    assert_prints(r, want);
    free(want);
}

/* ---- print -------------------------------------------------------------- */

START_TEST(print_formats_example)
{
    gcp_report r;

    example_report(&r);
    /* Copied from docs/FORMATS.md. */
    assert_prints(&r, "ProfileReport(function_name='process_data', execution_time=0.045, "
                      "memory_before=50.2, memory_after=45.1, memory_saved=5.1, "
                      "gc_objects_collected=1000, exceeded_threshold=False)\n");
    assert_prints_expected(&r);
    /* And with peak tracking, as gcprof.h shows it. */
    r.track_peak = 1;
    r.peak_memory = 60.3;
    assert_prints(&r, "ProfileReport(function_name='process_data', execution_time=0.045, "
                      "memory_before=50.2, memory_after=45.1, memory_saved=5.1, "
                      "gc_objects_collected=1000, exceeded_threshold=False, peak_memory=60.3)\n");
    assert_prints_expected(&r);
}
END_TEST

/* A small deterministic generator, so many reports can be tried. */
static uint64_t lcg_state = 0x9E3779B97F4A7C15u;

static uint64_t lcg(void)
{
    lcg_state = lcg_state * 6364136223846793005u + 1442695040888963407u;
    return lcg_state >> 11;
}

static double lcg_double(double max)
{
    return (double)(lcg() % 100000000u) / 100000000.0 * max;
}

static void random_report(gcp_report *r, int i)
{
    char name[64];

    memset(r, 0, sizeof *r);
    snprintf(name, sizeof name, "fn_%d", i);
    set_name(r, name);
    r->status = (int)(lcg() % 5) - 2;
    r->execution_time = lcg_double(i % 3 ? 10.0 : 5000.0);
    r->memory_before = lcg_double(4096.0);
    r->memory_after = lcg_double(4096.0);
    r->memory_saved = lcg_double(100.0);
    r->peak_memory = lcg_double(8192.0);
    r->gc_objects_collected = i % 4 == 0 ? -1 : (int64_t)(lcg() % 10000000u);
    r->bytes_reclaimed = r->gc_objects_collected < 0 ? -1 : (int64_t)(lcg() % 1000000000u);
    r->exceeded_threshold = i % 3 == 0;
    r->track_peak = i % 2;
    r->heap_before = lcg();
    r->heap_after = lcg();
    r->peak_heap = lcg();
    r->bytes_allocated = lcg();
    r->objects_allocated = lcg() % 100000000u;
    r->gc_count = lcg() % 100;
    r->gc_pause_total = lcg_double(0.5);
    r->gc_pause_max = lcg_double(0.05);
    r->gc_time = lcg_double(1.0);
    r->profiler_gc_time = lcg_double(1.0);
    r->threshold_mb = i % 3 == 0 ? lcg_double(1000.0) : 0;
    r->notes = (unsigned)(lcg() % 32);
    r->depth = (int)(lcg() % 4);
    r->has_detailed_stats = i % 2 == 0;
    uint64_t *st = &r->stats_before.heap_size;
    for (size_t k = 0; k < sizeof r->stats_before / sizeof(uint64_t); k++)
        st[k] = lcg();
    st = &r->stats_after.heap_size;
    for (size_t k = 0; k < sizeof r->stats_after / sizeof(uint64_t); k++)
        st[k] = lcg();
}

START_TEST(print_matches_fields)
{
    gcp_report r;

    for (int i = 0; i < 200; i++) {
        random_report(&r, i);
        assert_prints_expected(&r);
    }
}
END_TEST

START_TEST(print_booleans)
{
    gcp_report r;

    example_report(&r);
    r.exceeded_threshold = 0;
    assert_prints_expected(&r);
    int rc;
    char *got = render(gcp_report_print, &r, &rc);
    ck_assert_ptr_nonnull(strstr(got, ", exceeded_threshold=False)"));
    free(got);
    for (int v = 1; v <= 7; v += 6) { /* any non-zero is true */
        r.exceeded_threshold = v;
        got = render(gcp_report_print, &r, &rc);
        ck_assert_ptr_nonnull(strstr(got, ", exceeded_threshold=True)"));
        ck_assert_ptr_null(strstr(got, "False"));
        free(got);
    }
}
END_TEST

START_TEST(print_peak_only_when_tracked)
{
    gcp_report r;
    int rc;

    example_report(&r);
    r.peak_memory = 99.94;
    r.track_peak = 0;
    char *got = render(gcp_report_print, &r, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_null(strstr(got, "peak"));
    ck_assert_ptr_nonnull(strstr(got, "exceeded_threshold=False)\n"));
    free(got);

    r.track_peak = 1;
    got = render(gcp_report_print, &r, &rc);
    ck_assert_int_eq(rc, 0);
    /* After exceeded_threshold, 1 decimal, the last field. */
    ck_assert_ptr_nonnull(strstr(got, "exceeded_threshold=False, peak_memory=99.9)\n"));
    free(got);
    assert_prints_expected(&r);
}
END_TEST

START_TEST(print_unknown_count_is_none)
{
    gcp_report r;
    int rc;

    example_report(&r);
    r.gc_objects_collected = -1;
    r.bytes_reclaimed = -1;
    char *got = render(gcp_report_print, &r, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(got, ", gc_objects_collected=None, "));
    free(got);
    assert_prints_expected(&r);

    static const int64_t counts[] = {0, 1, 1001, INT64_MAX};
    for (size_t i = 0; i < N_ELEMS(counts); i++) {
        char want[64];
        r.gc_objects_collected = counts[i];
        snprintf(want, sizeof want, ", gc_objects_collected=%lld, ", (long long)counts[i]);
        got = render(gcp_report_print, &r, &rc);
        ck_assert_ptr_nonnull(strstr(got, want));
        free(got);
    }
}
END_TEST

/* Names and their Python repr(), each checked with python3 when written,
 * and again against py_repr() above. */
static const struct {
    const char *name, *repr;
} py_cases[] = {
    {"process_data", "'process_data'"},
    {"both'and\"", "'both\\'and\"'"},
    {"say \"hi\"", "'say \"hi\"'"},
    {"back\\slash", "'back\\\\slash'"},
    {"line\nbreak", "'line\\nbreak'"},
    {"tab\there", "'tab\\there'"},
    {"bell\x07", "'bell\\x07'"},
    {"esc\x1b[0m", "'esc\\x1b[0m'"},
    {"nul\x01\x1f", "'nul\\x01\\x1f'"},
    {"x\x0b\x0c", "'x\\x0b\\x0c'"},
    {"del\x7f", "'del\\x7f'"},
    {"caf\xc3\xa9 \xe2\x82\xac", "'caf\xc3\xa9 \xe2\x82\xac'"},
    {"all'\"\\\n\x01", "'all\\'\"\\\\\\n\\x01'"},
    {"", "''"},
    /* Python writes a carriage return as \r (like \n and \t), not \x0d. */
    {"cr\rhere", "'cr\\rhere'"},
    /* Python's repr picks double quotes for a text with ' and no ". */
    {"it's", "\"it's\""},
};

/* The name py_cases[_i] printed as Python prints it. */
START_TEST(print_escapes_like_python)
{
    gcp_report r;
    char *mine = py_repr(py_cases[_i].name);

    ck_assert_str_eq(mine, py_cases[_i].repr); /* the reference itself */
    free(mine);
    example_report(&r);
    set_name(&r, py_cases[_i].name);
    char *want = xasprintf("ProfileReport(function_name=%s, execution_time=0.045, "
                           "memory_before=50.2, memory_after=45.1, memory_saved=5.1, "
                           "gc_objects_collected=1000, exceeded_threshold=False)\n",
                           py_cases[_i].repr);
    assert_prints(&r, want);
    free(want);
}
END_TEST

START_TEST(print_rounding)
{
    /* Worked out from each double's exact binary value (and confirmed
     * with Python's format()): 3 decimals for seconds, 1 for MiB. */
    static const struct {
        double v;
        const char *three;
    } secs[] = {
        {0.0449, "0.045"},    {0.0445, "0.044"}, /* 0.04449999... */
        {0.0005, "0.001"},                       /* 0.000500000000000000010 */
        {2.0004999, "2.000"}, {12345.6789, "12345.679"}, {0.0, "0.000"},
    };
    static const struct {
        double v;
        const char *one;
    } mibs[] = {
        {50.25, "50.2"}, /* exactly halfway: to even */
        {50.35, "50.4"}, /* 50.35000000000000142 */
        {45.15, "45.1"}, /* 45.14999999999999858 */
        {0.05, "0.1"},   {0.35, "0.3"}, {1023.96, "1024.0"}, {0.0, "0.0"},
    };
    gcp_report r;
    int rc;

    for (size_t i = 0; i < N_ELEMS(secs); i++) {
        char want[64];
        example_report(&r);
        r.execution_time = secs[i].v;
        snprintf(want, sizeof want, ", execution_time=%s, ", secs[i].three);
        char *got = render(gcp_report_print, &r, &rc);
        ck_assert_msg(strstr(got, want) != NULL, "%.17g: want '%s' in %s", secs[i].v, want, got);
        free(got);
    }
    for (size_t i = 0; i < N_ELEMS(mibs); i++) {
        char want[128];
        example_report(&r);
        r.memory_before = r.memory_after = r.memory_saved = r.peak_memory = mibs[i].v;
        r.track_peak = 1;
        snprintf(want, sizeof want,
                 ", memory_before=%s, memory_after=%s, memory_saved=%s, gc_objects_collected=",
                 mibs[i].one, mibs[i].one, mibs[i].one);
        char *got = render(gcp_report_print, &r, &rc);
        ck_assert_msg(strstr(got, want) != NULL, "%.17g: want '%s' in %s", mibs[i].v, want, got);
        char *tail = xasprintf(", peak_memory=%s)\n", mibs[i].one);
        ck_assert_msg(strstr(got, tail) != NULL, "%.17g: want '%s' in %s", mibs[i].v, tail, got);
        free(tail);
        free(got);
    }
}
END_TEST

START_TEST(print_details_names_and_counts)
{
    gcp_report r;
    int rc;

    for (int i = 0; i < 20; i++) {
        random_report(&r, i);
        char *got = render(gcp_report_print_details, &r, &rc);
        ck_assert_int_eq(rc, 0);
        ck_assert_uint_gt(strlen(got), strlen(r.function_name));
        ck_assert_ptr_nonnull(strstr(got, r.function_name));
        ck_assert_int_eq(got[strlen(got) - 1], '\n');
        char *objs = xasprintf(" %llu objects", (unsigned long long)r.objects_allocated);
        ck_assert_msg(strstr(got, objs) != NULL, "no '%s' in %s", objs, got);
        free(objs);
        free(got);
    }
}
END_TEST

/* The row labelled label under "collector statistics": its before and
 * after. 0 when there is no such row. */
static int stats_row(const char *text, const char *label, unsigned long long *before,
                     unsigned long long *after)
{
    char *row = xasprintf("\n    %-20s ", label);
    const char *at = strstr(text, row);
    size_t len = strlen(row);

    free(row);
    return at && sscanf(at + len, "%llu -> %llu", before, after) == 2;
}

/* Every gcp_gc_stats field of the report, printed under its label. */
static void assert_stats_printed(const char *text, const gcp_report *r)
{
    const struct {
        const char *label;
        uint64_t before, after;
    } want[] = {
        {"heap size", r->stats_before.heap_size, r->stats_after.heap_size},
        {"free", r->stats_before.free_bytes, r->stats_after.free_bytes},
        {"unmapped", r->stats_before.unmapped_bytes, r->stats_after.unmapped_bytes},
        {"allocated since GC", r->stats_before.bytes_since_gc, r->stats_after.bytes_since_gc},
        {"allocated in total", r->stats_before.total_bytes, r->stats_after.total_bytes},
        {"collections so far", r->stats_before.gc_no, r->stats_after.gc_no},
        {"obtained from the OS", r->stats_before.obtained_from_os, r->stats_after.obtained_from_os},
    };

    ck_assert_msg(strstr(text, "\n  collector statistics   before -> after\n"), "no header in %s",
                  text);
    for (size_t i = 0; i < N_ELEMS(want); i++) {
        unsigned long long b, a;
        ck_assert_msg(stats_row(text, want[i].label, &b, &a), "no '%s' row in %s", want[i].label,
                      text);
        ck_assert_msg(b == want[i].before && a == want[i].after,
                      "%s: %llu -> %llu, want %llu -> %llu", want[i].label, b, a,
                      (unsigned long long)want[i].before, (unsigned long long)want[i].after);
    }
}

/* detailed_stats figures were in the JSON only. */
START_TEST(print_details_detailed_stats)
{
    gcp_report r;
    int rc;

    for (int i = 0; i < 40; i++) {
        random_report(&r, i);
        char *got = render(gcp_report_print_details, &r, &rc);
        ck_assert_int_eq(rc, 0);
        if (r.has_detailed_stats)
            assert_stats_printed(got, &r);
        else
            ck_assert_msg(!strstr(got, "collector statistics"), "stats without them: %s", got);
        free(got);
    }
}
END_TEST

static int alloc_some_objects(void *env)
{
    (void)env;
    for (int i = 0; i < 1000; i++)
        tu_sink = gcp_alloc(64);
    tu_sink = NULL;
    return 0;
}

START_TEST(print_details_detailed_stats_of_a_profile)
{
    gcp_config cfg;
    gcp_report r;
    int rc;

    gcp_config_init(&cfg);
    cfg.detailed_stats = 1;
    ck_assert_int_eq(gcp_profile("detailed", alloc_some_objects, NULL, &cfg, &r), 0);
    ck_assert_int_eq(r.has_detailed_stats, 1);
    ck_assert_uint_gt(r.stats_after.gc_no, r.stats_before.gc_no);
    char *got = render(gcp_report_print_details, &r, &rc);
    ck_assert_int_eq(rc, 0);
    assert_stats_printed(got, &r);
    free(got);
}
END_TEST

/* ---- a strict JSON validator (RFC 8259) ------------------------------------ */

typedef struct jfield {
    char *key;
    const char *value; /* raw text of the value in the document */
    size_t value_len;
    char *str; /* decoded, when the value is a string */
} jfield;

typedef struct jparser {
    const char *s, *end;
    const char *err;
    size_t err_at;
    int depth;
    /* Top-level object's members, when wanted. */
    jfield fields[64];
    size_t nfields;
} jparser;

typedef struct jbuf {
    char *b;
    size_t n, cap;
} jbuf;

static void jb_put(jbuf *b, const void *p, size_t n)
{
    if (!b)
        return;
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->b = realloc(b->b, b->cap);
        ck_assert_ptr_nonnull(b->b);
    }
    memcpy(b->b + b->n, p, n);
    b->n += n;
    b->b[b->n] = '\0';
}

static int jfail(jparser *p, const char *at, const char *why)
{
    if (!p->err) {
        p->err = why;
        p->err_at = (size_t)(at - p->s);
    }
    return 0;
}

static const char *jskip_ws(const jparser *p, const char *c)
{
    while (c < p->end && (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r'))
        c++;
    return c;
}

static int jvalue(jparser *p, const char **c, jbuf *str, int top);

/* One UTF-8 sequence, strictly (no overlongs, surrogates, > U+10FFFF). */
static size_t utf8_valid_len(const unsigned char *s, const unsigned char *end)
{
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        len = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3;
        if (s[0] == 0xE0)
            lo = 0xA0;
        if (s[0] == 0xED)
            hi = 0x9F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4;
        if (s[0] == 0xF0)
            lo = 0x90;
        if (s[0] == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if ((size_t)(end - s) < len)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

static void put_utf8(jbuf *b, uint32_t cp)
{
    unsigned char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | (cp >> 6));
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | (cp >> 18));
        u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    jb_put(b, u, n);
}

static int jhex4(jparser *p, const char *c, uint32_t *out)
{
    uint32_t v = 0;

    if (p->end - c < 4)
        return jfail(p, c, "short \\u escape");
    for (int i = 0; i < 4; i++) {
        char h = c[i];
        v <<= 4;
        if (h >= '0' && h <= '9')
            v |= (uint32_t)(h - '0');
        else if (h >= 'a' && h <= 'f')
            v |= (uint32_t)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F')
            v |= (uint32_t)(h - 'A' + 10);
        else
            return jfail(p, c + i, "bad hex digit in \\u escape");
    }
    *out = v;
    return 1;
}

static int jstring(jparser *p, const char **cp, jbuf *out)
{
    const char *c = *cp;

    if (c >= p->end || *c != '"')
        return jfail(p, c, "string expected");
    c++;
    for (;;) {
        if (c >= p->end)
            return jfail(p, c, "unterminated string");
        unsigned char ch = (unsigned char)*c;
        if (ch == '"') {
            *cp = c + 1;
            return 1;
        }
        if (ch < 0x20)
            return jfail(p, c, "raw control character in string");
        if (ch == '\\') {
            c++;
            if (c >= p->end)
                return jfail(p, c, "unterminated escape");
            char e = *c++;
            static const char simple_in[] = "\"\\/bfnrt", simple_out[] = "\"\\/\b\f\n\r\t";
            const char *k = e ? strchr(simple_in, e) : NULL;
            if (k) {
                jb_put(out, &simple_out[k - simple_in], 1);
                continue;
            }
            if (e != 'u')
                return jfail(p, c - 1, "invalid escape");
            uint32_t u;
            if (!jhex4(p, c, &u))
                return 0;
            c += 4;
            if (u >= 0xDC00 && u <= 0xDFFF)
                return jfail(p, c - 6, "lone low surrogate");
            if (u >= 0xD800 && u <= 0xDBFF) {
                uint32_t lo;
                if (p->end - c < 6 || c[0] != '\\' || c[1] != 'u')
                    return jfail(p, c, "high surrogate without low surrogate");
                if (!jhex4(p, c + 2, &lo))
                    return 0;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return jfail(p, c, "high surrogate without low surrogate");
                c += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (out)
                put_utf8(out, u);
            continue;
        }
        size_t len = utf8_valid_len((const unsigned char *)c, (const unsigned char *)p->end);
        if (!len)
            return jfail(p, c, "invalid UTF-8");
        jb_put(out, c, len);
        c += len;
    }
}

static int jdigits(const char **c, const char *end)
{
    const char *start = *c;

    while (*c < end && **c >= '0' && **c <= '9')
        (*c)++;
    return *c > start;
}

static int jnumber(jparser *p, const char **cp)
{
    const char *c = *cp;

    if (c < p->end && *c == '-')
        c++;
    if (c < p->end && *c == '0')
        c++;
    else if (c < p->end && *c >= '1' && *c <= '9')
        jdigits(&c, p->end);
    else
        return jfail(p, c, "bad number");
    if (c < p->end && *c == '.') {
        c++;
        if (!jdigits(&c, p->end))
            return jfail(p, c, "digits expected after '.'");
    }
    if (c < p->end && (*c == 'e' || *c == 'E')) {
        c++;
        if (c < p->end && (*c == '+' || *c == '-'))
            c++;
        if (!jdigits(&c, p->end))
            return jfail(p, c, "digits expected in exponent");
    }
    *cp = c;
    return 1;
}

static int jliteral(jparser *p, const char **c, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(p->end - *c) < n || memcmp(*c, word, n) != 0)
        return jfail(p, *c, "unexpected character");
    *c += n;
    return 1;
}

static int jobject(jparser *p, const char **cp, int top)
{
    const char *c = *cp + 1;
    /* Keys seen in this object, to reject duplicates. */
    char **keys = NULL;
    size_t nkeys = 0;
    int ok = 0;

    c = jskip_ws(p, c);
    if (c < p->end && *c == '}') {
        *cp = c + 1;
        return 1;
    }
    for (;;) {
        jbuf key = {0};
        c = jskip_ws(p, c);
        if (!jstring(p, &c, &key)) {
            free(key.b);
            goto out;
        }
        if (!key.b)
            jb_put(&key, "", 0);
        for (size_t i = 0; i < nkeys; i++)
            if (strcmp(keys[i], key.b) == 0) {
                free(key.b);
                jfail(p, c, "duplicate key");
                goto out;
            }
        keys = realloc(keys, (nkeys + 1) * sizeof *keys);
        ck_assert_ptr_nonnull(keys);
        keys[nkeys++] = key.b;
        c = jskip_ws(p, c);
        if (c >= p->end || *c != ':') {
            jfail(p, c, "':' expected");
            goto out;
        }
        c = jskip_ws(p, c + 1);
        const char *vstart = c;
        jbuf str = {0};
        if (!jvalue(p, &c, &str, 0)) {
            free(str.b);
            goto out;
        }
        if (top && p->nfields < N_ELEMS(p->fields)) {
            jfield *f = &p->fields[p->nfields++];
            f->key = strdup(key.b);
            f->value = vstart;
            f->value_len = (size_t)(c - vstart);
            f->str = *vstart == '"' ? (str.b ? str.b : strdup("")) : NULL;
            if (!f->str)
                free(str.b);
        } else {
            free(str.b);
        }
        c = jskip_ws(p, c);
        if (c < p->end && *c == ',') {
            c++;
            continue;
        }
        if (c < p->end && *c == '}') {
            *cp = c + 1;
            ok = 1;
            goto out;
        }
        jfail(p, c, "',' or '}' expected");
        goto out;
    }
out:
    for (size_t i = 0; i < nkeys; i++)
        free(keys[i]);
    free(keys);
    return ok;
}

static int jarray(jparser *p, const char **cp)
{
    const char *c = jskip_ws(p, *cp + 1);

    if (c < p->end && *c == ']') {
        *cp = c + 1;
        return 1;
    }
    for (;;) {
        c = jskip_ws(p, c);
        if (!jvalue(p, &c, NULL, 0))
            return 0;
        c = jskip_ws(p, c);
        if (c < p->end && *c == ',') {
            c++;
            continue;
        }
        if (c < p->end && *c == ']') {
            *cp = c + 1;
            return 1;
        }
        return jfail(p, c, "',' or ']' expected");
    }
}

static int jvalue(jparser *p, const char **c, jbuf *str, int top)
{
    int ok;

    if (*c >= p->end)
        return jfail(p, *c, "value expected");
    if (++p->depth > 64)
        return jfail(p, *c, "nested too deeply");
    switch (**c) {
    case '{':
        ok = jobject(p, c, top);
        break;
    case '[':
        ok = jarray(p, c);
        break;
    case '"':
        ok = jstring(p, c, str);
        break;
    case 't':
        ok = jliteral(p, c, "true");
        break;
    case 'f':
        ok = jliteral(p, c, "false");
        break;
    case 'n':
        ok = jliteral(p, c, "null");
        break;
    default:
        ok = jnumber(p, c);
    }
    p->depth--;
    return ok;
}

static void jparser_free(jparser *p)
{
    for (size_t i = 0; i < p->nfields; i++) {
        free(p->fields[i].key);
        free(p->fields[i].str);
    }
    p->nfields = 0;
}

/* Validate the whole of text[0..len) as one JSON value with optional
 * surrounding whitespace. Returns 1 or 0 (p->err says why). */
static int json_parse(jparser *p, const char *text, size_t len)
{
    memset(p, 0, sizeof *p);
    p->s = text;
    p->end = text + len;
    const char *c = jskip_ws(p, text);
    if (!jvalue(p, &c, NULL, 1))
        return 0;
    c = jskip_ws(p, c);
    if (c != p->end)
        return jfail(p, c, "trailing garbage");
    return 1;
}

static int json_valid(const char *text)
{
    jparser p;
    int ok = json_parse(&p, text, strlen(text));

    jparser_free(&p);
    return ok;
}

static const jfield *jfield_get(const jparser *p, const char *key)
{
    for (size_t i = 0; i < p->nfields; i++)
        if (strcmp(p->fields[i].key, key) == 0)
            return &p->fields[i];
    return NULL;
}

/* The raw text of a top-level member's value (static buffer). */
static const char *jraw(const jparser *p, const char *key)
{
    static char buf[1024];
    const jfield *f = jfield_get(p, key);

    if (!f)
        return NULL;
    snprintf(buf, sizeof buf, "%.*s", (int)f->value_len, f->value);
    return buf;
}

/* ---- json ----------------------------------------------------------------- */

START_TEST(json_validator_self_test)
{
    static const char *const good[] = {
        "{}",
        "[]",
        " {\"a\": [1, -2.5e+3, 0, 0.0, true, false, null, \"x\"]}\n",
        "{\"s\": \"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00\"}",
        "\"caf\xc3\xa9\"",
        "-0",
        "1E5",
        "{\"a\": {\"a\": 1}}",
    };
    static const char *const bad[] = {
        "",
        "{} x",
        "{},",
        "{'a': 1}",
        "{\"a\": NaN}",
        "{\"a\": nan}",
        "{\"a\": inf}",
        "{\"a\": 01}",
        "{\"a\": 1.}",
        "{\"a\": .5}",
        "{\"a\": +1}",
        "[1, 2,]",
        "{\"a\": 1,}",
        "{\"a\" 1}",
        "\"unterminated",
        "\"\\x41\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"tab\there\"",
        "\"\xff\"",
        "\"\xc3\"",
        "\"\xc0\xaf\"",
        "\"\xed\xa0\x80\"",
        "{\"a\": 1, \"a\": 2}",
        "[1] [2]",
        "tru",
        "{\"a\": -}",
        "[1e]",
    };

    for (size_t i = 0; i < N_ELEMS(good); i++)
        ck_assert_msg(json_valid(good[i]), "validator rejects valid %s", good[i]);
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        ck_assert_msg(!json_valid(bad[i]), "validator accepts invalid %s", bad[i]);
    /* It decodes strings too. */
    jparser p;
    const char *doc = "{\"k\": \"a\\u00e9\\n\\ud83d\\ude00\", \"n\": 12}";
    ck_assert(json_parse(&p, doc, strlen(doc)));
    ck_assert_str_eq(jfield_get(&p, "k")->str, "a\xc3\xa9\n\xf0\x9f\x98\x80");
    ck_assert_str_eq(jraw(&p, "n"), "12");
    jparser_free(&p);
}
END_TEST

static void assert_double_member(const jparser *p, const char *key, double v)
{
    const char *raw = jraw(p, key);

    ck_assert_msg(raw != NULL, "no member %s", key);
    if (!isfinite(v)) {
        ck_assert_msg(strcmp(raw, "null") == 0, "%s: non-finite written as %s", key, raw);
        return;
    }
    char *end;
    double got = strtod(raw, &end);
    ck_assert_msg(*end == '\0', "%s: not a number: %s", key, raw);
    ck_assert_msg(fabs(got - v) <= 1e-8 * fabs(v), "%s: %s is not %.17g", key, raw, v);
}

static void assert_uint_member(const jparser *p, const char *key, uint64_t v)
{
    char want[32];

    snprintf(want, sizeof want, "%llu", (unsigned long long)v);
    const char *raw = jraw(p, key);
    ck_assert_msg(raw != NULL, "no member %s", key);
    ck_assert_msg(strcmp(raw, want) == 0, "%s: %s, want %s", key, raw, want);
}

static void assert_int_member(const jparser *p, const char *key, long long v)
{
    char want[32];

    snprintf(want, sizeof want, "%lld", v);
    const char *raw = jraw(p, key);
    ck_assert_msg(raw != NULL, "no member %s", key);
    ck_assert_msg(strcmp(raw, want) == 0, "%s: %s, want %s", key, raw, want);
}

/* Write r as JSON, validate it, and check its members against r. */
static void check_json(const gcp_report *r)
{
    int rc;
    char *doc = render(gcp_report_write_json, r, &rc);
    jparser p;

    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(doc[strlen(doc) - 1], '\n');
    int ok = json_parse(&p, doc, strlen(doc));
    ck_assert_msg(ok, "invalid JSON (%s at byte %zu): %s", p.err, p.err_at, doc);
    ck_assert_msg(*jskip_ws(&p, doc) == '{', "not an object: %s", doc);

    const jfield *name = jfield_get(&p, "function_name");
    ck_assert_msg(name && name->str, "no function_name string in %s", doc);
    ck_assert_str_eq(name->str, r->function_name); /* round trip */
    assert_int_member(&p, "status", r->status);
    assert_int_member(&p, "depth", r->depth);
    assert_double_member(&p, "execution_time", r->execution_time);
    assert_double_member(&p, "memory_before", r->memory_before);
    assert_double_member(&p, "memory_after", r->memory_after);
    assert_double_member(&p, "memory_saved", r->memory_saved);
    assert_double_member(&p, "peak_memory", r->peak_memory);
    assert_double_member(&p, "gc_pause_total", r->gc_pause_total);
    assert_double_member(&p, "gc_pause_max", r->gc_pause_max);
    assert_double_member(&p, "gc_time", r->gc_time);
    assert_double_member(&p, "profiler_gc_time", r->profiler_gc_time);
    assert_double_member(&p, "threshold_mb", r->threshold_mb);
    assert_uint_member(&p, "heap_before", r->heap_before);
    assert_uint_member(&p, "heap_after", r->heap_after);
    assert_uint_member(&p, "peak_heap", r->peak_heap);
    assert_uint_member(&p, "bytes_allocated", r->bytes_allocated);
    assert_uint_member(&p, "objects_allocated", r->objects_allocated);
    assert_uint_member(&p, "gc_count", r->gc_count);
    ck_assert_str_eq(jraw(&p, "track_peak"), r->track_peak ? "true" : "false");
    ck_assert_str_eq(jraw(&p, "exceeded_threshold"), r->exceeded_threshold ? "true" : "false");
    if (r->gc_objects_collected < 0) {
        ck_assert_str_eq(jraw(&p, "gc_objects_collected"), "null");
    } else {
        assert_int_member(&p, "gc_objects_collected", r->gc_objects_collected);
        assert_int_member(&p, "bytes_reclaimed", r->bytes_reclaimed);
    }
    const char *notes = jraw(&p, "notes");
    ck_assert_ptr_nonnull(notes);
    ck_assert_int_eq(notes[0], '[');
    ck_assert_msg(((r->notes & GCP_NOTE_COLLECTED_UNKNOWN) != 0) ==
                      (strstr(notes, "\"collected_unknown\"") != NULL),
                  "notes %#x written as %s", r->notes, notes);
    ck_assert_msg((r->notes == 0) == (strcmp(notes, "[]") == 0), "notes %#x written as %s",
                  r->notes, notes);
    const jfield *sb = jfield_get(&p, "stats_before");
    const jfield *sa = jfield_get(&p, "stats_after");
    if (r->has_detailed_stats) {
        ck_assert_msg(sb && sa, "detailed stats missing: %s", doc);
        ck_assert_int_eq(sb->value[0], '{');
        char *hs = xasprintf("\"heap_size\": %llu", (unsigned long long)r->stats_before.heap_size);
        ck_assert_msg(strstr(doc, hs) != NULL, "no %s in %s", hs, doc);
        free(hs);
        hs = xasprintf("\"gc_no\": %llu", (unsigned long long)r->stats_after.gc_no);
        ck_assert_msg(strstr(doc, hs) != NULL, "no %s in %s", hs, doc);
        free(hs);
    } else {
        ck_assert_msg(!sb && !sa, "stats without detailed_stats: %s", doc);
    }
    jparser_free(&p);
    free(doc);
}

START_TEST(json_valid_for_varied_reports)
{
    gcp_report r;

    for (int i = 0; i < 100; i++) {
        random_report(&r, i);
        check_json(&r);
    }
    example_report(&r);
    check_json(&r);
    /* Extremes. */
    r.status = -2147483647 - 1;
    r.depth = 1000;
    r.heap_before = r.heap_after = r.peak_heap = UINT64_MAX;
    r.bytes_allocated = r.objects_allocated = r.gc_count = UINT64_MAX;
    r.gc_objects_collected = r.bytes_reclaimed = INT64_MAX;
    r.execution_time = 1e-12;
    r.memory_before = 1e300;
    r.gc_pause_max = 5e-324; /* smallest subnormal */
    r.notes = ~0u;           /* unknown bits too */
    r.has_detailed_stats = 1;
    memset(&r.stats_after, 0xff, sizeof r.stats_after);
    check_json(&r);
}
END_TEST

/* Each note bit is written under its documented name (the header's
 * GCP_NOTE_* comments), the two issue 10 added included. */
START_TEST(json_note_names)
{
    static const struct {
        unsigned bit;
        const char *name;
    } notes[] = {
        {GCP_NOTE_COLLECTED_UNKNOWN, "\"collected_unknown\""},
        {GCP_NOTE_OVERLAPPED, "\"overlapped\""},
        {GCP_NOTE_RETAINED, "\"retained\""},
        {GCP_NOTE_EXPLICIT_FREES, "\"explicit_frees\""},
        {GCP_NOTE_ALLOCATED_IN_COLLECTION, "\"allocated_in_collection\""},
    };
    gcp_report r;
    int rc;

    example_report(&r);
    for (size_t i = 0; i < N_ELEMS(notes); i++) {
        r.notes = notes[i].bit;
        char *doc = render(gcp_report_write_json, &r, &rc);
        ck_assert_int_eq(rc, 0);
        ck_assert_msg(strstr(doc, notes[i].name) != NULL, "%s not in %s", notes[i].name, doc);
        free(doc);
        check_json(&r);
    }
}
END_TEST

START_TEST(json_names_with_quotes_and_controls)
{
    gcp_report r;
    char ctl[40];

    example_report(&r);
    for (size_t i = 0; i < N_ELEMS(py_cases); i++) {
        set_name(&r, py_cases[i].name);
        check_json(&r);
    }
    /* Every control character, and DEL. */
    size_t n = 0;
    for (int c = 1; c < 0x20; c++)
        ctl[n++] = (char)c;
    ctl[n++] = 0x7f;
    ctl[n] = '\0';
    set_name(&r, ctl);
    check_json(&r);
    set_name(&r, "\"\\/\"\\\"");
    check_json(&r);
    set_name(&r, "emoji \xf0\x9f\x98\x80 and \xe2\x80\xa8 (U+2028)");
    check_json(&r);
    /* The longest name the field holds. */
    memset(r.function_name, '"', sizeof r.function_name - 1);
    r.function_name[sizeof r.function_name - 1] = '\0';
    check_json(&r);
}
END_TEST

START_TEST(json_detailed_stats_and_unknown_counts)
{
    gcp_report r;

    for (int detailed = 0; detailed <= 1; detailed++) {
        for (int unknown = 0; unknown <= 1; unknown++) {
            example_report(&r);
            r.has_detailed_stats = detailed;
            r.stats_before.heap_size = 4u << 20;
            r.stats_after.gc_no = 17;
            if (unknown) {
                r.gc_objects_collected = r.bytes_reclaimed = -1;
                r.notes = GCP_NOTE_COLLECTED_UNKNOWN;
            }
            check_json(&r);
        }
    }
}
END_TEST

START_TEST(json_non_finite_doubles)
{
    static const double bad[] = {NAN, INFINITY, -INFINITY};
    gcp_report r;

    for (size_t b = 0; b < N_ELEMS(bad); b++) {
        /* Each of the 10 double fields in turn, then all at once. */
        for (int field = 0; field <= 10; field++) {
            example_report(&r);
            r.has_detailed_stats = field % 2;
            double *f[] = {&r.execution_time,   &r.memory_before,  &r.memory_after, &r.memory_saved,
                           &r.peak_memory,      &r.gc_pause_total, &r.gc_pause_max, &r.gc_time,
                           &r.profiler_gc_time, &r.threshold_mb};
            if (field < (int)N_ELEMS(f)) {
                *f[field] = bad[b];
            } else {
                for (size_t k = 0; k < N_ELEMS(f); k++)
                    *f[k] = bad[b];
            }
            check_json(&r);
        }
    }
}
END_TEST

/* ---- end to end: a real profile, printed -------------------------------- */

typedef struct e2e_env {
    uint64_t objects, bytes;
} e2e_env;

/* 1000 objects of 32 bytes in a plain array, all dropped on return. */
static NOINLINE int alloc_1000(void *arg)
{
    e2e_env *env = arg;
    void **arr = gcp_alloc(1000 * sizeof *arr);

    if (!arr)
        return 1;
    env->objects++;
    env->bytes += GC_size(arr);
    tu_sink = arr; /* the stores below must happen */
    for (size_t i = 0; i < 1000; i++) {
        arr[i] = gcp_alloc(32);
        if (!arr[i])
            return 1;
        env->objects++;
        env->bytes += GC_size(arr[i]);
    }
    tu_sink = NULL;
    return 0;
}

static long long parse_count_field(const char *line, const char *key)
{
    const char *at = strstr(line, key);

    ck_assert_msg(at != NULL, "no %s in %s", key, line);
    at += strlen(key);
    if (strncmp(at, "None", 4) == 0)
        return -1;
    char *end;
    long long v = strtoll(at, &end, 10);
    ck_assert_msg(end > at && (*end == ',' || *end == ')'), "bad number after %s in %s", key, line);
    return v;
}

START_TEST(profile_end_to_end_printed)
{
    gcp_config cfg;
    gcp_report r;
    e2e_env env = {0, 0};

    gcp_config_init(&cfg);
    cfg.auto_gc = GCP_AUTO_GC_ALWAYS;
    ck_assert_int_eq(gcp_profile("alloc_1000", alloc_1000, &env, &cfg, &r), 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert_uint_eq(env.objects, 1001);
    ck_assert_uint_eq(r.objects_allocated, env.objects);
    ck_assert_uint_eq(r.bytes_allocated, env.bytes);
    ck_assert_str_eq(r.function_name, "alloc_1000");

    int rc;
    char *line = render(gcp_report_print, &r, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(parse_count_field(line, "gc_objects_collected="), r.gc_objects_collected);
    ck_assert_msg(r.gc_objects_collected >= 0, "count unknown with auto_gc: %s", line);
    /* Everything the closure allocated was dropped; the profiler clears
     * the dead stack before its collection, so all of it is found. */
    ck_assert_msg(r.gc_objects_collected == (int64_t)env.objects,
                  "collected %lld of the %llu dropped objects: %s",
                  (long long)r.gc_objects_collected, (unsigned long long)env.objects, line);
    char *want = expected_line(&r);
    ck_assert_str_eq(line, want);
    free(want);
    free(line);
    check_json(&r);
}
END_TEST

static int do_nothing(void *arg)
{
    (void)arg;
    return 0;
}

/* A long name is truncated to fit function_name. Cut inside a multi-byte
 * character, it must still give valid (UTF-8) JSON. */
START_TEST(json_valid_after_name_truncation)
{
    char name[256];
    gcp_config cfg;
    gcp_report r;
    size_t n = 0;

    while (n + 2 < sizeof name) {
        name[n++] = (char)0xC3; /* é */
        name[n++] = (char)0xA9;
    }
    name[n] = '\0';
    gcp_config_init(&cfg);
    cfg.auto_gc = GCP_AUTO_GC_OFF;
    ck_assert_int_eq(gcp_profile(name, do_nothing, NULL, &cfg, &r), 0);
    ck_assert_uint_lt(strlen(r.function_name), sizeof r.function_name);
    ck_assert(strncmp(r.function_name, name, strlen(r.function_name) - 1) == 0);

    int rc;
    char *doc = render(gcp_report_write_json, &r, &rc);
    jparser p;
    ck_assert_int_eq(rc, 0);
    int ok = json_parse(&p, doc, strlen(doc));
    ck_assert_msg(ok, "invalid JSON (%s at byte %zu) for a truncated UTF-8 name", p.err, p.err_at);
    jparser_free(&p);
    free(doc);
}
END_TEST

/* ---- errors ----------------------------------------------------------------- */

static int names_word(const char *msg, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = strstr(msg, word); p; p = strstr(p + 1, word)) {
        int left_ok = p == msg || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') ||
                                    (p[-1] >= 'A' && p[-1] <= 'Z'));
        char c = p[n];
        if (left_ok && !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return 1;
    }
    return 0;
}

static const struct {
    const char *name;
    render_fn fn;
} writers[] = {
    {"gcp_report_print", gcp_report_print},
    {"gcp_report_print_details", gcp_report_print_details},
    {"gcp_report_write_json", gcp_report_write_json},
};

START_TEST(errors_null_arguments)
{
    gcp_report r;
    tu_log log;

    example_report(&r);
    for (size_t i = 0; i < N_ELEMS(writers); i++) {
        tu_log_capture(&log);
        ck_assert_int_eq(writers[i].fn(NULL, &r), GCP_EINVAL);
        ck_assert_msg(names_word(gcp_last_error(), "fp"), "%s: '%s' does not name fp",
                      writers[i].name, gcp_last_error());

        FILE *fp = tmpfile();
        ck_assert_ptr_nonnull(fp);
        ck_assert_int_eq(writers[i].fn(fp, NULL), GCP_EINVAL);
        ck_assert_msg(names_word(gcp_last_error(), "report"), "%s: '%s' does not name report",
                      writers[i].name, gcp_last_error());
        /* Nothing written for a refused call. */
        ck_assert_int_eq(fflush(fp), 0);
        ck_assert_int_eq(ftell(fp), 0);
        fclose(fp);

        ck_assert_int_eq(writers[i].fn(NULL, NULL), GCP_EINVAL);
        tu_log_restore();
        ck_assert_int_eq(log.count, 0); /* returned, so not logged */
    }
}
END_TEST

/* Streams that take no byte: every writer returns GCP_EIO and logs nothing. */
static const struct {
    const char *path, *mode, *what;
    int unbuffered;    /* every write reaches the device */
    const char *error; /* in the last error, or NULL */
} unwritable[] = {
    {"/dev/null", "r", "on a read-only stream", 0, "cannot write"},
    {"/dev/full", "w", "to /dev/full", 1, NULL},
};

START_TEST(errors_unwritable_stream)
{
    gcp_report r;
    tu_log log;

    example_report(&r);
    for (size_t i = 0; i < N_ELEMS(writers); i++) {
        FILE *fp = fopen(unwritable[_i].path, unwritable[_i].mode);
        if (!fp)
            ck_abort_msg("%s: cannot open", unwritable[_i].path);
        if (unwritable[_i].unbuffered)
            ck_assert_int_eq(setvbuf(fp, NULL, _IONBF, 0), 0);
        tu_log_capture(&log);
        int rc = writers[i].fn(fp, &r);
        tu_log_restore();
        ck_assert_msg(rc == GCP_EIO, "%s %s: %d (%s)", writers[i].name, unwritable[_i].what, rc,
                      gcp_err_name(rc));
        ck_assert_int_eq(log.count, 0);
        if (unwritable[_i].error)
            ck_assert_ptr_nonnull(strstr(gcp_last_error(), unwritable[_i].error));
        fclose(fp);
    }
}
END_TEST

START_TEST(errors_then_success_on_a_good_stream)
{
    gcp_report r;
    int rc;

    example_report(&r);
    tu_log log;
    tu_log_capture(&log);
    ck_assert_int_eq(gcp_report_print(NULL, &r), GCP_EINVAL);
    tu_log_restore();
    /* A failure earlier leaves later calls on good streams alone. */
    for (size_t i = 0; i < N_ELEMS(writers); i++) {
        char *out = render(writers[i].fn, &r, &rc);
        ck_assert_int_eq(rc, 0);
        ck_assert_uint_gt(strlen(out), 0);
        free(out);
    }
}
END_TEST

/* ---- suite ------------------------------------------------------------------ */

Suite *make_report_suite(void);
Suite *make_report_suite(void)
{
    Suite *s = suite_create("report");

    TCase *print = tcase_create("print");
    tcase_add_checked_fixture(print, NULL, teardown);
    tcase_add_test(print, print_formats_example);
    tcase_add_test(print, print_matches_fields);
    tcase_add_test(print, print_booleans);
    tcase_add_test(print, print_peak_only_when_tracked);
    tcase_add_test(print, print_unknown_count_is_none);
    tcase_add_loop_test(print, print_escapes_like_python, 0, TU_ROWS(py_cases));
    tcase_add_test(print, print_rounding);
    tcase_add_test(print, print_details_names_and_counts);
    tcase_add_test(print, print_details_detailed_stats);
    tcase_add_test(print, print_details_detailed_stats_of_a_profile);
    tcase_add_test(print, profile_end_to_end_printed);
    suite_add_tcase(s, print);

    TCase *json = tcase_create("json");
    tcase_add_checked_fixture(json, NULL, teardown);
    tcase_add_test(json, json_validator_self_test);
    tcase_add_test(json, json_valid_for_varied_reports);
    tcase_add_test(json, json_names_with_quotes_and_controls);
    tcase_add_test(json, json_note_names);
    tcase_add_test(json, json_detailed_stats_and_unknown_counts);
    tcase_add_test(json, json_non_finite_doubles);
    tcase_add_test(json, json_valid_after_name_truncation);
    suite_add_tcase(s, json);

    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, NULL, teardown);
    tcase_add_test(errors, errors_null_arguments);
    tcase_add_loop_test(errors, errors_unwritable_stream, 0, TU_ROWS(unwritable));
    tcase_add_test(errors, errors_then_success_on_a_good_stream);
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    return tu_run(make_report_suite());
}
