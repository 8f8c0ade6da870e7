/*
 * lines.c - the line-by-line report of a profiled closure: allocation
 * sites of one source file, before and after, merged by line.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct line_row {
    int line;
    uint64_t allocations, bytes_allocated;
    int64_t bytes_live; /* change across the closure */
} line_row;

struct gcp_line_report {
    char name[128];
    char *file;
    line_row *rows;
    size_t n;
};

static int by_line(const void *a, const void *b)
{
    const line_row *x = a, *y = b;

    return (x->line > y->line) - (x->line < y->line);
}

/* Rows for the sites of `file`: after minus before, one per line. */
static int build_rows(gcp_line_report *lr, const gcp_site_stats *before, size_t nb,
                      const gcp_site_stats *after, size_t na)
{
    lr->rows = calloc(na ? na : 1, sizeof *lr->rows);
    if (!lr->rows)
        return -1;
    for (size_t i = 0; i < na; i++) {
        const gcp_site_stats *a = &after[i], *b = i < nb ? &before[i] : NULL;
        if (strcmp(a->file, lr->file) != 0)
            continue;
        uint64_t allocs = a->objects_allocated - (b ? b->objects_allocated : 0);
        int64_t live = (int64_t)a->bytes_live - (int64_t)(b ? b->bytes_live : 0);
        if (allocs == 0 && live == 0)
            continue;
        line_row *r = NULL;
        for (size_t k = 0; k < lr->n && !r; k++)
            if (lr->rows[k].line == a->line)
                r = &lr->rows[k]; /* two sites on one line: one row */
        if (!r) {
            r = &lr->rows[lr->n++];
            r->line = a->line;
        }
        r->allocations += allocs;
        r->bytes_allocated += a->bytes_allocated - (b ? b->bytes_allocated : 0);
        r->bytes_live += live;
    }
    qsort(lr->rows, lr->n, sizeof *lr->rows, by_line);
    return 0;
}

static gcp_line_report *new_report(const char *name, const char *file)
{
    gcp_line_report *lr = calloc(1, sizeof *lr);

    if (!lr)
        return NULL;
    lr->file = strdup(file ? file : "");
    if (!lr->file) {
        free(lr);
        return NULL;
    }
    size_t len = gcp__utf8_cut(name ? name : "(anonymous)", sizeof lr->name - 1);
    memcpy(lr->name, name ? name : "(anonymous)", len);
    return lr;
}

int gcp_profile_lines(const char *name, gcp_fn fn, void *env, const gcp_config *cfg,
                      const char *file, gcp_report *out, gcp_line_report **lines)
{
    gcp_site_stats *before = NULL, *after = NULL;
    size_t nb = 0, na = 0;

    if (!lines || !file)
        return gcp__fail(GCP_EINVAL, "gcp_profile_lines: %s is NULL", lines ? "file" : "lines");
    *lines = NULL;
    gcp_init();
    int was_tracking = gcp_sites_track(1);
    gcp_collect(); /* the census before needs fresh marks */
    int rc = gcp__sites_census(&before, &nb);
    if (rc == 0)
        rc = gcp_profile(name, fn, env, cfg, out);
    if (rc == 0) {
        /* The census reads the latest collection's marks: the profile's
         * own forced collection when it ran one, else one of ours. */
        if (out->profiler_gc_time == 0 || (out->notes & GCP_NOTE_FORCED_GC_SKIPPED))
            gcp_collect();
        rc = gcp__sites_census(&after, &na);
    }
    gcp_sites_track(was_tracking);
    gcp_line_report *lr = rc == 0 ? new_report(name, file) : NULL;
    if (rc == 0 && (!lr || build_rows(lr, before, nb, after, na) < 0)) {
        gcp_line_report_free(lr);
        lr = NULL;
        rc = gcp__fail(GCP_ENOMEM, "gcp_profile_lines: no memory for the report");
    }
    free(before);
    free(after);
    *lines = lr;
    return rc;
}

