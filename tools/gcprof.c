/*
 * gcprof.c - the gcprof command: runs a program and records its memory
 * (run), and reads the recordings back (peak, summary, plot). Also what
 * the subcommands share (commands.h): messages and output files.
 */
#define _GNU_SOURCE
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "options.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define TMP_TRIES 100 /* names tried for a temporary file */

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
} command;

static const command commands[] = {
    {"run", tool_cmd_run, "run a program and record its memory over time"},
    {"peak", tool_cmd_peak, "print the peak memory of a recording"},
    {"summary", tool_cmd_summary, "summarise a recording: memory, collections, pauses"},
    {"plot", tool_cmd_plot, "plot a recording"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* ---- messages ---------------------------------------------------------- */

void tool_vsay(const char *cmd, const char *hint, const char *fmt, va_list ap)
{
    char *msg;

    if (vasprintf(&msg, fmt, ap) < 0) {
        fprintf(stderr, "gcprof%s%s: out of memory\n", cmd ? " " : "", cmd ? cmd : "");
        return;
    }
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    fprintf(stderr, "gcprof%s%s: %s%s%s%s\n", cmd ? " " : "", cmd ? cmd : "", msg, hint ? " (" : "",
            hint ? hint : "", hint ? ")" : "");
    free(msg);
}

void tool_say(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tool_vsay(cmd, NULL, fmt, ap);
    va_end(ap);
}

int tool_stdout_done(const char *cmd)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return TOOL_EXIT_OK;
    tool_say(cmd, "cannot write standard output: %s", strerror(errno ? errno : EIO));
    return TOOL_EXIT_FAIL;
}

/* ---- output files ------------------------------------------------------ */

/* A link whose target is in /proc names an open file (/dev/stdout is
 * /proc/self/fd/1), not a place for a new one. */
static int links_into_proc(const char *path)
{
    char target[16];
    ssize_t n = readlink(path, target, sizeof target - 1);

    if (n < 0)
        return 0;
    target[n] = '\0';
    return strncmp(target, "/proc/", 6) == 0;
}

/* NULL when a new file may replace whatever is at path. */
static const char *check_target(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return errno == ENOENT ? NULL : strerror(errno); /* ENOENT: the open says why */
    if (S_ISLNK(st.st_mode)) {
        if (links_into_proc(path))
            return "a link to an open file, not a file name";
        if (stat(path, &st) != 0)
            return NULL; /* a dangling link: replaced */
    }
    if (S_ISDIR(st.st_mode))
        return strerror(EISDIR);
    if (!S_ISREG(st.st_mode))
        return "not a regular file";
    return NULL;
}

/* Six letters and digits for a temporary name. A guessed name costs an
 * attacker nothing but us a retry: the open is O_EXCL. */
static void random_tag(char tag[7])
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static unsigned counter;
    unsigned char bytes[6];

    if (getrandom(bytes, sizeof bytes, GRND_NONBLOCK) != (ssize_t)sizeof bytes) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t x = ((uint64_t)ts.tv_nsec * 2654435761u) ^ ((uint64_t)getpid() << 32) ^ ++counter;
        for (size_t i = 0; i < sizeof bytes; i++)
            bytes[i] = (unsigned char)(x >> (8 * i));
    }
    for (size_t i = 0; i < sizeof bytes; i++)
        tag[i] = digits[bytes[i] % (sizeof digits - 1)];
    tag[sizeof bytes] = '\0';
}

/* ---- removed at a signal ---- */

/* The temporary file a fatal signal removes: one output at a time. */
static char *volatile pending_tmp;

/* Async-signal-safe: unlink, then the signal's default action (the
 * handler was reset on entry, SA_RESETHAND; the signal is raised again
 * and delivered when the handler returns). */
static void remove_pending(int sig)
{
    char *tmp = pending_tmp;

    if (tmp)
        unlink(tmp);
    raise(sig);
}

static void remove_at_signals(char *tmp)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    static int installed;
    struct sigaction sa;

    pending_tmp = tmp;
    if (installed || !tmp)
        return;
    installed = 1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = remove_pending;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction was;
        /* ignored (nohup) stays ignored; a handler of ours stays ours */
        if (sigaction(sigs[i], NULL, &was) == 0 && was.sa_handler == SIG_DFL)
            sigaction(sigs[i], &sa, NULL);
    }
}

