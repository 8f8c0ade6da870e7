/*
 * preload_breakdown.c - gcprof run --breakdown / gcprof heap: what the
 * program's RSS is made of (common/breakdown.h), written into the
 * recording as a GCPROF_BREAKDOWN record (doc/timeline-formats.md).
 *
 * Taken at the recorded process's exit, after a full collection run by
 * the exiting thread (when the collector knows it), and on request
 * (gcprof run, sent SIGUSR1, replaces the file "request" in its private
 * directory): at the end of the program's next collection, in our event
 * hook, where the marks are fresh and the collector's lock is held; or,
 * when no collection comes within a second, by the reader thread from
 * the latest collection's marks (then marked not collected: objects
 * allocated since count as free slots). The reader thread never collects:
 * the collector does not know it, and must not (preload_reader.c).
 *
 * Nothing is allocated: the census, the maps' walk and the breakdown live
 * in our mapping (preload_mem), and common/rss_map.c reads /proc with
 * open/read only. mallinfo2 is glibc's (it takes malloc's arena locks,
 * never the collector's).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "breakdown.h"
#include "clock.h"
#include "preload.h"

/* Our state lives in our mapping (preload_mem.bd_ctl, preload.h), not in
 * .data or .bss: the library's writable data would be a root of the
 * program's collector (tests/check_preload_roots.sh keeps it small). */
typedef void *(*with_lock_fn)(void *(*)(void *), void *);
typedef int (*kind_fn)(const void *, size_t *);
typedef int (*is_heap_fn)(const void *);
typedef void *(*base_fn)(void *);
typedef size_t (*size0_fn)(void);
typedef void (*void_fn)(void);
typedef int (*int0_fn)(void);

#define ctl (preload_state->bd_ctl)
#define fn  (preload_state->bd_ctl.fn)

void preload_breakdown_start(void)
{
    const char *on = getenv("GCPROF_PRELOAD_BREAKDOWN");

    if (!on || strcmp(on, "1") != 0 || !preload_collector.enumerate_marked)
        return;
    fn.with_lock = (with_lock_fn)dlsym(RTLD_DEFAULT, "GC_call_with_alloc_lock");
    fn.kind = (kind_fn)dlsym(RTLD_DEFAULT, "GC_get_kind_and_size");
    fn.is_heap = (is_heap_fn)dlsym(RTLD_DEFAULT, "GC_is_heap_ptr");
    fn.base = (base_fn)dlsym(RTLD_DEFAULT, "GC_base");
    fn.obtained = (size0_fn)dlsym(RTLD_DEFAULT, "GC_get_obtained_from_os_bytes");
    fn.gcollect = (void_fn)dlsym(RTLD_DEFAULT, "GC_gcollect");
    fn.disabled = (int0_fn)dlsym(RTLD_DEFAULT, "GC_is_disabled");
    fn.registered = (int0_fn)dlsym(RTLD_DEFAULT, "GC_thread_is_registered");
    fn.least = (void **)dlsym(RTLD_DEFAULT, "GC_least_plausible_heap_addr");
    fn.greatest = (void **)dlsym(RTLD_DEFAULT, "GC_greatest_plausible_heap_addr");
    if (!fn.with_lock || !fn.kind || !fn.is_heap || !fn.base || !fn.obtained || !fn.gcollect ||
        !fn.disabled) {
        fputs("gcprof: breakdown off: the collector lacks GC_call_with_alloc_lock, "
              "GC_get_kind_and_size, GC_is_heap_ptr, GC_base or "
              "GC_get_obtained_from_os_bytes (bdwgc 8.2 has them)\n",
              stderr);
        return;
    }
    pthread_mutex_init(&ctl.take_lock, NULL);
    ctl.unmap_threshold = gcp__bd_unmap_threshold(getenv("GC_UNMAP_THRESHOLD"));
    ctl.enabled = 1;
}

/* ---- taking one ------------------------------------------------------------ */

