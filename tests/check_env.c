/*
 * check_env.c - the environment: the table of every GCPROF_* variable
 * (runtime/heap/env_table.c) against doc/environment.md and the built-in
 * defaults, the typed readers (runtime/heap/env.c), one boolean vocabulary for
 * the environment and config specs, named errors, and
 * gcp_monitor_options_init (defaults only) against _init_env.
 * Start-up (gcp_init) in fresh processes: tests/check_env.sh.
 *
 * Rerun one test under gdb:
 *   CK_FORK=no CK_RUN_CASE=vocabulary gdb ./tests/check_env
 */
#include <check.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "env.h"
#include "gcprof.h"
#include "testutil.h"

#define BOOL_MSG "' is not a boolean (true/false, 1/0, yes/no, on/off)"

static tu_log logged;

static void setup(void)
{
    for (size_t i = 0; i < gcp__env_nvars; i++)
        unsetenv(gcp__env_vars[i].name);
    tu_log_capture(&logged);
}

static void teardown(void)
{
    for (size_t i = 0; i < gcp__env_nvars; i++)
        unsetenv(gcp__env_vars[i].name);
    tu_log_restore();
}

static int is_config_key(const gcp__env_var *v)
{
    static const char *const keys[] = {"GCPROF_AUTO_GC",       "GCPROF_DETAILED_STATS",
                                       "GCPROF_TRACK_PEAK",    "GCPROF_THRESHOLD_MB",
                                       "GCPROF_HOLD_LIMIT_MB", "GCPROF_HEAP_ONLY",
                                       "GCPROF_GC_BUDGET",     "GCPROF_MEMORY_LIMIT_MB"};

    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(v->name, keys[i]) == 0)
            return 1;
    return 0;
}

/* GCPROF_TRACK_PEAK -> "track_peak" */
static void key_of(const gcp__env_var *v, char *out, size_t n)
{
    size_t i = 0;

    for (const char *p = v->name + strlen("GCPROF_"); *p && i + 1 < n; p++)
        out[i++] = (char)tolower((unsigned char)*p);
    out[i] = '\0';
}

static int same_config(const gcp_config *a, const gcp_config *b)
{
    return a->auto_gc == b->auto_gc && a->detailed_stats == b->detailed_stats &&
           a->track_peak == b->track_peak && a->threshold_mb == b->threshold_mb &&
           a->hold_limit_mb == b->hold_limit_mb && a->heap_only == b->heap_only;
}

/* ---- the table ---------------------------------------------------------- */

START_TEST(test_table_rows)
{
    for (size_t i = 0; i < gcp__env_nvars; i++) {
        const gcp__env_var *v = &gcp__env_vars[i];
        int internal = strncmp(v->name, "GCPROF_PRELOAD_", 15) == 0;

        ck_assert_msg(strncmp(v->name, "GCPROF", 6) == 0, "%s", v->name);
        ck_assert_msg(gcp__env_find(v->name) == v, "%s: listed twice", v->name);
        ck_assert_msg(v->meaning && *v->meaning, "%s: no meaning", v->name);
        ck_assert_msg(v->readers != 0, "%s: read by nobody", v->name);
        /* the channel's variables, and only they, are internal */
        ck_assert_msg(internal == (v->readers == GCP__ENV_INTERNAL), "%s", v->name);
        ck_assert_msg((v->kind == GCP__ENV_ENUM) == (v->words != NULL), "%s", v->name);
        if (v->kind == GCP__ENV_NUMBER)
            ck_assert_msg(v->min < v->max, "%s: empty range", v->name);
    }
    ck_assert_ptr_null(gcp__env_find("GCPROF_NO_SUCH"));
}
END_TEST

/* Each default, set as the value, reads back as what the reader gives
 * when the variable is unset: defaults are values of their own kind. */
