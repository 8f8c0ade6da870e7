/*
 * json_flat.h - parsing one flat JSON object, as a JSON-lines record is:
 *
 *     tool_jobj o;
 *     if (tool_json_object(&o, line) < 0)   // line is modified
 *         puts(o.err);                      // "column 17: unterminated string"
 *     const tool_jpair *t = tool_json_get(&o, "type");
 */
#ifndef TOOL_JSON_FLAT_H
#define TOOL_JSON_FLAT_H

#include <stddef.h>

#define TOOL_JSON_MAX_KEYS 128

typedef enum {
    TOOL_JV_STRING,
    TOOL_JV_NUMBER,
    TOOL_JV_TRUE,
    TOOL_JV_FALSE,
    TOOL_JV_NULL,
    TOOL_JV_NESTED /* an array or object: skipped, no value kept */
} tool_jv_type;

typedef struct tool_jpair {
    const char *key; /* decoded, NUL-terminated, inside the line */
    tool_jv_type type;
    const char *s; /* string: decoded, NUL-terminated; number: its text (JSON grammar) */
    size_t n;      /* number: length of its text */
} tool_jpair;

typedef struct tool_jobj {
    tool_jpair v[TOOL_JSON_MAX_KEYS];
    int n;
    const char *line; /* for columns in messages */
    char err[96];
} tool_jobj;

/* Parse line, which must hold exactly one object (and blanks), decoding
 * strings in place (control characters, \u0000 included, become spaces).
 * Returns 0, or -1 with the reason in o->err. Duplicate keys are errors. */
int tool_json_object(tool_jobj *o, char *line);

/* The pair for key, or NULL. */
const tool_jpair *tool_json_get(const tool_jobj *o, const char *key);

#endif /* TOOL_JSON_FLAT_H */
