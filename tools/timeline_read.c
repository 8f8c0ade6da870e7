/*
 * timeline_read.c - the timeline reader's core: reading lines safely,
 * picking the format, storing records within limits, and the checks that
 * span records (enter/exit pairing, "no samples").
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
/* How far back an exit looks for its enter (they nest, so it is near). */
#define ENTER_SEARCH 4096

/* The context of one read, with what only this file needs: the children
 * (mprof's CHLD ids) by id, an open-addressing table of their indices + 1
 * (0: empty), at most half full. Every tool_tl_ctx is the first member of
 * one of these (tool_tl_read makes them). */
typedef struct reader {
    tool_tl_ctx c;
    size_t *child_slots;
    size_t child_cap; /* a power of two, or 0 */
} reader;

static reader *reader_of(tool_tl_ctx *c)
{
    return (reader *)(void *)((char *)c - offsetof(reader, c));
}

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

char *tool_tl_copy_text(tool_tl_ctx *c, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p;

    if (c->text_bytes + n > MAX_TEXT_BYTES) {
        tool_tl_fail(c, "more than %u bytes of names and labels", MAX_TEXT_BYTES);
        return NULL;
    }
    if (!(p = malloc(n))) {
        tool_tl_fail(c, "out of memory");
        return NULL;
    }
    c->text_bytes += n;
    /* so that every report can print it as is: valid UTF-8, one line */
    for (size_t i = 0; i < n - 1;) {
        size_t len = tool_tl_utf8_len(s + i);
        if (len == 0 || (unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            p[i++] = len == 0 ? '?' : ' ';
            continue;
        }
        memcpy(p + i, s + i, len);
        i += len;
    }
    p[n - 1] = '\0';
    return p;
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

int tool_tl_add_enter(tool_tl_ctx *c, const char *name, int level, double t, double rss_mib)
{
    tool_tl_enter *e;

    void *p = tool_tl_grow(c, c->enters, &c->cap_enters, c->nenters, sizeof *e);
    if (!p)
        return -1;
    c->enters = p;
    e = &c->enters[c->nenters];
    if (!(e->name = tool_tl_copy_text(c, name)))
        return -1;
    e->level = level;
    e->t = t;
    e->rss_mib = rss_mib;
    c->nenters++;
    if (!c->tl->has_enter_rss || rss_mib > c->tl->enter_rss_mib) {
        c->tl->has_enter_rss = 1;
        c->tl->enter_rss_mib = rss_mib;
        c->tl->enter_rss_t = t;
    }
    tool_tl_saw_time(c->tl, t);
    return 0;
}

/* Also how `gcprof peak --func` finds its closure (cmd_report.c). */
int tool_tl_same_name(const char *name, const char *keyed)
{
    for (; *name && *keyed; name++, keyed++)
        if (*name != *keyed && !(*name == ' ' && *keyed == '_'))
            return 0;
    return *name == *keyed;
}

/* An exit closes the latest open enter of its name and level, if any. */
static void close_enter(tool_tl_ctx *c, const tool_tl_func *f)
{
    size_t stop = c->nenters > ENTER_SEARCH ? c->nenters - ENTER_SEARCH : 0;

    for (size_t i = c->nenters; i-- > stop;) {
        tool_tl_enter *e = &c->enters[i];
        if (e->level == f->level && tool_tl_same_name(e->name, f->name)) {
            c->text_bytes -= strlen(e->name) + 1;
            free(e->name);
            memmove(e, e + 1, (c->nenters - i - 1) * sizeof *e);
            c->nenters--;
            c->records--;
            return;
        }
    }
}

int tool_tl_add_exit(tool_tl_ctx *c, const tool_tl_func *f)
{
    tool_tl *tl = c->tl;
    tool_tl_func *d;

    if (f->end < f->start)
        return tool_tl_fail(c, "closure ends (%.4f) before it starts (%.4f)", f->end, f->start);
    void *p = tool_tl_grow(c, tl->funcs, &c->cap_funcs, tl->nfuncs, sizeof *d);
    if (!p)
        return -1;
    tl->funcs = p;
    d = &tl->funcs[tl->nfuncs];
    *d = *f;
    if (!(d->name = tool_tl_copy_text(c, f->name)))
        return -1;
    tl->nfuncs++;
    tool_tl_saw_time(tl, f->start);
    tool_tl_saw_time(tl, f->end);
    close_enter(c, f);
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

/* FNV-1a: ids are short decimal numbers. */
static size_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)(h ^ (h >> 32));
}

/* The slot of id in the table: where it is, or the empty one it would take. */
static size_t *child_slot(reader *r, const tool_tl *tl, const char *id)
{
    size_t mask = r->child_cap - 1, i = hash_id(id) & mask;

    while (r->child_slots[i] && strcmp(tl->children[r->child_slots[i] - 1].id, id) != 0)
        i = (i + 1) & mask;
    return &r->child_slots[i];
}

/* Room for one more child with the table at most half full; -1: no memory. */
static int child_room(reader *r, const tool_tl *tl)
{
    size_t cap = r->child_cap ? r->child_cap * 2 : 256, *old = r->child_slots;

    if (2 * (tl->nchildren + 1) <= r->child_cap)
        return 0;
    if (cap > SIZE_MAX / 2 / sizeof *old || !(r->child_slots = calloc(cap, sizeof *old))) {
        r->child_slots = old;
        return -1;
    }
    r->child_cap = cap;
    for (size_t i = 0; i < tl->nchildren; i++)
        *child_slot(r, tl, tl->children[i].id) = i + 1;
    free(old);
    return 0;
}

/* Each child's peak: a hash table by id, so that many distinct ids (mprof
 * writes one per child process) take linear time, not quadratic. */
int tool_tl_add_child(tool_tl_ctx *c, const char *id, double mib, double t)
{
    reader *r = reader_of(c);
    tool_tl *tl = c->tl;
    tool_tl_child *ch;
    size_t *slot;

    (void)t; /* not a time of this process: mprof plots children apart */
    if (r->child_cap && *(slot = child_slot(r, tl, id))) {
        ch = &tl->children[*slot - 1];
        if (mib > ch->peak_mib)
            ch->peak_mib = mib;
        return 0;
    }
    if (child_room(r, tl) < 0)
        return tool_tl_fail(c, "out of memory");
    void *p = tool_tl_grow(c, tl->children, &c->cap_children, tl->nchildren, sizeof *ch);
    if (!p)
        return -1;
    tl->children = p;
    ch = &tl->children[tl->nchildren];
    if (!(ch->id = tool_tl_copy_text(c, id)))
        return -1;
    ch->peak_mib = mib;
    /* stored as copied: copy_text turns bad bytes into '?', so look up that */
    *child_slot(r, tl, ch->id) = ++tl->nchildren;
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

/* Enters still open at the end become unfinished closures. */
static int close_unfinished(tool_tl_ctx *c)
{
    tool_tl *tl = c->tl;

    for (size_t i = 0; i < c->nenters; i++) {
        tool_tl_enter *e = &c->enters[i];
        tool_tl_func *f;
        void *p = tool_tl_grow(c, tl->funcs, &c->cap_funcs, tl->nfuncs, sizeof *f);
        if (!p)
            return -1;
        tl->funcs = p;
        f = &tl->funcs[tl->nfuncs++];
        f->name = e->name; /* moved */
        e->name = NULL;
        f->level = e->level;
        f->start = e->t;
        f->end = tl->t_max;
        f->rss_start_mib = f->rss_end_mib = e->rss_mib;
        f->unfinished = 1;
    }
    return 0;
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
    if (close_unfinished(c) < 0)
        return -1;
    if (tool_tl_merge_procs(c) < 0)
        return -1;
    if (!tl->cmdline && !(tl->cmdline = tool_tl_copy_text(c, "")))
        return -1;
    tl->origin = tl->has_meta && tl->start < tl->t_min ? tl->start : tl->t_min;
    tl->cut_short = (tl->has_meta && !tl->has_end) || tl->dropped_last_line;
    return 0;
}

static void free_enters(tool_tl_ctx *c)
{
    for (size_t i = 0; i < c->nenters; i++)
        free(c->enters[i].name);
    free(c->enters);
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
    reader r = {.c = {.tl = tl}};
    tool_tl_ctx *c = &r.c;
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
    free_enters(c);
    free(r.child_slots);
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
    memset(tl, 0, sizeof *tl);
}
