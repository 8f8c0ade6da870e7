/*
 * heap_cmd.c - what `gcprof top`, `gcprof flame` and `gcprof diff` share
 * (heap_cmd.h): their value options, counts, reading a profile.
 */
#include "heap_cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "heap_view.h"
#include "pprof.h"

__attribute__((format(printf, 3, 4))) static int usage_error(const char *cmd, const char *hint,
                                                             const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tool_vsay(cmd, hint, fmt, ap);
    va_end(ap);
    return TOOL_EXIT_USAGE;
}

int tool_hv_pick_value(const char *cmd, const char *hint, const tool_hv_pick *pk, int *vi)
{
    if (pk->inuse && pk->alloc)
        return usage_error(cmd, hint, "--inuse and --alloc exclude each other: give one");
    if (pk->objects && pk->space)
        return usage_error(cmd, hint, "--objects and --space exclude each other: give one");
    if (pk->alloc)
        *vi = pk->objects ? PPROF_ALLOC_OBJECTS : PPROF_ALLOC_SPACE;
    else
        *vi = pk->objects ? PPROF_INUSE_OBJECTS : PPROF_INUSE_SPACE;
    return -1;
}

int tool_hv_count(const char *cmd, const char *hint, const char *opt, const char *s, long lo,
                  long hi, long *n)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return usage_error(cmd, hint, "bad value for %s: '%s': want a number from %ld to %ld", opt,
                           s, lo, hi);
    *n = v;
    return -1;
}

int tool_heap_load(const char *cmd, const char *path, pprof_profile *out)
{
    char err[512];

    if (pprof_read(path, out, err, sizeof err) == 0)
        return 0;
    /* pprof_read names the file in most of its messages, not all */
    if (strncmp(err, path, strlen(path)) == 0)
        tool_say(cmd, "%s", err);
    else
        tool_say(cmd, "%s: %s", path, err);
    *out = (pprof_profile){0};
    return TOOL_EXIT_FAIL;
}

void tool_heap_free(pprof_profile *p)
{
    pprof_profile_free(p);
}

const char *tool_hv_period(char *buf, size_t size, int64_t period)
{
    char v[32];

    if (period <= 0)
        snprintf(buf, size, "sampling period: not given");
    else if (period == 1)
        snprintf(buf, size, "sampling period: 1 byte (every allocation recorded)");
    else
        snprintf(buf, size, "sampling period: %s (a sample per that many bytes allocated, on average)",
                 tool_hv_format(v, sizeof v, period, 1, 0, 0));
    return buf;
}
