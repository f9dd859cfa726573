/*
 * What each message carries, so that every echoed byte can be checked without keeping a
 * copy of what was sent: message n of connection c is a 16-byte stamp ("ccccc" and
 * "nnnnnnnnnnn", c and n in lowercase hex) followed by bytes of one random pattern, read from
 * an offset that depends on c and n. An echo of the wrong message, of another connection's,
 * reordered, shortened or altered fails the comparison. With --text the pattern is printable
 * ASCII (valid UTF-8); otherwise it is any byte. Messages under 16 bytes carry the stamp's
 * first bytes only.
 *
 * A fan-out message is read by receivers that did not send it and must say when it was sent,
 * so its 16-byte stamp is binary instead: the publisher's sequence number and its send time
 * (CLOCK_MONOTONIC ns), each 64-bit little-endian; the pattern follows as above.
 */
#include <string.h>

#include "loadgen.h"

#define OFFSETS 61   /* distinct pattern offsets */

static uint8_t *pattern;  /* opt.size + OFFSETS bytes */

void payload_init(void) {
    size_t n = (size_t)opt.size + OFFSETS;
    pattern = xmalloc(n);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t r = ws_random();
        for (size_t j = 0; j < 8 && i + j < n; j++, r >>= 8)
            pattern[i + j] = opt.text ? (uint8_t)(0x21 + (r & 0xFF) % 94) : (uint8_t)r;
    }
}

static void stamp(uint8_t out[STAMP_LEN], int c, uint64_t n) {
    static const char hex[] = "0123456789abcdef";
    uint64_t v = (uint64_t)c;
    for (int i = 4; i >= 0; i--, v >>= 4) out[i] = (uint8_t)hex[v & 15];
    v = n;
    for (int i = STAMP_LEN - 1; i >= 5; i--, v >>= 4) out[i] = (uint8_t)hex[v & 15];
}

static const uint8_t *body(int c, uint64_t n) {
    return pattern + (n + (uint64_t)c * 7) % OFFSETS;  /* body byte p (p >= STAMP_LEN) is at [p] */
}

static size_t stamp_len(void) { return opt.size < STAMP_LEN ? (size_t)opt.size : STAMP_LEN; }

size_t payload_frame(uint8_t *out, int c, uint64_t n) {
    size_t size = (size_t)opt.size, sl = stamp_len();
    uint32_t key;
    size_t h = ws_client_header(out, opt.text ? 1 : 2, size, &key);
    uint8_t st[STAMP_LEN];
    stamp(st, c, n);
    ws_mask_copy(out + h, st, sl, key, 0);
    ws_mask_copy(out + h + sl, body(c, n) + sl, size - sl, key, sl);
    return h + size;
}

int payload_matches(int c, uint64_t n, uint64_t pos, const uint8_t *data, size_t len) {
    size_t sl = stamp_len();
    if (pos < sl) {
        uint8_t st[STAMP_LEN];
        stamp(st, c, n);
        size_t k = sl - (size_t)pos < len ? sl - (size_t)pos : len;
        if (memcmp(data, st + pos, k) != 0) return 0;
        data += k;
        pos += k;
        len -= k;
    }
    return len == 0 || memcmp(data, body(c, n) + pos, len) == 0;
}

static void put64(uint8_t *out, uint64_t v) {
    for (int i = 0; i < 8; i++, v >>= 8) out[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *in) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | in[i];
    return v;
}

size_t payload_fanout_frame(uint8_t *out, int c, uint64_t seq, uint64_t sent_ns) {
    size_t size = (size_t)opt.size;
    uint32_t key;
    size_t h = ws_client_header(out, 2, size, &key);
    uint8_t st[FANOUT_STAMP_LEN];
    put64(st, seq);
    put64(st + 8, sent_ns);
    ws_mask_copy(out + h, st, FANOUT_STAMP_LEN, key, 0);
    ws_mask_copy(out + h + FANOUT_STAMP_LEN, body(c, seq) + FANOUT_STAMP_LEN, size - FANOUT_STAMP_LEN, key, FANOUT_STAMP_LEN);
    return h + size;
}

void payload_fanout_stamp(const uint8_t stamp[FANOUT_STAMP_LEN], uint64_t *seq, uint64_t *sent_ns) {
    *seq = get64(stamp);
    *sent_ns = get64(stamp + 8);
}

int payload_fanout_matches(int c, uint64_t seq, uint64_t pos, const uint8_t *data, size_t len) {
    return len == 0 || memcmp(data, body(c, seq) + pos, len) == 0;
}
