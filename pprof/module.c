/*
 * module.c - libgcprof-pprof.so, the pprof layer as a module that
 * libgcprof.so loads only when a program asks it for a heap profile
 * (common/pprof_module_abi.h is the contract; the loader is
 * runtime/features/pprof_module.c). So protobuf-c, zlib and libdw enter
 * a program's address space only then, and leave it after.
 *
 * Built with -fvisibility=hidden: these two are all it exports. It calls
 * no collector function and allocates with malloc only (pprof/ does), so
 * nothing here touches the heap the program profiles.
 */
#include <stdio.h>

#include "internal.h"
#include "pprof.h"
#include "pprof_module_abi.h"

#define MODULE_EXPORT __attribute__((visibility("default")))

/* The declarations -Wmissing-prototypes wants: the loader finds both by
 * name (dlsym), with the types the contract gives. */
MODULE_EXPORT extern const unsigned gcp_pprof_module_abi;
MODULE_EXPORT gcp_pprof_module_convert_fn gcp_pprof_module_convert;

const unsigned gcp_pprof_module_abi = GCP_PPROF_MODULE_ABI;

int gcp_pprof_module_convert(int raw_fd, const char *out_path, char *err, size_t errlen)
{
    char name[32];
    pprof_raw raw;
    pprof_profile p;
    int rc;

    if (!out_path || !*out_path)
        return pprof__fail(err, errlen, PPROF_EIO, "no output file given");
    snprintf(name, sizeof name, "raw heap dump (fd %d)", raw_fd);
    if ((rc = pprof_dump_read_fd(raw_fd, name, &raw, err, errlen)) != 0)
        return rc;
    rc = pprof_symbolize(&raw, &p, err, errlen);
    if (rc == 0) {
        rc = pprof_write(&p, out_path, err, errlen);
        pprof_profile_free(&p);
    }
    pprof_raw_free(&raw);
    return rc;
}