/* ---- the stream ---- */

/* The file's writes, through stdio: the first that fails is kept in
 * write_err (and told once); from then on nothing is written, so the file
 * ends where the failure left it, and stdio sees no error to retry. */
static ssize_t out_write(void *cookie, const char *buf, size_t n)
{
    tool_out *o = cookie;
    size_t done = 0;

    while (!o->write_err && done < n) {
        ssize_t w = write(o->fd, buf + done, n - done);
        if (w > 0)
            done += (size_t)w;
        else if (w < 0 && errno == EINTR)
            continue;
        else {
            o->write_err = w < 0 ? errno : EIO;
            if (o->on_write_error)
                o->on_write_error(o, o->write_err);
        }
    }
    return (ssize_t)n;
}

static int out_close(void *cookie)
{
    tool_out *o = cookie;
    int rc = close(o->fd);

    o->fd = -1;
    return rc;
}

/* The temporary name: PATH.tmp.TAG in PATH's directory, its last component
 * cut (at a UTF-8 character) so that it fits NAME_MAX. */
static void tmp_name(char *buf, size_t size, const char *path, const char *tag)
{
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t keep = strlen(base), room = NAME_MAX - (sizeof ".tmp." - 1) - strlen(tag);

    if (keep > room) {
        keep = room;
        while (keep > 0 && ((unsigned char)base[keep] & 0xc0) == 0x80)
            keep--; /* base[keep] starts the first character left out */
    }
    snprintf(buf, size, "%.*s%.*s.tmp.%s", (int)(base - path), path, (int)keep, base, tag);
}

const char *tool_out_open(tool_out *o, const char *path)
{
    static const cookie_io_functions_t io = {.write = out_write, .close = out_close};
    const char *why = check_target(path);
    size_t n = strlen(path) + sizeof ".tmp.XXXXXX";
    char tag[7];
    int fd = -1, err;

    memset(o, 0, sizeof *o);
    o->fd = -1;
    if (why)
        return why;
    if (!(o->tmp = malloc(n)))
        return strerror(ENOMEM);
    for (int i = 0; i < TMP_TRIES; i++) {
        random_tag(tag);
        tmp_name(o->tmp, n, path, tag);
        /* the kernel applies the umask: 0644 & ~umask */
        fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd >= 0) {
        o->fd = fd;
        remove_at_signals(o->tmp);
    }
    if (fd >= 0 && (o->fp = fopencookie(o, "w", io)) != NULL) {
        o->path = path;
        return NULL;
    }
    err = errno;
    if (fd >= 0) {
        close(fd);
        unlink(o->tmp);
        remove_at_signals(NULL);
    }
    free(o->tmp);
    o->tmp = NULL;
    o->fd = -1;
    return strerror(err);
}

/* Flushes and closes the temporary file: 0, or the errno of what failed
 * (a failed write counts unless keep_cut). */
static int close_out(tool_out *o, int keep_cut)
{
    int err = 0;

    if (fflush(o->fp) != 0 || ferror(o->fp))
        err = errno ? errno : EIO;
    if (fclose(o->fp) != 0 && !err)
        err = errno;
    o->fp = NULL;
    if (!err && o->write_err && !keep_cut)
        err = o->write_err;
    return err;
}

/* The temporary file is gone or has its name: no signal removes it now. */
static void forget_tmp(tool_out *o)
{
    remove_at_signals(NULL);
    free(o->tmp);
    o->tmp = NULL;
}

const char *tool_out_commit_cut(tool_out *o, int keep_cut)
{
    int err = close_out(o, keep_cut);

    if (!err && rename(o->tmp, o->path) != 0)
        err = errno;
    if (err)
        unlink(o->tmp);
    forget_tmp(o);
    return err ? strerror(err) : NULL;
}

const char *tool_out_commit(tool_out *o)
{
    return tool_out_commit_cut(o, 0);
}

/* PATH with "-N" before its extension: mprofile_X.dat -> mprofile_X-2.dat. */
static char *numbered(const char *path, unsigned n)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - path) : strlen(path);
    size_t size = strlen(path) + 16;
    char *s = malloc(size);

    if (s)
        snprintf(s, size, "%.*s-%u%s", (int)stem, path, n, path + stem);
    return s;
}

