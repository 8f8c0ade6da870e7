/*
 * metrics.c - gcp_metrics_*: the endpoint's life (gcprof.h, "fleet
 * metrics"): options, start and stop, the HTTP handler, at exit and
 * after fork.
 *
 * One endpoint per process, owned by the process that started it: a
 * forked child inherits the state but neither thread, so it sees none
 * running (the owner's pid decides) and may start its own.
 */
#include "serve.h"
#include "collect.h"
#include "env.h"
#include "heap_profile.h"
#include "listen_addr.h"
#include "profile_metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#define DEFAULT_INTERVAL  15.0
#define MIN_INTERVAL      0.01
#define MAX_INTERVAL      86400.0
#define DEFAULT_FUNCTIONS 32u
#define MAX_FUNCTIONS     1024u

static pthread_mutex_t life = PTHREAD_MUTEX_INITIALIZER;
static pid_t owner;   /* the process running it; 0: none (under life) */
static void *server;  /* the HTTP module's */
static unsigned port; /* the one it listens on */
static gcp__textfile *textfile;
static int census; /* we asked the hook for a census at every collection */

int gcp_metrics_options_init(gcp_metrics_options *opts)
{
    if (!opts)
        return gcp__fail(GCP_EINVAL, "gcp_metrics_options_init: opts is NULL");
    memset(opts, 0, sizeof *opts);
    return 0;
}

int gcp_metrics_options_init_env(gcp_metrics_options *opts)
{
    double interval;
    int rc = gcp_metrics_options_init(opts);

    if (rc != 0)
        return rc;
    if ((rc = gcp__env_number("GCPROF_METRICS_INTERVAL", &interval)) < 0)
        return rc;
    if (rc == 1)
        opts->file_interval = interval;
    int live;
    if ((rc = gcp__env_bool("GCPROF_METRICS_LIVE", &live)) < 0)
        return rc;
    if (rc == 1 && !live)
        opts->flags |= GCP_METRICS_NO_LIVE;
    opts->addr = gcp__env_text("GCPROF_METRICS_ADDR");
    opts->file = gcp__env_text("GCPROF_METRICS_FILE");
    return 0;
}

static int check_options(const gcp_metrics_options *o, gcp__listen_addr *a)
{
    char why[160];

    for (size_t i = 0; i < sizeof o->reserved_ / sizeof o->reserved_[0]; i++)
        if (o->reserved_[i])
            return gcp__fail(GCP_EINVAL, "gcp_metrics_start: reserved_[%zu] is not zero", i);
    if (o->flags & ~(unsigned)GCP_METRICS_NO_LIVE)
        return gcp__fail(GCP_EINVAL, "gcp_metrics_start: unknown flags 0x%x", o->flags);
    if (!o->addr && !o->file)
        return gcp__fail(GCP_EINVAL, "gcp_metrics_start: nothing to do (no addr, no file)");
    if (o->addr && gcp__listen_addr_parse(o->addr, a, why, sizeof why) != 0)
        return gcp__fail(GCP_EINVAL, "gcp_metrics_start: addr: %s", why);
    if (o->file && !*o->file)
        return gcp__fail(GCP_EINVAL, "gcp_metrics_start: file is empty");
    if (o->file_interval != 0 &&
        !(o->file_interval >= MIN_INTERVAL && o->file_interval <= MAX_INTERVAL))
        return gcp__fail(GCP_EINVAL, "gcp_metrics_start: file_interval %g is not 0 or %g to %g s",
                         o->file_interval, MIN_INTERVAL, MAX_INTERVAL);
    if (o->max_functions > MAX_FUNCTIONS)
        return gcp__fail(GCP_EINVAL, "gcp_metrics_start: max_functions %u is above %u",
                         o->max_functions, MAX_FUNCTIONS);
    return 0;
}

/* ---- the HTTP handler (the server's thread) ---------------------------- */

