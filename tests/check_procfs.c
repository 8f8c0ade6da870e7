/*
 * check_procfs.c - RSS readings when /proc/self/statm cannot be opened for
 * a while: a profile made while the process is out of descriptors fails
 * with a message naming the errno, and once descriptors are free again the
 * next profile reads RSS (the open is retried, not given up for good).
 *
 * The first open must be the one that fails, so the case runs in a fresh
 * process: this program exec'd again with "emfile".
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gcprof.h"
#include "testutil.h"

#define FD_LIMIT 64

static char logged[4096];

static void keep_log(gcp_log_level level, const char *msg, void *user)
{
    (void)level;
    (void)user;
    strncat(logged, msg, sizeof logged - strlen(logged) - 2);
    strcat(logged, "\n");
}

static int work(void *env)
{
    (void)env;
    for (int i = 0; i < 1000; i++)
        tu_sink = GC_MALLOC(64);
    tu_sink = NULL;
    return 0;
}

/* Takes every free descriptor below the limit; returns how many. */
static int fill_descriptors(int *fds, int max)
{
    int n = 0;

    while (n < max && (fds[n] = dup(0)) >= 0)
        n++;
    return n;
}

/* Mode "emfile". 0 when all holds, else the number of the first failure. */
static int mode_emfile(void)
{
    struct rlimit lim = {FD_LIMIT, FD_LIMIT};
    int fds[FD_LIMIT];
    gcp_report r;

    gcp_init();
    gcp_set_log_fn(keep_log, NULL);
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
        return 2;
    int n = fill_descriptors(fds, FD_LIMIT);
    if (n == 0 || dup(0) >= 0)
        return 3; /* not out of descriptors */
    if (gcp_profile("starved", work, NULL, NULL, &r) != GCP_EIO)
        return 4;
    if (!strstr(logged, "/proc/self/statm: Too many open files"))
        return 5; /* the errno, not only "did not open" */
    while (n > 0)
        close(fds[--n]);
    if (gcp_profile("fed", work, NULL, NULL, &r) != 0)
        return 6;
    if (!(r.memory_before > 0 && r.memory_after > 0))
        return 7; /* RSS read again */
    return 0;
}

static int run_self(const char *mode)
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        execl("/proc/self/exe", "check_procfs", mode, (char *)NULL);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

START_TEST(test_emfile_at_first_profile_retried)
{
    ck_assert_int_eq(run_self("emfile"), 0);
}
END_TEST

static Suite *make_procfs_suite(void)
{
    Suite *s = suite_create("procfs");
    TCase *limits = tcase_create("limits");

    tcase_add_test(limits, test_emfile_at_first_profile_retried);
    suite_add_tcase(s, limits);
    return s;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "emfile") == 0)
        return mode_emfile();
    return tu_run(make_procfs_suite());
}
