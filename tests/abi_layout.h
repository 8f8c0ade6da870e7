/* abi_layout.h - one public struct's layout, as abi_layout.c records it. */
#ifndef ABI_LAYOUT_H
#define ABI_LAYOUT_H

#include <stddef.h>

typedef struct abi_row {
    const char *type;
    size_t size;
    size_t tail; /* offset of reserved_ (current) or of the new field (grown) */
} abi_row;

const abi_row *abi_layout_current(size_t *n);
const abi_row *abi_layout_grown(size_t *n);

#endif
