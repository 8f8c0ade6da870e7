/*
 * env.c - the library's one reader of the environment.
 *
 * The library lives inside other people's programs, setuid ones too. In a
 * secure-execution process the environment belongs to the user who ran
 * the program, not to its owner, so a GCPROF_* variable there could point
 * a root-owned process at any file: secure_getenv answers NULL for every
 * name, so the library does what it does with nothing set.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* secure_getenv */
#endif
#include <stdlib.h>

#include "env.h"

const char *gcp__env(const char *name)
{
    return secure_getenv(name);
}
