/*
 * heap_sampler_tables.c - the sampler's two hash tables, in mappings of
 * our own: call stacks (deduplicated, kept for the profile's lifetime) and
 * sampled objects (open addressing by hidden address, linear probing,
 * tombstones, rebuilt when a quarter of the slots are tombstones).
 * Everything runs under the sampler's lock.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "far_map.h"
#include "heap_sampler.h"
#include "heap_sampler_tables.h"

gcp__hs_state *gcp__hs;

void gcp__hs_lock(void)
{
    pthread_mutex_lock(&gcp__hs->lock);
}

void gcp__hs_unlock(void)
{
    pthread_mutex_unlock(&gcp__hs->lock);
}

/* ---- mappings ------------------------------------------------------- */

/* The arena: slices of address space far from the program's mappings
 * (bdwgc scans conservatively, and where its heap lands decides what a
 * stray word keeps: a table mapped next to it, at the first sample, made
 * ECL collect 90 times instead of 77 in 2 runs of 12). */
#if UINTPTR_MAX > 0xffffffffu
#define SLICE ((size_t)8 << 30) /* address space only: committed as used */
#else
#define SLICE ((size_t)32 << 20)
#endif
enum { SLICE_STATE, SLICE_INDEX, SLICE_STACKS, SLICE_PCS, SLICE_LIVE, SLICE_LIVE2, SLICE_SNAP, NSLICES };

/* NSLICES slices, PROT_NONE, far from the program's mappings and from
 * the preload's own (far_map.h, part 1). */
static char *reserve_arena(void)
{
    void *p = gcp__map_far(NSLICES * SLICE, PROT_NONE, MAP_NORESERVE, 1);
    return p == MAP_FAILED ? NULL : p;
}

static void slot_region(gcp__hs_region *r, char *arena, int slice)
{
    r->slot = arena + (size_t)slice * SLICE;
    r->slot_size = SLICE;
    r->base = r->slot;
    r->bytes = 0;
}

gcp__hs_state *gcp__hs_arena_new(void)
{
    char *arena = reserve_arena();
    size_t state = (sizeof(gcp__hs_state) + 4095) & ~(size_t)4095;

    if (!arena || mprotect(arena, state, PROT_READ | PROT_WRITE) != 0) {
        if (arena)
            munmap(arena, NSLICES * SLICE);
        return NULL;
    }
    gcp__hs_state *s = (gcp__hs_state *)arena; /* zero-filled */
    slot_region(&s->index_region, arena, SLICE_INDEX);
    slot_region(&s->stack_region, arena, SLICE_STACKS);
    slot_region(&s->pc_region, arena, SLICE_PCS);
    slot_region(&s->live_region, arena, SLICE_LIVE);
    slot_region(&s->live_spare, arena, SLICE_LIVE2);
    slot_region(&s->snap_region, arena, SLICE_SNAP);
    return s;
}

/* Makes r hold at least `bytes` (zero-filled beyond the old end). */
static int region_reserve(gcp__hs_region *r, size_t bytes)
{
    size_t page = 4096, want = r->bytes ? r->bytes : 16 * page;
    void *p;

    while (want < bytes)
        want *= 2;
    if (want == r->bytes)
        return 0;
    if (r->slot) { /* commit more of its slice */
        if (want > r->slot_size)
            want = r->slot_size;
        if (want < bytes ||
            mprotect(r->slot + r->bytes, want - r->bytes, PROT_READ | PROT_WRITE) != 0)
            return -1;
        r->base = r->slot;
        r->bytes = want;
        return 0;
    }
    if (r->base)
        p = mremap(r->base, r->bytes, want, MREMAP_MAYMOVE);
    else
        p = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    r->base = p;
    r->bytes = want;
    return 0;
}

/* Gives r's memory back; a slice stays reserved, empty. */
void gcp__hs_region_free(gcp__hs_region *r)
{
    if (r->slot) {
        if (r->bytes) {
            madvise(r->slot, r->bytes, MADV_DONTNEED);
            mprotect(r->slot, r->bytes, PROT_NONE);
        }
        r->bytes = 0;
        return;
    }
    if (r->base)
        munmap(r->base, r->bytes);
    r->base = NULL;
    r->bytes = 0;
}

