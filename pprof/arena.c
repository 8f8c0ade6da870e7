/*
 * arena.c - the memory of a dump or a profile: a list of blocks carved
 * from the front, freed in one go, so a reader that fails halfway needs
 * no clean-up of its own and a profile's thousands of strings cost no
 * malloc each. Also the error message every function of pprof/ returns.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pprof.h"

#define BLOCK_SIZE (64 * 1024)
#define ALIGN      16

typedef struct block {
    struct block *next;
    size_t used, size;
    unsigned char data[] __attribute__((aligned(ALIGN)));
} block;

struct pprof__arena {
    block *head; /* the block being carved; larger ones go behind it */
};

pprof__arena *pprof__arena_new(void)
{
    return calloc(1, sizeof(pprof__arena));
}

static block *block_new(size_t size)
{
    block *b = malloc(sizeof(block) + size);

    if (b) {
        b->used = 0;
        b->size = size;
        b->next = NULL;
    }
    return b;
}

void *pprof__arena_alloc(pprof__arena *a, size_t size)
{
    block *b = a->head;

    if (size > ((size_t)1 << 40))
        return NULL; /* no profile needs that: a corrupt count */
    size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (size > BLOCK_SIZE / 4) { /* its own block, kept behind the current one */
        block *big = block_new(size);
        if (!big)
            return NULL;
        if (b) {
            big->next = b->next;
            b->next = big;
        } else {
            a->head = big;
        }
        big->used = size;
        memset(big->data, 0, size);
        return big->data;
    }
    if (!b || b->size - b->used < size) {
        if (!(b = block_new(BLOCK_SIZE)))
            return NULL;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

void *pprof__arena_array(pprof__arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return pprof__arena_alloc(a, n && size ? n * size : 1);
}

char *pprof__arena_strndup(pprof__arena *a, const char *s, size_t n)
{
    char *p = n < SIZE_MAX ? pprof__arena_alloc(a, n + 1) : NULL;

    if (p)
        memcpy(p, s, n);
    return p;
}

void pprof__arena_free(pprof__arena *a)
{
    if (!a)
        return;
    for (block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

void *pprof__vec_push(pprof__arena *a, pprof__vec *v)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        void *items = pprof__arena_array(a, cap, v->size);
        if (!items)
            return NULL;
        if (v->n)
            memcpy(items, v->items, v->n * v->size);
        v->items = items;
        v->cap = cap;
    }
    return (unsigned char *)v->items + v->size * v->n++;
}

int pprof__fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

void pprof_profile_free(pprof_profile *p)
{
    if (!p)
        return;
    pprof__arena_free(p->arena);
    memset(p, 0, sizeof *p);
}

void pprof_raw_free(pprof_raw *raw)
{
    if (!raw)
        return;
    pprof__arena_free(raw->arena);
    memset(raw, 0, sizeof *raw);
}
