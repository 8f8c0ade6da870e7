/*
 * heap_diff.c - what grew between two heap profiles, by stack (heap_view.h):
 * samples keyed by their kind and the function names of their stack, so
 * two runs of one program match whatever their addresses; a stack in one
 * profile only is 0 in the other. Values are the profiles' own scaled
 * estimates, so profiles of different sampling periods compare.
 */
#include "heap_view.h"

#include <stdlib.h>
#include <string.h>

static int64_t growth(const tool_diff_stack *s)
{
    return tool_hv_sub(s->new_v, s->old_v);
}

/* One profile's samples into d->keys and the stacks' values (which: 0
 * old, 1 new). *cap: the stacks' room. */
static int add_profile(tool_diff *d, const pprof_profile *p, int vi, int which, size_t *cap)
{
    uint32_t *ids = NULL, *key = NULL, id;
    size_t kcap = 0;
    int r;

    if (tool_hv_frame_ids(p, 0, &d->names, &ids) < 0)
        return -1;
    for (size_t i = 0; i < p->nsamples; i++) {
        const pprof_sample *s = &p->samples[i];
        size_t depth = tool_hv_depth(p, s);
        if (depth + 1 > kcap) {
            kcap = 2 * (depth + 1);
            free(key);
            if (!(key = malloc(kcap * sizeof *key)))
                goto fail;
        }
        const char *kind = s->kind ? s->kind : "";
        if (tool_hidx_put(&d->names, kind, strlen(kind), &key[0]) < 0)
            goto fail;
        memcpy(key + 1, ids + s->first, depth * sizeof *key);
        if ((r = tool_hidx_put(&d->keys, key, (depth + 1) * sizeof *key, &id)) < 0)
            goto fail;
        if (r == 1) {
            if (d->nstacks >= *cap) {
                size_t ncap = *cap ? 2 * *cap : 256;
                tool_diff_stack *bigger = realloc(d->stacks, ncap * sizeof *bigger);
                if (!bigger)
                    goto fail;
                d->stacks = bigger;
                *cap = ncap;
            }
            d->stacks[d->nstacks++] = (tool_diff_stack){0};
        }
        int64_t *v = which ? &d->stacks[id].new_v : &d->stacks[id].old_v;
        *v = tool_hv_add(*v, s->value[vi]);
        if (which)
            d->new_total = tool_hv_add(d->new_total, s->value[vi]);
        else
            d->old_total = tool_hv_add(d->old_total, s->value[vi]);
    }
    free(ids);
    free(key);
    return 0;
fail:
    free(ids);
    free(key);
    return -1;
}

/* Growth, most first; then what NEW has, then first seen (the keys' order:
 * the same files give the same order). */
static int by_growth(const void *a, const void *b)
{
    const tool_diff_stack *x = a, *y = b;
    int64_t gx = growth(x), gy = growth(y);

    if (gx != gy)
        return gx > gy ? -1 : 1;
    if (x->new_v != y->new_v)
        return x->new_v > y->new_v ? -1 : 1;
    return x->seen < y->seen ? -1 : x->seen > y->seen;
}

static int by_func(const void *a, const void *b)
{
    const tool_diff_func *x = a, *y = b;

    if (x->flat != y->flat)
        return x->flat > y->flat ? -1 : 1;
    if (x->cum != y->cum)
        return x->cum > y->cum ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Each stack's frames and kind, from its key. */
static void fill_stacks(tool_diff *d)
{
    for (size_t i = 0; i < d->nstacks; i++) {
        const uint32_t *key = (const uint32_t *)(const void *)d->keys.keys[i];
        d->stacks[i].frames = key + 1;
        d->stacks[i].depth = d->keys.lens[i] / sizeof *key - 1;
        d->stacks[i].kind = d->names.keys[key[0]];
        d->stacks[i].seen = (uint32_t)i;
    }
}

/* The by-function growth: flat for the innermost frame, cum once a stack. */
static int make_funcs(tool_diff *d)
{
    uint32_t none;
    size_t *seen;

    if (tool_hidx_put(&d->names, TOOL_HV_NO_STACK, strlen(TOOL_HV_NO_STACK), &none) < 0)
        return -1;
    d->funcs = calloc(d->names.n, sizeof *d->funcs);
    seen = calloc(d->names.n, sizeof *seen);
    if (!d->funcs || !seen) {
        free(seen);
        return -1;
    }
    for (size_t i = 0; i < d->nstacks; i++) {
        const tool_diff_stack *s = &d->stacks[i];
        int64_t g = growth(s);
        uint32_t inner = s->depth ? s->frames[0] : none;
        d->funcs[inner].flat = tool_hv_add(d->funcs[inner].flat, g);
        if (!s->depth)
            d->funcs[none].cum = tool_hv_add(d->funcs[none].cum, g);
        for (size_t k = 0; k < s->depth; k++) {
            uint32_t id = s->frames[k];
            if (seen[id] == i + 1)
                continue;
            seen[id] = i + 1;
            d->funcs[id].cum = tool_hv_add(d->funcs[id].cum, g);
        }
    }
    free(seen);
    size_t n = 0;
    for (size_t i = 0; i < d->names.n; i++)
        if (d->funcs[i].flat || d->funcs[i].cum)
            d->funcs[n++] = (tool_diff_func){d->names.keys[i], d->funcs[i].flat, d->funcs[i].cum};
    d->nfuncs = n;
    qsort(d->funcs, n, sizeof *d->funcs, by_func);
    return 0;
}

int tool_diff_make(const pprof_profile *old_p, const pprof_profile *new_p, int vi, tool_diff *out)
{
    tool_diff d = {0};
    size_t cap = 0;

    *out = d;
    if (add_profile(&d, old_p, vi, 0, &cap) < 0 || add_profile(&d, new_p, vi, 1, &cap) < 0)
        goto fail;
    fill_stacks(&d);
    if (make_funcs(&d) < 0)
        goto fail;
    if (d.nstacks) /* profiles without samples: stacks is NULL, and qsort's base must not be */
        qsort(d.stacks, d.nstacks, sizeof *d.stacks, by_growth);
    *out = d;
    return 0;
fail:
    tool_diff_free(&d);
    return -1;
}

const char *tool_diff_name(const tool_diff *d, uint32_t id)
{
    return id < d->names.n ? d->names.keys[id] : "?";
}

void tool_diff_free(tool_diff *d)
{
    free(d->stacks);
    free(d->funcs);
    tool_hidx_free(&d->names);
    tool_hidx_free(&d->keys);
    *d = (tool_diff){0};
}
