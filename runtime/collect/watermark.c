/*
 * watermark.c - high-water marks that nested and concurrent profiles share.
 *
 * The kernel keeps one RSS high-water mark per process and we keep one
 * for the GC heap and one for the longest pause; each has a single reset.
 * Before any reset, the current marks are folded into every active
 * profile, so an inner profile's reset never hides an outer one's peak.
 *
 * The heap in use only falls at a collection (read at its start, before
 * it frees anything) or at an explicit free (GC_FREE, and GC_REALLOC's
 * copy-and-free), which nothing reports. So with explicit frees in a
 * stretch between two readings, the stretch's peak is bounded by the
 * heap in use at its end plus the bytes freed in it (the collector's own
 * count, GC_get_expl_freed_bytes_since_gc, reset by each collection):
 * reached exactly when the frees came after the allocations.
 */
#include <pthread.h>

#include "collect.h"

static pthread_mutex_t marks_lock = PTHREAD_MUTEX_INITIALIZER;
static gcp__marks *active;

/* The other threads' marks stay listed in a forked child, in its copy of
 * their stacks, never ended: folding into them writes nothing anyone
 * reads. */
void gcp__marks_after_fork(void)
{
    pthread_mutex_init(&marks_lock, NULL);
}
static _Atomic uint64_t heap_peak_now; /* since the latest reset */
static _Atomic uint64_t pause_max_now;
/* Explicitly freed bytes the collector had counted at the latest reset
 * (0 once a collection has reset its count), and whether any were freed
 * since that reset. */
static _Atomic uint64_t freed_base;
static _Atomic int freed_since_reset;

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static void raise_to(_Atomic uint64_t *mark, uint64_t value)
{
    uint64_t seen = atomic_load_explicit(mark, memory_order_relaxed);

    while (value > seen && !atomic_compare_exchange_weak(mark, &seen, value))
        ;
}

/* The stretch since the previous reading ends here with heap_in_use. Its
 * peak is at most the heap in use now plus what was freed explicitly in
 * it, and at most the heap's size now (which only grows between
 * collections): the smaller bound is kept. */
uint64_t gcp__freed_bound(uint64_t heap_in_use, uint64_t freed)
{
    uint64_t bound = heap_in_use + freed, heap_size = GC_get_heap_size();

    return bound < heap_size ? bound : heap_size;
}

static void end_stretch(uint64_t heap_in_use)
{
    uint64_t freed = GC_get_expl_freed_bytes_since_gc();
    uint64_t base = atomic_load_explicit(&freed_base, memory_order_relaxed);

    if (freed > base) {
        atomic_store_explicit(&freed_since_reset, 1, memory_order_relaxed);
        heap_in_use = gcp__freed_bound(heap_in_use, freed - base);
    }
    raise_to(&heap_peak_now, heap_in_use);
}

void gcp__marks_note_heap(uint64_t heap_in_use)
{
    end_stretch(heap_in_use);
    /* The collection starting now resets the collector's count. */
    atomic_store_explicit(&freed_base, 0, memory_order_relaxed);
}

void gcp__marks_note_pause(uint64_t pause_ns)
{
    raise_to(&pause_max_now, pause_ns);
}

/* Fold the marks since the latest reset into m. Caller holds marks_lock. */
static void fold_into(gcp__marks *m, uint64_t rss_peak)
{
    m->heap_peak = max_u64(m->heap_peak, atomic_load(&heap_peak_now));
    m->pause_max_ns = max_u64(m->pause_max_ns, atomic_load(&pause_max_now));
    m->explicit_frees |= atomic_load(&freed_since_reset);
    if (m->track_rss)
        m->rss_peak = max_u64(m->rss_peak, rss_peak);
}

static int any_tracks_rss(void)
{
    for (gcp__marks *a = active; a; a = a->next)
        if (a->track_rss)
            return 1;
    return 0;
}

void gcp__marks_begin(gcp__marks *m, int track_rss, uint64_t rss_now, uint64_t heap)
{
    pthread_mutex_lock(&marks_lock);
    /* The active profiles' stretch ends here: their explicit frees so far
     * count before the reset below forgets them. */
    if (active)
        end_stretch(gcp__heap_in_use());
    uint64_t rss_peak = track_rss && any_tracks_rss() ? gcp__rss_peak_bytes() : 0;
    for (gcp__marks *a = active; a; a = a->next)
        fold_into(a, rss_peak);
    atomic_store(&heap_peak_now, heap);
    atomic_store(&pause_max_now, 0);
    atomic_store(&freed_base, GC_get_expl_freed_bytes_since_gc());
    atomic_store(&freed_since_reset, 0);
    m->heap_peak = heap;
    m->pause_max_ns = 0;
    m->explicit_frees = 0;
    m->track_rss = track_rss && gcp__rss_peak_reset(rss_now) == 0;
    m->rss_peak = m->track_rss ? rss_now : 0;
    m->next = active;
    active = m;
    pthread_mutex_unlock(&marks_lock);
}

void gcp__marks_end(gcp__marks *m)
{
    end_stretch(gcp__heap_in_use());
    pthread_mutex_lock(&marks_lock);
    fold_into(m, m->track_rss ? gcp__rss_peak_bytes() : 0);
    for (gcp__marks **p = &active; *p; p = &(*p)->next) {
        if (*p == m) {
            *p = m->next;
            break;
        }
    }
    pthread_mutex_unlock(&marks_lock);
}
