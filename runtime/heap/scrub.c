/*
 * scrub.c - before a collection whose result we report: wipe what could
 * hold a stale pointer into the garbage we are about to count.
 *
 * A conservative collector treats every word of the stack between its
 * own frames and the stack's base as a possible pointer. Two things leave
 * such words there after a closure has dropped its objects:
 *
 * - the closure's dead frames, below the caller's stack pointer, where
 *   the collector's frames will go without writing every slot;
 * - registers. A call through a lazily bound PLT slot runs the dynamic
 *   linker's trampoline (_dl_runtime_resolve_xsavec and kin), which saves
 *   the argument registers and the whole vector register file on the
 *   stack: on AVX-512 CPUs about 2.5 KiB. Vector registers still hold
 *   what the closure's memcpy and friends last moved, pointers included,
 *   and the save area sits exactly where the collector's frames go next.
 *   Measured: the first profile of a process counted 5 of 407 dead
 *   objects on an AVX-512 machine, 407 with LD_BIND_NOW=1.
 *
 * - our own event hook's calls, during the collection and before the
 *   collector scans the stack: they leave return addresses where its
 *   frames go next (scrub.h, gcp__wipe_below_sp).
 *
 * The library is linked -z now, so its own calls bind at load time; the
 * register wipe covers what it cannot control (libgc's own lazy calls, a
 * static libgcprof.a in a lazily bound program).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_getattr_np */
#endif
#include "heap.h"
#include "scrub.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define CLOBBER_0_15                                                                               \
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",       \
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

/* vzeroall: ymm0-15 (and zmm0-15's upper halves) to zero. */
__attribute__((target("avx"), noinline)) static void zero_avx(void)
{
    __asm__ volatile("vzeroall" : : : CLOBBER_0_15);
}

/* zmm16-31 exist only with AVX-512, and vzeroall leaves them alone. */
__attribute__((target("avx512f"), noinline)) static void zero_avx512_high(void)
{
    __asm__ volatile("vpxord %%zmm16, %%zmm16, %%zmm16\n\t"
                     "vmovdqa64 %%zmm16, %%zmm17\n\tvmovdqa64 %%zmm16, %%zmm18\n\t"
                     "vmovdqa64 %%zmm16, %%zmm19\n\tvmovdqa64 %%zmm16, %%zmm20\n\t"
                     "vmovdqa64 %%zmm16, %%zmm21\n\tvmovdqa64 %%zmm16, %%zmm22\n\t"
                     "vmovdqa64 %%zmm16, %%zmm23\n\tvmovdqa64 %%zmm16, %%zmm24\n\t"
                     "vmovdqa64 %%zmm16, %%zmm25\n\tvmovdqa64 %%zmm16, %%zmm26\n\t"
                     "vmovdqa64 %%zmm16, %%zmm27\n\tvmovdqa64 %%zmm16, %%zmm28\n\t"
                     "vmovdqa64 %%zmm16, %%zmm29\n\tvmovdqa64 %%zmm16, %%zmm30\n\t"
                     "vmovdqa64 %%zmm16, %%zmm31"
                     :
                     :
                     : "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23",
                       "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31");
}

/* Without AVX: the sixteen SSE registers (x86-64 always has SSE2). */
__attribute__((noinline)) static void zero_sse(void)
{
    __asm__ volatile(
        "pxor %%xmm0, %%xmm0\n\tmovdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm2\n\t"
        "movdqa %%xmm0, %%xmm3\n\tmovdqa %%xmm0, %%xmm4\n\tmovdqa %%xmm0, %%xmm5\n\t"
        "movdqa %%xmm0, %%xmm6\n\tmovdqa %%xmm0, %%xmm7\n\tmovdqa %%xmm0, %%xmm8\n\t"
        "movdqa %%xmm0, %%xmm9\n\tmovdqa %%xmm0, %%xmm10\n\tmovdqa %%xmm0, %%xmm11\n\t"
        "movdqa %%xmm0, %%xmm12\n\tmovdqa %%xmm0, %%xmm13\n\tmovdqa %%xmm0, %%xmm14\n\t"
        "movdqa %%xmm0, %%xmm15"
        :
        :
        : CLOBBER_0_15);
}

/* Vector registers are caller-saved in the x86-64 ABI: no caller expects
 * them to survive this call. Called from the stub below only. */
__attribute__((used)) void gcp__zero_vector_registers(void);
__attribute__((used)) void gcp__zero_vector_registers(void)
{
    if (__builtin_cpu_supports("avx"))
        zero_avx();
    else
        zero_sse();
    if (__builtin_cpu_supports("avx512f"))
        zero_avx512_high();
}
#else
/* Elsewhere, the -z now link and the stack clearing are what we have. */
void gcp__zero_vector_registers(void);
void gcp__zero_vector_registers(void)
{
}
#endif

/* ---- the dead stack --------------------------------------------------- */

