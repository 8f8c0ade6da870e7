/*
 * run_child.c - starting and watching the program for `gcprof run` and
 * `gcprof tune`.
 */
#define _GNU_SOURCE
#include "run_child.h"
#include "clock.h"
#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FD_FLOOR 64 /* the pipe's fd in the program: clear of the low fds it uses */

static volatile sig_atomic_t child_pid;
static int xfsz_ignored; /* SIGXFSZ was ignored when gcprof started */
static volatile sig_atomic_t stop_asked; /* a signal after the program ended */
/* gcprof tune's (tool_child_stop_on_signals) */
static volatile sig_atomic_t stop_mode;    /* signals stop, not forwarded */
static volatile sig_atomic_t stop_signal;  /* the first signal */
static volatile sig_atomic_t stop_running; /* it came while the program ran */
static uint64_t stop_seen_ns;              /* when the running program's stop began */

/* Signals sent to gcprof go on to the program, which decides what they
 * mean; gcprof writes the file when it ends. A terminal's ^C already
 * reaches the whole foreground group (si_code SI_KERNEL): not twice. Once
 * the program has ended (-f waits for its children), a signal tells gcprof
 * to stop waiting and write the file. gcprof tune's program leads a group
 * of its own, which a terminal's ^C does not reach: the signal ends it. */
static void forward(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    if (stop_mode) {
        if (!stop_signal)
            stop_signal = sig;
        if (child_pid > 0) {
            stop_running = 1;
            kill(-(pid_t)child_pid, SIGTERM);
        }
    } else if (child_pid <= 0) {
        stop_asked = 1;
    } else if (info->si_code != SI_KERNEL) {
        kill((pid_t)child_pid, sig);
    }
}

int tool_child_stop_signal(void)
{
    return stop_signal;
}

int tool_child_stop_asked(void)
{
    return stop_asked != 0;
}

static volatile sig_atomic_t dump_asked; /* SIGUSR1: a heap profile now */

static void on_sigusr1(int sig)
{
    (void)sig;
    dump_asked = 1;
}

void tool_child_catch_dump_signal(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL); /* the program's exec resets it: not inherited */
}

int tool_child_dump_asked(void)
{
    if (!dump_asked)
        return 0;
    dump_asked = 0;
    return 1;
}

int tool_child_orphans(void)
{
    pid_t r;

    do
        r = waitpid(-1, NULL, WNOHANG);
    while (r > 0 || (r < 0 && errno == EINTR));
    return r == 0; /* children left, none ended yet */
}

static void on_sigchld(int sig)
{
    (void)sig; /* only interrupts ppoll */
}

static void catch_signals(void)
{
    static const int fwd[] = {SIGINT, SIGTERM, SIGHUP};
    static int caught;
    struct sigaction sa;

    if (caught) /* once: SIGXFSZ's state on entry is read here */
        return;
    caught = 1;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = forward;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fwd / sizeof fwd[0]; i++) {
        struct sigaction was;
        /* ignored on entry (nohup, `cmd &`): stays so, for the program too */
        if (sigaction(fwd[i], NULL, &was) == 0 && was.sa_handler != SIG_IGN)
            sigaction(fwd[i], &sa, NULL);
    }
    /* A file-size limit (ulimit -f) is a full disk to gcprof: its write
     * fails with EFBIG, it keeps what it wrote, rather than die of it. */
    struct sigaction was;
    xfsz_ignored = sigaction(SIGXFSZ, NULL, &was) == 0 && was.sa_handler == SIG_IGN;
    signal(SIGXFSZ, SIG_IGN);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
}

void tool_child_stop_on_signals(void)
{
    stop_mode = 1;
    catch_signals();
}

static void set_env_double(const char *name, double v)
{
    char buf[64];

    snprintf(buf, sizeof buf, "%.17g", v);
    setenv(name, buf, 1);
}

static void set_env_long(const char *name, long v)
{
    char buf[32];

    snprintf(buf, sizeof buf, "%ld", v);
    setenv(name, buf, 1);
}

