/*
 * json_flat.h - parsing one flat JSON object, as a JSON-lines record is:
 *
 *     gcp_jobj o;
 *     if (gcp__json_object(&o, line) < 0)   // line is modified
 *         puts(o.err);                      // "column 17: unterminated string"
 *     const gcp_jpair *t = gcp__json_get(&o, "type");
 */
#ifndef GCP_JSON_FLAT_H
#define GCP_JSON_FLAT_H

#include <stddef.h>

#define GCP_JSON_MAX_KEYS 128

typedef enum {
    GCP_JV_STRING,
    GCP_JV_NUMBER,
    GCP_JV_TRUE,
    GCP_JV_FALSE,
    GCP_JV_NULL,
    GCP_JV_NESTED /* an array or object: skipped, no value kept */
} gcp_jv_type;

typedef struct gcp_jpair {
    const char *key; /* decoded, NUL-terminated, inside the line */
    gcp_jv_type type;
    const char *s; /* string: decoded, NUL-terminated; number: its text (JSON grammar) */
    size_t n;      /* number: length of its text */
} gcp_jpair;

typedef struct gcp_jobj {
    gcp_jpair v[GCP_JSON_MAX_KEYS];
    int n;
    const char *line; /* for columns in messages */
    char err[96];
} gcp_jobj;

/* Parse line, which must hold exactly one object (and blanks), decoding
 * strings in place (control characters, \u0000 included, become spaces).
 * Returns 0, or -1 with the reason in o->err. Duplicate keys are errors. */
int gcp__json_object(gcp_jobj *o, char *line);

/* The pair for key, or NULL. */
const gcp_jpair *gcp__json_get(const gcp_jobj *o, const char *key);

#endif /* GCP_JSON_FLAT_H */
