/*
 * config.c - profiler settings: built-in defaults, the "key=value,..."
 * spec, the GCPROF / GCPROF_<KEY> environment, validation.
 *
 * Every key is described once in `keys`; the spec parser, the per-key
 * variables and gcp_config_validate all go through that table, so a new
 * key needs one line here (and its field at the end of gcp_config).
 * Messages are built in a local buffer first, then copied to the caller's
 * err and recorded as the thread's last error, so both say the same.
 */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"
#include "units.h"
#include "env.h"
#include "collect.h"

#define MSG_MAX GCP__CONFIG_MSG_MAX
#define SHOW_MAX 40  /* quote at most this much of a key or value */

/* KIND_MIB: 0 (the key's default) up to MAX_MIB. KIND_SHARE: 0 (the
 * default) up to 1. */
typedef enum { KIND_BOOL, KIND_MODE, KIND_MIB, KIND_SHARE } key_kind;

/* MiB as a number of bytes must fit 64 bits, with room: 2^40 MiB is 1 EiB. */
#define MAX_MIB GCP__CONFIG_MAX_MIB


typedef struct key {
    const char *name; /* in a spec */
    const char *env;  /* its own variable */
    size_t offset;    /* of an int (KIND_BOOL, KIND_MODE) or a double in gcp_config */
    key_kind kind;
} key;

static const key keys[] = {
    {"auto_gc", "GCPROF_AUTO_GC", offsetof(gcp_config, auto_gc), KIND_MODE},
    {"detailed_stats", "GCPROF_DETAILED_STATS", offsetof(gcp_config, detailed_stats), KIND_BOOL},
    {"track_peak", "GCPROF_TRACK_PEAK", offsetof(gcp_config, track_peak), KIND_BOOL},
    {"threshold_mb", "GCPROF_THRESHOLD_MB", offsetof(gcp_config, threshold_mb), KIND_MIB},
    {"hold_limit_mb", "GCPROF_HOLD_LIMIT_MB", offsetof(gcp_config, hold_limit_mb), KIND_MIB},
    {"heap_only", "GCPROF_HEAP_ONLY", offsetof(gcp_config, heap_only), KIND_BOOL},
    {"gc_budget", "GCPROF_GC_BUDGET", offsetof(gcp_config, gc_budget), KIND_SHARE},
    {"memory_limit_mb", "GCPROF_MEMORY_LIMIT_MB", offsetof(gcp_config, memory_limit_mb), KIND_MIB},
};
#define NKEYS (sizeof keys / sizeof keys[0])

static int *int_field(gcp_config *cfg, const key *k)
{
    return (int *)(void *)((char *)cfg + k->offset);
}

static double *double_field(gcp_config *cfg, const key *k)
{
    return (double *)(void *)((char *)cfg + k->offset);
}

/* Format a message into msg and return -1, for `return msgf(...)`. */
static int msgf(char *msg, size_t n, const char *fmt, ...) GCP_PRINTF(3, 4);
static int msgf(char *msg, size_t n, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Keys and values may be any length: quote only their start, so the
 * position at the end of a message always survives truncation. */
static int shown(size_t len)
{
    return len > SHOW_MAX ? SHOW_MAX : (int)len;
}

static const char *ellipsis(size_t len)
{
    return len > SHOW_MAX ? "..." : "";
}

/* Copy msg to err (NULL or errlen 0: not wanted), record it as the last
 * error, return GCP_EINVAL. */
static int fail_with(char *err, size_t errlen, const char *msg)
{
    if (err && errlen > 0)
        snprintf(err, errlen, "%s", msg);
    return gcp__fail(GCP_EINVAL, "%s", msg);
}

static void trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s))
        (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

/* ---- values -------------------------------------------------------- */

/* auto_gc: a mode name, or a boolean (true meaning always, false off). */
static int parse_mode(const char *v, size_t len, int *out)
{
    static const struct {
        const char *name;
        int mode;
    } modes[] = {{"off", GCP_AUTO_GC_OFF},
                 {"always", GCP_AUTO_GC_ALWAYS},
                 {"adaptive", GCP_AUTO_GC_ADAPTIVE}};
    int b;

    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (strlen(modes[i].name) == len && strncasecmp(v, modes[i].name, len) == 0) {
            *out = modes[i].mode;
            return 0;
        }
    }
    if (gcp__parse_bool(v, len, &b) != 0) /* env.c: the one vocabulary */
        return -1;
    *out = b ? GCP_AUTO_GC_ALWAYS : GCP_AUTO_GC_OFF;
    return 0;
}

