/*
 * gate.c - the closure's gate frame (gate.h): its own section, whose
 * bounds the linker gives, so the test is two compares in a static link
 * as in a shared one, with or without symbols.
 */
#include "gate.h"

extern const char __start_gcp_gate_text[] __attribute__((visibility("hidden")));
extern const char __stop_gcp_gate_text[] __attribute__((visibility("hidden")));

__attribute__((section("gcp_gate_text"), noinline)) int gcp__gate_run(void *gated)
{
    const gcp__gated *g = gated;
    int rc = g->fn(g->env);

    __asm__ volatile("" ::: "memory"); /* the frame stays: no tail call */
    return rc;
}

int gcp__gate_contains(uint64_t address)
{
    return address >= (uintptr_t)__start_gcp_gate_text &&
           address < (uintptr_t)__stop_gcp_gate_text;
}
