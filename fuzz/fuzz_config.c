/*
 * fuzz_config.c - libFuzzer target for the config spec parser
 * (gcp_config_parse) and the environment path (gcp_config_init_env).
 *
 * Besides "no crash, no leak, no UB", every input is held to the contract
 * of include/gcprof.h: a failure returns GCP_EINVAL, leaves the config
 * alone and explains itself (the same text in err and gcp_last_error(),
 * quoting the input at the position it names); a success yields a config
 * gcp_config_validate accepts (but for threshold with heap_only, which only
 * validation checks); the environment gives what the same spec gives; and
 * the profiler's fast check agrees with gcp_config_validate on any config.
 * A broken property traps, so libFuzzer saves the input.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h" /* gcp__config_resolve: internal, config.c is compiled in */
#include "gcprof.h"

#define ERR_SIZE 512 /* more than the parser's 256: nothing is cut here */
#define CANARY   0xa5
#define NCANARY  16
#define SHOW_MAX 40 /* config.c quotes at most this much of a key or value */
/* A broken property: say which, then trap so libFuzzer keeps the input. */
#define CHECK(c) ((c) ? (void)0 : fail(__LINE__, #c))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((noreturn)) static void fail(int line, const char *what)
{
    fprintf(stderr, "fuzz_config.c:%d: property broken: %s\n", line, what);
    __builtin_trap();
}

static const struct {
    const char *name, *env;
} keys[] = {
    {"auto_gc", "GCPROF_AUTO_GC"},
    {"detailed_stats", "GCPROF_DETAILED_STATS"},
    {"track_peak", "GCPROF_TRACK_PEAK"},
    {"threshold_mb", "GCPROF_THRESHOLD_MB"},
    {"hold_limit_mb", "GCPROF_HOLD_LIMIT_MB"},
    {"heap_only", "GCPROF_HEAP_ONLY"},
    {"gc_budget", "GCPROF_GC_BUDGET"},
    {"memory_limit_mb", "GCPROF_MEMORY_LIMIT_MB"},
};
#define NKEYS (sizeof keys / sizeof keys[0])

/* ---- helpers ----------------------------------------------------------- */

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The bytes of s before suffix, when s ends with it; else -1. */
static long before_suffix(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);

    return len >= n && memcmp(s + len - n, suffix, n) == 0 ? (long)(len - n) : -1;
}

static int same_fields(const gcp_config *a, const gcp_config *b)
{
    return a->auto_gc == b->auto_gc && a->detailed_stats == b->detailed_stats &&
           a->track_peak == b->track_peak && a->heap_only == b->heap_only &&
           memcmp(&a->threshold_mb, &b->threshold_mb, sizeof(double)) == 0 &&
           memcmp(&a->hold_limit_mb, &b->hold_limit_mb, sizeof(double)) == 0 &&
           memcmp(&a->gc_budget, &b->gc_budget, sizeof(double)) == 0 &&
           memcmp(&a->memory_limit_mb, &b->memory_limit_mb, sizeof(double)) == 0;
}

/* Field by field, and bytewise: gcp_config_init zeroes the padding. */
static int same_config(const gcp_config *a, const gcp_config *b)
{
    return same_fields(a, b) && memcmp(a, b, sizeof *a) == 0;
}

/* The length of the key or value at s, which ends at one of stops, less
 * the blanks before that (config.c trims with isspace, C locale). */
static size_t token_len(const char *s, const char *stops)
{
    size_t n = strcspn(s, stops);

    while (n > 0 && strchr(" \t\n\v\f\r", s[n - 1]))
        n--;
    return n;
}

/* q[0..qlen) is what the message quotes ('%.*s%s' in config.c): the whole
 * token of tok bytes at `at`, or its first SHOW_MAX bytes and "...". */
static int quotes(const char *q, size_t qlen, const char *at, size_t tok)
{
    if (tok > SHOW_MAX)
        return qlen == SHOW_MAX + 3 && memcmp(q, at, SHOW_MAX) == 0 &&
               memcmp(q + SHOW_MAX, "...", 3) == 0;
    return qlen == tok && memcmp(q, at, tok) == 0;
}

/* ---- the message of a failed parse ------------------------------------- */

