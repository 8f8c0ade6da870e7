/*
 * map.c - gcp_map, a string-keyed hash table in the managed heap.
 *
 * Open addressing with linear probing over a power-of-two table. A removed
 * entry becomes a tombstone so probe chains through it stay intact; the
 * table is rebuilt (dropping tombstones, doubling only when the live
 * entries need it) once live entries plus tombstones would pass 70%.
 * The entries array comes from gcp_alloc, so the collector scans the key
 * copies and PTR values and keeps them alive.
 */
#include <stdint.h>
#include <string.h>

#include "heap.h"

typedef struct entry {
    char *key; /* NULL: empty slot; TOMBSTONE: removed */
    gcp_value value;
} entry;

struct gcp_map {
    size_t len;        /* live entries */
    size_t tombstones; /* removed entries still in the table */
    size_t cap;        /* a power of two */
    entry *entries;
};

/* A static address never returned by gcp_strdup marks removed slots. */
static char tombstone_mark;
#define TOMBSTONE (&tombstone_mark)

#define INITIAL_CAP 8

static uint64_t hash_key(const char *key)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a, 64-bit */

    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211u;
    }
    return h;
}

#define IS_LIVE(e) ((e)->key && (e)->key != TOMBSTONE)

/* The slot holding key, or -1 with *insert_at set to where it would go
 * (the first tombstone on its chain, else the empty slot ending it). The
 * load bound guarantees an empty slot, so the probe ends. */
static ptrdiff_t find(const gcp_map *map, const char *key, size_t *insert_at)
{
    size_t mask = map->cap - 1;
    size_t i = (size_t)hash_key(key) & mask;
    size_t first_free = SIZE_MAX;

    for (;; i = (i + 1) & mask) {
        const entry *e = &map->entries[i];
        if (!e->key) {
            if (insert_at)
                *insert_at = first_free != SIZE_MAX ? first_free : i;
            return -1;
        }
        if (e->key == TOMBSTONE)
            first_free = first_free == SIZE_MAX ? i : first_free;
        else if (strcmp(e->key, key) == 0)
            return (ptrdiff_t)i;
    }
}

static entry *alloc_entries(size_t cap)
{
    if (cap > SIZE_MAX / sizeof(entry)) {
        gcp__fail(GCP_ENOMEM, "gcp_map_set: capacity %zu overflows size_t", cap);
        return NULL;
    }
    return gcp_alloc(cap * sizeof(entry)); /* zeroed: all slots empty */
}

gcp_map *gcp_map_new(void)
{
    gcp_map *map = GCP_NEW(gcp_map);

    if (!map || !(map->entries = alloc_entries(INITIAL_CAP)))
        return NULL;
    map->cap = INITIAL_CAP;
    return map;
}

/* Rebuild the table so one more entry fits under 70% load. Under churn
 * (many tombstones, few live entries) the capacity stays the same. */
static int rehash(gcp_map *map)
{
    size_t cap = map->cap;

    /* Live entries alone past 35%: double, so the next rebuild is far.
     * cap * 7 cannot overflow: alloc_entries bounds cap by SIZE_MAX / 24. */
    while ((map->len + 1) * 20 > cap * 7)
        cap *= 2;
    entry *entries = alloc_entries(cap);
    if (!entries)
        return GCP__ALLOC_FAILED();
    for (size_t i = 0; i < map->cap; i++) {
        const entry *e = &map->entries[i];
        if (!IS_LIVE(e))
            continue;
        size_t j = (size_t)hash_key(e->key) & (cap - 1);
        while (entries[j].key)
            j = (j + 1) & (cap - 1);
        entries[j] = *e;
    }
    map->entries = entries;
    map->cap = cap;
    map->tombstones = 0;
    return 0;
}

int gcp_map_set(gcp_map *map, const char *key, gcp_value value)
{
    size_t at = 0;

    if (!map)
        return gcp__fail(GCP_EINVAL, "gcp_map_set: map is NULL");
    if (!key)
        return gcp__fail(GCP_EINVAL, "gcp_map_set: key is NULL");
    if (value.type != GCP_VALUE_INT && value.type != GCP_VALUE_DOUBLE &&
        value.type != GCP_VALUE_PTR)
        return gcp__fail(GCP_EINVAL, "gcp_map_set: value.type %d is not INT, DOUBLE or PTR",
                         (int)value.type);
    ptrdiff_t found = find(map, key, &at);
    if (found >= 0) {
        map->entries[found].value = value;
        return 0;
    }
    /* Copy the key first: on failure the map is unchanged. */
    char *copy = gcp_strdup(key);
    if (!copy)
        return GCP__ALLOC_FAILED();
    if ((map->len + map->tombstones + 1) * 10 > map->cap * 7) {
        int rc = rehash(map);
        if (rc < 0)
            return rc;
        find(map, key, &at);
    }
    entry *e = &map->entries[at];
    if (e->key == TOMBSTONE)
        map->tombstones--;
    e->key = copy;
    e->value = value;
    map->len++;
    return 0;
}

