/*
 * check_monitor_fork.c - the monitor belongs to the process that started
 * it: a forked child's exit or stop leaves the parent's sampler running
 * and its file whole (one end record, readable by gcprof summary), and
 * processes started with the same GCPROF_MONITOR_OUT write one file each.
 * A child may start a monitor of its own, and its RSS readings are its own.
 *
 * Progress is counted in samples, not time: "the sampler still runs" is
 * "20 more MEM lines arrived" (within a generous bound for slow machines).
 * The environment's monitor starts at a process's first gcp_init, which
 * the Check runner has done already: those cases run in a fresh process,
 * this program exec'd again with a mode argument.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gcprof.h"
#include "testutil.h"

#define MORE_SAMPLES 20
#define WAIT_TICKS   3000 /* of 10 ms: 30 s before "no samples" is a failure */

static char path[64];

static void make_path(void)
{
    snprintf(path, sizeof path, "/tmp/gcprof-fork-%d.dat", (int)getpid());
}

/* Every file this test may leave: PATH, PATH's temporaries, PATH.N.dat. */
static void remove_files(void)
{
    char pattern[96];
    glob_t g;

    snprintf(pattern, sizeof pattern, "/tmp/gcprof-fork-%d*", (int)getpid());
    if (glob(pattern, 0, NULL, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; i++)
            unlink(g.gl_pathv[i]);
    globfree(&g);
}

/* ---- reading files ---------------------------------------------------- */

/* The one file matching pattern (malloc'd), or NULL. */
static char *only_match(const char *pattern)
{
    glob_t g;
    char *found = NULL;

    if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc == 1)
        found = strdup(g.gl_pathv[0]);
    globfree(&g);
    return found;
}

static size_t matches(const char *pattern)
{
    glob_t g;
    size_t n = glob(pattern, 0, NULL, &g) == 0 ? g.gl_pathc : 0;

    globfree(&g);
    return n;
}

static size_t count_lines(const char *file, const char *prefix)
{
    char buf[4096];
    size_t n = 0;
    FILE *fp = file ? fopen(file, "r") : NULL;

    if (!fp)
        return 0;
    while (fgets(buf, sizeof buf, fp))
        n += strncmp(buf, prefix, strlen(prefix)) == 0;
    fclose(fp);
    return n;
}

/* The file being written for target: its temporary until the stop (the
 * target itself for a monitor that writes in place). */
static char *live_file(const char *target)
{
    char pattern[128];
    char *tmp;

    snprintf(pattern, sizeof pattern, "%s.tmp.??????", target);
    tmp = only_match(pattern);
    return tmp || access(target, F_OK) != 0 ? tmp : strdup(target);
}

/* Waits until the live file of target holds at least want MEM lines.
 * Returns how many it holds (fewer: the sampler stopped). */
static size_t wait_samples(const char *target, size_t want)
{
    struct timespec tick = {0, 10 * 1000 * 1000};
    char *live = NULL;
    size_t n = 0;

    for (int i = 0; i < WAIT_TICKS && n < want; i++) {
        if (!live)
            live = live_file(target);
        n = count_lines(live, "MEM ");
        if (n < want)
            nanosleep(&tick, NULL);
    }
    free(live);
    return n;
}

/* gcprof summary reads the file: exit status 0. */
static int summary_reads(const char *file)
{
    const char *top = getenv("top_builddir");
    char cmd[512];

    snprintf(cmd, sizeof cmd, "%s/tools/gcprof summary '%s' >/dev/null", top ? top : ".", file);
    return system(cmd) == 0;
}

static void churn(int rounds)
{
    for (int i = 0; i < rounds; i++)
        tu_sink = GC_MALLOC(64);
    tu_sink = NULL;
}

static void assert_one_clean_recording(const char *file)
{
    ck_assert_uint_eq(count_lines(file, "CMDLINE "), 1);
    ck_assert_uint_eq(count_lines(file, "GCPROF_END "), 1);
    ck_assert_uint_ge(count_lines(file, "MEM "), MORE_SAMPLES);
    ck_assert(summary_reads(file));
}

/* ---- a monitor started by the program ----------------------------------- */

/* The child's copy is inert: stop and label are GCP_ESTATE naming the
 * owner, nothing runs; its exit() writes nothing. */
