/*
 * index_work.c - the search-index demo's workload: a service ingests
 * documents into an in-memory inverted index and answers queries, each op
 * a profiled call. Unlike demos/requests (a flat live heap), the index only
 * grows, so each collection marks more than the one before.
 *
 * An ingest (3 ops of every 4) builds a document of 20-200 KiB (x scale)
 * of text in an atomic buffer, from a Zipf-like vocabulary of VOCAB words,
 * tokenises it into a list of small token nodes (garbage when the op
 * ends), and appends a posting (doc id, first position) for each distinct
 * term to the term's posting array in a hash table. The arrays grow by
 * doubling (the old ones become garbage) and are pointer-bearing memory,
 * as a real index's records would be, so marking scans them. The table
 * grows until the vocabulary is seen, then saturates; the postings grow to
 * the end. A query (1 op of every 4) looks up 2-5 terms and intersects
 * their postings into a temporary array. The same seed, the same run.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "index.h"

#define KIB   1024
#define VOCAB 50000 /* distinct words the documents draw from */
/* The vocabulary's skew: at 1.0 a document has ~5k distinct terms and the
 * index asks for ~140 MiB in the end; at 1.3, ~2k and ~55 MiB. */
#define ZIPF_S        1.3
#define FIRST_BUCKETS 1024
#define FIRST_POSTS   4
#define MAX_WORD      16
#define QUERY_TERMS   4 /* 2 to 2 + QUERY_TERMS - 1 terms */
#define QUANTILES     65536

typedef struct posting {
    uint32_t doc, pos;
} posting;

/* A term of the index and its postings, in doc order. */
typedef struct term {
    struct term *next; /* the bucket's chain */
    char *word;
    posting *post;
    uint32_t n, cap;
    uint32_t last_doc; /* the doc of post[n-1]: one posting per doc */
    uint32_t hash, len;
} term;

/* A token of a document: the word copied after the node (32 or 40 B asked,
 * 32 or 48 B in the collector's granules). */
typedef struct token {
    struct token *next;
    uint32_t hash, pos;
    uint8_t len;
    char text[];
} token;

typedef struct op {
    uint64_t rng;
    uint32_t doc; /* an ingest's doc id */
    size_t target, built;
    token *tokens; /* the document's tokens: live until the op ends */
    uint64_t sum;
} op;

typedef struct word {
    uint8_t len;
    char text[MAX_WORD - 1];
} word;

/* Globals: roots the collector scans. */
term **index_buckets;
word *index_vocab;
static size_t index_nb, index_terms;
static uint32_t quantile[QUANTILES + 1];

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* FNV-1a: the table's hash. */
static uint32_t hash_of(const char *w, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)w[i]) * 16777619u;
    return h;
}

/* ---- the vocabulary ---------------------------------------------------- */

/* The inverse CDF of P(r) ~ 1/(r+1)^ZIPF_S at QUANTILES + 1 points:
 * a draw picks a cell, then a rank in it uniformly (the rare words' cells
 * span many ranks: all of them can come up). */
static void fill_quantiles(void)
{
    double tail = pow(VOCAB + 1.0, 1 - ZIPF_S); /* the CDF's far end */

    for (size_t i = 0; i <= QUANTILES; i++) {
        double u = (double)i / QUANTILES;
        double x = pow(1 - u * (1 - tail), 1 / (1 - ZIPF_S)) - 1;
        quantile[i] = x < VOCAB ? (uint32_t)x : VOCAB;
    }
}

/* A rank, 0 the commonest. */
static uint32_t zipf_rank(uint64_t *rng)
{
    uint64_t bits = next_rand(rng);
    uint32_t lo = quantile[bits % QUANTILES], hi = quantile[bits % QUANTILES + 1];
    uint32_t r = lo + (uint32_t)((bits >> 32) % (hi - lo + 1));

    return r < VOCAB ? r : VOCAB - 1;
}

/* The words, made once: word r's letters in vocab[r], common words short
 * (3-6 letters for the first, up to 13 for the rarest). One atomic block:
 * the service's dictionary, a root. */
static int make_vocab(uint64_t seed)
{
    uint64_t h = seed * 0x9e3779b97f4a7c15u ^ 0x1dea;

    if (!(index_vocab = gcp_alloc_atomic(sizeof(word) * VOCAB)))
        return -1;
    for (uint32_t r = 0; r < VOCAB; r++) {
        uint64_t bits = next_rand(&h);
        word *w = &index_vocab[r];
        w->len = (uint8_t)(3 + (size_t)log2(r + 1.0) / 2 + bits % 4);
        bits /= 4;
        for (size_t i = 0; i < w->len; i++, bits /= 26)
            w->text[i] = (char)('a' + bits % 26);
    }
    fill_quantiles();
    return 0;
}

/* ---- the index ----------------------------------------------------------- */

