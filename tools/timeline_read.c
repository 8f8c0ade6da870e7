/*
 * timeline_read.c - the timeline reader's core: reading lines safely,
 * picking the format, storing records within limits, and the checks that
 * span records ("no samples"). Closures' enter/exit pairing is in
 * timeline_funcs.c, mprof's children and the processes in
 * timeline_procs.c.
 */
#include "timeline_parse.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* All names and labels together; beyond this the file is not a timeline. */
#define MAX_TEXT_BYTES (512u * 1024 * 1024)

int tool_tl_fail(tool_tl_ctx *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- storage ---------------------------------------------------------- */

/* arr with room for element n, doubling *cap when full (NULL on failure);
 * counts a record against the limit. */
void *tool_tl_grow(tool_tl_ctx *c, void *arr, size_t *cap, size_t n, size_t elsize)
{
    size_t ncap = *cap ? *cap * 2 : 64;

    if (c->records >= TOOL_TL_MAX_RECORDS) {
        tool_tl_fail(c, "more than %u records: too big to be a timeline", TOOL_TL_MAX_RECORDS);
        return NULL;
    }
    c->records++;
    if (n < *cap)
        return arr;
    if (ncap > SIZE_MAX / elsize || !(arr = realloc(arr, ncap * elsize))) {
        tool_tl_fail(c, "out of memory");
        return NULL;
    }
    *cap = ncap;
    return arr;
}

char *tool_tl_own_text(tool_tl_ctx *c, char *p)
{
    size_t n = strlen(p) + 1;

    if (c->text_bytes + n > MAX_TEXT_BYTES) {
        tool_tl_fail(c, "more than %u bytes of names and labels", MAX_TEXT_BYTES);
        free(p);
        return NULL;
    }
    c->text_bytes += n;
    /* so that every report can print it as is: valid UTF-8, one line (in
     * place: a bad byte becomes one byte) */
    for (size_t i = 0; i < n - 1;) {
        size_t len = tool_tl_utf8_len(p + i);
        if (len == 0 || (unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
            p[i++] = len == 0 ? '?' : ' ';
            continue;
        }
        i += len;
    }
    return p;
}

char *tool_tl_copy_text(tool_tl_ctx *c, const char *s)
{
    char *p = strdup(s);

    if (!p) {
        tool_tl_fail(c, "out of memory");
        return NULL;
    }
    return tool_tl_own_text(c, p);
}

void tool_tl_saw_time(tool_tl *tl, double t)
{
    if (t < tl->t_min)
        tl->t_min = t;
    if (t > tl->t_max)
        tl->t_max = t;
}

int tool_tl_set_cmdline(tool_tl_ctx *c, const char *text)
{
    char *p = tool_tl_copy_text(c, text);

    if (!p)
        return -1;
    free(c->tl->cmdline); /* mprof keeps the last one too */
    c->tl->cmdline = p;
    return 0;
}

int tool_tl_set_meta(tool_tl_ctx *c, long pid, double start, double interval)
{
    c->tl->has_meta = 1;
    c->tl->pid = pid;
    c->tl->start = start;
    c->tl->interval = interval;
    return 0;
}

int tool_tl_add_sample(tool_tl_ctx *c, const tool_tl_sample *s)
{
    tool_tl *tl = c->tl;

    void *p = tool_tl_grow(c, tl->samples, &c->cap_samples, tl->nsamples, sizeof *s);
    if (!p)
        return -1;
    tl->samples = p;
    tl->samples[tl->nsamples++] = *s;
    tool_tl_saw_time(tl, s->t);
    return 0;
}

int tool_tl_add_gc(tool_tl_ctx *c, const gcp_tl_gc *gc)
{
    tool_tl *tl = c->tl;

    void *p = tool_tl_grow(c, tl->gcs, &c->cap_gcs, tl->ngcs, sizeof *gc);
    if (!p)
        return -1;
    tl->gcs = p;
    tl->gcs[tl->ngcs++] = *gc;
    tool_tl_saw_time(tl, gc->t);
    return 0;
}

int tool_tl_add_label(tool_tl_ctx *c, double t, const char *text)
{
    tool_tl *tl = c->tl;
    tool_tl_label *l;

    void *p = tool_tl_grow(c, tl->labels, &c->cap_labels, tl->nlabels, sizeof *l);
    if (!p)
        return -1;
    tl->labels = p;
    l = &tl->labels[tl->nlabels];
    if (!(l->text = tool_tl_copy_text(c, text)))
        return -1;
    l->t = t;
    tl->nlabels++;
    tool_tl_saw_time(tl, t);
    return 0;
}

int tool_tl_set_end(tool_tl_ctx *c, double t)
{
    c->tl->has_end = 1;
    c->tl->end_t = t;
    tool_tl_saw_time(c->tl, t);
    return 0;
}

/* ---- the file --------------------------------------------------------- */

enum { LINE_EOF, LINE_OK, LINE_LONG, LINE_ERR };

/* One line into buf (NUL-terminated, without '\n'), never more than
 * TOOL_TL_MAX_LINE bytes, so a file without newlines cannot exhaust memory. */
static int read_line(FILE *fp, char *buf, size_t *len, int *newline, int *nul)
{
    size_t n = 0;
    int ch;

    *newline = *nul = 0;
    while ((ch = getc_unlocked(fp)) != EOF) {
        if (ch == '\n') {
            *newline = 1;
            break;
        }
        if (n == TOOL_TL_MAX_LINE)
            return LINE_LONG;
        *nul |= ch == 0;
        buf[n++] = (char)ch;
    }
    if (ferror(fp))
        return LINE_ERR;
    buf[n] = '\0';
    *len = n;
    return n == 0 && !*newline ? LINE_EOF : LINE_OK;
}

static int parse_line(tool_tl_ctx *c, char *buf, size_t len, int nul)
{
    if (nul)
        return tool_tl_fail(c, "NUL byte in the line: binary data, not a timeline");
    if (len > 0 && buf[len - 1] == '\r')
        buf[--len] = '\0';
    if (strspn(buf, " \t") == len)
        return tool_tl_fail(c, "empty line (timelines have none; mprof cannot read them)");
    if (c->tl->format == GCP_TL_JSONL)
        return tool_tl_jsonl_line(c, buf);
    return tool_tl_dat_line(c, buf);
}

static int finish(tool_tl_ctx *c)
{
    tool_tl *tl = c->tl;

    if (tl->nsamples == 0)
        return tool_tl_fail(
            c, "no samples (no %s)%s",
            tl->format == GCP_TL_JSONL ? "\"sample\" record" : "MEM or GCPROF_HEAP line",
            tl->dropped_last_line ? "; the last line has no newline: taken as cut short, ignored"
                                  : "");
    if (tool_tl_close_unfinished(c) < 0)
        return -1;
    if (tool_tl_merge_procs(c) < 0)
        return -1;
    if (!tl->cmdline && !(tl->cmdline = tool_tl_copy_text(c, "")))
        return -1;
    tl->origin = tl->has_meta && tl->start < tl->t_min ? tl->start : tl->t_min;
    tl->cut_short = (tl->has_meta && !tl->has_end) || tl->dropped_last_line;
    return 0;
}

/* Every line, stopping at the first bad one. A last line without its
 * newline, in a file that never ended, was cut short by a crash (the
 * writers end every line): dropped, even if it parses ("MEM 34.08 17953"). */
static int read_lines(tool_tl_ctx *c, FILE *fp, char *buf, unsigned long *lineno)
{
    size_t len;
    int newline, nul, r;

    while ((r = read_line(fp, buf, &len, &newline, &nul)) != LINE_EOF) {
        ++*lineno;
        if (r == LINE_LONG)
            return tool_tl_fail(c, "line longer than %d bytes", TOOL_TL_MAX_LINE);
        if (r == LINE_ERR)
            return tool_tl_fail(c, "read error: %s", strerror(errno));
        if (*lineno == 1)
            c->tl->format = buf[strspn(buf, " \t\r")] == '{' ? GCP_TL_JSONL : GCP_TL_DAT;
        if (!newline && !c->tl->has_end) {
            c->tl->dropped_last_line = 1;
            if (c->tl->format == GCP_TL_DAT && !nul)
                c->tl->has_cut_rss = tool_tl_dat_cut_mem(buf, &c->tl->cut_rss_mib);
            break;
        }
        if (parse_line(c, buf, len, nul) < 0)
            return -1;
    }
    return 0;
}

int tool_tl_read(const char *path, tool_tl *tl, char *err, size_t errsize)
{
    tool_tl_ctx ctx = {.tl = tl}, *c = &ctx;
    unsigned long lineno = 0;
    char *buf;
    FILE *fp;
    int rc;

    memset(tl, 0, sizeof *tl);
    tl->t_min = INFINITY;
    tl->t_max = -INFINITY;
    if (!(fp = fopen(path, "r"))) {
        snprintf(err, errsize, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!(buf = malloc(TOOL_TL_MAX_LINE + 1))) {
        fclose(fp);
        snprintf(err, errsize, "%s: out of memory", path);
        return -1;
    }
    rc = read_lines(c, fp, buf, &lineno);
    if (rc == 0 && lineno == 0)
        rc = tool_tl_fail(c, "empty file: no samples");
    else if (rc == 0)
        rc = finish(c);
    free(buf);
    fclose(fp);
    tool_tl_free_enters(c);
    free(c->child_slots);
    if (rc < 0) {
        snprintf(err, errsize, "%s:%lu: %s", path, lineno ? lineno : 1, c->msg);
        tool_tl_free(tl);
    }
    return rc;
}

void tool_tl_free(tool_tl *tl)
{
    free(tl->cmdline);
    for (size_t i = 0; i < tl->nfuncs; i++)
        free(tl->funcs[i].name);
    for (size_t i = 0; i < tl->nlabels; i++)
        free(tl->labels[i].text);
    for (size_t i = 0; i < tl->nchildren; i++)
        free(tl->children[i].id);
    free(tl->samples);
    free(tl->gcs);
    free(tl->funcs);
    free(tl->labels);
    free(tl->children);
    tool_tl_free_procs(tl);
    tool_tl_free_breakdowns(tl);
    memset(tl, 0, sizeof *tl);
}
