/*
 * metrics_util.h - what the metrics suites share: the endpoint started on
 * any free port, a scrape, the process's descriptors, a closure.
 */
#ifndef TESTS_METRICS_UTIL_H
#define TESTS_METRICS_UTIL_H

#include "testutil.h"

/* Entries in /proc/self/fd. */
int mu_count_fds(void);
/* gcp_metrics_start on 127.0.0.1:0 (and file, if not NULL): the port. */
int mu_start_on_any_port(const char *file);
/* GET /metrics, asserted 200: the body (free it). */
char *mu_scrape(int port, const char *accept);
/* A closure: *(int *)env objects of 64 bytes, dropped. */
int mu_alloc_n(void *env);

#endif
