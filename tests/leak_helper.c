/*
 * leak_helper.c - an allocation helper in a file of its own, for
 * check_leak_stacks.c: every caller's objects come from this one line, so
 * only their call stacks tell the callers apart.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include "leak_helper.h"

__attribute__((noinline)) void *tu_leak_helper(size_t bytes)
{
    void *volatile p = GC_MALLOC(bytes); /* a call, not a tail jump: this frame stays */

    return p;
}
