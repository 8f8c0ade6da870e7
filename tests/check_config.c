/*
 * check_config.c - profiler configuration: defaults, the spec parser, the
 * environment, validation, and gcp__config_resolve.
 *
 * Rerun one test under gdb:
 *   CK_FORK=no CK_RUN_CASE=errors gdb ./tests/check_config
 */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config_internal.h"
#include "gcprof.h"
#include "testutil.h"

static const char *const env_vars[] = {"GCPROF",
                                       "GCPROF_AUTO_GC",
                                       "GCPROF_DETAILED_STATS",
                                       "GCPROF_TRACK_PEAK",
                                       "GCPROF_THRESHOLD_MB",
                                       "GCPROF_HOLD_LIMIT_MB",
                                       "GCPROF_HEAP_ONLY",
                                       "GCPROF_GC_BUDGET",
                                       "GCPROF_MEMORY_LIMIT_MB"};

static tu_log logged;

static void setup(void)
{
    for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++)
        unsetenv(env_vars[i]);
    tu_log_capture(&logged);
}

static void teardown(void)
{
    tu_log_restore();
}

static gcp_config defaults(void)
{
    gcp_config cfg;

    memset(&cfg, 0, sizeof cfg);
    gcp_config_init(&cfg);
    return cfg;
}

/* A config unlike the defaults in every field, to see what a parse changed
 * (but heap_only: a threshold needs RSS). */
static gcp_config odd_config(void)
{
    gcp_config cfg = {.auto_gc = GCP_AUTO_GC_OFF,
                      .detailed_stats = 1,
                      .track_peak = 1,
                      .threshold_mb = 7.5,
                      .hold_limit_mb = 3,
                      .heap_only = 0};
    return cfg;
}

/* Field by field: struct copies need not copy padding. */
static int config_eq(const gcp_config *a, const gcp_config *b)
{
    return a->auto_gc == b->auto_gc && a->detailed_stats == b->detailed_stats &&
           a->track_peak == b->track_peak && a->threshold_mb == b->threshold_mb &&
           a->hold_limit_mb == b->hold_limit_mb && a->heap_only == b->heap_only;
}

/* Bit for bit (NaN and -0 included), for "not written at all"; field by
 * field, as padding bytes are not part of the value. */
static int config_same(const gcp_config *a, const gcp_config *b)
{
#define SAME_(f) (memcmp(&a->f, &b->f, sizeof a->f) == 0)
    return SAME_(auto_gc) && SAME_(detailed_stats) && SAME_(track_peak) && SAME_(threshold_mb) &&
           SAME_(hold_limit_mb) && SAME_(heap_only);
#undef SAME_
}

/* spec must fail with GCP_EINVAL, leave the config as it was, and give a
 * message (in err and as the last error) holding each of the NULL-ended
 * strings that follow. */
static void expect_parse_error(const char *spec, ...)
{
    gcp_config cfg = odd_config(), before;
    char err[256];
    const char *want;
    va_list ap;

    memcpy(&before, &cfg, sizeof before);
    ck_assert_int_eq(gcp_config_parse(spec, &cfg, err, sizeof err), GCP_EINVAL);
    ck_assert_msg(config_same(&cfg, &before), "cfg changed by failed parse of '%s'", spec);
    ck_assert_str_eq(gcp_last_error(), err);
    va_start(ap, spec);
    while ((want = va_arg(ap, const char *)) != NULL)
        ck_assert_msg(strstr(err, want), "'%s': message '%s' lacks '%s'", spec, err, want);
    va_end(ap);
    ck_assert_int_eq(logged.count, 0); /* parse errors are the caller's to report */
}

/* Run fn in a child process, so the environment config that
 * gcp__config_resolve caches once per process is fresh even with
 * CK_FORK=no. fn returns 0, or the number of the check that failed. */
static void in_child(int (*fn)(void))
{
    int status = 0;
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(fn());
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status), "child died");
    ck_assert_msg(WEXITSTATUS(status) == 0, "check %d failed in child", WEXITSTATUS(status));
}

/* ---- core ------------------------------------------------------------ */

START_TEST(test_defaults)
{
    gcp_config cfg = defaults(), zero = {0}, out;

    /* gcp_config_init is {0}, byte for byte */
    ck_assert_int_eq(memcmp(&cfg, &zero, sizeof cfg), 0);
    ck_assert_int_eq(gcp_config_validate(&cfg), 0);
    /* and the zeros stand for the documented defaults */
    ck_assert_int_eq(gcp__config_resolve(&cfg, &out), 0);
    ck_assert_int_eq(out.auto_gc, GCP_AUTO_GC_ALWAYS);
    ck_assert_int_eq(out.detailed_stats, 0);
    ck_assert_int_eq(out.track_peak, 0);
    ck_assert_double_eq(out.threshold_mb, 0);
    ck_assert_double_eq(out.hold_limit_mb, 1024);
    ck_assert_int_eq(out.heap_only, 0);
    gcp_config_init(NULL); /* a no-op */
}
END_TEST

/* Issue 13: {0}, designated initialisers and memset are configs: each
 * profiles (the closure runs) with the defaults, and a field set on top
 * takes effect. Before, each failed: "hold_limit_mb must be finite and >
 * 0, got 0", and the closure did not run. */
