/*
 * raw_alloc.c - the program's own calls of the collector's allocation
 * functions (GC_MALLOC and kin), seen by a heap profile: while one runs,
 * the GOT entries through which the program and its libraries call them
 * hold these functions instead (got_hook.h), which pass each call on and
 * count it towards the next sample (heap_sample.h).
 *
 * The collector's calls among its own functions (GC_malloc tail-calling
 * GC_malloc_kind, GC_debug_malloc calling GC_malloc, GC_realloc calling
 * GC_free) use libgc's own entries, which are never redirected: one call
 * is seen once. So the wrappers forget a moved or freed object themselves
 * where the collector frees it internally. libgcprof's own calls are not
 * redirected when it is a shared library; linked statically they are,
 * and gcp__heap_inner marks them (the runtime counts them itself).
 *
 * Kinds are named by the entry point (GC_malloc: "normal") or by bdwgc's
 * kind number; the debug entry points return an address inside the
 * object (the sample looks up its start). A batch from GC_malloc_many is
 * one allocation of its total at the stack that asked for the refill, as
 * JVM profilers count a thread's allocation buffer (doc/heap-profiles.md).
 */
#define GC_NO_THREAD_REDIRECTS
#include "heap.h"
#include "heap_sample.h"
#include "gc_entry_points.h"
#include "got_hook.h"
#include "raw_alloc.h"

#include <gc/gc_disclaim.h>
#include <gc/gc_gcj.h>
#include <gc/gc_inline.h>
#include <gc/gc_mark.h>
#include <gc/gc_typed.h>

/* Every entry point seen, as X(name). */
#define RAW_ENTRIES(X)                                                                             \
    X(GC_malloc)                                                                                   \
    X(GC_malloc_atomic) X(GC_malloc_uncollectable) X(GC_malloc_atomic_uncollectable)               \
        X(GC_malloc_ignore_off_page) X(GC_malloc_atomic_ignore_off_page)                           \
            X(GC_debug_malloc_replacement) X(GC_malloc_kind) X(GC_malloc_kind_global)              \
                X(GC_generic_malloc) X(GC_generic_malloc_ignore_off_page) X(                       \
                    GC_generic_malloc_uncollectable) X(GC_generic_or_special_malloc)               \
                    X(GC_debug_malloc) X(GC_debug_malloc_atomic) X(GC_debug_malloc_uncollectable)  \
                        X(GC_debug_malloc_atomic_uncollectable) X(GC_debug_malloc_ignore_off_page) \
                            X(GC_debug_malloc_atomic_ignore_off_page) X(                           \
                                GC_debug_generic_or_special_malloc) X(GC_malloc_explicitly_typed)  \
                                X(GC_malloc_explicitly_typed_ignore_off_page)                      \
                                    X(GC_calloc_explicitly_typed) X(GC_gcj_malloc) X(              \
                                        GC_gcj_malloc_ignore_off_page) X(GC_debug_gcj_malloc)      \
                                        X(GC_finalized_malloc) X(GC_memalign) X(GC_posix_memalign) \
                                            X(GC_strdup) X(GC_strndup) X(GC_debug_strdup)          \
                                                X(GC_debug_strndup) X(GC_malloc_many)              \
                                                    X(GC_generic_malloc_many) X(GC_realloc)        \
                                                        X(GC_debug_realloc)                        \
                                                            X(GC_debug_realloc_replacement)        \
                                                                X(GC_free) X(GC_debug_free)

#define ENUM_(name) H_##name,
enum { RAW_ENTRIES(ENUM_) N_HOOKS };

static gcp__got_hook hooks[N_HOOKS];

/* The collector's function the redirected entry reached before. */
#define ORIG(name) ((__typeof__(&name))hooks[H_##name].original)
/* Counted unless the runtime itself called (a static link). */
#define SAMPLE(p, n, kind, inner)                                                                  \
    do {                                                                                           \
        if (!gcp__heap_inner)                                                                      \
            gcp__heap_maybe_sample((p), (n), (kind), NULL, (inner), __builtin_return_address(0));                               \
    } while (0)

/* ---- by size, by kind ----------------------------------------------------- */

/* The most called: counted down before the call, so that an allocation
 * not sampled is a tail call of the collector's. */
