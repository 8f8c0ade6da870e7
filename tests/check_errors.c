/*
 * check_errors.c - one rule for errors (issue 13, item 5): a failure goes
 * to its caller, as a negative code (or NULL) and gcp_last_error(), and is
 * never logged; the log hook carries only what no caller sees:
 *   - failing calls of many public functions write nothing on stderr with
 *     the default hook, and give a custom hook nothing, while
 *     gcp_last_error() names what was wrong;
 *   - a closure's exceeded threshold, a region abandoned by its exiting
 *     thread, the monitor thread's write error and the failures of the
 *     environment's monitor (at start-up and at exit) are still logged.
 * stderr is captured by pointing descriptor 2 at a temporary file. The
 * environment's start-up runs once per process: those cases run in this
 * program exec'd again ("env-start", "env-exit").
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>
#undef pthread_create /* a plain thread: the library registers it */
#undef pthread_join

#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gcprof.h"
#include "testutil.h"

/* ---- stderr, captured ---------------------------------------------------- */

typedef struct captured {
    FILE *file;
    int saved_fd;
    char text[8192];
} captured;

static void capture_begin(captured *c)
{
    fflush(stderr);
    c->file = tmpfile();
    ck_assert_ptr_nonnull(c->file);
    c->saved_fd = dup(2);
    ck_assert_int_ge(c->saved_fd, 0);
    ck_assert_int_ge(dup2(fileno(c->file), 2), 0);
}

/* Descriptor 2 back, and what was written to it in c->text. */
static const char *capture_end(captured *c)
{
    fflush(stderr);
    dup2(c->saved_fd, 2);
    close(c->saved_fd);
    rewind(c->file);
    size_t n = fread(c->text, 1, sizeof c->text - 1, c->file);
    c->text[n] = '\0';
    fclose(c->file);
    return c->text;
}

/* ---- failing calls -------------------------------------------------------- */

static int nothing(void *env)
{
    (void)env;
    return 0;
}

static int visit(const char *key, gcp_value value, void *user)
{
    (void)key;
    (void)value;
    (void)user;
    return 0;
}

/* Each returns the code the call returned, or, for a call that returns a
 * pointer or a value, the code it stands for when it failed as documented
 * (and 0 when it did not). */
static int strdup_null(void)
{
    return gcp_strdup(NULL) ? 0 : GCP_EINVAL;
}

static int alloc_huge(void)
{
    return gcp_alloc((size_t)1 << 62) ? 0 : GCP_ENOMEM;
}

static int vec_push_null(void)
{
    return gcp_vec_push(NULL, NULL);
}

static int vec_set_out_of_range(void)
{
    gcp_vec *v = gcp_vec_new(0);

    return gcp_vec_set(v, 3, NULL);
}

static int map_set_null_key(void)
{
    return gcp_map_set_int(gcp_map_new(), NULL, 1);
}

static int map_get_missing(void)
{
    gcp_value v;

    return gcp_map_get(gcp_map_new(), "missing", &v);
}

static int map_foreach_null(void)
{
    return gcp_map_foreach(NULL, visit, NULL);
}

static int config_validate_bad(void)
{
    gcp_config c;

    gcp_config_init(&c);
    c.threshold_mb = -1;
    return gcp_config_validate(&c);
}

static int config_parse_bad(void)
{
    gcp_config c;

    gcp_config_init(&c);
    return gcp_config_parse("track_peak=maybe", &c, NULL, 0);
}

static int profile_null_fn(void)
{
    gcp_report r;

    return gcp_profile("x", NULL, NULL, NULL, &r);
}

static int profile_bad_config(void)
{
    gcp_config c;
    gcp_report r;

    gcp_config_init(&c);
    c.threshold_mb = -1;
    return gcp_profile("x", nothing, NULL, &c, &r);
}

static int profile_many_bad_task(void)
{
    gcp_task t[2] = {{.name = "a", .fn = nothing}, {.name = "b"}};
    gcp_report r[2];

    return gcp_profile_many(t, 2, NULL, r);
}

