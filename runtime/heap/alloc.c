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
/* An allocation a heap profile samples (gcp__heap_due said so): apart
 * from the entry points, whose path otherwise stays a tail call. */
GCP__ALLOC_TEXT static void *alloc_sampled(int kind_ix, size_t size, const void *caller)
{
    void *op = gcp__alloc_kind(kind_ix, size);
    gcp__heap_sample_due(op, size, kind_ix == GCP__ATOMIC ? "atomic" : "normal", NULL, 0, caller);
    return op;
}

GCP__ALLOC_TEXT void *(gcp_alloc)(size_t size)
{
    if (__builtin_expect(gcp__sites_tracking(), 0))
        return gcp_alloc_at(size, &gcp__site_unknown);
    if (gcp__heap_due(size))
        return alloc_sampled(GCP__NORMAL, size, __builtin_return_address(0));
    return gcp__alloc_kind(GCP__NORMAL, size);
}

GCP__ALLOC_TEXT void *(gcp_alloc_atomic)(size_t size)
{
    if (__builtin_expect(gcp__sites_tracking(), 0))
        return gcp_alloc_atomic_at(size, &gcp__site_unknown_atomic);
    if (gcp__heap_due(size))
        return alloc_sampled(GCP__ATOMIC, size, __builtin_return_address(0));
    return gcp__alloc_kind(GCP__ATOMIC, size);
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
