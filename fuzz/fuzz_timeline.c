/*
 * fuzz_timeline.c - libFuzzer target for the timeline reader behind
 * `gcprof peak`, `summary` and `plot` (tool_tl_read, both formats: it
 * picks one from the first line, as the tools do).
 *
 * The reader takes a path, so the input goes to a memfd read through
 * /proc/self/fd/N: no disk traffic, one file per process. Properties:
 * - a rejected input gives -1, a zeroed tool_tl and "PATH:N: why", where
 *   N is the line at fault: the first N lines alone fail the same way,
 *   the first N - 1 alone do not (unless only for "no samples"); errors
 *   about the whole file ("no samples", "empty file") give the last line
 *   or none ("PATH: why");
 * - a JSON error's "column C" lies within that line;
 * - an accepted input keeps the promises of timeline_read.h: samples,
 *   times in [t_min, t_max], closures that end after they start, text
 *   that is valid UTF-8 without control characters, breakdowns whose
 *   JSON the commands can read back (breakdown_json.h).
 * Crashes, leaks (LSan) and undefined behaviour are caught by the
 * sanitizers. A broken property traps, so libFuzzer saves the input.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "breakdown_json.h"
#include "timeline_read.h"

#define ERR_SIZE 512
#define CANARY   0xa5
#define NCANARY  16
/* A broken property: say which, then trap so libFuzzer keeps the input. */
#define CHECK(c) ((c) ? (void)0 : fail(__LINE__, #c))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((noreturn)) static void fail(int line, const char *what)
{
    fprintf(stderr, "fuzz_timeline.c:%d: property broken: %s\n", line, what);
    __builtin_trap();
}

static int fd = -1;
static char path[64];

static void put_file(const uint8_t *data, size_t size)
{
    if (fd < 0) {
        fd = memfd_create("fuzz_timeline", 0);
        CHECK(fd >= 0);
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    CHECK(ftruncate(fd, 0) == 0);
    CHECK(size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size);
}

/* ---- a rejected input -------------------------------------------------- */

/* Lines as the reader counts them: one per '\n', plus a last one without. */
static unsigned long count_lines(const uint8_t *data, size_t size)
{
    unsigned long n = 0;

    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    return n + (size > 0 && data[size - 1] != '\n');
}

/* The offset where line n (1-based) starts, or size. */
static size_t line_start(const uint8_t *data, size_t size, unsigned long n)
{
    size_t i = 0;

    for (unsigned long l = 1; l < n && i < size; i++)
        l += data[i] == '\n';
    return i;
}

/* Errors about the file as a whole, given at its last line. */
static int whole_file_error(const char *why)
{
    return strncmp(why, "no samples", 10) == 0 || strncmp(why, "empty file", 10) == 0;
}

/* Read data[0..size) into a fresh tool_tl; returns the result and err. */
static int read_input(const uint8_t *data, size_t size, tool_tl *tl, char *err)
{
    unsigned char buf[ERR_SIZE + NCANARY];
    int rc;

    put_file(data, size);
    memset(buf, CANARY, sizeof buf);
    rc = tool_tl_read(path, tl, (char *)buf, ERR_SIZE);
    for (size_t i = ERR_SIZE; i < sizeof buf; i++)
        CHECK(buf[i] == CANARY);
    CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        CHECK(memchr(buf, '\0', ERR_SIZE) != NULL);
        memcpy(err, buf, ERR_SIZE);
    }
    return rc;
}

/* "PATH:N: why": returns N and sets *why. 0 for "PATH: why", which only
 * an error about the file as a whole may use (it has no line at fault). */
static unsigned long parse_err(const char *err, const char **why)
{
    size_t plen = strlen(path);
    const char *p = err + plen + 1;
    char *end;
    unsigned long n;

    CHECK(strncmp(err, path, plen) == 0 && err[plen] == ':');
    if (*p == ' ') {
        *why = p + 1;
        CHECK(whole_file_error(*why));
        return 0;
    }
    CHECK(*p >= '1' && *p <= '9'); /* plain digits, no sign or blank */
    n = strtoul(p, &end, 10);
    CHECK(end[0] == ':' && end[1] == ' ' && end[2] != '\0');
    *why = end + 2;
    return n;
}

static int all_zero(const tool_tl *tl)
{
    static const tool_tl zero;

    return memcmp(tl, &zero, sizeof zero) == 0;
}

/* json_flat's "column C: ..." must point into the line (or just past it). */
static void check_column(const uint8_t *data, size_t size, unsigned long n, const char *why)
{
    size_t start = line_start(data, size, n), len = 0;
    unsigned long col;

    if (strncmp(why, "column ", 7) != 0)
        return;
    CHECK(sscanf(why + 7, "%lu:", &col) == 1);
    while (start + len < size && data[start + len] != '\n')
        len++;
    CHECK(col >= 1 && col <= len + 1);
}

static void check_rejected(const uint8_t *data, size_t size, const char *err)
{
    unsigned long lines = count_lines(data, size), n, n_before;
    char again[ERR_SIZE];
    const char *why;
    tool_tl tl;
    size_t cut;

    n = parse_err(err, &why);
    if (whole_file_error(why)) {
        CHECK(n == 0 || n == (lines ? lines : 1)); /* no line, or the last */
        return;
    }
    CHECK(n >= 1 && n <= lines);
    check_column(data, size, n, why);
    /* Line n is at fault: the file cut after it fails the same way... */
    cut = line_start(data, size, n + 1);
    if (cut < size) {
        CHECK(read_input(data, cut, &tl, again) < 0 && all_zero(&tl));
        CHECK(strcmp(again, err) == 0);
    }
    /* ...and cut before it, only for want of samples, if at all. */
    cut = line_start(data, size, n);
    if (read_input(data, cut, &tl, again) == 0) {
        tool_tl_free(&tl);
        return;
    }
    CHECK(all_zero(&tl));
    n_before = parse_err(again, &why);
    CHECK(whole_file_error(why) && (n_before == 0 || n_before == (n > 1 ? n - 1 : 1)));
}