/* ---- stacks --------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

static uint64_t stack_hash(const char *kind, const char *type, void *const *pcs, int depth)
{
    uint64_t h = mix(mix(0, (uint64_t)(uintptr_t)kind), (uint64_t)(uintptr_t)type);

    for (int i = 0; i < depth; i++)
        h = mix(h, (uint64_t)(uintptr_t)pcs[i]);
    return h;
}

static int stack_equal(const gcp__hs_stack *s, uint64_t hash, const char *kind, const char *type,
                       void *const *pcs, int depth)
{
    if (s->hash != hash || s->kind != kind || s->type != type || s->depth != (uint32_t)depth)
        return 0;
    for (int i = 0; i < depth; i++)
        if (gcp__hs->pcs[s->first + (uint32_t)i] != (uintptr_t)pcs[i])
            return 0;
    return 1;
}

/* Rebuilds the stack index at twice the size (load stays under half). */
static int index_grow(void)
{
    size_t cap = gcp__hs->index_cap ? gcp__hs->index_cap * 2 : 1024;

    gcp__hs_region_free(&gcp__hs->index_region);
    if (region_reserve(&gcp__hs->index_region, cap * sizeof(uint32_t)) != 0)
        return -1;
    gcp__hs->index = gcp__hs->index_region.base;
    gcp__hs->index_cap = cap;
    memset(gcp__hs->index, 0, cap * sizeof(uint32_t));
    for (size_t s = 0; s < gcp__hs->nstacks; s++) {
        size_t i = gcp__hs->stacks[s].hash & (cap - 1);
        while (gcp__hs->index[i])
            i = (i + 1) & (cap - 1);
        gcp__hs->index[i] = (uint32_t)s + 1;
    }
    return 0;
}

static int32_t stack_add(uint64_t hash, const char *kind, const char *type, void *const *pcs,
                         int depth)
{
    size_t n = gcp__hs->nstacks;

    if (n >= INT32_MAX - 1 ||
        region_reserve(&gcp__hs->stack_region, (n + 1) * sizeof(gcp__hs_stack)) != 0 ||
        region_reserve(&gcp__hs->pc_region, (gcp__hs->npcs + (size_t)depth) * sizeof(uintptr_t)) !=
            0)
        return -1;
    gcp__hs->stacks = gcp__hs->stack_region.base;
    gcp__hs->pcs = gcp__hs->pc_region.base;
    gcp__hs_stack *s = &gcp__hs->stacks[n];
    memset(s, 0, sizeof *s);
    s->hash = hash;
    s->kind = kind;
    s->type = type;
    s->first = (uint32_t)gcp__hs->npcs;
    s->depth = (uint32_t)depth;
    for (int i = 0; i < depth; i++)
        gcp__hs->pcs[gcp__hs->npcs++] = (uintptr_t)pcs[i];
    gcp__hs->nstacks = n + 1;
    return (int32_t)n;
}

int32_t gcp__hs_stack_find(const char *kind, const char *type, void *const *pcs, int depth)
{
    uint64_t hash = stack_hash(kind, type, pcs, depth);

    if ((gcp__hs->nstacks + 1) * 2 > gcp__hs->index_cap && index_grow() != 0)
        return -1;
    size_t mask = gcp__hs->index_cap - 1, i = hash & mask;
    for (; gcp__hs->index[i]; i = (i + 1) & mask) {
        uint32_t s = gcp__hs->index[i] - 1;
        if (stack_equal(&gcp__hs->stacks[s], hash, kind, type, pcs, depth))
            return (int32_t)s;
    }
    int32_t s = stack_add(hash, kind, type, pcs, depth);
    if (s >= 0)
        gcp__hs->index[i] = (uint32_t)s + 1;
    return s;
}

/* ---- sampled objects ------------------------------------------------ */

static size_t slot_of(uintptr_t hidden, size_t cap)
{
    return (size_t)((hidden >> 4) * 0x9e3779b97f4a7c15ull >> 20) & (cap - 1);
}

static gcp__hs_live *live_find(uintptr_t hidden)
{
    if (!gcp__hs->live_cap)
        return NULL;
    size_t mask = gcp__hs->live_cap - 1;
    for (size_t i = slot_of(hidden, gcp__hs->live_cap);; i = (i + 1) & mask) {
        gcp__hs_live *e = &gcp__hs->live[i];
        if (e->hidden == hidden)
            return e;
        if (e->hidden == GCP__HS_EMPTY)
            return NULL;
    }
}

