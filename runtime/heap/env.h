/*
 * env.h - the library's one reader of the environment (env.c), and the
 * table of every GCPROF_* variable (env_table.c, doc/environment.md).
 *
 * A variable is read through its row: the readers below find the row by
 * name, so the library cannot read a variable missing from the table.
 */
#ifndef GCP_ENV_H
#define GCP_ENV_H

#include <stddef.h>

/* The boolean vocabulary, any case: the environment's and the config
 * spec's ("track_peak=on"). */
#define GCP__BOOL_WORDS "true/false, 1/0, yes/no, on/off"

typedef enum {
    GCP__ENV_BOOL,   /* GCP__BOOL_WORDS */
    GCP__ENV_NUMBER, /* a finite number in [min, max] ('.' whatever the locale) */
    GCP__ENV_ENUM,   /* one of words ("dat|jsonl", any case): its index */
    GCP__ENV_PATH,   /* a file name, as given */
    GCP__ENV_SPEC,   /* "key=value,..." (gcp_config_parse) */
    GCP__ENV_TEXT    /* anything else, as given */
} gcp__env_kind;

/* Who reads a variable (flags). */
#define GCP__ENV_LIB      1u /* libgcprof, in the profiled program */
#define GCP__ENV_RUN      2u /* the gcprof command (gcprof run) */
#define GCP__ENV_INTERNAL 4u /* gcprof run -> the preload library; not for users */

/* Row flags. */
#define GCP__ENV_ABOVE_MIN 1u /* NUMBER: > min, not >= min */
#define GCP__ENV_WHOLE     2u /* NUMBER: a whole number */
#define GCP__ENV_OR_BOOL   4u /* ENUM: a boolean too (false = index 0, true = 1) */

typedef struct gcp__env_var {
    const char *name;
    gcp__env_kind kind;
    const char *def;   /* the default, in the variable's syntax; NULL: none */
    double min, max;   /* NUMBER */
    const char *words; /* ENUM */
    unsigned flags;
    unsigned readers;    /* GCP__ENV_LIB | ... */
    const char *meaning; /* one line */
} gcp__env_var;

extern const gcp__env_var gcp__env_vars[];
extern const size_t gcp__env_nvars;

/* The row of name, or NULL. */
const gcp__env_var *gcp__env_find(const char *name);

/* The readers: the only way the library reads its environment, with
 * secure_getenv: in a secure-execution process (setuid, setgid, file
 * capabilities: AT_SECURE) every variable reads as unset.
 *
 * Typed readers. name must be a row of the reader's kind. Leading and
 * trailing blanks are ignored, and an empty or blank value counts as
 * unset. Each returns 1 with *out the value when the variable is set;
 * 0 with *out the row's default when it is unset (untouched when the row
 * has none); or GCP_EINVAL, *out as when unset, with this thread's last
 * error naming the variable and the value (not logged), e.g.
 * "GCPROF_SITES: 'ture' is not a boolean (true/false, 1/0, yes/no, on/off)".
 * Thread-safe, as getenv is (not against a concurrent setenv). */
int gcp__env_bool(const char *name, int *out);
int gcp__env_number(const char *name, double *out);
int gcp__env_enum(const char *name, int *out);
/* PATH, SPEC and TEXT rows: the value as given, or NULL when unset or
 * empty (also for a name that is no such row). */
const char *gcp__env_text(const char *name);
/* A module's path: the PATH row var when set (a name without '/' is a
 * file in the current directory, as any path: dlopen would search the
 * library path instead), else installed. NULL when too long, said
 * (GCP_EINVAL). */
const char *gcp__env_module_path(const char *var, const char *installed, char *buf, size_t size);

/* The vocabulary: s[0..len) (not trimmed) is a boolean word, any case.
 * Returns 0 with *out 1 or 0, or -1. */
int gcp__parse_bool(const char *s, size_t len, int *out);

/* A number, s[0..len) (not empty, and followed by a blank, ',' or NUL,
 * which cannot continue it), with '.' as the decimal point in every
 * locale: the specs' and the variables' one reader. 0, or -1. */
int gcp__parse_number(const char *s, size_t len, double *out);

#endif
