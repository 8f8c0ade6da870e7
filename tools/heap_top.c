/*
 * heap_top.c - the flat/cum table of `gcprof top` (heap_view.h), as pprof's
 * -top counts: a sample's value is flat for its innermost frame and cum
 * for every function on its stack, once per stack however often recursion
 * repeats it.
 */
#include "heap_view.h"

#include <stdlib.h>
#include <string.h>

static int by_flat(const void *a, const void *b)
{
    const tool_top_row *x = a, *y = b;

    if (x->flat != y->flat)
        return x->flat > y->flat ? -1 : 1;
    if (x->cum != y->cum)
        return x->cum > y->cum ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int by_cum(const void *a, const void *b)
{
    const tool_top_row *x = a, *y = b;

    if (x->cum != y->cum)
        return x->cum > y->cum ? -1 : 1;
    if (x->flat != y->flat)
        return x->flat > y->flat ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Adds sample s's value to its functions' flat and cum; seen[id] holds
 * the last sample that counted id's cum. */
static void count(tool_top *t, const uint32_t *ids, size_t first, size_t depth, size_t s, int64_t v,
                  size_t *seen, uint32_t no_stack)
{
    if (depth == 0) {
        t->rows[no_stack].flat = tool_hv_add(t->rows[no_stack].flat, v);
        t->rows[no_stack].cum = tool_hv_add(t->rows[no_stack].cum, v);
        return;
    }
    t->rows[ids[first]].flat = tool_hv_add(t->rows[ids[first]].flat, v);
    for (size_t k = 0; k < depth; k++) {
        uint32_t id = ids[first + k];
        if (seen[id] == s + 1)
            continue; /* recursion: once a stack */
        seen[id] = s + 1;
        t->rows[id].cum = tool_hv_add(t->rows[id].cum, v);
    }
}

int tool_top_make(const pprof_profile *p, int vi, int line, int cum_order, tool_top *out)
{
    uint32_t *ids = NULL, no_stack;
    size_t *seen = NULL;
    tool_top t = {0};

    *out = t;
    if (tool_hv_frame_ids(p, line, &t.names, &ids) < 0 ||
        tool_hidx_put(&t.names, TOOL_HV_NO_STACK, strlen(TOOL_HV_NO_STACK), &no_stack) < 0)
        goto fail;
    t.rows = calloc(t.names.n, sizeof *t.rows);
    seen = calloc(t.names.n, sizeof *seen);
    if (!t.rows || !seen)
        goto fail;
    for (size_t i = 0; i < t.names.n; i++)
        t.rows[i].name = t.names.keys[i];
    for (size_t i = 0; i < p->nsamples; i++) {
        const pprof_sample *s = &p->samples[i];
        int64_t v = s->value[vi];
        count(&t, ids, s->first, tool_hv_depth(p, s), i, v, seen, no_stack);
        t.total = tool_hv_add(t.total, v);
    }
    t.nsamples = p->nsamples;
    /* only what has a value: a function of the other values' samples only
     * (freed objects, for in-use) is no row */
    size_t n = 0;
    for (size_t i = 0; i < t.names.n; i++)
        if (t.rows[i].flat || t.rows[i].cum)
            t.rows[n++] = t.rows[i];
    t.nrows = n;
    qsort(t.rows, n, sizeof *t.rows, cum_order ? by_cum : by_flat);
    free(ids);
    free(seen);
    *out = t;
    return 0;
fail:
    free(ids);
    free(seen);
    tool_top_free(&t);
    return -1;
}

void tool_top_free(tool_top *t)
{
    free(t->rows);
    tool_hidx_free(&t->names);
    *t = (tool_top){0};
}