/* ---- an accepted input -------------------------------------------------- */

static void check_text(const char *s)
{
    CHECK(s != NULL);
    while (*s) {
        size_t len = tool_tl_utf8_len(s);
        CHECK(len > 0 && (unsigned char)*s >= 0x20 && *s != 0x7f);
        s += len;
    }
}

static int in_span(const tool_tl *tl, double t)
{
    return isfinite(t) && t >= tl->t_min && t <= tl->t_max;
}

static void check_accepted(const uint8_t *data, size_t size, const tool_tl *tl)
{
    size_t first = strspn((const char *)data, " \t\r");

    CHECK(tl->nsamples > 0 && tl->samples);
    CHECK(tl->format == (first < size && data[first] == '{' ? GCP_TL_JSONL : GCP_TL_DAT));
    CHECK(isfinite(tl->t_min) && isfinite(tl->t_max) && tl->t_min <= tl->t_max);
    CHECK(isfinite(tl->origin) && tl->origin <= tl->t_min);
    check_text(tl->cmdline);
    for (size_t i = 0; i < tl->nsamples; i++) {
        const tool_tl_sample *s = &tl->samples[i];
        CHECK(in_span(tl, s->t) && (s->has_rss || s->has_heap));
        CHECK(!s->has_rss || (isfinite(s->rss_mib) && s->rss_mib >= 0));
    }
    for (size_t i = 0; i < tl->ngcs; i++)
        CHECK(in_span(tl, tl->gcs[i].t) && (tl->gcs[i].forced & ~1) == 0);
    for (size_t i = 0; i < tl->nfuncs; i++) {
        const tool_tl_func *f = &tl->funcs[i];
        CHECK(in_span(tl, f->start) && in_span(tl, f->end) && f->start <= f->end);
        CHECK(f->level >= 0 && f->level <= 100000 && (f->unfinished & ~1) == 0);
        check_text(f->name);
    }
    for (size_t i = 0; i < tl->nlabels; i++) {
        CHECK(in_span(tl, tl->labels[i].t));
        check_text(tl->labels[i].text);
    }
    for (size_t i = 0; i < tl->nchildren; i++) {
        CHECK(isfinite(tl->children[i].peak_mib) && tl->children[i].peak_mib >= 0);
        check_text(tl->children[i].id);
    }
    for (size_t i = 0; i < tl->nbreakdowns; i++) {
        static tool_bd bd;
        char err[160];
        CHECK(in_span(tl, tl->breakdowns[i].t) && tl->breakdowns[i].pid >= 0);
        check_text(tl->breakdowns[i].json);
        CHECK(tool_bd_parse(tl->breakdowns[i].json, &bd, err, sizeof err) == 0);
        CHECK(bd.b.nclasses <= TOOL_BD_MAX_CLASSES);
    }
    CHECK(!tl->has_end || in_span(tl, tl->end_t));
    CHECK(!tl->has_cut_rss || (tl->dropped_last_line && tl->format == GCP_TL_DAT));
}

/* ---- once, at start ------------------------------------------------------ */

/* The line limit is beyond the fuzzer's input sizes: a line of exactly
 * TOOL_TL_MAX_LINE bytes is read, one byte more is an error at its line. */
static void check_line_limit(void)
{
    static const char tail[] = "\nMEM 1.0 1700000000.0\n";
    size_t size = TOOL_TL_MAX_LINE + 1 + sizeof tail;
    uint8_t *big = malloc(size);
    char err[ERR_SIZE];
    const char *why;
    tool_tl tl;

    CHECK(big != NULL);
    for (int extra = 0; extra <= 1; extra++) {
        size_t n = TOOL_TL_MAX_LINE + (size_t)extra;

        memcpy(big, "UNKNOWN ", 8);
        memset(big + 8, 'a', n - 8);        /* an unknown tag: skipped when read */
        memcpy(big + n, tail, sizeof tail); /* with its NUL, for the checks */
        if (!extra) {
            CHECK(read_input(big, n + sizeof tail - 1, &tl, err) == 0 && tl.nsamples == 1);
            tool_tl_free(&tl);
            continue;
        }
        CHECK(read_input(big, n + sizeof tail - 1, &tl, err) < 0 && all_zero(&tl));
        CHECK(parse_err(err, &why) == 1 && strncmp(why, "line longer than", 16) == 0);
    }
    free(big);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    check_line_limit();
    return 0;
}

/* ---- the target ---------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[ERR_SIZE];
    tool_tl tl;
    uint8_t *copy;

    /* The checks treat the input as text: give them a terminated copy. */
    if (!(copy = malloc(size + 1)))
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    if (read_input(copy, size, &tl, err) < 0) {
        CHECK(all_zero(&tl));
        check_rejected(copy, size, err);
    } else {
        check_accepted(copy, size, &tl);
        tool_tl_free(&tl);
        CHECK(all_zero(&tl));
    }
    free(copy);
    return 0;
}
