/*
 * preload_hook.c - the preload's part inside the collector: the collection
 * event hook, the interposed GC_gcollect & co (to mark collections the
 * program asked for), and the roots filter that keeps our data out of the
 * collector's roots.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <unistd.h>

#include "preload.h"
#include "clock.h"

typedef int (*stop_func)(void);
/* GC_has_static_roots_func: whether the collector scans a writable segment
 * of a loaded library as a root. */
typedef int (*roots_filter)(const char *, void *, size_t);

/* the program's hook, chained to: found at install, or set since (the
 * setter is interposed below, so that ours stays in the one slot) */
static _Atomic(preload_event_proc) chained;
static atomic_int installed;
/* initial-exec: no lazy TLS allocation when the hook first touches them */
static __thread int in_hook __attribute__((tls_model("initial-exec")));
__thread int preload_stopped_world __attribute__((tls_model("initial-exec")));
static __thread int forcing __attribute__((tls_model("initial-exec"))); /* in GC_gcollect & co */
static _Atomic(roots_filter) program_filter; /* the program's, chained to */

/* Whether f is in this library. */
static int ours(void *f)
{
    Dl_info a, b;

    return dladdr(f, &a) && dladdr((void *)ours, &b) && a.dli_fbase == b.dli_fbase;
}

/* The collector's own definition: after ours in the lookup order when we
 * are preloaded; when a program dlopens us, the one it already uses. */
void *preload_real(_Atomic(void *) *slot, const char *name)
{
    void *f = atomic_load_explicit(slot, memory_order_acquire);

    if (!f) {
        f = dlsym(RTLD_NEXT, name);
        if (!f && (f = dlsym(RTLD_DEFAULT, name)) && ours(f))
            f = NULL;
        atomic_store_explicit(slot, f, memory_order_release);
    }
    return f;
}

/* ---- the collection event hook ---------------------------------------- */

static uint64_t heap_in_use(void)
{
    size_t size = preload_collector.heap_size(), free_bytes = preload_collector.free_bytes();

    return size > free_bytes ? size - free_bytes : 0;
}

static void add_marked(void *obj, size_t bytes, void *sum)
{
    (void)obj;
    *(uint64_t *)sum += bytes;
}

/* Runs under the collector's lock, maybe with the world stopped: only
 * clock reads, lock-free getters, the mark-bit walk (lock held, world
 * running) and stores into the ring. */
static void on_event(int type)
{
    const preload_gc *gc = &preload_collector;
    preload_event_proc next = atomic_load(&chained);

    if (in_hook) /* a hook set over ours chaining back to us */
        return;
    if (!preload_out) { /* a forked child that records nothing */
        if (next)
            next(type);
        return;
    }
    in_hook = 1;
    if (gcp__gc_event_world(type) != 0) /* between the two, the others are stopped */
        preload_stopped_world = gcp__gc_event_world(type) > 0;
    gcp__gc_event ev = {.type = type, .mono_ns = gcp__now_ns(), .forced = forcing > 0};
    if (gcp__gc_event_wants_real(type))
        ev.real = gcp__tl_now();
    if (gcp__gc_event_wants_heap(type)) {
        ev.heap_in_use = heap_in_use();
        ev.gc_no = gc->gc_no();
        ev.heap_size = gc->heap_size();
        ev.markers = gc->parallel ? gc->parallel() + 1 : 1;
    }
    if (gcp__gc_event_wants_live(type) && preload_live && gc->enumerate_marked) {
        gc->enumerate_marked(add_marked, &ev.live);
        ev.has_live = 1;
        ev.own_ns = gcp__now_ns() - ev.mono_ns;
    }
    gcp__gc_record_event(&preload_state->recorder, &ev);
    if (gcp__gc_event_wants_live(type) && preload_heap_on) /* the marks are final */
        preload_heap_sweep();
    if (gcp__gc_event_wants_live(type))
        preload_breakdown_at_collection();
    if (next)
        next(type);
    in_hook = 0;
}

void preload_hook_install(void)
{
    atomic_store(&chained, preload_collector.get_hook());
    preload_collector.set_hook(on_event);
    atomic_store(&installed, 1);
}