static int ran_zero;
static int zero_body(void *env)
{
    (void)env;
    ran_zero++;
    for (int i = 0; i < 1000; i++)
        tu_sink = gcp_alloc(32);
    tu_sink = NULL;
    return 0;
}

START_TEST(test_zero_is_initialisation)
{
    gcp_config braces = {0}, by_memset;
    gcp_report r;

    memset(&by_memset, 0, sizeof by_memset);
    braces.track_peak = 1; /* @memory_profiler(track_peak=True) */
    ran_zero = 0;
    ck_assert_int_eq(gcp_profile("braces", zero_body, NULL, &braces, &r), 0);
    ck_assert_int_eq(r.track_peak, 1);
    ck_assert_int_eq(r.auto_gc, GCP_AUTO_GC_ALWAYS);
    ck_assert_int_eq(r.gc_objects_collected, 1000); /* always: exact */
    ck_assert_int_eq(gcp_profile("memset", zero_body, NULL, &by_memset, &r), 0);
    ck_assert_int_eq(r.auto_gc, GCP_AUTO_GC_ALWAYS);
    ck_assert_int_eq(gcp_profile("designated", zero_body, NULL,
                                 &(gcp_config){.auto_gc = GCP_AUTO_GC_OFF, .heap_only = 1}, &r),
                     0);
    ck_assert_int_eq(r.auto_gc, GCP_AUTO_GC_OFF);
    ck_assert(r.profiler_gc_time == 0); /* off: the profiler did not collect */
    ck_assert_int_eq(gcp_profile("adaptive", zero_body, NULL,
                                 &(gcp_config){.auto_gc = GCP_AUTO_GC_ADAPTIVE}, &r),
                     0);
    ck_assert_int_eq(r.auto_gc, GCP_AUTO_GC_ADAPTIVE);
    ck_assert_int_eq(ran_zero, 4);
}
END_TEST

/* gc_budget is a share of wall time (0 the default, up to 1) and
 * memory_limit_mb MiB of RSS, which heap_only cannot read: from specs, the
 * environment and the struct alike. */
START_TEST(test_budget_and_limit)
{
    gcp_config cfg = {0};
    char err[200];

    ck_assert_int_eq(gcp_config_parse("gc_budget=0.25, memory_limit_mb=512", &cfg, err, sizeof err),
                     0);
    ck_assert(cfg.gc_budget == 0.25 && cfg.memory_limit_mb == 512);
    ck_assert_int_eq(gcp_config_parse("gc_budget=1.5", &cfg, err, sizeof err), GCP_EINVAL);
    ck_assert_str_eq(err, "gc_budget must be from 0 to 1 (a share of wall time), got 1.5 (at "
                          "position 11)");
    ck_assert(cfg.gc_budget == 0.25); /* unchanged */
    ck_assert_int_eq(gcp_config_parse("memory_limit_mb=-1", &cfg, err, sizeof err), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "memory_limit_mb must be from 0 to 2^40"));
    setenv("GCPROF_GC_BUDGET", "2", 1);
    ck_assert_int_eq(gcp_config_init_env(&cfg, err, sizeof err), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "GCPROF_GC_BUDGET"));
    setenv("GCPROF_GC_BUDGET", "0.05", 1);
    setenv("GCPROF_MEMORY_LIMIT_MB", "300", 1);
    ck_assert_int_eq(gcp_config_init_env(&cfg, err, sizeof err), 0);
    ck_assert(cfg.gc_budget == 0.05 && cfg.memory_limit_mb == 300);
    unsetenv("GCPROF_GC_BUDGET");
    unsetenv("GCPROF_MEMORY_LIMIT_MB");
    gcp_config_init(&cfg);
    cfg.gc_budget = -0.1;
    ck_assert_int_eq(gcp_config_validate(&cfg), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "gc_budget"));
    cfg.gc_budget = 0;
    cfg.heap_only = 1;
    cfg.memory_limit_mb = 100;
    ck_assert_int_eq(gcp_config_validate(&cfg), GCP_EINVAL);
    ck_assert_str_eq(gcp_last_error(), "memory_limit_mb=100 needs RSS, which heap_only turns off");
}
END_TEST

/* A caller's reserved_ words are refused unless zero: a later version
 * gives them meaning, so garbage there would change behaviour silently. */
START_TEST(test_reserved_must_be_zero)
{
    gcp_config cfg = {0};
    gcp_report r;

    cfg.reserved_[sizeof cfg.reserved_ / sizeof cfg.reserved_[0] - 1] = 1;
    ck_assert_int_eq(gcp_config_validate(&cfg), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "reserved_"));
    ran_zero = 0;
    ck_assert_int_eq(gcp_profile("reserved", zero_body, NULL, &cfg, &r), GCP_EINVAL);
    ck_assert_int_eq(ran_zero, 0);
}
END_TEST

