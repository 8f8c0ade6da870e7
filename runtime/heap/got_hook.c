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
#include "got_object.h"

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

static int table_reserve(void)
{
    size_t old_bytes = cap * sizeof *table, bytes;
    void *p;

    if (n_table < cap)
        return 0;
    bytes = old_bytes ? 2 * old_bytes : gcp__got_page_size();
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
        if (!opened && !gcp__got_object_open(info, &o))
            return 0; /* cannot happen: it was opened to patch */
        opened = 1;
        c->count += gcp__got_store(&o, p->slot, p->replacement, p->old, &c->err);
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

    if (c->vdso && gcp__got_contains(info, (const void *)c->vdso))
        return 1;
    if (!is_main && gcp__got_contains(info, c->self))
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
    ph = gcp__got_segment_of(info, (elf_addr)cur, 1);
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
        ok = gcp__got_store(o, slot, cur, h->replacement, &err);
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
    if (skipped(c, info, is_main) || !gcp__got_object_open(info, &o))
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
                if (gcp__got_contains(info, h->original))
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
