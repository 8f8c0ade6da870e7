/*
 * server.c - the metrics endpoint's HTTP server (server.h).
 *
 * We open the listening socket ourselves and hand it to libmicrohttpd: a
 * port in use, a host that does not resolve or an address not on this
 * machine is then an exact error (bind's errno, getaddrinfo's text) for
 * the caller, not a line in libmicrohttpd's log. Limits keep a scraper
 * (or anything else that connects) from costing the program more than a
 * little: one thread, 8 connections, 10 s idle timeout, 16 KiB of request
 * memory each; bodies are ignored, methods other than GET and HEAD refused.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "server.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNECTIONS 8
#define IDLE_SECONDS    10
#define REQUEST_MEMORY  (16 << 10)

struct gcp__http_server {
    struct MHD_Daemon *d;
    gcp_http_handler_fn *fn;
    void *ctx;
    int slot; /* in listening[], or -1 */
};

/* The listening sockets of the servers running here. A forked child gets
 * copies of them but no server thread: it closes them at once. (A stop
 * shuts the socket down for every holder, but a parent killed first
 * would leave a long-lived child holding the port, bound and unserved.) */
#define MAX_SERVERS 8
static _Atomic int listening[MAX_SERVERS] = {-1, -1, -1, -1, -1, -1, -1, -1};
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void close_in_child(void)
{
    for (int i = 0; i < MAX_SERVERS; i++) {
        int fd = atomic_exchange(&listening[i], -1);
        if (fd >= 0)
            close(fd);
    }
}

static void watch_fork(void)
{
    pthread_atfork(NULL, NULL, close_in_child);
}

static int note_listening(int fd)
{
    pthread_once(&fork_once, watch_fork);
    for (int i = 0; i < MAX_SERVERS; i++) {
        int none = -1;
        if (atomic_compare_exchange_strong(&listening[i], &none, fd))
            return i;
    }
    return -1; /* more servers than slots: that one stays in children */
}

/* The first address host:port resolves to that we can bind and listen
 * on, as a descriptor; -1 with err said. */
static int listen_on(const char *host, unsigned port, unsigned *bound, char *err, size_t size)
{
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res, *ai;
    char service[8];
    int fd = -1, rc, saved = 0;

    snprintf(service, sizeof service, "%u", port);
    if ((rc = getaddrinfo(host, service, &hints, &res)) != 0) {
        snprintf(err, size, "cannot resolve '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        int one = 1;
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        /* TIME_WAIT from a previous run is no obstacle; a live listener
         * still is (Linux refuses a second bind while one listens). */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        int v6 = strchr(host, ':') != NULL; /* an IPv6 address: [addr]:port */
        snprintf(err, size, "cannot listen on %s%s%s:%u: %s", v6 ? "[" : "", host, v6 ? "]" : "",
                 port, strerror(saved));
        return -1;
    }
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    *bound = port;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        *bound = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                                : ((struct sockaddr_in *)&sa)->sin_port);
    return fd;
}

static enum MHD_Result queue(struct MHD_Connection *c, int status, const char *type, char *body,
                             size_t len, const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);

    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return rc;
}

static char *copy(const char *s, size_t *len)
{
    *len = strlen(s);
    return strdup(s);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req)
{
    gcp__http_server *s = cls;
    gcp_http_reply out = {404, "text/plain; charset=utf-8", NULL, 0};

    (void)version;
    (void)upload;
    if (*req == NULL) { /* headers only so far: answer once they are all in */
        *req = s;
        return MHD_YES;
    }
    *upload_size = 0; /* a body, if any, is read and dropped */
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        out.body = copy("only GET and HEAD\n", &out.len);
        return queue(c, MHD_HTTP_METHOD_NOT_ALLOWED, out.content_type, out.body, out.len,
                     "GET, HEAD");
    }
    s->fn(s->ctx, url, MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
          &out);
    if (!out.body && out.status != 200 && out.status != 204)
        out.body = copy(out.status == 404 ? "not found\n" : "unavailable\n", &out.len);
    return queue(c, out.status, out.content_type, out.body, out.len, NULL);
}

/* libmicrohttpd's messages: dropped (a program's stderr is its own, and
 * every failure we can name is named before it starts). */
static void no_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    (void)fmt;
    (void)ap;
}

gcp__http_server *gcp__http_start(const char *host, unsigned port, gcp_http_handler_fn *fn,
                                  void *ctx, unsigned *bound, char *err, size_t size)
{
    gcp__http_server *s = calloc(1, sizeof *s);
    int fd;

    if (!s) {
        snprintf(err, size, "out of memory");
        return NULL;
    }
    if ((fd = listen_on(host, port, bound, err, size)) < 0) {
        free(s);
        return NULL;
    }
    s->fn = fn;
    s->ctx = ctx;
    /* Not MHD_USE_ERROR_LOG: it would write to the program's stderr. */
    s->d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL, answer, s,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_SECONDS, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)REQUEST_MEMORY, MHD_OPTION_EXTERNAL_LOGGER, no_log, NULL, MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, size, "libmicrohttpd could not serve on %s:%u", host, *bound);
        close(fd);
        free(s);
        return NULL;
    }
    s->slot = note_listening(fd);
    return s;
}

void gcp__http_stop(gcp__http_server *s)
{
    if (!s)
        return;
    if (s->slot >= 0)
        atomic_store(&listening[s->slot], -1);
    MHD_stop_daemon(s->d); /* joins its thread, closes the listening socket */
    free(s);
}
