/*
 * snapshot.c - the live heap by allocation site at one moment, and the
 * difference between two such moments (tracemalloc's compare_to, for what
 * the collector found reachable).
 */
#include "collect.h"

#include <stdlib.h>
#include <string.h>

struct gcp_snapshot {
    char label[128];
    gcp_site_stats *stats; /* by site id - 1 */
    size_t n;
};

gcp_snapshot *gcp_snapshot_take(const char *label)
{
    if (GCP__REFUSED_IN_HOOK("gcp_snapshot_take"))
        return NULL;
    gcp_init();
    if (GC_is_disabled()) {
        gcp__fail(GCP_EINVAL, "gcp_snapshot_take: collection is disabled");
        return NULL;
    }
    gcp_snapshot *snap = calloc(1, sizeof *snap);
    if (!snap) {
        gcp__fail(GCP_ENOMEM, "gcp_snapshot_take: no memory");
        return NULL;
    }
    gcp__utf8_copy(snap->label, sizeof snap->label, label ? label : "");
    gcp_collect(); /* clears the dead stack and marks it forced */
    if (gcp__sites_census(&snap->stats, &snap->n) < 0) {
        free(snap);
        return NULL;
    }
    return snap;
}

void gcp_snapshot_free(gcp_snapshot *snap)
{
    if (!snap)
        return;
    free(snap->stats);
    free(snap);
}

size_t gcp_snapshot_count(const gcp_snapshot *snap)
{
    return snap ? snap->n : 0;
}

const gcp_site_stats *gcp_snapshot_site(const gcp_snapshot *snap, size_t i)
{
    return snap && i < snap->n ? &snap->stats[i] : NULL;
}

/* ---- one snapshot as a table ------------------------------------------- */

/* Largest live bytes first; ties in site order (their place in the one
 * stats array). Sorts pointers, so it needs no state of its own: thread-
 * safe, as the header promises. */
static int by_live_desc(const void *a, const void *b)
{
    const gcp_site_stats *x = *(const gcp_site_stats *const *)a;
    const gcp_site_stats *y = *(const gcp_site_stats *const *)b;

    if (x->bytes_live != y->bytes_live)
        return x->bytes_live < y->bytes_live ? 1 : -1;
    return (x > y) - (x < y);
}

int gcp_snapshot_print(FILE *fp, const gcp_snapshot *snap)
{
    if (!fp || !snap)
        return gcp__fail(GCP_EINVAL, "gcp_snapshot_print: %s is NULL", fp ? "snap" : "fp");
    const gcp_site_stats **order = malloc((snap->n ? snap->n : 1) * sizeof *order);
    if (!order)
        return gcp__fail(GCP_ENOMEM, "gcp_snapshot_print: no memory");
    for (size_t i = 0; i < snap->n; i++)
        order[i] = &snap->stats[i];
    qsort(order, snap->n, sizeof *order, by_live_desc);
    fprintf(fp, "snapshot '%s': live runtime objects by allocation site\n", snap->label);
    fprintf(fp, "%12s %9s %14s %10s  %-7s %s\n", "live bytes", "objects", "allocated", "objects",
            "memory", "site");
    for (size_t i = 0; i < snap->n; i++) {
        const gcp_site_stats *s = order[i];
        fprintf(fp, "%12llu %9llu %14llu %10llu  %-7s %s:%d %s\n",
                (unsigned long long)s->bytes_live, (unsigned long long)s->objects_live,
                (unsigned long long)s->bytes_allocated, (unsigned long long)s->objects_allocated,
                s->atomic ? "atomic" : "scanned", s->file, s->line, s->func);
    }
    free(order);
    return gcp__write_done(fp, "gcp_snapshot_print");
}

/* ---- the difference of two --------------------------------------------- */

typedef struct change {
    const gcp_site_stats *site;
    int64_t bytes, objects;
    int is_new, vanished;
} change;

static int by_growth_desc(const void *a, const void *b)
{
    const change *x = a, *y = b;

    return (x->bytes < y->bytes) - (x->bytes > y->bytes);
}

/* Changes for every site either snapshot knows (ids are stable, so index
 * i is the same site in both). malloc'd; *n set. */
