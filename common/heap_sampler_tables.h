/*
 * heap_sampler_tables.h - the sampler's state, shared by its files only
 * (heap_sampler.c, heap_sampler_tables.c, heap_dump.c). Every table is an
 * anonymous mapping of ours, grown with mremap: no malloc, no root.
 */
#ifndef GCP_HEAP_SAMPLER_TABLES_H
#define GCP_HEAP_SAMPLER_TABLES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* An object's address is kept inverted, so that a scan of our memory
 * would not find it; 0 and all ones are then free for the slot states. */
#define GCP__HS_EMPTY ((uintptr_t)0)
#define GCP__HS_GONE  (~(uintptr_t)0) /* a deleted slot (a tombstone) */

static inline uintptr_t gcp__hs_hide(uintptr_t p)
{
    return ~p;
}

static inline const void *gcp__hs_reveal(uintptr_t h)
{
    return (const void *)~h;
}

typedef struct gcp__hs_stack {
    uint64_t hash;
    const char *kind;
    const char *type;      /* the program's name for what is allocated, or NULL */
    uint32_t first, depth; /* pcs[first .. first+depth) */
    double alloc_objects, alloc_bytes;
    double inuse_objects, inuse_bytes; /* filled by the dump */
} gcp__hs_stack;

typedef struct gcp__hs_live {
    uintptr_t hidden; /* or EMPTY / GONE */
    uint32_t stack;
    uint32_t survived; /* marked by the latest sweep */
    size_t size;
    double weight;
} gcp__hs_live;

/* A table's memory: with the far arena, a fixed slice (slot) of address
 * space reserved at start and committed as the table grows, so that no
 * mapping of ours appears later among the program's (where the
 * collector's heap would have gone); without it, a mapping of its own. */
typedef struct gcp__hs_region {
    void *base;
    size_t bytes;
    char *slot; /* NULL: no arena */
    size_t slot_size;
} gcp__hs_region;

typedef struct gcp__hs_state {
    pthread_mutex_t lock;
    _Atomic uint64_t rate; /* 0: not sampling */
    uint64_t start_real_ns;
    unsigned long gc_no; /* of the latest sweep */
    uint64_t lost;       /* samples dropped: no memory for them */
    gcp__hs_region stack_region, index_region, pc_region, live_region;
    gcp__hs_region live_spare; /* the other slot: a rebuild fills it */
    gcp__hs_region snap_region; /* the dump's copy of the counts */
    gcp__hs_stack *stacks;
    size_t nstacks;
    uint32_t *index; /* stack index + 1, by hash; 0: empty */
    size_t index_cap;
    uintptr_t *pcs;
    size_t npcs;
    gcp__hs_live *live;
    size_t live_cap, live_used; /* used: live + tombstones */
    _Atomic size_t live_count;
} gcp__hs_state;

/* In a mapping of its own, made by gcp__hs_start (the preload keeps its
 * writable data small: a root if a program replaces its roots filter). */
extern gcp__hs_state *gcp__hs;

void gcp__hs_lock(void);
void gcp__hs_unlock(void);

/* All under the lock. */
/* -1: no memory */
int32_t gcp__hs_stack_find(const char *kind, const char *type, void *const *pcs, int depth);
int gcp__hs_live_put(uintptr_t base, uint32_t stack, size_t size, double weight);
void gcp__hs_live_drop(uintptr_t base);
void gcp__hs_live_kill(gcp__hs_live *e);
void gcp__hs_region_free(gcp__hs_region *r);
/* The arena, reserved at start: the state in its first slice, a slice
 * for each table; NULL when no address space could be reserved there. */
gcp__hs_state *gcp__hs_arena_new(void);
void gcp__hs_tables_free(void);
/* The counts of stacks [0, n), four doubles each (alloc_objects,
 * alloc_bytes, inuse_objects, inuse_bytes), copied for a dump that writes
 * them after the lock is given back; NULL without the arena, where the
 * tables may move (the dump then writes under the lock). */
const double *gcp__hs_snapshot(size_t n);

#endif