static void *take_locked(void *rc)
{
    const preload_gc *g = &preload_collector;
    /* Without the bounds every page is looked at (slow with a sanitizer's
     * terabytes of shadow; exact still). */
    const gcp__bd_collector gc = {g->enumerate_marked,
                                  g->heap_size,
                                  g->free_bytes,
                                  g->unmapped_bytes,
                                  fn.obtained,
                                  g->gc_no,
                                  fn.is_heap,
                                  fn.base,
                                  fn.kind,
                                  fn.least ? (uintptr_t)*fn.least : 0,
                                  fn.greatest ? (uintptr_t)*fn.greatest + 1 : UINTPTR_MAX};

    *(int *)rc = gcp__breakdown_read_locked(&preload_state->bd, &preload_state->bd_census, &gc);
    return NULL;
}

/* Fills m->bd; locked: the caller holds the collector's lock. 0 or -1. */
static int take(int locked, int collected)
{
    preload_mem *m = preload_state;
    int rc = 0;

    gcp__breakdown_begin(&m->bd, &m->bd_census);
    if (locked)
        take_locked(&rc);
    else
        fn.with_lock(take_locked, &rc);
    if (rc < 0)
        return -1;
    gcp__breakdown_end(&m->bd, &m->bd_census, collected, ctl.unmap_threshold);
    return 0;
}

/* The record, under out_lock; the caller holds take_lock. */
static void write_record(void)
{
    pthread_mutex_lock(&preload_state->out_lock);
    gcp__breakdown_record(preload_out, preload_format == GCP_TL_JSONL, gcp__tl_now(),
                          (long)getpid(), &preload_state->bd);
    fflush(preload_out);
    pthread_mutex_unlock(&preload_state->out_lock);
}

/* ---- when ------------------------------------------------------------------ */

/* The hook, when the marks are final (the collector's lock held). */
void preload_breakdown_at_collection(void)
{
    if (!ctl.enabled || atomic_load(&ctl.state) != 1)
        return;
    if (pthread_mutex_trylock(&ctl.take_lock) != 0) /* the reader waits for our lock */
        return;
    if (take(1, 1) == 0)
        atomic_store(&ctl.state, 2); /* the reader writes it */
    pthread_mutex_unlock(&ctl.take_lock);
}

/* gcprof asked for one: taken at the next collection's end, or by the
 * reader from the latest marks when none comes within a second. */
void preload_breakdown_request(double now)
{
    if (!ctl.enabled || atomic_load(&ctl.state) != 0)
        return;
    ctl.wanted_at = now;
    atomic_store(&ctl.state, 1);
}

void preload_breakdown_poll(double now)
{
    int s;

    if (!ctl.enabled || !preload_out)
        return;
    s = atomic_load(&ctl.state);
    if (s == 0 || (s == 1 && now - ctl.wanted_at < 1.0))
        return;
    pthread_mutex_lock(&ctl.take_lock);
    s = atomic_load(&ctl.state);
    if (s == 2 || (s == 1 && take(0, 0) == 0)) /* no collection came: the latest marks */
        write_record();
    atomic_store(&ctl.state, 0);
    pthread_mutex_unlock(&ctl.take_lock);
}

/* At exit, before the reader stops: a full collection first when this
 * thread may run one. Not when exit was called from a signal handler that
 * interrupted this thread while it had the world stopped: it holds the
 * collector's lock, which is not recursive. (Interrupted elsewhere inside
 * the collector it would hang as well, and so would any atexit handler
 * that allocates: exit is not async-signal-safe.) */
void preload_breakdown_at_exit(void)
{
    int collect;

    if (!ctl.enabled || !preload_out || getpid() != preload_owner || preload_stopped_world)
        return;
    collect = !fn.disabled() && (!fn.registered || fn.registered());
    if (collect)
        fn.gcollect();
    pthread_mutex_lock(&ctl.take_lock);
    if (take(0, collect) == 0)
        write_record();
    atomic_store(&ctl.state, 0);
    pthread_mutex_unlock(&ctl.take_lock);
}

/* A forked child: the lock may have been held at the fork. */
void preload_breakdown_forked(void)
{
    pthread_mutex_init(&ctl.take_lock, NULL);
    atomic_store(&ctl.state, 0);
}
