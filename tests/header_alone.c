/* The public header compiles alone under -std=c99 -pedantic -Werror, and
 * its macros expand to valid code. Exit 0 is the test passing. */
#include "gcprof.h"

GCP_PROFILED(header_probe, env)
{
    (void)env;
    return 0;
}

int main(void)
{
    gcp_config cfg = {1, 0, 0, 0.0, 1024.0, 0};
    (void)cfg;
    (void)&header_probe;
    (void)GCP_LAST_REPORT(header_probe).status;
    return GCP_EINVAL < 0 && GCP_ENOMEM < 0 ? 0 : 1;
}
