// An LD_PRELOAD library that counts a process's heap allocations (malloc, calloc, realloc
// and the aligned forms) and writes the count to stderr on SIGUSR2:
//     ALLOCS <allocations> FREES <frees> BYTES <bytes requested>
// Used by Benchmarks/alloc-per-message.sh; build: gcc -O2 -shared -fPIC -o alloc-counter.so alloc-counter.c
#define _GNU_SOURCE
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static _Atomic unsigned long allocations, frees, bytes;

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static void count(size_t size) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&bytes, size, memory_order_relaxed);
}

void *malloc(size_t size) { count(size); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count(n * size); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { count(size); return __libc_realloc(p, size); }
void *memalign(size_t alignment, size_t size) { count(size); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count(size); return __libc_memalign(alignment, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    count(size);
    *out = __libc_memalign(alignment, size);
    return *out ? 0 : 12;  // ENOMEM
}
void free(void *p) {
    if (p) atomic_fetch_add_explicit(&frees, 1, memory_order_relaxed);
    __libc_free(p);
}

static void report(int signal) {
    (void)signal;
    char line[128];
    int n = snprintf(line, sizeof line, "ALLOCS %lu FREES %lu BYTES %lu\n",
                     atomic_load(&allocations), atomic_load(&frees), atomic_load(&bytes));
    if (n > 0) (void)!write(2, line, (size_t)n);
}

__attribute__((constructor)) static void install(void) { signal(SIGUSR2, report); }
