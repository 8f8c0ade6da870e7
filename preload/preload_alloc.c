/*
 * preload_alloc.c - every allocation entry point of bdwgc's API, passed on
 * to the collector and, when gcprof run asks for a heap profile, counted
 * down towards the next sample (preload_heap.c).
 *
 * One allocation is seen once: the collector's entry points call each
 * other through the PLT (Debian's GC_malloc tail-jumps to GC_malloc_kind,
 * GC_debug_malloc calls GC_malloc, GC_realloc calls GC_free), so a
 * thread-local depth marks the outermost call, and only it counts. Frees
 * count at any depth: a sample must go before its address can be reused.
 *
 * Kinds are named by the entry point (GC_malloc: "normal", ...) or by
 * bdwgc's kind number ("kind-5"). The debug entry points return an
 * address inside the object: its start is looked up (GC_base).
 * GC_malloc_many and GC_generic_malloc_many hand out a batch (the refill
 * behind gc_inline.h's thread-local free lists): the batch is counted as
 * one allocation, at the stack that asked for the refill, as JVM
 * profilers count a thread's allocation buffer.
 */
#define _GNU_SOURCE
#define GC_NO_THREAD_REDIRECTS /* our pthread_create is libc's */
#include <gc/gc.h>
#include <gc/gc_disclaim.h>
#include <gc/gc_gcj.h>
#include <gc/gc_inline.h>
#include <gc/gc_mark.h>
#include <gc/gc_typed.h>
#include <string.h>

#include "gc_entry_points.h"
#include "heap_sampler.h"
#include "preload.h"

extern __thread gcp__hs_thread preload_heap_thread __attribute__((tls_model("initial-exec")));

/* `real`: the collector's own name, with the prototype of its header;
 * looked up once (the load is inline: this runs at every allocation). */
