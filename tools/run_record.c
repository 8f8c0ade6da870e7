/*
 * run_record.c - the recording loop of `gcprof run`.
 */
#define _GNU_SOURCE
#include "run_record.h"
#include "clock.h"
#include "run_procs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Bytes from the pipe not yet ending in a newline. */
typedef struct linebuf {
    char *buf;
    size_t len, cap;
} linebuf;

static double mono(void)
{
    return (double)gcp__now_ns() / 1e9;
}

static struct timespec until(double deadline)
{
    double left = deadline - mono();
    struct timespec ts = {0, 0};

    if (left > 0) {
        ts.tv_sec = (time_t)left;
        ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
    }
    return ts;
}

static int open_statm(pid_t pid)
{
    char path[64];

    snprintf(path, sizeof path, "/proc/%ld/statm", (long)pid);
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* Resident bytes, or 0 when unknown (no /proc, or the process is gone). */
static uint64_t read_rss(int fd)
{
    char buf[128];
    unsigned long size, resident;
    ssize_t n = fd >= 0 ? pread(fd, buf, sizeof buf - 1, 0) : -1;

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    if (sscanf(buf, "%lu %lu", &size, &resident) != 2)
        return 0;
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void sample_rss(int statm, tool_run_output *out)
{
    gcp_tl_sample s = {.t = gcp__tl_now(), .has_rss = 1};

    s.rss = read_rss(statm);
    if (out->metrics)
        tool_metrics_rss(out->metrics, s.rss);
    if (s.rss == 0)
        return;
    gcp__tl_sample(out->file.fp, out->format, &s);
    out->rss_samples++;
}

static int starts(const char *line, size_t n, const char *prefix)
{
    size_t p = strlen(prefix);

    return n >= p && memcmp(line, prefix, p) == 0;
}

/* Counts for the closing note: the preload sends heap samples,
 * collections, images and breakdowns. Returns 1 for a breakdown. */
static int count_line(tool_run_output *out, const char *line, size_t n)
{
    int dat = out->format == GCP_TL_DAT;

    if (starts(line, n, dat ? "GCPROF_GC " : "{\"type\":\"gc\""))
        out->collections++;
    else if (starts(line, n, dat ? "GCPROF_HEAP " : "{\"type\":\"sample\""))
        out->heap_samples++;
    else if (starts(line, n, dat ? "GCPROF_IMAGE " : "{\"type\":\"image\""))
        out->images++;
    else if (starts(line, n, dat ? "GCPROF_BREAKDOWN " : "{\"type\":\"breakdown\"")) {
        out->breakdowns++;
        return 1;
    }
    return 0;
}

/* Writes the complete lines in lb and keeps the partial one. */
static void write_lines(linebuf *lb, tool_run_output *out)
{
    size_t done = 0;

    for (char *nl; (nl = memchr(lb->buf + done, '\n', lb->len - done)) != NULL;) {
        size_t n = (size_t)(nl - (lb->buf + done)) + 1;
        int breakdown = count_line(out, lb->buf + done, n);
        if (out->metrics)
            tool_metrics_line(out->metrics, lb->buf + done, n);
        fwrite(lb->buf + done, 1, n, out->file.fp);
        if (breakdown) /* rare, and asked for: in the file at once (its .tmp while it runs) */
            fflush(out->file.fp);
        done += n;
    }
    memmove(lb->buf, lb->buf + done, lb->len - done);
    lb->len -= done;
}

static int grow(linebuf *lb, size_t need)
{
    if (lb->cap - lb->len >= need)
        return 0;
    size_t cap = lb->cap ? lb->cap : 1 << 16;
    while (cap - lb->len < need)
        cap *= 2;
    char *b = realloc(lb->buf, cap);
    if (!b)
        return -1;
    lb->buf = b;
    lb->cap = cap;
    return 0;
}

/* Copies what the pipe holds now. -1 at end of file (or an error): the
 * program closed its end. */
static int pump(int fd, linebuf *lb, tool_run_output *out)
{
    for (;;) {
        if (grow(lb, 1 << 15) != 0)
            return -1;
        ssize_t n = read(fd, lb->buf + lb->len, lb->cap - lb->len);
        if (n > 0) {
            lb->len += (size_t)n;
            write_lines(lb, out);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && errno == EAGAIN ? 0 : -1;
    }
}

#define PF_EXITING 0x4 /* include/linux/sched.h: the task has begun to exit */

/* Whether pid has begun to exit (or is gone): its descriptors close then,
 * and the pipe's end of file is no loss. From /proc/PID/stat: the state
 * (3rd field) and the kernel's task flags (9th), after the command name. */
static int exiting(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    char state;
    unsigned long flags;

    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return 1;
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the name may hold anything */
    if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
        return 1;
    return state == 'Z' || state == 'X' || (flags & PF_EXITING) != 0;
}

/* The pipe closed while the program runs: it closed or replaced the
 * descriptor (a daemon closing every descriptor does). Said once, and only
 * when the preload was recording (it had sent its image record). */
static void channel_closed(tool_run_output *out, long pid)
{
    if (out->lost || out->images == 0 || exiting(pid))
        return;
    out->lost = 1;
    gcp__tl_lost(out->file.fp, out->format, gcp__tl_now(), pid, "closed");
}

/* Following: the processes the program started are gcprof's children
 * once it has ended (gcprof is their subreaper): sample them and read the
 * pipe until none is left, or a signal asks gcprof to stop. */
static void drain_followed(int fd, linebuf *lb, tool_run_output *out, tool_procs *procs,
                           double interval)
{
    for (;;) {
        if (fd >= 0 && pump(fd, lb, out) < 0)
            fd = -1;
        if (tool_child_stop_asked()) {
            tool_say(out->cmd, "stopped waiting for the processes the program started (signal)");
            break;
        }
        if (!tool_child_orphans())
            break;
        tool_procs_scan(procs, (long)getpid(), out, 1);
        struct pollfd p = {fd, POLLIN, 0};
        struct timespec ts = {(time_t)interval, (long)((interval - (double)(time_t)interval) * 1e9)};
        ppoll(&p, fd >= 0 ? 1 : 0, &ts, NULL);
    }
    if (fd >= 0)
        pump(fd, lb, out);
}

void tool_run_record(tool_child *c, tool_run_output *out, double interval, int follow,
                     tool_run_result *res)
{
    int statm = open_statm(c->pid), fd = c->data_fd;
    linebuf lb = {NULL, 0, 0};
    double next = mono();
    tool_procs procs = {.n = 0};

    for (;;) {
        if (mono() >= next) { /* first at once: a short program gets one */
            sample_rss(statm, out);
            tool_procs_scan(&procs, (long)c->pid, out, follow);
            next += interval;
            if (next < mono()) /* fell behind (suspended?): no burst */
                next = mono() + interval;
        }
        if (tool_child_done(c, &res->wstatus, &res->maxrss))
            break;
        struct pollfd p = {fd, POLLIN, 0};
        struct timespec ts = until(next);
        if (ppoll(&p, 1, &ts, &c->waiting) > 0 && pump(fd, &lb, out) < 0) {
            fd = -1; /* poll ignores it from now on */
            channel_closed(out, (long)c->pid);
        }
    }
    res->end = gcp__tl_now();
    /* The preload flushed before the program exited: all is in the pipe.
     * Not waiting for end of file, unless following: the program's
     * children may hold it. */
    if (follow)
        drain_followed(fd, &lb, out, &procs, interval);
    else if (fd >= 0)
        pump(fd, &lb, out);
    if (lb.len) /* the program died mid-line: never write half a record */
        tool_say(out->cmd, "dropped an incomplete last line (%zu bytes)", lb.len);
    free(lb.buf);
    close(c->data_fd);
    if (statm >= 0)
        close(statm);
}
