/*
 * got_peer.c - a shared object calling the collector through its own GOT
 * (got_peer.h); compiled as "lazy", or with -DGOT_PEER_NOW as "now".
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include "got_peer.h"

#ifdef GOT_PEER_NOW
#define PEER(f) got_peer_now_##f
#else
#define PEER(f) got_peer_lazy_##f
#endif

void *PEER(malloc)(size_t n)
{
    return GC_malloc(n);
}

void *PEER(malloc_atomic)(size_t n)
{
    return GC_malloc_atomic(n);
}

void PEER(free)(void *p)
{
    GC_free(p);
}