static int profile_begin_null(void)
{
    return gcp_profile_begin(NULL, "x", NULL);
}

static int profile_end_not_begun(void)
{
    gcp_region g = {0};
    gcp_report r;

    return gcp_profile_end(&g, 0, &r);
}

static int gc_point_bad_config(void)
{
    gcp_config c;

    gcp_config_init(&c);
    c.heap_only = 1;
    c.threshold_mb = 10;
    return gcp_gc_point(&c, NULL);
}

static int report_print_null(void)
{
    gcp_report r = {0};

    return gcp_report_print(NULL, &r);
}

static int report_json_full_device(void)
{
    gcp_report r = {0};
    FILE *fp = fopen("/dev/full", "w");

    ck_assert_ptr_nonnull(fp);
    int rc = gcp_report_write_json(fp, &r);
    fclose(fp);
    return rc;
}

static int snapshot_take_disabled(void)
{
    GC_disable();
    gcp_snapshot *s = gcp_snapshot_take("x");
    GC_enable();
    gcp_snapshot_free(s);
    return s ? 0 : GCP_EINVAL;
}

static int snapshot_print_null(void)
{
    return gcp_snapshot_print(stdout, NULL);
}

static int lines_null_file(void)
{
    gcp_report r;
    gcp_line_report *lines;

    return gcp_profile_lines("x", nothing, NULL, NULL, NULL, &r, &lines);
}

static int line_summary_null(void)
{
    gcp_line_summary s;

    return gcp_line_report_summary(NULL, &s, sizeof s);
}

static int leak_check_few_iterations(void)
{
    gcp_leak_options o;
    gcp_leak_report r = {0};

    gcp_leak_options_init(&o);
    o.iterations = 1;
    return gcp_leak_check("x", nothing, NULL, &o, &r);
}

static int live_growth_null(void)
{
    gcp_live_counts c;

    return gcp_live_growth(NULL, NULL, &c, &c, NULL);
}

static int monitor_start_no_dir(void)
{
    gcp_monitor_options o;

    ck_assert_int_eq(gcp_monitor_options_init(&o), 0);
    o.path = "/nonexistent-gcprof-dir/timeline.dat";
    return gcp_monitor_start(&o);
}

static int monitor_stop_not_running(void)
{
    return gcp_monitor_stop();
}

static int monitor_label_null(void)
{
    return gcp_monitor_label(NULL);
}

static const struct failing {
    const char *name;
    int (*call)(void);
    int code;
    const char *needle; /* in gcp_last_error() */
} failing[] = {
    {"gcp_strdup(NULL)", strdup_null, GCP_EINVAL, "s is NULL"},
    {"gcp_alloc(2^62)", alloc_huge, GCP_ENOMEM, "out of memory allocating"},
    {"gcp_vec_push(NULL)", vec_push_null, GCP_EINVAL, "vec is NULL"},
    {"gcp_vec_set out of range", vec_set_out_of_range, GCP_ERANGE, "index 3 out of range"},
    {"gcp_map_set_int NULL key", map_set_null_key, GCP_EINVAL, "key is NULL"},
    {"gcp_map_get missing", map_get_missing, GCP_ENOTFOUND, "no key \"missing\""},
    {"gcp_map_foreach(NULL)", map_foreach_null, GCP_EINVAL, "map is NULL"},
    {"gcp_config_validate", config_validate_bad, GCP_EINVAL, "threshold_mb"},
    {"gcp_config_parse", config_parse_bad, GCP_EINVAL, "track_peak"},
    {"gcp_profile NULL fn", profile_null_fn, GCP_EINVAL, "fn is NULL"},
    {"gcp_profile bad config", profile_bad_config, GCP_EINVAL, "threshold_mb"},
    {"gcp_profile_many", profile_many_bad_task, GCP_EINVAL, "tasks[1].fn is NULL"},
    {"gcp_profile_begin(NULL)", profile_begin_null, GCP_EINVAL, "region is NULL"},
    {"gcp_profile_end not begun", profile_end_not_begun, GCP_ESTATE, "not begun"},
    {"gcp_gc_point bad config", gc_point_bad_config, GCP_EINVAL, "threshold_mb"},
    {"gcp_report_print(NULL)", report_print_null, GCP_EINVAL, "fp is NULL"},
    {"gcp_report_write_json /dev/full", report_json_full_device, GCP_EIO, "cannot write"},
    {"gcp_snapshot_take disabled", snapshot_take_disabled, GCP_EINVAL, "collection is disabled"},
    {"gcp_snapshot_print(NULL)", snapshot_print_null, GCP_EINVAL, "snap is NULL"},
    {"gcp_profile_lines NULL file", lines_null_file, GCP_EINVAL, "file is NULL"},
    {"gcp_line_report_summary", line_summary_null, GCP_EINVAL, "lines is NULL"},
    {"gcp_leak_check 1 iteration", leak_check_few_iterations, GCP_EINVAL, "iterations"},
    {"gcp_live_growth NULL fn", live_growth_null, GCP_EINVAL, "fn is NULL"},
    {"gcp_monitor_start no dir", monitor_start_no_dir, GCP_EIO, "nonexistent-gcprof-dir"},
    {"gcp_monitor_stop not running", monitor_stop_not_running, GCP_ESTATE, "no monitor"},
    {"gcp_monitor_label(NULL)", monitor_label_null, GCP_EINVAL, "text is NULL"},
};
#define N_FAILING (sizeof failing / sizeof failing[0])