/* Gives the temporary file the first free name: link(2) never replaces,
 * so it is ours atomically; where there are no hard links (vfat...), a
 * rename that does not replace. 0, or the errno of what failed. */
static int take_free_name(tool_out *o, char **final)
{
    for (unsigned n = 1; n <= 1000; n++) {
        char *name = n == 1 ? strdup(o->path) : numbered(o->path, n);
        if (!name)
            return ENOMEM;
        int err = link(o->tmp, name) == 0 ? 0 : errno;
        if (err == EPERM || err == EOPNOTSUPP)
            err = renameat2(AT_FDCWD, o->tmp, AT_FDCWD, name, RENAME_NOREPLACE) == 0 ? 0 : errno;
        if (!err) {
            *final = name;
            return 0;
        }
        free(name);
        if (err != EEXIST)
            return err;
    }
    return EEXIST;
}

const char *tool_out_commit_new(tool_out *o, int keep_cut, char **final)
{
    int err = close_out(o, keep_cut);

    *final = NULL;
    if (!err)
        err = take_free_name(o, final);
    if (err && err != EEXIST && o->tmp) { /* written, but no name: say where it is */
        *final = o->tmp;
        o->tmp = NULL;
        remove_at_signals(NULL);
        return strerror(err);
    }
    if (o->tmp)
        unlink(o->tmp); /* linked under its name, or never whole */
    forget_tmp(o);
    return err ? strerror(err) : NULL;
}

void tool_out_discard(tool_out *o)
{
    if (o->fp)
        fclose(o->fp);
    if (o->tmp)
        unlink(o->tmp);
    forget_tmp(o);
    memset(o, 0, sizeof *o);
    o->fd = -1;
}

/* ---- the command ------------------------------------------------------- */

static void usage(void)
{
    fputs("Usage: gcprof COMMAND [ARGS...]\n"
          "       gcprof --help | --version\n"
          "\n"
          "Memory over time for programs that use bdwgc, the Boehm collector.\n"
          "Recordings are mprof .dat files (or JSON lines), readable by mprof.\n"
          "\n"
          "Commands:\n",
          stdout);
    for (size_t i = 0; i < N_COMMANDS; i++)
        printf("  %-9s %s\n", commands[i].name, commands[i].what);
    fputs("\n'gcprof COMMAND --help' describes each one.\n"
          "\n"
          "Exit status:\n"
          "  0    success\n"
          "  1    peak, summary, plot: a FILE cannot be read or is not a recording,\n"
          "       or the output cannot be written\n"
          "  2    bad arguments: unknown command or option, missing or bad value\n"
          "  run exits with PROGRAM's status (128+N when signal N killed it), or,\n"
          "  as timeout(1) and env(1) do:\n"
          "  125  gcprof run failed: bad arguments, or the recording cannot be written\n"
          "  126  PROGRAM was found but cannot be executed\n"
          "  127  PROGRAM was not found\n"
          "\n"
          "Errors are one line on stderr: 'gcprof COMMAND: what is wrong'.\n"
          "Output files are written beside the target and renamed over it: never\n"
          "half-written, never written through a symlink, mode 0644 & ~umask.\n",
          stdout);
}

static int no_command(const char *name)
{
    if (!name)
        tool_say(NULL, "no command given: want run, peak, summary or plot (see gcprof --help)");
    else
        tool_say(NULL, "unknown command '%s': want run, peak, summary or plot (see gcprof --help)",
                 name);
    return TOOL_EXIT_USAGE;
}

/* Options end at the command: what follows is the command's. */
int main(int argc, char **argv)
{
    int help = 0, version = 0, n;
    tool_opt table[] = {
        TOOL_OPT_STOP("--help", 'h', &help),
        TOOL_OPT_STOP("--version", 'V', &version),
        TOOL_OPT_END,
    };
    tool_opts how = {NULL, "see gcprof --help", table, 1};
    int r = tool_opts_parse(&how, argc, argv, &n);

    if (r == TOOL_OPTS_ERROR)
        return TOOL_EXIT_USAGE;
    if (help || (n > 0 && strcmp(argv[1], "help") == 0)) {
        usage();
        return tool_stdout_done(NULL);
    }
    if (version) {
        printf("gcprof %s\n", PACKAGE_VERSION);
        return tool_stdout_done(NULL);
    }
    if (n == 0)
        return no_command(NULL);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(n, argv + 1);
    return no_command(argv[1]);
}
