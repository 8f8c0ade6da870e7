/*
 * leak_helper.h - see leak_helper.c.
 */
#ifndef GCP_LEAK_HELPER_H
#define GCP_LEAK_HELPER_H

#include <stddef.h>

/* GC_MALLOC(bytes), from the program's own call, out of line. */
void *tu_leak_helper(size_t bytes);

#endif
