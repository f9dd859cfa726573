// Counts heap allocations in the whole process.
//
// The target defines malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign and
// valloc; each counts one allocation and forwards to glibc's own entry points
// (__libc_malloc & co.). Linked into an ELF executable, these definitions take precedence
// over libc's for every shared library too (symbol interposition), so the Swift runtime's
// allocations are counted. free is not wrapped: glibc's free releases what __libc_* returned.
#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H

#include <stdint.h>

/// The number of allocation calls (malloc, calloc, realloc, the aligned ones) so far.
/// Relaxed: exact in a single thread, eventually exact across threads.
uint64_t malloc_counter_count(void);

#endif