START_TEST(test_each_key)
{
    gcp_config cfg = defaults();
    char err[128] = "";

    ck_assert_int_eq(gcp_config_parse("auto_gc=0", &cfg, err, sizeof err), 0);
    ck_assert_int_eq(cfg.auto_gc, GCP_AUTO_GC_OFF); /* a boolean: false is off */
    ck_assert_int_eq(gcp_config_parse("detailed_stats=1", &cfg, err, sizeof err), 0);
    ck_assert_int_eq(cfg.detailed_stats, 1);
    ck_assert_int_eq(gcp_config_parse("track_peak=1", &cfg, err, sizeof err), 0);
    ck_assert_int_eq(cfg.track_peak, 1);
    ck_assert_int_eq(gcp_config_parse("threshold_mb=12.5", &cfg, err, sizeof err), 0);
    ck_assert_double_eq(cfg.threshold_mb, 12.5);
    ck_assert_int_eq(gcp_config_parse("hold_limit_mb=0.25", &cfg, err, sizeof err), 0);
    ck_assert_double_eq(cfg.hold_limit_mb, 0.25);
    ck_assert_str_eq(err, ""); /* untouched on success */
    ck_assert_int_eq(gcp_config_validate(&cfg), 0);
}
END_TEST

/* Every key in one spec: odd_config(), written plainly, then with white
 * space around keys, values and commas. */
static const char *const all_keys_specs[] = {
    "auto_gc=0,detailed_stats=1,track_peak=1,threshold_mb=7.5,hold_limit_mb=3",
    "  auto_gc = off ,\tdetailed_stats\t=\tyes\t,\n"
    "track_peak= on,threshold_mb =7.5 , hold_limit_mb = 3 ",
};

START_TEST(test_all_keys_at_once)
{
    gcp_config cfg = defaults(), want = odd_config();

    ck_assert_int_eq(gcp_config_parse(all_keys_specs[_i], &cfg, NULL, 0), 0);
    ck_assert(config_eq(&cfg, &want));
}
END_TEST

START_TEST(test_bool_spellings)
{
    static const struct {
        const char *word;
        int value;
    } words[] = {{"true", 1}, {"TRUE", 1}, {"True", 1}, {"false", 0}, {"FaLsE", 0},
                 {"1", 1},    {"0", 0},    {"yes", 1},  {"YES", 1},   {"no", 0},
                 {"No", 0},   {"on", 1},   {"ON", 1},   {"off", 0},   {"oFF", 0}};
    static const char *const keys[] = {"auto_gc", "detailed_stats", "track_peak"};

    for (size_t k = 0; k < 3; k++) {
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
            gcp_config cfg = defaults();
            int *field = k == 0 ? &cfg.auto_gc : k == 1 ? &cfg.detailed_stats : &cfg.track_peak;
            char spec[64];

            /* auto_gc: true is always, false is off */
            int want = k > 0 ? words[i].value
                             : words[i].value ? GCP_AUTO_GC_ALWAYS : GCP_AUTO_GC_OFF;

            *field = k > 0 ? !words[i].value : GCP_AUTO_GC_DEFAULT;
            snprintf(spec, sizeof spec, "%s=%s", keys[k], words[i].word);
            ck_assert_int_eq(gcp_config_parse(spec, &cfg, NULL, 0), 0);
            ck_assert_msg(*field == want, "%s gave %d", spec, *field);
        }
    }
}
END_TEST

START_TEST(test_numbers)
{
    gcp_config cfg = defaults();

    ck_assert_int_eq(gcp_config_parse("threshold_mb=0", &cfg, NULL, 0), 0);
    ck_assert_double_eq(cfg.threshold_mb, 0);
    ck_assert_int_eq(gcp_config_parse("threshold_mb=1e3", &cfg, NULL, 0), 0);
    ck_assert_double_eq(cfg.threshold_mb, 1000);
    ck_assert_int_eq(gcp_config_parse("threshold_mb=+2", &cfg, NULL, 0), 0);
    ck_assert_double_eq(cfg.threshold_mb, 2);
    ck_assert_int_eq(gcp_config_parse("hold_limit_mb=.5", &cfg, NULL, 0), 0);
    ck_assert_double_eq(cfg.hold_limit_mb, 0.5);
    ck_assert_int_eq(gcp_config_parse("hold_limit_mb=4096", &cfg, NULL, 0), 0);
    ck_assert_double_eq(cfg.hold_limit_mb, 4096);
}
END_TEST

START_TEST(test_empty_items)
{
    static const char *const empty[] = {"", " ", ",", ",,,", " , \t, ", "\n"};
    gcp_config cfg = odd_config(), before = cfg;

    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        ck_assert_int_eq(gcp_config_parse(empty[i], &cfg, NULL, 0), 0);
        ck_assert_msg(config_eq(&cfg, &before), "'%s' changed the config", empty[i]);
    }
    cfg = defaults();
    ck_assert_int_eq(gcp_config_parse(",auto_gc=0,,track_peak=1,", &cfg, NULL, 0), 0);
    ck_assert_int_eq(cfg.auto_gc, GCP_AUTO_GC_OFF);
    ck_assert_int_eq(cfg.track_peak, 1);
}
END_TEST

START_TEST(test_later_item_wins)
{
    gcp_config cfg = defaults();

    ck_assert_int_eq(
        gcp_config_parse("threshold_mb=1,track_peak=1,threshold_mb=2,track_peak=0", &cfg, NULL, 0),
        0);
    ck_assert_double_eq(cfg.threshold_mb, 2);
    ck_assert_int_eq(cfg.track_peak, 0);
}
END_TEST

/* The environment as gcp_config_init_env reads it: the variables set (the
 * rest unset by setup), and the config they give: the defaults, or
 * odd_config(). cfg starts as the other, so every field must be written. */