static void reply_text(gcp_http_reply *out, int status, const char *text)
{
    out->status = status;
    out->content_type = "text/plain; charset=utf-8";
    out->body = strdup(text);
    out->len = out->body ? strlen(text) : 0;
}

static void serve_metrics(const char *accept, gcp_http_reply *out)
{
    int om = gcp__prom_wants_openmetrics(accept);

    if (gcp__metrics_text(om, &out->body, &out->len) != 0) {
        reply_text(out, 503, gcp_last_error());
        return;
    }
    out->status = 200;
    out->content_type = om ? GCP__OM_CONTENT_TYPE : GCP__PROM_CONTENT_TYPE;
}

static void serve_heap(gcp_http_reply *out)
{
    int rc = gcp__heap_profile_pprof(&out->body, &out->len);

    if (rc == GCP_ESTATE) {
        reply_text(out, 404, "no heap profile runs (gcp_heap_profile_start)\n");
    } else if (rc != 0) {
        reply_text(out, 503, gcp_last_error());
    } else {
        out->status = 200;
        out->content_type = "application/octet-stream";
    }
}

static void handle(void *ctx, const char *path, const char *accept, gcp_http_reply *out)
{
    (void)ctx;
    if (strcmp(path, "/metrics") == 0)
        serve_metrics(accept, out);
    else if (strcmp(path, "/debug/pprof/heap") == 0)
        serve_heap(out);
    else if (strcmp(path, "/") == 0)
        reply_text(out, 200, "libgcprof: /metrics, /debug/pprof/heap\n");
    else
        reply_text(out, 404, "not found: /metrics, /debug/pprof/heap\n");
}

/* ---- start and stop -------------------------------------------------------- */

static int running_here(void)
{
    return owner != 0 && owner == getpid();
}

/* Under life: gives back the hold start took on the hook, the meter and
 * the census, and forgets the owner. */
static void release_below(void)
{
    gcp__events_release();
    gcp__meter_release();
    if (census)
        gcp__census_request(0);
    census = 0;
    owner = 0;
}

/* Under life: undoes what start did, in reverse. The last file write's
 * result. */
static int teardown(void)
{
    int rc = 0;

    if (server)
        gcp__http_module_stop(server);
    server = NULL;
    port = 0;
    if (textfile)
        rc = gcp__textfile_stop(textfile);
    textfile = NULL;
    gcp__profile_metrics_off();
    release_below();
    return rc;
}

/* A forked child: the locks a thread of the parent's may have held are
 * made anew; the state stays the parent's (owner says so) until the child
 * starts its own (start_locked drops it then). */
static void forked_child(void)
{
    pthread_mutex_init(&life, NULL);
    gcp__meter_forked();
    gcp__profile_metrics_forked();
}

/* Under life, in a child that inherited its parent's running endpoint:
 * forgets the parent's server and writer (their threads are not here; the
 * parent owns them) and gives back the parent's hold on the hook and the
 * meter, so the child's histograms start from zero. */
static void drop_inherited(void)
{
    if (owner == 0 || owner == getpid())
        return;
    server = NULL;
    port = 0;
    textfile = NULL;
    release_below();
}

static void stop_at_exit(void)
{
    pthread_mutex_lock(&life);
    if (running_here() && teardown() != 0)
        gcp__log(GCP_LOG_WARN, "%s", gcp_last_error());
    pthread_mutex_unlock(&life);
}

