/*
 * scrub.h - wiping stack the collector is about to scan, from inside its
 * event hook (scrub.c has the why).
 */
#ifndef GCP_SCRUB_H
#define GCP_SCRUB_H

/* Bytes below the stack pointer the hook's own calls can have written:
 * its bookkeeping, and at a collection's start libgcc's unwinder
 * (explicit_gc.c), whose context and frame-state structures are the
 * deepest part. */
#define GCP__HOOK_STACK_BYTES 2048
#define GCP__HOOK_UNWIND_STACK_BYTES 8192
/* Dead stack cleared before a measured collection (gcp__clear_dead_stack),
 * as literals: the assembly stub spells them out. */
#define GCP__DEAD_STACK_BYTES 65536
#define GCP__DEAD_STACK_WORDS 8192
#define GCP__STR_(x) #x
#define GCP__STR(x) GCP__STR_(x)

void gcp__clear_below(void);

/* Zero `bytes` (a multiple of 8) below the stack pointer, without a call:
 * a call would leave its own return address there. The collector's next
 * frames reuse that stack, and bdwgc 8.2.2 stores 32-bit locals into
 * slots whose upper half then still holds the top of one of our return
 * addresses (0x7fXX'xxxxxxxx): the slot reads 0x7fXX'00000000, a pointer
 * into whatever heap section spans that 4 GiB boundary. Measured: a dead
 * 1000 MiB block kept by the forced collection in 5 of 16 runs.
 * The caller must not keep data below its stack pointer (the red zone of
 * a leaf function). */
static inline __attribute__((always_inline)) void gcp__wipe_below_sp(unsigned long bytes)
{
#if defined(__x86_64__) && defined(__GNUC__)
    unsigned long n = bytes / 8;
    void *dst;

    /* The stack pointer goes down first, so every store is to the stack
     * in use (memcheck reports stores below it), and comes back after. */
    __asm__ volatile("sub %2, %%rsp\n\t"
                     "mov %%rsp, %%rdi\n\t"
                     "xor %%eax, %%eax\n\t"
                     "rep stosq\n\t"
                     "add %2, %%rsp"
                     : "=&D"(dst), "+c"(n)
                     : "r"(bytes)
                     : "rax", "memory");
#else
    (void)bytes;
    gcp__clear_below(); /* leaves one return address: the best portable C can do */
#endif
}

#endif
