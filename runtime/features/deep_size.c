/*
 * deep_size.c - gcp_deep_sizeof: the bytes the collector holds for an
 * object and for everything reachable from it.
 *
 * The walk reads exactly the words a collection would scan in each object
 * (which depends on the object's kind) and follows every word that points
 * into a live heap object, so the result is what obj alone keeps alive in
 * the collector's eyes. It runs holding the allocation lock, so nothing is
 * freed or reused underneath it. Its bookkeeping (a work stack instead of
 * recursion, and a visited set of base addresses) lives in malloc'd memory:
 * the collector neither sees nor counts it, and growing it cannot trigger
 * a collection while we hold the lock.
 */
#include "collect.h"

#include <gc/gc_inline.h> /* GC_I_PTRFREE, GC_I_NORMAL */
#include <gc/gc_mark.h>
#include <stdlib.h>

/* The collector's atomic uncollectable kind: gc_priv.h of 8.2.2 numbers
 * it after PTRFREE (0), NORMAL (1) and UNCOLLECTABLE (2), and gives only
 * the first two public names. check_sizes verifies the number. */
enum { KIND_AUNCOLLECTABLE = 3 };

typedef struct walk {
    const void *root;
    uintptr_t *stack; /* bases still to scan */
    size_t depth, stack_cap;
    uintptr_t *seen; /* open addressing, 0 = empty; a power of two */
    size_t n_seen, seen_cap;
    size_t total;
    int oom;
} walk;

static size_t slot_of(uintptr_t base, size_t mask)
{
    /* Bases are 16-byte granules apart: drop the zero bits, then mix. */
    uint64_t h = (uint64_t)(base >> 4) * 0x9E3779B97F4A7C15u;
    return (size_t)(h ^ (h >> 29)) & mask;
}

/* Add base to a table with a free slot; 1 if it was not there yet. */
static int table_add(uintptr_t *table, size_t cap, uintptr_t base)
{
    size_t i = slot_of(base, cap - 1);

    for (; table[i]; i = (i + 1) & (cap - 1))
        if (table[i] == base)
            return 0;
    table[i] = base;
    return 1;
}

static int seen_grow(walk *w)
{
    size_t cap = w->seen_cap ? w->seen_cap * 2 : 1024;
    uintptr_t *table = calloc(cap, sizeof *table);

    if (!table)
        return -1;
    for (size_t i = 0; i < w->seen_cap; i++)
        if (w->seen[i])
            table_add(table, cap, w->seen[i]);
    free(w->seen);
    w->seen = table;
    w->seen_cap = cap;
    return 0;
}

static int push(walk *w, uintptr_t base)
{
    if (w->depth == w->stack_cap) {
        size_t cap = w->stack_cap ? w->stack_cap * 2 : 256;
        uintptr_t *stack = realloc(w->stack, cap * sizeof *stack);
        if (!stack)
            return -1;
        w->stack = stack;
        w->stack_cap = cap;
    }
    w->stack[w->depth++] = base;
    return 0;
}

/* The word p, if it points into a heap object not seen yet, queues that
 * object. Interior pointers count, as they do for the collector. */
static void visit(walk *w, const void *p)
{
    uintptr_t base = (uintptr_t)GC_base((void *)p);

    if (!base)
        return;
    /* At most half full, so probes stay short and always find a slot. */
    if (2 * (w->n_seen + 1) > w->seen_cap && seen_grow(w) < 0) {
        w->oom = 1;
        return;
    }
    if (!table_add(w->seen, w->seen_cap, base))
        return;
    w->n_seen++;
    if (push(w, base) < 0)
        w->oom = 1;
}

/* How many leading bytes of the object at base a collection scans: what
 * its kind's mark descriptor says (mark.c and misc.c of 8.2.2). */
static size_t scanned_bytes(const void *base, size_t *size)
{
    int kind = GC_get_kind_and_size(base, size);
    int ours = gcp__kind_index(kind);

    /* The free-list link, then a word of data (unsited) or the site id. */
    if (ours == GCP__ATOMIC || ours == GCP__ATOMIC_SITED)
        return sizeof(void *);
    if (kind == GC_I_PTRFREE || kind == KIND_AUNCOLLECTABLE)
        return 0;
    /* With the extra byte on, NORMAL's descriptor leaves out the last
     * word: it can never hold a pointer the program stored. */
    if (kind == GC_I_NORMAL && gcp__extra_bytes)
        return *size - sizeof(void *);
    /* Our normal kinds, UNCOLLECTABLE, and kinds we do not know (typed,
     * gcj, others'): the whole object, which can only overcount. */
    return *size;
}

static void scan(walk *w, uintptr_t base)
{
    size_t size;
    size_t n = scanned_bytes((const void *)base, &size) / sizeof(void *);
    void *const *words = (void *const *)base;

    w->total += size;
    for (size_t i = 0; i < n && !w->oom; i++)
        visit(w, words[i]);
}

static void *GC_CALLBACK walk_locked(void *data)
{
    walk *w = data;

    visit(w, w->root);
    while (w->depth && !w->oom)
        scan(w, w->stack[--w->depth]);
    return NULL;
}

size_t gcp_deep_sizeof(const void *obj)
{
    walk w = {.root = obj};

    if (!obj || GCP__REFUSED_IN_HOOK("gcp_deep_sizeof"))
        return 0;
    gcp__init_collector(); /* GC_base answers NULL before that */
    GC_call_with_alloc_lock(walk_locked, &w);
    free(w.stack);
    free(w.seen);
    /* A partial sum would pass for a real size: fail instead, after the
     * lock is released (the log hook may do anything). */
    if (w.oom) {
        gcp__fail(GCP_ENOMEM, "gcp_deep_sizeof: out of memory for the walk after %zu objects",
                  w.n_seen);
        return 0;
    }
    return w.total;
}
