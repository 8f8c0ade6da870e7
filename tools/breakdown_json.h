/*
 * breakdown_json.h - a breakdown of a process's RSS read back from the
 * JSON object common/breakdown_print.c writes (gcp__breakdown_json: the
 * recording's GCPROF_BREAKDOWN / "breakdown" record, doc/breakdown.md),
 * into the struct that file prints, so that `gcprof heap` prints what the
 * library prints. The rows are taken as written, never recomputed.
 *
 *     tool_bd bd;
 *     char err[160];
 *     if (tool_bd_parse(json, &bd, err, sizeof err) < 0)
 *         puts(err);                       // "\"rows\" without \"malloc\""
 *     gcp__breakdown_print(stdout, &bd.b, TOOL_BD_TOP);
 */
#ifndef TOOL_BREAKDOWN_JSON_H
#define TOOL_BREAKDOWN_JSON_H

#include <stddef.h>

#include "breakdown.h"

/* Size classes kept (the records hold the 8 with the most blocks; the
 * library's JSON can hold all of them: the first ones are kept). */
#define TOOL_BD_MAX_CLASSES 64
/* The classes the text shows, as gcp_breakdown_print does. */
#define TOOL_BD_TOP 10

typedef struct tool_bd {
    gcp__breakdown b; /* b.sum: the record's "rss"; b.classes: cls */
    /* the classes shown; "nclasses" (the process's, shown or not) is
     * checked against them, not kept: no reader uses it */
    gcp__bd_class cls[TOOL_BD_MAX_CLASSES];
} tool_bd;

/* Parses json (one object, NUL-terminated; not modified) into *bd.
 * Returns 0, or -1 with what is wrong in err. Unknown keys are ignored;
 * "malloc" may be absent; every other key of the format must be there. */
int tool_bd_parse(const char *json, tool_bd *bd, char *err, size_t errsize);

#endif /* TOOL_BREAKDOWN_JSON_H */
