/*
 * http_module_abi.h - the contract between libgcprof and its HTTP module,
 * libgcprof-http.so (http/module.c), which serves the metrics endpoint
 * with libmicrohttpd. The runtime dlopens the module when a program starts
 * the endpoint, so programs that never do load neither it nor
 * libmicrohttpd and its TLS stack (runtime/serve/http_module.c says why).
 * The gcprof command links the same server (http/server.c) directly.
 *
 * GCP_HTTP_MODULE_ABI changes whenever anything here does; the runtime
 * refuses a module with another number.
 */
#ifndef GCP_HTTP_MODULE_ABI_H
#define GCP_HTTP_MODULE_ABI_H

#include <stddef.h>

#define GCP_HTTP_MODULE_ABI          1
#define GCP_HTTP_MODULE_FILE         "libgcprof-http.so"
#define GCP_HTTP_MODULE_ABI_SYMBOL   "gcp_http_module_abi"
#define GCP_HTTP_MODULE_START_SYMBOL "gcp_http_module_start"
#define GCP_HTTP_MODULE_STOP_SYMBOL  "gcp_http_module_stop"

/* What a handler answers. body is malloc'd by the handler (or NULL with
 * len 0); the server frees it. */
typedef struct gcp_http_reply {
    int status;               /* 200, 404, 503... */
    const char *content_type; /* static */
    char *body;
    size_t len;
} gcp_http_reply;

/* Called on the server's one thread for each GET or HEAD; accept is the
 * request's Accept header (NULL if none). Fills *out. */
typedef void gcp_http_handler_fn(void *ctx, const char *path, const char *accept,
                                 gcp_http_reply *out);

/* Listens on host:port (port 0: any free one, written to *bound) and
 * serves on a thread of its own. Returns the server, or NULL with why in
 * err[size]. */
typedef void *gcp_http_module_start_fn(const char *host, unsigned port, gcp_http_handler_fn *fn,
                                       void *ctx, unsigned *bound, char *err, size_t size);
/* Stops serving: a request in progress completes first; the listening
 * socket is closed when it returns. */
typedef void gcp_http_module_stop_fn(void *server);

#endif
