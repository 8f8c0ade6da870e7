/*
 * got_object.c - reading one loaded object's dynamic section and storing
 * into its GOT words (got_object.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heap.h"
#include "got_object.h"

size_t gcp__got_page_size(void)
{
    long ps = sysconf(_SC_PAGESIZE);

    return ps > 0 ? (size_t)ps : 4096;
}

/* ---- one loaded object ------------------------------------------------ */

/* The PT_LOAD holding [a, a + len), or NULL. */
const elf_phdr *gcp__got_segment_of(const struct dl_phdr_info *info, elf_addr a, size_t len)
{
    for (elf_half i = 0; i < info->dlpi_phnum; i++) {
        const elf_phdr *ph = &info->dlpi_phdr[i];
        elf_addr start = info->dlpi_addr + ph->p_vaddr;

        if (ph->p_type == PT_LOAD && a >= start && a - start <= ph->p_memsz &&
            ph->p_memsz - (a - start) >= len)
            return ph;
    }
    return NULL;
}

int gcp__got_contains(const struct dl_phdr_info *info, const void *p)
{
    return gcp__got_segment_of(info, (elf_addr)p, 1) != NULL;
}

/* A d_ptr value as an address. glibc relocates most of them in place
 * when the dynamic section is writable (measured on glibc 2.36 x86-64:
 * DT_SYMTAB, DT_STRTAB and DT_JMPREL of the program, libc and ld.so hold
 * run-time addresses) but not a read-only one's (riscv, mips, and the
 * vDSO, whose values stay link-time offsets): one already inside the
 * object is taken as it is, any other gets the load bias. The two readings
 * could only both land inside an object whose bias is below its size,
 * which a shared object loaded by mmap never has. */
static elf_addr dyn_addr(const struct dl_phdr_info *info, elf_addr v)
{
    return gcp__got_contains(info, (const void *)v) ? v : v + info->dlpi_addr;
}

/* 1 and *o filled when the object has what we need: a dynamic section
 * with symbols, strings and RELA relocations. */
int gcp__got_object_open(const struct dl_phdr_info *info, object *o)
{
    const elf_dyn *dyn = NULL;
    elf_addr jmprel = 0, rela = 0;
    size_t pltrelsz = 0, relasz = 0, relaent = sizeof(elf_rela);
    long pltrel = DT_RELA;
    size_t ps = gcp__got_page_size();

    memset(o, 0, sizeof *o);
    o->info = info;
    for (elf_half i = 0; i < info->dlpi_phnum; i++) {
        const elf_phdr *ph = &info->dlpi_phdr[i];

        if (ph->p_type == PT_DYNAMIC)
            dyn = (const elf_dyn *)(info->dlpi_addr + ph->p_vaddr);
        else if (ph->p_type == PT_GNU_RELRO) {
            /* as the dynamic linker protects it: whole pages only */
            o->ro_start = (info->dlpi_addr + ph->p_vaddr) & ~(elf_addr)(ps - 1);
            o->ro_end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(elf_addr)(ps - 1);
        }
    }
    if (!dyn)
        return 0;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_SYMTAB:
            o->symtab = (const elf_sym *)dyn_addr(info, dyn->d_un.d_ptr);
            break;
        case DT_STRTAB:
            o->strtab = (const char *)dyn_addr(info, dyn->d_un.d_ptr);
            break;
        case DT_STRSZ:
            o->strsz = dyn->d_un.d_val;
            break;
        case DT_JMPREL:
            jmprel = dyn_addr(info, dyn->d_un.d_ptr);
            break;
        case DT_PLTRELSZ:
            pltrelsz = dyn->d_un.d_val;
            break;
        case DT_PLTREL:
            pltrel = (long)dyn->d_un.d_val;
            break;
        case DT_RELA:
            rela = dyn_addr(info, dyn->d_un.d_ptr);
            break;
        case DT_RELASZ:
            relasz = dyn->d_un.d_val;
            break;
        case DT_RELAENT:
            relaent = dyn->d_un.d_val;
            break;
        }
    }
    if (!o->symtab || !o->strtab || !o->strsz || relaent != sizeof(elf_rela))
        return 0;
    if (jmprel && pltrel == DT_RELA) { /* DT_REL: not an ABI we support */
        o->rela[0] = (const elf_rela *)jmprel;
        o->n_rela[0] = pltrelsz / sizeof(elf_rela);
    }
    if (rela) {
        o->rela[1] = (const elf_rela *)rela;
        o->n_rela[1] = relasz / sizeof(elf_rela);
    }
    return 1;
}

/* The protection slot's page has now: its segment's, or read-only inside
 * RELRO; -1 when slot is in no segment. */
static int prot_of(const object *o, void **slot)
{
    elf_addr a = (elf_addr)slot;
    const elf_phdr *ph = gcp__got_segment_of(o->info, a, sizeof *slot);
    int prot = 0;

    if (!ph)
        return -1;
    if (a >= o->ro_start && a < o->ro_end)
        return PROT_READ;
    if (ph->p_flags & PF_R)
        prot |= PROT_READ;
    if (ph->p_flags & PF_W)
        prot |= PROT_WRITE;
    if (ph->p_flags & PF_X)
        prot |= PROT_EXEC;
    return prot;
}

/* Swap *slot from expect to val in one compare-and-swap, opening a
 * read-only page for it and closing it again. 1 when swapped, 0 when
 * *slot no longer held expect (or is in no segment); *err set when a
 * protection could not be changed. */
int gcp__got_store(const object *o, void **slot, void *expect, void *val, int *err)
{
    int prot = prot_of(o, slot), ok;
    size_t ps = gcp__got_page_size();
    void *page = (void *)((elf_addr)slot & ~(elf_addr)(ps - 1));

    if (prot < 0 || ((elf_addr)slot & (sizeof *slot - 1)))
        return 0;
    if (!(prot & PROT_WRITE) && mprotect(page, ps, prot | PROT_WRITE) != 0) {
        *err =
            gcp__fail(GCP_EIO, "GOT hook: cannot make the GOT page %p of %s writable: %s", page,
                      o->info->dlpi_name[0] ? o->info->dlpi_name : "the program", strerror(errno));
        return 0;
    }
    ok = __atomic_compare_exchange_n(slot, &expect, val, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    if (!(prot & PROT_WRITE) && mprotect(page, ps, prot) != 0)
        *err = gcp__fail(GCP_EIO, "GOT hook: cannot make the GOT page %p of %s read-only again: %s",
                         page, o->info->dlpi_name[0] ? o->info->dlpi_name : "the program",
                         strerror(errno));
    return ok;
}
