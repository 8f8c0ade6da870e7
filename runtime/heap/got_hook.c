/*
 * got_hook.c - calls redirected by rewriting GOT entries (got_hook.h).
 *
 * Written from the ELF specification and the x86-64 / AArch64 psABIs: each
 * loaded object (dl_iterate_phdr) has a dynamic section whose DT_JMPREL
 * (PLT) and DT_RELA tables list the words the dynamic linker filled with a
 * symbol's address: R_*_JUMP_SLOT for calls through the PLT, R_*_GLOB_DAT
 * for the GOT words that -fno-plt calls and address-taking code load. We
 * find those naming a hooked symbol and swap the word.
 *
 * What was rewritten is remembered, for gcp__got_restore, in pages of our
 * own (an anonymous mapping): not malloc'd, not in the collector's heap,
 * and not in a data segment the collector scans as a root.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dl_iterate_phdr, RTLD_DEFAULT, mremap */
#endif
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heap.h"
#include "got_hook.h"

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

/* One rewritten entry. Its object is named by load bias and program
 * headers: while both match a loaded object, slot and sym point into it. */
typedef struct patch {
    elf_addr base;
    const elf_phdr *phdr;
    void **slot;
    void *old;                /* what a restore puts back: the original function */
    void *replacement;        /* what we stored */
    const char *sym;          /* in the object's string table */
    unsigned char seen, done; /* a restore pass's marks */
} patch;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static patch *table; /* cap entries, in an anonymous mapping */
static size_t n_table, cap;

static size_t page_size(void)
{
    long ps = sysconf(_SC_PAGESIZE);

    return ps > 0 ? (size_t)ps : 4096;
}

static int table_reserve(void)
{
    size_t old_bytes = cap * sizeof *table, bytes;
    void *p;

    if (n_table < cap)
        return 0;
    bytes = old_bytes ? 2 * old_bytes : page_size();
    if (old_bytes)
        p = mremap(table, old_bytes, bytes, MREMAP_MAYMOVE);
    else
        p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return gcp__fail(GCP_ENOMEM, "gcp__got_redirect: no memory for the table of entries");
    table = p;
    cap = bytes / sizeof *table;
    return 0;
}

/* ---- one loaded object ------------------------------------------------ */

typedef struct object {
    const struct dl_phdr_info *info;
    elf_addr ro_start, ro_end; /* the pages PT_GNU_RELRO made read-only */
    const elf_sym *symtab;
    const char *strtab;
    size_t strsz;
    const elf_rela *rela[2]; /* DT_JMPREL (when RELA), DT_RELA */
    size_t n_rela[2];
} object;

/* The PT_LOAD holding [a, a + len), or NULL. */
static const elf_phdr *segment_of(const struct dl_phdr_info *info, elf_addr a, size_t len)
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

static int contains(const struct dl_phdr_info *info, const void *p)
{
    return segment_of(info, (elf_addr)p, 1) != NULL;
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
    return contains(info, (const void *)v) ? v : v + info->dlpi_addr;
}

/* 1 and *o filled when the object has what we need: a dynamic section
 * with symbols, strings and RELA relocations. */