static term *find(const char *w, size_t len, uint32_t h)
{
    for (term *t = index_buckets[h & (index_nb - 1)]; t; t = t->next)
        if (t->hash == h && t->len == len && memcmp(t->word, w, len) == 0)
            return t;
    return NULL;
}

/* Twice the buckets, the terms relinked: the old array is garbage. */
static int grow_table(op *o)
{
    size_t nb = index_nb * 2;
    term **b = gcp_alloc(sizeof(term *) * nb);

    if (!b)
        return -1;
    o->built += sizeof(term *) * nb;
    for (size_t i = 0; i < index_nb; i++)
        for (term *t = index_buckets[i], *next; t; t = next) {
            next = t->next;
            t->next = b[t->hash & (nb - 1)];
            b[t->hash & (nb - 1)] = t;
        }
    index_buckets = b;
    index_nb = nb;
    return 0;
}

static term *add_term(op *o, const char *w, size_t len, uint32_t h)
{
    term *t;

    if (index_terms + 1 > index_nb * 3 / 4 && grow_table(o) < 0)
        return NULL;
    if (!(t = gcp_alloc(sizeof *t)) || !(t->word = gcp_alloc_atomic(len + 1)) ||
        !(t->post = gcp_alloc(sizeof(posting) * FIRST_POSTS)))
        return NULL;
    o->built += sizeof *t + len + 1 + sizeof(posting) * FIRST_POSTS;
    memcpy(t->word, w, len);
    t->word[len] = '\0';
    t->cap = FIRST_POSTS;
    t->last_doc = UINT32_MAX;
    t->hash = h;
    t->len = (uint32_t)len;
    t->next = index_buckets[h & (index_nb - 1)];
    index_buckets[h & (index_nb - 1)] = t;
    index_terms++;
    return t;
}

/* Append (doc, pos) to t, doubling its array when full. */
static int add_posting(op *o, term *t, uint32_t pos)
{
    if (t->n == t->cap) {
        posting *p = gcp_alloc(sizeof(posting) * t->cap * 2);
        if (!p)
            return -1;
        o->built += sizeof(posting) * t->cap * 2;
        memcpy(p, t->post, sizeof(posting) * t->n);
        t->post = p; /* the old array is garbage */
        t->cap *= 2;
    }
    t->post[t->n++] = (posting){o->doc, pos};
    t->last_doc = o->doc;
    return 0;
}

/* ---- an ingest ----------------------------------------------------------- */

/* The document: Zipf words separated by spaces, o->target bytes. */
static char *build_text(op *o, size_t *len)
{
    char *text = gcp_alloc_atomic(o->target + 1);
    size_t at = 0;

    if (!text)
        return NULL;
    while (at + MAX_WORD + 1 < o->target) {
        const word *w = &index_vocab[zipf_rank(&o->rng)];
        memcpy(text + at, w->text, w->len);
        at += w->len;
        text[at++] = ' ';
    }
    text[at] = '\0';
    o->built += o->target + 1;
    *len = at;
    return text;
}

/* The word at text (up to a space or the end) as a token: copied and
 * hashed in one pass. */
static token *next_token(op *o, const char *text, uint32_t pos)
{
    char w[MAX_WORD];
    uint32_t h = 2166136261u; /* FNV-1a, as hash_of */
    size_t n = 0;

    for (; text[n] && text[n] != ' ' && n < MAX_WORD - 1; n++) {
        w[n] = text[n];
        h = (h ^ (unsigned char)text[n]) * 16777619u;
    }
    size_t size = sizeof(token) + ((n + 8) & ~(size_t)7);
    token *k = gcp_alloc(size);
    if (!k)
        return NULL;
    memcpy(k->text, w, n);
    k->text[n] = '\0';
    k->len = (uint8_t)n;
    k->hash = h;
    k->pos = pos;
    o->built += size;
    return k;
}

/* The text's words as a list of tokens, in order. */
static int tokenise(op *o, const char *text, size_t len)
{
    token **tail = &o->tokens;
    uint32_t pos = 0;

    for (size_t i = 0; i < len; i += (*tail)->len + 1u, tail = &(*tail)->next)
        if (!(*tail = next_token(o, text + i, pos++)))
            return -1;
    return 0;
}

/* The profiled call: text, tokens, a posting per distinct term. */
static int ingest(void *env)
{
    op *o = env;
    size_t len;
    const char *text = build_text(o, &len);

    if (!text || tokenise(o, text, len) < 0)
        return 1;
    for (const token *k = o->tokens; k; k = k->next) {
        term *t = find(k->text, k->len, k->hash);
        if (!t && !(t = add_term(o, k->text, k->len, k->hash)))
            return 1;
        if (t->last_doc != o->doc && add_posting(o, t, k->pos) < 0)
            return 1;
        o->sum += k->hash & 0xff;
    }
    return 0;
}

