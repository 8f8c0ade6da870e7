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
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct line_row {
    size_t file; /* index into files */
    int line;
    uint64_t allocations, bytes_allocated;
    uint64_t bytes_live; /* of those bytes, live after the forced collection */
} line_row;

typedef struct file_group {
    char *name;
    uint64_t allocations, bytes_allocated, bytes_live;
} file_group;

struct gcp_line_report {
    char name[128];
    char *file;        /* the caller's file */
    file_group *files; /* in print order: the caller's file first (when it
                          has rows), "(no site)" last, others by bytes */
    size_t n_files;
    line_row *rows; /* by file (in files' order), then line */
    size_t n;
    gcp_line_summary sum;
};

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

/* The group of file name, added when new. -1 when out of memory. */
static long file_index(gcp_line_report *lr, const char *name, size_t cap)
{
    for (size_t i = 0; i < lr->n_files; i++)
        if (strcmp(lr->files[i].name, name) == 0)
            return (long)i;
    if (lr->n_files == cap)
        return -1;
    char *copy = strdup(name);
    if (!copy)
        return -1;
    lr->files[lr->n_files].name = copy;
    return (long)lr->n_files++;
}

/* Rows for every site that allocated, or left live objects, in the
 * window: after minus before, one per (file, line). */
static int build_rows(gcp_line_report *lr, const gcp_site_stats *before, size_t nb,
                      const gcp_site_stats *after, const gcp__site_window *win, size_t na)
{
    lr->rows = calloc(na ? na : 1, sizeof *lr->rows);
    lr->files = calloc(na ? na : 1, sizeof *lr->files);
    if (!lr->rows || !lr->files)
        return -1;
    for (size_t i = 0; i < na; i++) {
        const gcp_site_stats *a = &after[i], *b = i < nb ? &before[i] : NULL;
        uint64_t allocs = a->objects_allocated - (b ? b->objects_allocated : 0);
        uint64_t bytes = a->bytes_allocated - (b ? b->bytes_allocated : 0);
        if (allocs == 0 && win[i].bytes_live == 0)
            continue;
        long f = file_index(lr, a->file, na);
        if (f < 0)
            return -1;
        line_row *r = NULL;
        for (size_t k = 0; k < lr->n && !r; k++)
            if (lr->rows[k].file == (size_t)f && lr->rows[k].line == a->line)
                r = &lr->rows[k]; /* two sites on one line: one row */
        if (!r) {
            r = &lr->rows[lr->n++];
            r->file = (size_t)f;
            r->line = a->line;
        }
        r->allocations += allocs;
        r->bytes_allocated += bytes;
        r->bytes_live += win[i].bytes_live;
        lr->files[f].allocations += allocs;
        lr->files[f].bytes_allocated += bytes;
        lr->files[f].bytes_live += win[i].bytes_live;
    }
    /* Order the files, then renumber the rows' file indices to match. */
    size_t *rank = malloc((lr->n_files ? lr->n_files : 1) * sizeof *rank);
    file_group *sorted = malloc((lr->n_files ? lr->n_files : 1) * sizeof *sorted);
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
        /* The census reads the latest collection's marks: the profile's
         * own forced collection when it ran one, else one of ours. */
        if (out->profiler_gc_time == 0 || (out->notes & GCP_NOTE_FORCED_GC_SKIPPED))
            gcp_collect();
        rc = gcp__sites_census_since(since, 1, &after, &win, &na);
    }
    gcp_sites_track(was_tracking);
    gcp_line_report *lr = rc == 0 ? new_report(name, file) : NULL;
    if (rc == 0 && (!lr || build_rows(lr, before, nb, after, win, na) < 0)) {
        gcp_line_report_free(lr);
        lr = NULL;
        rc = gcp__fail(GCP_ENOMEM, "gcp_profile_lines: no memory for the report");
    }
    if (lr)
        summarise(lr, out);
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
    free(lr->files);
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

static const char *source_line(char **src, size_t n_src, int line)
{
    return src && line >= 1 && (size_t)line <= n_src ? src[line - 1] : NULL;
}

static int finish(FILE *fp, const char *who)
{
    if (fflush(fp) != 0 || ferror(fp))
        return gcp__fail(GCP_EIO, "%s: cannot write", who);
    return 0;
}

static int is_unknown(const file_group *g)
{
    return strcmp(g->name, GCP__UNKNOWN_SITE_FILE) == 0;
}

/* The warnings of a report, one per flag, as sentences. i-th, or NULL. */
static const char *warning(const gcp_line_report *lr, int i, char *buf, size_t len)
{
    const gcp_line_summary *s = &lr->sum;
    int k = 0;

    if ((s->flags & GCP_LINES_EMPTY) && k++ == i) {
        snprintf(buf, len,
                 "no line allocated during the closure (no runtime allocation while site "
                 "tracking was on)");
        return buf;
    }
    if ((s->flags & GCP_LINES_FILE_UNMATCHED) && !(s->flags & GCP_LINES_EMPTY) && k++ == i) {
        snprintf(buf, len,
                 "no line of %s allocated during the closure; the lines below are all from "
                 "other files",
                 lr->file);
        return buf;
    }
    if ((s->flags & GCP_LINES_UNATTRIBUTED) && k++ == i) {
        snprintf(buf, len,
                 "%llu B of the closure's runtime allocations are on no line (allocated while "
                 "site tracking was off)",
                 (unsigned long long)(s->closure_bytes_allocated - s->bytes_allocated));
        return buf;
    }
    return NULL;
}

static void print_total(FILE *fp, const char *label, uint64_t bytes, uint64_t live, uint64_t allocs,
                        const char *what)
{
    fprintf(fp, "%7s %12llu B %12llu B %11llu  %s\n", label, (unsigned long long)bytes,
            (unsigned long long)live, (unsigned long long)allocs, what);
}

