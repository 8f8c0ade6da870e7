/*
 * fuzz_plot.c - libFuzzer target for what `gcprof summary` and `gcprof
 * plot` do with a recording: the input is read as a timeline (through a
 * memfd, as fuzz_timeline.c does), and an accepted one is summarised,
 * printed (text and JSON) and drawn, as the commands do it
 * (tool_plot_make/render, tools/plot_render.c), into /dev/null.
 * Properties, beyond the sanitizers' (and -timeout: a loop that never
 * ends, issue 12 item 4):
 * - making the plot gives 0, or -2 (a range no axis shows), never -1;
 * - the axes are finite, with finite steps, lo < hi;
 * - the JSON summary holds no "inf" or "nan" (printf's, not JSON).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, open_memstream */
#endif
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "plot.h"
#include "summary.h"
#include "timeline_read.h"

#define CHECK(c) ((c) ? (void)0 : fail(__LINE__, #c))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

__attribute__((noreturn)) static void fail(int line, const char *what)
{
    fprintf(stderr, "fuzz_plot.c:%d: property broken: %s\n", line, what);
    __builtin_trap();
}

static int fd = -1;
static char path[64];
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    devnull = fopen("/dev/null", "w");
    CHECK(devnull != NULL);
    fd = memfd_create("fuzz_plot", 0);
    CHECK(fd >= 0);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return 0;
}

static void check_axis(const tool_axis *a)
{
    CHECK(isfinite(a->lo) && isfinite(a->hi) && isfinite(a->step));
    CHECK(a->lo < a->hi && a->step > 0);
}

/* The JSON summary, into memory: no printf "inf"/"nan" outside strings
 * (the file name is ours; the command line is the input's, so look only
 * after it: the numbers follow "complete"). */
static void check_json(const tool_tl *tl, const tool_summary *sm)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    FILE *saved = stdout;

    CHECK(mem != NULL);
    stdout = mem; /* the printers write to stdout */
    tool_summary_print_json(path, tl, sm);
    tool_summary_print_text(path, tl, sm);
    stdout = saved;
    CHECK(fclose(mem) == 0);
    const char *nums = strstr(buf, "\"complete\":"), *end = strstr(buf, "\"closures\":[");
    CHECK(nums && end && nums < end);
    for (const char *p = nums; p < end; p++)
        CHECK(strncmp(p, "inf", 3) != 0 && strncmp(p, "nan", 3) != 0);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const double sizes[][2] = {{1000, 600}, {320, 240}};
    char err[512];
    tool_tl tl;

    CHECK(ftruncate(fd, 0) == 0);
    CHECK(size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size);
    if (tool_tl_read(path, &tl, err, sizeof err) < 0)
        return 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        tool_plot p;
        tool_summary sm;
        int r = tool_plot_make(&p, &sm, &tl, path, k ? "t" : NULL, sizes[k][0], sizes[k][1]);
        CHECK(r == 0 || r == -2);
        if (k == 0)
            check_json(&tl, &sm);
        if (r == 0) {
            check_axis(&p.f.x);
            check_axis(&p.f.y);
            CHECK(tool_plot_render(devnull, &p) == 0);
        }
        tool_plot_free(&p);
        tool_summary_free(&sm);
    }
    tool_tl_free(&tl);
    return 0;
}
