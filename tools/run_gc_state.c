/*
 * run_gc_state.c - the collector's figures from the preload's records
 * (run_gc_state.h). The lines are read by the timeline reader's own
 * parsers (timeline_dat.c, timeline_jsonl.c), one at a time: what a line
 * adds to the parser's arrays is taken out at once and the arrays
 * emptied, so memory stays flat however long the program runs.
 */
#include "run_gc_state.h"

#include <stdlib.h>
#include <string.h>

#define TEXT_FIRST (64u << 10) /* the exposition's buffer: doubled as needed */
#define TEXT_MAX   (4u << 20)  /* ... up to this; more is an error, not a cut text */

int tool_gc_state_init(tool_gc_state *s, gcp_tl_format format)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    gcp__hist_init_gc_seconds(&s->pauses);
    gcp__hist_init_gc_seconds(&s->durations);
    s->format = format;
    s->tl.format = format;
    s->ctx.tl = &s->tl;
    s->line = malloc(TOOL_TL_MAX_LINE + 1);
    return s->line ? 0 : -1;
}

void tool_gc_state_free(tool_gc_state *s)
{
    tool_tl_free(&s->tl);
    free(s->line);
    pthread_mutex_destroy(&s->lock);
}

void tool_gc_state_follow(tool_gc_state *s, long pid)
{
    pthread_mutex_lock(&s->lock);
    s->pid = pid;
    pthread_mutex_unlock(&s->lock);
}

void tool_gc_state_rss(tool_gc_state *s, uint64_t rss)
{
    if (rss == 0)
        return;
    pthread_mutex_lock(&s->lock);
    s->has_rss = 1;
    s->rss = rss;
    pthread_mutex_unlock(&s->lock);
}

/* ---- records (under the lock) ----------------------------------------- */

/* A version 1 record names no process: it is the program's. */
static int ours(const tool_gc_state *s, long pid)
{
    return pid == 0 || pid == s->pid;
}

/* Seconds, as the records hold them, in the histograms' nanoseconds. */
static uint64_t ns(double seconds)
{
    return seconds > 0 ? (uint64_t)(seconds * 1e9 + 0.5) : 0;
}

static void take_gc(tool_gc_state *s, const gcp_tl_gc *g)
{
    if (!ours(s, g->pid))
        return;
    s->gc_n = g->n;
    s->forced += g->forced != 0;
    gcp__hist_observe(&s->pauses, ns(g->pause));
    gcp__hist_observe(&s->durations, ns(g->total));
    if (g->has_live) {
        s->has_live = 1;
        s->live_bytes = g->live;
    }
}

static void take_sample(tool_gc_state *s, const tool_tl_sample *h)
{
    if (!h->has_heap || !ours(s, h->pid))
        return;
    s->has_heap = 1;
    s->heap_size = h->heap_size;
    s->free_bytes = h->free_bytes;
    s->unmapped_bytes = h->unmapped_bytes;
    s->allocated_bytes = h->bytes_allocated;
    s->heap_gc = h->gc_no;
}

/* An image the program's process exec'd numbers its collections from 1
 * and has a heap of its own: what was the previous image's goes. Counts
 * of what was seen (forced, the histograms) go on. */
static void take_image(tool_gc_state *s, const tool_tl_image *im)
{
    if (!ours(s, im->pid) || s->images++ == 0)
        return;
    s->gc_n = s->heap_gc = 0;
    s->has_heap = s->has_live = 0;
}

/* Takes what the parser added, and empties its arrays. */
static void take_parsed(tool_gc_state *s)
{
    tool_tl *tl = &s->tl;

    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < tl->nimages; i++) {
        take_image(s, &tl->images[i]);
        free(tl->images[i].exe);
    }
    for (size_t i = 0; i < tl->ngcs; i++)
        take_gc(s, &tl->gcs[i]);
    for (size_t i = 0; i < tl->nsamples; i++)
        take_sample(s, &tl->samples[i]);
    pthread_mutex_unlock(&s->lock);
    tl->nimages = tl->ngcs = tl->nsamples = 0;
    s->ctx.records = s->ctx.text_bytes = 0; /* the reader's limits are per file */
}

static int starts(const char *line, size_t n, const char *prefix)
{
    size_t p = strlen(prefix);

    return n >= p && memcmp(line, prefix, p) == 0;
}

/* Only the records that feed a figure are parsed. */
static int wanted(const tool_gc_state *s, const char *line, size_t n)
{
    if (s->format == GCP_TL_JSONL)
        return starts(line, n, "{\"type\":\"gc\"") || starts(line, n, "{\"type\":\"sample\"") ||
               starts(line, n, "{\"type\":\"image\"");
    return starts(line, n, "GCPROF_GC ") || starts(line, n, "GCPROF_HEAP ") ||
           starts(line, n, "GCPROF_IMAGE ");
}

void tool_gc_state_line(tool_gc_state *s, const char *line, size_t n)
{
    if (n > 0 && line[n - 1] == '\n')
        n--;
    if (n > TOOL_TL_MAX_LINE || !wanted(s, line, n) || memchr(line, '\0', n))
        return;
    memcpy(s->line, line, n); /* the parsers cut it up */
    s->line[n] = '\0';
    /* a line the reader would refuse feeds nothing: the file keeps it,
     * and gcprof summary will name it */
    if (s->format == GCP_TL_JSONL)
        tool_tl_jsonl_line(&s->ctx, s->line);
    else
        tool_tl_dat_line(&s->ctx, s->line);
    take_parsed(s);
}

/* ---- the exposition ----------------------------------------------------- */

static void render(tool_gc_state *s, gcp__prom *p)
{
    gcp__gc_metrics m = {0};

    pthread_mutex_lock(&s->lock);
    m.collections = s->gc_n > s->heap_gc ? s->gc_n : s->heap_gc;
    if (s->images > 0) { /* the preload records the collector: it sees them all */
        m.has_forced = 1;
        m.forced = s->forced;
        m.pauses = &s->pauses;
        m.durations = &s->durations;
    }
    m.has_heap = s->has_heap;
    m.heap_size = s->heap_size;
    m.free_bytes = s->free_bytes;
    m.unmapped_bytes = s->unmapped_bytes;
    m.allocated_bytes = s->allocated_bytes;
    m.has_live = s->has_live;
    m.live_bytes = s->live_bytes;
    m.has_rss = s->has_rss;
    m.rss = s->rss;
    gcp__gc_metrics_render(p, &m);
    pthread_mutex_unlock(&s->lock);
    gcp__prom_end(p);
}

int tool_gc_state_text(tool_gc_state *s, int openmetrics, char **text, size_t *len)
{
    for (size_t cap = TEXT_FIRST; cap <= TEXT_MAX; cap *= 2) {
        char *buf = malloc(cap);
        gcp__prom p;
        if (!buf)
            return -1;
        gcp__prom_init(&p, buf, cap, openmetrics);
        render(s, &p);
        if (!p.full) {
            *text = buf;
            *len = p.len;
            return 0;
        }
        free(buf);
    }
    return -1;
}