static void expect_failed(size_t i, int rc)
{
    ck_assert_msg(rc == failing[i].code, "%s: %d (%s), want %s", failing[i].name, rc,
                  gcp_err_name(rc), gcp_err_name(failing[i].code));
    ck_assert_msg(strstr(gcp_last_error(), failing[i].needle), "%s: '%s' lacks '%s'",
                  failing[i].name, gcp_last_error(), failing[i].needle);
}

/* text without the collector's own warnings ("GC Warning: Out of
 * Memory! ...", from bdwgc's warn proc: not the library's to silence). */
static const char *without_collector_warnings(char *text)
{
    char *keep = text;

    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
        if (strncmp(line, "GC Warning: ", 12) != 0) {
            memmove(keep, line, len);
            keep += len;
        }
        line += len;
    }
    *keep = '\0';
    return text;
}

/* The default hook: nothing on stderr, the reason in gcp_last_error(). */
START_TEST(test_failures_not_on_stderr)
{
    captured c;

    gcp_set_log_fn(NULL, NULL);
    capture_begin(&c);
    int rc = failing[_i].call();
    capture_end(&c);
    const char *text = without_collector_warnings(c.text);
    expect_failed((size_t)_i, rc);
    ck_assert_msg(text[0] == '\0', "%s wrote to stderr: '%s'", failing[_i].name, text);
}
END_TEST

/* A hook of the program's own gets nothing either. */
START_TEST(test_failures_not_given_to_hook)
{
    tu_log log;

    tu_log_capture(&log);
    int rc = failing[_i].call();
    tu_log_restore();
    expect_failed((size_t)_i, rc);
    ck_assert_msg(log.count == 0, "%s logged '%s'", failing[_i].name, log.last);
}
END_TEST

/* ---- what the header documents for NULL arguments ---------------------------- */

/* The audit of issue 13, item 6: each documented NULL case holds (these
 * held before; they pin what the comments now say). */
