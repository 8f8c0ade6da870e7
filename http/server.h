/*
 * server.h - a small HTTP/1.1 server on libmicrohttpd for the metrics
 * endpoint: GET and HEAD only, one thread, a few connections at a time,
 * short timeouts, bounded request memory. Used by the HTTP module
 * (module.c, for the runtime) and linked into the gcprof command.
 */
#ifndef GCP_HTTP_SERVER_H
#define GCP_HTTP_SERVER_H

#include "http_module_abi.h"

typedef struct gcp__http_server gcp__http_server;

gcp__http_server *gcp__http_start(const char *host, unsigned port, gcp_http_handler_fn *fn,
                                  void *ctx, unsigned *bound, char *err, size_t size);
void gcp__http_stop(gcp__http_server *s);

#endif