static const struct {
    const char *what;
    const char *vars[6][2]; /* name, value; the first NULL name ends them */
    int odd;
} env_cases[] = {
    {"none set", {{NULL, NULL}}, 0},
    {"GCPROF",
     {{"GCPROF", "auto_gc=0,detailed_stats=1,track_peak=1,threshold_mb=7.5,hold_limit_mb=3"}},
     1},
    {"one variable a key",
     {{"GCPROF_AUTO_GC", "no"},
      {"GCPROF_DETAILED_STATS", "1"},
      {"GCPROF_TRACK_PEAK", " On "},
      {"GCPROF_THRESHOLD_MB", "7.5"},
      {"GCPROF_HOLD_LIMIT_MB", "3"}},
     1},
    {"empty or blank is unset",
     {{"GCPROF", ""}, {"GCPROF_TRACK_PEAK", ""}, {"GCPROF_THRESHOLD_MB", "  "}},
     0},
};

START_TEST(test_env)
{
    gcp_config want = env_cases[_i].odd ? odd_config() : defaults();
    gcp_config cfg = env_cases[_i].odd ? defaults() : odd_config();

    for (size_t i = 0; i < 6 && env_cases[_i].vars[i][0]; i++)
        setenv(env_cases[_i].vars[i][0], env_cases[_i].vars[i][1], 1);
    ck_assert_int_eq(gcp_config_init_env(&cfg, NULL, 0), 0);
    ck_assert_msg(config_eq(&cfg, &want), "%s", env_cases[_i].what);
}
END_TEST

START_TEST(test_env_precedence)
{
    gcp_config cfg;

    setenv("GCPROF", "track_peak=0,threshold_mb=5,hold_limit_mb=9", 1);
    setenv("GCPROF_TRACK_PEAK", "1", 1);
    setenv("GCPROF_THRESHOLD_MB", "7", 1);
    ck_assert_int_eq(gcp_config_init_env(&cfg, NULL, 0), 0);
    ck_assert_int_eq(cfg.track_peak, 1);       /* per-key variable beats GCPROF */
    ck_assert_double_eq(cfg.threshold_mb, 7);  /* likewise */
    ck_assert_double_eq(cfg.hold_limit_mb, 9); /* GCPROF beats the default */
    ck_assert_int_eq(cfg.auto_gc, GCP_AUTO_GC_DEFAULT); /* untouched */
    /* An explicit spec applied afterwards beats both. */
    ck_assert_int_eq(gcp_config_parse("track_peak=0", &cfg, NULL, 0), 0);
    ck_assert_int_eq(cfg.track_peak, 0);
}
END_TEST

START_TEST(test_resolve_explicit)
{
    gcp_config cfg = odd_config(), out;

    setenv("GCPROF", "this is not read", 1); /* the explicit path ignores it */
    memset(&out, 0, sizeof out);
    ck_assert_int_eq(gcp__config_resolve(&cfg, &out), 0);
    ck_assert(config_eq(&cfg, &out));
}
END_TEST

static int resolve_env_child(void)
{
    gcp_config out, want = defaults();

    setenv("GCPROF", "track_peak=1", 1);
    setenv("GCPROF_THRESHOLD_MB", "64", 1);
    want.track_peak = 1;
    want.threshold_mb = 64;
    want.auto_gc = GCP_AUTO_GC_ALWAYS; /* the defaults, resolved */
    want.hold_limit_mb = 1024;
    if (gcp__config_resolve(NULL, &out) != 0 || !config_eq(&out, &want))
        return 1;
    /* Read once per process: later changes are not seen. */
    setenv("GCPROF", "track_peak=0", 1);
    if (gcp__config_resolve(NULL, &out) != 0 || !config_eq(&out, &want))
        return 2;
    return 0;
}

START_TEST(test_resolve_env)
{
    in_child(resolve_env_child);
}
END_TEST

/* ---- errors ------------------------------------------------------------ */

START_TEST(test_unknown_key)
{
    expect_parse_error("foo=1", "unknown key 'foo' (at position 1)", NULL);
    expect_parse_error("auto_gc=1, foo=1", "unknown key 'foo'", "(at position 12)", NULL);
    expect_parse_error("AUTO_GC=1", "unknown key 'AUTO_GC'", NULL); /* keys are exact */
    expect_parse_error("auto_gc_x=1", "unknown key 'auto_gc_x'", NULL);
}
END_TEST

START_TEST(test_missing_equals)
{
    expect_parse_error("auto_gc", "missing '=' after 'auto_gc' (at position 1)", NULL);
    expect_parse_error("track_peak=1,  auto_gc ,x=1", "missing '=' after 'auto_gc'",
                       "(at position 16)", NULL);
    expect_parse_error("=1", "missing key before '='", "(at position 1)", NULL);
    expect_parse_error("auto_gc=1, =1", "missing key", "(at position 12)", NULL);
}
END_TEST

START_TEST(test_not_a_number)
{
    expect_parse_error("threshold_mb=abc", "threshold_mb: 'abc' is not a number (at position 14)",
                       NULL);
    expect_parse_error("threshold_mb=12abc", "threshold_mb", "'12abc'", "not a number", NULL);
    expect_parse_error("threshold_mb=1 2", "'1 2'", "not a number", NULL);
    expect_parse_error("threshold_mb=", "threshold_mb: '' is not a number", "(at position 14)",
                       NULL);
    expect_parse_error("hold_limit_mb=  ,auto_gc=1", "hold_limit_mb: '' is not a number", NULL);
    expect_parse_error("hold_limit_mb= 1MB", "hold_limit_mb: '1MB' is not a number",
                       "(at position 16)", NULL);
}
END_TEST