#define BY_SIZE(name, kind, inner)                                                                 \
    GCP__ALLOC_TEXT static void *w_##name(size_t n)                                                \
    {                                                                                              \
        if (gcp__heap_inner || !gcp__heap_due(n))                                                  \
            return ORIG(name)(n);                                                                  \
        void *p = ORIG(name)(n);                                                                   \
        gcp__heap_sample_due(p, n, kind, NULL, inner, __builtin_return_address(0));                \
        return p;                                                                                  \
    }
GCP_GC_BY_SIZE(BY_SIZE)

#define BY_KIND(name)                                                                              \
    GCP__ALLOC_TEXT static void *w_##name(size_t n, int k)                                         \
    {                                                                                              \
        if (gcp__heap_inner || !gcp__heap_due(n))                                                  \
            return ORIG(name)(n, k);                                                               \
        void *p = ORIG(name)(n, k);                                                                \
        gcp__heap_sample_due(p, n, gcp__hs_kind_name(k), NULL, 0, __builtin_return_address(0));    \
        return p;                                                                                  \
    }
GCP_GC_BY_KIND(BY_KIND)

/* ---- the debug family: an address inside the object ------------------------ */

#define DEBUG_BY_SIZE(name, kind)                                                                  \
    GCP__ALLOC_TEXT static void *w_##name(size_t n, const char *s, int i)                          \
    {                                                                                              \
        void *p = ORIG(name)(n, s, i);                                                             \
        SAMPLE(p, n, kind, 1);                                                                     \
        return p;                                                                                  \
    }
GCP_GC_DEBUG_BY_SIZE(DEBUG_BY_SIZE)

GCP__ALLOC_TEXT static void *w_GC_debug_generic_or_special_malloc(size_t n, int k, const char *s,
                                                                  int i)
{
    void *p = ORIG(GC_debug_generic_or_special_malloc)(n, k, s, i);
    SAMPLE(p, n, gcp__hs_kind_name(k), 1);
    return p;
}

/* ---- typed, gcj, finalized, aligned ------------------------------------------ */

#define WITH_ARG(name, T, kind, inner)                                                             \
    GCP__ALLOC_TEXT static void *w_##name(size_t n, T a)                                           \
    {                                                                                              \
        void *p = ORIG(name)(n, a);                                                                \
        SAMPLE(p, n, kind, inner);                                                                 \
        return p;                                                                                  \
    }
WITH_ARG(GC_malloc_explicitly_typed, GC_descr, "typed", 0)
WITH_ARG(GC_malloc_explicitly_typed_ignore_off_page, GC_descr, "typed", 0)
WITH_ARG(GC_gcj_malloc, void *, "gcj", 0)
WITH_ARG(GC_gcj_malloc_ignore_off_page, void *, "gcj", 0)
WITH_ARG(GC_finalized_malloc, const struct GC_finalizer_closure *, "finalized", 1)

GCP__ALLOC_TEXT static void *w_GC_calloc_explicitly_typed(size_t count, size_t size, GC_descr d)
{
    void *p = ORIG(GC_calloc_explicitly_typed)(count, size, d);
    SAMPLE(p, count && size > (size_t)-1 / count ? (size_t)-1 : count * size, "typed", 0);
    return p;
}

GCP__ALLOC_TEXT static void *w_GC_debug_gcj_malloc(size_t n, void *vtable, const char *s, int i)
{
    void *p = ORIG(GC_debug_gcj_malloc)(n, vtable, s, i);
    SAMPLE(p, n, "gcj", 1);
    return p;
}

GCP__ALLOC_TEXT static void *w_GC_memalign(size_t align, size_t n)
{
    void *p = ORIG(GC_memalign)(align, n);
    SAMPLE(p, n, "normal", 1);
    return p;
}

GCP__ALLOC_TEXT static int w_GC_posix_memalign(void **out, size_t align, size_t n)
{
    int err = ORIG(GC_posix_memalign)(out, align, n);
    if (err == 0)
        SAMPLE(*out, n, "normal", 1);
    return err;
}

/* ---- strings ------------------------------------------------------------------- */

GCP__ALLOC_TEXT static char *w_GC_strdup(const char *s)
{
    char *p = ORIG(GC_strdup)(s);
    SAMPLE(p, p ? strlen(p) + 1 : 0, "atomic", 0);
    return p;
}