static int start_locked(const gcp_metrics_options *o, const gcp__listen_addr *a)
{
    static int exit_hooked, fork_hooked;
    int rc;

    if (!exit_hooked && atexit(stop_at_exit) != 0)
        return gcp__fail(GCP_ENOMEM, "gcp_metrics_start: atexit failed");
    exit_hooked = 1;
    if (!fork_hooked && pthread_atfork(NULL, NULL, forked_child) != 0)
        return gcp__fail(GCP_ENOMEM, "gcp_metrics_start: pthread_atfork failed");
    fork_hooked = 1;
    drop_inherited();
    rc = gcp__profile_metrics_on(o->max_functions ? o->max_functions : DEFAULT_FUNCTIONS);
    if (rc != 0)
        return rc;
    gcp__meter_acquire();
    gcp__events_acquire();
    census = !(o->flags & GCP_METRICS_NO_LIVE);
    if (census) /* live bytes, exact, at the end of every collection */
        gcp__census_request(1);
    owner = getpid();
    if (o->addr)
        rc = gcp__http_module_start(a->host, a->port, handle, NULL, &server, &port);
    if (rc == 0 && o->file)
        rc = gcp__textfile_start(o->file, o->file_interval ? o->file_interval : DEFAULT_INTERVAL,
                                 &textfile);
    if (rc != 0) {
        char why[256];
        snprintf(why, sizeof why, "%s", gcp_last_error());
        teardown();
        gcp__fail(rc, "%s", why); /* the start's error, not the teardown's */
    }
    return rc;
}

int gcp_metrics_start(const gcp_metrics_options *opts)
{
    static const gcp_metrics_options defaults;
    gcp__listen_addr a;
    int rc;

    GCP__REFUSE_IN_HOOK("gcp_metrics_start");
    if (!opts)
        opts = &defaults;
    if ((rc = check_options(opts, &a)) != 0)
        return rc;
    if (getauxval(AT_SECURE))
        return gcp__fail(GCP_ESTATE, "gcp_metrics_start: nothing is served in a "
                                     "secure-execution process (setuid, setgid, capabilities)");
    gcp_init();
    pthread_mutex_lock(&life);
    if (running_here())
        rc = gcp__fail(GCP_ESTATE, "gcp_metrics_start: metrics already run in this process");
    else
        rc = start_locked(opts, &a);
    pthread_mutex_unlock(&life);
    return rc;
}

int gcp_metrics_stop(void)
{
    int rc;

    GCP__REFUSE_IN_HOOK("gcp_metrics_stop");
    pthread_mutex_lock(&life);
    rc = running_here() ? teardown()
                        : gcp__fail(GCP_ESTATE, "gcp_metrics_stop: no metrics run in this process");
    pthread_mutex_unlock(&life);
    return rc;
}

int gcp_metrics_port(void)
{
    int rc;

    pthread_mutex_lock(&life);
    rc = running_here() && server
             ? (int)port
             : gcp__fail(GCP_ESTATE, "gcp_metrics_port: no metrics endpoint is served");
    pthread_mutex_unlock(&life);
    return rc;
}

int gcp_metrics_render(char *buf, size_t size, unsigned flags, size_t *len)
{
    gcp__prom p;

    GCP__REFUSE_IN_HOOK("gcp_metrics_render");
    if (!buf || size == 0)
        return gcp__fail(GCP_EINVAL, "gcp_metrics_render: %s", buf ? "size is 0" : "buf is NULL");
    if (flags & ~(unsigned)GCP_METRICS_OPENMETRICS)
        return gcp__fail(GCP_EINVAL, "gcp_metrics_render: unknown flags 0x%x", flags);
    gcp_init();
    gcp__prom_init(&p, buf, size, (flags & GCP_METRICS_OPENMETRICS) != 0);
    gcp__metrics_write(&p);
    if (p.full) {
        if (len) /* a lower bound: what fitted, and one line more at least */
            *len = size;
        return gcp__fail(GCP_ERANGE, "gcp_metrics_render: the text needs more than %zu bytes",
                         size);
    }
    if (len)
        *len = p.len;
    return 0;
}

int gcp__metrics_start_env(void)
{
    gcp_metrics_options o;
    int rc = gcp_metrics_options_init_env(&o);

    if (rc != 0 || (!o.addr && !o.file))
        return rc;
    return gcp_metrics_start(&o);
}
