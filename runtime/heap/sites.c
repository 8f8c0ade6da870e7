/*
 * sites.c - allocation sites: which line allocated what, and what of it
 * is still live after a full collection.
 *
 * While tracking is on, an allocation comes from a "sited" kind and its
 * last word holds the site's id: past the user's memory and the
 * collector's extra byte, so most sizes need no larger object. Sited kinds
 * are cleared on reuse, so a parked slot's last word is 0, never an id,
 * and a census of marked objects can read live objects by site.
 * The word also holds the allocation window the object was made in: a
 * counter that gcp__sites_window_begin advances, so a census can tell the
 * objects a profiled closure allocated from older ones of the same site.
 * Allocation counts gather in the thread's allocation state (heap.c), a
 * counter pair per site id (plain single-writer counters, no lock or
 * atomic instruction on the fast path), so any number of sites interleave
 * at the same cost: the 64 slots shared by id that this replaced moved
 * their counts into the site with two locked adds whenever another site
 * took the slot, on almost every allocation with 10,000 sites. Counters
 * come in chunks of 64 ids, malloc'd at a thread's first allocation at one
 * of them (1 KiB, plus an 8 KiB directory per thread that tracks): a
 * thread that allocates at n sites holds about n / 64 chunks. Ids past
 * 65,536, or a thread without memory for a chunk, count in the caller's
 * static gcp_site with atomic adds. An exited thread's state, counters
 * included, is kept for the next thread, so a census adds both.
 */
#include "heap.h"
#include "heap_sample.h"

#include <gc/gc_mark.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

_Atomic int gcp__tracking;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static gcp_site **sites;  /* sites[id - 1]; malloc'd, grows */
static char *site_atomic; /* site_atomic[id - 1]: allocates pointer-free memory */
static size_t n_sites, cap_sites;
static _Atomic size_t published; /* ids up to this are in sites[] */
static _Atomic uint32_t window;   /* the current allocation window */

gcp_site gcp__site_unknown = {.file = GCP__UNKNOWN_SITE_FILE, .func = "gcp_alloc"};
gcp_site gcp__site_unknown_atomic = {.file = GCP__UNKNOWN_SITE_FILE, .func = "gcp_alloc_atomic"};

/* The site word: the id in the low 32 bits, the window in bits 32-62, and
 * bit 63 set (never a user-space address, should anything scan it). */
#define WORD_TAG     ((uint64_t)1 << 63)
#define WINDOW_MASK  0x7fffffffu
#define WORD_ID(w)   ((uint32_t)(w))
#define WORD_WIN(w)  ((uint32_t)((w) >> 32) & WINDOW_MASK)

uint32_t gcp__sites_window_begin(void)
{
    return (atomic_fetch_add(&window, 1) + 1) & WINDOW_MASK;
}

/* Window w is `since` or later: modulo 2^31, so numbers may wrap (an
 * object older than 2^30 windows would read as new). */
static inline int in_window(uint32_t w, uint32_t since)
{
    return ((w - since) & WINDOW_MASK) < (1u << 30);
}

int gcp_sites_track(int on)
{
    gcp_init();
    if (on < 0)
        return atomic_load(&gcp__tracking);
    return atomic_exchange(&gcp__tracking, on ? 1 : 0);
}

/* A site's private_ words (gcprof.h): its id (0 until registered) and what
 * was allocated there while tracking. */
#define SITE_ID(site)      ((site)->private_[0])
#define SITE_OBJECTS(site) ((site)->private_[1])
#define SITE_BYTES(site)   ((site)->private_[2])

/* The site's id, registering it on first use. Returns 0 when out of
 * memory for the registry (the object is then allocated unsited). */
static int register_site(gcp_site *site, int atomic);

static inline int site_id(gcp_site *site, int atomic)
{
    int id = (int)__atomic_load_n(&SITE_ID(site), __ATOMIC_ACQUIRE);

    return __builtin_expect(id != 0, 1) ? id : register_site(site, atomic);
}

