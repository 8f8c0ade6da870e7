/*
 * got_object.h - one loaded object's dynamic section as got_hook.c needs
 * it: its relocation tables, symbols and strings, and stores into its GOT
 * words (a read-only RELRO page opened for the store and closed again).
 * Internal to got_hook.c and got_object.c.
 */
#ifndef GCP_GOT_OBJECT_H
#define GCP_GOT_OBJECT_H

#include <elf.h>
#include <link.h>
#include <stddef.h>

#if defined(__x86_64__) && defined(__LP64__)
#define GOT_SUPPORTED 1
#define R_JUMP_SLOT   R_X86_64_JUMP_SLOT
#define R_GLOB_DAT    R_X86_64_GLOB_DAT
#elif defined(__aarch64__) && defined(__LP64__)
#define GOT_SUPPORTED 1
#define R_JUMP_SLOT   R_AARCH64_JUMP_SLOT
#define R_GLOB_DAT    R_AARCH64_GLOB_DAT
#else
#define GOT_SUPPORTED 0 /* refused in check_hooks; compiled for the rest */
#define R_JUMP_SLOT   (~0ul)
#define R_GLOB_DAT    (~0ul)
#endif

/* ElfW(...) reads as a call to clang-format: plain names instead */
typedef ElfW(Addr) elf_addr;
typedef ElfW(Phdr) elf_phdr;
typedef ElfW(Dyn) elf_dyn;
typedef ElfW(Sym) elf_sym;
typedef ElfW(Rela) elf_rela;
typedef ElfW(Half) elf_half;

#if __ELF_NATIVE_CLASS == 64
#define R_TYPE_OF(info) ELF64_R_TYPE(info)
#define R_SYM_OF(info)  ELF64_R_SYM(info)
#else
#define R_TYPE_OF(info) ELF32_R_TYPE(info)
#define R_SYM_OF(info)  ELF32_R_SYM(info)
#endif

typedef struct object {
    const struct dl_phdr_info *info;
    elf_addr ro_start, ro_end; /* the pages PT_GNU_RELRO made read-only */
    const elf_sym *symtab;
    const char *strtab;
    size_t strsz;
    const elf_rela *rela[2]; /* DT_JMPREL (when RELA), DT_RELA */
    size_t n_rela[2];
} object;

const elf_phdr *gcp__got_segment_of(const struct dl_phdr_info *info, elf_addr a, size_t len);
int gcp__got_contains(const struct dl_phdr_info *info, const void *p);
int gcp__got_object_open(const struct dl_phdr_info *info, object *o);
int gcp__got_store(const object *o, void **slot, void *expect, void *val, int *err);
size_t gcp__got_page_size(void);

#endif
