/*
 * heap.c - allocation through per-thread free lists, with exact counts.
 *
 * Small objects come from free lists this thread keeps for each size
 * (refilled a batch at a time by GC_generic_malloc_many), so the fast path
 * takes no lock and bumps two single-writer counters. The lists hang off an
 * uncollectable per-thread state, which keeps parked objects marked; the
 * census subtracts them using the counts kept here.
 */
#include "heap.h"
#include "heap_sample.h"

#include <gc/gc_inline.h>
#include <gc/gc_mark.h>
#include <pthread.h>
#include <string.h>

#define N_KINDS GCP__N_KINDS

typedef struct thread_state {
    void *free_list[N_KINDS][GC_TINY_FREELISTS]; /* indexed by granules */
    /* Single writer: the owning thread. Others read them relaxed. */
    _Atomic uint64_t alloc_objects, alloc_bytes;   /* handed out */
    _Atomic uint64_t refill_objects, refill_bytes; /* put in free lists */
    _Atomic uint64_t large_objects, large_bytes;   /* handed out directly */
    gcp__site_dir *_Atomic site_dir;               /* sites.c's counts */
    struct thread_state *next;                     /* registry link */
    int in_use;                                    /* owned by a thread */
    /* The counts when the owner adopted it: a state a thread takes from the
     * pool still holds its dead owner's, which are not this thread's. */
    uint64_t base_objects, base_bytes;
} thread_state;

/* States are never freed: an exiting thread's state returns to the pool,
 * so counters stay summable without locks in the owner's path, and the
 * pool never holds more states than threads ever ran at once. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static thread_state *_Atomic registry; /* read without the lock: states are
                                          published whole, never unlinked */
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
/* initial-exec: the fast path reads it without a __tls_get_addr call (the
 * library is linked into programs, not dlopen()ed by the hundred). */
static _Thread_local thread_state *self __attribute__((tls_model("initial-exec")));

#define RELAXED memory_order_relaxed

/* Largest request served from the per-thread lists (with the extra byte,
 * at most GC_TINY_FREELISTS - 1 granules). */
#define SMALL_MAX ((GC_TINY_FREELISTS - 1) * GC_GRANULE_BYTES - 1)

static inline void bump(_Atomic uint64_t *counter, uint64_t by)
{
    /* One writer: a relaxed load and store, no locked instruction. */
    atomic_store_explicit(counter, atomic_load_explicit(counter, RELAXED) + by, RELAXED);
}

/* A thread exits: its state, free lists included, waits in the pool for
 * the next thread. Dropping the parked objects instead would leave them
 * uncounted garbage that a stray word could keep alive, and a census
 * would then count them as live runtime objects that were never handed
 * out. Kept, they stay parked and counted. */
static void retire_state(void *arg)
{
    thread_state *st = arg;

    pthread_mutex_lock(&registry_lock);
    st->in_use = 0;
    pthread_mutex_unlock(&registry_lock);
    self = NULL;
}

static void make_exit_key(void)
{
    pthread_key_create(&exit_key, retire_state);
}

static thread_state *adopt_state(void)
{
    thread_state *st;

    gcp_init();
    pthread_once(&key_once, make_exit_key);
    pthread_mutex_lock(&registry_lock);
    for (st = registry; st && st->in_use; st = st->next)
        ;
    if (st)
        st->in_use = 1;
    pthread_mutex_unlock(&registry_lock);
    if (!st) {
        /* Uncollectable: a root, so parked objects stay marked. */
        gcp__heap_inner = 1;
        st = GC_MALLOC_UNCOLLECTABLE(sizeof *st);
        gcp__heap_inner = 0;
        if (!st)
            return NULL;
        st->in_use = 1;
        pthread_mutex_lock(&registry_lock);
        st->next = atomic_load_explicit(&registry, RELAXED);
        atomic_store_explicit(&registry, st, memory_order_release);
        pthread_mutex_unlock(&registry_lock);
    }
    st->base_objects = atomic_load_explicit(&st->alloc_objects, RELAXED);
    st->base_bytes = atomic_load_explicit(&st->alloc_bytes, RELAXED);
    pthread_setspecific(exit_key, st);
    self = st;
    return st;
}

