/*
 * timeline_breakdown.c - the timeline reader's breakdown records
 * (GCPROF_BREAKDOWN, "breakdown": doc/timeline-formats.md): each kept as
 * the JSON object it holds, checked as it is read (breakdown_json.c), and
 * which one `gcprof heap` and `gcprof plot` show.
 */
#include "timeline_parse.h"
#include "breakdown_json.h"

#include <stdlib.h>
#include <string.h>

/* Whether json is a breakdown the commands can show. */
static int check(tool_tl_ctx *c, const char *json)
{
    tool_bd *bd = malloc(sizeof *bd);
    char err[160];
    int rc = bd ? tool_bd_parse(json, bd, err, sizeof err) : -1;

    if (rc < 0)
        tool_tl_fail(c, "breakdown: %s", bd ? err : "out of memory");
    free(bd);
    return rc;
}

/* Keeps json (malloc'd: the timeline's now, or freed). */
static int keep(tool_tl_ctx *c, double t, long pid, char *json)
{
    tool_tl *tl = c->tl;
    void *p = tool_tl_grow(c, tl->breakdowns, &c->cap_breakdowns, tl->nbreakdowns,
                           sizeof *tl->breakdowns);
    char *text = p ? tool_tl_own_text(c, json) : NULL;

    if (!p) {
        free(json);
        return -1;
    }
    tl->breakdowns = p;
    if (!text)
        return -1;
    tl->breakdowns[tl->nbreakdowns++] = (tool_tl_breakdown){t, pid, text};
    tool_tl_saw_time(tl, t);
    return 0;
}

int tool_tl_add_breakdown(tool_tl_ctx *c, double t, long pid, const char *json, size_t n)
{
    char *raw = strndup(json, n);
    int rc = raw ? check(c, raw) : tool_tl_fail(c, "out of memory");

    if (rc == 0)
        return keep(c, t, pid, raw);
    free(raw);
    return rc;
}

void tool_tl_free_breakdowns(tool_tl *tl)
{
    for (size_t i = 0; i < tl->nbreakdowns; i++)
        free(tl->breakdowns[i].json);
    free(tl->breakdowns);
}

long tool_tl_breakdown_pid(const tool_tl *tl)
{
    for (size_t i = 0; i < tl->nbreakdowns; i++)
        if (tl->has_meta && tl->breakdowns[i].pid == tl->pid)
            return tl->pid;
    return tl->nbreakdowns ? tl->breakdowns[0].pid : 0;
}

const tool_tl_breakdown *tool_tl_last_breakdown(const tool_tl *tl, long pid)
{
    const tool_tl_breakdown *last = NULL;

    /* the latest in time: records need not be in time order */
    for (size_t i = 0; i < tl->nbreakdowns; i++)
        if (tl->breakdowns[i].pid == pid && (!last || tl->breakdowns[i].t >= last->t))
            last = &tl->breakdowns[i];
    return last;
}
