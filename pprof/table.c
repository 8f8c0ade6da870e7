/*
 * table.c - the two hash tables pprof/ needs: pairs of words to an index
 * (ids, addresses, (name, file) pairs) and strings to their number in a
 * string table. Open addressing, linear probing, kept at most half full.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct pprof__map_slot {
    uint64_t a, b;
    size_t v; /* SIZE_MAX: empty */
};

/* A 64-bit mix (splitmix64's finaliser): ids and addresses are far from
 * random in their low bits. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static size_t slot_of(uint64_t a, uint64_t b, size_t cap)
{
    return (size_t)(mix(a ^ mix(b + 0x9e3779b97f4a7c15ULL)) & (cap - 1));
}

size_t pprof__map_get(const pprof__map *m, uint64_t a, uint64_t b)
{
    if (!m->cap)
        return SIZE_MAX;
    for (size_t i = slot_of(a, b, m->cap);; i = (i + 1) & (m->cap - 1)) {
        const struct pprof__map_slot *s = &m->slots[i];
        if (s->v == SIZE_MAX)
            return SIZE_MAX;
        if (s->a == a && s->b == b)
            return s->v;
    }
}

static void insert(struct pprof__map_slot *slots, size_t cap, uint64_t a, uint64_t b, size_t v)
{
    size_t i = slot_of(a, b, cap);

    while (slots[i].v != SIZE_MAX && !(slots[i].a == a && slots[i].b == b))
        i = (i + 1) & (cap - 1);
    slots[i] = (struct pprof__map_slot){a, b, v};
}

int pprof__map_put(pprof__map *m, uint64_t a, uint64_t b, size_t v)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct pprof__map_slot *slots;
        if (cap > SIZE_MAX / sizeof *slots || !(slots = malloc(cap * sizeof *slots)))
            return -1;
        for (size_t i = 0; i < cap; i++)
            slots[i].v = SIZE_MAX;
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].v != SIZE_MAX)
                insert(slots, cap, m->slots[i].a, m->slots[i].b, m->slots[i].v);
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    if (pprof__map_get(m, a, b) == SIZE_MAX)
        m->n++;
    insert(m->slots, m->cap, a, b, v);
    return 0;
}

void pprof__map_free(pprof__map *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

/* FNV-1a. */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static int strtab_grow(pprof__strtab *t)
{
    size_t nslots = t->nslots ? t->nslots * 2 : 256;
    size_t *slots = calloc(nslots, sizeof *slots);

    if (!slots)
        return -1;
    for (size_t k = 0; k < t->n; k++) {
        size_t i = (size_t)hash_str(t->strs[k]) & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = k + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return 0;
}

int64_t pprof__strtab_add(pprof__strtab *t, const char *s)
{
    size_t i;

    if ((t->n + 1) * 2 > t->nslots && strtab_grow(t) != 0)
        return -1;
    for (i = (size_t)hash_str(s) & (t->nslots - 1); t->slots[i]; i = (i + 1) & (t->nslots - 1))
        if (strcmp(t->strs[t->slots[i] - 1], s) == 0)
            return (int64_t)(t->slots[i] - 1);
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        const char **strs = realloc(t->strs, cap * sizeof *strs);
        if (!strs)
            return -1;
        t->strs = strs;
        t->cap = cap;
    }
    t->strs[t->n] = s;
    t->slots[i] = ++t->n;
    return (int64_t)(t->n - 1);
}

void pprof__strtab_free(pprof__strtab *t)
{
    free(t->strs);
    free(t->slots);
    memset(t, 0, sizeof *t);
}
