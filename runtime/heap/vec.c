/*
 * vec.c - gcp_vec, a growable vector of pointers in the managed heap.
 *
 * Both the header and the items array come from gcp_alloc, so the
 * collector scans the elements and keeps what they point to alive. Slots
 * past the length are kept NULL for the same reason: a popped or cleared
 * element must not be retained by a stale copy in the array.
 */
#include <stdint.h>
#include <string.h>

#include "heap.h"

struct gcp_vec {
    size_t len, cap;
    void **items;
};

/* An items array for cap elements; NULL (and the error recorded) on
 * overflow or when out of memory. */
static void **alloc_items(const char *fn, size_t cap)
{
    if (cap > SIZE_MAX / sizeof(void *)) {
        gcp__fail(GCP_ENOMEM, "%s: capacity %zu overflows size_t", fn, cap);
        return NULL;
    }
    return gcp_alloc(cap * sizeof(void *)); /* zeroed; records its failure */
}

gcp_vec *gcp_vec_new(size_t capacity)
{
    gcp_vec *vec = GCP_NEW(gcp_vec);

    if (!vec)
        return NULL;
    if (capacity > 0) {
        vec->items = alloc_items("gcp_vec_new", capacity);
        if (!vec->items)
            return NULL;
        vec->cap = capacity;
    }
    return vec;
}

/* Double the capacity (4 from empty). The old array becomes garbage. */
static int grow(gcp_vec *vec)
{
    size_t cap = vec->cap ? vec->cap : 4;

    if (vec->cap) {
        if (vec->cap > SIZE_MAX / 2)
            return gcp__fail(GCP_ENOMEM, "gcp_vec_push: capacity %zu cannot double", vec->cap);
        cap = vec->cap * 2;
    }
    void **items = alloc_items("gcp_vec_push", cap);
    if (!items)
        return GCP__ALLOC_FAILED();
    if (vec->len)
        memcpy(items, vec->items, vec->len * sizeof(void *));
    vec->items = items;
    vec->cap = cap;
    return 0;
}

int gcp_vec_push(gcp_vec *vec, void *item)
{
    if (!vec)
        return gcp__fail(GCP_EINVAL, "gcp_vec_push: vec is NULL");
    if (vec->len == vec->cap) {
        int rc = grow(vec);
        if (rc < 0)
            return rc;
    }
    vec->items[vec->len++] = item;
    return 0;
}

void *gcp_vec_get(const gcp_vec *vec, size_t i)
{
    if (!vec) {
        gcp__fail(GCP_EINVAL, "gcp_vec_get: vec is NULL");
        return NULL;
    }
    if (i >= vec->len) {
        gcp__fail(GCP_ERANGE, "gcp_vec_get: index %zu out of range (length %zu)", i, vec->len);
        return NULL;
    }
    return vec->items[i];
}

int gcp_vec_set(gcp_vec *vec, size_t i, void *item)
{
    if (!vec)
        return gcp__fail(GCP_EINVAL, "gcp_vec_set: vec is NULL");
    if (i >= vec->len)
        return gcp__fail(GCP_ERANGE, "gcp_vec_set: index %zu out of range (length %zu)", i,
                         vec->len);
    vec->items[i] = item;
    return 0;
}

void *gcp_vec_pop(gcp_vec *vec)
{
    if (!vec) {
        gcp__fail(GCP_EINVAL, "gcp_vec_pop: vec is NULL");
        return NULL;
    }
    if (vec->len == 0) {
        gcp__fail(GCP_ERANGE, "gcp_vec_pop: vec is empty");
        return NULL;
    }
    void *item = vec->items[--vec->len];
    vec->items[vec->len] = NULL; /* do not keep it alive */
    return item;
}

size_t gcp_vec_len(const gcp_vec *vec)
{
    return vec ? vec->len : 0;
}

void gcp_vec_clear(gcp_vec *vec)
{
    if (!vec) {
        gcp__fail(GCP_EINVAL, "gcp_vec_clear: vec is NULL");
        return;
    }
    if (vec->len)
        memset(vec->items, 0, vec->len * sizeof(void *)); /* release the elements */
    vec->len = 0;
}
