/*
 * read.c - a pprof profile of any producer (ours, Go's runtime/pprof,
 * ...) into the model. The file is untrusted: its size is bounded before
 * and after decompression, protobuf-c checks the wire format, and every
 * index it holds (strings, functions, locations, mappings) is checked
 * here before it is followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"
#include "pprof.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile Profile;

/* The file's bytes, at most PPROF_MAX_INPUT. */
static int slurp(const char *path, uint8_t **buf, size_t *n, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    size_t cap, len = 0;
    ssize_t got;

    *buf = NULL;
    if (fd < 0)
        return pprof__fail(err, errlen, PPROF_EIO, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > PPROF_MAX_INPUT) {
        int e = errno;
        close(fd);
        if (st.st_size > PPROF_MAX_INPUT)
            return pprof__fail(err, errlen, PPROF_ELIMIT, "%s: larger than %ld bytes", path,
                               (long)PPROF_MAX_INPUT);
        return pprof__fail(err, errlen, PPROF_EIO, "%s: %s", path,
                           S_ISREG(st.st_mode) ? strerror(e) : "not a regular file");
    }
    cap = (size_t)st.st_size + 1;
    if (!(*buf = malloc(cap))) {
        close(fd);
        return pprof__fail(err, errlen, PPROF_ENOMEM, "%s: out of memory", path);
    }
    while ((got = read(fd, *buf + len, cap - len)) > 0 && (len += (size_t)got) < cap)
        ;
    close(fd);
    if (got < 0 || len == cap) { /* an error, or the file grew while read */
        free(*buf);
        *buf = NULL;
        return pprof__fail(err, errlen, PPROF_EIO, "%s: %s", path,
                           got < 0 ? strerror(errno) : "changed while read");
    }
    *n = len;
    return 0;
}

/* in[0..n) gunzipped (members one after another, as gzip allows), at
 * most PPROF_MAX_INPUT bytes. */
static int gunzip(const char *path, const uint8_t *in, size_t n, uint8_t **out, size_t *outn,
                  char *err, size_t errlen)
{
    z_stream z;
    size_t cap = n < (size_t)PPROF_MAX_INPUT / 8 ? n * 4 + 4096 : (size_t)PPROF_MAX_INPUT, len = 0;
    int zrc = Z_OK, rc = 0;

    memset(&z, 0, sizeof z);
    if (!(*out = malloc(cap)) || inflateInit2(&z, 15 + 32) != Z_OK) {
        free(*out);
        return pprof__fail(err, errlen, PPROF_ENOMEM, "%s: out of memory", path);
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    while (rc == 0) {
        if (len == cap) {
            uint8_t *bigger;
            if (cap >= (size_t)PPROF_MAX_INPUT) {
                rc = pprof__fail(err, errlen, PPROF_ELIMIT,
                                 "%s: more than %ld bytes once decompressed", path,
                                 (long)PPROF_MAX_INPUT);
                break;
            }
            cap = cap * 2 > (size_t)PPROF_MAX_INPUT ? (size_t)PPROF_MAX_INPUT : cap * 2;
            if (!(bigger = realloc(*out, cap))) {
                rc = pprof__fail(err, errlen, PPROF_ENOMEM, "%s: out of memory", path);
                break;
            }
            *out = bigger;
        }
        z.next_out = *out + len;
        z.avail_out = (uInt)(cap - len);
        zrc = inflate(&z, Z_NO_FLUSH);
        len = cap - z.avail_out;
        if (zrc == Z_STREAM_END) {
            if (z.avail_in == 0)
                break;
            inflateReset(&z); /* the next member */
        } else if (zrc == Z_BUF_ERROR && z.avail_in == 0) {
            rc = pprof__fail(err, errlen, PPROF_EFORMAT, "%s: gzip data cut short", path);
        } else if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
            rc = pprof__fail(err, errlen, PPROF_EFORMAT, "%s: bad gzip data: %s", path,
                             z.msg ? z.msg : "inflate failed");
        }
    }
    inflateEnd(&z);
    if (rc != 0) {
        free(*out);
        *out = NULL;
    }
    *outn = len;
    return rc;
}

/* The decoded message, or NULL and err. */
static Profile *decode(const char *path, char *err, size_t errlen, int *rc)
{
    uint8_t *buf, *plain;
    size_t n = 0, plainn = 0;
    Profile *m;

    if ((*rc = slurp(path, &buf, &n, err, errlen)) != 0)
        return NULL;
    if (n >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
        *rc = gunzip(path, buf, n, &plain, &plainn, err, errlen);
        free(buf);
        if (*rc != 0)
            return NULL;
        buf = plain;
        n = plainn;
    }
    m = perftools__profiles__profile__unpack(NULL, n, buf);
    free(buf);
    if (!m)
        *rc = pprof__fail(err, errlen, PPROF_EFORMAT,
                          "%s: not a pprof profile (its protobuf does not decode)", path);
    return m;
}

int pprof_read(const char *path, pprof_profile *out, char *err, size_t errlen)
{
    Profile *m;
    int rc;

    memset(out, 0, sizeof *out);
    if (!(m = decode(path, err, errlen, &rc)))
        return rc;
    rc = pprof__from_message(m, path, out, err, errlen);
    perftools__profiles__profile__free_unpacked(m, NULL);
    return rc;
}