START_TEST(test_out_of_range)
{
    expect_parse_error("threshold_mb=-1", "threshold_mb must be from 0 to 2^40 (MiB), got -1",
                       "(at position 14)", NULL);
    expect_parse_error("threshold_mb=nan", "threshold_mb must be from 0", "got nan", NULL);
    expect_parse_error("threshold_mb=inf", "threshold_mb must be from 0", "got inf", NULL);
    expect_parse_error("threshold_mb=1e999", "threshold_mb must be from 0", "got inf", NULL);
    /* in bytes beyond 64 bits: 1e300 was accepted, and overflowed */
    expect_parse_error("threshold_mb=1e300", "threshold_mb must be from 0 to 2^40", NULL);
    expect_parse_error("hold_limit_mb=1099511627777", "hold_limit_mb must be from 0 to 2^40",
                       NULL);
    expect_parse_error("hold_limit_mb=-5", "hold_limit_mb", "got -5", NULL);
    expect_parse_error("hold_limit_mb=-inf", "hold_limit_mb", "got -inf", NULL);
}
END_TEST

/* auto_gc takes a mode name (any case) or a boolean; heap_only a boolean. */
START_TEST(test_auto_gc_modes)
{
    static const struct {
        const char *spec;
        int mode;
    } cases[] = {{"auto_gc=off", GCP_AUTO_GC_OFF},         {"auto_gc=always", GCP_AUTO_GC_ALWAYS},
                 {"auto_gc=Adaptive", GCP_AUTO_GC_ADAPTIVE}, {"auto_gc=true", GCP_AUTO_GC_ALWAYS},
                 {"auto_gc=no", GCP_AUTO_GC_OFF},          {"auto_gc = ADAPTIVE ", GCP_AUTO_GC_ADAPTIVE}};
    char err[256];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gcp_config cfg = odd_config();
        ck_assert_int_eq(gcp_config_parse(cases[i].spec, &cfg, err, sizeof err), 0);
        ck_assert_msg(cfg.auto_gc == cases[i].mode, "%s gave %d", cases[i].spec, cfg.auto_gc);
        ck_assert_int_eq(gcp_config_validate(&cfg), 0);
    }
    gcp_config cfg = defaults();
    ck_assert_int_eq(cfg.heap_only, 0);
    ck_assert_int_eq(gcp_config_parse("heap_only=yes", &cfg, err, sizeof err), 0);
    ck_assert_int_eq(cfg.heap_only, 1);
    setenv("GCPROF_AUTO_GC", "adaptive", 1);
    ck_assert_int_eq(gcp_config_init_env(&cfg, err, sizeof err), 0);
    ck_assert_int_eq(cfg.auto_gc, GCP_AUTO_GC_ADAPTIVE);
    unsetenv("GCPROF_AUTO_GC");
}
END_TEST

START_TEST(test_bad_boolean)
{
    expect_parse_error("auto_gc=maybe", "auto_gc: 'maybe' is not off, always, adaptive or a boolean",
                       "(at position 9)", NULL);
    expect_parse_error("heap_only=adaptive", "heap_only: 'adaptive' is not a boolean", NULL);
    expect_parse_error("track_peak=2", "track_peak: '2' is not a boolean", NULL);
    expect_parse_error("detailed_stats=", "detailed_stats: ''", NULL);
    expect_parse_error("auto_gc=tru", "'tru'", NULL);
    expect_parse_error("auto_gc=truee", "'truee'", NULL);
    expect_parse_error("auto_gc=-1", "'-1'", NULL);
}
END_TEST

START_TEST(test_failed_parse_changes_nothing)
{
    /* Good items before the bad one must not leak into the config. */
    expect_parse_error("auto_gc=1,detailed_stats=0,track_peak=0,threshold_mb=0,"
                       "hold_limit_mb=1024,foo=1",
                       "unknown key 'foo'", NULL);
    expect_parse_error("threshold_mb=1,threshold_mb=x", "'x'", NULL);
}
END_TEST

START_TEST(test_null_arguments)
{
    gcp_config cfg = defaults();
    char err[128];

    ck_assert_int_eq(gcp_config_parse(NULL, &cfg, err, sizeof err), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "spec"));
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "spec"));
    ck_assert_int_eq(gcp_config_parse("auto_gc=1", NULL, err, sizeof err), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "cfg"));
    ck_assert_int_eq(gcp_config_init_env(NULL, err, sizeof err), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "cfg"));
    ck_assert_int_eq(gcp_config_validate(NULL), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "cfg"));
    ck_assert_int_eq(gcp__config_resolve(&cfg, NULL), GCP_EINVAL);
    ck_assert_int_eq(logged.count, 0);
}
END_TEST

START_TEST(test_null_err_buffer)
{
    gcp_config cfg = defaults(), before;
    char err[16];

    memcpy(&before, &cfg, sizeof before);
    ck_assert_int_eq(gcp_config_parse("foo=1", &cfg, NULL, 100), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "unknown key 'foo'"));
    ck_assert(config_same(&cfg, &before));
    /* errlen 0: the buffer is not written at all. */
    memset(err, 'X', sizeof err);
    ck_assert_int_eq(gcp_config_parse("foo=1", &cfg, err, 0), GCP_EINVAL);
    for (size_t i = 0; i < sizeof err; i++)
        ck_assert_int_eq(err[i], 'X');
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "foo"));
}
END_TEST