/* 0 when v suits k, else -1 and why not in msg (without a position). */
static int check_range(const key *k, const char *label, double v, char *msg, size_t n)
{
    if (k->kind == KIND_MIB && !(v >= 0 && v <= MAX_MIB)) /* NaN fails too */
        return msgf(msg, n, "%s must be from 0 to 2^40 (MiB), got %g", label, v);
    if (k->kind == KIND_SHARE && !(v >= 0 && v <= 1))
        return msgf(msg, n, "%s must be from 0 to 1 (a share of wall time), got %g", label, v);
    return 0;
}

/* Set k's field in cfg from the text v..v+len (trimmed). label names the
 * setting in messages: the key, or the variable it came from. */
static int apply_value(gcp_config *cfg, const key *k, const char *label, const char *v, size_t len,
                       char *msg, size_t n)
{
    double d;
    int b;

    if (k->kind == KIND_BOOL || k->kind == KIND_MODE) {
        int ok = k->kind == KIND_BOOL ? gcp__parse_bool(v, len, &b) : parse_mode(v, len, &b);
        if (ok == 0) {
            *int_field(cfg, k) = b;
            return 0;
        }
        return msgf(msg, n, "%s: '%.*s%s' is not %s", label, shown(len), v, ellipsis(len),
                    k->kind == KIND_BOOL ? "a boolean (" GCP__BOOL_WORDS ")"
                                         : "off, always, adaptive or a boolean");
    }
    if (gcp__parse_number(v, len, &d) != 0) /* env.c */
        return msgf(msg, n, "%s: '%.*s%s' is not a number", label, shown(len), v, ellipsis(len));
    if (check_range(k, label, d, msg, n) != 0)
        return -1;
    *double_field(cfg, k) = d;
    return 0;
}

static const key *find_key(const char *name, size_t len)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strlen(keys[i].name) == len && memcmp(keys[i].name, name, len) == 0)
            return &keys[i];
    return NULL;
}

/* ---- specs ----------------------------------------------------------- */

/* One "key = value" item, s..e; spec is for positions (1-based). */
static int apply_item(gcp_config *cfg, const char *spec, const char *s, const char *e, char *msg,
                      size_t n)
{
    const char *eq = memchr(s, '=', (size_t)(e - s));
    const char *ks = s, *ke = eq ? eq : e, *vs, *ve;
    char why[MSG_MAX - 40];
    const key *k;
    size_t klen;

    trim(&ks, &ke);
    klen = (size_t)(ke - ks);
    if (!eq)
        return msgf(msg, n, "missing '=' after '%.*s%s' (at position %zu)", shown(klen), ks,
                    ellipsis(klen), (size_t)(ks - spec) + 1);
    if (klen == 0)
        return msgf(msg, n, "missing key before '=' (at position %zu)", (size_t)(eq - spec) + 1);
    k = find_key(ks, klen);
    if (!k)
        return msgf(msg, n, "unknown key '%.*s%s' (at position %zu)", shown(klen), ks,
                    ellipsis(klen), (size_t)(ks - spec) + 1);
    vs = eq + 1;
    ve = e;
    trim(&vs, &ve);
    /* Value errors point at the value: that is the text to fix. */
    if (apply_value(cfg, k, k->name, vs, (size_t)(ve - vs), why, sizeof why) != 0)
        return msgf(msg, n, "%s (at position %zu)", why, (size_t)(vs - spec) + 1);
    return 0;
}

/* Apply every item of spec to cfg, in order; stops at the first error
 * (cfg then half-applied: callers parse into a copy). */
static int apply_spec(gcp_config *cfg, const char *spec, char *msg, size_t n)
{
    const char *s = spec;

    for (;;) {
        const char *e = s + strcspn(s, ","), *ts = s, *te = e;

        trim(&ts, &te);
        if (ts < te && apply_item(cfg, spec, ts, te, msg, n) != 0)
            return -1;
        if (*e == '\0')
            return 0;
        s = e + 1;
    }
}

/* ---- environment ----------------------------------------------------- */

/* k's own variable, read by env.c as its row in env_table.c says: 1 set
 * (the field too), 0 unset, GCP_EINVAL (the message in the last error). */
