/*
 * start.h - the top layer: what the environment asks the library to start
 * in a program built against it (doc/environment.md).
 */
#ifndef GCP_START_H
#define GCP_START_H

#include "collect.h"
#include "serve.h"

/* Start a monitor from the environment when GCPROF_MONITOR_OUT or
 * GCPROF_TRACE asks for one (monitor_env.c); it stops at exit. */
void gcp__monitor_from_env(void);

/* The load-time constructor (start.c); named so a static link keeps it. */
void gcp__start_at_load(void);

#endif /* GCP_START_H */
