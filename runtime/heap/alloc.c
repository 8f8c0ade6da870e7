/*
 * alloc.c - the allocation entry points called as functions: unsited from
 * the allocator (heap.c), or, while site tracking is on, through the
 * "(no site)" sites (sites.c), so a line report still counts them. Apart
 * from both so that neither calls the other back.
 */
#include "heap.h"
#include "heap_sample.h"

#include <string.h>

/* The header may wrap them in site-capturing macros, which the
 * parentheses step around. */
GCP__ALLOC_TEXT void *(gcp_alloc)(size_t size)
{
    if (__builtin_expect(gcp__sites_tracking(), 0))
        return gcp_alloc_at(size, &gcp__site_unknown);
    void *op = gcp__alloc_kind(GCP__NORMAL, size);
    gcp__heap_maybe_sample(op, size, "normal", NULL, 0);
    return op;
}

GCP__ALLOC_TEXT void *(gcp_alloc_atomic)(size_t size)
{
    if (__builtin_expect(gcp__sites_tracking(), 0))
        return gcp_alloc_atomic_at(size, &gcp__site_unknown_atomic);
    void *op = gcp__alloc_kind(GCP__ATOMIC, size);
    gcp__heap_maybe_sample(op, size, "atomic", NULL, 0);
    return op;
}

GCP__ALLOC_TEXT char *(gcp_strdup)(const char *s)
{
    if (!s) {
        gcp__fail(GCP_EINVAL, "gcp_strdup: s is NULL");
        return NULL;
    }
    size_t n = strlen(s) + 1;
    char *copy = (gcp_alloc_atomic)(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}