START_TEST(test_table_defaults_are_values)
{
    for (size_t i = 0; i < gcp__env_nvars; i++) {
        const gcp__env_var *v = &gcp__env_vars[i];
        int b_unset = -7, b_set = -8;
        double d_unset = -7, d_set = -8;

        if (!v->def || v->kind == GCP__ENV_PATH || v->kind == GCP__ENV_TEXT)
            continue;
        if (v->kind == GCP__ENV_BOOL || v->kind == GCP__ENV_ENUM) {
            int (*reader)(const char *, int *) =
                v->kind == GCP__ENV_BOOL ? gcp__env_bool : gcp__env_enum;
            ck_assert_int_eq(reader(v->name, &b_unset), 0);
            setenv(v->name, v->def, 1);
            ck_assert_msg(reader(v->name, &b_set) == 1, "%s: %s", v->name, gcp_last_error());
            ck_assert_int_eq(b_set, b_unset);
        } else if (v->kind == GCP__ENV_NUMBER) {
            ck_assert_int_eq(gcp__env_number(v->name, &d_unset), 0);
            setenv(v->name, v->def, 1);
            ck_assert_msg(gcp__env_number(v->name, &d_set) == 1, "%s: %s", v->name,
                          gcp_last_error());
            ck_assert_double_eq(d_set, d_unset);
        }
        unsetenv(v->name);
    }
}
END_TEST

/* The table's defaults are the built-in ones: a config key's variable set
 * to it changes nothing (zero fields stand for defaults: compared as a
 * profile resolves them), and so do the monitor's. */
START_TEST(test_table_defaults_are_builtin)
{
    gcp_config builtin, from_env;
    gcp_monitor_options plain, env;
    char err[256];

    gcp_config_init(&from_env);
    ck_assert_int_eq(gcp__config_resolve(&from_env, &builtin), 0);
    for (size_t i = 0; i < gcp__env_nvars; i++) {
        const gcp__env_var *v = &gcp__env_vars[i];

        if (!is_config_key(v))
            continue;
        ck_assert_ptr_nonnull(v->def);
        setenv(v->name, v->def, 1);
        ck_assert_msg(gcp_config_init_env(&from_env, err, sizeof err) == 0, "%s", err);
        ck_assert_int_eq(gcp__config_resolve(&from_env, &from_env), 0);
        ck_assert_msg(same_config(&from_env, &builtin), "%s: default %s is not gcp_config_init's",
                      v->name, v->def);
        unsetenv(v->name);
    }
    ck_assert_int_eq(gcp_monitor_options_init(&plain), 0);
    setenv("GCPROF_MONITOR_INTERVAL", gcp__env_find("GCPROF_MONITOR_INTERVAL")->def, 1);
    setenv("GCPROF_MONITOR_FORMAT", gcp__env_find("GCPROF_MONITOR_FORMAT")->def, 1);
    setenv("GCPROF_TRACE", gcp__env_find("GCPROF_TRACE")->def, 1);
    ck_assert_int_eq(gcp_monitor_options_init_env(&env), 0);
    ck_assert_double_eq(env.interval, plain.interval != 0 ? plain.interval : 0.01); /* 0: 0.01 */
    ck_assert_int_eq(env.format, plain.format);
    ck_assert_int_eq(env.trace, plain.trace);
}
END_TEST

/* A reader refuses a name that is not a row of its kind. */
START_TEST(test_reader_of_another_kind)
{
    int b = 5;
    double d = 5;

    setenv("GCPROF_SITES", "1", 1);
    ck_assert_int_eq(gcp__env_number("GCPROF_SITES", &d), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "GCPROF_SITES"));
    ck_assert_int_eq(gcp__env_bool("GCPROF_NOT_IN_THE_TABLE", &b), GCP_EINVAL);
    ck_assert_int_eq(b, 5);
    ck_assert_ptr_null(gcp__env_text("GCPROF_SITES")); /* a boolean, no text */
}
END_TEST

