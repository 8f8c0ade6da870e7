/*
 * serve.h - the runtime's metrics endpoint (doc/architecture.md: the
 * serve layer, above features, below start): the exposition
 * (metrics_text.c), the HTTP module's loader (http_module.c), the
 * textfile writer (textfile.c) and the public calls that tie them
 * (metrics.c).
 */
#ifndef GCP_SERVE_H
#define GCP_SERVE_H

#include "heap.h"
#include "http_module_abi.h"
#include "prom_text.h"

/* The exposition into a malloc'd buffer: 0 with *text and *len, or an
 * error said (GCP_ENOMEM, or GCP_ERANGE past GCP__METRICS_MAX). */
#define GCP__METRICS_MAX (4u << 20)
int gcp__metrics_text(int openmetrics, char **text, size_t *len);
/* The same into p (gcp_metrics_render). */
void gcp__metrics_write(gcp__prom *p);

/* The HTTP module (loaded once, kept): start a server, or stop one. */
int gcp__http_module_start(const char *host, unsigned port, gcp_http_handler_fn *fn, void *ctx,
                           void **server, unsigned *bound);
void gcp__http_module_stop(void *server);

/* The textfile writer: a thread that writes path every interval
 * seconds; _stop writes it a last time. */
typedef struct gcp__textfile gcp__textfile;
int gcp__textfile_start(const char *path, double interval, gcp__textfile **out);
int gcp__textfile_stop(gcp__textfile *t); /* 0, or GCP_EIO (the last write) */

/* Started from the environment at gcp_init (runtime/start). */
int gcp__metrics_start_env(void);

#endif
