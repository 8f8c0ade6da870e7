/*
 * requests_work.c - the request-loop demo's workload: a service holds a
 * catalog (its resident state, ~6.5 MiB of small linked objects) and
 * serves requests, each a profiled call.
 *
 * A request builds 50-500 KiB (x scale) of short-lived objects that stay
 * reachable until it ends: linked lists of 16-64 B nodes, each looked up
 * in the catalog, and 1-8 KiB buffers it fills and sums. About 1% of what
 * it built (a copy of a few nodes and a blob of 1% of its bytes) goes into
 * a cache, a ring of CACHE_SLOTS entries that replaces the oldest: the live
 * heap grows for the first CACHE_SLOTS requests and then stays flat
 * (catalog + ~2.8 MiB). Everything else is garbage when the request
 * returns. The sizes come from a seeded PRNG: the same seed, the same run.
 */
#include <stdio.h>
#include <string.h>

#include "requests.h"

#define CATALOG       65536 /* products in the resident state */
#define CACHE_SLOTS   1024  /* entries in the bounded cache */
#define KIB           1024
#define RELATED_HOPS  10 /* at most: chains end at product 0 */
#define RENDER_PASSES 4  /* over each buffer: the CPU work of a request */

/* A node of a request's lists: 16 B, or up to 64 with payload after it. */
typedef struct node {
    struct node *next;
    uint64_t key;
} node;

typedef struct product {
    uint64_t key, price;
    char *name;
    struct product *related; /* the catalog is a graph, as marking sees it */
} product;

/* What the cache keeps of a request. */
typedef struct cached {
    uint64_t id;
    node *chain;
    char *blob;
    size_t len;
} cached;

typedef struct request {
    uint64_t id, rng;
    size_t target, built;
    void **parts; /* every list and buffer: live until the request ends */
    size_t nparts;
    uint64_t sum;
} request;

/* Globals: roots the collector scans, and stores the compiler keeps. */
product **requests_catalog;
cached **requests_cache;
static size_t cache_next;

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* ---- the resident state --------------------------------------------- */

static int build_catalog(uint64_t seed)
{
    uint64_t rng = seed ^ 0x5eed;

    requests_catalog = gcp_alloc(sizeof(product *) * CATALOG);
    for (size_t i = 0; requests_catalog && i < CATALOG; i++) {
        product *p = gcp_alloc(sizeof *p);
        size_t len = 24 + next_rand(&rng) % 64;
        if (!p || !(p->name = gcp_alloc_atomic(len)))
            return -1;
        snprintf(p->name, len, "product-%zu", i);
        p->key = i;
        p->price = next_rand(&rng) % 10000;
        p->related = i ? requests_catalog[next_rand(&rng) % i] : NULL;
        requests_catalog[i] = p;
    }
    requests_cache = gcp_alloc(sizeof(cached *) * CACHE_SLOTS);
    return requests_catalog && requests_cache ? 0 : -1;
}

/* ---- one request ------------------------------------------------------- */

/* A list of 8-127 nodes of 16-64 B, each priced from the catalog. */
static int build_list(request *q)
{
    size_t len = 8 + next_rand(&q->rng) % 120;
    node *head = NULL;

    for (size_t i = 0; i < len; i++) {
        size_t size = 16 * (1 + next_rand(&q->rng) % 4);
        node *n = gcp_alloc(size);
        if (!n)
            return -1;
        n->key = next_rand(&q->rng);
        n->next = head;
        head = n;
        q->built += size;
    }
    /* Price each node: its product and a few related ones (pointer chasing
     * through the catalog, as a join would; most of a request's time). */
    for (node *n = head; n; n = n->next) {
        const product *p = requests_catalog[n->key % CATALOG];
        q->sum += (uint8_t)p->name[8];
        for (int hop = 0; p && hop < RELATED_HOPS; hop++, p = p->related)
            q->sum += p->price;
    }
    q->parts[q->nparts++] = head;
    return 0;
}