GCP__ALLOC_TEXT static char *w_GC_strndup(const char *s, size_t n)
{
    char *p = ORIG(GC_strndup)(s, n);
    SAMPLE(p, p ? strlen(p) + 1 : 0, "atomic", 0);
    return p;
}

GCP__ALLOC_TEXT static char *w_GC_debug_strdup(const char *str, const char *s, int i)
{
    char *p = ORIG(GC_debug_strdup)(str, s, i);
    SAMPLE(p, p ? strlen(p) + 1 : 0, "atomic", 1);
    return p;
}

GCP__ALLOC_TEXT static char *w_GC_debug_strndup(const char *str, size_t n, const char *s, int i)
{
    char *p = ORIG(GC_debug_strndup)(str, n, s, i);
    SAMPLE(p, p ? strlen(p) + 1 : 0, "atomic", 1);
    return p;
}

/* ---- batches ----------------------------------------------------------------- */

GCP__ALLOC_TEXT static void *w_GC_malloc_many(size_t n)
{
    void *list = ORIG(GC_malloc_many)(n);
    if (list && !gcp__heap_inner &&
        atomic_load_explicit(&gcp__heap_sampling, memory_order_relaxed)) {
        gcp__heap_sample_list(list, GC_size(list), "normal", __builtin_return_address(0));
        if (gcp__heap_wipe)
            gcp__wipe_below_sp(gcp__heap_wipe);
    }
    return list;
}

GCP__ALLOC_TEXT static void w_GC_generic_malloc_many(size_t n, int k, void **result)
{
    ORIG(GC_generic_malloc_many)(n, k, result);
    if (*result && !gcp__heap_inner &&
        atomic_load_explicit(&gcp__heap_sampling, memory_order_relaxed)) {
        gcp__heap_sample_list(*result, GC_size(*result), gcp__hs_kind_name(k),
                              __builtin_return_address(0));
        if (gcp__heap_wipe)
            gcp__wipe_below_sp(gcp__heap_wipe);
    }
}

/* ---- realloc and free: the collector frees inside, unseen ----------------------- */

/* A moved object's old start is forgotten; the new size counts as an
 * allocation (as Go and jemalloc count it), of the object's own kind. */
#define RESIZED(old_base, p, n, inner)                                                             \
    do {                                                                                           \
        if ((old_base) && (p) != (old_base))                                                       \
            gcp__hs_forget(old_base);                                                     \
        SAMPLE((p), (n), NULL, (inner));                                                           \
    } while (0)

GCP__ALLOC_TEXT static void *w_GC_realloc(void *old, size_t n)
{
    void *p = ORIG(GC_realloc)(old, n);
    RESIZED(old, p, n, 0);
    return p;
}

GCP__ALLOC_TEXT static void *w_GC_debug_realloc(void *old, size_t n, const char *s, int i)
{
    void *old_base = old ? GC_base(old) : NULL;
    void *p = ORIG(GC_debug_realloc)(old, n, s, i);
    RESIZED(old_base, p ? GC_base(p) : NULL, n, 0);
    return p;
}

GCP__ALLOC_TEXT static void *w_GC_debug_realloc_replacement(void *old, size_t n)
{
    void *old_base = old ? GC_base(old) : NULL;
    void *p = ORIG(GC_debug_realloc_replacement)(old, n);
    RESIZED(old_base, p ? GC_base(p) : NULL, n, 0);
    return p;
}

static void w_GC_free(void *p)
{
    if (p)
        gcp__hs_forget(p);
    ORIG(GC_free)(p);
}

static void w_GC_debug_free(void *p)
{
    void *base = p ? GC_base(p) : NULL;
    if (base)
        gcp__hs_forget(base);
    ORIG(GC_debug_free)(p);
}

/* ---- redirecting ---------------------------------------------------------------- */

#define HOOK_(name) {#name, (void *)w_##name, NULL},
/* The tentative definition above, now with the wrappers it names. */
static gcp__got_hook hooks[N_HOOKS] = {RAW_ENTRIES(HOOK_)};

int gcp__raw_alloc_redirect(void)
{
    static const char *const exclude[] = {"libunwind.so", NULL};

    return gcp__got_redirect(hooks, N_HOOKS, exclude);
}

int gcp__raw_alloc_restore(void)
{
    return gcp__got_restore(hooks, N_HOOKS);
}