/* Left alone above the thread's lowest stack address: its guard page and
 * room for a signal handler. */
#define STACK_MARGIN ((size_t)16 << 10)
/* When the stack pointer is outside the thread's known stack (a
 * coroutine's stack, an alternate signal stack) or the bounds cannot be
 * learnt, nothing below it is known to be ours: nothing is cleared (the
 * counts may then include what a stale word keeps; no memory of the
 * program's is ever written). */
#define UNKNOWN_STACK_BYTES 0

/* Kept hidden (complemented, as GC_HIDE_POINTER does): the collector scans
 * this TLS on a thread the library registered (its stack base is the top of
 * the mapping, static TLS included), and hi, the first byte past the stack,
 * is the first object of a heap block mapped right above it. Stored plain,
 * it kept that object alive: 99,999 of 100,000 collected. */
typedef struct stack_bounds {
    uintptr_t hidden_lo, hidden_hi; /* 0, 0: not looked up yet; ~1, ~1: unknown */
} stack_bounds;

static _Thread_local stack_bounds bounds __attribute__((tls_model("initial-exec")));

static void look_up_bounds(void)
{
    pthread_attr_t attr;
    void *addr = NULL;
    size_t size = 0;

    bounds.hidden_lo = bounds.hidden_hi = ~(uintptr_t)1;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0 && addr && size) {
        bounds.hidden_lo = ~(uintptr_t)addr;
        bounds.hidden_hi = ~((uintptr_t)addr + size);
    }
    pthread_attr_destroy(&attr);
}

size_t gcp__dead_stack_bytes(size_t at_most)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    size_t room = UNKNOWN_STACK_BYTES;

    if (!bounds.hidden_lo)
        look_up_bounds(); /* once per thread */
    uintptr_t lo = ~bounds.hidden_lo, hi = ~bounds.hidden_hi;
    if (sp > lo + STACK_MARGIN && sp <= hi)
        room = (size_t)(sp - lo - STACK_MARGIN);
    return (room < at_most ? room : at_most) & ~(size_t)7;
}

/* On x86-64 the wipe is a stub without a frame of its own: zero the vector
 * registers (a call, whose return address the wipe then covers), then
 * zero `bytes` right below our return address, touching its pages from
 * the top down first (as gcp__wipe_below_sp does, for the guard page's
 * sake; a backwards rep stosq would do it too, at 7 us instead of 1). A C function's
 * frame would sit on top of the dead stack and keep whatever its
 * unwritten slots held: built -O0, the library kept a whole matrix of 1002
 * objects alive that way, and a -O2 frame's alignment padding is no
 * better. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__)
__asm__(".pushsection .text\n"
        ".globl gcp__wipe_dead_stack\n"
        ".hidden gcp__wipe_dead_stack\n"
        ".type gcp__wipe_dead_stack, @function\n"
        "gcp__wipe_dead_stack:\n"
        "    .cfi_startproc\n"
        "    push %rdi\n" /* bytes; and 16-byte alignment for the call */
        "    .cfi_adjust_cfa_offset 8\n"
        "    call gcp__zero_vector_registers\n"
        "    pop %rdx\n"
        "    .cfi_adjust_cfa_offset -8\n"
        "    mov %rsp, %r9\n"
        "    .cfi_def_cfa_register %r9\n"
        "    sub %rdx, %rsp\n"
        "    lea -8(%r9), %rdi\n"
        "1:  movq $0, (%rdi)\n" /* a word a page, from the top down */
        "    sub $4096, %rdi\n"
        "    cmp %rsp, %rdi\n"
        "    jae 1b\n"
        "    mov %rsp, %rdi\n"
        "    mov %rdx, %rcx\n"
        "    shr $3, %rcx\n"
        "    xor %eax, %eax\n"
        "    rep stosq\n"
        "    mov %r9, %rsp\n"
        "    .cfi_def_cfa_register %rsp\n"
        "    ret\n"
        "    .cfi_endproc\n"
        ".size gcp__wipe_dead_stack, .-gcp__wipe_dead_stack\n"
        ".popsection\n");
#else
/* no_sanitize_address: ASan's redzones would stay unzeroed. */
__attribute__((noinline, no_sanitize_address)) void gcp__wipe_dead_stack(size_t bytes)
{
    if (bytes == 0)
        return;
    char buf[bytes];

    memset(buf, 0, bytes);
    /* The buffer "escapes", so the compiler cannot drop the memset. */
    __asm__ volatile("" : : "r"(buf) : "memory");
    gcp__zero_vector_registers();
}
#endif

/* The portable fallback of gcp__wipe_below_sp. */
__attribute__((noinline, no_sanitize_address)) void gcp__clear_below(void)
{
    char buf[GCP__HOOK_UNWIND_STACK_BYTES];

    memset(buf, 0, sizeof buf);
    __asm__ volatile("" : : "r"(buf) : "memory");
}
