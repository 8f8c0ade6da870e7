/*
 * check_metrics_life.c - the metrics endpoint's life: bad options, states,
 * descriptors, a port in use, no module, the textfile, fork (the child
 * owns nothing of its parent's, and no lock of it), exit.
 */
#include "testutil.h"
#include "http_get.h"
#include "metrics_util.h"

#include <gc/gc.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- errors ---------------------------------------------------------------- */

START_TEST(test_bad_options)
{
    gcp_metrics_options o = {0};

    ck_assert_int_eq(gcp_metrics_start(NULL), GCP_EINVAL); /* nothing to do */
    ck_assert_int_eq(gcp_metrics_start(&o), GCP_EINVAL);
    o.addr = "localhost:http";
    ck_assert_int_eq(gcp_metrics_start(&o), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "localhost:http"));
    o.addr = "::1:80"; /* IPv6 needs brackets */
    ck_assert_int_eq(gcp_metrics_start(&o), GCP_EINVAL);
    o.addr = "70000";
    ck_assert_int_eq(gcp_metrics_start(&o), GCP_EINVAL);
    o.addr = ":0";
    o.reserved_[5] = 1;
    ck_assert_int_eq(gcp_metrics_start(&o), GCP_EINVAL);
    o.reserved_[5] = 0;
    o.flags = 2;
    ck_assert_int_eq(gcp_metrics_start(&o), GCP_EINVAL);
    o.flags = 0;
    o.max_functions = 1025;
    ck_assert_int_eq(gcp_metrics_start(&o), GCP_EINVAL);
    o.max_functions = 0;
    o.file = "x.prom";
    o.file_interval = 0.001;
    ck_assert_int_eq(gcp_metrics_start(&o), GCP_EINVAL);
    o.file_interval = 0;
    o.file = "";
    ck_assert_int_eq(gcp_metrics_start(&o), GCP_EINVAL);
    /* nothing runs after any of them */
    ck_assert_int_eq(gcp_metrics_stop(), GCP_ESTATE);
    ck_assert_int_eq(gcp_metrics_port(), GCP_ESTATE);
    ck_assert_int_eq(gcp_metrics_options_init(NULL), GCP_EINVAL);
}
END_TEST

START_TEST(test_states_and_descriptors)
{
    int fds = mu_count_fds();
    int port = mu_start_on_any_port(NULL);

    gcp_metrics_options o = {.addr = ":0"};
    ck_assert_int_eq(gcp_metrics_start(&o), GCP_ESTATE); /* one per process */
    ck_assert_int_eq(gcp_metrics_port(), port);
    ck_assert_int_eq(gcp_metrics_stop(), 0);
    ck_assert_int_eq(gcp_metrics_stop(), GCP_ESTATE);
    ck_assert_int_eq(http_get((unsigned)port, "/metrics", NULL).status, 0); /* closed */
    ck_assert_int_eq(mu_count_fds(), fds);
    /* and again: the module stays loaded, a new server starts */
    port = mu_start_on_any_port(NULL);
    ck_assert_int_eq(gcp_metrics_stop(), 0);
    ck_assert_int_eq(mu_count_fds(), fds);
}
END_TEST

START_TEST(test_port_in_use)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char addr[32];

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 1) == 0);
    ck_assert(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
    snprintf(addr, sizeof addr, "127.0.0.1:%u", ntohs(sa.sin_port));
    gcp_metrics_options o = {.addr = addr};
    ck_assert_int_eq(gcp_metrics_start(&o), GCP_EIO);
    ck_assert_msg(strstr(gcp_last_error(), addr) && strstr(gcp_last_error(), "in use"), "%s",
                  gcp_last_error());
    ck_assert_int_eq(gcp_metrics_port(), GCP_ESTATE); /* nothing left running */
    close(fd);
    ck_assert_int_eq(gcp_metrics_start(&o), 0); /* free now */
    ck_assert_int_eq(gcp_metrics_stop(), 0);
}
END_TEST