int gcp_map_set_int(gcp_map *map, const char *key, int64_t v)
{
    return gcp_map_set(map, key, (gcp_value){.type = GCP_VALUE_INT, .as.i = v});
}

int gcp_map_set_double(gcp_map *map, const char *key, double v)
{
    return gcp_map_set(map, key, (gcp_value){.type = GCP_VALUE_DOUBLE, .as.d = v});
}

int gcp_map_set_ptr(gcp_map *map, const char *key, void *p)
{
    return gcp_map_set(map, key, (gcp_value){.type = GCP_VALUE_PTR, .as.p = p});
}

/* The lookup behind every getter; fn names the public caller. A type
 * other than NONE must match. */
static int lookup(const char *fn, const gcp_map *map, const char *key, gcp_value_type type,
                  gcp_value *out)
{
    static const char *const type_names[] = {"", "an int", "a double", "a pointer"};

    if (!map)
        return gcp__fail(GCP_EINVAL, "%s: map is NULL", fn);
    if (!key)
        return gcp__fail(GCP_EINVAL, "%s: key is NULL", fn);
    ptrdiff_t found = find(map, key, NULL);
    if (found < 0)
        return gcp__fail(GCP_ENOTFOUND, "%s: no key \"%.64s\"", fn, key);
    if (type != GCP_VALUE_NONE && map->entries[found].value.type != type)
        return gcp__fail(GCP_EINVAL, "%s: key \"%.64s\" does not hold %s", fn, key,
                         type_names[type]);
    *out = map->entries[found].value;
    return 0;
}

int gcp_map_get(const gcp_map *map, const char *key, gcp_value *out)
{
    if (!out)
        return gcp__fail(GCP_EINVAL, "gcp_map_get: out is NULL");
    return lookup("gcp_map_get", map, key, GCP_VALUE_NONE, out);
}

int64_t gcp_map_get_int(const gcp_map *map, const char *key)
{
    gcp_value v = {.type = GCP_VALUE_NONE};

    return lookup("gcp_map_get_int", map, key, GCP_VALUE_INT, &v) == 0 ? v.as.i : 0;
}

double gcp_map_get_double(const gcp_map *map, const char *key)
{
    gcp_value v = {.type = GCP_VALUE_NONE};

    return lookup("gcp_map_get_double", map, key, GCP_VALUE_DOUBLE, &v) == 0 ? v.as.d : 0.0;
}

void *gcp_map_get_ptr(const gcp_map *map, const char *key)
{
    gcp_value v = {.type = GCP_VALUE_NONE};

    return lookup("gcp_map_get_ptr", map, key, GCP_VALUE_PTR, &v) == 0 ? v.as.p : NULL;
}

int gcp_map_remove(gcp_map *map, const char *key)
{
    if (!map)
        return gcp__fail(GCP_EINVAL, "gcp_map_remove: map is NULL");
    if (!key)
        return gcp__fail(GCP_EINVAL, "gcp_map_remove: key is NULL");
    ptrdiff_t found = find(map, key, NULL);
    if (found < 0)
        return gcp__fail(GCP_ENOTFOUND, "gcp_map_remove: no key \"%.64s\"", key);
    entry *e = &map->entries[found];
    /* Drop the references too, so the key and value can be collected. */
    e->key = TOMBSTONE;
    memset(&e->value, 0, sizeof e->value);
    map->len--;
    map->tombstones++;
    return 0;
}

size_t gcp_map_len(const gcp_map *map)
{
    return map ? map->len : 0;
}

int gcp_map_foreach(const gcp_map *map, int (*fn)(const char *key, gcp_value value, void *user),
                    void *user)
{
    if (!map)
        return gcp__fail(GCP_EINVAL, "gcp_map_foreach: map is NULL");
    if (!fn)
        return gcp__fail(GCP_EINVAL, "gcp_map_foreach: fn is NULL");
    for (size_t i = 0; i < map->cap; i++) {
        const entry *e = &map->entries[i];
        if (!IS_LIVE(e))
            continue;
        int rc = fn(e->key, e->value, user);
        if (rc)
            return rc;
    }
    return 0;
}
