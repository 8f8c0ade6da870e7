/*
 * check_types.c - snapshots grouped by type (issue 13: "a count of each
 * class instantiated"). GCP_NEW(T) names T in its site; the test allocates
 * known numbers of each type at several sites, keeps some alive, and
 * checks each type's row against its own counts and the collector's own
 * sizes (GC_size of the objects it kept).
 */
#include <gc/gc.h>

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gcprof.h"
#include "testutil.h"

typedef struct point {
    double x, y;
} point;

typedef struct node {
    struct node *next;
    char payload[40];
} node;

#define N_POINTS 10
#define N_NODES  3

static node *kept[N_NODES]; /* a root: these stay alive */

static void allocate(void)
{
    for (int i = 0; i < N_POINTS / 2; i++)
        tu_sink = GCP_NEW(point); /* one site ... */
    for (int i = 0; i < N_POINTS / 2; i++)
        tu_sink = GCP_NEW(point); /* ... and another, same type */
    for (int i = 0; i < N_NODES; i++)
        kept[i] = GCP_NEW(node);
    tu_sink = gcp_alloc(24); /* untyped */
    tu_sink = NULL;
}

/* The JSON row of type name ("null" for untyped) holds "key":value. */
static void expect_json(const char *json, const char *type, const char *key, uint64_t value)
{
    char head[64], want[96];

    snprintf(head, sizeof head, "{\"type\":%s%s%s,", strcmp(type, "null") ? "\"" : "", type,
             strcmp(type, "null") ? "\"" : "");
    const char *row = strstr(json, head);
    ck_assert_msg(row, "no row for %s in %s", type, json);
    const char *end = strchr(row, '}');
    snprintf(want, sizeof want, "\"%s\":%llu", key, (unsigned long long)value);
    const char *at = strstr(row, want);
    ck_assert_msg(at && at < end, "%s: want %s in %.*s", type, want, (int)(end - row + 1), row);
}

START_TEST(test_types)
{
    char *buf = NULL;
    size_t len = 0;
    uint64_t node_bytes = 0;

    gcp_sites_track(1);
    allocate();
    gcp_sites_track(0);
    for (int i = 0; i < N_NODES; i++)
        node_bytes += GC_size(kept[i]);
    gcp_snapshot *snap = gcp_snapshot_take("types");
    ck_assert_ptr_nonnull(snap);

    FILE *fp = open_memstream(&buf, &len);
    ck_assert_int_eq(gcp_snapshot_types_write_json(fp, snap), 0);
    fclose(fp);
    expect_json(buf, "point", "objects_allocated", N_POINTS);
    expect_json(buf, "point", "objects_live", 0);
    expect_json(buf, "node", "objects_allocated", N_NODES);
    expect_json(buf, "node", "objects_live", N_NODES);
    expect_json(buf, "node", "bytes_live", node_bytes);
    expect_json(buf, "null", "objects_allocated", 1);
    free(buf);

    buf = NULL;
    fp = open_memstream(&buf, &len);
    ck_assert_int_eq(gcp_snapshot_print_types(fp, snap), 0);
    fclose(fp);
    /* the live type first, then the others; one line each */
    const char *n = strstr(buf, " node\n"), *p = strstr(buf, " point\n"), *u = strstr(buf, " (untyped)\n");
    ck_assert(n && p && u);
    ck_assert(n < p);
    /* the printed figures are the same counts: live bytes, live objects,
     * allocated bytes, allocated objects */
    char want_row[160];
    snprintf(want_row, sizeof want_row, "%12llu %9d %14llu %10d  node\n",
             (unsigned long long)node_bytes, N_NODES, (unsigned long long)node_bytes, N_NODES);
    ck_assert_msg(strstr(buf, want_row), "no '%s' in:\n%s", want_row, buf);
    free(buf);

    /* the sites say their type too */
    int typed_sites = 0;
    for (size_t i = 0; i < gcp_snapshot_count(snap); i++) {
        const gcp_site_stats *s = gcp_snapshot_site(snap, i);
        typed_sites += s->type && strcmp(s->type, "point") == 0;
    }
    ck_assert_int_eq(typed_sites, 2);
    ck_assert_int_eq(gcp_snapshot_print_types(NULL, snap), GCP_EINVAL);
    ck_assert_int_eq(gcp_snapshot_types_write_json(stdout, NULL), GCP_EINVAL);
    gcp_snapshot_free(snap);
}
END_TEST