static int read_key_var(gcp_config *cfg, const key *k)
{
    /* GCPROF_AUTO_GC's words, "off|always|adaptive" (a boolean: off, always) */
    static const int modes[] = {GCP_AUTO_GC_OFF, GCP_AUTO_GC_ALWAYS, GCP_AUTO_GC_ADAPTIVE};
    double d;
    int b, rc;

    if (k->kind == KIND_MIB || k->kind == KIND_SHARE) {
        rc = gcp__env_number(k->env, &d);
        if (rc > 0)
            *double_field(cfg, k) = d;
        return rc;
    }
    if (k->kind == KIND_BOOL) {
        rc = gcp__env_bool(k->env, &b);
    } else {
        rc = gcp__env_enum(k->env, &b);
        b = rc > 0 ? modes[b] : b;
    }
    if (rc > 0)
        *int_field(cfg, k) = b;
    return rc;
}

/* Defaults, then GCPROF, then each GCPROF_<KEY>. An empty (or blank)
 * variable counts as unset, as an empty spec changes nothing. */
int gcp__config_load_env(gcp_config *cfg, char *msg, size_t n)
{
    const char *spec = gcp__env_text("GCPROF");
    char why[MSG_MAX - 10];

    gcp_config_init(cfg);
    if (spec && apply_spec(cfg, spec, why, sizeof why) != 0)
        return msgf(msg, n, "GCPROF: %s", why);
    for (size_t i = 0; i < NKEYS; i++)
        if (read_key_var(cfg, &keys[i]) < 0)
            return msgf(msg, n, "%s", gcp_last_error());
    return 0;
}

/* ---- public functions ------------------------------------------------ */

/* Zero is every field's default (auto_gc always, hold_limit_mb 1024, the
 * rest off): memset, padding too, so copies compare equal. */
void gcp_config_init(gcp_config *cfg)
{
    if (cfg)
        memset(cfg, 0, sizeof *cfg);
}

int gcp_config_init_env(gcp_config *cfg, char *err, size_t errlen)
{
    char msg[MSG_MAX];
    gcp_config tmp;

    if (!cfg)
        return fail_with(err, errlen, "gcp_config_init_env: cfg is NULL");
    if (gcp__config_load_env(&tmp, msg, sizeof msg) != 0) {
        gcp_config_init(cfg);
        return fail_with(err, errlen, msg);
    }
    *cfg = tmp;
    return 0;
}

int gcp_config_parse(const char *spec, gcp_config *cfg, char *err, size_t errlen)
{
    char msg[MSG_MAX];
    gcp_config tmp;

    if (!spec)
        return fail_with(err, errlen, "gcp_config_parse: spec is NULL");
    if (!cfg)
        return fail_with(err, errlen, "gcp_config_parse: cfg is NULL");
    tmp = *cfg;
    if (apply_spec(&tmp, spec, msg, sizeof msg) != 0)
        return fail_with(err, errlen, msg);
    *cfg = tmp;
    return 0;
}

int gcp_config_validate(const gcp_config *cfg)
{
    char msg[MSG_MAX];
    gcp_config c; /* a copy, for the table's (mutable) field accessors */

    if (!cfg)
        return gcp__fail(GCP_EINVAL, "gcp_config_validate: cfg is NULL");
    c = *cfg;
    for (size_t i = 0; i < NKEYS; i++) {
        const key *k = &keys[i];

        if (k->kind == KIND_BOOL || k->kind == KIND_MODE) {
            int b = *int_field(&c, k), top = k->kind == KIND_BOOL ? 1 : GCP_AUTO_GC_OFF;

            if (b < 0 || b > top)
                return gcp__fail(GCP_EINVAL, "%s must be 0..%d, got %d", k->name, top, b);
        } else if (check_range(k, k->name, *double_field(&c, k), msg, sizeof msg) != 0) {
            return gcp__fail(GCP_EINVAL, "%s", msg);
        }
    }
    if (c.heap_only && c.threshold_mb > 0)
        return gcp__fail(GCP_EINVAL, "threshold_mb=%g needs RSS, which heap_only turns off",
                         c.threshold_mb);
    if (c.heap_only && c.memory_limit_mb > 0)
        return gcp__fail(GCP_EINVAL, "memory_limit_mb=%g needs RSS, which heap_only turns off",
                         c.memory_limit_mb);
    if (!gcp__zero(c.reserved_, sizeof c.reserved_))
        return gcp__fail(GCP_EINVAL, "reserved_ is not zero (start from {0} or "
                                     "gcp_config_init)");
    return 0;
}
