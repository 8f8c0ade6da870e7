/*
 * gc_entry_points.h - bdwgc 8.2's allocation entry points that share a
 * signature, with the kind each allocates, as lists: the preload's
 * interposers (preload/preload_alloc.c) and the runtime's GOT wrappers
 * (runtime/heap/raw_alloc.c) expand them with their own X, so the two
 * see the same calls. inner: the function returns an address inside the
 * object (the debug ones), whose start the sample looks up.
 */
#ifndef GCP_GC_ENTRY_POINTS_H
#define GCP_GC_ENTRY_POINTS_H

/* void *name(size_t n): X(name, kind, inner) */
#define GCP_GC_BY_SIZE(X)                                                                          \
    X(GC_malloc, "normal", 0)                                                                      \
    X(GC_malloc_atomic, "atomic", 0)                                                               \
    X(GC_malloc_uncollectable, "uncollectable", 0)                                                 \
    X(GC_malloc_atomic_uncollectable, "atomic-uncollectable", 0)                                   \
    X(GC_malloc_ignore_off_page, "normal", 0)                                                      \
    X(GC_malloc_atomic_ignore_off_page, "atomic", 0)                                               \
    X(GC_debug_malloc_replacement, "normal", 1)

/* void *name(size_t n, int kind): X(name), kind named by its number */
#define GCP_GC_BY_KIND(X)                                                                          \
    X(GC_malloc_kind)                                                                              \
    X(GC_malloc_kind_global)                                                                       \
    X(GC_generic_malloc)                                                                           \
    X(GC_generic_malloc_ignore_off_page)                                                           \
    X(GC_generic_malloc_uncollectable)                                                             \
    X(GC_generic_or_special_malloc)

/* void *name(size_t n, const char *file, int line): X(name, kind) */
#define GCP_GC_DEBUG_BY_SIZE(X)                                                                    \
    X(GC_debug_malloc, "normal")                                                                   \
    X(GC_debug_malloc_atomic, "atomic")                                                            \
    X(GC_debug_malloc_uncollectable, "uncollectable")                                              \
    X(GC_debug_malloc_atomic_uncollectable, "atomic-uncollectable")                                \
    X(GC_debug_malloc_ignore_off_page, "normal")                                                   \
    X(GC_debug_malloc_atomic_ignore_off_page, "atomic")

#endif
