/*
 * run_metrics.c - gcprof run --metrics and --metrics-file (run_metrics.h):
 * the HTTP endpoint (http/server.h, on its own thread), the textfile
 * writer (common/prom_file.h, a thread too), and their start and end
 * around the program.
 *
 * Both threads start with every signal blocked: gcprof's handlers
 * (forwarding to the program, SIGCHLD, SIGUSR1) must run on the thread
 * that waits for them in ppoll (run_record.c), or they would wait an
 * interval for nothing.
 */
#define _GNU_SOURCE
#include "run_metrics.h"
#include "commands.h"
#include "listen_addr.h"
#include "prom_file.h"
#include "prom_text.h"
#include "run_gc_state.h"
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PROFILE (64 << 20) /* a heap profile larger than this is not served */

struct tool_metrics {
    tool_gc_state state;
    const tool_heap *heap;
    gcp__http_server *server;
    const char *file;         /* the textfile, or NULL */
    gcp__prom_writer *writer; /* its writer (common/prom_file.h), or NULL */
};

/* ---- the HTTP handler (the server's thread) ---------------------------- */

static void reply_text(gcp_http_reply *out, int status, const char *text)
{
    out->status = status;
    out->content_type = "text/plain; charset=utf-8";
    out->body = strdup(text);
    out->len = out->body ? strlen(text) : 0;
}

static void serve_metrics(tool_metrics *m, const char *accept, gcp_http_reply *out)
{
    int om = gcp__prom_wants_openmetrics(accept);

    if (tool_gc_state_text(&m->state, om, &out->body, &out->len) != 0) {
        reply_text(out, 503, "the metrics text is larger than 4 MiB, or memory ran out\n");
        return;
    }
    out->status = 200;
    out->content_type = om ? GCP__OM_CONTENT_TYPE : GCP__PROM_CONTENT_TYPE;
}

/* The whole file at path, malloc'd: 0, or -1. */
static int read_whole(const char *path, char **body, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    size_t got = 0;
    char *buf = NULL;

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= MAX_PROFILE &&
        (buf = malloc((size_t)st.st_size + 1))) {
        ssize_t n;
        while (got < (size_t)st.st_size &&
               ((n = read(fd, buf + got, (size_t)st.st_size - got)) > 0 || errno == EINTR))
            got += n > 0 ? (size_t)n : 0;
    }
    close(fd);
    if (!buf || got != (size_t)st.st_size) {
        free(buf);
        return -1;
    }
    *body = buf;
    *len = got;
    return 0;
}

/* The newest profile gcprof converted for the program's process: its
 * file is renamed into place whole (pprof_write), so it is never read
 * half-written. */
static void serve_heap(tool_metrics *m, gcp_http_reply *out)
{
    if (!m->heap) {
        reply_text(out, 404, "no heap profile: gcprof run without --heap-profile\n");
        return;
    }
    if (!atomic_load(&m->heap->main_written)) {
        reply_text(out, 404,
                   "no heap profile yet: written every --heap-every seconds, on "
                   "SIGUSR1 to gcprof, and at the end\n");
        return;
    }
    if (read_whole(m->heap->output, &out->body, &out->len) != 0) {
        reply_text(out, 503, "the heap profile cannot be read now\n");
        return;
    }
    out->status = 200;
    out->content_type = "application/octet-stream";
}

static void handle(void *ctx, const char *path, const char *accept, gcp_http_reply *out)
{
    tool_metrics *m = ctx;

    if (strcmp(path, "/metrics") == 0)
        serve_metrics(m, accept, out);
    else if (strcmp(path, "/debug/pprof/heap") == 0)
        serve_heap(m, out);
    else
        reply_text(out, 404, "not found: /metrics, /debug/pprof/heap\n");
}

/* ---- the textfile ------------------------------------------------------ */