static int register_site(gcp_site *site, int atomic)
{
    int id;

    pthread_mutex_lock(&registry_lock);
    id = (int)SITE_ID(site);
    if (!id && n_sites == cap_sites) {
        size_t cap = cap_sites ? cap_sites * 2 : 64;
        gcp_site **grown = realloc(sites, cap * sizeof *grown);
        if (grown)
            sites = grown;
        char *flags = grown ? realloc(site_atomic, cap) : NULL;
        if (flags) {
            site_atomic = flags;
            cap_sites = cap;
        }
    }
    if (!id && n_sites < cap_sites) {
        site_atomic[n_sites] = (char)atomic;
        sites[n_sites++] = site;
        id = (int)n_sites;
        atomic_store(&published, n_sites);
        __atomic_store_n(&SITE_ID(site), (uint64_t)id, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&registry_lock);
    return id;
}

/* Every directory made, linked from here: the thread states that hold
 * them are in the GC heap, which leak checkers (LeakSanitizer) do not
 * scan, so without a static root they read as leaked. */
static gcp__site_dir *_Atomic all_dirs;

/* The chunk for chunk index k, made (and the directory) on first use;
 * NULL when out of memory. Only the owning thread writes *dirp and its
 * chunks; a census reads them with acquire. */
static __attribute__((noinline)) gcp__site_chunk *make_chunk(gcp__site_dir *_Atomic *dirp, size_t k)
{
    gcp__site_dir *dir = atomic_load_explicit(dirp, memory_order_relaxed);

    if (!dir) {
        dir = calloc(1, sizeof *dir);
        if (!dir)
            return NULL;
        dir->next = atomic_load_explicit(&all_dirs, memory_order_relaxed);
        while (!atomic_compare_exchange_weak_explicit(&all_dirs, &dir->next, dir,
                                                      memory_order_release, memory_order_relaxed))
            ;
        atomic_store_explicit(dirp, dir, memory_order_release);
    }
    gcp__site_chunk *ch = calloc(1, sizeof *ch);
    if (ch)
        atomic_store_explicit(&dir->chunk[k], ch, memory_order_release);
    return ch;
}

/* This thread's counters for site id, or NULL: count in the site. */
static inline __attribute__((always_inline)) gcp__site_count *thread_count(int id)
{
    size_t k = (size_t)(id - 1) / GCP__SITE_CHUNK;
    gcp__site_dir *_Atomic *dirp = gcp__thread_site_dir();

    if (!dirp || k >= GCP__SITE_CHUNKS)
        return NULL;
    gcp__site_dir *dir = atomic_load_explicit(dirp, memory_order_relaxed);
    gcp__site_chunk *ch = dir ? atomic_load_explicit(&dir->chunk[k], memory_order_relaxed) : NULL;
    if (__builtin_expect(!ch, 0) && !(ch = make_chunk(dirp, k)))
        return NULL;
    return &ch->c[(size_t)(id - 1) % GCP__SITE_CHUNK];
}

static inline __attribute__((always_inline)) void count(gcp_site *site, int id, uint64_t bytes)
{
    gcp__site_count *c = thread_count(id);

    if (!c) {
        __atomic_fetch_add(&SITE_OBJECTS(site), 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&SITE_BYTES(site), bytes, __ATOMIC_RELAXED);
        return;
    }
    __atomic_store_n(&c->objects, c->objects + 1, __ATOMIC_RELAXED);
    __atomic_store_n(&c->bytes, c->bytes + bytes, __ATOMIC_RELAXED);
}

static void *alloc_sited(int kind_ix, size_t size, gcp_site *site)
{
    int id = site ? site_id(site, kind_ix == GCP__ATOMIC_SITED) : 0;
    uint64_t bytes;

    if (!id || size > (size_t)-1 - GCP__SITE_TAIL)
        return gcp__alloc_kind(kind_ix == GCP__NORMAL_SITED ? GCP__NORMAL : GCP__ATOMIC, size);
    uint32_t w = atomic_load_explicit(&window, memory_order_relaxed) & WINDOW_MASK;
    uint64_t word = WORD_TAG | (uint64_t)w << 32 | (uint32_t)id;
    void *obj = gcp__alloc_tailed(kind_ix, size, word, &bytes);
    if (obj)
        count(site, id, bytes);
    return obj;
}

/* Sited when tracking is on. */
static inline __attribute__((always_inline)) void *alloc_at(int atomic, size_t size, gcp_site *site)
{
    return __builtin_expect(!atomic_load_explicit(&gcp__tracking, memory_order_relaxed), 1)
               ? gcp__alloc_kind(atomic ? GCP__ATOMIC : GCP__NORMAL, size)
               : alloc_sited(atomic ? GCP__ATOMIC_SITED : GCP__NORMAL_SITED, size, site);
}

/* An allocation a heap profile samples (gcp__heap_due said so), apart
 * from the entry points (whose path otherwise stays tail calls): the
 * sample is labelled with the site's type (GCP_NEW's T), whether tracking
 * is on or not. */
GCP__ALLOC_TEXT static void *alloc_at_sampled(int atomic, size_t size, gcp_site *site,
                                              const void *caller)
{
    void *op = alloc_at(atomic, size, site);
    gcp__heap_sample_due(op, size, atomic ? "atomic" : "normal", site ? site->type : NULL, 0,
                         caller);
    return op;
}

GCP__ALLOC_TEXT void *gcp_alloc_at(size_t size, gcp_site *site)
{
    if (gcp__heap_due(size))
        return alloc_at_sampled(0, size, site, __builtin_return_address(0));
    return alloc_at(0, size, site);
}

GCP__ALLOC_TEXT void *gcp_alloc_atomic_at(size_t size, gcp_site *site)
{
    if (gcp__heap_due(size))
        return alloc_at_sampled(1, size, site, __builtin_return_address(0));
    return alloc_at(1, size, site);
}

GCP__ALLOC_TEXT char *gcp_strdup_at(const char *s, gcp_site *site)
{
    if (!s) {
        gcp__fail(GCP_EINVAL, "gcp_strdup: s is NULL");
        return NULL;
    }
    size_t n = strlen(s) + 1;
    char *copy = gcp_alloc_atomic_at(n, site);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

/* ---- census by site ----------------------------------------------------- */

typedef struct by_site {
    gcp_site_stats *stats; /* [0 .. n): index id - 1 */
    gcp__site_window *win; /* the same, for objects of window since on */
    uint32_t since;
    size_t n;
} by_site;

static void GC_CALLBACK count_sited(void *obj, size_t bytes, void *data)
{
    by_site *b = data;
    int k = gcp__kind_index(GC_get_kind_and_size(obj, NULL));

    if (k != GCP__NORMAL_SITED && k != GCP__ATOMIC_SITED)
        return;
    uint64_t word = *(const uint64_t *)((const char *)obj + bytes - GCP__SITE_TAIL);
    uint32_t id = WORD_ID(word);
    if (id == 0 || id > b->n) /* a parked slot, or a site newer than the walk */
        return;
    gcp_site_stats *s = &b->stats[id - 1];
    s->objects_live++;
    s->bytes_live += bytes;
    if (b->win && in_window(WORD_WIN(word), b->since)) {
        b->win[id - 1].objects_live++;
        b->win[id - 1].bytes_live += bytes;
    }
}

static void *GC_CALLBACK census_locked(void *data)
{
    GC_enumerate_reachable_objects_inner(count_sited, data);
    return NULL;
}

/* A thread's counts, site ids up to b->n (a site registered since is not
 * in the census). */
static void add_thread_counts(const gcp__site_dir *dir, void *data)
{
    by_site *b = data;

    for (size_t k = 0; k < GCP__SITE_CHUNKS && k * GCP__SITE_CHUNK < b->n; k++) {
        const gcp__site_chunk *ch = atomic_load_explicit(&dir->chunk[k], memory_order_acquire);
        for (size_t i = 0; ch && i < GCP__SITE_CHUNK && k * GCP__SITE_CHUNK + i < b->n; i++) {
            gcp_site_stats *st = &b->stats[k * GCP__SITE_CHUNK + i];
            st->objects_allocated += __atomic_load_n(&ch->c[i].objects, __ATOMIC_RELAXED);
            st->bytes_allocated += __atomic_load_n(&ch->c[i].bytes, __ATOMIC_RELAXED);
        }
    }
}

int gcp__sites_census(gcp_site_stats **out, size_t *n_out)
{
    return gcp__sites_census_since(0, 1, out, NULL, n_out);
}

int gcp__sites_census_since(uint32_t since, int walk, gcp_site_stats **out,
                            gcp__site_window **win, size_t *n_out)
{
    by_site b;

    b.n = atomic_load(&published);
    b.since = since;
    b.stats = calloc(b.n ? b.n : 1, sizeof *b.stats);
    b.win = win ? calloc(b.n ? b.n : 1, sizeof *b.win) : NULL;
    if (!b.stats || (win && !b.win)) {
        free(b.stats);
        free(b.win);
        return gcp__fail(GCP_ENOMEM, "no memory for %zu site records", b.n);
    }
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < b.n; i++) {
        const gcp_site *site = sites[i];
        b.stats[i].file = site->file;
        b.stats[i].func = site->func;
        b.stats[i].line = site->line;
        b.stats[i].type = site->type;
        b.stats[i].atomic = site_atomic[i];
        b.stats[i].objects_allocated = __atomic_load_n(&SITE_OBJECTS(site), __ATOMIC_RELAXED);
        b.stats[i].bytes_allocated = __atomic_load_n(&SITE_BYTES(site), __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&registry_lock);
    gcp__each_site_dir(add_thread_counts, &b);
    if (walk)
        GC_call_with_alloc_lock(census_locked, &b);
    *out = b.stats;
    if (win)
        *win = b.win;
    *n_out = b.n;
    return 0;
}
