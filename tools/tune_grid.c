/*
 * tune_grid.c - the settings `gcprof tune` tries, in one table, and the
 * configs made of them. Each is an environment variable bdwgc 8.2 reads
 * once, in GC_init; unset is bdwgc's own default.
 */
#include "tune.h"

#include <stdlib.h>
#include <string.h>

const tool_tune_axis tool_tune_axes[TOOL_TUNE_AXES] = {
    /* the heap grows rather than collect until it is about 1/N free */
    {"GC_FREE_SPACE_DIVISOR", "divisor", "3", {"2", "5", "8", NULL}},
    /* the heap it starts with (bytes, K, M or G) */
    {"GC_INITIAL_HEAP_SIZE", "heap", "64 KiB", {"64M", "256M", NULL}},
    /* marker threads (parallel-mark builds, as Debian's) */
    {"GC_MARKERS", "markers", "one per CPU, at most 16", {"1", "2", NULL}},
    /* collections a free block waits before it goes back to the OS; 0 never */
    {"GC_UNMAP_THRESHOLD", "unmap", "6", {"0", "1", NULL}},
    /* incremental, generational collection (mprotect or soft-dirty bits) */
    {"GC_ENABLE_INCREMENTAL", "incremental", "off", {"1", NULL}},
};

static size_t nvalues(const tool_tune_axis *a)
{
    size_t n = 0;

    while (n < sizeof a->values / sizeof a->values[0] && a->values[n])
        n++;
    return n;
}

size_t tool_tune_grid_size(int full)
{
    size_t n = 1;

    for (size_t i = 0; i < TOOL_TUNE_AXES; i++)
        n = full ? n * (nvalues(&tool_tune_axes[i]) + 1) : n + nvalues(&tool_tune_axes[i]);
    return n;
}

/* Appends s to buf[size] (cut if it must be). */
static void append(char *buf, size_t size, const char *s)
{
    size_t n = strlen(buf);

    if (n < size - 1)
        strncat(buf, s, size - 1 - n);
}

/* The label, the assignments and the environment of c's picks. */
static void describe(tool_tune_config *c)
{
    c->label[0] = c->assign[0] = '\0';
    for (size_t i = 0; i < TOOL_TUNE_AXES; i++) {
        const tool_tune_axis *a = &tool_tune_axes[i];
        c->env[i] = c->env_text[i];
        if (!c->pick[i]) { /* unset: an outer setting is not the default */
            snprintf(c->env_text[i], sizeof c->env_text[i], "%s", a->var);
            continue;
        }
        const char *v = a->values[c->pick[i] - 1];
        char part[64];
        snprintf(c->env_text[i], sizeof c->env_text[i], "%s=%s", a->var, v);
        if (nvalues(a) == 1) /* a switch, on: its name says it */
            snprintf(part, sizeof part, "%s%s", c->label[0] ? " " : "", a->name);
        else
            snprintf(part, sizeof part, "%s%s=%s", c->label[0] ? " " : "", a->name, v);
        append(c->label, sizeof c->label, part);
        if (c->assign[0])
            append(c->assign, sizeof c->assign, " ");
        append(c->assign, sizeof c->assign, c->env_text[i]);
    }
    c->env[TOOL_TUNE_AXES] = NULL;
    if (!c->label[0])
        snprintf(c->label, sizeof c->label, "default");
}

/* Full grid: config k's picks are k's digits, axis by axis, in the mixed
 * radix of (values + 1): k = 0 is the defaults. */
static void full_picks(tool_tune_config *c, size_t k)
{
    for (size_t i = TOOL_TUNE_AXES; i-- > 0;) {
        size_t radix = nvalues(&tool_tune_axes[i]) + 1;
        c->pick[i] = (unsigned char)(k % radix);
        k /= radix;
    }
}

int tool_tune_grid_make(int full, tool_tune_config **out, size_t *n)
{
    size_t total = tool_tune_grid_size(full), k = 1;
    tool_tune_config *c = calloc(total, sizeof *c);

    if (!c)
        return -1;
    if (full) {
        for (k = 0; k < total; k++)
            full_picks(&c[k], k);
    } else { /* c[0] is the defaults; then one axis at a time */
        for (size_t i = 0; i < TOOL_TUNE_AXES; i++)
            for (size_t v = 0; v < nvalues(&tool_tune_axes[i]); v++)
                c[k++].pick[i] = (unsigned char)(v + 1);
    }
    for (k = 0; k < total; k++)
        describe(&c[k]);
    *out = c;
    *n = total;
    return 0;
}
