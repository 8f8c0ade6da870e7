/*
 * preload.h - what the files of the preload library share (preload.c,
 * preload_hook.c, preload_channel.c, preload_reader.c, preload_exec.c).
 * Everything here is hidden: the library exports only the functions it
 * interposes (EXPORT). Its names start with preload_, not the tool_ of the
 * gcprof command's files: it is a library of its own, loaded into the
 * program, and shares no code with the command but libgcprof_timeline.
 */
#ifndef GCPROF_PRELOAD_H
#define GCPROF_PRELOAD_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "breakdown.h"
#include "gc_record.h"
#include "preload_stash.h"
#include "timeline.h"

#define EXPORT __attribute__((visibility("default")))

/* GC_on_collection_event_proc: GC_EventType is an enum, passed as int. */
typedef void (*preload_event_proc)(int);
/* GC_reachable_object_proc */
typedef void (*preload_object_proc)(void *obj, size_t bytes, void *data);

/* The program's collector: all NULL when it has none. */
typedef struct preload_gc {
    void (*set_hook)(preload_event_proc);
    preload_event_proc (*get_hook)(void);
    size_t (*heap_size)(void), (*free_bytes)(void), (*unmapped_bytes)(void);
    size_t (*total_bytes)(void);
    unsigned long (*gc_no)(void); /* GC_word */
    int (*parallel)(void);        /* optional: marker threads - 1 */
    void (*enumerate_marked)(preload_object_proc, void *); /* optional */
} preload_gc;

/* The channel's line assembler: whole lines go out in writes of at most
 * PIPE_BUF bytes, which a pipe keeps whole among other writers' (-f). */
typedef struct preload_channel {
    int fd;             /* -1: none, or lost */
    dev_t dev;          /* the pipe gcprof made, as it told us */
    ino_t ino;
    char stdio_buf[PIPE_BUF];
    char pending[2 * PIPE_BUF];
    size_t pending_len;
    int skipping; /* dropping a line longer than PIPE_BUF, up to its end */
} preload_channel;

/* Everything big or written often lives in an anonymous mapping of ours,
 * away from the program's (common/far_map.h), not in our .bss: a smaller
 * data segment is less to lose if a program replaces the collector's roots
 * filter behind our back (preload_hook.c). Our buffers are not malloc'd
 * either: it could be the collector's (malloc redirected to it). libc
 * still mallocs the two FILE objects (fopencookie, the trace's fdopen) and
 * the reader thread's TLS vector: a few hundred bytes, which a collector
 * redirecting malloc must not free (bdwgc does so with uncollectable
 * objects, GC_malloc_uncollectable). */
typedef struct preload_mem {
    gcp__gc_recorder recorder;
    preload_channel channel;
    char trace_buf[1 << 12];
    pthread_mutex_t out_lock; /* the reader's writing vs. exec and _exit */
    pthread_mutex_t wake_lock;
    pthread_cond_t wake;
    int stopping; /* under wake_lock */
    void *stack;  /* the reader's, PRELOAD_STACK bytes, in the same mapping */
    char foreign[2][PATH_MAX];   /* libraries we loaded, not roots (preload_heap.c) */
    char heap_dir[PATH_MAX];     /* gcprof's private directory ("": none), and */
    char heap_request[PATH_MAX]; /* its "now" file, which SIGUSR1 replaces */
    struct {                     /* the request file last seen (preload_reader.c) */
        dev_t dev;
        ino_t ino;
        double next; /* when to look again */
    } request;
    preload_stash stash;         /* the dead stack a sample would write (preload_stash.h) */
    pthread_mutex_t dump_lock;   /* one heap dump at a time (preload_heap.c) */
    gcp__bd_census bd_census;    /* a breakdown's count and classes (preload_breakdown.c) */
    gcp__breakdown bd;
    struct preload_bd_ctl { /* preload_breakdown.c's state */
        struct {
            void *(*with_lock)(void *(*)(void *), void *);
            int (*kind)(const void *, size_t *);
            int (*is_heap)(const void *);
            void *(*base)(void *);
            size_t (*obtained)(void);
            void (*gcollect)(void);
            int (*disabled)(void), (*registered)(void);
            void **least, **greatest; /* the heap's plausible bounds (gc_mark.h) */
        } fn;
        _Atomic int state; /* 0 idle, 1 wanted (since wanted_at), 2 taken, to write */
        double wanted_at;
        int enabled;
        int unmap_threshold;       /* GC_UNMAP_THRESHOLD, as bdwgc read it at start */
        pthread_mutex_t take_lock; /* the storage above */
    } bd_ctl;
} preload_mem;