START_TEST(test_documented_null_handling)
{
    char buf[16];
    char *text = NULL;
    size_t len = 0;

    gcp_heap_counters_get(NULL);
    gcp_leak_options_init(NULL);
    gcp_monitor_counts(NULL, NULL);
    gcp_line_report_free(NULL);
    gcp_snapshot_free(NULL);
    ck_assert_uint_eq(gcp_map_len(NULL), 0);
    ck_assert_uint_eq(gcp_vec_len(NULL), 0);
    ck_assert_uint_eq(gcp_snapshot_count(NULL), 0);
    ck_assert_ptr_null(gcp_snapshot_site(NULL, 0));
    ck_assert_uint_eq(gcp_sizeof(NULL), 0);
    ck_assert_uint_eq(gcp_deep_sizeof(NULL), 0);

    gcp_vec_clear(NULL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "gcp_vec_clear: vec is NULL"));
    ck_assert_ptr_null(gcp_vec_pop(gcp_vec_new(0)));
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "empty"));
    ck_assert_int_eq(gcp_map_get_int(NULL, "k"), 0);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "map is NULL"));
    ck_assert(gcp_map_get_double(gcp_map_new(), "k") == 0.0);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "no key"));

    memcpy(buf, "untouched", 10);
    ck_assert_int_eq(gcp_report_snprint(buf, sizeof buf, NULL), GCP_EINVAL);
    ck_assert_str_eq(buf, "untouched");
    ck_assert_int_eq(gcp_monitor_options_init(NULL), GCP_EINVAL);

    gcp_snapshot *snap = gcp_snapshot_take(NULL); /* label "" */
    ck_assert_ptr_nonnull(snap);
    FILE *fp = open_memstream(&text, &len);
    ck_assert_int_eq(gcp_snapshot_print(fp, snap), 0);
    fclose(fp);
    ck_assert_msg(strncmp(text, "snapshot '':", 12) == 0, "%s", text);
    free(text);
    gcp_snapshot_free(snap);
}
END_TEST

/* ---- what no caller sees: still logged ---------------------------------------- */

static int grow_rss(void *env)
{
    size_t n = 32u << 20;
    char *p = malloc(n);

    (void)env;
    if (!p)
        return 1;
    memset(p, 1, n); /* touched: RSS */
    tu_sink = p;
    tu_sink = NULL;
    free(p);
    return 0;
}

/* The closure's caller gets a report; the warning is the hook's. */
START_TEST(test_threshold_warning_on_stderr)
{
    captured c;
    gcp_config cfg = tu_config(GCP_AUTO_GC_OFF, 0);
    gcp_report r;

    cfg.threshold_mb = 1; /* any process is above 1 MiB */
    gcp_set_log_fn(NULL, NULL);
    capture_begin(&c);
    int rc = gcp_profile("over the top", grow_rss, NULL, &cfg, &r);
    const char *text = capture_end(&c);
    ck_assert_int_eq(rc, 0);
    ck_assert(r.exceeded_threshold);
    ck_assert_msg(strstr(text, "gcprof: warning: over the top: RSS reached"), "stderr: '%s'", text);
    ck_assert_msg(strstr(text, "threshold_mb=1.0"), "stderr: '%s'", text);
}
END_TEST

static void *begin_and_exit(void *arg)
{
    gcp_config c = tu_config(GCP_AUTO_GC_OFF, 0);

    *(int *)arg = gcp_profile_begin(&(gcp_region){0}, "left behind", &c);
    return NULL; /* without gcp_profile_end */
}

/* Nobody can be told by a return value that a thread's exit ended its
 * region. */
START_TEST(test_abandoned_region_on_stderr)
{
    captured c;
    pthread_t t;
    int rc = -1;

    gcp_set_log_fn(NULL, NULL);
    capture_begin(&c);
    ck_assert_int_eq(pthread_create(&t, NULL, begin_and_exit, &rc), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    const char *text = capture_end(&c);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(strstr(text, "gcprof: warning: left behind: its thread exited with the "
                               "profile open"),
                  "stderr: '%s'", text);
}
END_TEST

/* The monitor's thread finds the write error; stop returns it (and, being
 * returned there, does not log it again). */
START_TEST(test_monitor_write_error_logged_once)
{
    gcp_monitor_options o;
    tu_log log;
    struct timespec tick = {0, 5 * 1000 * 1000};

    FILE *full = fopen("/dev/full", "w");
    ck_assert_ptr_nonnull(full);
    ck_assert_int_eq(gcp_monitor_options_init(&o), 0);
    o.fp = full;
    o.interval = 0.001;
    tu_log_capture(&log);
    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    for (int i = 0; i < 400 && __atomic_load_n(&log.count, __ATOMIC_ACQUIRE) == 0; i++)
        nanosleep(&tick, NULL);
    int rc = gcp_monitor_stop();
    tu_log_restore();
    fclose(full);
    ck_assert_int_eq(rc, GCP_EIO);
    ck_assert_int_eq(log.count, 1);
    ck_assert_int_eq(log.errors, 1);
    ck_assert_msg(strstr(log.last, "monitor: cannot write the timeline: No space left on device"),
                  "logged '%s'", log.last);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "gcp_monitor_stop"));
}
END_TEST

