/*
 * timeline_jsonl.c - one line of a JSON-lines timeline: a flat object
 * (json_flat.c) holding one record of doc/timeline-formats.md. Unknown keys
 * and record types are skipped; the keys the format promises are required.
 */
#include "timeline_parse.h"
#include "json_flat.h"
#include "units.h"

#include <string.h>

#define MAX_LEVEL 100000

/* ---- records ---------------------------------------------------------- */

static const tool_jpair *need(tool_tl_ctx *c, const tool_jobj *o, const char *key,
                              tool_jv_type type, const char *what)
{
    const tool_jpair *v = tool_json_get(o, key);

    if (!v)
        tool_tl_fail(c, "\"%s\" record without the \"%s\" key", tool_json_get(o, "type")->s, key);
    else if (v->type != type)
        tool_tl_fail(c, "\"%s\" is not %s", key, what);
    else
        return v;
    return NULL;
}

/* A time, duration or MiB value: finite, 0 to TOOL_TL_MAX_VALUE. */
static int num(tool_tl_ctx *c, const tool_jobj *o, const char *key, double *out)
{
    const tool_jpair *v = need(c, o, key, TOOL_JV_NUMBER, "a number");

    if (!v)
        return -1;
    if (tool_tl_parse_double(v->s, v->n, out) < 0)
        return tool_tl_fail(c, "\"%s\" is out of range", key);
    if (*out < 0)
        return tool_tl_fail(c, "\"%s\" is negative", key);
    if (*out > TOOL_TL_MAX_VALUE)
        return tool_tl_fail(c, "\"%s\" is above 1e13", key);
    return 0;
}

static int u64(tool_tl_ctx *c, const tool_jobj *o, const char *key, uint64_t *out)
{
    const tool_jpair *v = need(c, o, key, TOOL_JV_NUMBER, "a number");

    if (!v)
        return -1;
    if (tool_tl_parse_u64(v->s, v->n, out) < 0)
        return tool_tl_fail(c, "\"%s\" is not a whole number >= 0 (or is too big)", key);
    return 0;
}

static int mib(tool_tl_ctx *c, const tool_jobj *o, const char *key, double *out)
{
    uint64_t bytes;

    if (u64(c, o, key, &bytes) < 0)
        return -1;
    *out = (double)bytes / GCP__MIB_F;
    return 0;
}

static int level(tool_tl_ctx *c, const tool_jobj *o, int *out)
{
    uint64_t v;

    if (u64(c, o, "level", &v) < 0)
        return -1;
    if (v > MAX_LEVEL)
        return tool_tl_fail(c, "\"level\" is over %d", MAX_LEVEL);
    *out = (int)v;
    return 0;
}

static int str(tool_tl_ctx *c, const tool_jobj *o, const char *key, const char **out)
{
    const tool_jpair *v = need(c, o, key, TOOL_JV_STRING, "a string");

    return v ? (*out = v->s, 0) : -1;
}

static int boolean(tool_tl_ctx *c, const tool_jobj *o, const char *key, int *out)
{
    const tool_jpair *v = tool_json_get(o, key);

    if (!v)
        return tool_tl_fail(c, "\"%s\" record without the \"%s\" key", tool_json_get(o, "type")->s,
                            key);
    if (v->type != TOOL_JV_TRUE && v->type != TOOL_JV_FALSE)
        return tool_tl_fail(c, "\"%s\" is not true or false", key);
    *out = v->type == TOOL_JV_TRUE;
    return 0;
}

static int pid_key(tool_tl_ctx *c, const tool_jobj *o, const char *key, long *out)
{
    uint64_t v;

    if (u64(c, o, key, &v) < 0)
        return -1;
    if (v > 0x7fffffff)
        return tool_tl_fail(c, "\"%s\" is not a process id", key);
    *out = (long)v;
    return 0;
}

/* An optional pid: absent is fine (left 0), present must be right. */
static int opt_pid(tool_tl_ctx *c, const tool_jobj *o, const char *key, long *out)
{
    return tool_json_get(o, key) ? pid_key(c, o, key, out) : 0;
}