int gcp_line_report_print(FILE *fp, const gcp_line_report *lr)
{
    char buf[1024];

    if (!fp || !lr)
        return gcp__fail(GCP_EINVAL, "gcp_line_report_print: %s is NULL", fp ? "lines" : "fp");
    fprintf(fp, "Line-by-line: %s (called from %s)\n", lr->name, lr->file);
    for (int i = 0; warning(lr, i, buf, sizeof buf); i++)
        fprintf(fp, "warning: %s\n", buf);
    fputs("Every source line that allocated during the closure (all threads), by file.\n"
          "Allocated: bytes allocated there during the closure. Live after: of those, the bytes\n"
          "still live after the forced collection (older objects of the line are not counted).\n",
          fp);
    size_t r = 0;
    for (size_t f = 0; f < lr->n_files; f++) {
        const file_group *g = &lr->files[f];
        size_t n_src = 0;
        char **src = is_unknown(g) ? NULL : read_source(g->name, &n_src);
        if (is_unknown(g))
            fprintf(fp, "\nFile: %s (gcp_alloc, gcp_alloc_atomic, gcp_strdup called as functions, "
                        "e.g. by the library's containers)\n",
                    g->name);
        else
            fprintf(fp, "\nFile: %s%s\n", g->name,
                    src ? "" : " (source not found: lines shown without text)");
        fprintf(fp, "%7s %14s %14s %11s  %s\n", "Line #", "Allocated", "Live after", "Allocations",
                "Line Contents");
        fprintf(fp, "%s\n", "=============================================================");
        for (; r < lr->n && lr->rows[r].file == f; r++) {
            const line_row *row = &lr->rows[r];
            const char *text = source_line(src, n_src, row->line);
            fprintf(fp, "%7d %12llu B %12llu B %11llu  %s\n", row->line,
                    (unsigned long long)row->bytes_allocated, (unsigned long long)row->bytes_live,
                    (unsigned long long)row->allocations, text ? text : "");
        }
        snprintf(buf, sizeof buf, "lines of %s", g->name);
        print_total(fp, "Total", g->bytes_allocated, g->bytes_live, g->allocations, buf);
        if (src)
            free_source(src, n_src);
    }
    const gcp_line_summary *s = &lr->sum;
    fputc('\n', fp);
    snprintf(buf, sizeof buf, "every line above (%zu file%s)", s->n_files,
             s->n_files == 1 ? "" : "s");
    print_total(fp, "All", s->bytes_allocated, s->bytes_live, s->allocations, buf);
    print_total(fp, "Closure", s->closure_bytes_allocated, s->closure_bytes_live,
                s->closure_allocations,
                "the whole closure (profile report: runtime allocations, all threads)");
    return finish(fp, "gcp_line_report_print");
}

static void json_total(FILE *fp, uint64_t bytes, uint64_t live, uint64_t allocs)
{
    fprintf(fp, "{\"allocated\": %llu, \"live_after\": %llu, \"allocations\": %llu}",
            (unsigned long long)bytes, (unsigned long long)live, (unsigned long long)allocs);
}

int gcp_line_report_write_json(FILE *fp, const gcp_line_report *lr)
{
    char buf[1024];

    if (!fp || !lr)
        return gcp__fail(GCP_EINVAL, "gcp_line_report_write_json: %s is NULL", fp ? "lines" : "fp");
    const gcp_line_summary *s = &lr->sum;
    fputs("{\"function\": ", fp);
    gcp__json_str(fp, lr->name);
    fputs(", \"file\": ", fp);
    gcp__json_str(fp, lr->file);
    fprintf(fp, ", \"file_matched\": %s, \"files\": [",
            s->flags & GCP_LINES_FILE_UNMATCHED ? "false" : "true");
    size_t r = 0;
    for (size_t f = 0; f < lr->n_files; f++) {
        const file_group *g = &lr->files[f];
        size_t n_src = 0;
        char **src = is_unknown(g) ? NULL : read_source(g->name, &n_src);
        fputs(f ? ", {\"file\": " : "{\"file\": ", fp);
        gcp__json_str(fp, g->name);
        fprintf(fp, ", \"source_found\": %s, \"lines\": [", src ? "true" : "false");
        for (size_t i = 0; r < lr->n && lr->rows[r].file == f; r++, i++) {
            const line_row *row = &lr->rows[r];
            fprintf(fp,
                    "%s{\"line\": %d, \"allocated\": %llu, \"live_after\": %llu, "
                    "\"allocations\": %llu, \"source\": ",
                    i ? ", " : "", row->line, (unsigned long long)row->bytes_allocated,
                    (unsigned long long)row->bytes_live, (unsigned long long)row->allocations);
            const char *text = source_line(src, n_src, row->line);
            if (text)
                gcp__json_str(fp, text);
            else
                fputs("null", fp);
            fputc('}', fp);
        }
        fputs("], \"total\": ", fp);
        json_total(fp, g->bytes_allocated, g->bytes_live, g->allocations);
        fputc('}', fp);
        if (src)
            free_source(src, n_src);
    }
    fputs("], \"total\": ", fp);
    json_total(fp, s->bytes_allocated, s->bytes_live, s->allocations);
    fputs(", \"closure\": ", fp);
    json_total(fp, s->closure_bytes_allocated, s->closure_bytes_live, s->closure_allocations);
    fputs(", \"warnings\": [", fp);
    for (int i = 0; warning(lr, i, buf, sizeof buf); i++) {
        if (i)
            fputs(", ", fp);
        gcp__json_str(fp, buf);
    }
    fputs("]}\n", fp);
    return finish(fp, "gcp_line_report_write_json");
}
