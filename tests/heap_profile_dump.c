/*
 * heap_profile_dump.c - the heap profile suites' reader of a raw dump
 * (heap_profile_dump.h): a parser of the test's own, not the library's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap_profile_dump.h"

void hp_dump_free(hp_dump *d)
{
    free(d->stacks);
    memset(d, 0, sizeof *d);
}

/* The innermost frame's function, as the symboliser would find it
 * (address - 1: the call, not what follows it). */
static void name_frame(uintptr_t pc, char *out, size_t size)
{
    Dl_info info;

    if (pc && dladdr((void *)(pc - 1), &info) && info.dli_sname)
        snprintf(out, size, "%s", info.dli_sname);
    else
        snprintf(out, size, "?");
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;

    if (!s)
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

/* Reads path into *d: NULL, or what is wrong with it (a static message;
 * no Check calls, so that a forked child can use it). */
const char *hp_read(const char *path, hp_dump *d)
{
    static char why[512];
    FILE *fp = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0;

    memset(d, 0, sizeof *d);
    if (!fp) {
        snprintf(why, sizeof why, "%s: %s", path, strerror(errno));
        return why;
    }
    why[0] = '\0';
    while ((len = getline(&line, &cap, fp)) > 0 && !why[0]) {
        lineno++;
        if (line[len - 1] != '\n') {
            snprintf(why, sizeof why, "line %d: no newline", lineno);
            break;
        }
        line[len - 1] = '\0';
        char *save = NULL, *rec = strtok_r(line, " ", &save);
        if (lineno == 1) {
            char *v = strtok_r(NULL, " ", &save);
            if (!rec || strcmp(rec, "gcprof-heap-dump") != 0 || !v || strcmp(v, "1") != 0)
                snprintf(why, sizeof why, "line 1 is not \"gcprof-heap-dump 1\"");
            d->version = 1;
            continue;
        }
        if (!rec)
            continue;
        if (strcmp(rec, "rate") == 0) {
            int64_t r = 0;
            if (parse_i64(strtok_r(NULL, " ", &save), &r) != 0 || r < 1)
                snprintf(why, sizeof why, "line %d: bad rate", lineno);
            d->rate = (uint64_t)r;
        } else if (strcmp(rec, "pid") == 0) {
            int64_t p = 0;
            if (parse_i64(strtok_r(NULL, " ", &save), &p) != 0)
                snprintf(why, sizeof why, "line %d: bad pid", lineno);
            d->pid = (long)p;
        } else if (strcmp(rec, "gc_no") == 0) {
            int64_t g = 0;
            if (parse_i64(strtok_r(NULL, " ", &save), &g) != 0 || g < 0)
                snprintf(why, sizeof why, "line %d: bad gc_no", lineno);
            d->gc_no = (unsigned long)g;
            d->have_gc_no = 1;
        } else if (strcmp(rec, "map") == 0) {
            d->maps++;
        } else if (strcmp(rec, "stack") == 0) {
            if (d->n == d->cap) {
                d->cap = d->cap ? 2 * d->cap : 64;
                d->stacks = realloc(d->stacks, d->cap * sizeof *d->stacks);
                if (!d->stacks)
                    abort();
            }
            hp_stack *s = &d->stacks[d->n];
            memset(s, 0, sizeof *s);
            char *kind = strtok_r(NULL, " ", &save);
            if (!kind || strlen(kind) >= sizeof s->kind) {
                snprintf(why, sizeof why, "line %d: bad kind", lineno);
                break;
            }
            snprintf(s->kind, sizeof s->kind, "%s", kind);
            for (int k = 0; k < 4; k++)
                if (parse_i64(strtok_r(NULL, " ", &save), &s->v[k]) != 0 || s->v[k] < 0) {
                    snprintf(why, sizeof why, "line %d: bad count %d", lineno, k + 1);
                    break;
                }
            if (why[0])
                break;
            for (char *pc; (pc = strtok_r(NULL, " ", &save)) != NULL;) {
                char *end;
                uintptr_t a = (uintptr_t)strtoull(pc, &end, 16);
                if (*end || end == pc) {
                    snprintf(why, sizeof why, "line %d: bad address %s", lineno, pc);
                    break;
                }
                if (s->depth == 0)
                    name_frame(a, s->site, sizeof s->site);
                s->depth++;
            }
            if (!why[0] && s->depth == 0)
                snprintf(why, sizeof why, "line %d: a stack without addresses", lineno);
            d->n++;
        }
    }
    if (!why[0] && lineno == 0)
        snprintf(why, sizeof why, "%s is empty", path);
    free(line);
    fclose(fp);
    return why[0] ? why : NULL;
}

/* The kind field's TYPE, %XX decoded, or "" when there is none. */
void kind_type(const char *field, char *out, size_t size)
{
    const char *c = strchr(field, ':');
    size_t n = 0;

    if (c)
        for (c++; *c && n + 1 < size; c++) {
            unsigned hex;
            if (*c == '%' && sscanf(c + 1, "%2x", &hex) == 1) {
                out[n++] = (char)hex;
                c += 2;
            } else {
                out[n++] = *c;
            }
        }
    out[n] = '\0';
}

tally site_tally(const hp_dump *d, const char *site, const char *kind)
{
    tally t;

    memset(&t, 0, sizeof t);
    for (size_t i = 0; i < d->n; i++) {
        const hp_stack *s = &d->stacks[i];
        if (strcmp(s->site, site) != 0)
            continue;
        t.stacks++;
        for (int k = 0; k < 4; k++)
            t.v[k] += s->v[k];
        if (kind && strcmp(s->kind, kind) != 0) {
            t.other_kinds++;
            snprintf(t.other_kind, sizeof t.other_kind, "%s", s->kind);
        }
    }
    return t;
}

/* Stacks that allocated and belong to none of the sites: the first one
 * described in why. */
int foreign_stacks(const hp_dump *d, const char *const *sites, size_t nsites, char *why,
                   size_t size)
{
    int n = 0;

    why[0] = '\0';
    for (size_t i = 0; i < d->n; i++) {
        const hp_stack *s = &d->stacks[i];
        int ours = 0;
        for (size_t k = 0; k < nsites && !ours; k++)
            ours = strcmp(s->site, sites[k]) == 0;
        if (ours || (s->v[ALLOC_OBJECTS] == 0 && s->v[INUSE_OBJECTS] == 0))
            continue;
        if (!n++)
            snprintf(why, size, "stack %s %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " at %s",
                     s->kind, s->v[0], s->v[1], s->v[2], s->v[3], s->site);
    }
    return n;
}
