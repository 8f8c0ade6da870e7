/*
 * options.c - the one option parser of the gcprof command (options.h).
 */
#include "options.h"

#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* One line, "gcprof CMD: <what> (HINT)"; returns TOOL_OPTS_ERROR. */
__attribute__((format(printf, 2, 3))) static int bad(const tool_opts *how, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tool_vsay(how->cmd, how->hint, fmt, ap);
    va_end(ap);
    return TOOL_OPTS_ERROR;
}

/* The entry of "--name" or "--name=...", or NULL; *rest: after the name. */
static tool_opt *find_long(tool_opt *t, const char *arg, const char **rest)
{
    for (; t->name; t++) {
        size_t n = strlen(t->name);
        if (strncmp(arg, t->name, n) == 0 && (arg[n] == '\0' || arg[n] == '=')) {
            *rest = arg + n;
            return t;
        }
    }
    return NULL;
}

/* The entry of "-x", "-xVALUE" or "-x=VALUE", or NULL; *rest: after "-x". */
static tool_opt *find_short(tool_opt *t, const char *arg, const char **rest)
{
    for (; t->name; t++) {
        if (t->letter && arg[1] == t->letter) {
            t->short_name[0] = '-';
            t->short_name[1] = t->letter;
            t->short_name[2] = '\0';
            *rest = arg + 2;
            return t;
        }
    }
    return NULL;
}

static int take_flag(const tool_opts *how, tool_opt *e, const char *typed)
{
    if (e->given)
        return bad(how, "%s given twice", typed);
    e->given = typed;
    *e->flag = 1;
    return e->stop ? TOOL_OPTS_STOP : TOOL_OPTS_OK;
}

/* The value: after '=' or the letter, else the next argument (whatever it
 * looks like: "-o -x" writes to "-x"). */
static int take_value(const tool_opts *how, tool_opt *e, const char *typed, const char *rest,
                      int argc, char **argv, int *i)
{
    const char *v = *rest == '=' ? rest + 1 : *rest ? rest : *i + 1 < argc ? argv[++*i] : NULL;

    if (!v)
        return bad(how, "missing value for %s", typed);
    if (e->given)
        return bad(how, "%s given twice: '%s', then '%s'", typed, *e->value, v);
    e->given = typed;
    *e->value = v;
    return TOOL_OPTS_OK;
}

/* The option at argv[*i] (it starts with '-' and is not "-" or "--"). */
static int take_option(const tool_opts *how, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *rest;
    int is_long = a[1] == '-';
    tool_opt *e = is_long ? find_long(how->table, a, &rest) : find_short(how->table, a, &rest);

    if (!e || (!e->value && *rest)) /* a flag with a value: "--json=1", "-fx" */
        return bad(how, "unknown option '%s'", a);
    const char *typed = is_long ? e->name : e->short_name;
    if (!e->value || (e->flag && *rest != '=')) /* a flag, or an optional value not given */
        return take_flag(how, e, typed);
    if (e->flag) /* "--name=VALUE": the flag too */
        *e->flag = 1;
    return take_value(how, e, typed, rest, argc, argv, i);
}

int tool_opts_parse(const tool_opts *how, int argc, char **argv, int *npos)
{
    int n = 0, options = 1;

    if (how->dashes)
        *how->dashes = -1;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (!options || a[0] != '-' || a[1] == '\0') {
            argv[1 + n++] = a; /* i >= 1 + n: nothing unread is overwritten */
            options = options && !how->in_order;
        } else if (strcmp(a, "--") == 0) {
            options = 0;
            if (how->dashes)
                *how->dashes = n;
        } else {
            int r = take_option(how, argc, argv, &i);
            if (r != TOOL_OPTS_OK)
                return r;
        }
    }
    argv[1 + n] = NULL;
    *npos = n;
    return TOOL_OPTS_OK;
}

int tool_opt_count(const char *cmd, const char *hint, const char *opt, const char *s, long lo,
                   long hi, long *n)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    /* strtol would take " 3" and "+3": a count is digits (after a '-' if lo < 0) */
    int digits = (*s >= '0' && *s <= '9') || (lo < 0 && *s == '-');
    if (errno || !digits || end == s || *end || v < lo || v > hi)
        return tool_usage_error(cmd, hint,
                                "bad value for %s: '%s': want a whole number from %ld to %ld", opt,
                                s, lo, hi);
    *n = v;
    return -1;
}

int tool_opt_file(const char *cmd, const char *hint, const char *opt, const char *s,
                  const char *stdout_why)
{
    if (!*s)
        return tool_usage_error(cmd, hint, "empty file name for %s", opt);
    if (stdout_why && strcmp(s, "-") == 0)
        return tool_usage_error(cmd, hint, "bad file name for %s: '-': %s (./- names a file)", opt,
                                stdout_why);
    return -1;
}