void gcp__heap_totals(gcp__counts *allocated, gcp__counts *parked)
{
    gcp__counts a = {0, 0}, p = {0, 0};

    /* No lock: a profile reads this twice, and states are never unlinked. */
    for (thread_state *st = atomic_load_explicit(&registry, memory_order_acquire); st;
         st = st->next) {
        uint64_t ao = atomic_load_explicit(&st->alloc_objects, RELAXED);
        uint64_t ab = atomic_load_explicit(&st->alloc_bytes, RELAXED);
        uint64_t lo = atomic_load_explicit(&st->large_objects, RELAXED);
        uint64_t lb = atomic_load_explicit(&st->large_bytes, RELAXED);
        a.objects += ao;
        a.bytes += ab;
        p.objects += atomic_load_explicit(&st->refill_objects, RELAXED) - (ao - lo);
        p.bytes += atomic_load_explicit(&st->refill_bytes, RELAXED) - (ab - lb);
    }
    if (allocated)
        *allocated = a;
    if (parked)
        *parked = p;
}

gcp__counts gcp__heap_allocated(void)
{
    gcp__counts a = {0, 0};

    for (thread_state *st = atomic_load_explicit(&registry, memory_order_acquire); st;
         st = st->next) {
        a.objects += atomic_load_explicit(&st->alloc_objects, RELAXED);
        a.bytes += atomic_load_explicit(&st->alloc_bytes, RELAXED);
    }
    return a;
}

gcp__counts gcp__heap_mine(void)
{
    thread_state *st = self;
    gcp__counts mine = {0, 0};

    if (st) {
        mine.objects = atomic_load_explicit(&st->alloc_objects, RELAXED) - st->base_objects;
        mine.bytes = atomic_load_explicit(&st->alloc_bytes, RELAXED) - st->base_bytes;
    }
    return mine;
}

gcp__site_dir *_Atomic *gcp__thread_site_dir(void)
{
    thread_state *st = self ? self : adopt_state();

    return st ? &st->site_dir : NULL;
}

void gcp__each_site_dir(void (*fn)(const gcp__site_dir *dir, void *user), void *user)
{
    pthread_mutex_lock(&registry_lock);
    for (thread_state *st = registry; st; st = st->next) {
        gcp__site_dir *dir = atomic_load_explicit(&st->site_dir, memory_order_acquire);
        if (dir)
            fn(dir, user);
    }
    pthread_mutex_unlock(&registry_lock);
}

void gcp_heap_counters_get(gcp_heap_counters *out)
{
    gcp__counts a;

    if (!out)
        return;
    gcp__heap_totals(&a, NULL);
    memset(out, 0, sizeof *out);
    out->objects_allocated = a.objects;
    out->bytes_allocated = a.bytes;
}

static _Atomic unsigned long failed_allocations;

unsigned long gcp__failed_allocations(void)
{
    return atomic_load_explicit(&failed_allocations, RELAXED);
}

static void *out_of_memory(size_t size)
{
    atomic_fetch_add_explicit(&failed_allocations, 1, RELAXED);
    gcp__fail(GCP_ENOMEM, "gcp_alloc: out of memory allocating %zu bytes", size);
    return NULL;
}

static inline size_t granules_for(size_t size)
{
    size_t g = (size + gcp__extra_bytes + GC_GRANULE_BYTES - 1) / GC_GRANULE_BYTES;
    return g ? g : 1;
}

static void count_batch(thread_state *st, void *list, size_t object_bytes)
{
    uint64_t n = 0;

    for (void *p = list; p; p = *(void **)p)
        n++;
    bump(&st->refill_objects, n);
    bump(&st->refill_bytes, n * object_bytes);
}

static void *alloc_large(thread_state *st, int kind_ix, size_t size)
{
    gcp__heap_inner = 1; /* counted here, not again if a static link redirects it */
    void *op = GC_malloc_kind(size, gcp__kinds[kind_ix]);
    gcp__heap_inner = 0;

    if (!op)
        return out_of_memory(size);
    size_t bytes = GC_size(op);
    bump(&st->alloc_objects, 1);
    bump(&st->alloc_bytes, bytes);
    bump(&st->large_objects, 1);
    bump(&st->large_bytes, bytes);
    return op;
}

