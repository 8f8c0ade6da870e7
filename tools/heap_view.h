/*
 * heap_view.h - what `gcprof top`, `gcprof flame` and `gcprof diff` make of
 * heap profiles (pprof/heap_model.h): names and values as printed
 * (heap_names.c), a string index (heap_index.c), the flat/cum table
 * (heap_top.c), the flame graph's tree and layout (heap_flame.c) and the
 * growth between two profiles by stack (heap_diff.c). All of it is pure:
 * no output, no messages, no files; each maker returns 0, or -1 when out
 * of memory (then its result holds nothing to free, and its _free is a
 * no-op on it). The commands' own files (cmd_top.c, cmd_flame.c,
 * flame_svg.c, cmd_diff.c) print, and heap_cmd.c has what they share.
 *
 * Which value: one of heap_model.h's PPROF_* indexes, called vi here.
 * Samples count as they stand (their values are already scaled estimates).
 */
#ifndef TOOL_HEAP_VIEW_H
#define TOOL_HEAP_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "heap_model.h"

/* ---- names and values (heap_names.c) ---------------------------------- */

/* "in-use space", "in-use objects", "allocated space", "allocated objects". */
const char *tool_hv_value_name(int vi);
/* pprof's sample type name: "inuse_space", ... */
const char *tool_hv_type_name(int vi);
/* What the value counts, one line without a full stop. */
const char *tool_hv_meaning(int vi);
/* 1 for the space values (bytes), 0 for the object counts. */
int tool_hv_is_bytes(int vi);

/* v as printed into buf: bytes as "512 B", "1.5 KiB", "3.0 MiB", "2.1 GiB"
 * (one decimal, 1024-based), counts as integers; raw: always the exact
 * integer. plus: a '+' before positive values (growth). */
const char *tool_hv_format(char *buf, size_t size, int64_t v, int bytes, int raw, int plus);

/* The name a frame goes by: its function, else its address ("0x4011a0"),
 * else "?". With line: "FUNCTION FILE:LINE" (FILE's last component; the
 * line left out when unknown). Into buf, which it returns. */
const char *tool_hv_frame_name(const pprof_frame *f, int line, char *buf, size_t size);

/* a + b, held at INT64_MIN / INT64_MAX: a hostile file's values never
 * overflow a sum (signed overflow is undefined). */
static inline int64_t tool_hv_add(int64_t a, int64_t b)
{
    int64_t r;

    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* a - b, held likewise. */
static inline int64_t tool_hv_sub(int64_t a, int64_t b)
{
    int64_t r;

    if (__builtin_sub_overflow(a, b, &r))
        return a > b ? INT64_MAX : INT64_MIN;
    return r;
}

/* How many of sample s's frames lie within p's (a reader checks; the
 * views check too). */
static inline size_t tool_hv_depth(const pprof_profile *p, const pprof_sample *s)
{
    if (s->first >= p->nframes)
        return 0;
    return s->depth <= p->nframes - s->first ? s->depth : p->nframes - s->first;
}

/* The name samples without frames are counted under. */
#define TOOL_HV_NO_STACK "[no stack]"

/* ---- a string index (heap_index.c) ------------------------------------ */

/* Maps byte strings to dense ids 0, 1, 2... in the order first put; keeps
 * its own copy of each (with a NUL after it). Zero is an empty index. */
typedef struct tool_hidx {
    char **keys;
    size_t *lens;
    size_t n;         /* ids in use */
    uint32_t *slots;  /* private: id + 1, 0 empty */
    size_t cap, kcap; /* private */
} tool_hidx;

/* The id of key[0..len), added when new. Returns 1 added, 0 found, -1 out
 * of memory (the index unchanged). */
int tool_hidx_put(tool_hidx *h, const void *key, size_t len, uint32_t *id);
/* The id of key, or -1 when absent. */
int64_t tool_hidx_find(const tool_hidx *h, const void *key, size_t len);
void tool_hidx_free(tool_hidx *h);

/* Interns every frame's name (tool_hv_frame_name) into names; ids[i] is
 * frame i's. The caller frees *ids. Returns 0 or -1. */
int tool_hv_frame_ids(const pprof_profile *p, int line, tool_hidx *names, uint32_t **ids);

/* ---- the flat/cum table (heap_top.c) ---------------------------------- */

typedef struct tool_top_row {
    const char *name; /* the function (or function and line); owned by the table */
    int64_t flat;     /* samples whose innermost frame is this one */
    int64_t cum;      /* samples with it anywhere in the stack, once per stack */
} tool_top_row;

typedef struct tool_top {
    tool_top_row *rows;
    size_t nrows;
    int64_t total;   /* every sample's value: the rows' flats add up to it */
    size_t nsamples; /* the samples read (those without frames included) */
    tool_hidx names; /* private */
} tool_top;

/* The table of p's value vi, by function or (line) by function and line,
 * sorted by flat (by_cum: by cum), then flat or cum, then name. */
int tool_top_make(const pprof_profile *p, int vi, int line, int by_cum, tool_top *out);
void tool_top_free(tool_top *t);

/* ---- the flame graph (heap_flame.c) ----------------------------------- */

/* A node: one function at the end of one stack prefix; the root (node 0)
 * is "all". Samples of value <= 0 are left out (a width cannot be less). */
typedef struct tool_flame_node {
    const char *name;
    uint32_t parent;                 /* the root's is 0 */
    uint32_t depth;                  /* the root's is 0 */
    int64_t total;                   /* the samples through it */
    int64_t self;                    /* those that end here */
    double x, width;                 /* set by tool_flame_layout, in px */
    uint32_t first_child, nchildren; /* in order[], sorted by name */
    uint32_t name_id;                /* private */
} tool_flame_node;

typedef struct tool_flame {
    tool_flame_node *nodes;
    size_t nnodes;
    uint32_t *order; /* the children of every node, each node's by name */
    uint32_t max_depth;
    tool_hidx names; /* private */
} tool_flame;

int tool_flame_make(const pprof_profile *p, int vi, tool_flame *out);
/* Sets every node's x and width: the root spans [x0, x0 + width), each
 * child's width is its share of its parent's, children side by side from
 * their parent's x, by name. */
void tool_flame_layout(tool_flame *f, double x0, double width);
void tool_flame_free(tool_flame *f);

/* ---- what grew (heap_diff.c) ------------------------------------------ */

/* A stack of function names (and the sample's kind), in either profile. */
typedef struct tool_diff_stack {
    int64_t old_v, new_v;   /* 0 in a profile without the stack */
    const uint32_t *frames; /* name ids, innermost first */
    size_t depth;
    const char *kind; /* "" when the profiles have none */
    uint32_t seen;    /* private: the order first seen, OLD then NEW */
} tool_diff_stack;

typedef struct tool_diff_func {
    const char *name;
    int64_t flat, cum; /* growth: as innermost frame, anywhere (once a stack) */
} tool_diff_func;

typedef struct tool_diff {
    tool_diff_stack *stacks; /* by growth (new - old), most first */
    size_t nstacks;
    tool_diff_func *funcs; /* by flat growth, then cum growth, then name */
    size_t nfuncs;
    int64_t old_total, new_total;
    tool_hidx names; /* the ids of frames[] (tool_diff_name) */
    tool_hidx keys;  /* private */
} tool_diff;

int tool_diff_make(const pprof_profile *old_p, const pprof_profile *new_p, int vi, tool_diff *out);
const char *tool_diff_name(const tool_diff *d, uint32_t id);
void tool_diff_free(tool_diff *d);

#endif /* TOOL_HEAP_VIEW_H */
