/*
 * scrub.h - wiping stack the collector is about to scan, from inside its
 * event hook (scrub.c has the why).
 */
#ifndef GCP_SCRUB_H
#define GCP_SCRUB_H

/* Bytes below the stack pointer the hook's own calls can have written:
 * its bookkeeping (measured: 208 bytes at most), and at a collection's
 * start while the monitor records, libgcc's unwinder (explicit_gc.c),
 * whose context and frame-state structures take about 1.5 KiB. Wiped at
 * each event before the stack scan, about twice that. */
#define GCP__HOOK_STACK_BYTES        512
#define GCP__HOOK_UNWIND_STACK_BYTES 4096

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

    /* The stack pointer goes down first, so every store is to the stack in
     * use (memcheck reports stores below it), and comes back after. A word
     * a page is written from the top down before the rest, so a thread
     * short of stack meets its guard page (a fault) before anything
     * below it. */
    __asm__ volatile("sub %2, %%rsp\n\t"
                     "lea -8(%%rsp,%2), %%rdi\n"
                     "1:\tmovq $0, (%%rdi)\n\t"
                     "sub $4096, %%rdi\n\t"
                     "cmp %%rsp, %%rdi\n\t"
                     "jae 1b\n\t"
                     "mov %%rsp, %%rdi\n\t"
                     "xor %%eax, %%eax\n\t"
                     "rep stosq\n\t"
                     "add %2, %%rsp"
                     : "=&D"(dst), "+c"(n)
                     : "r"(bytes)
                     : "rax", "memory", "cc");
#else
    (void)bytes;
    gcp__clear_below(); /* leaves one return address: the best portable C can do */
#endif
}

#endif