START_TEST(test_validate)
{
    static const double bad_threshold[] = {NAN, INFINITY, -INFINITY, -1, -1e-9, 1e300};
    static const double bad_hold[] = {-1, NAN, INFINITY, 1e300, 1099511627776.5};
    gcp_config cfg;

    for (size_t i = 0; i < sizeof bad_threshold / sizeof bad_threshold[0]; i++) {
        cfg = defaults();
        cfg.threshold_mb = bad_threshold[i];
        ck_assert_int_eq(gcp_config_validate(&cfg), GCP_EINVAL);
        ck_assert_msg(strstr(gcp_last_error(), "threshold_mb"), "'%s'", gcp_last_error());
    }
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "got 1e+300"));
    cfg.threshold_mb = NAN;
    gcp_config_validate(&cfg);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "nan"));
    cfg.threshold_mb = INFINITY;
    gcp_config_validate(&cfg);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "inf"));
    for (size_t i = 0; i < sizeof bad_hold / sizeof bad_hold[0]; i++) {
        cfg = defaults();
        cfg.hold_limit_mb = bad_hold[i];
        ck_assert_int_eq(gcp_config_validate(&cfg), GCP_EINVAL);
        ck_assert_msg(strstr(gcp_last_error(), "hold_limit_mb"), "'%s'", gcp_last_error());
    }
    cfg = defaults();
    cfg.detailed_stats = 2;
    ck_assert_int_eq(gcp_config_validate(&cfg), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "detailed_stats"));
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "2"));
    cfg = defaults();
    cfg.auto_gc = -1;
    ck_assert_int_eq(gcp_config_validate(&cfg), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "auto_gc"));
    cfg = defaults();
    cfg.track_peak = 7;
    ck_assert_int_eq(gcp_config_validate(&cfg), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "track_peak"));
    cfg = defaults();
    cfg.auto_gc = 4;
    ck_assert_int_eq(gcp_config_validate(&cfg), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "auto_gc must be 0..3, got 4"));
    cfg = defaults();
    cfg.hold_limit_mb = 1099511627776.0; /* the largest allowed */
    cfg.threshold_mb = 1099511627776.0;
    ck_assert_int_eq(gcp_config_validate(&cfg), 0);
    cfg = defaults();
    cfg.heap_only = 1;
    cfg.threshold_mb = 5;
    ck_assert_int_eq(gcp_config_validate(&cfg), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "threshold_mb=5 needs RSS"));
    ck_assert_int_eq(logged.count, 0); /* the caller decides whether to log */
}
END_TEST

START_TEST(test_resolve_invalid_explicit)
{
    gcp_config cfg = defaults(), out = odd_config(), before;

    memcpy(&before, &out, sizeof before);
    cfg.threshold_mb = -3;
    ck_assert_int_eq(gcp__config_resolve(&cfg, &out), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "threshold_mb"));
    ck_assert(config_same(&out, &before));
}
END_TEST

/* gcp_config_init_env must fail with the defaults in cfg and a message
 * holding each NULL-ended string. */
static void expect_env_error(const char *first, ...)
{
    gcp_config cfg = odd_config(), want = defaults();
    char err[256];
    const char *want_str;
    va_list ap;

    ck_assert_int_eq(gcp_config_init_env(&cfg, err, sizeof err), GCP_EINVAL);
    ck_assert(config_eq(&cfg, &want));
    ck_assert_str_eq(gcp_last_error(), err);
    ck_assert_msg(strstr(err, first), "'%s' lacks '%s'", err, first);
    va_start(ap, first);
    while ((want_str = va_arg(ap, const char *)) != NULL)
        ck_assert_msg(strstr(err, want_str), "'%s' lacks '%s'", err, want_str);
    va_end(ap);
}

START_TEST(test_env_errors)
{
    setenv("GCPROF", "foo=1", 1);
    expect_env_error("GCPROF: unknown key 'foo' (at position 1)", NULL);
    setenv("GCPROF", "track_peak=1,threshold_mb=x", 1);
    expect_env_error("GCPROF: threshold_mb: 'x' is not a number (at position 27)", NULL);
    unsetenv("GCPROF");

    setenv("GCPROF_THRESHOLD_MB", "x", 1);
    expect_env_error("GCPROF_THRESHOLD_MB: 'x' is not a number", NULL);
    setenv("GCPROF_THRESHOLD_MB", "-2", 1);
    expect_env_error("GCPROF_THRESHOLD_MB", "got -2", NULL);
    unsetenv("GCPROF_THRESHOLD_MB");

    setenv("GCPROF_HOLD_LIMIT_MB", "-1", 1);
    expect_env_error("GCPROF_HOLD_LIMIT_MB", "from 0 to 2^40", NULL);
    unsetenv("GCPROF_HOLD_LIMIT_MB");

    setenv("GCPROF_TRACK_PEAK", "maybe", 1);
    expect_env_error("GCPROF_TRACK_PEAK: 'maybe' is not a boolean", NULL);
    unsetenv("GCPROF_TRACK_PEAK");
    setenv("GCPROF_AUTO_GC", "3", 1); /* a name or a boolean, not a number */
    expect_env_error("GCPROF_AUTO_GC", NULL);
    unsetenv("GCPROF_AUTO_GC");
    setenv("GCPROF_DETAILED_STATS", "yess", 1);
    expect_env_error("GCPROF_DETAILED_STATS", "'yess'", NULL);
    ck_assert_int_eq(logged.count, 0);
}
END_TEST

