/*
 * snapshot_leaks.c - a leak verdict from two snapshots (a leak kit's
 * check_for_leaks(threshold)): did the live bytes grow by at least the
 * threshold, and at which sites. Built on the snapshots' public accessors
 * (snapshot.c); sites are the same by index in both, as ids are stable.
 */
#include "collect.h"
#include "json_num.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct gcp_snapshot_leaks {
    char before_label[128], after_label[128];
    gcp_snapshot_verdict verdict; /* labels left NULL: set when copied out */
    gcp_snapshot_leak_site *sites; /* largest growth first */
    size_t n;
};

/* A grown site and its index, for a sort that ties by index. */
typedef struct ranked {
    gcp_snapshot_leak_site site;
    size_t index;
} ranked;

static int by_growth_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;

    if (x->site.growth_bytes != y->site.growth_bytes)
        return x->site.growth_bytes < y->site.growth_bytes ? 1 : -1;
    if (x->site.growth_objects != y->site.growth_objects)
        return x->site.growth_objects < y->site.growth_objects ? 1 : -1;
    return (x->index > y->index) - (x->index < y->index);
}

static void fill_site(gcp_snapshot_leak_site *s, const gcp_site_stats *b, const gcp_site_stats *a)
{
    const gcp_site_stats *named = a ? a : b;

    memset(s, 0, sizeof *s);
    s->file = named->file;
    s->func = named->func;
    s->line = named->line;
    s->atomic = named->atomic;
    s->type = named->type;
    s->bytes_before = b ? b->bytes_live : 0;
    s->bytes_after = a ? a->bytes_live : 0;
    s->objects_before = b ? b->objects_live : 0;
    s->objects_after = a ? a->objects_live : 0;
    /* Live byte counts are far below 2^63: the differences cannot overflow. */
    s->growth_bytes = (int64_t)s->bytes_after - (int64_t)s->bytes_before;
    s->growth_objects = (int64_t)s->objects_after - (int64_t)s->objects_before;
    s->is_new = s->bytes_before == 0 && s->bytes_after > 0;
}

/* The totals into l->verdict, the grown sites into l->sites. */
static int compare(gcp_snapshot_leaks *l, const gcp_snapshot *before, const gcp_snapshot *after)
{
    size_t nb = gcp_snapshot_count(before), na = gcp_snapshot_count(after);
    size_t count = nb > na ? nb : na, grown = 0;
    ranked *r = malloc((count ? count : 1) * sizeof *r);
    gcp_snapshot_verdict *v = &l->verdict;

    if (!r)
        return -1;
    for (size_t i = 0; i < count; i++) {
        const gcp_site_stats *b = gcp_snapshot_site(before, i), *a = gcp_snapshot_site(after, i);
        if (!a && !b)
            continue;
        fill_site(&r[grown].site, b, a);
        v->bytes_before += r[grown].site.bytes_before;
        v->bytes_after += r[grown].site.bytes_after;
        v->objects_before += r[grown].site.objects_before;
        v->objects_after += r[grown].site.objects_after;
        if (r[grown].site.growth_bytes > 0)
            r[grown++].index = i;
    }
    v->growth_bytes = (int64_t)v->bytes_after - (int64_t)v->bytes_before;
    v->growth_objects = (int64_t)v->objects_after - (int64_t)v->objects_before;
    qsort(r, grown, sizeof *r, by_growth_desc);
    l->sites = malloc((grown ? grown : 1) * sizeof *l->sites);
    if (!l->sites) {
        free(r);
        return -1;
    }
    for (size_t i = 0; i < grown; i++)
        l->sites[i] = r[i].site;
    l->n = v->n_sites = grown;
    free(r);
    return 0;
}

int gcp_snapshot_check_leaks(const gcp_snapshot *before, const gcp_snapshot *after,
                             double threshold_bytes, gcp_snapshot_leaks **out)
{
    if (out)
        *out = NULL;
    if (!before || !after)
        return gcp__fail(GCP_EINVAL, "gcp_snapshot_check_leaks: %s is NULL",
                         before ? "after" : "before");
    if (!isfinite(threshold_bytes) || threshold_bytes < 0)
        return gcp__fail(GCP_EINVAL,
                         "gcp_snapshot_check_leaks: threshold_bytes must be finite and >= 0, "
                         "got %g",
                         threshold_bytes);
    gcp_snapshot_leaks *l = calloc(1, sizeof *l);
    if (!l || compare(l, before, after) < 0) {
        gcp_snapshot_leaks_free(l);
        return gcp__fail(GCP_ENOMEM, "gcp_snapshot_check_leaks: no memory");
    }
    gcp__utf8_copy(l->before_label, sizeof l->before_label, gcp_snapshot_label(before));
    gcp__utf8_copy(l->after_label, sizeof l->after_label, gcp_snapshot_label(after));
    gcp_snapshot_verdict *v = &l->verdict;
    v->threshold_bytes = threshold_bytes;
    v->has_leak = v->growth_bytes > 0 && (double)v->growth_bytes >= threshold_bytes;
    int leak = v->has_leak;
    if (out)
        *out = l;
    else
        gcp_snapshot_leaks_free(l);
    return leak;
}

void gcp_snapshot_leaks_free(gcp_snapshot_leaks *l)
{
    if (!l)
        return;
    free(l->sites);
    free(l);
}