START_TEST(test_no_module)
{
    /* In a child of its own: the module, once loaded, stays. */
    pid_t pid = fork();
    if (pid == 0) {
        setenv("GCPROF_HTTP_MODULE", "/nonexistent/libgcprof-http.so", 1);
        gcp_metrics_options o = {.addr = ":0"};
        int rc = gcp_metrics_start(&o);
        int named = strstr(gcp_last_error(), "/nonexistent/libgcprof-http.so") != NULL;
        _exit(rc == GCP_ENOTFOUND && named && gcp_metrics_port() == GCP_ESTATE ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

/* ---- the textfile, fork and exit ------------------------------------------ */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 1 << 20);

    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Files in dir other than name: the writer's temporaries, left over. */
static int others_in(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    while (d && (e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, name);
    if (d)
        closedir(d);
    return n;
}

START_TEST(test_textfile)
{
    char dir[] = "/tmp/check_metrics.XXXXXX", path[64];
    gcp_metrics_options o = {0};

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/gcprof.prom", dir);
    o.file = path;
    o.file_interval = 3600; /* only the first and the last writes here */
    ck_assert_int_eq(gcp_metrics_start(&o), 0);
    ck_assert_int_eq(gcp_metrics_port(), GCP_ESTATE); /* no HTTP asked for */
    char *first = slurp(path);                        /* written at start */
    ck_assert_ptr_nonnull(strstr(first, "# TYPE bdwgc_collections_total counter"));
    free(first);
    GC_gcollect();
    GC_gcollect();
    ck_assert_int_eq(gcp_metrics_stop(), 0);
    char *last = slurp(path);
    ck_assert_double_eq(metric_value(last, "bdwgc_collections_total"), (double)GC_get_gc_no());
    free(last);
    ck_assert_int_eq(others_in(dir, "gcprof.prom"), 0);
    /* a directory that does not exist: the start's error, nothing runs */
    o.file = "/nonexistent/dir/gcprof.prom";
    ck_assert_int_eq(gcp_metrics_start(&o), GCP_EIO);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "/nonexistent/dir/gcprof.prom"));
    ck_assert_int_eq(gcp_metrics_stop(), GCP_ESTATE);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* In a forked child: the parent's endpoint is not the child's; the child
 * starts its own, whose histograms start from zero. 0 when all holds. */
static int child_of_a_running_endpoint(void)
{
    if (gcp_metrics_port() != GCP_ESTATE || gcp_metrics_stop() != GCP_ESTATE)
        return 1;
    gcp_metrics_options o = {.addr = "127.0.0.1:0"};
    if (gcp_metrics_start(&o) != 0)
        return 2;
    GC_gcollect();
    http_answer a = http_get((unsigned)gcp_metrics_port(), "/metrics", NULL);
    int fresh = a.status == 200 &&
                metric_value(a.body, "bdwgc_collection_duration_seconds_count") == 1 &&
                metric_value(a.body, "bdwgc_forced_collections_total") == 1;
    http_answer_free(&a);
    return fresh && gcp_metrics_stop() == 0 ? 0 : 3;
}

/* Whether a descriptor of this process is a socket bound to port. */
static int holds_port(int port)
{
    for (int fd = 0; fd < 1024; fd++) {
        struct sockaddr_in sa;
        socklen_t len = sizeof sa;
        if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0 && sa.sin_family == AF_INET &&
            ntohs(sa.sin_port) == port)
            return 1;
    }
    return 0;
}

/* A forked child holds no copy of the endpoint's listening socket (it
 * would keep the port bound, unserved, if the parent died first). */
START_TEST(test_fork_child_keeps_no_port)
{
    int port = mu_start_on_any_port(NULL);

    ck_assert(holds_port(port)); /* the check sees it where it is */
    ck_assert_msg(tu_others_asleep(30), "the server's thread never slept");
    pid_t pid = fork();
    if (pid == 0)
        _exit(holds_port(port));
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child holds port %d", port);
    ck_assert_int_eq(gcp_metrics_stop(), 0);
}
END_TEST

START_TEST(test_fork_child_owns_nothing)
{
    int port = mu_start_on_any_port(NULL);

    for (int i = 0; i < 3; i++) /* the parent's histograms hold something */
        GC_gcollect();
    /* the server's thread past its start-up (tu_others_asleep says why) */
    ck_assert_msg(tu_others_asleep(30), "the server's thread never slept");
    pid_t pid = fork();
    if (pid == 0)
        _exit(child_of_a_running_endpoint());
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: status %d", status);
    ck_assert_int_eq(gcp_metrics_port(), port);
    http_answer a = http_get((unsigned)port, "/metrics", NULL);
    ck_assert_int_eq(a.status, 200); /* still served */
    http_answer_free(&a);
    ck_assert_int_eq(gcp_metrics_stop(), 0);
}
END_TEST

static volatile int profiling, profile_loop_ran;

/* A profile without Check: Check's own lock, taken by a passing assert,
 * could be held by this thread when the other forks. */
static int profile_plain(const char *name)
{
    gcp_config c = {.auto_gc = GCP_AUTO_GC_OFF};
    gcp_report r;
    int n = 1;

    return gcp_profile(name, mu_alloc_n, &n, &c, &r);
}

static void *profile_loop(void *arg)
{
    (void)arg;
    profile_loop_ran = 1; /* past its start-up in ASan's allocator */
    while (profiling)
        if (profile_plain("loop") != 0)
            return arg;
    return NULL;
}

/* Forks (20 times) while another thread's profiles end (each takes the closures'
 * lock to count itself): every child's own profile must end too. A child
 * that does not within 60 s (it takes milliseconds) waits on a lock its
 * parent's thread held at the fork. The two threads call no Check
 * function meanwhile: Check has a lock of its own. */
START_TEST(test_fork_while_profiles_end)
{
    pthread_t t;
    int stuck = 0;

    mu_start_on_any_port(NULL);
    ck_assert_msg(tu_others_asleep(30), "the server's thread never slept");
    profiling = 1;
    ck_assert_int_eq(pthread_create(&t, NULL, profile_loop, NULL), 0);
    while (!profile_loop_ran) /* forks only once both threads have started */
        sched_yield();
    for (int i = 0; i < 20; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(profile_plain("child") == 0 ? 0 : 1);
        if (!tu_wait_within(pid, 60, NULL))
            stuck++;
    }
    profiling = 0;
    pthread_join(t, NULL);
    ck_assert_int_eq(stuck, 0);
    ck_assert_int_eq(gcp_metrics_stop(), 0);
}
END_TEST

START_TEST(test_exit_writes_and_closes)
{
    char dir[] = "/tmp/check_metrics.XXXXXX", path[64];
    int pipefd[2];
    unsigned long child_gc_no = 0;
    int port = 0;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/exit.prom", dir);
    ck_assert_int_eq(pipe(pipefd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        gcp_metrics_options o = {.addr = "127.0.0.1:0", .file = path, .file_interval = 3600};
        if (gcp_metrics_start(&o) != 0)
            _exit(2);
        GC_gcollect();
        unsigned long no = GC_get_gc_no();
        int p = gcp_metrics_port();
        if (write(pipefd[1], &no, sizeof no) != sizeof no ||
            write(pipefd[1], &p, sizeof p) != sizeof p)
            _exit(3);
        exit(0); /* atexit: a last write, the server stopped */
    }
    close(pipefd[1]);
    ck_assert_int_eq(read(pipefd[0], &child_gc_no, sizeof child_gc_no), sizeof child_gc_no);
    ck_assert_int_eq(read(pipefd[0], &port, sizeof port), sizeof port);
    close(pipefd[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *last = slurp(path);
    ck_assert_double_eq(metric_value(last, "bdwgc_collections_total"), (double)child_gc_no);
    free(last);
    ck_assert_int_eq(http_get((unsigned)port, "/metrics", NULL).status, 0);
    unlink(path);
    rmdir(dir);
}
END_TEST

static Suite *make_life_suite(void)
{
    Suite *s = suite_create("metrics_life");
    TCase *life = tcase_create("life");
    TCase *files = tcase_create("files");

    tcase_add_test(life, test_no_module); /* first: unforked, later ones load the module */
    tcase_add_test(life, test_bad_options);
    tcase_add_test(life, test_states_and_descriptors);
    tcase_add_test(life, test_port_in_use);
    tcase_add_test(life, test_fork_child_owns_nothing);
    tcase_add_test(life, test_fork_child_keeps_no_port);
    tcase_add_test(life, test_fork_while_profiles_end);
    tcase_add_test(files, test_textfile);
    tcase_add_test(files, test_exit_writes_and_closes);
    /* 20 forks of a process with the collector's heap, ASan's shadow or
     * valgrind: seconds, not Check's default 4 s (CK_TIMEOUT_MULTIPLIER
     * scales it); a hang is the test's own 60 s bound per child. */
    tcase_set_timeout(life, 60);
    suite_add_tcase(s, life);
    suite_add_tcase(s, files);
    return s;
}

int main(void)
{
    return tu_run(make_life_suite());
}
