/*
 * module.c - libgcprof-http.so: the HTTP server (server.c) behind the
 * entry points of common/http_module_abi.h, for the runtime to dlopen.
 */
#include "server.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT extern const unsigned gcp_http_module_abi;
EXPORT gcp_http_module_start_fn gcp_http_module_start;
EXPORT gcp_http_module_stop_fn gcp_http_module_stop;

const unsigned gcp_http_module_abi = GCP_HTTP_MODULE_ABI;

void *gcp_http_module_start(const char *host, unsigned port, gcp_http_handler_fn *fn, void *ctx,
                            unsigned *bound, char *err, size_t size)
{
    return gcp__http_start(host, port, fn, ctx, bound, err, size);
}

void gcp_http_module_stop(void *server)
{
    gcp__http_stop(server);
}
