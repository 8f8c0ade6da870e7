/*
 * preload_exec.c - the moments a process image ends without exit(3): exec
 * and _exit. Interposed so that the records of the last interval go out
 * first (without this, 7 to 8 of every 10 ms of collections before an
 * exec or _exit were lost). After an exec, the new image's preload writes
 * a GCPROF_IMAGE record of its own, so a reader knows the collection
 * numbers that follow start again.
 *
 * glibc's exec functions call the system call internally, not through the
 * PLT, so each public one is interposed; a program reaching execve by
 * syscall(2) or posix_spawn (whose child is another process) is not seen.
 * Also here: fork, through pthread_atfork (preload_reader_forked).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload.h"

/* Whether this process's recorder runs: not in a vfork child, which
 * shares the parent's memory, locks included. */
static int own_recorder(void)
{
    return !preload_secure() && preload_out && getpid() == preload_owner;
}

/* 1 if it wrote everything and took out_lock (to hold across the exec);
 * 0 if not recording, or if this thread holds it already (a signal handler
 * that execs or exits while this thread was writing: no second lock). */
static int exec_begin(void)
{
    return own_recorder() && preload_flush_all();
}

/* The exec failed: the image goes on, and so does the reader. */
static void exec_failed(int held)
{
    int e = errno;

    if (held)
        preload_flush_release();
    errno = e;
}

/* The functions passed on to, bound at start-up (preload_exec_bind): a
 * signal handler may exec or _exit, and dlsym is no call for one. */
enum { F_EXECVE, F_EXECV, F_EXECVP, F_EXECVPE, F_FEXECVE, F_EXECVEAT, F_EXIT, F_EXIT2, NFUNCS };
static const char *const names[NFUNCS] = {"execve",  "execv",    "execvp", "execvpe",
                                          "fexecve", "execveat", "_exit",  "_Exit"};
static _Atomic(void *) slots[NFUNCS];

void preload_exec_bind(void)
{
    for (int i = 0; i < NFUNCS; i++)
        preload_real(&slots[i], names[i]);
}

#define REAL(type, name, k)                                                              \
    type real_##name = (type)preload_real(&slots[k], names[k]);                          \
    if (!real_##name) {                                                                  \
        errno = ENOSYS;                                                                  \
        return -1;                                                                       \
    }

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef int (*execveat_fn)(int, const char *, char *const[], char *const[], int);

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    REAL(execve_fn, execve, F_EXECVE);
    int held = exec_begin();
    int r = real_execve(path, argv, envp);
    exec_failed(held);
    return r;
}

EXPORT int execv(const char *path, char *const argv[])
{
    REAL(execv_fn, execv, F_EXECV);
    int held = exec_begin();
    int r = real_execv(path, argv);
    exec_failed(held);
    return r;
}

EXPORT int execvp(const char *file, char *const argv[])
{
    REAL(execv_fn, execvp, F_EXECVP);
    int held = exec_begin();
    int r = real_execvp(file, argv);
    exec_failed(held);
    return r;
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    REAL(execve_fn, execvpe, F_EXECVPE);
    int held = exec_begin();
    int r = real_execvpe(file, argv, envp);
    exec_failed(held);
    return r;
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    REAL(fexecve_fn, fexecve, F_FEXECVE);
    int held = exec_begin();
    int r = real_fexecve(fd, argv, envp);
    exec_failed(held);
    return r;
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                    int flags)
{
    REAL(execveat_fn, execveat, F_EXECVEAT);
    int held = exec_begin();
    int r = real_execveat(dirfd, path, argv, envp, flags);
    exec_failed(held);
    return r;
}

/* execl, execlp, execle: their arguments as an array (as glibc builds
 * it, on the stack), then the array form, interposed above. */
enum { BY_PATH, BY_SEARCH, WITH_ENV };

static size_t count_args(const char *arg, va_list ap)
{
    size_t n = 1;

    if (arg)
        while (va_arg(ap, const char *))
            n++;
    return n;
}

/* ap: the n - 1 arguments after arg, the NULL (arg itself, when NULL),
 * and for WITH_ENV envp. */
static int exec_list(int how, const char *file, const char *arg, size_t n, va_list ap)
{
    char *argv[n + 1];

    argv[0] = (char *)arg;
    for (size_t i = 1; i <= n; i++)
        argv[i] = i < n ? va_arg(ap, char *) : NULL;
    if (how == WITH_ENV) {
        if (arg)
            (void)va_arg(ap, char *); /* the NULL after the arguments */
        return execve(file, argv, va_arg(ap, char *const *));
    }
    return how == BY_SEARCH ? execvp(file, argv) : execv(file, argv);
}

#define EXEC_LIST(how, file, arg)                                                        \
    va_list ap;                                                                          \
    va_start(ap, arg);                                                                   \
    size_t n = count_args(arg, ap);                                                      \
    va_end(ap);                                                                          \
    va_start(ap, arg);                                                                   \
    int r = exec_list(how, file, arg, n, ap);                                            \
    va_end(ap);                                                                          \
    return r

EXPORT int execl(const char *path, const char *arg, ...)
{
    EXEC_LIST(BY_PATH, path, arg);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
    EXEC_LIST(BY_SEARCH, file, arg);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
    EXEC_LIST(WITH_ENV, path, arg);
}

/* ---- _exit ------------------------------------------------------------- */

typedef void (*exit_fn)(int);

/* The lock stays held: nothing is written after this. Unbound (called
 * before our constructor), the system call itself: no dlsym here. */
static _Noreturn void end_image(int k, int status)
{
    exit_fn real = (exit_fn)atomic_load(&slots[k]);

    if (own_recorder())
        preload_flush_all();
    if (real)
        real(status);
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

EXPORT _Noreturn void _exit(int status)
{
    end_image(F_EXIT, status);
}

EXPORT _Noreturn void _Exit(int status)
{
    end_image(F_EXIT2, status);
}

/* ---- fork -------------------------------------------------------------- */

static void in_child(void)
{
    if (preload_out)
        preload_reader_forked(getenv("GCPROF_PRELOAD_FOLLOW") &&
                              getenv("GCPROF_PRELOAD_FOLLOW")[0] == '1');
}

void preload_fork_watch(void)
{
    pthread_atfork(NULL, NULL, in_child);
}