/* doc/environment.md has a row per variable, with its kind and default. */
START_TEST(test_table_in_doc)
{
    const char *top = getenv("top_srcdir");
    char path[4096], line[1024];
    int found[256] = {0};
    FILE *fp;

    ck_assert_uint_lt(gcp__env_nvars, sizeof found / sizeof found[0]);
    snprintf(path, sizeof path, "%s/doc/environment.md", top ? top : ".");
    fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "cannot read %s", path);
    while (fgets(line, sizeof line, fp)) {
        char *cell[4], *p = line;
        int n = 0;

        if (strncmp(line, "| `GCPROF", 9) != 0)
            continue;
        /* | `NAME` | kind | default | ... */
        for (p = line + 2; n < 4 && (cell[n] = p) != NULL; n++) {
            char *bar = strstr(p, " | ");
            if (!bar)
                break;
            *bar = '\0';
            p = bar + 3;
        }
        if (n < 3)
            continue;
        char name[128];
        if (sscanf(cell[0], "`%127[A-Z_]`", name) != 1)
            continue;
        const gcp__env_var *v = gcp__env_find(name);
        if (!v)
            continue; /* the test harness's: tests/check_env_names.sh */
        found[v - gcp__env_vars]++;
        static const char *const kinds[] = {"boolean", "number", "one of", "path", "spec", "text"};
        const char *kind = v->flags & GCP__ENV_WHOLE ? "whole number" : kinds[v->kind];
        ck_assert_msg(strncmp(cell[1], kind, strlen(kind)) == 0, "%s: kind '%s', want %s", name,
                      cell[1], kind);
        if (v->kind == GCP__ENV_ENUM)
            for (const char *w = v->words; *w; w += strcspn(w, "|") + (w[strcspn(w, "|")] != 0)) {
                char quoted[64];
                snprintf(quoted, sizeof quoted, "`%.*s`", (int)strcspn(w, "|"), w);
                ck_assert_msg(strstr(cell[1], quoted), "%s: %s not listed", name, quoted);
            }
        char def[256] = "none";
        if (v->def)
            snprintf(def, sizeof def, "`%s`", v->def);
        ck_assert_msg(strcmp(cell[2], def) == 0, "%s: default '%s', want '%s'", name, cell[2], def);
    }
    fclose(fp);
    for (size_t i = 0; i < gcp__env_nvars; i++)
        ck_assert_msg(found[i] == 1, "%s: %d rows in doc/environment.md", gcp__env_vars[i].name,
                      found[i]);
}
END_TEST

/* ---- one vocabulary ------------------------------------------------------ */

static const struct {
    const char *word;
    int value;
} words[] = {{"true", 1}, {"false", 0}, {"1", 1},    {"0", 0},      {"yes", 1}, {"no", 0},
             {"on", 1},   {"off", 0},   {"TRUE", 1}, {"False", 0},  {"YES", 1}, {"No", 0},
             {"On", 1},   {"OFF", 0},   {" on ", 1}, {"\toff\n", 0}};

static const char *const typos[] = {"ture",   "2",   "-1", "y",   "n",
                                    "enable", "onn", "of", "1.0", "t rue"};

START_TEST(test_every_boolean_variable)
{
    for (size_t i = 0; i < gcp__env_nvars; i++) {
        const gcp__env_var *v = &gcp__env_vars[i];
        char want[256];
        int b;

        if (v->kind != GCP__ENV_BOOL)
            continue;
        for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
            setenv(v->name, words[w].word, 1);
            b = -1;
            ck_assert_msg(gcp__env_bool(v->name, &b) == 1, "%s='%s'", v->name, words[w].word);
            ck_assert_msg(b == words[w].value, "%s='%s' read %d", v->name, words[w].word, b);
        }
        for (size_t t = 0; t < sizeof typos / sizeof typos[0]; t++) {
            setenv(v->name, typos[t], 1);
            ck_assert_int_eq(gcp__env_bool(v->name, &b), GCP_EINVAL);
            snprintf(want, sizeof want, "%s: '%s" BOOL_MSG, v->name, typos[t]);
            ck_assert_str_eq(gcp_last_error(), want);
            ck_assert_int_eq(b, strcmp(v->def, "1") == 0); /* the default */
        }
        setenv(v->name, " ", 1);
        ck_assert_int_eq(gcp__env_bool(v->name, &b), 0); /* blank: unset */
        unsetenv(v->name);
    }
    ck_assert_int_eq(logged.count, 0); /* errors, not logged */
}
END_TEST

/* The config's booleans, through the public functions: the environment
 * and a spec read every word alike. */
