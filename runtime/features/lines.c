/*
 * lines.c - the line-by-line report of a profiled closure: the allocation
 * sites of every source file that allocated during it, merged by line and
 * grouped by file (the caller's file first), beside the whole closure's
 * figures from its profile report.
 *
 * "Allocated" is the sites' allocation counts after minus before. "Live
 * after" is what those allocations left live: the census after the
 * forced collection counts only objects whose site word carries the
 * closure's allocation window or a later one (sites.c), so an old object
 * of the same line that died meanwhile does not cancel a new one.
 */
#include "lines.h"

#include <stdlib.h>
#include <string.h>

/* The caller's file first, then the most bytes, "(no site)" last. */
static int file_rank(const gcp_line_report *lr, const file_group *g)
{
    if (strcmp(g->name, lr->file) == 0)
        return 0;
    return strcmp(g->name, GCP__UNKNOWN_SITE_FILE) == 0 ? 2 : 1;
}

/* x goes before y: the caller's file first, "(no site)" last, then the
 * most bytes, then by name. */
static int file_before(const gcp_line_report *lr, const file_group *x, const file_group *y)
{
    int rx = file_rank(lr, x), ry = file_rank(lr, y);

    if (rx != ry)
        return rx < ry;
    if (x->bytes_allocated != y->bytes_allocated)
        return x->bytes_allocated > y->bytes_allocated;
    return strcmp(x->name, y->name) < 0;
}

