/*
 * metrics_util.c - what the metrics suites share (metrics_util.h).
 */
#include "metrics_util.h"
#include "http_get.h"

#include <dirent.h>
#include <stdlib.h>

int mu_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

int mu_start_on_any_port(const char *file)
{
    gcp_metrics_options o = {0};

    o.addr = "127.0.0.1:0";
    o.file = file;
    ck_assert_msg(gcp_metrics_start(&o) == 0, "start: %s", gcp_last_error());
    int port = gcp_metrics_port();
    ck_assert_int_gt(port, 0);
    return port;
}

char *mu_scrape(int port, const char *accept)
{
    http_answer a = http_get((unsigned)port, "/metrics", accept);

    ck_assert_int_eq(a.status, 200);
    free(a.head);
    return a.body;
}

int mu_alloc_n(void *env)
{
    for (int i = 0; i < *(int *)env; i++)
        tu_sink = gcp_alloc(64);
    return 0;
}
