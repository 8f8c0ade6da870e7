/*
 * got_hook.h - redirect the program's calls to named functions (the
 * collector's GC_malloc, GC_free, ...) to ours, by rewriting the callers'
 * GOT entries at run time, and put them back. No LD_PRELOAD and no
 * exported non-gcp_ symbol: the dynamic linker has already bound every
 * object's calls, and we overwrite the words it bound them in.
 *
 * Example, counting GC_malloc calls:
 *
 *     static gcp__got_hook hk[] = {{"GC_malloc", (void *)my_malloc, NULL}};
 *     static void *my_malloc(size_t n)
 *     {
 *         count++;
 *         return ((void *(*)(size_t))hk[0].original)(n);
 *     }
 *     ...
 *     int n = gcp__got_redirect(hk, 1, NULL);   // entries rewritten, or < 0
 *     ...
 *     gcp__got_restore(hk, 1);
 *
 * Internal (runtime/heap/, doc/architecture.md). Calls no collector
 * function. x86-64 and aarch64 (LP64, RELA) only.
 */
#ifndef GCP_GOT_HOOK_H
#define GCP_GOT_HOOK_H

#include <stddef.h>

typedef struct gcp__got_hook {
    const char *name;  /* in: the symbol, e.g. "GC_malloc" */
    void *replacement; /* in: our function, called instead */
    void *original;    /* out: what the calls reached before (the
                          definition dlsym(RTLD_DEFAULT) finds), for the
                          replacement to forward to; NULL when no loaded
                          object defines name */
} gcp__got_hook;

/* Rewrite the GOT entries (JUMP_SLOT and GLOB_DAT relocations) of every
 * loaded object that name one of hooks[0..n-1] so they hold its
 * replacement. An entry is rewritten only when it holds the original or,
 * a JUMP_SLOT lazily bound and not yet called, code of its own object
 * that is no hook's replacement (its PLT stub); an entry bound elsewhere
 * (another definition, someone else's hook) is left.
 * Skipped objects:
 *   - the one defining a hook's symbol, for that hook (libgc's own calls,
 *     e.g. GC_malloc -> GC_malloc_kind through its PLT, stay internal and
 *     are not counted twice);
 *   - libgcprof itself, unless it is linked into the main program (a
 *     static link, or a white-box test): its calls then share the
 *     program's GOT entries and are redirected with them;
 *   - the vDSO;
 *   - those named in exclude (NULL-terminated, or NULL): a full path, a
 *     file name ("libfoo.so.1"), or a file name up to a dot ("libfoo.so"
 *     matches "libfoo.so.1"); the main program by its /proc/self/exe path
 *     or file name.
 * Read-only entries (inside PT_GNU_RELRO: full RELRO, -z now) are made
 * writable for the store and read-only again. Each store is one aligned
 * pointer-sized compare-and-swap: a thread calling meanwhile reaches the
 * old function or the new one, never half of either.
 * Returns the number of entries rewritten (0 when none, e.g. for an
 * unknown name: its original is NULL), or a negative code with
 * gcp_last_error(): GCP_EINVAL for NULL hooks, n == 0, a hook without a
 * name or replacement, or an architecture not supported; GCP_EIO when a
 * page's protection cannot be changed; GCP_ENOMEM. On failure every entry
 * this call rewrote is put back. Calling it again with the same hooks
 * rewrites only what is new (entries already holding the replacement are
 * not counted).
 * Not covered: objects dlopen'ed after the call (call it again), function
 * pointers stored in data by R_X86_64_64/R_AARCH64_ABS64 relocations,
 * calls inside the defining object, and - in a non-PIE program that takes
 * a hooked function's address - the program's own calls (its PLT stub is
 * then the canonical address dlsym returns, so the program counts as the
 * defining object). A lazy binding being resolved by another thread at
 * that moment may overwrite one entry (the dynamic linker writes late);
 * a restore puts back the function itself, never the lazy stub, so this
 * can happen at a first redirect only.
 * Thread-safe (serialised with gcp__got_restore); holds the dynamic
 * linker's lock while it writes, so no object is unloaded meanwhile. */
int gcp__got_redirect(gcp__got_hook *hooks, size_t n, const char *const *exclude);

/* Put back every entry gcp__got_redirect rewrote for these hooks (same
 * name and replacement) to the function it reached before, when it still holds
 * the replacement: an entry something else rewrote since is left alone.
 * Entries of objects unloaded since are forgotten. Returns the number put
 * back, or GCP_EINVAL (NULL hooks, n == 0) / GCP_EIO (protection). The
 * hooks' original fields are left as they are. Thread-safe. */
int gcp__got_restore(const gcp__got_hook *hooks, size_t n);

/* Entries currently recorded as rewritten (for tests). */
size_t gcp__got_redirected(void);

#endif
