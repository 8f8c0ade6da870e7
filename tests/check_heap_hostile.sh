#!/bin/sh
# gcprof run --heap-profile inside programs that make sampling hard: it must
# never hang or crash them. Each case was a hang or a crash once (a second
# reading of issue 15's change found them):
#   fork   threads sampling while the program forks, children followed (-f):
#          a child inherited a held stash lock and spun forever (4 of 40);
#   _exit  a signal handler _exits while threads sample: it waited for the
#          sampler's lock its own thread held (5 of 40), and (once in 40,
#          under make check -j2) most likely for one a thread stopped by
#          the collection it was running held;
#   coroutine  samples on a swapcontext stack with little room left: the
#          stash read below it (SIGSEGV at 8 and 4 KiB left);
#   dlopen the heap preload dlopen'ed from a thread with a 64 KiB stack:
#          measuring the stash painted 64 KiB below it (SIGSEGV).
# A hang is a run past 60 s (runs take well under a second): long enough
# that a loaded machine does not pass for one.
set -u
. "$(dirname "$0")/lib.sh"

need_built "$gcprof"
have_cc_and_bdwgc || skip "no cc or bdw-gc to build the test programs"
use_preload
make_tmp

cat >"$tmp/fork.c" <<'EOF'
#define GC_THREADS
#include <gc/gc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile int stop;
static void *churn(void *arg)
{
    void *volatile sink;
    (void)arg;
    while (!stop)
        sink = GC_MALLOC(64);
    (void)sink;
    return NULL;
}
int main(int argc, char **argv)
{
    int rounds = atoi(argv[1]), hung = 0;
    pthread_t t[2];
    GC_INIT();
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, churn, NULL);
    for (int r = 0; r < rounds; r++) {
        pid_t c = fork();
        if (c == 0) {
            for (int i = 0; i < 1000; i++)
                GC_MALLOC(32);
            _exit(0);
        }
        int st, waited = 0;
        /* 60 s: a child takes milliseconds, and a deadlock never ends, so
         * a loaded machine (make check -j2) cannot pass for a hang */
        while (waitpid(c, &st, WNOHANG) == 0 && waited++ < 6000)
            usleep(10000);
        if (waited > 6000) {
            char cmd[128];
            snprintf(cmd, sizeof cmd, "grep -H . /proc/%d/task/*/wchan /proc/%d/task/*/syscall",
                     (int)c, (int)c);
            if (system(cmd) != 0) /* where it waits, for the log */
                puts("(no /proc view of the hung child)");
            hung++;
            kill(c, SIGKILL);
            waitpid(c, &st, 0);
        }
    }
    stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("hung %d\n", hung);
    return 0;
}
EOF
cat >"$tmp/sigexit.c" <<'EOF'
#define GC_THREADS
#include <gc/gc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
static void on_alarm(int sig)
{
    (void)sig;
    _exit(0);
}
static void *churn(void *arg)
{
    (void)arg;
    for (unsigned i = 0;; i++) {
        void **p = GC_MALLOC(64 + (i & 255));
        p[0] = GC_MALLOC(16);
    }
    return NULL;
}
int main(void)
{
    struct sigaction sa;
    struct itimerval it = {{0, 0}, {0, 50000}};
    pthread_t t[2];
    GC_INIT();
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, churn, NULL);
    setitimer(ITIMER_REAL, &it, NULL);
    churn(NULL);
    return 1;
}
EOF
cat >"$tmp/coroutine.c" <<'EOF'
#define _GNU_SOURCE
#define GC_THREADS
#include <gc/gc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#define STACK (128 << 10)
static char *co_stack;
static size_t room;
static ucontext_t back, co;
/* Recurses until about `room` bytes are left above the guard page. */
__attribute__((noinline)) static void deep(void)
{
    volatile char here;
    if ((size_t)((char *)&here - co_stack) > room) {
        volatile char pad[256];
        pad[0] = 0;
        deep();
        (void)pad[0];
        return;
    }
    for (int i = 0; i < 10; i++)
        GC_MALLOC(32);
}
static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) /* this thread's stack is known now */
        GC_MALLOC(32);
    getcontext(&co);
    co.uc_stack.ss_sp = co_stack;
    co.uc_stack.ss_size = STACK;
    co.uc_link = &back;
    makecontext(&co, deep, 0);
    swapcontext(&back, &co);
    return NULL;
}
int main(int argc, char **argv)
{
    pthread_t t;
    room = (size_t)atoi(argv[1]) << 10;
    GC_INIT();
    char *m = mmap(NULL, STACK + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(m, 4096, PROT_NONE); /* the guard page below it */
    co_stack = m + 4096;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    puts("ok");
    return 0;
}
EOF
cat >"$tmp/dlsmall.c" <<'EOF'
#define _GNU_SOURCE
#include <gc/gc.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static void *opener(void *path)
{
    void *h = dlopen(path, RTLD_NOW);
    printf("dlopen: %s\n", h ? "ok" : dlerror());
    return NULL;
}
int main(int argc, char **argv)
{
    const char *pre = getenv("LD_PRELOAD");
    pthread_attr_t a;
    pthread_t t;
    (void)argc;
    if (pre && *pre) { /* gcprof preloaded it: again, dlopen'ed this time */
        setenv("DL_PATH", pre, 1);
        unsetenv("LD_PRELOAD");
        execv("/proc/self/exe", argv);
        return 1;
    }
    GC_INIT();
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 << 10);
    pthread_create(&t, &a, opener, getenv("DL_PATH"));
    pthread_join(t, NULL);
    for (int i = 0; i < 100000; i++)
        GC_MALLOC(64);
    puts("done");
    return 0;
}
EOF
for p in fork sigexit coroutine dlsmall; do
    # shellcheck disable=SC2046 # pkg-config's flags are words
    cc -O2 -o "$tmp/$p" "$tmp/$p.c" $(pkg-config --cflags --libs bdw-gc) -lpthread -ldl ||
        die "cannot build $p"
done
cd "$tmp" || exit 1

# fork: 40 forks while two threads sample every allocation, children followed.
timeout 300 "$gcprof" run -f --heap-profile=1 -o fork.dat --heap-output fork.pb.gz -- \
    ./fork 40 >fork.out 2>fork.err
check "fork: gcprof run ends ($?), every child too ($(cat fork.out))" grep -q '^hung 0$' fork.out

# _exit from a signal handler while threads sample: 40 runs, none may hang.
hung=0 i=0
while [ $i -lt 40 ]; do
    i=$((i + 1))
    # 60 s for a run of ~0.1 s: only a deadlock reaches it, not a loaded machine
    timeout 60 "$gcprof" run --heap-profile=1 -o s.dat --heap-output s.pb.gz -- ./sigexit \
        >/dev/null 2>&1
    [ $? -eq 124 ] && hung=$((hung + 1))
done
check "_exit from a signal handler: 40 runs, $hung hung" [ "$hung" -eq 0 ]

# Samples on a coroutine stack with 16 down to 4 KiB left.
for kib in 16 8 4; do
    "$gcprof" run --heap-profile=1 -o c.dat --heap-output c.pb.gz -- ./coroutine $kib \
        >c.out 2>c.err
    check "coroutine stack, $kib KiB left: no crash" grep -q '^ok$' c.out
done

# The heap preload dlopen'ed from a thread with a 64 KiB stack.
"$gcprof" run --heap-profile=1 -o d.dat --heap-output d.pb.gz -- ./dlsmall >d.out 2>d.err
check "dlopen from a 64 KiB thread: no crash" grep -q '^done$' d.out

finish "PASS: sampling never hung or crashed these programs"
