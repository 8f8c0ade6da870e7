/*
 * json_flat.h - parsing one flat JSON object, as a JSON-lines record is:
 *
 *     tool_jobj o;
 *     if (tool_json_object(&o, line) < 0)   // line is modified
 *         puts(o.err);                      // "column 17: unterminated string"
 *     const tool_jpair *t = tool_json_get(&o, "type");
 *
 * A nested value (an array or object) is checked and kept as the text it
 * was written as, for the caller to parse in turn (tool_json_next_item
 * walks an array's elements; a copy of an element is an object to parse).
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
    TOOL_JV_NESTED /* an array or object: its text, as written */
} tool_jv_type;

typedef struct tool_jpair {
    const char *key; /* decoded, NUL-terminated, inside the line */
    tool_jv_type type;
    const char *s; /* string: decoded, NUL-terminated; number: its text (JSON grammar);
                      nested: its text from '[' or '{', undecoded, not NUL-terminated */
    size_t n;      /* number, nested: length of its text */
} tool_jpair;

typedef struct tool_jobj {
    tool_jpair v[TOOL_JSON_MAX_KEYS];
    int n;
    const char *line; /* for columns in messages */
    unsigned flags;   /* TOOL_JSON_*, as given to tool_json_parse */
    char err[96];
} tool_jobj;

/* "\n" in a string decodes to a newline (other control characters, and
 * newlines without this flag, become spaces). */
#define TOOL_JSON_KEEP_NEWLINES 1u

/* Parse line, which must hold exactly one object (and blanks), decoding
 * strings in place (control characters, \u0000 included, become spaces).
 * Returns 0, or -1 with the reason in o->err. Duplicate keys are errors. */
int tool_json_object(tool_jobj *o, char *line);
/* The same, with TOOL_JSON_* flags. */
int tool_json_parse(tool_jobj *o, char *line, unsigned flags);

/* The pair for key, or NULL. */
const tool_jpair *tool_json_get(const tool_jobj *o, const char *key);

/* The elements of v, a nested array, in turn: with *pos 0 at first, each
 * call puts the next element's text (s[0..n), undecoded) and returns 1;
 * 0 after the last one, or when v is not an array. */
int tool_json_next_item(const tool_jpair *v, size_t *pos, const char **s, size_t *n);

#endif /* TOOL_JSON_FLAT_H */