START_TEST(test_env_error_with_good_vars)
{
    /* A good per-key variable does not hide a bad GCPROF. */
    setenv("GCPROF_TRACK_PEAK", "1", 1);
    setenv("GCPROF", "track_peak=1,bogus", 1);
    expect_env_error("GCPROF: missing '=' after 'bogus' (at position 14)", NULL);
}
END_TEST

static int resolve_bad_env_child(void)
{
    gcp_config out = odd_config(), before, good = defaults();

    memcpy(&before, &out, sizeof before);
    setenv("GCPROF_THRESHOLD_MB", "lots", 1);
    if (gcp__config_resolve(NULL, &out) != GCP_EINVAL)
        return 1;
    if (!strstr(gcp_last_error(), "GCPROF_THRESHOLD_MB: 'lots' is not a number"))
        return 2;
    if (!config_same(&out, &before))
        return 3;
    /* Another failure overwrites the last error ... */
    gcp_config_validate(NULL);
    if (strstr(gcp_last_error(), "GCPROF_THRESHOLD_MB"))
        return 4;
    /* ... and the cached one comes back, even with the environment fixed. */
    unsetenv("GCPROF_THRESHOLD_MB");
    if (gcp__config_resolve(NULL, &out) != GCP_EINVAL)
        return 5;
    if (!strstr(gcp_last_error(), "GCPROF_THRESHOLD_MB: 'lots' is not a number"))
        return 6;
    /* An explicit config still works. */
    if (gcp__config_resolve(&good, &out) != 0 || out.auto_gc != GCP_AUTO_GC_ALWAYS ||
        out.hold_limit_mb != 1024)
        return 7;
    return logged.count == 0 ? 0 : 8;
}

START_TEST(test_resolve_bad_env)
{
    in_child(resolve_bad_env_child);
}
END_TEST

/* ---- limits ------------------------------------------------------------ */

START_TEST(test_tiny_errlen)
{
    gcp_config cfg = defaults();
    char err[8];

    memset(err, 'X', sizeof err);
    ck_assert_int_eq(gcp_config_parse("foo=1", &cfg, err, 1), GCP_EINVAL);
    ck_assert_int_eq(err[0], '\0');
    ck_assert_int_eq(err[1], 'X');

    memset(err, 'X', sizeof err);
    ck_assert_int_eq(gcp_config_parse("foo=1", &cfg, err, 5), GCP_EINVAL);
    ck_assert_str_eq(err, "unkn");
    ck_assert_int_eq(err[5], 'X');
    /* The last error keeps the whole message. */
    ck_assert_str_eq(gcp_last_error(), "unknown key 'foo' (at position 1)");

    memset(err, 'X', sizeof err);
    ck_assert_int_eq(gcp_config_init_env(NULL, err, 5), GCP_EINVAL);
    ck_assert_int_eq(strlen(err), 4);
}
END_TEST

/* A spec of prefix, n copies of c, then suffix (caller frees). */
static char *long_spec(const char *prefix, char c, size_t n, const char *suffix)
{
    size_t lp = strlen(prefix), ls = strlen(suffix);
    char *s = malloc(lp + n + ls + 1);

    ck_assert_ptr_nonnull(s);
    memcpy(s, prefix, lp);
    memset(s + lp, c, n);
    memcpy(s + lp + n, suffix, ls + 1);
    return s;
}

START_TEST(test_long_key)
{
    gcp_config cfg = defaults(), before;
    char err[256];
    char *spec = long_spec("", 'k', 10000, "=1");

    memcpy(&before, &cfg, sizeof before);
    ck_assert_int_eq(gcp_config_parse(spec, &cfg, err, sizeof err), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "unknown key 'kkkk"));
    ck_assert_ptr_nonnull(strstr(err, "...' (at position 1)"));
    ck_assert(config_same(&cfg, &before));
    free(spec);

    spec = long_spec("auto_gc=1,", 'k', 10000, "");
    ck_assert_int_eq(gcp_config_parse(spec, &cfg, err, sizeof err), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "missing '=' after 'kkk"));
    ck_assert_ptr_nonnull(strstr(err, "(at position 11)"));
    free(spec);
}
END_TEST

START_TEST(test_long_value)
{
    gcp_config cfg = defaults(), before;
    char err[256];
    char *spec = long_spec("threshold_mb=", '9', 10000, "x");

    memcpy(&before, &cfg, sizeof before);
    ck_assert_int_eq(gcp_config_parse(spec, &cfg, err, sizeof err), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "threshold_mb: '9999"));
    ck_assert_ptr_nonnull(strstr(err, "...' is not a number (at position 14)"));
    ck_assert(config_same(&cfg, &before));
    free(spec);

    spec = long_spec("auto_gc=", 'y', 10000, "");
    ck_assert_int_eq(gcp_config_parse(spec, &cfg, err, sizeof err), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "is not off, always, adaptive or a boolean"));
    free(spec);

    /* Long but valid: 10 000 zeros then 1.5. */
    spec = long_spec("threshold_mb=", '0', 10000, "1.5");
    ck_assert_int_eq(gcp_config_parse(spec, &cfg, err, sizeof err), 0);
    ck_assert_double_eq(cfg.threshold_mb, 1.5);
    free(spec);
}
END_TEST

