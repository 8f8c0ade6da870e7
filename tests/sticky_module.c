/*
 * sticky_module.c - a pprof module (common/pprof_module_abi.h) that
 * converts nothing and loads a library  it never unloads (STICKY_PATH,
 * from the environment): in its constructor, as libdw 0.188 loads
 * libdebuginfod, or, with STICKY_IN_CONVERT set, during the conversion.
 * What the loader must keep out of the program's roots, and what it must
 * leave alone (tests/check_loaded_roots.c).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "pprof_module_abi.h"

extern const unsigned gcp_pprof_module_abi;
int gcp_pprof_module_convert(int raw_fd, const char *out_path, char *err, size_t errlen);
gcp_pprof_module_each_sample_fn gcp_pprof_module_each_sample;

#ifndef STICKY_ABI
#define STICKY_ABI GCP_PPROF_MODULE_ABI /* an older release's: -DSTICKY_ABI=1 */
#endif
const unsigned gcp_pprof_module_abi = STICKY_ABI;

static int load_sticky(void)
{
    const char *sticky = getenv("STICKY_PATH");

    return sticky && dlopen(sticky, RTLD_NOW | RTLD_LOCAL) ? 0 : -1; /* leaked on purpose */
}

static int loaded = -1;

__attribute__((constructor)) static void at_load(void)
{
    if (!getenv("STICKY_IN_CONVERT"))
        loaded = load_sticky();
}

int gcp_pprof_module_convert(int raw_fd, const char *out_path, char *err, size_t errlen)
{
    (void)raw_fd;
    (void)out_path;
    if (getenv("STICKY_IN_CONVERT"))
        loaded = load_sticky();
    if (loaded != 0)
        snprintf(err, errlen, "sticky_module: cannot load $STICKY_PATH");
    return loaded;
}

/* The contract's third entry point: no samples. */
int gcp_pprof_module_each_sample(int raw_fd, gcp_pprof_module_sample_fn *fn, void *ctx, char *err,
                                 size_t errlen)
{
    (void)raw_fd;
    (void)fn;
    (void)ctx;
    (void)err;
    (void)errlen;
    return 0;
}