/* ---- a query ------------------------------------------------------------- */

/* Keep the doc ids of r[0..n) that t also has (both in doc order). */
static uint32_t intersect(uint32_t *r, uint32_t n, const term *t)
{
    uint32_t kept = 0, j = 0;

    for (uint32_t i = 0; i < n; i++) {
        while (j < t->n && t->post[j].doc < r[i])
            j++;
        if (j < t->n && t->post[j].doc == r[i])
            r[kept++] = r[i];
    }
    return kept;
}

/* The profiled call: 2-5 terms, their postings intersected, rarest first. */
static int query(void *env)
{
    op *o = env;
    const term *ts[2 + QUERY_TERMS];
    size_t k = 2 + next_rand(&o->rng) % QUERY_TERMS, found = 0;
    for (size_t i = 0; i < k; i++) {
        const word *w = &index_vocab[zipf_rank(&o->rng)];
        const term *t = find(w->text, w->len, hash_of(w->text, w->len));
        if (!t)
            return 0; /* a word no document has yet: no results */
        size_t at = found++;
        for (; at > 0 && ts[at - 1]->n > t->n; at--) /* insertion: rarest first */
            ts[at] = ts[at - 1];
        ts[at] = t;
    }
    uint32_t *r = gcp_alloc_atomic(sizeof(uint32_t) * ts[0]->n + 1);
    if (!r)
        return 1;
    o->built += sizeof(uint32_t) * ts[0]->n + 1;
    uint32_t n = ts[0]->n;
    for (uint32_t i = 0; i < n; i++)
        r[i] = ts[0]->post[i].doc;
    for (size_t i = 1; i < found && n; i++)
        n = intersect(r, n, ts[i]);
    for (uint32_t i = 0; i < n; i++)
        o->sum += r[i];
    o->sum += (uint64_t)n << 32;
    return 0;
}

/* ---- the run ------------------------------------------------------------- */

/* What the index holds: the collector's sizes of its blocks (live), and
 * the bytes asked for them (asked). They differ: bdwgc adds a byte to each
 * object (interior pointers past the end), so a doubled array of 2^k bytes
 * takes the next size class up, a page-sized one a second page. */
static void index_size(index_totals *t)
{
    t->live = gcp_sizeof(index_buckets) + gcp_sizeof(index_vocab);
    t->asked = sizeof(term *) * index_nb + sizeof(word) * VOCAB;
    t->terms = index_terms;
    for (size_t i = 0; i < index_nb; i++)
        for (const term *k = index_buckets[i]; k; k = k->next) {
            t->live += gcp_sizeof(k) + gcp_sizeof(k->word) + gcp_sizeof(k->post);
            t->asked += sizeof *k + k->len + 1 + sizeof(posting) * k->cap;
            t->postings += k->n;
        }
}

static int start(uint64_t seed)
{
    if (make_vocab(seed) < 0)
        return -1;
    index_nb = FIRST_BUCKETS;
    index_terms = 0;
    index_buckets = gcp_alloc(sizeof(term *) * index_nb);
    return index_buckets ? 0 : -1;
}

/* Op i: an ingest, or every fourth a query. */
static int run_op(const loop_opts *o, const gcp_config *cfg, long i, op *q, gcp_report *r)
{
    int is_query = i % 4 == 3;

    if (!is_query)
        q->target = (size_t)((double)((20 + next_rand(&q->rng) % 181) * KIB) * o->scale);
    return gcp_profile(is_query ? "query" : "ingest", is_query ? query : ingest, q, cfg, r);
}

int index_run(const loop_opts *o, index_totals *t)
{
    gcp_config cfg;
    gcp_report r;

    memset(t, 0, sizeof *t);
    if (loop_config(o, &cfg) != 0 || start(o->seed) != 0)
        return -1;
    for (long i = 0; i < o->count; i++) {
        op q = {o->seed ^ ((uint64_t)i * 0x2545f4914f6cdd1du), (uint32_t)t->ingests, 0, 0, NULL, 0};
        if (run_op(o, &cfg, i, &q, &r) < 0)
            return -1;
        loop_add_report(&t->loop, &r);
        t->ingests += q.target != 0;
        t->queries += q.target == 0;
        t->loop.bytes += q.built;
        t->loop.checksum += q.sum;
        if (o->verbose)
            fprintf(stderr, "op %4ld %-6s %6.1f KiB, heap %5.1f -> %5.1f MiB: %s\n", i,
                    q.target ? "ingest" : "query", (double)q.built / KIB,
                    (double)r.heap_before / 1048576.0, (double)r.heap_after / 1048576.0,
                    r.gc_reason);
        q.tokens = NULL; /* the op's objects are garbage now */
        if (o->gc_points)
            loop_gc_point(&cfg, "op", i, o->verbose, &t->loop);
    }
    index_size(t);
    return 0;
}
