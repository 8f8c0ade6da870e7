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
 * Allocation counts gather in site slots of the thread's allocation state
 * (heap.c; plain single-writer counters, no lock or atomic instruction on
 * the fast path) and move to the caller's static gcp_site, with atomic
 * adds, when another site takes the slot. An exited thread's state, slots
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

/* Move a slot's counts into its site, when another site takes the slot.
 * A census running meanwhile may see them in both places: counts are
 * exact when no thread allocates during the census. */
static void flush_slot(gcp__site_slot *sl)
{
    uint64_t objects = __atomic_load_n(&sl->objects, __ATOMIC_RELAXED);
    uint64_t bytes = __atomic_load_n(&sl->bytes, __ATOMIC_RELAXED);

    __atomic_fetch_add(&SITE_OBJECTS(sl->site), objects, __ATOMIC_RELAXED);
    __atomic_fetch_add(&SITE_BYTES(sl->site), bytes, __ATOMIC_RELAXED);
    __atomic_store_n(&sl->objects, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&sl->bytes, 0, __ATOMIC_RELAXED);
}

static inline __attribute__((always_inline)) void count(gcp_site *site, int id, uint64_t bytes)
{
    gcp__site_slot *slots = gcp__thread_site_slots();

    if (!slots) { /* no allocation state: count in the site directly */
        __atomic_fetch_add(&SITE_OBJECTS(site), 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&SITE_BYTES(site), bytes, __ATOMIC_RELAXED);
        return;
    }
    gcp__site_slot *sl = &slots[id & (GCP__SITE_SLOTS - 1)];
    if (sl->site != site) {
        if (sl->site)
            flush_slot(sl);
        __atomic_store_n(&sl->site, site, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&sl->objects, sl->objects + 1, __ATOMIC_RELAXED);
    __atomic_store_n(&sl->bytes, sl->bytes + bytes, __ATOMIC_RELAXED);
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

/* Counts still in threads' slots. */
static void add_slot_counts(const gcp__site_slot *slots, void *data)
{
    by_site *b = data;

    for (int i = 0; i < GCP__SITE_SLOTS; i++) {
        gcp_site *site = __atomic_load_n(&slots[i].site, __ATOMIC_ACQUIRE);
        size_t id = site ? (size_t)__atomic_load_n(&SITE_ID(site), __ATOMIC_RELAXED) : 0;
        if (id == 0 || id > b->n)
            continue;
        b->stats[id - 1].objects_allocated += __atomic_load_n(&slots[i].objects, __ATOMIC_RELAXED);
        b->stats[id - 1].bytes_allocated += __atomic_load_n(&slots[i].bytes, __ATOMIC_RELAXED);
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
    gcp__each_site_slots(add_slot_counts, &b);
    if (walk)
        GC_call_with_alloc_lock(census_locked, &b);
    *out = b.stats;
    if (win)
        *win = b.win;
    *n_out = b.n;
    return 0;
}
