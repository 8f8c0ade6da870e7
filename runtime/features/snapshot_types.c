/*
 * snapshot_types.c - a snapshot's counts by type: "a count of each class
 * instantiated". GCP_NEW(T) names T in its site; sites of one type are
 * added up (compared by name: the same T spelled the same way), and every
 * site without a type is one "(untyped)" row. Read through the snapshot's
 * public accessors only.
 */
#include "collect.h"

#include <stdlib.h>
#include <string.h>

typedef struct type_row {
    const char *type; /* NULL: the untyped row */
    uint64_t objects_allocated, bytes_allocated, objects_live, bytes_live;
} type_row;

static int same_type(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static int by_live_desc(const void *a, const void *b)
{
    const type_row *x = a, *y = b;

    if (x->bytes_live != y->bytes_live)
        return x->bytes_live < y->bytes_live ? 1 : -1;
    if (!x->type || !y->type) /* the untyped row last among equals */
        return !x->type - !y->type;
    return strcmp(x->type, y->type);
}

/* The rows, largest live first, in *rows (malloc'd); their count, or -1
 * when out of memory. Quadratic in the number of types, which a program
 * names in its source: tens, not millions. */
static long group(const gcp_snapshot *snap, type_row **rows)
{
    size_t n_sites = gcp_snapshot_count(snap), n = 0;
    type_row *r = calloc(n_sites ? n_sites : 1, sizeof *r);

    if (!r)
        return -1;
    for (size_t i = 0; i < n_sites; i++) {
        const gcp_site_stats *s = gcp_snapshot_site(snap, i);
        size_t k = 0;
        while (k < n && !same_type(r[k].type, s->type))
            k++;
        if (k == n)
            r[n++].type = s->type;
        r[k].objects_allocated += s->objects_allocated;
        r[k].bytes_allocated += s->bytes_allocated;
        r[k].objects_live += s->objects_live;
        r[k].bytes_live += s->bytes_live;
    }
    qsort(r, n, sizeof *r, by_live_desc);
    *rows = r;
    return (long)n;
}

static long rows_for(FILE *fp, const gcp_snapshot *snap, const char *who, type_row **rows)
{
    if (!fp || !snap)
        return gcp__fail(GCP_EINVAL, "%s: %s is NULL", who, fp ? "snap" : "fp");
    long n = group(snap, rows);
    if (n < 0)
        return gcp__fail(GCP_ENOMEM, "%s: no memory", who);
    return n;
}

int gcp_snapshot_print_types(FILE *fp, const gcp_snapshot *snap)
{
    type_row *r;
    long n = rows_for(fp, snap, "gcp_snapshot_print_types", &r);

    if (n < 0)
        return (int)n;
    fprintf(fp, "%12s %9s %14s %10s  %s\n", "live bytes", "objects", "allocated", "objects",
            "type");
    for (long i = 0; i < n; i++)
        fprintf(fp, "%12llu %9llu %14llu %10llu  %s\n", (unsigned long long)r[i].bytes_live,
                (unsigned long long)r[i].objects_live, (unsigned long long)r[i].bytes_allocated,
                (unsigned long long)r[i].objects_allocated, r[i].type ? r[i].type : "(untyped)");
    free(r);
    return gcp__write_done(fp, "gcp_snapshot_print_types");
}

int gcp_snapshot_types_write_json(FILE *fp, const gcp_snapshot *snap)
{
    type_row *r;
    long n = rows_for(fp, snap, "gcp_snapshot_types_write_json", &r);

    if (n < 0)
        return (int)n;
    fputs("{\"types\":[", fp);
    for (long i = 0; i < n; i++) {
        fputs(i ? ",{\"type\":" : "{\"type\":", fp);
        if (r[i].type)
            gcp__json_str(fp, r[i].type);
        else
            fputs("null", fp);
        fprintf(fp,
                ",\"objects_allocated\":%llu,\"bytes_allocated\":%llu,\"objects_live\":%llu,"
                "\"bytes_live\":%llu}",
                (unsigned long long)r[i].objects_allocated, (unsigned long long)r[i].bytes_allocated,
                (unsigned long long)r[i].objects_live, (unsigned long long)r[i].bytes_live);
    }
    fputs("]}\n", fp);
    free(r);
    return gcp__write_done(fp, "gcp_snapshot_types_write_json");
}
