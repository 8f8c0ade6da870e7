/*
 * error.c - error codes, the per-thread last-error message, the log hook.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "heap.h"
#include "safe_file.h"

static _Thread_local char last_error[256];

static gcp_log_fn log_fn;
static void *log_user;
static _Atomic unsigned long hook_calls; /* the program's log hook, called */

const char *gcp_strerror(int err)
{
    switch (err) {
#define GCP_ERR_STR_(name, code, msg)                                                              \
    case GCP_##name:                                                                               \
        return msg;
        GCP_ERRNO_MAP(GCP_ERR_STR_)
#undef GCP_ERR_STR_
    case GCP_OK:
        return "success";
    default:
        return "unknown error";
    }
}

const char *gcp_err_name(int err)
{
    switch (err) {
#define GCP_ERR_NAME_(name, code, msg)                                                             \
    case GCP_##name:                                                                               \
        return "GCP_" #name;
        GCP_ERRNO_MAP(GCP_ERR_NAME_)
#undef GCP_ERR_NAME_
    case GCP_OK:
        return "GCP_OK";
    default:
        return "GCP_UNKNOWN";
    }
}

const char *gcp_last_error(void)
{
    return last_error;
}

void gcp_set_log_fn(gcp_log_fn fn, void *user)
{
    log_fn = fn;
    log_user = user;
}

static void emit(gcp_log_level level, const char *msg)
{
    static const char *const names[] = {"error", "warning", "info"};

    if (log_fn) {
        atomic_fetch_add_explicit(&hook_calls, 1, memory_order_relaxed);
        log_fn(level, msg, log_user);
        return;
    }
    if (level <= GCP_LOG_WARN) /* default: quiet about info */
        fprintf(stderr, "gcprof: %s: %s\n", names[level], msg);
}

unsigned long gcp__log_hook_calls(void)
{
    return atomic_load_explicit(&hook_calls, memory_order_relaxed);
}

void gcp__log(gcp_log_level level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emit(level, msg);
}

/* A failure goes to the caller, as its return value and gcp_last_error(),
 * and never to the log hook: that carries only what no caller sees (see
 * gcp__log's callers). */
int gcp__fail(int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return err;
}

/* Set around the environment's start-up (start/start.c), whose failures have no
 * caller to return to. Per thread: it runs once, on the first caller's. */
static _Thread_local int starting_from_env;

void gcp__env_startup(int on)
{
    starting_from_env = on;
}

int gcp__env_starting(void)
{
    return starting_from_env;
}

int gcp__write_done(FILE *fp, const char *who)
{
    if (!gcp__flushed(fp))
        return gcp__fail(GCP_EIO, "%s: cannot write", who);
    return 0;
}
