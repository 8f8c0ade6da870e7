/*
 * heap_names.c - heap profile values and frames as gcprof top, flame and
 * diff print them (heap_view.h).
 */
#include "heap_view.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name, *type, *meaning;
} values[PPROF_NVALUES] = {
    [PPROF_ALLOC_OBJECTS] =
        {"allocated objects", "alloc_objects",
         "allocated: every object made since the program started, freed or not"},
    [PPROF_ALLOC_SPACE] = {"allocated space", "alloc_space",
                           "allocated: every object made since the program started, freed or not"},
    [PPROF_INUSE_OBJECTS] = {"in-use objects", "inuse_objects",
                             "in use: objects the latest collection marked, not freed since"},
    [PPROF_INUSE_SPACE] = {"in-use space", "inuse_space",
                           "in use: objects the latest collection marked, not freed since"},
};

static int valid(int vi)
{
    return vi >= 0 && vi < PPROF_NVALUES;
}

const char *tool_hv_value_name(int vi)
{
    return valid(vi) ? values[vi].name : "?";
}

const char *tool_hv_type_name(int vi)
{
    return valid(vi) ? values[vi].type : "?";
}

const char *tool_hv_meaning(int vi)
{
    return valid(vi) ? values[vi].meaning : "?";
}

int tool_hv_is_bytes(int vi)
{
    return vi == PPROF_ALLOC_SPACE || vi == PPROF_INUSE_SPACE;
}

const char *tool_hv_format(char *buf, size_t size, int64_t v, int bytes, int raw, int plus)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    const char *sign = v < 0 ? "-" : plus && v > 0 ? "+" : "";
    uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v; /* INT64_MIN too */

    if (raw || !bytes || mag < 1024) {
        snprintf(buf, size, "%s%" PRIu64 "%s", sign, mag, bytes && !raw ? " B" : "");
        return buf;
    }
    double d = (double)mag / 1024;
    size_t u = 0;
    /* 1023.96 KiB prints as "1024.0 KiB" otherwise: move up first */
    while (d >= 1023.95 && u + 1 < sizeof units / sizeof units[0]) {
        d /= 1024;
        u++;
    }
    snprintf(buf, size, "%s%.1f %s", sign, d, units[u]);
    return buf;
}

const char *tool_hv_frame_name(const pprof_frame *f, int line, char *buf, size_t size)
{
    int n;

    if (f->function && *f->function)
        n = snprintf(buf, size, "%s", f->function);
    else if (f->address)
        n = snprintf(buf, size, "0x%" PRIx64, f->address);
    else
        n = snprintf(buf, size, "?");
    if (!line || n < 0 || (size_t)n >= size)
        return buf;
    const char *file = f->file && *f->file ? f->file : "?";
    const char *base = strrchr(file, '/');
    if (base && base[1])
        file = base + 1;
    if (f->line > 0)
        snprintf(buf + n, size - (size_t)n, " %s:%" PRId64, file, f->line);
    else
        snprintf(buf + n, size - (size_t)n, " %s", file);
    return buf;
}
