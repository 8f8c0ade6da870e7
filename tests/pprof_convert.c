/*
 * pprof_convert.c - the pprof layer from the command line, for the shell
 * tests (tests/check_pprof_go.sh):
 *
 *     pprof_convert RAW OUT     dump read, symbolised, written as pprof
 *     pprof_convert --top FILE  a pprof file read: per innermost function,
 *                               "function alloc_objects alloc_space
 *                               inuse_objects inuse_space", by alloc_space
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprof.h"

typedef struct row {
    const char *function;
    int64_t value[PPROF_NVALUES];
} row;

static int by_space(const void *a, const void *b)
{
    const row *x = a, *y = b;

    if (x->value[PPROF_ALLOC_SPACE] != y->value[PPROF_ALLOC_SPACE])
        return x->value[PPROF_ALLOC_SPACE] > y->value[PPROF_ALLOC_SPACE] ? -1 : 1;
    return strcmp(x->function, y->function);
}

static int top(const char *path)
{
    char err[512];
    pprof_profile p;
    row *rows;
    size_t n = 0;

    if (pprof_read(path, &p, err, sizeof err) != 0) {
        fprintf(stderr, "pprof_convert: %s\n", err);
        return 1;
    }
    if (!(rows = calloc(p.nsamples + 1, sizeof *rows)))
        return 1;
    for (size_t i = 0; i < p.nsamples; i++) {
        const pprof_sample *s = &p.samples[i];
        const char *fn = s->depth ? p.frames[s->first].function : "";
        size_t r = 0;
        while (r < n && strcmp(rows[r].function, fn) != 0)
            r++;
        if (r == n)
            rows[n++].function = fn;
        for (int k = 0; k < PPROF_NVALUES; k++)
            rows[r].value[k] += s->value[k];
    }
    qsort(rows, n, sizeof *rows, by_space);
    for (size_t r = 0; r < n; r++)
        printf("%s %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 "\n",
               rows[r].function[0] ? rows[r].function : "?", rows[r].value[0], rows[r].value[1],
               rows[r].value[2], rows[r].value[3]);
    free(rows);
    pprof_profile_free(&p);
    return 0;
}

static int convert(const char *raw_path, const char *out)
{
    char err[512];
    pprof_raw raw;
    pprof_profile p;
    int rc = 1;

    if (pprof_dump_read(raw_path, &raw, err, sizeof err) != 0) {
        fprintf(stderr, "pprof_convert: %s\n", err);
        return 1;
    }
    if (pprof_symbolize(&raw, &p, err, sizeof err) != 0)
        fprintf(stderr, "pprof_convert: %s\n", err);
    else if (pprof_write(&p, out, err, sizeof err) != 0)
        fprintf(stderr, "pprof_convert: %s\n", err);
    else
        rc = 0;
    for (size_t i = 0; rc == 0 && i < p.ncomments; i++)
        printf("comment: %s\n", p.comments[i]);
    pprof_profile_free(&p);
    pprof_raw_free(&raw);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--top") == 0)
        return top(argv[2]);
    if (argc == 3)
        return convert(argv[1], argv[2]);
    fprintf(stderr, "usage: pprof_convert RAW OUT | pprof_convert --top FILE\n");
    return 2;
}