static void *alloc_slow(int kind_ix, size_t size)
{
    /* A refill takes the collector's lock, which the hook holds: refused
     * there (a parked object, on the fast path, is still handed out). */
    if (gcp__in_collector_hook()) {
        gcp__fail(GCP_ESTATE, "gcp_alloc: called from inside the collector's event hook, which "
                              "holds the collector's lock: it would wait for itself");
        return NULL;
    }
    thread_state *st = self ? self : adopt_state();

    if (!st)
        return out_of_memory(size);
    gcp__hold_check();
    if (size > SMALL_MAX)
        return alloc_large(st, kind_ix, size);
    size_t granules = granules_for(size);

    void **list = &st->free_list[kind_ix][granules];
    size_t object_bytes = granules * GC_GRANULE_BYTES;
    if (!*list) {
        gcp__heap_inner = 1;
        GC_generic_malloc_many(object_bytes, gcp__kinds[kind_ix], list);
        gcp__heap_inner = 0;
        if (!*list)
            return out_of_memory(size);
        /* A batch is a block's free slots, all of this size, except when
         * the collector falls back to one object of its own sizing (it
         * adds the extra byte again): that one is handed out right here,
         * so the fast path only ever sees objects of the listed size. */
        object_bytes = GC_size(*list);
        count_batch(st, *list, object_bytes);
    }
    void *op = *list;
    *list = *(void **)op;
    *(void **)op = NULL;
    bump(&st->alloc_objects, 1);
    bump(&st->alloc_bytes, object_bytes);
    return op;
}

/* The fast path: a parked object of the right size, two counter bumps. */
static inline void *alloc_kind(int kind_ix, size_t size)
{
    thread_state *st = self;

    if (__builtin_expect(st != NULL && size <= SMALL_MAX, 1)) {
        size_t granules = granules_for(size);
        void **list = &st->free_list[kind_ix][granules];
        void *op = *list;
        if (__builtin_expect(op != NULL, 1)) {
            *list = *(void **)op;
            *(void **)op = NULL;
            bump(&st->alloc_objects, 1);
            bump(&st->alloc_bytes, granules * GC_GRANULE_BYTES);
            return op;
        }
    }
    return alloc_slow(kind_ix, size);
}

void *gcp__alloc_kind(int kind_ix, size_t size)
{
    return alloc_kind(kind_ix, size);
}

/* A sited object: its site word last, and the bytes the counters were
 * charged for it. The fast path is alloc_kind's, with the size it knows. */
void *gcp__alloc_tailed(int kind_ix, size_t size, uint64_t word, uint64_t *bytes)
{
    thread_state *st = self;
    char *op;

    size += GCP__SITE_TAIL;
    if (__builtin_expect(st != NULL && size <= SMALL_MAX, 1)) {
        size_t granules = granules_for(size);
        void **list = &st->free_list[kind_ix][granules];
        op = *list;
        if (__builtin_expect(op != NULL, 1)) {
            *list = *(void **)op;
            *(void **)op = NULL;
            *bytes = granules * GC_GRANULE_BYTES;
            bump(&st->alloc_objects, 1);
            bump(&st->alloc_bytes, *bytes);
            *(uint64_t *)(op + *bytes - GCP__SITE_TAIL) = word;
            return op;
        }
    }
    op = gcp__alloc_kind_sized(kind_ix, size, bytes);
    if (op)
        *(uint64_t *)(op + *bytes - GCP__SITE_TAIL) = word;
    return op;
}

/* The same, and the bytes the counters were charged for it (the
 * collector's size), read from this thread's own counter: no GC_size. */
void *gcp__alloc_kind_sized(int kind_ix, size_t size, uint64_t *bytes)
{
    thread_state *st = self;
    uint64_t before = st ? atomic_load_explicit(&st->alloc_bytes, RELAXED) : 0;
    void *op = alloc_kind(kind_ix, size);

    if (op && st)
        *bytes = atomic_load_explicit(&st->alloc_bytes, RELAXED) - before;
    else
        *bytes = op ? GC_size(op) : 0; /* this thread's first allocation */
    return op;
}

size_t gcp_sizeof(const void *obj)
{
    void *base = obj ? GC_base((void *)obj) : NULL;

    if (!base)
        return 0;
    int k = gcp__kind_index(GC_get_kind_and_size(base, NULL));
    size_t size = GC_size(base);
    /* A sited object's last word is not the user's memory. */
    return k == GCP__NORMAL_SITED || k == GCP__ATOMIC_SITED ? size - GCP__SITE_TAIL : size;
}
