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
    /* zero is initialisation, in each spelling (no missing-field warning) */
    gcp_config cfg = {0};
    gcp_config designated = {.auto_gc = GCP_AUTO_GC_ALWAYS, .track_peak = 1};
    gcp_site site = GCP_SITE_INIT;
    gcp_task task = {.name = "t"};
    (void)cfg;
    (void)designated;
    (void)site;
    (void)task;
    (void)&header_probe;
    (void)GCP_LAST_REPORT(header_probe).status;
    return GCP_EINVAL < 0 && GCP_ENOMEM < 0 ? 0 : 1;
}