static int meta_rec(tool_tl_ctx *c, const tool_jobj *o)
{
    uint64_t version, pid;
    double start, interval;
    const char *cmdline;

    if (u64(c, o, "version", &version) || str(c, o, "cmdline", &cmdline) ||
        u64(c, o, "pid", &pid) || num(c, o, "start", &start) || num(c, o, "interval", &interval))
        return -1;
    if (version == 0)
        return tool_tl_fail(c, "\"version\" is 0");
    if (pid > 0x7fffffff)
        return tool_tl_fail(c, "\"pid\" is not a process id");
    if (tool_tl_set_cmdline(c, cmdline) < 0)
        return -1;
    return tool_tl_set_meta(c, (long)pid, start, interval);
}

static int sample_rec(tool_tl_ctx *c, const tool_jobj *o)
{
    static const char *const heap_keys[] = {"heap_size", "free_bytes", "unmapped_bytes", "gc_no",
                                            "bytes_allocated"};
    tool_tl_sample s = {0};
    uint64_t *heap[] = {&s.heap_size, &s.free_bytes, &s.unmapped_bytes, &s.gc_no,
                        &s.bytes_allocated};

    if (num(c, o, "t", &s.t) < 0)
        return -1;
    if ((s.has_rss = tool_json_get(o, "rss") != NULL) && mib(c, o, "rss", &s.rss_mib) < 0)
        return -1;
    /* the heap keys come all together, or not at all */
    if ((s.has_heap = tool_json_get(o, "heap_size") || tool_json_get(o, "free_bytes"))) {
        for (int i = 0; i < 5; i++)
            if (u64(c, o, heap_keys[i], heap[i]) < 0)
                return -1;
    }
    if (!s.has_rss && !s.has_heap)
        return tool_tl_fail(c, "\"sample\" record with neither \"rss\" nor the heap keys");
    if (opt_pid(c, o, "pid", &s.pid) < 0)
        return -1;
    return tool_tl_add_sample(c, &s);
}

static int gc_rec(tool_tl_ctx *c, const tool_jobj *o)
{
    gcp_tl_gc g = {0};

    if ((g.has_live = tool_json_get(o, "live") != NULL) && u64(c, o, "live", &g.live) < 0)
        return -1;
    if (opt_pid(c, o, "pid", &g.pid) < 0)
        return -1;
    if (u64(c, o, "n", &g.n) || num(c, o, "t", &g.t) || num(c, o, "pause", &g.pause) ||
        num(c, o, "mark", &g.mark) || num(c, o, "reclaim", &g.reclaim) ||
        num(c, o, "total", &g.total) || u64(c, o, "heap_before", &g.heap_before) ||
        u64(c, o, "heap_after", &g.heap_after) || boolean(c, o, "forced", &g.forced))
        return -1;
    return tool_tl_add_gc(c, &g);
}

static int enter_rec(tool_tl_ctx *c, const tool_jobj *o)
{
    const char *name;
    double t, rss;
    int lv = 0;

    if (num(c, o, "t", &t) || level(c, o, &lv) || mib(c, o, "rss", &rss) ||
        str(c, o, "name", &name))
        return -1;
    return tool_tl_add_enter(c, name, lv, t, rss);
}

static int exit_rec(tool_tl_ctx *c, const tool_jobj *o)
{
    tool_tl_func f = {0};
    const char *name;

    if (num(c, o, "t", &f.end) || level(c, o, &f.level) || mib(c, o, "rss", &f.rss_end_mib) ||
        str(c, o, "name", &name) || num(c, o, "start", &f.start) ||
        mib(c, o, "rss_start", &f.rss_start_mib))
        return -1;
    f.name = (char *)name; /* copied by the adder */
    return tool_tl_add_exit(c, &f);
}

static int label_rec(tool_tl_ctx *c, const tool_jobj *o)
{
    const char *text;
    double t;

    if (num(c, o, "t", &t) || str(c, o, "text", &text))
        return -1;
    return tool_tl_add_label(c, t, text);
}

