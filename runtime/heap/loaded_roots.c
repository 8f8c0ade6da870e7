/*
 * loaded_roots.c - the writable data of libraries we brought and that
 * stayed are excluded from the collector's roots (loaded_roots.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "loaded_roots.h"

#include <dlfcn.h>
#include <gc/gc.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* bdwgc holds 512 exclusions for the whole program (MAX_EXCLUSIONS in
 * 8.2.2, aborting beyond): we take at most this many of them. */
#define OUR_MAX 96

typedef struct object_key {
    uintptr_t addr;
    uint64_t name_hash;
} object_key;

struct gcp__loaded {
    size_t n, cap;
    object_key *keys;
};

typedef struct range {
    uintptr_t start, end;
} range;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static range excluded[OUR_MAX]; /* ours, so that none is excluded twice */
static size_t n_excluded, excluded_bytes;

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */

    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static object_key key_of(const struct dl_phdr_info *info)
{
    return (object_key){(uintptr_t)info->dlpi_addr, name_hash(info->dlpi_name)};
}

/* Appends; -1 when out of memory. */
static int push(void **items, size_t *n, size_t *cap, size_t size, const void *item)
{
    if (*n == *cap) {
        size_t more = *cap ? *cap * 2 : 64;
        void *p = realloc(*items, more * size);
        if (!p)
            return -1;
        *items = p;
        *cap = more;
    }
    memcpy((char *)*items + *n * size, item, size);
    (*n)++;
    return 0;
}

static int list_object(struct dl_phdr_info *info, size_t size, void *data)
{
    gcp__loaded *l = data;
    object_key k = key_of(info);

    (void)size;
    return push((void **)&l->keys, &l->n, &l->cap, sizeof k, &k) != 0;
}

void gcp__loaded_free(gcp__loaded *l)
{
    if (l) {
        free(l->keys);
        free(l);
    }
}

gcp__loaded *gcp__loaded_now(void)
{
    gcp__loaded *l = calloc(1, sizeof *l);

    if (l && dl_iterate_phdr(list_object, l) != 0) {
        gcp__loaded_free(l);
        return NULL;
    }
    return l;
}

static int listed(const gcp__loaded *l, object_key k)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->keys[i].addr == k.addr && l->keys[i].name_hash == k.name_hash)
            return 1;
    return 0;
}

/* The key of the object a dlopen handle names; 0 in addr and hash when
 * none (then nothing is left out by place). */
static object_key key_of_handle(void *handle)
{
    struct link_map *lm = NULL;

    if (!handle || dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm)
        return (object_key){0, 0};
    return (object_key){(uintptr_t)lm->l_addr, name_hash(lm->l_name)};
}

gcp__loaded *gcp__loaded_since(gcp__loaded *before, void *handle)
{
    gcp__loaded *now = before ? gcp__loaded_now() : NULL, *came = NULL;
    object_key first = key_of_handle(handle);
    /* Objects are listed in load order: what our dlopen brought starts at
     * the object it opened; new ones before it were another thread's. */
    int reached = first.addr == 0 && first.name_hash == 0;

    if (now && (came = calloc(1, sizeof *came)))
        for (size_t i = 0; i < now->n; i++) {
            object_key k = now->keys[i];
            reached |= k.addr == first.addr && k.name_hash == first.name_hash;
            if (reached && !listed(before, k) &&
                push((void **)&came->keys, &came->n, &came->cap, sizeof k, &k) != 0) {
                gcp__loaded_free(came);
                came = NULL;
                break;
            }
        }
    gcp__loaded_free(now);
    gcp__loaded_free(before);
    return came;
}

/* ---- what came and stayed ------------------------------------------------ */

typedef struct new_ranges {
    const gcp__loaded *came;
    range *items;
    size_t n, cap;
    int failed;
} new_ranges;

/* The writable segments of each object of `came`. Only
 * listed here: the collector's lock is not taken under the loader's. */
static int list_new_ranges(struct dl_phdr_info *info, size_t size, void *data)
{
    new_ranges *nr = data;

    (void)size;
    if (!listed(nr->came, key_of(info)))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W) || !ph->p_memsz)
            continue;
        range r = {info->dlpi_addr + ph->p_vaddr, info->dlpi_addr + ph->p_vaddr + ph->p_memsz};
        if (push((void **)&nr->items, &nr->n, &nr->cap, sizeof r, &r) != 0) {
            nr->failed = 1;
            return 1;
        }
    }
    return 0;
}

static int overlaps_ours(range r)
{
    for (size_t i = 0; i < n_excluded; i++)
        if (r.start < excluded[i].end && excluded[i].start < r.end)
            return 1;
    return 0;
}

size_t gcp__loaded_exclude_stayed(gcp__loaded *came)
{
    new_ranges nr = {.came = came};
    size_t bytes = 0;

    if (!came)
        return 0;
    dl_iterate_phdr(list_new_ranges, &nr);
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nr.n && !nr.failed; i++) {
        if (n_excluded == OUR_MAX || overlaps_ours(nr.items[i]))
            continue;
        GC_exclude_static_roots((void *)nr.items[i].start, (void *)nr.items[i].end);
        excluded[n_excluded++] = nr.items[i];
        bytes += nr.items[i].end - nr.items[i].start;
    }
    excluded_bytes += bytes;
    pthread_mutex_unlock(&lock);
    free(nr.items);
    gcp__loaded_free(came);
    return bytes;
}

size_t gcp__loaded_excluded_bytes(void)
{
    pthread_mutex_lock(&lock);
    size_t b = excluded_bytes;
    pthread_mutex_unlock(&lock);
    return b;
}