int gcp_snapshot_leaks_verdict(const gcp_snapshot_leaks *l, gcp_snapshot_verdict *out)
{
    if (!l || !out)
        return gcp__fail(GCP_EINVAL, "gcp_snapshot_leaks_verdict: %s is NULL", l ? "out" : "leaks");
    *out = l->verdict;
    out->before_label = l->before_label;
    out->after_label = l->after_label;
    return 0;
}

size_t gcp_snapshot_leaks_count(const gcp_snapshot_leaks *l)
{
    return l ? l->n : 0;
}

int gcp_snapshot_leaks_site(const gcp_snapshot_leaks *l, size_t i, gcp_snapshot_leak_site *out)
{
    if (!l || !out)
        return gcp__fail(GCP_EINVAL, "gcp_snapshot_leaks_site: %s is NULL", l ? "out" : "leaks");
    if (i >= l->n)
        return gcp__fail(GCP_ERANGE, "gcp_snapshot_leaks_site: site %zu of %zu", i, l->n);
    *out = l->sites[i];
    return 0;
}

/* ---- printed ------------------------------------------------------------- */

static int args(FILE *fp, const gcp_snapshot_leaks *l, const char *who)
{
    if (!fp || !l)
        return gcp__fail(GCP_EINVAL, "%s: %s is NULL", who, fp ? "leaks" : "fp");
    return 0;
}

int gcp_snapshot_leaks_print(FILE *fp, const gcp_snapshot_leaks *l)
{
    int rc = args(fp, l, "gcp_snapshot_leaks_print");

    if (rc < 0)
        return rc;
    const gcp_snapshot_verdict *v = &l->verdict;
    fprintf(fp, "'%s' -> '%s': %s: live bytes %+lld (threshold %g), objects %+lld\n",
            l->before_label, l->after_label, v->has_leak ? "LEAK" : "no leak",
            (long long)v->growth_bytes, v->threshold_bytes, (long long)v->growth_objects);
    fprintf(fp, "  live before %llu bytes in %llu objects, after %llu bytes in %llu objects\n",
            (unsigned long long)v->bytes_before, (unsigned long long)v->objects_before,
            (unsigned long long)v->bytes_after, (unsigned long long)v->objects_after);
    fprintf(fp, "  sites that grew: %zu\n", l->n);
    if (l->n)
        fprintf(fp, "  %13s %10s  %-5s %s\n", "bytes", "objects", "", "site");
    for (size_t i = 0; i < l->n; i++) {
        const gcp_snapshot_leak_site *s = &l->sites[i];
        fprintf(fp, "  %+13lld %+10lld  %-5s %s:%d %s%s%s\n", (long long)s->growth_bytes,
                (long long)s->growth_objects, s->is_new ? "[new]" : "", s->file, s->line,
                s->func, s->type ? " " : "", s->type ? s->type : "");
    }
    return gcp__write_done(fp, "gcp_snapshot_leaks_print");
}

int gcp_snapshot_leaks_write_json(FILE *fp, const gcp_snapshot_leaks *l)
{
    int rc = args(fp, l, "gcp_snapshot_leaks_write_json");

    if (rc < 0)
        return rc;
    const gcp_snapshot_verdict *v = &l->verdict;
    fputs("{\"before\": ", fp);
    gcp__json_str(fp, l->before_label);
    fputs(", \"after\": ", fp);
    gcp__json_str(fp, l->after_label);
    fprintf(fp, ", \"has_leak\": %s, \"threshold_bytes\": ", v->has_leak ? "true" : "false");
    gcp__json_double(fp, v->threshold_bytes);
    fprintf(fp,
            ", \"bytes_before\": %llu, "
            "\"bytes_after\": %llu, \"objects_before\": %llu, \"objects_after\": %llu, "
            "\"growth_bytes\": %lld, \"growth_objects\": %lld, \"n_sites\": %zu, \"sites\": [",
            (unsigned long long)v->bytes_before, (unsigned long long)v->bytes_after,
            (unsigned long long)v->objects_before, (unsigned long long)v->objects_after,
            (long long)v->growth_bytes, (long long)v->growth_objects, l->n);
    for (size_t i = 0; i < l->n; i++) {
        const gcp_snapshot_leak_site *s = &l->sites[i];
        fputs(i ? ", {\"file\": " : "{\"file\": ", fp);
        gcp__json_str(fp, s->file);
        fprintf(fp, ", \"line\": %d, \"function\": ", s->line);
        gcp__json_str(fp, s->func);
        fprintf(fp,
                ", \"atomic\": %s, \"new\": %s, \"bytes_before\": %llu, \"bytes_after\": %llu, "
                "\"objects_before\": %llu, \"objects_after\": %llu, \"growth_bytes\": %lld, "
                "\"growth_objects\": %lld",
                s->atomic ? "true" : "false", s->is_new ? "true" : "false",
                (unsigned long long)s->bytes_before, (unsigned long long)s->bytes_after,
                (unsigned long long)s->objects_before, (unsigned long long)s->objects_after,
                (long long)s->growth_bytes, (long long)s->growth_objects);
        if (s->type) { /* only sites GCP_NEW made have one */
            fputs(", \"type\": ", fp);
            gcp__json_str(fp, s->type);
        }
        fputc('}', fp);
    }
    fputs("]}\n", fp);
    return gcp__write_done(fp, "gcp_snapshot_leaks_write_json");
}
