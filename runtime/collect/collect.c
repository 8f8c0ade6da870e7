/*
 * collect.c - gcp_collect: a full collection for the program, through the
 * routine every collection of the library's goes through (gcp__collect in
 * collect.h: marked forced for the monitor, on stack cleared of what
 * finished code left, the census taken inside the collection if asked).
 */
#include "collect.h"

int gcp_collect(void)
{
    GCP__REFUSE_IN_HOOK("gcp_collect");
    gcp_init();
    if (GC_is_disabled())
        return 0;
    gcp__collect(0, 0); /* stale words below us keep nothing alive */
    return 1;
}
