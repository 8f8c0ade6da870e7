/*
 * heap_flame.c - the tree and layout of `gcprof flame` (heap_view.h), as
 * Brendan Gregg describes flame graphs: each stack from the outermost
 * frame in, stacks with the same prefix of function names merged, a
 * node's width its share of the value, siblings by name (so the x axis is
 * no time order, and the picture is the same for the same profile).
 */
#define _GNU_SOURCE /* qsort_r */
#include "heap_view.h"

#include <stdlib.h>
#include <string.h>

/* The node below parent named name, added when new. Returns it, or
 * UINT32_MAX when out of memory. edges maps (parent, name) to node - 1. */
static uint32_t child(tool_flame *f, tool_hidx *edges, size_t *cap, uint32_t parent, uint32_t name)
{
    uint32_t key[2] = {parent, name}, id;
    int r;

    if (f->nnodes >= *cap) {
        size_t ncap = 2 * *cap;
        tool_flame_node *bigger = realloc(f->nodes, ncap * sizeof *bigger);
        if (!bigger)
            return UINT32_MAX;
        f->nodes = bigger;
        *cap = ncap;
    }
    if ((r = tool_hidx_put(edges, key, sizeof key, &id)) < 0)
        return UINT32_MAX;
    if (r == 0)
        return id + 1;
    tool_flame_node *n = &f->nodes[f->nnodes++];
    *n = (tool_flame_node){.name = f->names.keys[name],
                           .parent = parent,
                           .name_id = name,
                           .depth = f->nodes[parent].depth + 1};
    if (n->depth > f->max_depth)
        f->max_depth = n->depth;
    return id + 1;
}

/* Sample s, outermost frame first, into the tree. */
static int add(tool_flame *f, tool_hidx *edges, size_t *cap, const uint32_t *ids, size_t first,
               size_t depth, int64_t v)
{
    uint32_t at = 0;

    f->nodes[0].total = tool_hv_add(f->nodes[0].total, v);
    for (size_t k = depth; k-- > 0;) {
        at = child(f, edges, cap, at, ids[first + k]);
        if (at == UINT32_MAX)
            return -1;
        f->nodes[at].total = tool_hv_add(f->nodes[at].total, v);
    }
    f->nodes[at].self = tool_hv_add(f->nodes[at].self, v);
    return 0;
}

typedef struct order_key {
    uint32_t parent, rank, node;
} order_key;

static int by_parent_rank(const void *a, const void *b)
{
    const order_key *x = a, *y = b;

    if (x->parent != y->parent)
        return x->parent < y->parent ? -1 : 1;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static int by_name(const void *a, const void *b, void *names)
{
    const tool_hidx *h = names;

    return strcmp(h->keys[*(const uint32_t *)a], h->keys[*(const uint32_t *)b]);
}

/* f->order: every node but the root, by parent, then name. */
static int sort_children(tool_flame *f)
{
    size_t nn = f->names.n ? f->names.n : 1, n = f->nnodes - 1;
    uint32_t *by = malloc(nn * sizeof *by), *rank = malloc(nn * sizeof *rank);
    order_key *keys = malloc((n ? n : 1) * sizeof *keys);
    int r = -1;

    f->order = malloc((n ? n : 1) * sizeof *f->order);
    if (!by || !rank || !keys || !f->order)
        goto done;
    for (size_t i = 0; i < f->names.n; i++)
        by[i] = (uint32_t)i;
    qsort_r(by, f->names.n, sizeof *by, by_name, &f->names);
    for (size_t i = 0; i < f->names.n; i++)
        rank[by[i]] = (uint32_t)i;
    for (size_t i = 0; i < n; i++) {
        const tool_flame_node *node = &f->nodes[i + 1];
        keys[i] = (order_key){node->parent, rank[node->name_id], (uint32_t)(i + 1)};
    }
    qsort(keys, n, sizeof *keys, by_parent_rank);
    for (size_t i = n; i-- > 0;) {
        tool_flame_node *parent = &f->nodes[keys[i].parent];
        f->order[i] = keys[i].node;
        parent->first_child = (uint32_t)i;
        parent->nchildren++;
    }
    r = 0;
done:
    free(by);
    free(rank);
    free(keys);
    return r;
}

int tool_flame_make(const pprof_profile *p, int vi, tool_flame *out)
{
    tool_flame f = {0};
    tool_hidx edges = {0};
    uint32_t *ids = NULL;
    size_t cap = 256;

    *out = f;
    f.nodes = malloc(cap * sizeof *f.nodes);
    if (!f.nodes || tool_hv_frame_ids(p, 0, &f.names, &ids) < 0)
        goto fail;
    f.nodes[0] = (tool_flame_node){.name = "all"};
    f.nnodes = 1;
    for (size_t i = 0; i < p->nsamples; i++) {
        const pprof_sample *s = &p->samples[i];
        if (s->value[vi] > 0 &&
            add(&f, &edges, &cap, ids, s->first, tool_hv_depth(p, s), s->value[vi]) < 0)
            goto fail;
    }
    if (sort_children(&f) < 0)
        goto fail;
    free(ids);
    tool_hidx_free(&edges);
    *out = f;
    return 0;
fail:
    free(ids);
    tool_hidx_free(&edges);
    tool_flame_free(&f);
    return -1;
}

/* Parents come before their children in nodes[] (a node is made when its
 * stack first reaches it), so one pass in order places every node. */
void tool_flame_layout(tool_flame *f, double x0, double width)
{
    double scale = f->nnodes && f->nodes[0].total > 0 ? width / (double)f->nodes[0].total : 0;

    if (!f->nnodes)
        return;
    f->nodes[0].x = x0;
    f->nodes[0].width = f->nodes[0].total > 0 ? width : 0;
    for (size_t i = 0; i < f->nnodes; i++) {
        const tool_flame_node *n = &f->nodes[i];
        int64_t before = 0; /* the value of the siblings to the left */
        for (uint32_t k = 0; k < n->nchildren; k++) {
            tool_flame_node *c = &f->nodes[f->order[n->first_child + k]];
            c->x = n->x + (double)before * scale;
            c->width = (double)c->total * scale;
            before = tool_hv_add(before, c->total);
        }
    }
}

void tool_flame_free(tool_flame *f)
{
    free(f->nodes);
    free(f->order);
    tool_hidx_free(&f->names);
    *f = (tool_flame){0};
}
