/*
 * heap_cmd.c - what `gcprof top`, `gcprof flame` and `gcprof diff` share
 * (heap_cmd.h): their value options, counts, reading a profile.
 */
#include "heap_cmd.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "heap_view.h"
#include "pprof.h"

int tool_hv_pick_value(const char *cmd, const char *hint, const tool_hv_pick *pk, int *vi)
{
    if (pk->inuse && pk->alloc)
        return tool_usage_error(cmd, hint, "--inuse and --alloc exclude each other: give one");
    if (pk->objects && pk->space)
        return tool_usage_error(cmd, hint, "--objects and --space exclude each other: give one");
    if (pk->alloc)
        *vi = pk->objects ? PPROF_ALLOC_OBJECTS : PPROF_ALLOC_SPACE;
    else
        *vi = pk->objects ? PPROF_INUSE_OBJECTS : PPROF_INUSE_SPACE;
    return -1;
}

/* Names given to frames the profile could not name: "[libguile-3.0.so.1]"
 * for an address in that library, as go tool pprof shows them, so that a
 * stripped library's frames add up as one. Kept until the last profile
 * loaded is freed. */
static char **mapping_names;
static size_t nmapping_names, loaded;

static void name_by_mapping(pprof_profile *p)
{
    char **names = calloc(p->nmappings ? p->nmappings : 1, sizeof *names);
    char **all = realloc(mapping_names, (nmapping_names + p->nmappings + 1) * sizeof *all);

    if (!names || !all) {
        free(names);
        if (all)
            mapping_names = all;
        return; /* addresses stay as they are: hex */
    }
    mapping_names = all;
    for (size_t i = 0; i < p->nmappings; i++) {
        const char *file = p->mappings[i].file ? p->mappings[i].file : "";
        const char *base = strrchr(file, '/');
        base = base && base[1] ? base + 1 : file;
        if (*base && (names[i] = malloc(strlen(base) + 3)))
            sprintf(names[i], "[%s]", base);
        if (names[i])
            mapping_names[nmapping_names++] = names[i];
    }
    for (size_t i = 0; i < p->nframes; i++) {
        pprof_frame *f = &p->frames[i];
        if ((!f->function || !*f->function) && f->mapping < p->nmappings && names[f->mapping])
            f->function = names[f->mapping];
    }
    free(names);
}

int tool_heap_load(const char *cmd, const char *path, pprof_profile *out)
{
    char err[512];

    if (pprof_read(path, out, err, sizeof err) == 0) {
        loaded++;
        name_by_mapping(out);
        return 0;
    }
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
    if (p->arena && loaded && --loaded == 0) {
        for (size_t i = 0; i < nmapping_names; i++)
            free(mapping_names[i]);
        free(mapping_names);
        mapping_names = NULL;
        nmapping_names = 0;
    }
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
        snprintf(buf, size,
                 "sampling period: %s (a sample per that many bytes allocated, on average)",
                 tool_hv_format(v, sizeof v, period, 1, 0, 0));
    return buf;
}