START_TEST(test_long_spec)
{
    gcp_config cfg = defaults();
    char err[256];
    size_t n = 1000, item = strlen("auto_gc=0,");
    char *spec = malloc(n * item + sizeof "foo=1");

    ck_assert_ptr_nonnull(spec);
    for (size_t i = 0; i < n; i++)
        memcpy(spec + i * item, i % 2 ? "auto_gc=1," : "auto_gc=0,", item);
    strcpy(spec + n * item, "");
    ck_assert_int_eq(gcp_config_parse(spec, &cfg, err, sizeof err), 0);
    ck_assert_int_eq(cfg.auto_gc, 1); /* the last item */
    strcpy(spec + n * item, "foo=1");
    ck_assert_int_eq(gcp_config_parse(spec, &cfg, err, sizeof err), GCP_EINVAL);
    ck_assert_msg(strstr(err, "(at position 10001)"), "'%s'", err);
    free(spec);
}
END_TEST

START_TEST(test_long_env)
{
    gcp_config cfg;
    char err[256];
    char *spec = long_spec("", 'k', 10000, "=1");

    setenv("GCPROF", spec, 1);
    ck_assert_int_eq(gcp_config_init_env(&cfg, err, sizeof err), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "GCPROF: unknown key 'kkk"));
    ck_assert_ptr_nonnull(strstr(err, "(at position 1)"));
    unsetenv("GCPROF");
    free(spec);

    spec = long_spec("", '7', 10000, "q");
    setenv("GCPROF_HOLD_LIMIT_MB", spec, 1);
    ck_assert_int_eq(gcp_config_init_env(&cfg, err, sizeof err), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "GCPROF_HOLD_LIMIT_MB: '777"));
    ck_assert_ptr_nonnull(strstr(err, "...' is not a number"));
    free(spec);
}
END_TEST

START_TEST(test_extreme_numbers)
{
    gcp_config cfg = defaults();

    ck_assert_int_eq(gcp_config_parse("threshold_mb=1e308", &cfg, NULL, 0), GCP_EINVAL);
    ck_assert_int_eq(gcp_config_parse("threshold_mb=1099511627776", &cfg, NULL, 0), 0);
    ck_assert_double_eq(cfg.threshold_mb, 1099511627776.0);
    ck_assert_int_eq(gcp_config_parse("threshold_mb=-0", &cfg, NULL, 0), 0);
    ck_assert_double_eq(cfg.threshold_mb, 0);
    ck_assert_int_eq(gcp_config_parse("hold_limit_mb=1e-300", &cfg, NULL, 0), 0);
    ck_assert_double_eq(cfg.hold_limit_mb, 1e-300);
    /* Underflows to 0: the default. */
    ck_assert_int_eq(gcp_config_parse("hold_limit_mb=1e-400", &cfg, NULL, 0), 0);
    ck_assert_double_eq(cfg.hold_limit_mb, 0);
    ck_assert_int_eq(gcp_config_validate(&cfg), 0);
}
END_TEST

static Suite *make_config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *core = tcase_create("core");
    TCase *errors = tcase_create("errors");
    TCase *limits = tcase_create("limits");

    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, test_defaults);
    tcase_add_test(core, test_zero_is_initialisation);
    tcase_add_test(core, test_reserved_must_be_zero);
    tcase_add_test(core, test_budget_and_limit);
    tcase_add_test(core, test_each_key);
    tcase_add_loop_test(core, test_all_keys_at_once, 0, TU_ROWS(all_keys_specs));
    tcase_add_test(core, test_bool_spellings);
    tcase_add_test(core, test_numbers);
    tcase_add_test(core, test_auto_gc_modes);
    tcase_add_test(core, test_empty_items);
    tcase_add_test(core, test_later_item_wins);
    tcase_add_loop_test(core, test_env, 0, TU_ROWS(env_cases));
    tcase_add_test(core, test_env_precedence);
    tcase_add_test(core, test_resolve_explicit);
    tcase_add_test(core, test_resolve_env);
    suite_add_tcase(s, core);

    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(errors, test_unknown_key);
    tcase_add_test(errors, test_missing_equals);
    tcase_add_test(errors, test_not_a_number);
    tcase_add_test(errors, test_out_of_range);
    tcase_add_test(errors, test_bad_boolean);
    tcase_add_test(errors, test_failed_parse_changes_nothing);
    tcase_add_test(errors, test_null_arguments);
    tcase_add_test(errors, test_null_err_buffer);
    tcase_add_test(errors, test_validate);
    tcase_add_test(errors, test_resolve_invalid_explicit);
    tcase_add_test(errors, test_env_errors);
    tcase_add_test(errors, test_env_error_with_good_vars);
    tcase_add_test(errors, test_resolve_bad_env);
    suite_add_tcase(s, errors);

    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_test(limits, test_tiny_errlen);
    tcase_add_test(limits, test_long_key);
    tcase_add_test(limits, test_long_value);
    tcase_add_test(limits, test_long_spec);
    tcase_add_test(limits, test_long_env);
    tcase_add_test(limits, test_extreme_numbers);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    return tu_run(make_config_suite());
}
