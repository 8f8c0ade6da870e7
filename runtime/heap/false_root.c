/*
 * false_root.c - stop one false root of bdwgc 8.2.2 from pinning our
 * objects.
 *
 * GC_unix_mmap_get_mem (os_dep.c) keeps the end of the latest region it
 * mapped for the heap in a function-static, `last_addr`, as the hint for
 * the next mmap. That static lies in libgc's .bss outside GC_arrays, so it
 * is scanned as a root. When the kernel maps the next region just below an
 * earlier heap section, `last_addr` holds that section's first address and
 * keeps whatever object starts there alive, and all it refers to (measured:
 * a 1 MiB vector array, and the 100,000 strings it held, in a profile that
 * then reported 16 objects collected instead of 100,017).
 *
 * The static has no symbol, so we find it by what it does: grow the heap
 * twice and look in libgc's writable data for the one word, outside every
 * exported symbol, that each time comes to hold the end of the new section.
 * That word is only ever an mmap hint, never the sole reference to an
 * object, so excluding it from root scanning is safe. If the search finds
 * anything but exactly one word, nothing is excluded.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr1, dl_iterate_phdr */
#endif
#include "heap.h"

#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

typedef struct span {
    uintptr_t lo, hi;
} span;

enum { MAX_SPANS = 4, MAX_CANDIDATES = 16 };

typedef struct search {
    uintptr_t base;          /* libgc's load address */
    span spans[MAX_SPANS];   /* its writable segments */
    int n_spans;
} search;

static int find_segments(struct dl_phdr_info *info, size_t size, void *data)
{
    search *s = data;
    (void)size;

    if (info->dlpi_addr != s->base)
        return 0;
    for (int i = 0; i < info->dlpi_phnum && s->n_spans < MAX_SPANS; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) {
            uintptr_t lo = (info->dlpi_addr + ph->p_vaddr + 7) & ~(uintptr_t)7;
            s->spans[s->n_spans++] = (span){lo, info->dlpi_addr + ph->p_vaddr + ph->p_memsz};
        }
    }
    return 1;
}

/* Inside an exported variable (GC_arrays, GC_greatest_plausible_heap_addr,
 * ...)? The word we want is a static: it has no symbol. */
static int in_exported_symbol(uintptr_t addr)
{
    Dl_info info;
    const ElfW(Sym) *sym = NULL;

    if (!dladdr1((void *)addr, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym || !info.dli_saddr)
        return 0;
    return addr < (uintptr_t)info.dli_saddr + sym->st_size;
}

/* Grow the heap by one minimal section; its size, or 0. */
static size_t grow_heap(void)
{
    size_t before = GC_get_heap_size();

    if (!GC_expand_hp(1))
        return 0;
    return GC_get_heap_size() - before;
}

/* Does the word at w now hold the end of a section of `grown` bytes? */
static int holds_section_end(uintptr_t w, size_t grown)
{
    uintptr_t v = *(const uintptr_t *)w;

    return grown != 0 && (v & 4095) == 0 && v > grown && GC_is_heap_ptr((void *)(v - grown));
}

static int first_round(const search *s, size_t grown, uintptr_t *found)
{
    int n = 0;

    for (int i = 0; i < s->n_spans; i++)
        for (uintptr_t w = s->spans[i].lo; w + sizeof w <= s->spans[i].hi; w += sizeof w)
            if (holds_section_end(w, grown) && !in_exported_symbol(w)) {
                if (n == MAX_CANDIDATES)
                    return -1;
                found[n++] = w;
            }
    return n;
}

/* libgc's load address, from two functions of it that no one interposes:
 * gcprof's preload library defines GC_gcollect & co, and searching its
 * data instead of libgc's found nothing (and, built with ASan, read its
 * redzones). If the two disagree, libgc cannot be told: 0. */
static int libgc_base(uintptr_t *base)
{
    Dl_info a, b;

    if (!dladdr((void *)GC_expand_hp, &a) || !dladdr((void *)GC_is_heap_ptr, &b) ||
        a.dli_fbase != b.dli_fbase)
        return 0;
    *base = (uintptr_t)a.dli_fbase;
    return 1;
}

int gcp__exclude_mmap_hint_root(void)
{
    /* bdwgc aborts on overlapping exclusions: exclude the word only once. */
    static int excluded;
    search s = {0};
    uintptr_t found[MAX_CANDIDATES];

    if (excluded)
        return 1;
    if (!libgc_base(&s.base))
        return 0;
    dl_iterate_phdr(find_segments, &s);
    int n = first_round(&s, grow_heap(), found);
    if (n <= 0)
        return 0;
    /* The second growth tells the hint apart from a word that happened to
     * match once. */
    size_t grown = grow_heap();
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (holds_section_end(found[i], grown))
            found[kept++] = found[i];
    if (kept != 1)
        return 0;
    GC_exclude_static_roots((void *)found[0], (void *)(found[0] + sizeof(uintptr_t)));
    excluded = 1;
    return 1;
}