static int object_open(const struct dl_phdr_info *info, object *o)
{
    const elf_dyn *dyn = NULL;
    elf_addr jmprel = 0, rela = 0;
    size_t pltrelsz = 0, relasz = 0, relaent = sizeof(elf_rela);
    long pltrel = DT_RELA;
    size_t ps = page_size();

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
    const elf_phdr *ph = segment_of(o->info, a, sizeof *slot);
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
static int store(const object *o, void **slot, void *expect, void *val, int *err)
{
    int prot = prot_of(o, slot), ok;
    size_t ps = page_size();
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

/* ---- putting entries back --------------------------------------------- */

typedef struct restore_ctx {
    const gcp__got_hook *hooks; /* NULL: every entry from `from` on */
    size_t n, from;
    int count, err;
} restore_ctx;

static int ours(const patch *p, const gcp__got_hook *hooks, size_t n)
{
    if (!hooks)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (hooks[i].name && p->replacement == hooks[i].replacement &&
            strcmp(p->sym, hooks[i].name) == 0)
            return 1;
    return 0;
}

static int restore_object(struct dl_phdr_info *info, size_t size, void *data)
{
    restore_ctx *c = data;
    object o;
    int opened = 0;

    (void)size;
    for (size_t k = c->from; k < n_table && !c->err; k++) {
        patch *p = &table[k];

        if (p->base != info->dlpi_addr || p->phdr != info->dlpi_phdr)
            continue;
        p->seen = 1;
        if (!ours(p, c->hooks, c->n))
            continue;
        if (!opened && !object_open(info, &o))
            return 0; /* cannot happen: it was opened to patch */
        opened = 1;
        c->count += store(&o, p->slot, p->replacement, p->old, &c->err);
        p->done = 1; /* put back, or changed by someone else since: forgotten */
    }
    return c->err != 0;
}

/* Put back entries from index `from` on (all of them, or those of hooks),
 * forget them, and those of objects no longer loaded. Lock held. */
static int restore_locked(const gcp__got_hook *hooks, size_t n, size_t from)
{
    restore_ctx c = {hooks, n, from, 0, 0};
    size_t kept = from;

    for (size_t k = from; k < n_table; k++)
        table[k].seen = table[k].done = 0;
    dl_iterate_phdr(restore_object, &c);
    for (size_t k = from; k < n_table; k++) {
        patch *p = &table[k];

        /* put back (or changed since), or its object unloaded; after a
         * failure the pass stopped early and unseen ones are kept */
        if (p->done || (!p->seen && !c.err))
            continue;
        table[kept++] = *p;
    }
    n_table = kept;
    return c.err ? c.err : c.count;
}

/* ---- rewriting -------------------------------------------------------- */

typedef struct redirect_ctx {
    gcp__got_hook *hooks;
    size_t n;
    const char *const *exclude;
    const char *exe;  /* the main program's path, for exclude */
    const void *self; /* an address inside libgcprof */
    elf_addr vdso;    /* the vDSO's ELF header, or 0 */
    int first;        /* the next object is the main program */
    int count, err;
} redirect_ctx;

/* path is named by pattern: the same path, file name, or file name up
 * to a dot. */
static int named(const char *path, const char *pattern)
{
    const char *base = strrchr(path, '/');
    size_t len = strlen(pattern);

    base = base ? base + 1 : path;
    if (!*pattern)
        return 0;
    return strcmp(path, pattern) == 0 || strcmp(base, pattern) == 0 ||
           (strncmp(base, pattern, len) == 0 && base[len] == '.');
}

static int skipped(const redirect_ctx *c, const struct dl_phdr_info *info, int is_main)
{
    const char *path = is_main ? c->exe : info->dlpi_name;

    if (c->vdso && contains(info, (const void *)c->vdso))
        return 1;
    if (!is_main && contains(info, c->self))
        return 1; /* libgcprof.so: its own calls are counted by its allocator */
    for (const char *const *e = c->exclude; e && *e && path; e++)
        if (named(path, *e))
            return 1;
    return 0;
}

/* Someone's replacement: one of this call's hooks', or one we stored. */
static int a_replacement(const redirect_ctx *c, const void *p)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->hooks[i].replacement == p)
            return 1;
    for (size_t k = 0; k < n_table; k++)
        if (table[k].replacement == p)
            return 1;
    return 0;
}

/* A JUMP_SLOT lazily bound and never called holds its object's PLT stub
 * (the .plt code that calls the resolver): an address in one of the
 * object's executable segments. A replacement living in the same object
 * (libgcprof linked into the program) is code there too, and is not one. */
static int lazy_stub(const redirect_ctx *c, const struct dl_phdr_info *info, const elf_rela *r,
                     const elf_sym *sym, void *cur)
{
    const elf_phdr *ph;

    if (R_TYPE_OF(r->r_info) != R_JUMP_SLOT || sym->st_shndx != SHN_UNDEF)
        return 0;
    ph = segment_of(info, (elf_addr)cur, 1);
    return ph && (ph->p_flags & PF_X) && !a_replacement(c, cur);
}

/* Rewrite one entry naming h's symbol; 1 when rewritten, 0 when left,
 * negative on failure. */
static int redirect_one(const redirect_ctx *c, const object *o, const elf_rela *r,
                        const elf_sym *sym, gcp__got_hook *h)
{
    const struct dl_phdr_info *info = o->info;
    void **slot = (void **)(info->dlpi_addr + r->r_offset);

    for (int tries = 0; tries < 2; tries++) {
        void *cur = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
        int err = 0, ok, rc;

        if (cur == h->replacement)
            return 0; /* ours already */
        /* bound to the original, or lazily bound and never called: its
         * own PLT stub. Anything else is someone else's binding. */
        if (cur != h->original && !lazy_stub(c, info, r, sym, cur))
            return 0;
        if ((rc = table_reserve()) < 0)
            return rc;
        ok = store(o, slot, cur, h->replacement, &err);
        /* A restore puts back the function itself, not a lazy stub: a
         * stub sends the next call through the dynamic linker, whose late
         * write could land on a later redirect's entry. */
        if (ok)
            table[n_table++] = (patch){info->dlpi_addr, info->dlpi_phdr,          slot, h->original,
                                       h->replacement,  o->strtab + sym->st_name, 0,    0};
        if (err)
            return err;
        if (ok)
            return 1;
        /* it changed under us (a lazy binding resolved): look again */
    }
    return 0;
}