/* Every message ends " (at position N)" with N 1-based in the spec; what
 * comes before names the key or value found there. */
static void check_message(const char *spec, size_t len, const char *msg)
{
    static const char *const value_tails[] = {
        "' is not a number",
        "' is not a boolean (true/false, 1/0, yes/no, on/off)",
        "' is not off, always, adaptive or a boolean",
    };
    const char *tail = strrchr(msg, '(');
    size_t mlen, pos = 0, hlen;
    const char *at;
    char end;

    CHECK(tail && sscanf(tail, "(at position %zu%c", &pos, &end) == 2 && end == ')');
    CHECK(tail[strlen(tail) - 1] == ')' && tail > msg && tail[-1] == ' ');
    CHECK(pos >= 1 && pos <= len + 1);
    at = spec + pos - 1;
    mlen = (size_t)(tail - 1 - msg); /* without " (at position N)" */

    if (starts_with(msg, "missing key before '='")) {
        CHECK(mlen == strlen("missing key before '='") && *at == '=');
        return;
    }
    if (starts_with(msg, "missing '=' after '")) {
        hlen = strlen("missing '=' after '");
        CHECK(mlen > hlen && msg[mlen - 1] == '\'');
        CHECK(!memchr(at, '=', strcspn(at, ",")));
        CHECK(quotes(msg + hlen, mlen - hlen - 1, at, token_len(at, ",")));
        return;
    }
    if (starts_with(msg, "unknown key '")) {
        hlen = strlen("unknown key '");
        CHECK(mlen > hlen && msg[mlen - 1] == '\'');
        CHECK(quotes(msg + hlen, mlen - hlen - 1, at, token_len(at, "=,")));
        CHECK(at[strcspn(at, "=,")] == '=');
        return;
    }
    /* Value errors: "KEY: 'VALUE' is not ..." or "KEY must be ...", with the
     * position at the value and KEY written before it in the spec. */
    for (size_t i = 0; i < NKEYS; i++) {
        size_t klen = strlen(keys[i].name);
        const char *p;

        if (strncmp(msg, keys[i].name, klen) != 0)
            continue;
        CHECK((p = strstr(spec, keys[i].name)) != NULL && p < at);
        if (starts_with(msg + klen, " must be from 0 to 2^40 (MiB), got ")) {
            CHECK(strcmp(keys[i].name, "threshold_mb") == 0 ||
                  strcmp(keys[i].name, "hold_limit_mb") == 0 ||
                  strcmp(keys[i].name, "memory_limit_mb") == 0);
            return;
        }
        if (starts_with(msg + klen, " must be from 0 to 1 (a share of wall time), got ")) {
            CHECK(strcmp(keys[i].name, "gc_budget") == 0);
            return;
        }
        CHECK(starts_with(msg + klen, ": '"));
        hlen = klen + 3;
        for (size_t t = 0; t < sizeof value_tails / sizeof value_tails[0]; t++) {
            long qend = before_suffix(msg, mlen, value_tails[t]);
            if (qend >= (long)hlen) {
                CHECK(quotes(msg + hlen, (size_t)qend - hlen, at, token_len(at, ",")));
                return;
            }
        }
        CHECK(!"value error with an unknown ending");
    }
    CHECK(!"message of an unknown shape");
}

/* ---- gcp_config_parse -------------------------------------------------- */

/* err filled with canaries around the room the parser is given. */
static void check_small_errlen(const char *spec, int rc, const char *msg)
{
    static const size_t lens[] = {0, 1, 7};
    gcp_config cfg;

    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n = lens[i];
        unsigned char buf[8 + NCANARY];

        memset(buf, CANARY, sizeof buf);
        gcp_config_init(&cfg);
        CHECK(gcp_config_parse(spec, &cfg, (char *)buf, n) == rc);
        for (size_t j = n; j < sizeof buf; j++)
            CHECK(buf[j] == CANARY);
        if (rc < 0 && n > 0) {
            /* msg, cut to n - 1 bytes and terminated */
            CHECK(memchr(buf, '\0', n) != NULL);
            CHECK(strncmp((char *)buf, msg, n - 1) == 0 && strlen((char *)buf) <= n - 1);
        }
        if (rc == 0 && n > 0) /* untouched on success */
            CHECK(buf[0] == CANARY);
    }
    /* no buffer at all */
    gcp_config_init(&cfg);
    CHECK(gcp_config_parse(spec, &cfg, NULL, 64) == rc);
    if (rc < 0)
        CHECK(strcmp(gcp_last_error(), msg) == 0);
}