START_TEST(test_config_booleans_env_and_spec)
{
    for (size_t i = 0; i < gcp__env_nvars; i++) {
        const gcp__env_var *v = &gcp__env_vars[i];
        gcp_config from_env, from_spec;
        char key[64], spec[128], err[256];

        if (!is_config_key(v) || v->kind != GCP__ENV_BOOL)
            continue;
        key_of(v, key, sizeof key);
        for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
            setenv(v->name, words[w].word, 1);
            ck_assert_msg(gcp_config_init_env(&from_env, err, sizeof err) == 0, "%s", err);
            snprintf(spec, sizeof spec, "%s=%s", key, words[w].word);
            gcp_config_init(&from_spec);
            ck_assert_msg(gcp_config_parse(spec, &from_spec, err, sizeof err) == 0, "%s", err);
            ck_assert_msg(same_config(&from_env, &from_spec), "%s='%s'", v->name, words[w].word);
            gcp_config_init(&from_spec);
            if (strcmp(key, "detailed_stats") == 0)
                from_spec.detailed_stats = words[w].value;
            else if (strcmp(key, "track_peak") == 0)
                from_spec.track_peak = words[w].value;
            else
                from_spec.heap_only = words[w].value;
            ck_assert_msg(same_config(&from_env, &from_spec), "%s='%s'", v->name, words[w].word);
        }
        setenv(v->name, "ture", 1);
        ck_assert_int_eq(gcp_config_init_env(&from_env, err, sizeof err), GCP_EINVAL);
        ck_assert_msg(strstr(err, v->name) == err && strstr(err, "'ture" BOOL_MSG), "%s", err);
        snprintf(spec, sizeof spec, "%s=ture", key);
        ck_assert_int_eq(gcp_config_parse(spec, &from_spec, err, sizeof err), GCP_EINVAL);
        ck_assert_msg(strstr(err, "'ture" BOOL_MSG), "%s", err);
        unsetenv(v->name);
    }
}
END_TEST

/* Every config variable reads as its spec item does (fuzz/fuzz_config.c
 * checks the same on random values). */
START_TEST(test_config_env_is_spec)
{
    static const char *const values[] = {"0",     "1",      "-1",  "0.5",      "-0",  "1e308",
                                         "1e309", "inf",    "nan", "0x10",     " 2 ", "abc",
                                         "",      "always", "off", "ADAPTIVE", "on",  "true",
                                         "2",     "1,5",    "1 2", ".5",       "5."};

    for (size_t i = 0; i < gcp__env_nvars; i++) {
        const gcp__env_var *v = &gcp__env_vars[i];
        char key[64], spec[128];

        if (!is_config_key(v))
            continue;
        key_of(v, key, sizeof key);
        for (size_t j = 0; j < sizeof values / sizeof values[0]; j++) {
            gcp_config from_env, from_spec;
            const char *val = values[j];
            int rc_env, rc_spec;

            if (strchr(val, ',') || !*val)
                continue; /* a ',' splits a spec; empty is unset */
            setenv(v->name, val, 1);
            rc_env = gcp_config_init_env(&from_env, NULL, 0);
            snprintf(spec, sizeof spec, "%s=%s", key, val);
            gcp_config_init(&from_spec);
            rc_spec = gcp_config_parse(spec, &from_spec, NULL, 0);
            ck_assert_msg(rc_env == rc_spec, "%s='%s': env %d, spec %d", v->name, val, rc_env,
                          rc_spec);
            if (rc_env == 0)
                ck_assert_msg(same_config(&from_env, &from_spec), "%s='%s'", v->name, val);
            unsetenv(v->name);
        }
    }
}
END_TEST

/* ---- numbers and choices ------------------------------------------------- */

static void expect_bad(const char *name, const char *value, const char *says)
{
    double d = -5;
    int b = -5, rc;

    setenv(name, value, 1);
    switch (gcp__env_find(name)->kind) {
    case GCP__ENV_NUMBER:
        rc = gcp__env_number(name, &d);
        break;
    case GCP__ENV_ENUM:
        rc = gcp__env_enum(name, &b);
        break;
    default:
        rc = gcp__env_bool(name, &b);
        break;
    }
    ck_assert_msg(rc == GCP_EINVAL, "%s='%s': %d", name, value, rc);
    ck_assert_msg(strncmp(gcp_last_error(), name, strlen(name)) == 0 &&
                      strstr(gcp_last_error(), says),
                  "%s='%s': '%s' lacks '%s'", name, value, gcp_last_error(), says);
    unsetenv(name);
}

