/*
 * heap_cmd.h - what `gcprof top`, `gcprof flame` and `gcprof diff` share
 * (heap_cmd.c): the value options (counts: options.h), reading a heap profile, and the
 * header lines about a profile.
 */
#ifndef TOOL_HEAP_CMD_H
#define TOOL_HEAP_CMD_H

#include <stdint.h>
#include <stdio.h>

#include "heap_model.h"
#include "options.h"

/* --inuse|--alloc and --objects|--space, as the table's flags. */
typedef struct tool_hv_pick {
    int inuse, alloc, objects, space;
} tool_hv_pick;

/* The table rows of those four flags (then the command's own, then
 * TOOL_OPT_END). */
#define TOOL_HV_PICK_OPTS(pk)                                                                      \
    TOOL_OPT_FLAG("--inuse", 0, &(pk)->inuse), TOOL_OPT_FLAG("--alloc", 0, &(pk)->alloc),          \
        TOOL_OPT_FLAG("--objects", 0, &(pk)->objects), TOOL_OPT_FLAG("--space", 0, &(pk)->space)

/* The help lines of those four, and of the values' meaning. */
#define TOOL_HV_PICK_HELP                                                                          \
    "      --inuse             what is in use: objects the latest collection marked,\n"            \
    "                          not freed since (the default)\n"                                    \
    "      --alloc             what was allocated since the program started, freed\n"              \
    "                          or not\n"                                                           \
    "      --space             bytes (the default)\n"                                              \
    "      --objects           objects\n"

/* The PPROF_* value the flags pick, into *vi. Returns -1 to go on, or
 * TOOL_EXIT_USAGE after saying that two exclusive ones were given. */
int tool_hv_pick_value(const char *cmd, const char *hint, const tool_hv_pick *pk, int *vi);

/* Reads the heap profile at path (gzip'd pprof, any producer's) into
 * *out. Returns 0, or TOOL_EXIT_FAIL after saying why ("gcprof CMD: PATH:
 * ..."); then *out holds nothing to free. */
int tool_heap_load(const char *cmd, const char *path, pprof_profile *out);
void tool_heap_free(pprof_profile *p);

/* "sampling period: ..." for a profile's period (bytes), into buf. */
const char *tool_hv_period(char *buf, size_t size, int64_t period);

/* ---- the flame graph's SVG (flame_svg.c) ------------------------------ */

struct tool_flame;

/* What the picture says above the frames. */
typedef struct tool_flame_svg {
    const char *file; /* the profile's name */
    int vi;           /* the value drawn */
    int64_t period;   /* the profile's sampling period */
    double width;     /* px */
} tool_flame_svg;

#define TOOL_FLAME_FRAME_PX 16.0 /* a frame's height; a level's is 1 px more */
#define TOOL_FLAME_PAD_PX   10.0 /* left and right of the frames */
#define TOOL_FLAME_MIN_PX   0.1  /* narrower frames are left out */

/* Lays f out (tool_flame_layout) and writes it to fp as one SVG document:
 * no script, no external resource. */
void tool_flame_svg_write(FILE *fp, struct tool_flame *f, const tool_flame_svg *s);

#endif /* TOOL_HEAP_CMD_H */
