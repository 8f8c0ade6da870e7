/* TEMPORARY STUB */
#include "heap.h"
#include "pprof_module.h"
int gcp__pprof_convert(int raw_fd, const char *out_path)
{
    (void)raw_fd;
    return gcp__fail(GCP_ENOTFOUND, "gcp_heap_profile_write: %s: stub", out_path);
}