static void set_env_flag(const char *name, int on)
{
    setenv(name, on ? "1" : "0", 1);
}

/* The private directory, the heap profile's settings and the breakdown's,
 * or none (an outer gcprof run's removed). */
static void set_heap_env(const tool_child_opts *o)
{
    if (o->heap_dir)
        setenv("GCPROF_PRELOAD_HEAP_DIR", o->heap_dir, 1);
    else
        unsetenv("GCPROF_PRELOAD_HEAP_DIR");
    if (o->breakdown)
        setenv("GCPROF_PRELOAD_BREAKDOWN", "1", 1);
    else
        unsetenv("GCPROF_PRELOAD_BREAKDOWN");
    if (!o->heap_rate) {
        unsetenv("GCPROF_PRELOAD_HEAP_RATE");
        unsetenv("GCPROF_PRELOAD_HEAP_EVERY");
        return;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)o->heap_rate);
    setenv("GCPROF_PRELOAD_HEAP_RATE", buf, 1);
    set_env_double("GCPROF_PRELOAD_HEAP_EVERY", o->heap_every);
}

/* In the child: what the preload reads, GCPROF_PRELOAD_* (internal, in
 * runtime/heap/env_table.c and doc/environment.md), each one set or unset, so
 * nothing of an outer gcprof run's is left. The program's own variables
 * (GCPROF_TRACE, ...) stay the program's. LD_PRELOAD keeps what was there. */
