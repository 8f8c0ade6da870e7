/*
 * leak_stacks.c - the leak check by call stack (leak_stacks.h) and what
 * the report holds for it: each growing stack's text and the names of its
 * site, which the report's sites point into, freed by
 * gcp_leak_report_release.
 */
#include "collect.h"
#include "gate.h"
#include "heap_profile.h"
#include "heap_sampler.h"
#include "leak_stacks.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHO   "gcp_leak_check"
#define SLOTS (sizeof((gcp_leak_report *)0)->sites / sizeof((gcp_leak_report *)0)->sites[0])

/* What the report's sites[k] point into, for each growing stack. */
struct gcp_leak_stacks {
    struct {
        char *text;       /* gcp_leak_report_stack's */
        char *file, *func; /* the site's */
        char *type;       /* GCP_NEW's T, or NULL */
    } stack[SLOTS];
};

int gcp__stack_growth_start(gcp__stack_growth *g)
{
    memset(g, 0, sizeof *g);
    return gcp__heap_profile_own(WHO);
}

int gcp__stack_growth_add(gcp__stack_growth *g, size_t x, uint64_t *bytes, uint64_t *objects)
{
    size_t n = gcp__hs_inuse(g->bytes, g->objects, g->cap);

    while (n > g->cap) { /* stacks were added: room for them, and again */
        size_t cap = n + n / 2 + 64;
        double *b = realloc(g->bytes, cap * sizeof *b);
        if (b)
            g->bytes = b;
        double *o = b ? realloc(g->objects, cap * sizeof *o) : NULL;
        if (!o)
            return -1;
        g->objects = o;
        g->cap = cap;
        n = gcp__hs_inuse(g->bytes, g->objects, g->cap);
    }
    double sb = 0, so = 0;
    for (size_t i = 0; i < n; i++) {
        sb += g->bytes[i];
        so += g->objects[i];
    }
    *bytes = (uint64_t)(sb + 0.5);
    *objects = (uint64_t)(so + 0.5);
    return gcp__slopes_add(&g->slopes, x, g->bytes, n);
}

/* ---- symbolising the chosen stacks ------------------------------------------ */

typedef struct chosen {
    const size_t *idx;
    const double *slope;
    size_t n, seen; /* chosen stacks; samples seen so far (the stack index) */
    size_t filled;  /* chosen stacks found */
    gcp_leak_report *out;
} chosen;

/* One frame a line, depth of them: "function (file:line)", what is
 * unknown left out, the address when nothing is known. */
static char *stack_text(const gcp_pprof_module_frame *f, size_t depth)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);

    if (!fp)
        return NULL;
    for (size_t d = 0; d < depth; d++) {
        if (d)
            fputc('\n', fp);
        if (*f[d].function)
            fputs(f[d].function, fp);
        else if (!*f[d].file)
            fprintf(fp, "0x%" PRIx64, f[d].address);
        if (*f[d].file)
            fprintf(fp, "%s(%s:%d)", *f[d].function ? " " : "", f[d].file, (int)f[d].line);
    }
    if (fclose(fp) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Stack k: its text down to the gate, and its site, the innermost frame
 * with a line (else the innermost), into sites[k]. 0, or GCP_ENOMEM said. */
static int keep_stack(gcp_leak_report *out, size_t k, double slope,
                      const gcp_pprof_module_sample *s)
{
    size_t depth = 0, at = 0;

    while (depth < s->depth && !gcp__gate_contains(s->frames[depth].address))
        depth++;
    while (at < depth && !(*s->frames[at].file && s->frames[at].line > 0))
        at++;
    if (at == depth)
        at = 0;
    const gcp_pprof_module_frame *f = depth ? &s->frames[at] : NULL;
    struct gcp_leak_stacks *st = out->stacks_.p;
    st->stack[k].text = stack_text(s->frames, depth);
    st->stack[k].file = strdup(f ? f->file : "");
    st->stack[k].func = strdup(f ? f->function : "");
    st->stack[k].type = *s->type ? strdup(s->type) : NULL;
    if (!st->stack[k].text || !st->stack[k].file || !st->stack[k].func ||
        (*s->type && !st->stack[k].type))
        return gcp__fail(GCP_ENOMEM, WHO ": no memory for the growing stacks");
    out->sites[k] = (struct gcp_leak_site){st->stack[k].file, st->stack[k].func,
                                           f ? (int)f->line : 0, slope, st->stack[k].type};
    return 0;
}

static int each_stack(const gcp_pprof_module_sample *s, void *arg)
{
    chosen *c = arg;
    size_t i = c->seen++;

    for (size_t k = 0; k < c->n; k++)
        if (c->idx[k] == i) {
            c->filled++;
            int rc = keep_stack(c->out, k, c->slope[k], s);
            if (rc != 0)
                return rc;
        }
    return 0;
}

int gcp__stack_growth_finish(gcp__stack_growth *g, double threshold, gcp_leak_report *out)
{
    size_t idx[SLOTS];
    double slope[SLOTS];
    int rc = 0;

    size_t n = out ? gcp__slopes_top(&g->slopes, threshold, idx, slope, SLOTS) : 0;
    gcp__slopes_free(&g->slopes);
    free(g->bytes);
    free(g->objects);
    memset(g, 0, sizeof *g);
    chosen c = {idx, slope, n, 0, 0, out};
    if (n && !(out->stacks_.p = calloc(1, sizeof *out->stacks_.p)))
        n = 0, rc = gcp__fail(GCP_ENOMEM, WHO ": no memory for the growing stacks");
    /* Every path gives the profile back; symbols only for stacks to name. */
    int taken = gcp__heap_profile_release(WHO, n ? each_stack : NULL, &c);
    if (rc == 0)
        rc = taken;
    if (rc == 0 && c.filled != n)
        rc = gcp__fail(GCP_EIO, WHO ": %zu of %zu growing stacks not in the profile's dump",
                       n - c.filled, n);
    if (out) {
        out->n_sites = rc == 0 ? n : 0;
        if (rc != 0)
            gcp_leak_report_release(out);
    }
    return rc;
}

/* ---- the report's side -------------------------------------------------------- */

const char *gcp_leak_report_stack(const gcp_leak_report *r, size_t i)
{
    const struct gcp_leak_stacks *st = r ? r->stacks_.p : NULL;

    return st && i < r->n_sites && i < SLOTS ? st->stack[i].text : NULL;
}

void gcp_leak_report_release(gcp_leak_report *r)
{
    struct gcp_leak_stacks *st = r ? r->stacks_.p : NULL;

    if (!st)
        return;
    for (size_t k = 0; k < SLOTS; k++) {
        free(st->stack[k].text);
        free(st->stack[k].file);
        free(st->stack[k].func);
        free(st->stack[k].type);
    }
    free(st);
    r->stacks_.p = NULL;
    memset(r->sites, 0, sizeof r->sites);
    r->n_sites = 0;
}
