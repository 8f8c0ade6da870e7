/*
 * env.c - the library's one reader of the environment.
 *
 * The library lives inside other people's programs, setuid ones too. In a
 * secure-execution process the environment belongs to the user who ran
 * the program, not to its owner, so a GCPROF_* variable there could point
 * a root-owned process at any file: secure_getenv answers NULL for every
 * name, so the library does what it does with nothing set.
 *
 * Every variable is a row of env_table.c; the typed readers take their
 * kind, range and default from it, so one variable reads the same
 * wherever it is read, and one vocabulary says true.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* secure_getenv, strtod_l, newlocale */
#endif
#include <ctype.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "env.h"
#include "heap.h"

#define SHOW_MAX 40 /* quote at most this much of a value, as config.c */

/* The one call: NULL in a secure-execution process, whatever is set. */
static const char *env_get(const char *name)
{
    return secure_getenv(name);
}

const gcp__env_var *gcp__env_find(const char *name)
{
    for (size_t i = 0; i < gcp__env_nvars; i++)
        if (strcmp(gcp__env_vars[i].name, name) == 0)
            return &gcp__env_vars[i];
    return NULL;
}

/* ---- values ------------------------------------------------------------ */

int gcp__parse_bool(const char *s, size_t len, int *out)
{
    static const struct {
        const char *word;
        int value;
    } words[] = {{"true", 1}, {"false", 0}, {"1", 1},  {"0", 0},
                 {"yes", 1},  {"no", 0},    {"on", 1}, {"off", 0}};

    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strlen(words[i].word) == len && strncasecmp(s, words[i].word, len) == 0) {
            *out = words[i].value;
            return 0;
        }
    }
    return -1;
}