static void child_env(int data_fd, const tool_child_opts *o)
{
    struct stat st;
    char id[64];

    set_env_long("GCPROF_PRELOAD_FD", data_fd);
    if (fstat(data_fd, &st) == 0) { /* the preload writes only to this pipe */
        snprintf(id, sizeof id, "%llu:%llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
        setenv("GCPROF_PRELOAD_FD_ID", id, 1);
    } else {
        unsetenv("GCPROF_PRELOAD_FD_ID");
    }
    set_env_long("GCPROF_PRELOAD_PID", (long)getpid());
    setenv("GCPROF_PRELOAD_FORMAT", o->format, 1);
    set_env_double("GCPROF_PRELOAD_INTERVAL", o->interval);
    set_env_flag("GCPROF_PRELOAD_TRACE", o->trace);
    if (o->trace && o->trace_file)
        setenv("GCPROF_PRELOAD_TRACE_FILE", o->trace_file, 1);
    else
        unsetenv("GCPROF_PRELOAD_TRACE_FILE");
    set_env_flag("GCPROF_PRELOAD_FOLLOW", o->follow);
    set_env_flag("GCPROF_PRELOAD_LIVE", o->live);
    set_heap_env(o);
    if (!o->preload)
        return;
    const char *old = getenv("LD_PRELOAD");
    if (!old || !*old) {
        setenv("LD_PRELOAD", o->preload, 1);
        return;
    }
    size_t n = strlen(o->preload) + strlen(old) + 2;
    char *both = malloc(n);
    if (both) {
        snprintf(both, n, "%s %s", o->preload, old);
        setenv("LD_PRELOAD", both, 1);
    }
}

/* In the child: the caller's variables, set or unset, whatever the
 * length of their names. putenv keeps the string itself, which lives until
 * the exec (the child's copy of the caller's memory). */
static void extra_env(char *const *env)
{
    for (; env && *env; env++) {
        if (strchr(*env, '='))
            putenv(*env);
        else
            unsetenv(*env);
    }
}

/* In the child: /dev/null as fd, when asked to. */
static void null_fd(int asked, int fd, int flags)
{
    int n = asked ? open("/dev/null", flags | O_CLOEXEC) : -1;

    if (n >= 0) {
        dup2(n, fd); /* dup2 clears close-on-exec on fd */
        close(n);
    }
}

/* In the child: never returns. An exec failure goes back up err_fd. */
static void child_exec(char **argv, int data_wr, int err_wr, const sigset_t *mask,
                       const tool_child_opts *o)
{
    int fd = fcntl(data_wr, F_DUPFD, FD_FLOOR);

    if (stop_mode) /* a group of its own: gcprof tune stops all of it */
        setpgid(0, 0);
    null_fd(o->null_stdin, 0, O_RDONLY);
    null_fd(o->null_output, 1, O_WRONLY);
    null_fd(o->null_output, 2, O_WRONLY);

    if (!xfsz_ignored)
        signal(SIGXFSZ, SIG_DFL);

    if (fd < 0)
        fd = data_wr;
    else
        close(data_wr);
    child_env(fd, o);
    extra_env(o->env);
    sigprocmask(SIG_SETMASK, mask, NULL);
    execvp(argv[0], argv);
    int err = errno;
    while (write(err_wr, &err, sizeof err) < 0 && errno == EINTR)
        ;
    _exit(127);
}

/* The exec's verdict: 0 if it ran (the pipe closed on exec), else errno. */
static int exec_result(int err_rd)
{
    int err = 0;
    ssize_t n;

    do
        n = read(err_rd, &err, sizeof err);
    while (n < 0 && errno == EINTR);
    close(err_rd);
    return n == (ssize_t)sizeof err ? err : 0;
}

#ifndef GCPROF_PKGLIBDIR
#define GCPROF_PKGLIBDIR "/usr/local/lib/gcprof"
#endif

/* The preload library, or NULL (warned once) to record RSS alone. With
 * --heap-profile, its build with the allocation interposers,
 * libgcprof-preload-heap.so, from the same directory (GCPROF_PRELOAD's
 * too): the plain one keeps every allocation as cheap as without gcprof. */
const char *tool_child_find_preload(char *buf, int heap, const char *cmd)
{
    const char *env = getenv("GCPROF_PRELOAD");
    const char *path = env && *env ? env : GCPROF_PKGLIBDIR "/libgcprof-preload.so";
    char heap_path[PATH_MAX];

    if (heap) {
        const char *slash = strrchr(path, '/');
        int dir = slash ? (int)(slash - path + 1) : 0;
        snprintf(heap_path, sizeof heap_path, "%.*slibgcprof-preload-heap.so", dir, path);
        path = heap_path;
    }
    if (!realpath(path, buf)) {
        tool_say(cmd, "warning: no preload library '%s' (%s); recording RSS only", path,
                 strerror(errno));
        return NULL;
    }
    if (strpbrk(buf, " :")) { /* LD_PRELOAD's separators */
        tool_say(cmd, "warning: preload path '%s' has a space or ':'; recording RSS only", buf);
        return NULL;
    }
    return buf;
}

int tool_child_start(tool_child *c, char **argv, const tool_child_opts *o)
{
    int data[2], err[2];
    sigset_t chld, old;

    if (pipe2(data, O_CLOEXEC) != 0)
        return -1;
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(data[0]);
        close(data[1]);
        return -1;
    }
    /* SIGCHLD stays blocked except inside ppoll: no exit goes unnoticed. */
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    c->waiting = old;
    sigdelset(&c->waiting, SIGCHLD);
    catch_signals(); /* forwarding starts once child_pid is set */
    if (o->follow) /* the program's orphans become ours: -f waits for them */
        prctl(PR_SET_CHILD_SUBREAPER, 1);
    fflush(NULL);
    c->start_ns = gcp__now_ns();
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        /* The program dies with gcprof: a gcprof killed by SIGKILL (no
         * handler runs) leaves no program running unrecorded. If gcprof
         * died before the prctl, the parent is already someone else. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(127);
        close(data[0]);
        close(err[0]);
        fcntl(data[1], F_SETFD, 0); /* this one crosses the exec */
        child_exec(argv, data[1], err[1], &old, o);
    }
    int saved = errno;
    if (pid > 0 && stop_mode) /* before its exec too: no signal finds it between */
        setpgid(pid, pid);
    close(data[1]);
    close(err[1]);
    if (pid < 0) {
        close(data[0]);
        close(err[0]);
        errno = saved;
        return -1;
    }
    int result = exec_result(err[0]);
    if (result != 0) {
        close(data[0]);
        waitpid(pid, NULL, 0);
        return result;
    }
    c->pid = pid;
    c->data_fd = data[0];
    fcntl(c->data_fd, F_SETFL, O_NONBLOCK);
    fcntl(c->data_fd, F_SETPIPE_SZ, 1 << 20); /* slack if we fall behind */
    c->suspended = 0;
    stop_seen_ns = 0;
    stop_running = 0;
    child_pid = pid;
    if (stop_mode && stop_signal) { /* came before child_pid was set */
        stop_running = 1;
        kill(-pid, SIGTERM);
    }
    return 0;
}

