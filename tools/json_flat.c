/*
 * json_flat.c - a small parser for one flat JSON object on one line:
 * string, number, true/false/null values; nested values (of keys the caller
 * does not know) are checked and skipped. Strings are decoded in place.
 */
#include "json_flat.h"

#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_KEYS  TOOL_JSON_MAX_KEYS

static char *ws(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static int at(tool_jobj *o, const char *p, const char *what)
{
    snprintf(o->err, sizeof o->err, "column %ld: %s", (long)(p - o->line) + 1, what);
    return -1;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;

    for (int i = 0; i < 4; i++) {
        char h = p[i];
        unsigned d = h >= '0' && h <= '9'   ? (unsigned)(h - '0')
                     : h >= 'a' && h <= 'f' ? (unsigned)(h - 'a' + 10)
                     : h >= 'A' && h <= 'F' ? (unsigned)(h - 'A' + 10)
                                            : 16u;
        if (d == 16)
            return -1;
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

static char *put_utf8(char *d, unsigned cp, unsigned flags)
{
    if (cp < 0x20 && !(cp == '\n' && (flags & TOOL_JSON_KEEP_NEWLINES)))
        cp = ' '; /* records are one line of text; as the .dat writer does */
    if (cp < 0x80) {
        *d++ = (char)cp;
    } else if (cp < 0x800) {
        *d++ = (char)(0xc0 | cp >> 6);
        *d++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *d++ = (char)(0xe0 | cp >> 12);
        *d++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *d++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *d++ = (char)(0xf0 | cp >> 18);
        *d++ = (char)(0x80 | (cp >> 12 & 0x3f));
        *d++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *d++ = (char)(0x80 | (cp & 0x3f));
    }
    return d;
}

/* \uXXXX at *pp (after the backslash and 'u'), with surrogate pairs; a lone
 * surrogate becomes U+FFFD. */
static int unicode_escape(char **pp, unsigned *cp)
{
    char *p = *pp;
    unsigned hi, lo;

    if (hex4(p, &hi) < 0)
        return -1;
    p += 4;
    *cp = hi;
    if (hi >= 0xd800 && hi < 0xdc00 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2, &lo) == 0 &&
        lo >= 0xdc00 && lo < 0xe000) {
        *cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
        p += 6;
    } else if (hi >= 0xd800 && hi < 0xe000) {
        *cp = 0xfffd;
    }
    *pp = p;
    return 0;
}

/* The string whose opening quote is at *pp: decoded in place (never
 * longer) into *out, or, with out NULL, only checked and passed over
 * (the text of a nested value is kept as it was written). */
static int string(tool_jobj *o, char **pp, const char **out)
{
    static const char plain[] = "\"\\/bfnrt", decoded[] = "\"\\/\b\f\n\r\t";
    char *p = *pp + 1, *d = p, scratch[4];

    for (;;) {
        unsigned char ch = (unsigned char)*p;
        const char *e;
        unsigned cp;
        if (!out)
            d = scratch; /* every character fits in 4 bytes */
        if (ch == '\0')
            return at(o, *pp, "unterminated string");
        if (ch == '"')
            break;
        if (ch < 0x20)
            return at(o, p, "control character in a string");
        if (ch != '\\') {
            *d++ = *p++;
            continue;
        }
        if (p[1] == 'u') {
            char *q = p + 2;
            if (unicode_escape(&q, &cp) < 0)
                return at(o, p, "bad \\u escape");
            p = q;
        } else if (p[1] && (e = strchr(plain, p[1])) != NULL) {
            cp = (unsigned char)decoded[e - plain];
            p += 2;
        } else {
            return at(o, p, "bad escape in a string");
        }
        d = put_utf8(d, cp, o->flags);
    }
    if (out) {
        *d = '\0';
        *out = *pp + 1;
    }
    *pp = p + 1;
    return 0;
}

/* JSON number text: -?digits(.digits)?([eE][+-]?digits)? */
static size_t number_len(const char *p)
{
    const char *s = p;

    if (*p == '-')
        p++;
    if (!(*p >= '0' && *p <= '9'))
        return 0;
    p += strspn(p, "0123456789");
    if (*p == '.') {
        if (!(p[1] >= '0' && p[1] <= '9'))
            return 0;
        p += 1 + strspn(p + 1, "0123456789");
    }
    if (*p == 'e' || *p == 'E') {
        p += 1 + (p[1] == '+' || p[1] == '-');
        if (!(*p >= '0' && *p <= '9'))
            return 0;
        p += strspn(p, "0123456789");
    }
    return (size_t)(p - s);
}

/* An array or object value of a key we do not know: skipped, with its
 * strings (which may hold brackets), to a bounded depth. */
static int skip_nested(tool_jobj *o, char **pp)
{
    char *p = *pp;
    int depth = 0;

    do {
        if (*p == '"') {
            if (string(o, &p, NULL) < 0)
                return -1;
            continue;
        }
        if (*p == '\0')
            return at(o, *pp, "unterminated array or object");
        if (*p == '[' || *p == '{') {
            if (++depth > MAX_DEPTH)
                return at(o, p, "nested too deeply");
        } else if (*p == ']' || *p == '}') {
            depth--;
        }
        p++;
    } while (depth > 0);
    *pp = p;
    return 0;
}

static int value(tool_jobj *o, char **pp, tool_jpair *v)
{
    static const struct {
        const char *word;
        tool_jv_type type;
    } words[] = {{"true", TOOL_JV_TRUE}, {"false", TOOL_JV_FALSE}, {"null", TOOL_JV_NULL}};
    char *p = *pp;

    if (*p == '"') {
        v->type = TOOL_JV_STRING;
        return string(o, pp, &v->s);
    }
    if (*p == '[' || *p == '{') {
        v->type = TOOL_JV_NESTED;
        v->s = p;
        if (skip_nested(o, pp) < 0)
            return -1;
        v->n = (size_t)(*pp - p);
        return 0;
    }
    if ((v->n = number_len(p)) > 0) {
        v->type = TOOL_JV_NUMBER;
        v->s = p;
        *pp = p + v->n;
        return 0;
    }
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t len = strlen(words[i].word);
        if (strncmp(p, words[i].word, len) == 0) {
            v->type = words[i].type;
            *pp = p + len;
            return 0;
        }
    }
    return at(o, p,
              *p ? "expected a value (string, number, true, false, null)"
                 : "the line ends inside the object");
}

const tool_jpair *tool_json_get(const tool_jobj *o, const char *key)
{
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->v[i].key, key) == 0)
            return &o->v[i];
    return NULL;
}