static int end_rec(tool_tl_ctx *c, const tool_jobj *o)
{
    double t;

    return num(c, o, "t", &t) ? -1 : tool_tl_set_end(c, t);
}

static int image_rec(tool_tl_ctx *c, const tool_jobj *o)
{
    const char *exe;
    double t;
    long pid = 0, ppid = 0;

    if (num(c, o, "t", &t) || pid_key(c, o, "pid", &pid) || pid_key(c, o, "ppid", &ppid) ||
        str(c, o, "exe", &exe))
        return -1;
    return tool_tl_add_image(c, t, pid, ppid, exe);
}

static int child_rec(tool_tl_ctx *c, const tool_jobj *o)
{
    tool_tl_proc p = {0};
    const char *name;

    if (num(c, o, "t", &p.t) || pid_key(c, o, "pid", &p.pid) || pid_key(c, o, "ppid", &p.ppid) ||
        boolean(c, o, "followed", &p.followed) || str(c, o, "name", &name))
        return -1;
    p.name = (char *)name; /* copied by the adder */
    return tool_tl_add_proc(c, &p);
}

static int lost_rec(tool_tl_ctx *c, const tool_jobj *o)
{
    double t;
    long pid = 0;

    if (num(c, o, "t", &t) || pid_key(c, o, "pid", &pid))
        return -1;
    return tool_tl_add_lost(c, t, pid);
}

static int status_rec(tool_tl_ctx *c, const tool_jobj *o)
{
    gcp_tl_status st = {0};
    uint64_t code;

    if (num(c, o, "t", &st.t) || pid_key(c, o, "pid", &st.pid) ||
        u64(c, o, "maxrss", &st.maxrss) || boolean(c, o, "core", &st.core))
        return -1;
    st.signaled = tool_json_get(o, "signal") != NULL;
    if (!st.signaled && !tool_json_get(o, "exit"))
        return tool_tl_fail(c, "\"status\" record with neither \"exit\" nor \"signal\"");
    if (u64(c, o, st.signaled ? "signal" : "exit", &code) < 0)
        return -1;
    if (code > (st.signaled ? 127u : 255u))
        return tool_tl_fail(c, "\"%s\" is out of range", st.signaled ? "signal" : "exit");
    st.code = (int)code;
    return tool_tl_set_status(c, &st);
}

static int breakdown_rec(tool_tl_ctx *c, const tool_jobj *o)
{
    const tool_jpair *v;
    double t;
    long pid = 0;

    if (num(c, o, "t", &t) || pid_key(c, o, "pid", &pid) ||
        !(v = need(c, o, "breakdown", TOOL_JV_NESTED, "an object")))
        return -1;
    if (v->s[0] != '{')
        return tool_tl_fail(c, "\"breakdown\" is not an object");
    return tool_tl_add_breakdown(c, t, pid, v->s, v->n);
}

static const struct {
    const char *type;
    int (*parse)(tool_tl_ctx *c, const tool_jobj *o);
} types[] = {
    {"sample", sample_rec}, {"gc", gc_rec},     {"enter", enter_rec}, {"exit", exit_rec},
    {"label", label_rec},   {"meta", meta_rec}, {"end", end_rec},     {"image", image_rec},
    {"child", child_rec},   {"lost", lost_rec}, {"status", status_rec},
    {"breakdown", breakdown_rec},
};

int tool_tl_jsonl_line(tool_tl_ctx *c, char *line)
{
    tool_jobj o;
    const tool_jpair *type;

    if (tool_json_object(&o, line) < 0)
        return tool_tl_fail(c, "%s", o.err);
    if (!(type = tool_json_get(&o, "type")))
        return tool_tl_fail(c, "object without a \"type\" key");
    if (type->type != TOOL_JV_STRING)
        return tool_tl_fail(c, "\"type\" is not a string");
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(type->s, types[i].type) == 0)
            return types[i].parse(c, &o);
    return 0; /* a record type of a later version: skipped */
}
