// The system's zlib (Debian: zlib1g-dev), as WSDeflate uses it. deflateInit2 and inflateInit2
// are macros, which Swift cannot import: each has an inline function here. Both streams
// allocate through ws_zalloc, which counts the bytes a stream holds, so that a connection's
// compression memory can be read (PerMessageDeflate.memoryInUse) rather than guessed.
#ifndef WS_CZLIB_SHIM_H
#define WS_CZLIB_SHIM_H

#include <stdlib.h>
#include <zlib.h>

/// Each allocation carries its size in front, so that ws_zfree can subtract it.
static voidpf ws_zalloc(voidpf counter, uInt items, uInt size) {
    size_t bytes = (size_t)items * (size_t)size;
    size_t *block = (size_t *)malloc(bytes + 16);
    if (block == NULL) return Z_NULL;
    block[0] = bytes;
    *(size_t *)counter += bytes;
    return (char *)block + 16;
}

static void ws_zfree(voidpf counter, voidpf address) {
    if (address == Z_NULL) return;
    size_t *block = (size_t *)((char *)address - 16);
    *(size_t *)counter -= block[0];
    free(block);
}

static inline void ws_count_allocations(z_streamp stream, size_t *counter) {
    stream->zalloc = ws_zalloc;
    stream->zfree = ws_zfree;
    stream->opaque = counter;
}

/// Raw deflate (no zlib header): negative window bits, as RFC 7692 asks. `counter` (may not
/// be NULL) receives the bytes the stream allocates.
static inline int ws_deflateInit2(z_streamp stream, int level, int windowBits, int memLevel, size_t *counter) {
    ws_count_allocations(stream, counter);
    return deflateInit2(stream, level, Z_DEFLATED, -windowBits, memLevel, Z_DEFAULT_STRATEGY);
}

/// Raw inflate (no zlib header); `counter` as for ws_deflateInit2.
static inline int ws_inflateInit2(z_streamp stream, int windowBits, size_t *counter) {
    ws_count_allocations(stream, counter);
    return inflateInit2(stream, -windowBits);
}

#endif
