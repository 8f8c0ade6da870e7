/*
 * timeline_funcs.c - the timeline reader's closures: an exit record
 * closes the latest open enter of its name and level (they nest, so it is
 * near); enters still open at the end are closures the recording cut.
 */
#include "timeline_parse.h"

#include <stdlib.h>
#include <string.h>

/* How far back an exit looks for its enter. */
#define ENTER_SEARCH 4096

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

/* Enters still open at the end become unfinished closures. */
int tool_tl_close_unfinished(tool_tl_ctx *c)
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

void tool_tl_free_enters(tool_tl_ctx *c)
{
    for (size_t i = 0; i < c->nenters; i++)
        free(c->enters[i].name);
    free(c->enters);
}
