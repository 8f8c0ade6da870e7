/*
 * lines_print.c - the line report as a table in memory_profiler's manner
 * (each file's lines with their source text, the totals, the whole
 * closure's figures and any warning) and as JSON.
 */
#include "lines.h"

#include <stdlib.h>
#include <string.h>

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

/* ---- by type: the rows of typed lines (GCP_NEW) added up per type ---- */

typedef struct type_total {
    const char *type;
    uint64_t allocations, bytes_allocated, bytes_live;
} type_total;

/* The types, in order of first appearance, in *out (malloc'd, NULL when
 * no row has a type or out of memory: the block is then left out). */
static size_t type_totals(const gcp_line_report *lr, type_total **out)
{
    size_t n = 0;
    type_total *t = NULL;

    *out = NULL;
    for (size_t r = 0; r < lr->n; r++) {
        const line_row *row = &lr->rows[r];
        if (!row->type)
            continue;
        if (!t && !(t = calloc(lr->n, sizeof *t)))
            return 0;
        size_t k = 0;
        while (k < n && strcmp(t[k].type, row->type) != 0)
            k++;
        if (k == n)
            t[n++].type = row->type;
        t[k].allocations += row->allocations;
        t[k].bytes_allocated += row->bytes_allocated;
        t[k].bytes_live += row->bytes_live;
    }
    *out = t;
    return n;
}

static void print_types(FILE *fp, const gcp_line_report *lr)
{
    type_total *t;
    size_t n = type_totals(lr, &t);

    if (n == 0)
        return;
    fputs("\nBy type (lines that allocate with GCP_NEW):\n", fp);
    for (size_t k = 0; k < n; k++)
        print_total(fp, "Type", t[k].bytes_allocated, t[k].bytes_live, t[k].allocations,
                    t[k].type);
    free(t);
}

static void json_total(FILE *fp, uint64_t bytes, uint64_t live, uint64_t allocs);

static void json_types(FILE *fp, const gcp_line_report *lr)
{
    type_total *t;
    size_t n = type_totals(lr, &t);

    fputs(", \"types\": [", fp);
    for (size_t k = 0; k < n; k++) {
        fputs(k ? ", {\"type\": " : "{\"type\": ", fp);
        gcp__json_str(fp, t[k].type);
        fputs(", \"total\": ", fp);
        json_total(fp, t[k].bytes_allocated, t[k].bytes_live, t[k].allocations);
        fputc('}', fp);
    }
    fputc(']', fp);
    free(t);
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
    print_types(fp, lr);
    const gcp_line_summary *s = &lr->sum;
    fputc('\n', fp);
    snprintf(buf, sizeof buf, "every line above (%zu file%s)", s->n_files,
             s->n_files == 1 ? "" : "s");
    print_total(fp, "All", s->bytes_allocated, s->bytes_live, s->allocations, buf);
    print_total(fp, "Closure", s->closure_bytes_allocated, s->closure_bytes_live,
                s->closure_allocations,
                "the whole closure (profile report: runtime allocations, all threads)");
    return gcp__write_done(fp, "gcp_line_report_print");
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
            if (row->type) {
                fputs(", \"type\": ", fp);
                gcp__json_str(fp, row->type);
            }
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
    json_types(fp, lr);
    fputs(", \"warnings\": [", fp);
    for (int i = 0; warning(lr, i, buf, sizeof buf); i++) {
        if (i)
            fputs(", ", fp);
        gcp__json_str(fp, buf);
    }
    fputs("]}\n", fp);
    return gcp__write_done(fp, "gcp_line_report_write_json");
}