static void live_insert(gcp__hs_live *table, size_t cap, const gcp__hs_live *e)
{
    size_t i = slot_of(e->hidden, cap);

    while (table[i].hidden != GCP__HS_EMPTY && table[i].hidden != GCP__HS_GONE)
        i = (i + 1) & (cap - 1);
    table[i] = *e;
}

/* A new table of twice the live objects (at least 1024 slots), the old
 * one's live entries moved in, its tombstones left behind. */
static int live_rebuild(void)
{
    size_t count = atomic_load(&gcp__hs->live_count), cap = 1024;
    gcp__hs_region fresh = gcp__hs->live_spare; /* the other slice, or none */

    while (cap < count * 4)
        cap *= 2;
    if (region_reserve(&fresh, cap * sizeof(gcp__hs_live)) != 0)
        return -1;
    for (size_t i = 0; i < gcp__hs->live_cap; i++) {
        const gcp__hs_live *e = &gcp__hs->live[i];
        if (e->hidden != GCP__HS_EMPTY && e->hidden != GCP__HS_GONE)
            live_insert(fresh.base, cap, e);
    }
    gcp__hs_region_free(&gcp__hs->live_region);
    gcp__hs->live_spare = gcp__hs->live_region; /* empty, for the next rebuild */
    gcp__hs->live_region = fresh;
    gcp__hs->live = fresh.base;
    gcp__hs->live_cap = cap;
    gcp__hs->live_used = count;
    return 0;
}

int gcp__hs_live_put(uintptr_t base, uint32_t stack, size_t size, double weight)
{
    gcp__hs_live e = {gcp__hs_hide(base), stack, 0, size, weight};
    gcp__hs_live *old = live_find(e.hidden);

    if (old) { /* an address reused before we saw its object die: replace */
        *old = e;
        return 0;
    }
    if ((gcp__hs->live_used + 1) * 4 > gcp__hs->live_cap * 3 && live_rebuild() != 0)
        return -1;
    size_t i = slot_of(e.hidden, gcp__hs->live_cap);
    while (gcp__hs->live[i].hidden != GCP__HS_EMPTY && gcp__hs->live[i].hidden != GCP__HS_GONE)
        i = (i + 1) & (gcp__hs->live_cap - 1);
    if (gcp__hs->live[i].hidden == GCP__HS_EMPTY)
        gcp__hs->live_used++;
    gcp__hs->live[i] = e;
    atomic_fetch_add(&gcp__hs->live_count, 1);
    return 0;
}

void gcp__hs_live_kill(gcp__hs_live *e)
{
    e->hidden = GCP__HS_GONE;
    atomic_fetch_sub(&gcp__hs->live_count, 1);
}

void gcp__hs_live_drop(uintptr_t base)
{
    gcp__hs_live *e = live_find(gcp__hs_hide(base));

    if (e)
        gcp__hs_live_kill(e);
}

const double *gcp__hs_snapshot(size_t n)
{
    gcp__hs_region *r = &gcp__hs->snap_region;

    if (!r->slot || region_reserve(r, (n ? n : 1) * 4 * sizeof(double)) != 0)
        return NULL;
    double *v = r->base;
    for (size_t s = 0; s < n; s++) {
        const gcp__hs_stack *st = &gcp__hs->stacks[s];
        v[4 * s] = st->alloc_objects;
        v[4 * s + 1] = st->alloc_bytes;
        v[4 * s + 2] = st->inuse_objects;
        v[4 * s + 3] = st->inuse_bytes;
    }
    return v;
}

/* Every table given back (a forked child's copy of the parent's). */
void gcp__hs_tables_free(void)
{
    gcp__hs_region_free(&gcp__hs->stack_region);
    gcp__hs_region_free(&gcp__hs->index_region);
    gcp__hs_region_free(&gcp__hs->pc_region);
    gcp__hs_region_free(&gcp__hs->live_region);
    gcp__hs_region_free(&gcp__hs->live_spare);
    gcp__hs_region_free(&gcp__hs->snap_region);
    gcp__hs->stacks = NULL;
    gcp__hs->index = NULL;
    gcp__hs->pcs = NULL;
    gcp__hs->live = NULL;
    gcp__hs->nstacks = gcp__hs->index_cap = gcp__hs->npcs = gcp__hs->live_cap = 0;
    gcp__hs->live_used = 0;
    atomic_store(&gcp__hs->live_count, 0);
    gcp__hs->lost = 0;
}