START_TEST(test_bad_numbers)
{
    expect_bad("GCPROF_MONITOR_INTERVAL", "soon", "'soon' is not a number");
    expect_bad("GCPROF_MONITOR_INTERVAL", "0.25s", "'0.25s' is not a number");
    expect_bad("GCPROF_MONITOR_INTERVAL", "0", "must be from 0.001 to 3600, got 0");
    expect_bad("GCPROF_MONITOR_INTERVAL", "7200", "got 7200");
    expect_bad("GCPROF_MONITOR_INTERVAL", "nan", "got nan");
    expect_bad("GCPROF_MONITOR_INTERVAL", "inf", "got inf");
    expect_bad("GCPROF_THRESHOLD_MB", "-1", "must be from 0 to 2^40, got -1");
    expect_bad("GCPROF_HOLD_LIMIT_MB", "1e13", "must be from 0 to 2^40, got 1e+13");
    expect_bad("GCPROF_MONITOR_PID", "12x", "'12x' is not a number");
    expect_bad("GCPROF_MONITOR_PID", "1.5", "'1.5' is not a whole number");
    expect_bad("GCPROF_MONITOR_PID", "0", "got 0");
    ck_assert_int_eq(logged.count, 0);
}
END_TEST

START_TEST(test_choices)
{
    int b = -1;

    expect_bad("GCPROF_MONITOR_FORMAT", "xml", "GCPROF_MONITOR_FORMAT: 'xml' is not dat or jsonl");
    expect_bad("GCPROF_AUTO_GC", "2", "'2' is not off, always, adaptive or a boolean");
    expect_bad("GCPROF_AUTO_GC", "sometimes", "is not off, always, adaptive or a boolean");
    gcp_config cfg;

    setenv("GCPROF_MONITOR_FORMAT", " JSONL ", 1);
    ck_assert_int_eq(gcp__env_enum("GCPROF_MONITOR_FORMAT", &b), 1);
    ck_assert_int_eq(b, 1); /* the index in "dat|jsonl" */
    /* "off|always|adaptive", and a boolean: false the first, true the second */
    static const struct {
        const char *value;
        int index, mode;
    } modes[] = {{"off", 0, GCP_AUTO_GC_OFF},           {"Always", 1, GCP_AUTO_GC_ALWAYS},
                 {"ADAPTIVE", 2, GCP_AUTO_GC_ADAPTIVE}, {"no", 0, GCP_AUTO_GC_OFF},
                 {"false", 0, GCP_AUTO_GC_OFF},         {"on", 1, GCP_AUTO_GC_ALWAYS},
                 {"1", 1, GCP_AUTO_GC_ALWAYS}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        setenv("GCPROF_AUTO_GC", modes[i].value, 1);
        ck_assert_int_eq(gcp__env_enum("GCPROF_AUTO_GC", &b), 1);
        ck_assert_int_eq(b, modes[i].index);
        ck_assert_int_eq(gcp_config_init_env(&cfg, NULL, 0), 0);
        ck_assert_msg(cfg.auto_gc == modes[i].mode, "GCPROF_AUTO_GC=%s: %d", modes[i].value,
                      cfg.auto_gc);
    }
}
END_TEST

/* A long value is quoted up to 40 bytes, then "...". */
START_TEST(test_long_value)
{
    char v[300];

    memset(v, 'x', sizeof v - 1);
    v[sizeof v - 1] = '\0';
    expect_bad("GCPROF_SITES", v, "...' is not a boolean");
}
END_TEST

/* ---- the monitor's options ------------------------------------------------ */

START_TEST(test_monitor_options_init_ignores_env)
{
    gcp_monitor_options o, builtin;

    ck_assert_int_eq(gcp_monitor_options_init(&builtin), 0); /* nothing set */
    setenv("GCPROF_MONITOR_OUT", "/tmp/never.dat", 1);
    setenv("GCPROF_MONITOR_INTERVAL", "0.5", 1);
    setenv("GCPROF_MONITOR_FORMAT", "jsonl", 1);
    setenv("GCPROF_TRACE", "1", 1);
    ck_assert_int_eq(gcp_monitor_options_init(&o), 0);
    ck_assert_ptr_null(o.path);
    ck_assert_int_eq(o.format, GCP_MONITOR_DAT);
    ck_assert_int_eq(o.trace, 0);
    ck_assert(memcmp(&o, &builtin, sizeof o) == 0);
    /* a bad value is not even looked at */
    setenv("GCPROF_MONITOR_INTERVAL", "soon", 1);
    ck_assert_int_eq(gcp_monitor_options_init(&o), 0);
}
END_TEST