void preload_hook_remove(void)
{
    atomic_store(&installed, 0);
    if (preload_collector.get_hook() == on_event)
        preload_collector.set_hook(atomic_load(&chained));
}

/* ---- the program's own hook ------------------------------------------- */

/* bdwgc keeps one event hook: a program setting its own after us would
 * silently end our records. So its hook is kept here and called from
 * ours, and it reads back what it set. */
EXPORT void GC_set_on_collection_event(preload_event_proc fn);
EXPORT preload_event_proc GC_get_on_collection_event(void);

EXPORT void GC_set_on_collection_event(preload_event_proc fn)
{
    if (!preload_secure() && atomic_load(&installed)) {
        atomic_store(&chained, fn);
        return;
    }
    static _Atomic(void *) slot;
    void (*real)(preload_event_proc) =
        (void (*)(preload_event_proc))preload_real(&slot, "GC_set_on_collection_event");
    if (real)
        real(fn);
}

EXPORT preload_event_proc GC_get_on_collection_event(void)
{
    if (!preload_secure() && atomic_load(&installed))
        return atomic_load(&chained);
    static _Atomic(void *) slot;
    preload_event_proc (*real)(void) =
        (preload_event_proc(*)(void))preload_real(&slot, "GC_get_on_collection_event");
    return real ? real() : NULL;
}

/* ---- collections the program asks for --------------------------------- */

/* Interposed so that the START event knows the program asked: the
 * collection runs on the calling thread, hence a thread-local flag. */
EXPORT void GC_gcollect(void);
EXPORT void GC_gcollect_and_unmap(void);
EXPORT int GC_try_to_collect(stop_func stop);

static void call_forced(_Atomic(void *) *slot, const char *name)
{
    int secure = preload_secure(); /* then a pure pass-through */
    void (*f)(void) = (void (*)(void))preload_real(slot, name);

    if (!secure)
        forcing++;
    if (f)
        f();
    if (!secure)
        forcing--;
}

EXPORT void GC_gcollect(void)
{
    static _Atomic(void *) slot;
    call_forced(&slot, "GC_gcollect");
}

EXPORT void GC_gcollect_and_unmap(void)
{
    static _Atomic(void *) slot;
    call_forced(&slot, "GC_gcollect_and_unmap");
}

EXPORT int GC_try_to_collect(stop_func stop)
{
    static _Atomic(void *) slot;
    int secure = preload_secure(); /* then a pure pass-through */
    int (*f)(stop_func) = (int (*)(stop_func))preload_real(&slot, "GC_try_to_collect");
    int done = 0;

    if (!secure)
        forcing++;
    if (f)
        done = f(stop);
    if (!secure)
        forcing--;
    return done;
}

/* ---- our data is not a root ------------------------------------------- */

/* Whether [start, start + size) holds our writable data: program_filter
 * lies in our .bss, in the one writable segment the linker made. */
static int our_segment(const void *start, size_t size)
{
    const char *p = (const char *)&program_filter, *s = start;

    return p >= s && p < s + size;
}

/* Leaves our own data out of the roots, so that their size, which enters
 * the collector's trigger (alloc.c, min_bytes_allocd), is what it would be
 * without us: with ~160 KiB of data there, poke collected 3454 times
 * instead of 2272 in 10 of 24 recorded runs. Every other segment is the
 * program's filter's call. */
static int filter_roots(const char *name, void *start, size_t size)
{
    roots_filter f = atomic_load(&program_filter);

    if (our_segment(start, size) || preload_heap_foreign(name))
        return 0;
    return f ? f(name, start, size) : 1;
}

/* Interposed: bdwgc keeps one filter, so the program's is kept here and
 * chained, and ours stays in place. Reached before our constructor too. */
EXPORT void GC_register_has_static_roots_callback(roots_filter f);
EXPORT void GC_register_has_static_roots_callback(roots_filter f)
{
    static _Atomic(void *) slot;
    void (*real)(roots_filter) =
        (void (*)(roots_filter))preload_real(&slot, "GC_register_has_static_roots_callback");

    if (preload_secure()) {
        if (real)
            real(f);
        return;
    }
    atomic_store(&program_filter, f);
    if (real)
        real(filter_roots);
}

void preload_roots_filter_install(void)
{
    GC_register_has_static_roots_callback(atomic_load(&program_filter));
}
