/*
 * got_peer.h - the shared objects check_got_hook's calls go through
 * (tests/got_peer.c, built twice): "lazy" is linked as libraries usually
 * are (PLT calls, JUMP_SLOT entries bound lazily, writable); "now" with
 * -fno-plt -Wl,-z,now,-z,relro (GLOB_DAT entries, read-only after load).
 * Each function calls the collector's entry point of the same name.
 */
#ifndef GOT_PEER_H
#define GOT_PEER_H

#include <stddef.h>

void *got_peer_lazy_malloc(size_t n);
void *got_peer_lazy_malloc_atomic(size_t n);
void got_peer_lazy_free(void *p);

void *got_peer_now_malloc(size_t n);
void *got_peer_now_malloc_atomic(size_t n);
void got_peer_now_free(void *p);

#endif