/* A leak verdict's sites carry the type. */
static node *volatile more[2]; /* volatile: stores to a static never read would be dropped */

START_TEST(test_leak_sites_typed)
{
    gcp_sites_track(1);
    gcp_snapshot *before = gcp_snapshot_take("before");
    for (int i = 0; i < 2; i++)
        more[i] = GCP_NEW(node);
    gcp_snapshot *after = gcp_snapshot_take("after");
    gcp_sites_track(0);
    gcp_snapshot_leaks *l = NULL;
    gcp_snapshot_leak_site site;

    ck_assert_int_eq(gcp_snapshot_check_leaks(before, after, 1, &l), 1);
    ck_assert_int_eq(gcp_snapshot_leaks_site(l, 0, &site), 0);
    ck_assert_ptr_nonnull(site.type);
    ck_assert_str_eq(site.type, "node");
    ck_assert_int_eq(site.growth_objects, 2);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    ck_assert_int_eq(gcp_snapshot_leaks_write_json(fp, l), 0);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(buf, "\"type\": \"node\"}"));
    free(buf);
    buf = NULL;
    fp = open_memstream(&buf, &len);
    ck_assert_int_eq(gcp_snapshot_leaks_print(fp, l), 0);
    fclose(fp);
    ck_assert_msg(strstr(buf, " node\n") && strstr(buf, "+2 "), "printed: %s", buf);
    free(buf);
    gcp_snapshot_leaks_free(l);
    gcp_snapshot_free(before);
    gcp_snapshot_free(after);
}
END_TEST

/* Line tables group by type too: a "By type" block and "types" in JSON,
 * the test's own counts (and GC_size of what it keeps). */
static node *volatile kept_in_closure[2];

static int typed_closure(void *env)
{
    (void)env;
    for (int i = 0; i < 4; i++)
        tu_sink = GCP_NEW(point);
    for (int i = 0; i < 2; i++)
        kept_in_closure[i] = GCP_NEW(node);
    tu_sink = NULL;
    return 0;
}

START_TEST(test_line_table_by_type)
{
    gcp_report r;
    gcp_line_report *lines = NULL;
    char *buf = NULL, want[160];
    size_t len = 0;

    ck_assert_int_eq(GCP_PROFILE_LINES("typed", typed_closure, NULL, NULL, &r, &lines), 0);
    uint64_t node_bytes = GC_size(kept_in_closure[0]) + GC_size(kept_in_closure[1]);
    FILE *fp = open_memstream(&buf, &len);
    ck_assert_int_eq(gcp_line_report_write_json(fp, lines), 0);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(buf, "{\"type\": \"point\", \"total\": {\"allocated\": "));
    snprintf(want, sizeof want, "\"type\": \"node\", \"total\": {\"allocated\": %llu, "
             "\"live_after\": %llu, \"allocations\": 2}", (unsigned long long)node_bytes,
             (unsigned long long)node_bytes);
    ck_assert_msg(strstr(buf, want), "no '%s' in %s", want, buf);
    ck_assert_ptr_nonnull(strstr(buf, "\"live_after\": 0, \"allocations\": 4}"));
    free(buf);
    buf = NULL;
    fp = open_memstream(&buf, &len);
    ck_assert_int_eq(gcp_line_report_print(fp, lines), 0);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(buf, "By type (lines that allocate with GCP_NEW):"));
    snprintf(want, sizeof want, "   Type %12llu B %12llu B %11d  node\n",
             (unsigned long long)node_bytes, (unsigned long long)node_bytes, 2);
    ck_assert_msg(strstr(buf, want), "no '%s' in:\n%s", want, buf);
    free(buf);
    gcp_line_report_free(lines);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("types");
    TCase *tc = tcase_create("by type");

    tcase_add_test(tc, test_types);
    tcase_add_test(tc, test_leak_sites_typed);
    tcase_add_test(tc, test_line_table_by_type);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(make_suite());
}