static int plausible(const gcp_config *c)
{
    return c->auto_gc >= 0 && c->auto_gc <= GCP_AUTO_GC_OFF && (c->detailed_stats & ~1) == 0 &&
           (c->track_peak & ~1) == 0 && (c->heap_only & ~1) == 0 && isfinite(c->threshold_mb) &&
           c->threshold_mb >= 0 && isfinite(c->hold_limit_mb) && c->hold_limit_mb >= 0 &&
           c->gc_budget >= 0 && c->gc_budget <= 1 && isfinite(c->memory_limit_mb) &&
           c->memory_limit_mb >= 0;
}

/* The profiler's fast path (plainly_valid in config.c) must agree with
 * gcp_config_validate on every config, and copy it whole when it is good. */
static void check_resolve(const gcp_config *cfg)
{
    gcp_config out, untouched;
    int rc = gcp_config_validate(cfg);

    memset(&out, 0x5a, sizeof out);
    untouched = out;
    CHECK(gcp__config_resolve(cfg, &out) == rc);
    if (rc != 0) {
        CHECK(memcmp(&out, &untouched, sizeof out) == 0);
        return;
    }
    /* copied, with its zeros made the defaults they stand for */
    gcp_config want = *cfg;
    if (want.auto_gc == GCP_AUTO_GC_DEFAULT)
        want.auto_gc = GCP_AUTO_GC_ALWAYS;
    if (want.hold_limit_mb == 0)
        want.hold_limit_mb = 1024;
    if (want.gc_budget == 0)
        want.gc_budget = 0.10;
    CHECK(same_fields(&out, &want));
}

/* After a successful parse: usable, but for the cross-field rules (an RSS
 * bound, threshold_mb or memory_limit_mb, with heap_only) that only
 * gcp_config_validate checks. */
static void check_valid(const gcp_config *cfg)
{
    int threshold = cfg->heap_only && cfg->threshold_mb > 0;
    int limit = cfg->heap_only && cfg->memory_limit_mb > 0;

    CHECK(plausible(cfg));
    check_resolve(cfg);
    if (gcp_config_validate(cfg) == 0) {
        CHECK(!threshold && !limit);
        return;
    }
    CHECK(threshold || limit);
    CHECK(starts_with(gcp_last_error(), threshold ? "threshold_mb=" : "memory_limit_mb="));
    CHECK(strstr(gcp_last_error(), "needs RSS, which heap_only turns off") != NULL);
}

/* Returns the parse's result; *out is the config it gave, msg its message. */
static int check_parse(const char *spec, size_t len, gcp_config *out, char *msg)
{
    unsigned char err[ERR_SIZE + NCANARY];
    gcp_config cfg, before, again;
    int rc;

    gcp_config_init(&cfg);
    before = cfg;
    memset(err, CANARY, sizeof err);
    rc = gcp_config_parse(spec, &cfg, (char *)err, ERR_SIZE);
    for (size_t j = ERR_SIZE; j < sizeof err; j++)
        CHECK(err[j] == CANARY);
    *out = cfg;
    msg[0] = '\0';
    if (rc == 0) {
        CHECK(err[0] == CANARY); /* err is only written on failure */
        check_valid(&cfg);
        /* Every item sets its key outright, so applying the spec again
         * changes nothing. */
        again = cfg;
        CHECK(gcp_config_parse(spec, &again, NULL, 0) == 0 && same_config(&again, &cfg));
        return 0;
    }
    CHECK(rc == GCP_EINVAL);
    CHECK(memchr(err, '\0', ERR_SIZE) != NULL && err[0] != '\0');
    CHECK(strcmp((char *)err, gcp_last_error()) == 0);
    CHECK(same_config(&cfg, &before));
    check_message(spec, len, (char *)err);
    strcpy(msg, (char *)err);
    return rc;
}

