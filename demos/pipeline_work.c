/*
 * pipeline_work.c - the pipeline demo's workload: batches of records go
 * through parse -> transform -> aggregate, each stage a profiled call.
 *
 * Every stage leaves garbage: parse builds a text buffer and token arrays
 * it drops, transform replaces each record and links the new ones of a
 * group into a ring (cycles), aggregate keeps a sample of each group (as
 * rings again) in a window of recent batches. The window's length swings
 * between 2 and 12 batches, so the working set grows and shrinks.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

#define GROUPS     64
#define TAGS       3
#define MAX_TOKENS 8
#define WINDOW_MAX 12
#define PI         3.14159265358979323846

typedef struct record {
    long id;
    char *name;
    double value;
    char **tags; /* TAGS strings */
} record;

typedef struct cell {
    char *text;
    struct cell *next;
} cell;

/* A transformed record: the items of one group form a ring. */
typedef struct item {
    long id;
    char *label;
    double score;
    cell *tags;
    struct item *prev, *next;
} item;

typedef struct group_summary {
    long count;
    double sum, min, max;
    item *sample; /* a ring of kept items */
} group_summary;

typedef struct batch {
    long first_id;
    size_t n;
    record **records;
    item **items;
    group_summary **groups; /* GROUPS of them: what the window keeps */
} batch;

/* The working set: the last few batches' summaries. A global, so the
 * compiler cannot drop the stores into it. */
group_summary **pipeline_window[WINDOW_MAX];

/* ---- parse: text -> records ------------------------------------------ */

static char *make_text(long first, size_t n)
{
    size_t cap = n * 64 + 1, len = 0;
    char *text = gcp_alloc_atomic(cap);

    for (size_t i = 0; text && i < n; i++) {
        long id = first + (long)i;
        len += (size_t)snprintf(text + len, cap - len, "%ld,user%ld,%ld.%02ld,t%ld|t%ld|t%ld\n",
                                id, id * 7919 % 100000, id % 997, id % 100, id % 13, id % 29,
                                id % 31);
    }
    return text;
}

/* Split one line at ',' and '|' into fresh strings; NULL on failure. */
static char **tokens_of(const char *line, size_t *count)
{
    char **tok = gcp_alloc(sizeof(char *) * MAX_TOKENS);
    size_t n = 0;

    while (tok && n < MAX_TOKENS) {
        size_t len = strcspn(line, ",|\n");
        char *s = gcp_alloc_atomic(len + 1);
        if (!s)
            return NULL;
        memcpy(s, line, len);
        s[len] = '\0';
        tok[n++] = s;
        if (line[len] != ',' && line[len] != '|')
            break;
        line += len + 1;
    }
    *count = n;
    return tok;
}

static record *record_of(const char *line)
{
    size_t n = 0;
    char **tok = tokens_of(line, &n);
    record *r = tok && n == 3 + TAGS ? gcp_alloc(sizeof *r) : NULL;

    if (!r || !(r->tags = gcp_alloc(sizeof(char *) * TAGS)))
        return NULL;
    r->id = atol(tok[0]);
    r->name = tok[1];
    r->value = atof(tok[2]);
    memcpy(r->tags, tok + 3, sizeof(char *) * TAGS);
    return r;
}

static int parse(void *env)
{
    batch *b = env;
    char *text = make_text(b->first_id, b->n), *line = text;

    b->records = gcp_alloc(sizeof(record *) * b->n);
    if (!text || !b->records)
        return 1;
    for (size_t i = 0; i < b->n; i++) {
        if (!(b->records[i] = record_of(line)))
            return 1;
        line = strchr(line, '\n') + 1;
    }
    return 0;
}

/* ---- transform: records -> items in rings, one per group -------------- */