START_TEST(test_monitor_options_init_env_reads)
{
    gcp_monitor_options o;

    setenv("GCPROF_MONITOR_OUT", "/tmp/never.dat", 1);
    setenv("GCPROF_MONITOR_INTERVAL", " 0.5 ", 1);
    setenv("GCPROF_MONITOR_FORMAT", "jsonl", 1);
    setenv("GCPROF_TRACE", "Yes", 1);
    ck_assert_int_eq(gcp_monitor_options_init_env(&o), 0);
    ck_assert_str_eq(o.path, "/tmp/never.dat");
    ck_assert_double_eq(o.interval, 0.5);
    ck_assert_int_eq(o.format, GCP_MONITOR_JSONL);
    ck_assert_int_eq(o.trace, 1);
    setenv("GCPROF_TRACE", "false", 1); /* false is off, not "set" */
    ck_assert_int_eq(gcp_monitor_options_init_env(&o), 0);
    ck_assert_int_eq(o.trace, 0);
    setenv("GCPROF_MONITOR_OUT", "", 1); /* empty: unset */
    ck_assert_int_eq(gcp_monitor_options_init_env(&o), 0);
    ck_assert_ptr_null(o.path);
}
END_TEST

START_TEST(test_monitor_options_init_env_bad)
{
    gcp_monitor_options o;

    setenv("GCPROF_MONITOR_OUT", "/tmp/never.dat", 1);
    setenv("GCPROF_MONITOR_FORMAT", "jsonl", 1);
    setenv("GCPROF_TRACE", "ture", 1);
    ck_assert_int_eq(gcp_monitor_options_init_env(&o), GCP_EINVAL);
    ck_assert_str_eq(gcp_last_error(), "GCPROF_TRACE: 'ture" BOOL_MSG);
    ck_assert_ptr_null(o.path); /* the defaults */
    ck_assert_int_eq(o.format, GCP_MONITOR_DAT);
    ck_assert_int_eq(o.trace, 0);
    unsetenv("GCPROF_TRACE");
    setenv("GCPROF_MONITOR_INTERVAL", "0.0001", 1);
    ck_assert_int_eq(gcp_monitor_options_init_env(&o), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "GCPROF_MONITOR_INTERVAL must be"));
    ck_assert_int_eq(gcp_monitor_options_init_env(NULL), GCP_EINVAL);
    ck_assert_int_eq(gcp_monitor_options_init(NULL), GCP_EINVAL);
}
END_TEST

static Suite *make_env_suite(void)
{
    Suite *s = suite_create("env");
    TCase *table = tcase_create("table");
    TCase *vocabulary = tcase_create("vocabulary");
    TCase *errors = tcase_create("errors");
    TCase *monitor = tcase_create("monitor");

    tcase_add_checked_fixture(table, setup, teardown);
    tcase_add_test(table, test_table_rows);
    tcase_add_test(table, test_table_defaults_are_values);
    tcase_add_test(table, test_table_defaults_are_builtin);
    tcase_add_test(table, test_reader_of_another_kind);
    tcase_add_test(table, test_table_in_doc);
    suite_add_tcase(s, table);

    tcase_add_checked_fixture(vocabulary, setup, teardown);
    tcase_add_test(vocabulary, test_every_boolean_variable);
    tcase_add_test(vocabulary, test_config_booleans_env_and_spec);
    tcase_add_test(vocabulary, test_config_env_is_spec);
    suite_add_tcase(s, vocabulary);

    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(errors, test_bad_numbers);
    tcase_add_test(errors, test_choices);
    tcase_add_test(errors, test_long_value);
    suite_add_tcase(s, errors);

    tcase_add_checked_fixture(monitor, setup, teardown);
    tcase_add_test(monitor, test_monitor_options_init_ignores_env);
    tcase_add_test(monitor, test_monitor_options_init_env_reads);
    tcase_add_test(monitor, test_monitor_options_init_env_bad);
    suite_add_tcase(s, monitor);
    return s;
}

int main(void)
{
    /* tu_run's gcp_init reads GCPROF_SITES and the monitor's variables:
     * none of the ones a test sets, as they are set after */
    return tu_run(make_env_suite());
}
