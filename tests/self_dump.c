/*
 * self_dump.c - the running program's own maps, for tests that write a
 * raw heap dump by hand (self_dump.h).
 */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "self_dump.h"

typedef struct found {
    FILE *fp;     /* where the map lines go, or NULL */
    char *id;     /* the build ID, hex */
    size_t idlen; /* its buffer */
    int maps;
} found;

/* The NT_GNU_BUILD_ID note in a PT_NOTE segment of the loaded program. */
static void build_id_of(const struct dl_phdr_info *info, const ElfW(Phdr) *ph, found *f)
{
    const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
    const unsigned char *end = p + ph->p_memsz;
    size_t align = ph->p_align == 8 ? 8 : 4;

    while (p + sizeof(ElfW(Nhdr)) <= end) {
        const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
        const unsigned char *name = p + sizeof *n;
        const unsigned char *desc = name + ((n->n_namesz + align - 1) & ~(align - 1));
        if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
            2 * n->n_descsz < f->idlen) {
            for (size_t i = 0; i < n->n_descsz; i++)
                sprintf(f->id + 2 * i, "%02x", desc[i]);
            return;
        }
        p = desc + ((n->n_descsz + align - 1) & ~(align - 1));
    }
}

static int each_object(struct dl_phdr_info *info, size_t size, void *data)
{
    found *f = data;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    (void)size;
    if (n <= 0)
        return 1;
    exe[n] = '\0';
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_NOTE && !f->id[0])
            build_id_of(info, &info->dlpi_phdr[i], f);
    for (int i = 0; f->fp && i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        fprintf(f->fp, "map %lx %lx %lx %lx %s %s\n", (unsigned long)(info->dlpi_addr + ph->p_vaddr),
                (unsigned long)(info->dlpi_addr + ph->p_vaddr + ph->p_memsz),
                (unsigned long)ph->p_offset, (unsigned long)info->dlpi_addr,
                f->id[0] ? f->id : "-", exe);
        f->maps++;
    }
    return 1; /* the first object is the program itself */
}

int self_dump_start(FILE *fp)
{
    char id[129] = "";
    found f = {fp, id, sizeof id, 0};

    fprintf(fp, "gcprof-heap-dump 1\n");
    dl_iterate_phdr(each_object, &f);
    return f.maps ? f.maps : -1;
}

void self_build_id(char *out, size_t size)
{
    found f = {NULL, out, size, 0};

    out[0] = '\0';
    dl_iterate_phdr(each_object, &f);
}