void gcp_line_report_free(gcp_line_report *lr)
{
    if (!lr)
        return;
    free(lr->rows);
    free(lr->file);
    free(lr);
}

/* ---- printing ----------------------------------------------------------- */

/* The source file's lines, for the table: an array of malloc'd lines
 * (index = line number - 1), or NULL when the file cannot be read. */
static char **read_source(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "re");
    char **text = NULL, buf[512];
    size_t cap = 0;

    *n = 0;
    if (!fp)
        return NULL;
    while (fgets(buf, sizeof buf, fp)) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            char **grown = realloc(text, cap * sizeof *text);
            if (!grown)
                break;
            text = grown;
        }
        buf[strcspn(buf, "\n")] = '\0';
        text[(*n)++] = strdup(buf);
    }
    fclose(fp);
    return text;
}

static void free_source(char **text, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(text[i]);
    free(text);
}

static int finish(FILE *fp, const char *who)
{
    if (fflush(fp) != 0 || ferror(fp))
        return gcp__fail(GCP_EIO, "%s: cannot write", who);
    return 0;
}

int gcp_line_report_print(FILE *fp, const gcp_line_report *lr)
{
    size_t n_src;

    if (!fp || !lr)
        return gcp__fail(GCP_EINVAL, "gcp_line_report_print: %s is NULL", fp ? "lines" : "fp");
    char **src = read_source(lr->file, &n_src);
    fprintf(fp, "Line-by-line: %s (%s)%s\n", lr->name, lr->file,
            src ? "" : ": source not found, lines shown without text");
    fprintf(fp, "%7s %14s %14s %11s  %s\n", "Line #", "Allocated", "Live after", "Allocations",
            "Line Contents");
    fprintf(fp, "%s\n", "=============================================================");
    uint64_t allocs = 0, bytes = 0;
    int64_t live = 0;
    for (size_t i = 0; i < lr->n; i++) {
        const line_row *r = &lr->rows[i];
        const char *text = src && r->line >= 1 && (size_t)r->line <= n_src && src[r->line - 1]
                               ? src[r->line - 1]
                               : "";
        fprintf(fp, "%7d %12llu B %12lld B %11llu  %s\n", r->line,
                (unsigned long long)r->bytes_allocated, (long long)r->bytes_live,
                (unsigned long long)r->allocations, text);
        allocs += r->allocations;
        bytes += r->bytes_allocated;
        live += r->bytes_live;
    }
    fprintf(fp, "%7s %12llu B %12lld B %11llu\n", "Total", (unsigned long long)bytes,
            (long long)live, (unsigned long long)allocs);
    if (src)
        free_source(src, n_src);
    return finish(fp, "gcp_line_report_print");
}

int gcp_line_report_write_json(FILE *fp, const gcp_line_report *lr)
{
    size_t n_src;

    if (!fp || !lr)
        return gcp__fail(GCP_EINVAL, "gcp_line_report_write_json: %s is NULL", fp ? "lines" : "fp");
    char **src = read_source(lr->file, &n_src);
    fputs("{\"function\": ", fp);
    gcp__json_str(fp, lr->name);
    fputs(", \"file\": ", fp);
    gcp__json_str(fp, lr->file);
    fprintf(fp, ", \"source_found\": %s, \"lines\": [", src ? "true" : "false");
    for (size_t i = 0; i < lr->n; i++) {
        const line_row *r = &lr->rows[i];
        fprintf(fp,
                "%s{\"line\": %d, \"allocated\": %llu, \"live_after\": %lld, "
                "\"allocations\": %llu, \"source\": ",
                i ? ", " : "", r->line, (unsigned long long)r->bytes_allocated,
                (long long)r->bytes_live, (unsigned long long)r->allocations);
        int known = src && r->line >= 1 && (size_t)r->line <= n_src && src[r->line - 1];
        if (known)
            gcp__json_str(fp, src[r->line - 1]);
        else
            fputs("null", fp);
        fputc('}', fp);
    }
    fputs("]}\n", fp);
    if (src)
        free_source(src, n_src);
    return finish(fp, "gcp_line_report_write_json");
}
