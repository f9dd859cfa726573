/*
 * The WebSocket client's side of RFC 6455 that loadgen needs: the opening handshake (a random
 * key, the expected Sec-WebSocket-Accept, the check of the 101 answer), client frames with a
 * random masking key each, SHA-1 (FIPS 180-4) and base64 for the accept value.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "loadgen.h"

/* ------------------------------------------------------------ randomness */

/* Masking keys and handshake keys come from SplitMix64 seeded from the kernel's getrandom():
   unpredictable to the server, and cheap enough for a key per frame at millions of frames
   per second (a getrandom() call per frame would cost the generator more than framing). */
static uint64_t random_state;

void ws_random_seed(void) {
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed) seed = now_ns() * 0x9E3779B97F4A7C15ull;
    random_state = seed;
}

uint64_t ws_random(void) {
    uint64_t z = (random_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ------------------------------------------------------------------ SHA-1 */

static uint32_t rotl(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

static void sha1_compress(uint32_t state[5], const uint8_t block[64]) {
    uint32_t w[80];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)block[t * 4] << 24 | (uint32_t)block[t * 4 + 1] << 16 | (uint32_t)block[t * 4 + 2] << 8 | block[t * 4 + 3];
    for (int t = 16; t < 80; t++) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t v[5];
    memcpy(v, state, sizeof v);
    for (int t = 0; t < 80; t++) {
        uint32_t f;
        if (t < 20) f = ((v[1] & v[2]) | (~v[1] & v[3])) + 0x5A827999u;
        else if (t < 40) f = (v[1] ^ v[2] ^ v[3]) + 0x6ED9EBA1u;
        else if (t < 60) f = ((v[1] & v[2]) ^ (v[1] & v[3]) ^ (v[2] & v[3])) + 0x8F1BBCDCu;
        else f = (v[1] ^ v[2] ^ v[3]) + 0xCA62C1D6u;
        uint32_t next = rotl(v[0], 5) + f + v[4] + w[t];
        v[4] = v[3];
        v[3] = v[2];
        v[2] = rotl(v[1], 30);
        v[1] = v[0];
        v[0] = next;
    }
    for (int i = 0; i < 5; i++) state[i] += v[i];
}

void ws_sha1(const uint8_t *data, size_t len, uint8_t digest[20]) {
    uint32_t state[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    size_t whole = len - len % 64;
    for (size_t off = 0; off < whole; off += 64) sha1_compress(state, data + off);
    /* The padded tail: the rest, 0x80, zeros, and the length in bits (big-endian): 1 or 2 blocks. */
    uint8_t last[128];
    size_t rest = len - whole, blocks = rest < 56 ? 1 : 2;
    memset(last, 0, sizeof last);
    memcpy(last, data + whole, rest);
    last[rest] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) last[blocks * 64 - 1 - i] = (uint8_t)(bits >> (i * 8));
    for (size_t b = 0; b < blocks; b++) sha1_compress(state, last + b * 64);
    for (int i = 0; i < 20; i++) digest[i] = (uint8_t)(state[i / 4] >> (24 - 8 * (i % 4)));
}

void ws_base64(const uint8_t *in, size_t len, char *out) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t g = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        for (int k = 3; k >= 0; k--) out[o++] = alphabet[(g >> (6 * k)) & 63];
    }
    if (len - i == 1) {
        uint32_t g = (uint32_t)in[i] << 16;
        out[o++] = alphabet[g >> 18];
        out[o++] = alphabet[(g >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (len - i == 2) {
        uint32_t g = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alphabet[g >> 18];
        out[o++] = alphabet[(g >> 12) & 63];
        out[o++] = alphabet[(g >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = 0;
}

/* ------------------------------------------------------------- handshake */

void ws_accept_for_key(const char *key, char accept[WS_ACCEPT_LEN + 1]) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char joined[WS_KEY_LEN + sizeof guid];
    size_t klen = strlen(key);
    memcpy(joined, key, klen);
    memcpy(joined + klen, guid, sizeof guid - 1);
    uint8_t digest[20];
    ws_sha1((const uint8_t *)joined, klen + sizeof guid - 1, digest);
    ws_base64(digest, 20, accept);
}

int ws_handshake_request(char *out, size_t cap, const char *host, int port, const char *path, char accept[WS_ACCEPT_LEN + 1]) {
    uint8_t nonce[16];
    uint64_t a = ws_random(), b = ws_random();
    memcpy(nonce, &a, 8);
    memcpy(nonce + 8, &b, 8);
    char key[WS_KEY_LEN + 1];
    ws_base64(nonce, sizeof nonce, key);
    ws_accept_for_key(key, accept);
    return snprintf(out, cap,
                    "GET %s HTTP/1.1\r\n"
                    "Host: %s:%d\r\n"
                    "Upgrade: websocket\r\n"
                    "Connection: Upgrade\r\n"
                    "Sec-WebSocket-Key: %s\r\n"
                    "Sec-WebSocket-Version: 13\r\n"
                    "User-Agent: WebSockets-for-Swift-loadgen\r\n"
                    "\r\n",
                    path, host, port, key);
}

/* Does the comma-separated header value v (length n) hold token, case-insensitively? */
static int has_token(const char *v, size_t n, const char *token) {
    size_t tl = strlen(token), i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        size_t start = i;
        while (i < n && v[i] != ',') i++;
        size_t end = i;
        while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t')) end--;
        if (end - start == tl && strncasecmp(v + start, token, tl) == 0) return 1;
    }
    return 0;
}

#define HANDSHAKE_MAX 16384

int ws_handshake_response(const uint8_t *buf, size_t len, const char *accept, size_t *hlen, const char **why) {
    const uint8_t *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end) {
        if (len > HANDSHAKE_MAX) { *why = "the answer's header is over 16 KiB"; return -1; }
        return 0;
    }
    *hlen = (size_t)(end - buf) + 4;
    const char *p = (const char *)buf, *stop = (const char *)end;
    const char *eol = memmem(p, (size_t)(stop - p) + 2, "\r\n", 2);
    if (eol - p < 12 || memcmp(p, "HTTP/1.1 101", 12) != 0 || (eol - p > 12 && p[12] != ' ')) {
        *why = "the status is not 101";
        return -1;
    }
    int upgrade = 0, connection = 0, accepted = 0;
    for (p = eol + 2; p < stop; p = eol + 2) {
        eol = memmem(p, (size_t)(stop - p) + 2, "\r\n", 2);
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (!colon) { *why = "a header line has no colon"; return -1; }
        size_t nlen = (size_t)(colon - p);
        const char *v = colon + 1;
        while (v < eol && (*v == ' ' || *v == '\t')) v++;
        size_t vlen = (size_t)(eol - v);
        while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t')) vlen--;
#define NAMED(s) (nlen == sizeof(s) - 1 && strncasecmp(p, s, nlen) == 0)
        if (NAMED("Upgrade")) upgrade = has_token(v, vlen, "websocket");
        else if (NAMED("Connection")) connection = has_token(v, vlen, "upgrade");
        else if (NAMED("Sec-WebSocket-Accept")) {
            if (accepted || vlen != WS_ACCEPT_LEN || memcmp(v, accept, WS_ACCEPT_LEN) != 0) {
                *why = "Sec-WebSocket-Accept is not the key's";
                return -1;
            }
            accepted = 1;
        } else if (NAMED("Sec-WebSocket-Extensions") && vlen) {
            *why = "the server chose an extension that was not offered";
            return -1;
        } else if (NAMED("Sec-WebSocket-Protocol") && vlen) {
            *why = "the server chose a subprotocol that was not offered";
            return -1;
        }
#undef NAMED
    }
    if (!upgrade) { *why = "no 'Upgrade: websocket'"; return -1; }
    if (!connection) { *why = "no 'Connection: upgrade'"; return -1; }
    if (!accepted) { *why = "no Sec-WebSocket-Accept"; return -1; }
    return 1;
}

/* ----------------------------------------------------------------- frames */

size_t ws_client_frame_bound(size_t len) { return len + 14; }

size_t ws_client_header(uint8_t *out, int opcode, size_t len, uint32_t *key) {
    size_t h = 0;
    out[h++] = (uint8_t)(0x80 | opcode);  /* FIN, no RSV bits */
    if (len <= 125) {
        out[h++] = (uint8_t)(0x80 | len);
    } else if (len <= 0xFFFF) {
        out[h++] = 0x80 | 126;
        out[h++] = (uint8_t)(len >> 8);
        out[h++] = (uint8_t)len;
    } else {
        out[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--) out[h++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    *key = (uint32_t)ws_random();  /* a fresh key for every frame */
    memcpy(out + h, key, 4);       /* its bytes in memory order are the bytes on the wire */
    return h + 4;
}

void ws_mask_copy(uint8_t *out, const uint8_t *in, size_t len, uint32_t key, size_t offset) {
    uint8_t k[8];
    for (int j = 0; j < 8; j++) k[j] = ((const uint8_t *)&key)[(offset + (size_t)j) & 3];
    uint64_t wide;
    memcpy(&wide, k, 8);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, in + i, 8);
        w ^= wide;
        memcpy(out + i, &w, 8);
    }
    for (; i < len; i++) out[i] = in[i] ^ k[i & 7];
}

size_t ws_client_frame(uint8_t *out, int opcode, const uint8_t *payload, size_t len) {
    uint32_t key;
    size_t h = ws_client_header(out, opcode, len, &key);
    ws_mask_copy(out + h, payload, len, key, 0);
    return h + len;
}