/* s[0..len) is one of words ("a|b|c", any case): its index, or -1. */
static int parse_word(const char *words, const char *s, size_t len)
{
    int i = 0;

    for (const char *w = words;; i++) {
        size_t n = strcspn(w, "|");
        if (n == len && strncasecmp(w, s, len) == 0)
            return i;
        if (w[n] == '\0')
            return -1;
        w += n + 1;
    }
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* s[0..len) is followed by a blank or NUL, neither of which continues a
 * number: strtod reads it in place, with '.' whatever the locale (as the
 * config spec's numbers). */
int gcp__parse_number(const char *s, size_t len, double *out)
{
    char *end;

    pthread_once(&c_locale_once, make_c_locale);
    *out = c_locale ? strtod_l(s, &end, c_locale) : strtod(s, &end);
    return len > 0 && end == s + len ? 0 : -1;
}

/* ---- reading a row ----------------------------------------------------- */

/* The row of name if it has kind `kind`, else NULL with the last error
 * saying so (a slip of ours: tests/check_env.c reads every row). */
static const gcp__env_var *row_of(const char *name, gcp__env_kind kind, const char *reader)
{
    const gcp__env_var *row = gcp__env_find(name);

    if (row && row->kind == kind)
        return row;
    gcp__fail(GCP_EINVAL, "%s: %s is not a row of its kind in runtime/heap/env_table.c", reader,
              name);
    return NULL;
}

/* The trimmed value of row's variable in *s, *len; 0 when unset or blank. */
static int value_of(const gcp__env_var *row, const char **s, size_t *len)
{
    const char *v = env_get(row->name), *e;

    if (!v)
        return 0;
    e = v + strlen(v);
    while (v < e && isspace((unsigned char)*v))
        v++;
    while (e > v && isspace((unsigned char)e[-1]))
        e--;
    *s = v;
    *len = (size_t)(e - v);
    return *len > 0;
}

/* GCP_EINVAL: "NAME: 'value' is not WHAT", the value quoted up to SHOW_MAX. */
static int not_a(const gcp__env_var *row, const char *s, size_t len, const char *what)
{
    return gcp__fail(GCP_EINVAL, "%s: '%.*s%s' is not %s", row->name,
                     len > SHOW_MAX ? SHOW_MAX : (int)len, s, len > SHOW_MAX ? "..." : "", what);
}

static int parse_enum(const gcp__env_var *row, const char *s, size_t len, int *out)
{
    int i = parse_word(row->words, s, len);

    if (i < 0 && (row->flags & GCP__ENV_OR_BOOL) && gcp__parse_bool(s, len, &i) != 0)
        i = -1;
    if (i < 0)
        return -1;
    *out = i;
    return 0;
}

int gcp__env_bool(const char *name, int *out)
{
    const gcp__env_var *row = row_of(name, GCP__ENV_BOOL, "gcp__env_bool");
    const char *s;
    size_t len;

    if (!row)
        return GCP_EINVAL;
    if (row->def)
        gcp__parse_bool(row->def, strlen(row->def), out);
    if (!value_of(row, &s, &len))
        return 0;
    int v;
    if (gcp__parse_bool(s, len, &v) != 0)
        return not_a(row, s, len, "a boolean (" GCP__BOOL_WORDS ")");
    *out = v;
    return 1;
}

/* row's words for a message: "dat or jsonl", "off, always, adaptive or a
 * boolean". */
static void list_words(const gcp__env_var *row, char *buf, size_t n)
{
    int or_bool = (row->flags & GCP__ENV_OR_BOOL) != 0, bars = 0, seen = 0;
    size_t o = 0;

    for (const char *p = row->words; *p; p++)
        bars += *p == '|';
    for (const char *p = row->words; *p && o + 1 < n; p++) {
        const char *piece = *p != '|' ? NULL : ++seen == bars && !or_bool ? " or " : ", ";
        if (!piece)
            buf[o++] = *p;
        else
            o += (size_t)snprintf(buf + o, n - o, "%s", piece);
    }
    if (o < n)
        snprintf(buf + o, n - o, "%s", or_bool ? " or a boolean" : "");
    else
        buf[n - 1] = '\0';
}

int gcp__env_enum(const char *name, int *out)
{
    const gcp__env_var *row = row_of(name, GCP__ENV_ENUM, "gcp__env_enum");
    char what[128];
    const char *s;
    size_t len;
    int v;

    if (!row)
        return GCP_EINVAL;
    if (row->def)
        parse_enum(row, row->def, strlen(row->def), out);
    if (!value_of(row, &s, &len))
        return 0;
    if (parse_enum(row, s, len, &v) != 0) {
        list_words(row, what, sizeof what);
        return not_a(row, s, len, what);
    }
    *out = v;
    return 1;
}

/* A range's end as people write it: 2^40, not 1.09951e+12. */
static const char *bound(double v, char *buf, size_t n)
{
    int e;

    if (v >= 1 << 20 && frexp(v, &e) == 0.5)
        snprintf(buf, n, "2^%d", e - 1);
    else
        snprintf(buf, n, "%g", v);
    return buf;
}

int gcp__env_number(const char *name, double *out)
{
    const gcp__env_var *row = row_of(name, GCP__ENV_NUMBER, "gcp__env_number");
    int above = row && (row->flags & GCP__ENV_ABOVE_MIN);
    const char *s;
    size_t len;
    double v;

    if (!row)
        return GCP_EINVAL;
    if (row->def)
        gcp__parse_number(row->def, strlen(row->def), out);
    if (!value_of(row, &s, &len))
        return 0;
    if (gcp__parse_number(s, len, &v) != 0)
        return not_a(row, s, len, "a number");
    if (!isfinite(v) || (above ? v <= row->min : v < row->min) || v > row->max) {
        char lo[32], hi[32];

        bound(row->min, lo, sizeof lo);
        if (isinf(row->max))
            return gcp__fail(GCP_EINVAL, "%s must be finite and %s %s, got %g", row->name,
                             above ? ">" : ">=", lo, v);
        bound(row->max, hi, sizeof hi);
        if (above)
            return gcp__fail(GCP_EINVAL, "%s must be above %s and at most %s, got %g", row->name,
                             lo, hi, v);
        return gcp__fail(GCP_EINVAL, "%s must be from %s to %s, got %g", row->name, lo, hi, v);
    }
    if ((row->flags & GCP__ENV_WHOLE) && v != floor(v))
        return not_a(row, s, len, "a whole number");
    *out = v;
    return 1;
}

const char *gcp__env_text(const char *name)
{
    const gcp__env_var *row = gcp__env_find(name);
    const char *v;

    if (!row || row->kind == GCP__ENV_BOOL || row->kind == GCP__ENV_NUMBER ||
        row->kind == GCP__ENV_ENUM)
        return NULL;
    v = env_get(name);
    return v && *v ? v : NULL;
}

const char *gcp__env_module_path(const char *var, const char *installed, char *buf, size_t size)
{
    const char *env = gcp__env_text(var);

    if (!env)
        return installed;
    if (strchr(env, '/'))
        return env;
    if ((size_t)snprintf(buf, size, "./%s", env) < size)
        return buf;
    gcp__fail(GCP_EINVAL, "%s: '%.40s...' is too long", var, env);
    return NULL;
}
