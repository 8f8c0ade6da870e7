/*
 * far_map.c - memory of ours far from a program's mappings (far_map.h).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>

#include "far_map.h"

void *gcp__map_far(size_t size, int prot, int flags, unsigned part)
{
    flags |= MAP_PRIVATE | MAP_ANONYMOUS;
#if UINTPTR_MAX > 0xffffffffu
    static const uintptr_t bases[] = {(uintptr_t)1 << 44, (uintptr_t)1 << 38};

    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        void *hint = (void *)(bases[i] + part * (bases[i] >> 2));
        void *p = mmap(hint, size, prot, flags | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == hint)
            return p;
        if (p != MAP_FAILED) /* a kernel before 4.17 took it as a hint */
            munmap(p, size);
    }
#else
    (void)part;
#endif
    return mmap(NULL, size, prot, flags, -1, 0);
}