/* ---- the environment's monitor (a fresh process each) ------------------------- */

/* Runs this program again in mode with GCPROF_MONITOR_OUT=out; its stderr
 * into text. Returns its exit status. */
static int run_self(const char *mode, const char *out, char *text, size_t len)
{
    char path[] = "/tmp/check_errors.XXXXXX";
    int fd = mkstemp(path), status;

    ck_assert_int_ge(fd, 0);
    unlink(path);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, 2);
        setenv("GCPROF_MONITOR_OUT", out, 1);
        execl("/proc/self/exe", "check_errors", mode, (char *)NULL);
        _exit(127);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ssize_t n = pread(fd, text, len - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    close(fd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Mode "env-start": the environment's monitor cannot start. */
static int mode_env_start(void)
{
    gcp_init();
    return gcp_monitor_running() ? 1 : 0;
}

/* Mode "env-exit": the monitor starts, then its directory goes away, so
 * the rename at exit fails. */
static int mode_env_exit(void)
{
    const char *out = getenv("GCPROF_MONITOR_OUT");
    char dir[256];

    gcp_init();
    if (!gcp_monitor_running())
        return 1;
    snprintf(dir, sizeof dir, "%s", out);
    *strrchr(dir, '/') = '\0';
    /* The temporary file is the directory's only entry. */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 2;
}

START_TEST(test_env_monitor_start_failure_logged)
{
    char text[4096];

    ck_assert_int_eq(run_self("env-start", "/nonexistent-gcprof-dir/run.dat", text, sizeof text),
                     0);
    ck_assert_msg(strstr(text, "gcprof: error: gcp_monitor_start: cannot write "
                               "'/nonexistent-gcprof-dir/run.dat'"),
                  "stderr: '%s'", text);
}
END_TEST

START_TEST(test_env_monitor_exit_failure_logged)
{
    char dir[] = "/tmp/check_errors_env.XXXXXX", out[128], text[4096];

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(out, sizeof out, "%s/run.dat", dir);
    ck_assert_int_eq(run_self("env-exit", out, text, sizeof text), 0);
    rmdir(dir); /* gone already, unless the child failed early */
    ck_assert_msg(strstr(text, "gcprof: error: gcp_monitor_stop: writing the timeline failed"),
                  "stderr: '%s'", text);
}
END_TEST

static Suite *make_errors_suite(void)
{
    Suite *s = suite_create("errors");
    TCase *returned = tcase_create("returned");
    TCase *logged = tcase_create("logged");

    tcase_set_timeout(returned, 60);
    tcase_add_loop_test(returned, test_failures_not_on_stderr, 0, (int)N_FAILING);
    tcase_add_loop_test(returned, test_failures_not_given_to_hook, 0, (int)N_FAILING);
    tcase_add_test(returned, test_documented_null_handling);
    suite_add_tcase(s, returned);
    tcase_set_timeout(logged, 60);
    tcase_add_test(logged, test_threshold_warning_on_stderr);
    tcase_add_test(logged, test_abandoned_region_on_stderr);
    tcase_add_test(logged, test_monitor_write_error_logged_once);
    tcase_add_test(logged, test_env_monitor_start_failure_logged);
    tcase_add_test(logged, test_env_monitor_exit_failure_logged);
    suite_add_tcase(s, logged);
    return s;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "env-start") == 0)
        return mode_env_start();
    if (argc > 1 && strcmp(argv[1], "env-exit") == 0)
        return mode_env_exit();
    return tu_run(make_errors_suite());
}