static int redirect_object(struct dl_phdr_info *info, size_t size, void *data)
{
    redirect_ctx *c = data;
    int is_main = c->first;
    object o;

    (void)size;
    c->first = 0;
    if (skipped(c, info, is_main) || !object_open(info, &o))
        return 0;
    for (int t = 0; t < 2; t++) {
        for (size_t k = 0; k < o.n_rela[t]; k++) {
            const elf_rela *r = &o.rela[t][k];
            unsigned long type = R_TYPE_OF(r->r_info);
            const elf_sym *sym;
            const char *name;

            if (type != R_JUMP_SLOT && type != R_GLOB_DAT)
                continue;
            sym = &o.symtab[R_SYM_OF(r->r_info)];
            if (sym->st_name == 0 || sym->st_name >= o.strsz)
                continue;
            name = o.strtab + sym->st_name;
            for (size_t i = 0; i < c->n; i++) {
                gcp__got_hook *h = &c->hooks[i];
                int rc;

                if (!h->original || strcmp(name, h->name) != 0)
                    continue;
                if (contains(info, h->original))
                    break; /* the defining object: its calls stay inside */
                rc = redirect_one(c, &o, r, sym, h);
                if (rc < 0) {
                    c->err = rc;
                    return 1;
                }
                c->count += rc;
                break;
            }
        }
    }
    return 0;
}

static int check_hooks(const char *who, const gcp__got_hook *hooks, size_t n, int need_fn)
{
    if (!hooks || n == 0)
        return gcp__fail(GCP_EINVAL, "%s: no hooks (%s)", who, hooks ? "n is 0" : "NULL");
    for (size_t i = 0; i < n; i++)
        if (!hooks[i].name || !hooks[i].name[0] || (need_fn && !hooks[i].replacement))
            return gcp__fail(GCP_EINVAL, "%s: hook %zu has no %s", who, i,
                             !hooks[i].name || !hooks[i].name[0] ? "name" : "replacement");
    if (!GOT_SUPPORTED)
        return gcp__fail(GCP_EINVAL,
                         "%s: not supported on this architecture (x86-64 and aarch64 only)", who);
    return 0;
}

int gcp__got_redirect(gcp__got_hook *hooks, size_t n, const char *const *exclude)
{
    char exe[PATH_MAX];
    redirect_ctx c = {hooks, n, exclude, NULL, (const void *)gcp__got_redirect, 0, 1, 0, 0};
    size_t from;
    int rc;

    if ((rc = check_hooks("gcp__got_redirect", hooks, n, 1)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        hooks[i].original = dlsym(RTLD_DEFAULT, hooks[i].name);
    if (exclude) {
        ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);

        exe[len > 0 ? len : 0] = '\0';
        c.exe = exe;
    }
    c.vdso = (elf_addr)getauxval(AT_SYSINFO_EHDR);

    pthread_mutex_lock(&lock);
    from = n_table;
    /* the dynamic linker's lock is held in the callback: nothing is
     * unloaded while we write */
    dl_iterate_phdr(redirect_object, &c);
    if (c.err) {
        char msg[256];

        snprintf(msg, sizeof msg, "%s", gcp_last_error());
        restore_locked(NULL, 0, from); /* all or nothing */
        pthread_mutex_unlock(&lock);
        return gcp__fail(c.err, "%s", msg);
    }
    pthread_mutex_unlock(&lock);
    return c.count;
}

int gcp__got_restore(const gcp__got_hook *hooks, size_t n)
{
    int rc;

    if ((rc = check_hooks("gcp__got_restore", hooks, n, 0)) < 0)
        return rc;
    pthread_mutex_lock(&lock);
    rc = restore_locked(hooks, n, 0);
    pthread_mutex_unlock(&lock);
    return rc;
}

size_t gcp__got_redirected(void)
{
    size_t n;

    pthread_mutex_lock(&lock);
    n = n_table;
    pthread_mutex_unlock(&lock);
    return n;
}
