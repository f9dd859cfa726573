// The system's zlib (Debian: zlib1g-dev), as WSDeflate uses it. deflateInit2 and inflateInit2
// are macros, which Swift cannot import: each has an inline function here.
#ifndef WS_CZLIB_SHIM_H
#define WS_CZLIB_SHIM_H

#include <zlib.h>

/// Raw deflate (no zlib header): negative window bits, as RFC 7692 asks.
static inline int ws_deflateInit2(z_streamp stream, int level, int windowBits, int memLevel) {
    return deflateInit2(stream, level, Z_DEFLATED, -windowBits, memLevel, Z_DEFAULT_STRATEGY);
}

/// Raw inflate (no zlib header).
static inline int ws_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, -windowBits);
}

#endif