static int pair(tool_jobj *o, char **pp)
{
    tool_jpair *v = &o->v[o->n];
    char *p = *pp;

    if (o->n == MAX_KEYS)
        return at(o, p, "more than 128 keys");
    if (*p != '"')
        return at(o, p, *p ? "expected a key (a string)" : "the line ends inside the object");
    if (string(o, &p, &v->key) < 0)
        return -1;
    if (tool_json_get(o, v->key)) {
        snprintf(o->err, sizeof o->err, "column %ld: duplicate key \"%.40s\"",
                 (long)(*pp - o->line) + 1, v->key);
        return -1;
    }
    p = ws(p);
    if (*p != ':')
        return at(o, p, "expected ':' after a key");
    p = ws(p + 1);
    if (value(o, &p, v) < 0)
        return -1;
    o->n++;
    *pp = ws(p);
    return 0;
}

int tool_json_object(tool_jobj *o, char *line)
{
    return tool_json_parse(o, line, 0);
}

int tool_json_parse(tool_jobj *o, char *line, unsigned flags)
{
    char *p = ws(line);

    o->line = line;
    o->n = 0;
    o->flags = flags;
    if (*p != '{')
        return at(o, p, "expected '{' (each line is one JSON object)");
    p = ws(p + 1);
    if (*p != '}') {
        for (;;) {
            if (pair(o, &p) < 0)
                return -1;
            if (*p == '}')
                break;
            if (*p != ',')
                return at(o, p, *p ? "expected ',' or '}'" : "the line ends inside the object");
            p = ws(p + 1);
        }
    }
    p = ws(p + 1);
    if (*p)
        return at(o, p, "text after the object");
    return 0;
}

/* Past the string that starts at s[i] (a quote) in checked text. */
static size_t past_string(const char *s, size_t i, size_t n)
{
    for (i++; i < n && s[i] != '"'; i++)
        if (s[i] == '\\')
            i++;
    return i + 1;
}

int tool_json_next_item(const tool_jpair *v, size_t *pos, const char **s, size_t *n)
{
    size_t i = *pos ? *pos : 1, start, depth = 0; /* after '[' */

    if (v->type != TOOL_JV_NESTED || v->s[0] != '[')
        return 0;
    while (i < v->n && (v->s[i] == ' ' || v->s[i] == '\t' || v->s[i] == ','))
        i++;
    if (i >= v->n - 1) /* at the closing ']' */
        return 0;
    start = i;
    for (; i < v->n - 1; i++) {
        char c = v->s[i];
        if (c == '"')
            i = past_string(v->s, i, v->n) - 1;
        else if (c == '[' || c == '{')
            depth++;
        else if (c == ']' || c == '}')
            depth--;
        else if (c == ',' && depth == 0)
            break;
    }
    *s = v->s + start;
    *n = i - start;
    while (*n > 0 && (v->s[start + *n - 1] == ' ' || v->s[start + *n - 1] == '\t'))
        --*n;
    *pos = i;
    return 1;
}
