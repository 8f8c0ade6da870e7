/*
 * heap_index.c - byte strings to dense ids (heap_view.h): an open-addressed
 * table of ids into an array of copies. Function names and stacks (as
 * arrays of name ids) are its keys.
 */
#include "heap_view.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a, 64 bits. */
static uint64_t hash(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 0xcbf29ce484222325u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

static int same(const tool_hidx *h, uint32_t id, const void *key, size_t len)
{
    return h->lens[id] == len && memcmp(h->keys[id], key, len) == 0;
}

/* The slot of key: its id's, or the empty one it would take. */
static size_t probe(const tool_hidx *h, const void *key, size_t len)
{
    size_t mask = h->cap - 1, i = (size_t)hash(key, len) & mask;

    while (h->slots[i] && !same(h, h->slots[i] - 1, key, len))
        i = (i + 1) & mask;
    return i;
}

/* Doubles the slots (at most half full after) and the key arrays. */
static int grow(tool_hidx *h)
{
    if (h->n + 1 > h->kcap) {
        size_t kcap = h->kcap ? 2 * h->kcap : 64;
        char **keys = realloc(h->keys, kcap * sizeof *keys);
        if (!keys)
            return -1;
        h->keys = keys;
        size_t *lens = realloc(h->lens, kcap * sizeof *lens);
        if (!lens)
            return -1;
        h->lens = lens;
        h->kcap = kcap;
    }
    if (2 * (h->n + 1) <= h->cap)
        return 0;
    size_t cap = h->cap ? 2 * h->cap : 128;
    if (cap > UINT32_MAX)
        return -1;
    uint32_t *old = h->slots, *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    size_t old_cap = h->cap;
    h->slots = slots;
    h->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            slots[probe(h, h->keys[old[i] - 1], h->lens[old[i] - 1])] = old[i];
    free(old);
    return 0;
}

int64_t tool_hidx_find(const tool_hidx *h, const void *key, size_t len)
{
    if (!h->cap)
        return -1;
    size_t i = probe(h, key, len);
    return h->slots[i] ? (int64_t)h->slots[i] - 1 : -1;
}

int tool_hidx_put(tool_hidx *h, const void *key, size_t len, uint32_t *id)
{
    int64_t found = tool_hidx_find(h, key, len);

    if (found >= 0) {
        *id = (uint32_t)found;
        return 0;
    }
    if (h->n >= UINT32_MAX - 1 || grow(h) < 0)
        return -1;
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, key, len);
    copy[len] = '\0';
    h->keys[h->n] = copy;
    h->lens[h->n] = len;
    h->slots[probe(h, key, len)] = (uint32_t)h->n + 1;
    *id = (uint32_t)h->n++;
    return 1;
}

void tool_hidx_free(tool_hidx *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->keys[i]);
    free(h->keys);
    free(h->lens);
    free(h->slots);
    *h = (tool_hidx){0};
}

int tool_hv_frame_ids(const pprof_profile *p, int line, tool_hidx *names, uint32_t **ids)
{
    size_t size = 256;
    char *buf = malloc(size);
    uint32_t *out = malloc((p->nframes ? p->nframes : 1) * sizeof *out);

    if (!buf || !out)
        goto fail;
    for (size_t i = 0; i < p->nframes; i++) {
        const pprof_frame *f = &p->frames[i];
        /* room for the whole name: names are never cut, so never merged */
        size_t need =
            (f->function ? strlen(f->function) : 0) + (f->file ? strlen(f->file) : 0) + 64;
        if (need > size) {
            char *bigger = realloc(buf, need);
            if (!bigger)
                goto fail;
            buf = bigger;
            size = need;
        }
        tool_hv_frame_name(f, line, buf, size);
        if (tool_hidx_put(names, buf, strlen(buf), &out[i]) < 0)
            goto fail;
    }
    free(buf);
    *ids = out;
    return 0;
fail:
    free(buf);
    free(out);
    *ids = NULL;
    return -1;
}
