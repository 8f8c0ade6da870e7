/*
 * breakdown_json.c - a breakdown's JSON object back into a gcp__breakdown
 * (breakdown_json.h). The object nests ("rows", "gc", "malloc" and the
 * array "classes"); json_flat.c parses one flat level at a time, so each
 * nested value is copied out and parsed in turn.
 */
#include "breakdown_json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_flat.h"
#include "timeline_parse.h" /* the numbers' grammar */

#define TOP "the object" /* the breakdown, in messages */

typedef struct reader {
    char *sub; /* room for a copy of a nested value (as long as the whole) */
    char *err;
    size_t errsize;
} reader;

__attribute__((format(printf, 2, 3))) static int fail(reader *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->err, r->errsize, fmt, ap);
    va_end(ap);
    return -1;
}

/* key's pair in o, of type t; where names o in messages. */
static const tool_jpair *need(reader *r, const tool_jobj *o, const char *where, const char *key,
                              tool_jv_type t, const char *what)
{
    const tool_jpair *v = tool_json_get(o, key);

    if (!v)
        fail(r, "%s lacks \"%s\"", where, key);
    else if (v->type != t)
        fail(r, "%s: \"%s\" is not %s", where, key, what);
    else
        return v;
    return NULL;
}

static int u64(reader *r, const tool_jobj *o, const char *where, const char *key, uint64_t *out)
{
    const tool_jpair *v = need(r, o, where, key, TOOL_JV_NUMBER, "a number");

    if (!v)
        return -1;
    if (tool_tl_parse_u64(v->s, v->n, out) < 0)
        return fail(r, "%s: \"%s\" is not a whole number >= 0 (or is too big)", where, key);
    return 0;
}

/* A whole number up to max. */
static int small(reader *r, const tool_jobj *o, const char *where, const char *key, uint64_t max,
                 uint64_t *out)
{
    if (u64(r, o, where, key, out) < 0)
        return -1;
    return *out <= max ? 0
                       : fail(r, "%s: \"%s\" is above %llu", where, key, (unsigned long long)max);
}

static int boolean(reader *r, const tool_jobj *o, const char *where, const char *key, int *out)
{
    const tool_jpair *v = tool_json_get(o, key);

    if (!v)
        return fail(r, "%s lacks \"%s\"", where, key);
    if (v->type != TOOL_JV_TRUE && v->type != TOOL_JV_FALSE)
        return fail(r, "%s: \"%s\" is not true or false", where, key);
    *out = v->type == TOOL_JV_TRUE;
    return 0;
}

/* The object whose text is s[0..n), parsed into *o (from a copy). */
static int object_text(reader *r, const char *s, size_t n, const char *where, tool_jobj *o)
{
    if (n == 0 || s[0] != '{')
        return fail(r, "%s is not an object", where);
    memcpy(r->sub, s, n);
    r->sub[n] = '\0';
    if (tool_json_object(o, r->sub) < 0)
        return fail(r, "%s: %s", where, o->err);
    return 0;
}

/* The nested object under key. */
static int object(reader *r, const tool_jobj *top, const char *key, tool_jobj *o)
{
    const tool_jpair *v = need(r, top, TOP, key, TOOL_JV_NESTED, "an object");
    char where[32];

    snprintf(where, sizeof where, "\"%s\"", key);
    return v ? object_text(r, v->s, v->n, where, o) : -1;
}

static int rows(reader *r, const tool_jobj *top, gcp__breakdown *b)
{
    tool_jobj o;

    if (object(r, top, "rows", &o) < 0)
        return -1;
    for (int i = 0; i < GCP__ROWS; i++)
        if (u64(r, &o, "\"rows\"", gcp__row_name[i], &b->row[i]) < 0)
            return -1;
    return 0;
}

static int gc(reader *r, const tool_jobj *top, gcp__breakdown *b)
{
    const char *keys[] = {"heap_size", "free", "unmapped", "obtained", "marked", "gc_no"};
    uint64_t *slots[] = {&b->gc.heap_size, &b->gc.free,   &b->gc.unmapped,
                         &b->gc.obtained,  &b->gc.marked, &b->gc.gc_no};
    uint64_t threshold;
    tool_jobj o;

    if (object(r, top, "gc", &o) < 0)
        return -1;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (u64(r, &o, "\"gc\"", keys[i], slots[i]) < 0)
            return -1;
    if (small(r, &o, "\"gc\"", "unmap_threshold", INT32_MAX, &threshold) < 0 ||
        boolean(r, &o, "\"gc\"", "collected", &b->gc.collected) < 0)
        return -1;
    b->gc.unmap_threshold = (int)threshold;
    return 0;
}