static int by_file_line(const void *a, const void *b)
{
    const line_row *x = a, *y = b;

    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* The group of file name, added when new (make_room made room). -1 when
 * out of memory. */
static long file_index(gcp_line_report *lr, const char *name)
{
    for (size_t i = 0; i < lr->n_files; i++)
        if (strcmp(lr->files[i].name, name) == 0)
            return (long)i;
    char *copy = strdup(name);
    if (!copy)
        return -1;
    lr->files[lr->n_files].name = copy;
    return (long)lr->n_files++;
}

/* Room for one more row and one more file. */
static int make_room(gcp_line_report *lr)
{
    if (lr->n < lr->cap && lr->n_files < lr->cap)
        return 0;
    size_t cap = lr->cap ? lr->cap * 2 : 16;
    line_row *rows = realloc(lr->rows, cap * sizeof *rows);
    if (rows)
        lr->rows = rows;
    file_group *files = realloc(lr->files, cap * sizeof *files);
    if (files)
        lr->files = files;
    if (!rows || !files)
        return -1;
    memset(rows + lr->cap, 0, (cap - lr->cap) * sizeof *rows);
    memset(files + lr->cap, 0, (cap - lr->cap) * sizeof *files);
    lr->cap = cap;
    return 0;
}

int gcp__lines_add(gcp_line_report *lr, const char *file, int line, const char *type,
                   uint64_t allocs, uint64_t bytes, uint64_t live)
{
    if (make_room(lr) != 0)
        return -1;
    long f = file_index(lr, file);
    if (f < 0)
        return -1;
    line_row *r = NULL;
    for (size_t k = 0; k < lr->n && !r; k++)
        if (lr->rows[k].file == (size_t)f && lr->rows[k].line == line)
            r = &lr->rows[k]; /* two sites on one line: one row */
    if (!r) {
        r = &lr->rows[lr->n++];
        r->file = (size_t)f;
        r->line = line;
        r->type = type;
    } else if (r->type != type && (!r->type || !type || strcmp(r->type, type) != 0)) {
        r->type = GCP__SEVERAL_TYPES;
    }
    r->allocations += allocs;
    r->bytes_allocated += bytes;
    r->bytes_live += live;
    lr->files[f].allocations += allocs;
    lr->files[f].bytes_allocated += bytes;
    lr->files[f].bytes_live += live;
    return 0;
}

/* Orders the files, then renumbers the rows' file indices to match. */
static int order_rows(gcp_line_report *lr)
{
    if (lr->n_files == 0) /* nothing to order; files may be NULL */
        return 0;
    size_t *rank = malloc(lr->n_files * sizeof *rank);
    file_group *sorted = malloc(lr->n_files * sizeof *sorted);
    if (!rank || !sorted) {
        free(rank);
        free(sorted);
        return -1;
    }
    memcpy(sorted, lr->files, lr->n_files * sizeof *sorted);
    for (size_t i = 1; i < lr->n_files; i++) /* few files: insertion sort, no globals */
        for (size_t k = i; k > 0 && file_before(lr, &sorted[k], &sorted[k - 1]); k--) {
            file_group t = sorted[k];
            sorted[k] = sorted[k - 1];
            sorted[k - 1] = t;
        }
    for (size_t i = 0; i < lr->n_files; i++)
        for (size_t k = 0; k < lr->n_files; k++)
            if (sorted[k].name == lr->files[i].name)
                rank[i] = k;
    for (size_t k = 0; k < lr->n; k++)
        lr->rows[k].file = rank[lr->rows[k].file];
    memcpy(lr->files, sorted, lr->n_files * sizeof *sorted);
    free(sorted);
    free(rank);
    qsort(lr->rows, lr->n, sizeof *lr->rows, by_file_line);
    return 0;
}

/* Rows for every site that allocated, or left live objects, in the
 * window: after minus before, one per (file, line). */
static int build_rows(gcp_line_report *lr, const gcp_site_stats *before, size_t nb,
                      const gcp_site_stats *after, const gcp__site_window *win, size_t na)
{
    for (size_t i = 0; i < na; i++) {
        const gcp_site_stats *a = &after[i], *b = i < nb ? &before[i] : NULL;
        uint64_t allocs = a->objects_allocated - (b ? b->objects_allocated : 0);
        uint64_t bytes = a->bytes_allocated - (b ? b->bytes_allocated : 0);
        if ((allocs || win[i].bytes_live) &&
            gcp__lines_add(lr, a->file, a->line, a->type, allocs, bytes, win[i].bytes_live) != 0)
            return -1;
    }
    return 0;
}

/* The totals and flags, once the rows are built. */
static void summarise(gcp_line_report *lr, const gcp_report *out)
{
    gcp_line_summary *s = &lr->sum;

    s->n_files = lr->n_files;
    s->n_rows = lr->n;
    for (size_t i = 0; i < lr->n_files; i++) {
        const file_group *g = &lr->files[i];
        s->allocations += g->allocations;
        s->bytes_allocated += g->bytes_allocated;
        s->bytes_live += g->bytes_live;
        if (strcmp(g->name, lr->file) == 0) {
            s->file_allocations = g->allocations;
            s->file_bytes_allocated = g->bytes_allocated;
            s->file_bytes_live = g->bytes_live;
        }
    }
    s->closure_allocations = out->objects_allocated;
    s->closure_bytes_allocated = out->bytes_allocated;
    s->closure_bytes_live = s->bytes_live;
    if (lr->n == 0)
        s->flags |= GCP_LINES_EMPTY;
    if (lr->n_files == 0 || strcmp(lr->files[0].name, lr->file) != 0)
        s->flags |= GCP_LINES_FILE_UNMATCHED;
    if (s->closure_bytes_allocated > s->bytes_allocated)
        s->flags |= GCP_LINES_UNATTRIBUTED;
}

const char *gcp__lines_keep(gcp_line_report *lr, const char *str)
{
    for (size_t i = 0; i < lr->n_kept; i++)
        if (strcmp(lr->kept[i], str) == 0)
            return lr->kept[i];
    char **more = realloc(lr->kept, (lr->n_kept + 1) * sizeof *more);
    if (!more)
        return NULL;
    lr->kept = more;
    return (lr->kept[lr->n_kept] = strdup(str)) ? lr->kept[lr->n_kept++] : NULL;
}

int gcp__lines_finish(gcp_line_report *lr, const gcp_report *out)
{
    if (order_rows(lr) != 0)
        return -1;
    summarise(lr, out);
    return 0;
}

gcp_line_report *gcp__lines_new(const char *name, const char *file)
{
    gcp_line_report *lr = calloc(1, sizeof *lr);

    if (!lr)
        return NULL;
    lr->file = strdup(file ? file : "");
    if (!lr->file) {
        free(lr);
        return NULL;
    }
    gcp__utf8_copy(lr->name, sizeof lr->name, name ? name : "(anonymous)");
    return lr;
}

int gcp_profile_lines(const char *name, gcp_fn fn, void *env, const gcp_config *cfg,
                      const char *file, gcp_report *out, gcp_line_report **lines)
{
    gcp_site_stats *before = NULL, *after = NULL;
    gcp__site_window *win = NULL;
    size_t nb = 0, na = 0;

    if (!lines || !file || !out)
        return gcp__fail(GCP_EINVAL, "gcp_profile_lines: %s is NULL",
                         !lines ? "lines"
                         : !file ? "file"
                                 : "out");
    *lines = NULL;
    gcp_init();
    int was_tracking = gcp_sites_track(1);
    /* Allocation counts before (no heap walk), then a new window: what is
     * allocated from here on is the closure's. */
    int rc = gcp__sites_census_since(0, 0, &before, NULL, &nb);
    uint32_t since = gcp__sites_window_begin();
    if (rc == 0)
        rc = gcp_profile(name, fn, env, cfg, out);
    if (rc == 0) {
        gcp__lines_collected(out);
        rc = gcp__sites_census_since(since, 1, &after, &win, &na);
    }
    gcp_sites_track(was_tracking);
    gcp_line_report *lr = rc == 0 ? gcp__lines_new(name, file) : NULL;
    if (rc == 0 &&
        (!lr || build_rows(lr, before, nb, after, win, na) < 0 || gcp__lines_finish(lr, out) < 0)) {
        gcp_line_report_free(lr);
        lr = NULL;
        rc = gcp__fail(GCP_ENOMEM, "gcp_profile_lines: no memory for the report");
    }
    free(before);
    free(after);
    free(win);
    *lines = lr;
    return rc;
}

int gcp_line_report_summary(const gcp_line_report *lr, gcp_line_summary *out, size_t size)
{
    if (!lr || !out)
        return gcp__fail(GCP_EINVAL, "gcp_line_report_summary: %s is NULL", lr ? "out" : "lines");
    /* Only what the caller's struct holds: older callers pass a smaller size. */
    memcpy(out, &lr->sum, size < sizeof lr->sum ? size : sizeof lr->sum);
    return 0;
}

void gcp_line_report_free(gcp_line_report *lr)
{
    if (!lr)
        return;
    for (size_t i = 0; i < lr->n_files; i++)
        free(lr->files[i].name);
    for (size_t i = 0; i < lr->n_kept; i++)
        free(lr->kept[i]);
    free(lr->kept);
    free(lr->files);
    free(lr->rows);
    free(lr->file);
    free(lr);
}