int tool_child_start_failed(const char *cmd, const char *program, int r)
{
    tool_say(cmd, "cannot run '%s': %s", program, strerror(r > 0 ? r : errno));
    if (r < 0) /* no fork or pipe: our failure, not the program's */
        return -1;
    return r == ENOENT ? TOOL_EXIT_NOT_FOUND : TOOL_EXIT_CANNOT_EXEC; /* as a shell */
}

/* The program's state, without reaping it: 1 once it has ended; 0 while
 * it runs, with *stopsig set when job control stopped it (gcprof tune
 * only: its group is a background one, which a terminal stops with
 * SIGTTOU or SIGTTIN). */
static int leader_ended(pid_t pid, int *stopsig)
{
    int how = WEXITED | WNOHANG | WNOWAIT | (stop_mode ? WSTOPPED : 0);
    siginfo_t si;
    int r;

    memset(&si, 0, sizeof si);
    do
        r = waitid(P_PID, (id_t)pid, &si, how);
    while (r < 0 && errno == EINTR);
    if (r < 0) /* cannot happen for our own child: reap, do not spin */
        return 1;
    if (si.si_pid != pid)
        return 0;
    if (si.si_code == CLD_STOPPED) {
        *stopsig = si.si_status;
        return 0;
    }
    return 1;
}

/* gcprof tune: its program leads a process group of its own. Once the
 * program has ended, whatever it left in its group (background children)
 * is killed before the program is reaped: its zombie keeps the group's
 * number from being reused, and nothing of this run goes on into the next.
 * Stopped by job control, it is killed at once (a run that cannot go on).
 * Asked to stop, the handler sent the group SIGTERM; SIGKILL follows once
 * the grace has run out. Returns whether the program has ended (not
 * reaped). */
static int watch_group(tool_child *c)
{
    int stopsig = 0;
    int ended = leader_ended(c->pid, &stopsig);

    if (stopsig && !c->suspended) {
        c->suspended = stopsig;
        kill(-c->pid, SIGKILL);
    }
    if (ended) {
        child_pid = 0; /* the handler signals the group no more */
        kill(-c->pid, SIGKILL);
        return 1;
    }
    if (stop_signal) {
        uint64_t now = gcp__now_ns();
        if (!stop_seen_ns)
            stop_seen_ns = now;
        if ((double)(now - stop_seen_ns) / 1e9 > TOOL_CHILD_GRACE)
            kill(-c->pid, SIGKILL);
    }
    return 0;
}

int tool_child_done(tool_child *c, int *wstatus, uint64_t *maxrss)
{
    struct rusage ru;
    int stopsig = 0;
    pid_t r;

    if (stop_mode ? !watch_group(c) : !leader_ended(c->pid, &stopsig))
        return 0;
    /* Before the reaping: from here on a signal's handler never sends to
     * this pid, which the reaping frees for reuse. */
    child_pid = 0;
    memset(&ru, 0, sizeof ru);
    do
        r = wait4(c->pid, wstatus, 0, &ru);
    while (r < 0 && errno == EINTR);
    c->end_ns = gcp__now_ns();
    if (r < 0) /* cannot happen for our own child */
        *wstatus = 127 << 8;
    c->usage = ru;
    c->stopped = stop_running;
    *maxrss = (uint64_t)ru.ru_maxrss * 1024u; /* KiB on Linux */
    return 1;
}

int tool_child_exit_code(int wstatus)
{
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 1;
}