/* Optional: mallinfo2 could not be read, or the C library has none. */
static int malloc_figures(reader *r, const tool_jobj *top, gcp__breakdown *b)
{
    tool_jobj o;

    if (!tool_json_get(top, "malloc"))
        return 0;
    if (object(r, top, "malloc", &o) < 0 || u64(r, &o, "\"malloc\"", "arena", &b->malloc.arena) ||
        u64(r, &o, "\"malloc\"", "mmapped", &b->malloc.hblkhd) ||
        u64(r, &o, "\"malloc\"", "in_use", &b->malloc.in_use) ||
        u64(r, &o, "\"malloc\"", "free", &b->malloc.free))
        return -1;
    b->malloc.known = 1;
    return 0;
}

static int one_class(reader *r, const char *s, size_t n, size_t i, gcp__bd_class *c)
{
    char where[40];
    uint64_t kind, size;
    tool_jobj o;

    snprintf(where, sizeof where, "\"classes\" element %zu", i + 1);
    if (object_text(r, s, n, where, &o) < 0 || small(r, &o, where, "kind", UINT32_MAX, &kind) ||
        small(r, &o, where, "size", UINT32_MAX, &size) ||
        u64(r, &o, where, "objects", &c->objects) || u64(r, &o, where, "bytes", &c->bytes) ||
        u64(r, &o, where, "blocks", &c->blocks))
        return -1;
    c->kind = (uint32_t)kind;
    c->size = (uint32_t)size;
    return 0;
}

static int classes(reader *r, const tool_jobj *top, tool_bd *bd)
{
    const tool_jpair *v = need(r, top, TOP, "classes", TOOL_JV_NESTED, "an array");
    uint64_t all;
    size_t pos = 0, n, i = 0;
    const char *s;

    if (!v || u64(r, top, TOP, "nclasses", &all) < 0)
        return -1;
    if (v->s[0] != '[')
        return fail(r, "the object: \"classes\" is not an array");
    for (; tool_json_next_item(v, &pos, &s, &n); i++) {
        if (i < TOOL_BD_MAX_CLASSES && one_class(r, s, n, i, &bd->cls[i]) < 0)
            return -1;
    }
    if (i > all)
        return fail(r, "the object: %zu classes, but \"nclasses\" is %llu", i,
                    (unsigned long long)all);
    bd->b.classes = bd->cls;
    bd->b.nclasses = i < TOOL_BD_MAX_CLASSES ? i : TOOL_BD_MAX_CLASSES;
    return 0;
}

static int verdict(reader *r, const tool_jobj *top, gcp__breakdown *b)
{
    const tool_jpair *v = need(r, top, TOP, "verdict", TOOL_JV_STRING, "a string");

    if (!v)
        return -1;
    snprintf(b->verdict, sizeof b->verdict, "%s", v->s);
    return 0;
}

static int top_level(reader *r, char *text, tool_bd *bd)
{
    gcp__breakdown *b = &bd->b;
    tool_jobj top;

    /* the verdict's two lines stay two lines, as the library prints them */
    if (tool_json_parse(&top, text, TOOL_JSON_KEEP_NEWLINES) < 0)
        return fail(r, "the object: %s", top.err);
    if (u64(r, &top, TOP, "rss", &b->sum) || u64(r, &top, TOP, "vm_rss", &b->vm_rss) ||
        u64(r, &top, TOP, "shared", &b->map.shared) ||
        boolean(r, &top, TOP, "by_page", &b->map.by_page) || rows(r, &top, b) || gc(r, &top, b) ||
        malloc_figures(r, &top, b) || classes(r, &top, bd) || verdict(r, &top, b))
        return -1;
    b->map.total = b->sum;
    return 0;
}

int tool_bd_parse(const char *json, tool_bd *bd, char *err, size_t errsize)
{
    size_t n = strlen(json);
    char *text = malloc(2 * (n + 1));
    reader r = {NULL, err, errsize};
    int rc;

    memset(bd, 0, sizeof *bd);
    if (!text) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    memcpy(text, json, n + 1);
    r.sub = text + n + 1;
    rc = top_level(&r, text, bd);
    free(text);
    return rc;
}