/* ---- gcp_config_init_env ----------------------------------------------- */

static void clear_env(void)
{
    unsetenv("GCPROF");
    for (size_t i = 0; i < NKEYS; i++)
        unsetenv(keys[i].env);
}

/* name=value in a buffer of our own: glibc's setenv keeps a copy of every
 * value it was ever given (old getenv pointers stay valid), so memory
 * would grow with each new input. putenv uses the buffer itself; one
 * buffer will do, as each check sets one variable on a clean environment. */
static void set_var(const char *name, const char *value)
{
    static char *buf;
    static size_t cap;
    size_t n = strlen(name) + strlen(value) + 2;

    clear_env(); /* nothing points into buf any more */
    if (n > cap) {
        free(buf);
        CHECK((buf = malloc(n)) != NULL);
        cap = n;
    }
    snprintf(buf, n, "%s=%s", name, value);
    CHECK(putenv(buf) == 0);
}

static int blank(const char *s)
{
    return s[strspn(s, " \t\n\v\f\r")] == '\0';
}

/* GCPROF=spec reads as the spec on the built-in defaults; a failure is the
 * parser's message after "GCPROF: ", and leaves the defaults. */
static void check_env_spec(const char *spec, int parse_rc, const gcp_config *parsed,
                           const char *parse_msg)
{
    char err[ERR_SIZE], want[ERR_SIZE + 16];
    gcp_config cfg, defaults;
    int rc;

    set_var("GCPROF", spec);
    memset(&cfg, 0x5a, sizeof cfg);
    rc = gcp_config_init_env(&cfg, err, sizeof err);
    CHECK(rc == parse_rc);
    if (rc == 0) {
        CHECK(same_config(&cfg, parsed));
        return;
    }
    gcp_config_init(&defaults);
    CHECK(same_config(&cfg, &defaults));
    snprintf(want, sizeof want, "GCPROF: %s", parse_msg);
    CHECK(strcmp(err, want) == 0 && strcmp(gcp_last_error(), err) == 0);
}

/* GCPROF_<KEY>=value reads as the spec "key=value" (no ',' in value: that
 * would split the spec), except that a blank variable counts as unset. A
 * failure names the variable. */
static void check_env_key(const char *value, size_t which)
{
    size_t k = which % NKEYS, n = strlen(keys[k].name) + strlen(value) + 2;
    char err[ERR_SIZE], *spec;
    gcp_config from_env, from_spec;
    int rc_env, rc_spec;

    if (strchr(value, ',') || blank(value) || !(spec = malloc(n)))
        return;
    snprintf(spec, n, "%s=%s", keys[k].name, value);
    gcp_config_init(&from_spec);
    rc_spec = gcp_config_parse(spec, &from_spec, NULL, 0);
    free(spec);

    set_var(keys[k].env, value);
    rc_env = gcp_config_init_env(&from_env, err, sizeof err);
    clear_env();
    CHECK(rc_env == rc_spec);
    if (rc_env == 0) {
        CHECK(same_config(&from_env, &from_spec));
        return;
    }
    /* "GCPROF_X: 'v' is not ..." or "GCPROF_X must be ..." */
    CHECK(starts_with(err, keys[k].env));
    CHECK(err[strlen(keys[k].env)] == ':' || err[strlen(keys[k].env)] == ' ');
    CHECK(strcmp(gcp_last_error(), err) == 0);
}

/* ---- the target ---------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec = malloc(size + 1), msg[ERR_SIZE];
    gcp_config parsed;
    size_t len;
    int rc;

    if (!spec)
        return 0;
    memcpy(spec, data, size);
    spec[size] = '\0'; /* an embedded NUL ends the spec, as in C */
    len = strlen(spec);

    rc = check_parse(spec, len, &parsed, msg);
    check_small_errlen(spec, rc, msg);
    check_env_spec(spec, rc, &parsed, msg);
    check_env_key(spec, size);
    clear_env();
    if (size >= sizeof parsed) { /* the same bytes as a config, of any values */
        memcpy(&parsed, data, sizeof parsed);
        check_resolve(&parsed);
    }
    free(spec);
    return 0;
}
