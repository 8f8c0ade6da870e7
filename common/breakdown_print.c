/*
 * breakdown_print.c - a breakdown as text for a person and as JSON for a
 * program (doc/breakdown.md describes both).
 */
#include <inttypes.h>
#include <string.h>

#include "breakdown.h"
#include "safe_file.h"
#include "text.h"
#include "units.h"

static double mib(uint64_t x)
{
    return (double)x / GCP__MIB_F;
}

static double share(uint64_t x, uint64_t of)
{
    return of ? 100.0 * (double)x / (double)of : 0;
}

static void print_rows(FILE *fp, const gcp__breakdown *b)
{
    fprintf(fp, "RSS %.1f MiB, of which:\n", mib(b->sum));
    for (int i = 0; i < GCP__ROWS; i++)
        fprintf(fp, "  %-36s %10.1f MiB %5.1f%%\n", gcp__row_label[i], mib(b->row[i]),
                share(b->row[i], b->sum));
    if (b->vm_rss)
        fprintf(fp, "  (VmRSS read right after: %.1f MiB)\n", mib(b->vm_rss));
}

static void print_figures(FILE *fp, const gcp__breakdown *b)
{
    fprintf(fp,
            "GC heap: %.1f MiB mapped, %.1f MiB of it in free blocks; %.1f MiB unmapped (given "
            "back); %.1f MiB in marked objects (collection %" PRIu64 "%s)\n",
            mib(b->gc.heap_size), mib(b->gc.free), mib(b->gc.unmapped), mib(b->gc.marked),
            b->gc.gc_no,
            b->gc.collected ? ", run for this breakdown"
                            : "'s marks: objects allocated since count as free slots");
    if (b->gc.unmap_threshold > 0)
        fprintf(fp,
                "free GC blocks: unmapped once free through %d collections "
                "(GC_UNMAP_THRESHOLD)\n",
                b->gc.unmap_threshold);
    else
        fputs("free GC blocks: never unmapped (GC_UNMAP_THRESHOLD=0)\n", fp);
    if (b->malloc.known)
        fprintf(fp, "malloc: %.1f MiB in use, %.1f MiB free in its arenas (mallinfo2)\n",
                mib(b->malloc.in_use), mib(b->malloc.free));
    if (!b->map.by_page)
        fputs("note: /proc/self/pagemap could not be read, so the GC heap's pages could not be "
              "told from other anonymous memory\n",
              fp);
}

static void print_classes(FILE *fp, const gcp__breakdown *b, size_t top)
{
    char kb[32];

    if (top == 0 || b->nclasses == 0)
        return;
    fputs("GC size classes (most blocks first):\n"
          "  kind                   size     objects       bytes    blocks  free\n",
          fp);
    for (size_t i = 0; i < b->nclasses && i < top; i++) {
        const gcp__bd_class *c = &b->classes[i];
        char size[24];
        if (c->size)
            snprintf(size, sizeof size, "%" PRIu32, c->size);
        else
            strcpy(size, "large");
        fprintf(fp, "  %-20s %6s %11" PRIu64 " %11" PRIu64 " %9" PRIu64 " %4.0f%%\n",
                gcp__bd_kind_name(c->kind, kb, sizeof kb), size, c->objects, c->bytes, c->blocks,
                share(gcp__bd_class_free(c), c->blocks * GCP__BD_BLOCK));
    }
}

int gcp__breakdown_print(FILE *fp, const gcp__breakdown *b, size_t top)
{
    print_rows(fp, b);
    print_figures(fp, b);
    print_classes(fp, b, top);
    fprintf(fp, "verdict: %s\n", b->verdict);
    return gcp__flushed(fp) ? 0 : -5; /* -EIO */
}

/* ---- JSON ------------------------------------------------------------------- */

static void json_classes(FILE *fp, const gcp__breakdown *b, size_t top)
{
    char kb[32];

    fprintf(fp, "\"nclasses\":%zu,\"classes\":[", b->nclasses);
    for (size_t i = 0; i < b->nclasses && (top == 0 || i < top); i++) {
        const gcp__bd_class *c = &b->classes[i];
        fprintf(fp, "%s{\"kind\":%" PRIu32 ",\"kind_name\":", i ? "," : "", c->kind);
        gcp__json_str(fp, gcp__bd_kind_name(c->kind, kb, sizeof kb));
        fprintf(fp,
                ",\"size\":%" PRIu32 ",\"objects\":%" PRIu64 ",\"bytes\":%" PRIu64
                ",\"blocks\":%" PRIu64 ",\"free_bytes\":%" PRIu64 "}",
                c->size, c->objects, c->bytes, c->blocks, gcp__bd_class_free(c));
    }
    fputs("]", fp);
}

int gcp__breakdown_record(FILE *fp, int jsonl, double t, long pid, const gcp__breakdown *b)
{
    if (jsonl)
        fprintf(fp, "{\"type\":\"breakdown\",\"t\":%.6f,\"pid\":%ld,\"breakdown\":", t, pid);
    else
        fprintf(fp, "GCPROF_BREAKDOWN %.6f %ld ", t, pid);
    gcp__breakdown_json(fp, b, GCP__BD_RECORD_CLASSES);
    fputs(jsonl ? "}\n" : "\n", fp);
    return gcp__flushed(fp) ? 0 : -5;
}

int gcp__breakdown_json(FILE *fp, const gcp__breakdown *b, size_t top)
{
    fprintf(fp, "{\"rss\":%" PRIu64 ",\"vm_rss\":%" PRIu64 ",\"rows\":{", b->sum, b->vm_rss);
    for (int i = 0; i < GCP__ROWS; i++)
        fprintf(fp, "%s\"%s\":%" PRIu64, i ? "," : "", gcp__row_name[i], b->row[i]);
    fprintf(fp,
            "},\"gc\":{\"heap_size\":%" PRIu64 ",\"free\":%" PRIu64 ",\"unmapped\":%" PRIu64
            ",\"obtained\":%" PRIu64 ",\"marked\":%" PRIu64 ",\"gc_no\":%" PRIu64
            ",\"unmap_threshold\":%d,\"collected\":%s},",
            b->gc.heap_size, b->gc.free, b->gc.unmapped, b->gc.obtained, b->gc.marked, b->gc.gc_no,
            b->gc.unmap_threshold, b->gc.collected ? "true" : "false");
    if (b->malloc.known)
        fprintf(fp,
                "\"malloc\":{\"arena\":%" PRIu64 ",\"mmapped\":%" PRIu64 ",\"in_use\":%" PRIu64
                ",\"free\":%" PRIu64 "},",
                b->malloc.arena, b->malloc.hblkhd, b->malloc.in_use, b->malloc.free);
    fprintf(fp, "\"by_page\":%s,\"shared\":%" PRIu64 ",", b->map.by_page ? "true" : "false",
            b->map.shared);
    json_classes(fp, b, top);
    fputs(",\"verdict\":", fp);
    gcp__json_str(fp, b->verdict);
    fputs("}", fp);
    return gcp__flushed(fp) ? 0 : -5;
}