/* One write, whole (beside it, then renamed): NULL, or why not. */
static const char *write_file(void *arg)
{
    tool_metrics *m = arg;
    char *text;
    size_t len;

    /* node_exporter's textfile collector reads the 0.0.4 format */
    if (tool_gc_state_text(&m->state, 0, &text, &len) != 0)
        return "the metrics text is larger than 4 MiB, or memory ran out";
    const char *why = gcp__prom_file_write(m->file, text, len);
    free(text);
    return why;
}

static void warn_file(void *arg, const char *why)
{
    tool_say("run", "warning: cannot write the metrics file '%s': %s", ((tool_metrics *)arg)->file,
             why);
}

/* ---- start and finish ---------------------------------------------------- */

/* "http://HOST:PORT/metrics", an IPv6 address in brackets. */
static void say_where(const char *host, unsigned port)
{
    int v6 = strchr(host, ':') != NULL;

    tool_say("run", "metrics on http://%s%s%s:%u/metrics", v6 ? "[" : "", host, v6 ? "]" : "",
             port);
}

static int start_server(tool_metrics *m, const char *addr)
{
    gcp__listen_addr a;
    char err[320];
    unsigned bound = 0;

    if (gcp__listen_addr_parse(addr, &a, err, sizeof err) != 0) { /* checked with the options */
        tool_say("run", "bad address for --metrics: '%s': %s", addr, err);
        return -1;
    }
    m->server = gcp__http_start(a.host, a.port, handle, m, &bound, err, sizeof err);
    if (!m->server) {
        tool_say("run", "--metrics %s: %s", addr, err);
        return -1;
    }
    say_where(a.host, bound);
    return 0;
}

/* The first write now: a file that cannot be written is an error before
 * the program runs, not a warning after. */
static int start_writer(tool_metrics *m, const char *file, double interval)
{
    const char *why;

    m->file = file;
    if ((why = write_file(m)) != NULL) {
        tool_say("run", "cannot write the metrics file '%s': %s", file, why);
        return -1;
    }
    int rc = gcp__prom_writer_start(interval, write_file, warn_file, m, &m->writer);
    if (rc != 0) {
        tool_say("run", "cannot start the metrics file's writer: %s", strerror(rc));
        return -1;
    }
    return 0;
}

static void stop_writer(tool_metrics *m)
{
    if (m->writer)
        gcp__prom_writer_stop(m->writer);
    m->writer = NULL;
}

static void metrics_free(tool_metrics *m)
{
    gcp__http_stop(m->server);
    stop_writer(m);
    tool_gc_state_free(&m->state);
    free(m);
}

tool_metrics *tool_metrics_start(const tool_metrics_opts *o)
{
    tool_metrics *m = calloc(1, sizeof *m);
    sigset_t all, old;
    int rc = 0;

    if (!m || tool_gc_state_init(&m->state, o->format) != 0) {
        if (m)
            tool_gc_state_free(&m->state);
        free(m);
        tool_say("run", "out of memory");
        return NULL;
    }
    m->heap = o->heap;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the threads inherit it */
    if (o->addr)
        rc = start_server(m, o->addr);
    if (rc == 0 && o->file)
        rc = start_writer(m, o->file, o->interval);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        metrics_free(m);
        return NULL;
    }
    return m;
}

void tool_metrics_follow(tool_metrics *m, long pid)
{
    tool_gc_state_follow(&m->state, pid);
}

void tool_metrics_line(tool_metrics *m, const char *line, size_t n)
{
    tool_gc_state_line(&m->state, line, n);
}

void tool_metrics_rss(tool_metrics *m, uint64_t rss)
{
    tool_gc_state_rss(&m->state, rss);
}

int tool_metrics_finish(tool_metrics *m)
{
    const char *why = NULL;

    if (!m)
        return 0;
    gcp__http_stop(m->server); /* a request in progress completes first */
    m->server = NULL;
    stop_writer(m);
    if (m->file && (why = write_file(m)) != NULL) /* the last figures */
        tool_say("run", "cannot write the metrics file '%s': %s", m->file, why);
    metrics_free(m);
    return why ? -1 : 0;
}