static int child_sees_inert_monitor(void)
{
    if (gcp_monitor_running() || gcp_monitor_stop() != GCP_ESTATE ||
        !strstr(gcp_last_error(), "belongs to process") ||
        gcp_monitor_label("from the child") != GCP_ESTATE)
        return 1;
    return 0;
}

START_TEST(test_child_stop_leaves_parent_running)
{
    gcp_monitor_options o;
    int status;

    ck_assert_int_eq(gcp_monitor_options_init(&o), 0);
    o.path = path;
    o.interval = 0.001;
    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    size_t before = wait_samples(path, 5);
    ck_assert_uint_ge(before, 5);
    pid_t child = fork();
    ck_assert_int_ne(child, -1);
    if (child == 0)
        exit(child_sees_inert_monitor()); /* exit(), not _exit: stdio flushed */
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    ck_assert_uint_ge(wait_samples(path, before + MORE_SAMPLES), before + MORE_SAMPLES);
    ck_assert(gcp_monitor_running());
    ck_assert_int_eq(gcp_monitor_label("after the child"), 0);
    ck_assert_int_eq(gcp_monitor_stop(), 0);
    assert_one_clean_recording(path);
    ck_assert_uint_eq(count_lines(path, "GCPROF_LABEL "), 1); /* not the child's */
}
END_TEST

/* The forked child's part: its own monitor to mine, 3 samples, stopped.
 * Which step failed is its exit status, and what it saw goes to stderr. */
static int child_runs_its_own(const gcp_monitor_options *o, const char *mine)
{
    size_t n;

    if (gcp_monitor_start(o) != 0) {
        fprintf(stderr, "child: gcp_monitor_start: %s\n", gcp_last_error());
        return 2;
    }
    if ((n = wait_samples(mine, 3)) < 3) {
        fprintf(stderr, "child: %zu samples in %s, not 3\n", n, mine);
        return 3;
    }
    if (gcp_monitor_stop() != 0) {
        fprintf(stderr, "child: gcp_monitor_stop: %s\n", gcp_last_error());
        return 4;
    }
    return 0;
}

/* A child may start a monitor of its own, to a file of its own. */
START_TEST(test_child_starts_its_own)
{
    gcp_monitor_options o;
    char mine[80];
    int status;

    ck_assert_int_eq(gcp_monitor_options_init(&o), 0);
    o.path = path;
    o.interval = 0.001;
    ck_assert_int_eq(gcp_monitor_start(&o), 0);
    snprintf(mine, sizeof mine, "%s.child", path);
    pid_t child = fork();
    ck_assert_int_ne(child, -1);
    if (child == 0) {
        o.path = mine;
        _exit(child_runs_its_own(&o, mine));
    }
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the child's monitor: %s %d (2: start failed, 3: too few samples, "
                  "4: stop failed; its stderr says more)",
                  WIFEXITED(status) ? "exit status" : "signal",
                  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    ck_assert_uint_ge(wait_samples(path, MORE_SAMPLES), MORE_SAMPLES);
    ck_assert_int_eq(gcp_monitor_stop(), 0);
    assert_one_clean_recording(path);
    ck_assert_uint_eq(count_lines(mine, "GCPROF_END "), 1);
    ck_assert(summary_reads(mine));
}
END_TEST

/* The library keeps /proc/self/statm open: a child's readings are its own
 * RSS, not its parent's (the descriptor the parent opened names the
 * parent's file). The child grows by TOUCHED bytes past its parent; its
 * reading is compared with the test's own (/proc/self/status). */
#define TOUCHED ((size_t)128 << 20)

static int noop(void *env)
{
    (void)env;
    return 0;
}

static uint64_t library_rss(void)
{
    gcp_usage *u = NULL;
    uint64_t rss = gcp_memory_usage(noop, NULL, NULL, &u) == 0 ? gcp_usage_max_rss(u) : 0;

    gcp_usage_free(u);
    return rss;
}

static int child_reads_own_rss(void)
{
    char *block = malloc(TOUCHED);

    if (!block)
        return 2;
    memset(block, 1, TOUCHED);
    uint64_t lib = library_rss(), own = tu_rss_bytes();
    tu_sink = block; /* touched until here */
    if (lib + TOUCHED / 2 < own || own + TOUCHED / 2 < lib) {
        fprintf(stderr, "child: the library reads %llu bytes resident, the child has %llu\n",
                (unsigned long long)lib, (unsigned long long)own);
        return 3;
    }
    tu_sink = NULL;
    free(block);
    return 0;
}

