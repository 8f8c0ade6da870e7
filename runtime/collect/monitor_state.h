/*
 * monitor_state.h - the monitor's state, shared by its thread
 * (monitor_sampler.c, which defines it) and its start, stop and fork
 * handlers (monitor.c). Nothing else includes it.
 */
#ifndef GCP_MONITOR_STATE_H
#define GCP_MONITOR_STATE_H

#include <pthread.h>
#include <stdio.h>
#include <sys/types.h>

#include "safe_file.h"
#include "timeline.h"

typedef struct monitor {
    pthread_mutex_t lock; /* the stream and the fields below */
    int wake_fd;          /* eventfd: stop wakes the sampler */
    pthread_t thread;
    FILE *fp;      /* timeline, or NULL for trace only */
    gcp__file out; /* the file fp writes, when it opened one */
    pid_t owner;   /* the process that started it */
    gcp_tl_format format;
    FILE *trace_fp; /* or NULL */
    double interval;
    double start_real; /* Unix seconds */
    int write_error;
    int write_errno;      /* of the first write error */
    int said_write_error; /* the sampler logged it */
    int said_no_rss;      /* the "closures not marked" label is written */
    int from_env;         /* the environment started it: nobody reads its return codes */
    int moving;           /* the thread is being created or is ending (fork_prepare) */
    pthread_cond_t still; /* moving went back to 0 */
} gcp__monitor_state;


extern gcp__monitor_state gcp__mon;
/* This thread is the sampler. */
extern _Thread_local int gcp__monitor_on_sampler;

/* A sample, read before taking gcp__mon.lock (the collector's getters
 * take its lock, and gcp__mon.lock nests no other); then, under it, one
 * interval's writing: the sample, the collections since the last, flush. */
void gcp__monitor_read_sample(gcp_tl_sample *s);
void gcp__monitor_write_interval(const gcp_tl_sample *s);

/* The sampler thread's function (pthread_create's). */
void *gcp__monitor_sampler(void *arg);
/* The thread is created, or has ended (0), or is about to be asked to
 * end (1): the fork handler waits while it is in between. */
void gcp__monitor_set_moving(int moving);

#endif
