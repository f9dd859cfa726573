/*
 * ceiling-echo: the least a WebSocket echo server can do per message, as a yardstick.
 *
 * One thread, level-triggered epoll, one read and at most one write per readable socket:
 * parse the upgrade request, answer 101, then unmask each client frame straight into the
 * output buffer as an unmasked server frame. It skips what a real server must do (UTF-8
 * checks, fragment rules, limits, pings, timeouts) and trusts its peer, so it is NOT a server
 * to use: it exists only so that Benchmarks/echo-compare.sh can show, in the same run, how
 * fast loadgen lets any server on this machine go. A figure near this one is the generator's
 * limit (and the kernel's), not the server's.
 *
 *   cc -O2 -o ceiling-echo ceiling-echo.c -lcrypto
 *   ceiling-echo --port PORT          (listens on 127.0.0.1; SIGTERM or SIGINT stops it)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { IN_CAP = 1 << 20 };

typedef struct {
    int fd, upgraded;
    unsigned char *in; size_t in_len;
    unsigned char *out; size_t out_len, out_cap, out_sent;
} conn;

static volatile sig_atomic_t stopping;
static void on_signal(int sig) { (void)sig; stopping = 1; }

static void out_reserve(conn *c, size_t more) {
    if (c->out_len + more <= c->out_cap) return;
    size_t cap = c->out_cap ? c->out_cap : 65536;
    while (cap < c->out_len + more) cap *= 2;
    c->out = realloc(c->out, cap);
    if (!c->out) { perror("realloc"); exit(1); }
    c->out_cap = cap;
}

static void out_put(conn *c, const void *p, size_t n) {
    out_reserve(c, n);
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}

/* Answers the upgrade request at the start of c->in; returns bytes used, 0 when incomplete, -1 on error. */
static long handshake(conn *c) {
    unsigned char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!end) return c->in_len > 16384 ? -1 : 0;
    size_t head = (size_t)(end - c->in) + 4;
    char *key = NULL; size_t key_len = 0;
    for (char *line = (char *)c->in; line < (char *)end;) {
        char *eol = memmem(line, (size_t)((char *)end + 2 - line), "\r\n", 2);
        if (!eol) break;
        if ((size_t)(eol - line) > 18 && strncasecmp(line, "Sec-WebSocket-Key:", 18) == 0) {
            key = line + 18;
            while (*key == ' ') key++;
            key_len = (size_t)(eol - key);
        }
        line = eol + 2;
    }
    if (!key || key_len > 64) return -1;
    char material[128];
    memcpy(material, key, key_len);
    memcpy(material + key_len, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
    unsigned char digest[EVP_MAX_MD_SIZE]; unsigned digest_len = 0;
    EVP_Digest(material, key_len + 36, digest, &digest_len, EVP_sha1(), NULL);
    unsigned char accept[64];
    EVP_EncodeBlock(accept, digest, (int)digest_len);
    char reply[256];
    int n = snprintf(reply, sizeof reply,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
    out_put(c, reply, (size_t)n);
    c->upgraded = 1;
    return (long)head;
}

/* Echoes every whole frame at the start of c->in; returns bytes used, or -1 to hang up. */
static long echo_frames(conn *c) {
    size_t at = 0;
    while (c->in_len - at >= 2) {
        unsigned char *f = c->in + at;
        size_t avail = c->in_len - at, hdr = 2, len = f[1] & 0x7f;
        if (!(f[1] & 0x80)) return -1; /* clients mask */
        if (len == 126) { if (avail < 4) break; len = (size_t)f[2] << 8 | f[3]; hdr = 4; }
        else if (len == 127) {
            if (avail < 10) break;
            len = 0;
            for (int i = 2; i < 10; i++) len = len << 8 | f[i];
            hdr = 10;
        }
        if (len > IN_CAP / 2) return -1;
        if (avail < hdr + 4 + len) break;
        const unsigned char *mask = f + hdr, *payload = f + hdr + 4;
        unsigned opcode = f[0] & 0x0f;
        if (opcode != 0x9 && opcode != 0xA) { /* pings and pongs are not echoed */
            unsigned char out_hdr[10]; size_t oh = 2;
            out_hdr[0] = f[0];
            if (len < 126) out_hdr[1] = (unsigned char)len;
            else if (len < 65536) { out_hdr[1] = 126; out_hdr[2] = (unsigned char)(len >> 8); out_hdr[3] = (unsigned char)len; oh = 4; }
            else { out_hdr[1] = 127; for (int i = 0; i < 8; i++) out_hdr[2 + i] = (unsigned char)(len >> (56 - 8 * i)); oh = 10; }
            out_put(c, out_hdr, oh);
            out_reserve(c, len);
            unsigned char *dst = c->out + c->out_len;
            uint32_t m32; memcpy(&m32, mask, 4);
            uint64_t m64 = (uint64_t)m32 << 32 | m32;
            size_t i = 0;
            for (; i + 8 <= len; i += 8) { uint64_t w; memcpy(&w, payload + i, 8); w ^= m64; memcpy(dst + i, &w, 8); }
            for (; i < len; i++) dst[i] = payload[i] ^ mask[i & 3];
            c->out_len += len;
        }
        at += hdr + 4 + len;
        if (opcode == 0x8) return -1; /* the close is echoed; hang up after the write */
    }
    return (long)at;
}

/* Writes what is buffered: 1 when all of it went, 0 when the socket is full, -1 on error. */
static int flush_out(conn *c) {
    while (c->out_sent < c->out_len) {
        ssize_t n = write(c->fd, c->out + c->out_sent, c->out_len - c->out_sent);
        if (n < 0) return errno == EAGAIN ? 0 : -1;
        c->out_sent += (size_t)n;
    }
    c->out_len = c->out_sent = 0;
    return 1;
}

static void watch(int ep, conn *c, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void drop(int ep, conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in); free(c->out); free(c);
}

/* One readable socket: a read, every whole frame echoed, one write. */
static void on_readable(int ep, conn *c) {
    ssize_t got = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
    if (got < 0 && errno == EAGAIN) return;
    if (got <= 0) { drop(ep, c); return; }
    c->in_len += (size_t)got;
    int closing = 0;
    for (;;) {
        int was_upgraded = c->upgraded;
        long used = was_upgraded ? echo_frames(c) : handshake(c);
        if (used < 0) { closing = 1; break; }
        memmove(c->in, c->in + used, c->in_len - (size_t)used);
        c->in_len -= (size_t)used;
        if (was_upgraded || !c->upgraded) break; /* else: frames right behind the request */
    }
    int r = flush_out(c);
    if (closing || r < 0) drop(ep, c);
    else if (r == 0) watch(ep, c, EPOLLOUT);
}

int main(int argc, char **argv) {
    int port = 0;
    for (int i = 1; i + 1 < argc; i++) if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
    if (port <= 0 || port > 65535) { fprintf(stderr, "usage: ceiling-echo --port PORT\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) || listen(lfd, 1024)) { perror("ceiling-echo: listen"); return 1; }
    int ep = epoll_create1(0);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);

    struct epoll_event events[256];
    while (!stopping) {
        int n = epoll_wait(ep, events, 256, 200);
        for (int i = 0; i < n; i++) {
            conn *c = events[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conn *nc = calloc(1, sizeof *nc);
                    if (!nc || !(nc->in = malloc(IN_CAP))) { perror("ceiling-echo: malloc"); exit(1); }
                    nc->fd = fd;
                    struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
            } else if (events[i].events & EPOLLOUT) {
                int r = flush_out(c);
                if (r < 0) drop(ep, c);
                else if (r > 0) watch(ep, c, EPOLLIN);
            } else {
                on_readable(ep, c);
            }
        }
    }
    return 0;
}
