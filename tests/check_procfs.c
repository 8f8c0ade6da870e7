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
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
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

/* ---- RSS read from several threads at once -------------------------- */

#define READERS 12
#define READS   200

/* The test's own reading: its own descriptor, no allocation. */
static uint64_t own_rss(int fd)
{
    char buf[128];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *p = strchr(buf, ' ');
    return p ? strtoull(p + 1, NULL, 10) * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

static int open_descriptors(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");

    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static uint64_t bytes_of(double mib)
{
    return (uint64_t)(mib * 1048576.0); /* exact: whole pages, far below 2^53 */
}

static int nothing(void *env)
{
    (void)env;
    return 0;
}

/* The library's RSS, before and after an empty closure, between the
 * test's own readings before and after the call. Nothing frees memory
 * while the readers run (no collection, no thread exits before all are
 * done), so RSS only grows: a reading outside the bracket is wrong, or
 * another process's. 0, or the number of the first failure. */
static int bracketed_reads(int fd, int reads)
{
    gcp_config c;
    gcp_report r;

    gcp_config_init(&c);
    c.auto_gc = GCP_AUTO_GC_OFF;
    for (int i = 0; i < reads; i++) {
        uint64_t a = own_rss(fd);
        if (gcp_profile("rss", nothing, NULL, &c, &r) != 0)
            return 1;
        uint64_t z = own_rss(fd), before = bytes_of(r.memory_before);
        if (a == 0 || z == 0)
            return 2;
        if (!(a <= before && before <= bytes_of(r.memory_after) && bytes_of(r.memory_after) <= z))
            return 3;
    }
    return 0;
}

typedef struct reader {
    pthread_t thread;
    int fd;
    int failed;
} reader;

static pthread_barrier_t all_ready, all_done;

static void *read_rss(void *arg)
{
    reader *rd = arg;

    pthread_barrier_wait(&all_ready);
    rd->failed = bracketed_reads(rd->fd, READS);
    pthread_barrier_wait(&all_done); /* an exiting thread gives back its stack */
    return NULL;
}

START_TEST(test_rss_from_threads_true_and_bounded)
{
    reader rd[READERS];

    gcp_init();
    int warm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    ck_assert_int_eq(bracketed_reads(warm, 1), 0); /* the shared descriptor opens */
    close(warm);
    int fds_before = open_descriptors();
    for (int i = 0; i < READERS; i++) {
        rd[i].fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(rd[i].fd, 0);
    }
    pthread_barrier_init(&all_ready, NULL, READERS);
    pthread_barrier_init(&all_done, NULL, READERS);
    for (int i = 0; i < READERS; i++)
        ck_assert_int_eq(pthread_create(&rd[i].thread, NULL, read_rss, &rd[i]), 0);
    for (int i = 0; i < READERS; i++) {
        pthread_join(rd[i].thread, NULL);
        close(rd[i].fd);
        ck_assert_msg(rd[i].failed == 0, "reader %d: failure %d", i, rd[i].failed);
    }
    pthread_barrier_destroy(&all_ready);
    pthread_barrier_destroy(&all_done);
    /* A pool of at most four descriptors (procfs.c), the first open already. */
    int added = open_descriptors() - fds_before;
    ck_assert_msg(added >= 0 && added <= 3, "%d descriptors added by %d threads reading RSS", added,
                  READERS);
}
END_TEST

/* A forked child reads its own RSS, after the parent's threads read theirs:
 * the child touches 64 MiB the parent never had, so a descriptor left
 * from the parent would read about 64 MiB below the child's own reading. */
START_TEST(test_forked_child_reads_own_rss)
{
    reader rd[4];
    int status;

    gcp_init();
    pthread_barrier_init(&all_ready, NULL, 4);
    pthread_barrier_init(&all_done, NULL, 4);
    for (int i = 0; i < 4; i++) {
        rd[i].fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
        ck_assert_int_eq(pthread_create(&rd[i].thread, NULL, read_rss, &rd[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(rd[i].thread, NULL);
        close(rd[i].fd);
        ck_assert_int_eq(rd[i].failed, 0);
    }
    pid_t pid = fork();
    if (pid == 0) {
        size_t len = 64u << 20;
        char *touched = malloc(len);
        if (!touched)
            _exit(10);
        memset(touched, 1, len);
        int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
        _exit(fd < 0 ? 11 : bracketed_reads(fd, 20) + (touched[len - 1] != 1) * 20);
    }
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

static Suite *make_procfs_suite(void)
{
    Suite *s = suite_create("procfs");
    TCase *limits = tcase_create("limits");
    TCase *threads = tcase_create("threads");

    tcase_add_test(limits, test_emfile_at_first_profile_retried);
    suite_add_tcase(s, limits);
    tcase_set_timeout(threads, 120);
    tcase_add_test(threads, test_rss_from_threads_true_and_bounded);
    tcase_add_test(threads, test_forked_child_reads_own_rss);
    suite_add_tcase(s, threads);
    return s;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "emfile") == 0)
        return mode_emfile();
    return tu_run(make_procfs_suite());
}
