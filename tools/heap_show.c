/*
 * heap_show.c - a recording's breakdowns, shown (heap_show.h).
 */
#include "heap_show.h"

#include <stdio.h>
#include <stdlib.h>

#include "breakdown_json.h"
#include "breakdown_svg.h"
#include "commands.h"

#define SVG_WIDTH 1000.0 /* px, as gcprof plot's default */

/* The record's breakdown into *bd: 0, or -1 (said; the reader checked the
 * JSON, so only memory can fail). */
static int parse(const char *cmd, const tool_tl_breakdown *r, tool_bd *bd)
{
    char err[160];

    if (tool_bd_parse(r->json, bd, err, sizeof err) == 0)
        return 0;
    tool_say(cmd, "breakdown of pid %ld: %s", r->pid, err);
    return -1;
}

/* One breakdown on standard output; with a header line when it is one
 * of several. */
static int print_one(const char *cmd, const tool_tl *tl, const tool_tl_breakdown *r,
                     const tool_bd_show *s)
{
    tool_bd bd;

    if (s->json) {
        printf("{\"type\":\"breakdown\",\"t\":%.6f,\"pid\":%ld,\"breakdown\":%s}\n", r->t, r->pid,
               r->json);
        return 0;
    }
    if (parse(cmd, r, &bd) < 0)
        return -1;
    if (s->all)
        printf("== pid %ld (%s) at %.3f s ==\n", r->pid, tool_tl_proc_name(tl, r->pid),
               r->t - tl->origin);
    gcp__breakdown_print(stdout, &bd.b, TOOL_BD_TOP); /* errors: tool_stdout_done */
    return 0;
}

/* By time, then by place in the file. */
static int by_time(const void *a, const void *b)
{
    const tool_tl_breakdown *x = *(const tool_tl_breakdown *const *)a,
                            *y = *(const tool_tl_breakdown *const *)b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x > y) - (x < y);
}

/* --all: every breakdown (of s->pid, if given) in time order. */
static int print_all(const char *cmd, const tool_tl *tl, const tool_bd_show *s)
{
    const tool_tl_breakdown **order = malloc(tl->nbreakdowns * sizeof *order);
    size_t n = 0;
    int rc = 0;

    if (!order) {
        tool_say(cmd, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < tl->nbreakdowns; i++)
        if (!s->pid || tl->breakdowns[i].pid == s->pid)
            order[n++] = &tl->breakdowns[i];
    qsort(order, n, sizeof *order, by_time);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i && !s->json)
            putchar('\n');
        rc = print_one(cmd, tl, order[i], s);
    }
    free(order);
    return rc;
}

/* No breakdown of pid: which processes have one. */
static int no_such_pid(const char *cmd, const tool_tl *tl, long pid, const char *name)
{
    char have[160];
    size_t n = 0;

    have[0] = '\0';
    for (size_t i = 0; i < tl->nbreakdowns && n + 24 < sizeof have; i++) {
        long p = tl->breakdowns[i].pid;
        if (tool_tl_last_breakdown(tl, p) == &tl->breakdowns[i]) /* each pid once */
            n += (size_t)snprintf(have + n, sizeof have - n, "%s%ld", n ? ", " : "", p);
    }
    tool_say(cmd, "no breakdown of pid %ld in %s (it has breakdowns of pid %s)", pid, name, have);
    return TOOL_EXIT_FAIL;
}

typedef struct chart {
    const tool_tl *tl;
    const tool_tl_breakdown *r;
    const tool_bd *bd;
} chart;

static int draw(FILE *fp, const void *arg)
{
    const chart *c = arg;
    char caption[200];

    tool_bd_svg(fp, &c->bd->b, *c->tl->cmdline ? c->tl->cmdline : "gcprof heap",
                tool_bd_caption(c->tl, c->r, &c->bd->b, caption, sizeof caption), SVG_WIDTH);
    return 0;
}

static int write_svg(const char *cmd, const tool_tl *tl, const tool_tl_breakdown *r,
                     const char *path)
{
    tool_bd bd;
    chart c = {tl, r, &bd};

    if (parse(cmd, r, &bd) < 0)
        return TOOL_EXIT_FAIL;
    return tool_out_write(cmd, path, draw, &c);
}

int tool_bd_show_tl(const char *cmd, const tool_tl *tl, const tool_bd_show *s)
{
    long pid = s->pid ? s->pid : tool_tl_breakdown_pid(tl);
    const tool_tl_breakdown *last = tool_tl_last_breakdown(tl, pid);

    if (tl->nbreakdowns == 0)
        return -1;
    if (!last)
        return no_such_pid(cmd, tl, pid, s->name);
    if ((s->all ? print_all(cmd, tl, s) : print_one(cmd, tl, last, s)) < 0)
        return TOOL_EXIT_FAIL;
    if (tool_stdout_done(cmd) != TOOL_EXIT_OK)
        return TOOL_EXIT_FAIL;
    return s->svg ? write_svg(cmd, tl, last, s->svg) : TOOL_EXIT_OK;
}