START_TEST(test_child_reads_its_own_rss)
{
    int status;

    ck_assert_uint_gt(library_rss(), 0); /* the parent's descriptor is open */
    pid_t child = fork();
    ck_assert_int_ne(child, -1);
    if (child == 0)
        _exit(child_reads_own_rss());
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the child: %s %d (2: no memory, 3: its RSS read wrong; its stderr says more)",
                  WIFEXITED(status) ? "exit status" : "signal",
                  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}
END_TEST

/* ---- monitors started by the environment (a fresh process each) ------ */

static int run_self(const char *mode)
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        execl("/proc/self/exe", "check_monitor_fork", mode, (char *)NULL);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static void env_for_children(void)
{
    setenv("GCPROF_MONITOR_OUT", path, 1);
    setenv("GCPROF_MONITOR_INTERVAL", "0.001", 1);
    unsetenv("GCPROF_MONITOR_PID");
    unsetenv("GCPROF_TRACE");
}

/* Mode "fork-exit": a forked child's exit() (the atexit stop) leaves the
 * monitor of this process sampling. 0 when it does. */
static int mode_fork_exit(void)
{
    const char *target = getenv("GCPROF_MONITOR_OUT");
    int status;

    gcp_init();
    size_t before = wait_samples(target, 5);
    pid_t child = fork();
    if (child == 0) {
        churn(1000);
        exit(0);
    }
    if (child < 0 || waitpid(child, &status, 0) != child || status != 0)
        return 2;
    return wait_samples(target, before + MORE_SAMPLES) >= before + MORE_SAMPLES ? 0 : 3;
}

/* Mode "spawn": this process and an exec'd child both start from the
 * environment; the child writes a per-process file. */
static int mode_spawn(void)
{
    const char *target = getenv("GCPROF_MONITOR_OUT");

    gcp_init();
    if (run_self("plain") != 0)
        return 2;
    return wait_samples(target, MORE_SAMPLES) >= MORE_SAMPLES ? 0 : 3;
}

static int mode_plain(void)
{
    char stem[64], pattern[96];
    const char *target = getenv("GCPROF_MONITOR_OUT");

    gcp_init();
    /* our file: TARGET without ".dat", our pid, ".dat" */
    snprintf(stem, sizeof stem, "%.*s", (int)(strlen(target) - 4), target);
    snprintf(pattern, sizeof pattern, "%s.%d.dat", stem, (int)getpid());
    return wait_samples(pattern, MORE_SAMPLES) >= MORE_SAMPLES ? 0 : 3;
}

START_TEST(test_env_child_exit_leaves_parent_running)
{
    env_for_children();
    ck_assert_int_eq(run_self("fork-exit"), 0);
    assert_one_clean_recording(path);
}
END_TEST

START_TEST(test_env_two_processes_two_files)
{
    char pattern[96];

    env_for_children();
    ck_assert_int_eq(run_self("spawn"), 0);
    assert_one_clean_recording(path);
    snprintf(pattern, sizeof pattern, "/tmp/gcprof-fork-%d.*.dat", (int)getpid());
    ck_assert_uint_eq(matches(pattern), 1);
    char *other = only_match(pattern);
    ck_assert_ptr_nonnull(other);
    assert_one_clean_recording(other);
    free(other);
}
END_TEST

static Suite *make_monitor_fork_suite(void)
{
    Suite *s = suite_create("monitor_fork");
    TCase *api = tcase_create("api");
    TCase *env = tcase_create("env");

    tcase_add_checked_fixture(api, make_path, remove_files);
    tcase_set_timeout(api, 120);
    tcase_add_test(api, test_child_stop_leaves_parent_running);
    tcase_add_test(api, test_child_starts_its_own);
    tcase_add_test(api, test_child_reads_its_own_rss);
    suite_add_tcase(s, api);

    tcase_add_checked_fixture(env, make_path, remove_files);
    tcase_set_timeout(env, 120);
    tcase_add_test(env, test_env_child_exit_leaves_parent_running);
    tcase_add_test(env, test_env_two_processes_two_files);
    suite_add_tcase(s, env);
    return s;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "fork-exit") == 0)
        return mode_fork_exit();
    if (argc > 1 && strcmp(argv[1], "spawn") == 0)
        return mode_spawn();
    if (argc > 1 && strcmp(argv[1], "plain") == 0)
        return mode_plain();
    return tu_run(make_monitor_fork_suite());
}