static char *upper_copy(const char *s)
{
    size_t len = strlen(s);
    char *u = gcp_alloc_atomic(len + 1);

    for (size_t i = 0; u && i <= len; i++)
        u[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    return u;
}

static item *item_of(const record *r)
{
    item *it = gcp_alloc(sizeof *it);

    if (!it || !(it->label = upper_copy(r->name)))
        return NULL;
    it->id = r->id;
    it->score = r->value * 1.5 + (double)(r->id % 7);
    for (int t = TAGS - 1; t >= 0; t--) {
        cell *c = gcp_alloc(sizeof *c);
        if (!c || !(c->text = upper_copy(r->tags[t])))
            return NULL;
        c->next = it->tags;
        it->tags = c;
    }
    return it;
}

/* Put it into the ring that starts at *head. */
static void ring_add(item **head, item *it)
{
    if (!*head) {
        it->prev = it->next = it;
        *head = it;
        return;
    }
    it->next = *head;
    it->prev = (*head)->prev;
    (*head)->prev->next = it;
    (*head)->prev = it;
}

static int transform(void *env)
{
    batch *b = env;
    item **rings = gcp_alloc(sizeof(item *) * GROUPS);

    b->items = gcp_alloc(sizeof(item *) * b->n);
    if (!rings || !b->items)
        return 1;
    for (size_t i = 0; i < b->n; i++) {
        if (!(b->items[i] = item_of(b->records[i])))
            return 1;
        ring_add(&rings[b->items[i]->id % GROUPS], b->items[i]);
    }
    b->records = NULL; /* the records (and their strings) are garbage now */
    return 0;
}

/* ---- aggregate: per-group summaries, a sample kept in the window ----- */

static int aggregate(void *env)
{
    batch *b = env;

    b->groups = gcp_alloc(sizeof(group_summary *) * GROUPS);
    if (!b->groups)
        return 1;
    for (size_t i = 0; i < b->n; i++) {
        item *it = b->items[i];
        group_summary **g = &b->groups[it->id % GROUPS];
        if (!*g && !(*g = gcp_alloc(sizeof **g)))
            return 1;
        (*g)->min = (*g)->count == 0 || it->score < (*g)->min ? it->score : (*g)->min;
        (*g)->max = it->score > (*g)->max ? it->score : (*g)->max;
        (*g)->sum += it->score;
        (*g)->count++;
        /* Keep half of the items, as a fresh ring per group: the batch's
         * own rings (every item) become garbage with b->items. */
        if (it->id % 2 == 0) {
            item *copy = gcp_alloc(sizeof *copy);
            if (!copy)
                return 1;
            *copy = *it;
            ring_add(&(*g)->sample, copy);
        }
    }
    b->items = NULL;
    return 0;
}

/* ---- the run ------------------------------------------------------------ */

/* How many batches the window keeps after batch i: 2..12 and back. */
static int window_length(int i)
{
    return 2 + (int)lround(5.0 * (1.0 - cos(2.0 * PI * i / 24.0)));
}

static void add_report(pipeline_totals *t, const gcp_report *r)
{
    t->stages++;
    t->failed += r->status != 0;
    t->collected_after += r->gc_collected;
    t->profiler_gc_s += r->profiler_gc_time;
    t->memory_saved += r->memory_saved;
    t->objects += r->objects_allocated;
    memcpy(t->last_reason, r->gc_reason, sizeof t->last_reason);
}

static void slide_window(int i, group_summary **kept)
{
    int keep = window_length(i);

    for (int w = WINDOW_MAX - 1; w > 0; w--)
        pipeline_window[w] = pipeline_window[w - 1];
    pipeline_window[0] = kept;
    for (int w = keep; w < WINDOW_MAX; w++)
        pipeline_window[w] = NULL; /* dropped: garbage, rings and all */
}

int pipeline_run(const pipeline_opts *o, pipeline_totals *t)
{
    static const struct {
        const char *name;
        gcp_fn fn;
    } stages[] = {{"parse", parse}, {"transform", transform}, {"aggregate", aggregate}};
    gcp_config cfg;
    gcp_report r;

    /* GCPROF and GCPROF_<KEY> apply (the comparison's budget variants set
     * them); the variant's mode wins over GCPROF_AUTO_GC. */
    if (gcp_config_init_env(&cfg, NULL, 0) != 0)
        return -1;
    cfg.auto_gc = o->auto_gc;
    memset(t, 0, sizeof *t);
    for (int i = 0; i < o->batches; i++) {
        batch b = {(long)i * 1000000, (size_t)(20000 * o->scale), NULL, NULL, NULL};
        for (size_t s = 0; s < 3; s++) {
            if (gcp_profile(stages[s].name, stages[s].fn, &b, &cfg, &r) < 0)
                return -1;
            add_report(t, &r);
            if (o->verbose)
                fprintf(stderr, "batch %2d %-9s %5.1f MiB allocated, heap %5.1f -> %5.1f MiB: %s\n",
                        i, r.function_name, (double)r.bytes_allocated / 1048576.0,
                        (double)r.heap_before / 1048576.0, (double)r.heap_after / 1048576.0,
                        r.gc_reason);
            if (r.status != 0)
                break; /* out of memory: this batch is lost, the next may fit */
        }
        if (b.groups)
            slide_window(i, b.groups);
        if (o->gc_points) {
            gcp_gc_decision d;
            t->point_collections += gcp_gc_point(&cfg, &d) == 1;
            t->cgroup_limit = d.cgroup_limit;
            t->cgroup_usage = d.cgroup_usage;
            if (o->verbose)
                fprintf(stderr, "batch %2d gc point: %s\n", i, d.reason);
            t->profiler_gc_s += d.cost;
            t->memory_saved += d.memory_saved;
        }
    }
    return 0;
}