/* A 1-8 KiB buffer, filled and summed (a response being rendered). */
static int build_buffer(request *q)
{
    size_t len = KIB + next_rand(&q->rng) % (7 * KIB + 1);
    unsigned char *b = gcp_alloc_atomic(len);

    if (!b)
        return -1;
    uint64_t x = q->id | 1;
    for (int pass = 0; pass < RENDER_PASSES; pass++)
        for (size_t i = 0; i < len; i++) { /* xorshift bytes: the rendering */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            b[i] = (unsigned char)(pass ? b[i] ^ x : x);
        }
    for (size_t i = 0; i < len; i += 64)
        q->sum += b[i] ^ i;
    q->parts[q->nparts++] = b;
    q->built += len;
    return 0;
}

/* Keep ~1% of what the request built: a copy of its first list's first
 * four nodes and a blob of 1% of its bytes, replacing the oldest entry. */
static int keep(request *q)
{
    cached *c = gcp_alloc(sizeof *c);
    node **tail = c ? &c->chain : NULL;
    int copied = 0;

    if (!c || !(c->blob = gcp_alloc_atomic(c->len = q->built / 100 + 1)))
        return -1;
    memset(c->blob, (int)(q->sum & 0xff), c->len);
    c->id = q->id;
    for (const node *n = q->nparts ? q->parts[0] : NULL; n && copied < 4; n = n->next, copied++) {
        node *k = gcp_alloc(sizeof *k);
        if (!k)
            return -1;
        k->key = n->key;
        *tail = k;
        tail = &k->next;
    }
    requests_cache[cache_next++ % CACHE_SLOTS] = c;
    return 0;
}

/* The profiled call: build the request's objects, keep 1%, return. The
 * lists come first, so parts[0] is one. */
static int handle(void *env)
{
    request *q = env;

    /* Room for a part per KiB: parts average 2-3 KiB. The array is the
     * request's too, counted in what it builds (50-500 KiB in all). */
    size_t room = q->target / KIB + 16;

    if (!(q->parts = gcp_alloc(sizeof(void *) * room)))
        return 1;
    q->built += sizeof(void *) * room;
    while (q->built < q->target && q->nparts < room)
        if ((q->nparts == 0 || next_rand(&q->rng) % 3 != 0 ? build_list(q) : build_buffer(q)) < 0)
            return 1;
    return keep(q) < 0 ? 1 : 0;
}

/* ---- the run ------------------------------------------------------------ */

static uint64_t cache_bytes(void)
{
    uint64_t b = 0;

    for (size_t i = 0; i < CACHE_SLOTS; i++)
        b += requests_cache[i] ? requests_cache[i]->len + sizeof(cached) + 4 * sizeof(node) : 0;
    return b;
}

int requests_run(const loop_opts *o, requests_totals *t)
{
    gcp_config cfg;
    gcp_report r;

    memset(t, 0, sizeof *t);
    if (loop_config(o, &cfg) != 0 || build_catalog(o->seed) != 0)
        return -1;
    for (long i = 0; i < o->count; i++) {
        uint64_t rng = o->seed ^ ((uint64_t)i * 0x2545f4914f6cdd1du);
        request q = {(uint64_t)i, rng, 0, 0, NULL, 0, 0};
        q.target = (size_t)((double)((50 + next_rand(&q.rng) % 451) * KIB) * o->scale);
        if (gcp_profile("request", handle, &q, &cfg, &r) < 0)
            return -1;
        loop_add_report(&t->loop, &r);
        t->loop.bytes += q.built;
        t->loop.checksum += q.sum;
        if (o->verbose)
            fprintf(stderr, "request %4ld %6.1f KiB, heap %5.1f -> %5.1f MiB: %s\n", i,
                    (double)q.built / KIB, (double)r.heap_before / 1048576.0,
                    (double)r.heap_after / 1048576.0, r.gc_reason);
        q.parts = NULL; /* the request's objects are garbage now */
        if (o->gc_points)
            loop_gc_point(&cfg, "request", i, o->verbose, &t->loop);
    }
    t->kept = cache_bytes();
    return 0;
}
