/*
 * pkgconfig_use.c - a program built against an installed libgcprof with
 * nothing but pkg-config's flags (tests/check_pkgconfig.sh on a staged
 * `make install`, scripts/check-debian.sh on the installed packages): it
 * profiles one call and prints the report, status 0 when all went well.
 */
#include <gcprof.h>
#include <stdio.h>

static int work(void *env)
{
    (void)env;
    return gcp_strdup("hello") ? 0 : 1;
}

int main(void)
{
    gcp_report r;

    if (gcp_profile("work", work, NULL, NULL, &r) < 0)
        return 1;
    return gcp_report_print(stdout, &r) < 0 || r.status != 0;
}
