/*
 * gate.h - a frame that marks where a closure's call stack ends. The
 * features that charge a closure's allocations by call stack (the line
 * table by caller, the leak check by stack) call the closure through it
 * and read no frame beyond it: those are the profiler's own and the code
 * that asked (which may be in the very file being charged).
 */
#ifndef GCP_GATE_H
#define GCP_GATE_H

#include <stdint.h>

#include "gcprof.h"

/* A closure to call through the gate. */
typedef struct gcp__gated {
    gcp_fn fn;
    void *env;
} gcp__gated;

/* gated->fn(gated->env), from a function in a section of its own, never as
 * a tail call; a gcp_fn itself, so it can be handed to gcp_profile. */
int gcp__gate_run(void *gated);

/* address (a call's, as a symbolised frame has it) is in the gate. */
int gcp__gate_contains(uint64_t address);

#endif