static change *compare(const gcp_snapshot *before, const gcp_snapshot *after, size_t *n)
{
    size_t count = before->n > after->n ? before->n : after->n;
    change *c = calloc(count ? count : 1, sizeof *c);

    if (!c)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        const gcp_site_stats *b = i < before->n ? &before->stats[i] : NULL;
        const gcp_site_stats *a = i < after->n ? &after->stats[i] : NULL;
        uint64_t bl = b ? b->bytes_live : 0, al = a ? a->bytes_live : 0;
        uint64_t bo = b ? b->objects_live : 0, ao = a ? a->objects_live : 0;
        c[i].site = a ? a : b;
        c[i].bytes = (int64_t)al - (int64_t)bl;
        c[i].objects = (int64_t)ao - (int64_t)bo;
        c[i].is_new = bl == 0 && al > 0;
        c[i].vanished = bl > 0 && al == 0;
    }
    qsort(c, count, sizeof *c, by_growth_desc);
    *n = count;
    return c;
}

/* The arguments checked, then the changes (compare): NULL with *rc the
 * error, named after who. */
static change *diff_of(FILE *fp, const gcp_snapshot *before, const gcp_snapshot *after,
                       const char *who, size_t *n, int *rc)
{
    change *c;

    if (!fp || !before || !after) {
        *rc = gcp__fail(GCP_EINVAL, "%s: %s is NULL", who,
                        !fp       ? "fp"
                        : !before ? "before"
                                  : "after");
        return NULL;
    }
    if (!(c = compare(before, after, n)))
        *rc = gcp__fail(GCP_ENOMEM, "%s: no memory", who);
    return c;
}

int gcp_snapshot_diff_print(FILE *fp, const gcp_snapshot *before, const gcp_snapshot *after)
{
    size_t n;
    int rc;
    change *c = diff_of(fp, before, after, "gcp_snapshot_diff_print", &n, &rc);

    if (!c)
        return rc;
    fprintf(fp, "'%s' -> '%s': growth of live runtime objects by site\n", before->label,
            after->label);
    fprintf(fp, "%13s %10s  %-9s %s\n", "bytes", "objects", "", "site");
    for (size_t i = 0; i < n; i++) {
        if (c[i].bytes == 0 && c[i].objects == 0)
            continue; /* unchanged sites are not news */
        fprintf(fp, "%+13lld %+10lld  %-9s %s:%d %s\n", (long long)c[i].bytes,
                (long long)c[i].objects,
                c[i].is_new     ? "[new]"
                : c[i].vanished ? "[gone]"
                                : "",
                c[i].site->file, c[i].site->line, c[i].site->func);
    }
    free(c);
    return gcp__write_done(fp, "gcp_snapshot_diff_print");
}

int gcp_snapshot_diff_write_json(FILE *fp, const gcp_snapshot *before, const gcp_snapshot *after)
{
    size_t n;
    int rc;
    change *c = diff_of(fp, before, after, "gcp_snapshot_diff_write_json", &n, &rc);

    if (!c)
        return rc;
    fputs("{\"before\": ", fp);
    gcp__json_str(fp, before->label);
    fputs(", \"after\": ", fp);
    gcp__json_str(fp, after->label);
    fputs(", \"sites\": [", fp);
    for (size_t i = 0; i < n; i++) {
        fprintf(fp, "%s{\"file\": ", i ? ", " : "");
        gcp__json_str(fp, c[i].site->file);
        fprintf(fp, ", \"line\": %d, \"function\": ", c[i].site->line);
        gcp__json_str(fp, c[i].site->func);
        fprintf(fp, ", \"bytes\": %lld, \"objects\": %lld, \"new\": %s, \"gone\": %s}",
                (long long)c[i].bytes, (long long)c[i].objects, c[i].is_new ? "true" : "false",
                c[i].vanished ? "true" : "false");
    }
    fputs("]}\n", fp);
    free(c);
    return gcp__write_done(fp, "gcp_snapshot_diff_write_json");
}

const char *gcp_snapshot_label(const gcp_snapshot *snap)
{
    return snap ? snap->label : "";
}