#define REAL(name)                                                                                 \
    static _Atomic(void *) slot;                                                                   \
    void *found_ = atomic_load_explicit(&slot, memory_order_acquire);                              \
    __typeof__(&name) real = (__typeof__(&name))(found_ ? found_ : preload_real(&slot, #name))

/* The outermost allocation call of this thread, while sampling. */
static int enter(void)
{
    if (!preload_heap_on || preload_heap_depth)
        return 0;
    preload_heap_depth = 1;
    return 1;
}

/* After the outermost call: counts `requested` bytes down. Inline in
 * the interposer's frame: the dead stack below it is kept as it was
 * across a sample (preload_stash.h). */
static inline __attribute__((always_inline)) void *leave(void *p, size_t requested,
                                                         const char *kind, int inner)
{
    size_t counted = requested ? requested : 1; /* GC_malloc(0) takes memory too */

    preload_heap_depth = 0;
    if (p && gcp__hs_tick(&preload_heap_thread, counted)) {
        int saved = preload_stash_save();
        preload_heap_take(p, counted, kind, inner, __builtin_return_address(0));
        if (saved)
            preload_stash_restore();
    }
    return p;
}

/* The hottest entry points pass the call on with no frame of their own
 * when not sampling (or nested: GC_malloc's own GC_malloc_kind): both
 * branches are tail calls, the counting is out of line. */
#define PASSING() (!preload_heap_on || preload_heap_depth)

__attribute__((noinline)) static void *sized(void *(*real)(size_t), size_t n, const char *kind,
                                             int inner)
{
    preload_heap_depth = 1;
    return leave(real(n), n, kind, inner);
}

__attribute__((noinline)) static void *kinded(void *(*real)(size_t, int), size_t n, int k)
{
    preload_heap_depth = 1;
    void *p = real(n, k);
    return leave(p, n, gcp__hs_kind_name(k), 0);
}

/* The first call of each: the collector's function looked up, then as
 * every later call. */
__attribute__((noinline)) static void *first_sized(_Atomic(void *) *slot, const char *name,
                                                   size_t n, const char *kind, int inner)
{
    void *(*real)(size_t) = (void *(*)(size_t))preload_real(slot, name);
    if (!real) /* no collector defines it (a weak reference): nothing to call */
        return NULL;
    return PASSING() ? real(n) : sized(real, n, kind, inner);
}

__attribute__((noinline)) static void *first_kinded(_Atomic(void *) *slot, const char *name,
                                                    size_t n, int k)
{
    void *(*real)(size_t, int) = (void *(*)(size_t, int))preload_real(slot, name);
    if (!real)
        return NULL;
    return PASSING() ? real(n, k) : kinded(real, n, k);
}

/* ---- by size ---------------------------------------------------------- */

#define BY_SIZE(name, kind, inner)                                                                 \
    EXPORT void *GC_CALL name(size_t n)                                                            \
    {                                                                                              \
        static _Atomic(void *) slot;                                                               \
        void *(*real)(size_t) =                                                                    \
            (void *(*)(size_t))atomic_load_explicit(&slot, memory_order_acquire);                  \
        if (!real)                                                                                 \
            return first_sized(&slot, #name, n, kind, inner);                                      \
        return PASSING() ? real(n) : sized(real, n, kind, inner);                                  \
    }

GCP_GC_BY_SIZE(BY_SIZE)

/* ---- by size and kind --------------------------------------------------- */

#define BY_KIND(name)                                                                              \
    EXPORT void *GC_CALL name(size_t n, int k)                                                     \
    {                                                                                              \
        static _Atomic(void *) slot;                                                               \
        void *(*real)(size_t, int) =                                                               \
            (void *(*)(size_t, int))atomic_load_explicit(&slot, memory_order_acquire);             \
        if (!real)                                                                                 \
            return first_kinded(&slot, #name, n, k);                                               \
        return PASSING() ? real(n, k) : kinded(real, n, k);                                        \
    }

GCP_GC_BY_KIND(BY_KIND)

/* ---- the debug family: file and line of the caller ---------------------- */

#define DEBUG_BY_SIZE(name, kind)                                                                  \
    EXPORT void *GC_CALL name(size_t n, const char *s, int i)                                      \
    {                                                                                              \
        REAL(name);                                                                                \
        return enter() ? leave(real(n, s, i), n, kind, 1) : real(n, s, i);                         \
    }

GCP_GC_DEBUG_BY_SIZE(DEBUG_BY_SIZE)

EXPORT void *GC_CALL GC_debug_generic_or_special_malloc(size_t n, int k, const char *s, int i)
{
    REAL(GC_debug_generic_or_special_malloc);
    return enter() ? leave(real(n, k, s, i), n, gcp__hs_kind_name(k), 1) : real(n, k, s, i);
}

/* ---- typed, gcj, finalized ---------------------------------------------- */

EXPORT void *GC_CALL GC_malloc_explicitly_typed(size_t n, GC_descr d)
{
    REAL(GC_malloc_explicitly_typed);
    return enter() ? leave(real(n, d), n, "typed", 0) : real(n, d);
}

EXPORT void *GC_CALL GC_malloc_explicitly_typed_ignore_off_page(size_t n, GC_descr d)
{
    REAL(GC_malloc_explicitly_typed_ignore_off_page);
    return enter() ? leave(real(n, d), n, "typed", 0) : real(n, d);
}

EXPORT void *GC_CALL GC_calloc_explicitly_typed(size_t count, size_t size, GC_descr d)
{
    REAL(GC_calloc_explicitly_typed);
    size_t n = count && size > (size_t)-1 / count ? (size_t)-1 : count * size;
    return enter() ? leave(real(count, size, d), n, "typed", 0) : real(count, size, d);
}

EXPORT void *GC_CALL GC_gcj_malloc(size_t n, void *vtable)
{
    REAL(GC_gcj_malloc);
    return enter() ? leave(real(n, vtable), n, "gcj", 0) : real(n, vtable);
}

EXPORT void *GC_CALL GC_gcj_malloc_ignore_off_page(size_t n, void *vtable)
{
    REAL(GC_gcj_malloc_ignore_off_page);
    return enter() ? leave(real(n, vtable), n, "gcj", 0) : real(n, vtable);
}

EXPORT void *GC_CALL GC_debug_gcj_malloc(size_t n, void *vtable, const char *s, int i)
{
    REAL(GC_debug_gcj_malloc);
    return enter() ? leave(real(n, vtable, s, i), n, "gcj", 1) : real(n, vtable, s, i);
}

EXPORT void *GC_CALL GC_finalized_malloc(size_t n, const struct GC_finalizer_closure *fc)
{
    REAL(GC_finalized_malloc);
    return enter() ? leave(real(n, fc), n, "finalized", 1) : real(n, fc);
}

/* ---- aligned, strings ----------------------------------------------------- */

EXPORT void *GC_CALL GC_memalign(size_t align, size_t n)
{
    REAL(GC_memalign);
    return enter() ? leave(real(align, n), n, "normal", 1) : real(align, n);
}

EXPORT int GC_CALL GC_posix_memalign(void **out, size_t align, size_t n)
{
    REAL(GC_posix_memalign);
    if (!enter())
        return real(out, align, n);
    int err = real(out, align, n);
    leave(err == 0 ? *out : NULL, n, "normal", 1);
    return err;
}

EXPORT char *GC_CALL GC_strdup(const char *s)
{
    REAL(GC_strdup);
    return enter() ? leave(real(s), strlen(s) + 1, "atomic", 0) : real(s);
}

EXPORT char *GC_CALL GC_strndup(const char *s, size_t n)
{
    REAL(GC_strndup);
    return enter() ? leave(real(s, n), strnlen(s, n) + 1, "atomic", 0) : real(s, n);
}

EXPORT char *GC_CALL GC_debug_strdup(const char *str, const char *s, int i)
{
    REAL(GC_debug_strdup);
    return enter() ? leave(real(str, s, i), strlen(str) + 1, "atomic", 1) : real(str, s, i);
}

EXPORT char *GC_CALL GC_debug_strndup(const char *str, size_t n, const char *s, int i)
{
    REAL(GC_debug_strndup);
    return enter() ? leave(real(str, n, s, i), strnlen(str, n) + 1, "atomic", 1)
                   : real(str, n, s, i);
}

/* ---- batches ---------------------------------------------------------------- */

/* A batch of objects of `size` bytes, counted down as one allocation of
 * their total; inline in the interposer's frame, as leave. */
static inline __attribute__((always_inline)) void took_list(void *list, size_t size,
                                                           const char *kind)
{
    size_t count = 0;

    for (void *p = list; p; p = *(void **)p)
        count++;
    if (count && gcp__hs_tick(&preload_heap_thread, count * size)) {
        int saved = preload_stash_save();
        preload_heap_take_list(list, count * size, kind, __builtin_return_address(0));
        if (saved)
            preload_stash_restore();
    }
}

EXPORT void *GC_CALL GC_malloc_many(size_t n)
{
    REAL(GC_malloc_many);
    if (!enter())
        return real(n);
    void *list = real(n);
    preload_heap_depth = 0;
    took_list(list, n, "normal");
    return list;
}

EXPORT void GC_CALL GC_generic_malloc_many(size_t n, int k, void **result)
{
    REAL(GC_generic_malloc_many);
    if (!enter()) {
        real(n, k, result);
        return;
    }
    real(n, k, result);
    preload_heap_depth = 0;
    took_list(*result, n, gcp__hs_kind_name(k));
}

/* ---- realloc and free -------------------------------------------------------- */

/* A moved object's old address is dropped (the debug ones: GC_debug_free
 * did it); the new size counts as an allocation, as Go and jemalloc count
 * it. */
static void *resized(void *old, void *p, size_t n, int inner)
{
    if (old && p != old)
        preload_heap_forget(old);
    return leave(p, n, NULL, inner); /* the kind: the object's own */
}

EXPORT void *GC_CALL GC_realloc(void *old, size_t n)
{
    REAL(GC_realloc);
    return enter() ? resized(old, real(old, n), n, 0) : real(old, n);
}

EXPORT void *GC_CALL GC_debug_realloc(void *old, size_t n, const char *s, int i)
{
    REAL(GC_debug_realloc);
    return enter() ? resized(NULL, real(old, n, s, i), n, 1) : real(old, n, s, i);
}

EXPORT void *GC_CALL GC_debug_realloc_replacement(void *old, size_t n)
{
    REAL(GC_debug_realloc_replacement);
    return enter() ? resized(NULL, real(old, n), n, 1) : real(old, n);
}

EXPORT void GC_CALL GC_free(void *p)
{
    REAL(GC_free);
    if (p && preload_heap_on)
        preload_heap_forget(p);
    if (real)
        real(p);
}

EXPORT void GC_CALL GC_debug_free(void *p)
{
    REAL(GC_debug_free);
    if (real)
        real(p); /* it frees the object's start with GC_free, seen above */
}