#define PRELOAD_STACK (256 << 10) /* the reader's: stdio and a path at most */
#define PRELOAD_EXE_MAX 1024       /* bytes of a path in an image record */

/* Shared state (preload.c). */
extern preload_gc preload_collector;
extern preload_mem *preload_state;
extern FILE *preload_out, *preload_trace; /* NULL: not recording */
extern gcp_tl_format preload_format;
extern double preload_interval;
extern int preload_live; /* measure live bytes after each collection */

/* preload.c */
int preload_secure(void);     /* AT_SECURE: a pure pass-through */
int preload_recording(void);  /* this process records now */

/* preload_hook.c: the collection event hook and the interposed collects */
void preload_hook_install(void);
void preload_hook_remove(void);
void preload_roots_filter_install(void);
void *preload_real(_Atomic(void *) *slot, const char *name);

/* preload_channel.c */
int preload_channel_open(preload_channel *ch);
FILE *preload_channel_stream(preload_channel *ch);
void preload_channel_drop(preload_channel *ch); /* a forked child's copy */

/* preload_reader.c */
int preload_reader_start(void);
void preload_reader_stop(void);   /* drains, writes the last sample, joins */
int preload_flush_all(void);      /* from any thread: 1 and out_lock held after it,
                                     0 if this thread held it already */
void preload_flush_release(void); /* after preload_flush_all, if still running */
void preload_write_image(void);   /* the GCPROF_IMAGE record of this process */
void preload_reader_forked(int follow);
extern pid_t preload_owner;       /* the process the reader writes for */

/* preload_heap.c: heap profiles (sampling, dumps); preload_alloc.c
 * interposes the allocation functions and calls preload_heap_take. */
extern int preload_heap_on;       /* sampling */
extern double preload_heap_every; /* seconds between dumps; 0: at the end */
extern __thread int preload_heap_depth __attribute__((tls_model("initial-exec")));
void preload_heap_start(void);
/* caller: the program's return address, the stack when no walk fits */
void preload_heap_take(void *p, size_t requested, const char *kind, int inner, void *caller);
void preload_heap_take_list(void *list, size_t bytes, const char *kind, void *caller);
void preload_heap_forget(void *p);
void preload_heap_sweep(void);      /* the hook, at RECLAIM_END */
int preload_heap_dump(void);        /* 0, or -1 (not sampling, cannot write) */
/* This thread has stopped the world (preload_hook.c): the others may be
 * stopped holding the sampler's lock. */
extern __thread int preload_stopped_world __attribute__((tls_model("initial-exec")));
int preload_request_seen(double now); /* preload_reader.c: gcprof asked (SIGUSR1)? */
void preload_heap_forked(int follow);
int preload_heap_walk(void **pcs, int max, int *first); /* the caller's stack */
int preload_heap_foreign(const char *name);             /* a library we brought */

/* preload_breakdown.c: what RSS is made of, into the recording */
void preload_breakdown_start(void);
void preload_breakdown_at_collection(void); /* the hook, marks final */
void preload_breakdown_request(double now); /* the reader: gcprof asked for one */
void preload_breakdown_poll(double now);    /* the reader, each wake */
void preload_breakdown_at_exit(void);       /* before the reader stops */
void preload_breakdown_forked(void);

/* preload_exec.c */
void preload_fork_watch(void);
void preload_exec_bind(void); /* the functions it passes calls on to */

#endif
