/*
 * One client connection: connect, upgrade, send messages, and read the server's frames as
 * they arrive, checking each echoed message against what was sent.
 *
 * Reads go into one buffer shared by every connection (there is one thread), and the frame
 * parser consumes them at once: it keeps only a frame's header and a control frame's payload,
 * and compares a data frame's payload with what the message carried while it streams past.
 * A connection's memory is therefore its outbound buffer and a few hundred bytes.
 *
 * In fanout mode (fanout.c) the receivers' messages come from the publisher, not from
 * themselves: their bytes are checked, and their order and timing kept, there.
 *
 * In connect mode a connection is a slot that cycles: connect, upgrade, --rounds echoes one
 * at a time, a close frame, and the server's answer; then scenario.c resets it and starts the
 * next. What is timed is from connect() to the upgrade's answer (or to the last echo).
 *
 * With --tls a connection is wss: after the TCP connect, SSL_connect's handshake (C_TLS) on a
 * non-blocking SSL over the socket, and from then on every byte goes through io_send and
 * io_recv (SSL_write, SSL_read), whose blocking is mapped onto the epoll interest: OpenSSL
 * may want the socket readable to write, or writable to read.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "loadgen.h"

struct conn *conns;
int conn_count;
int epoll_fd = -1;
uint64_t ring_mask;
struct counters stats;

static struct sockaddr_in targets[MAX_PORTS];  /* one per opt.ports */
static uint8_t inbound[256 * 1024];
static SSL_CTX *tls_ctx;   /* --tls: one for the run; each connection's SSL is made from it */

/* At most this many lines about single failures go to stderr; the counters have the rest. */
static int complaints_left = 12;

static void complain(const struct conn *c, const char *what, const char *detail) {
    if (complaints_left <= 0) return;
    if (--complaints_left == 0) {
        warn("more connection errors follow; only their counts are reported");
        return;
    }
    warn("connection %d: %s%s%s", c->index, what, detail ? ": " : "", detail ? detail : "");
}

/* ------------------------------------------------------------------- TLS */

/* OpenSSL's reason for the failure just met, from its error queue (which it leaves empty, so
 * that SSL_get_error reads the next call right), and the certificate check's verdict. */
static const char *tls_reason(const struct conn *c) {
    static char why[320];
    unsigned long e = ERR_get_error();
    if (e) ERR_error_string_n(e, why, sizeof why);
    else snprintf(why, sizeof why, "%s", errno ? strerror(errno) : "the server closed the connection");
    ERR_clear_error();
    long v = c && c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;
    if (v != X509_V_OK) {
        size_t l = strlen(why);
        snprintf(why + l, sizeof why - l, " (%s)", X509_verify_cert_error_string(v));
    }
    return why;
}

static void tls_init(void) {
    tls_ctx = SSL_CTX_new(TLS_client_method());
    if (!tls_ctx) fatal("--tls: SSL_CTX_new: %s", tls_reason(NULL));
    /* Writes as send() does (a part, its count), and retries from a buffer that reserve() may
     * have moved (the same bytes at its start). */
    SSL_CTX_set_mode(tls_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    /* A TCP close without close_notify reads as a close, as it does without --tls: the
     * WebSocket's own close frames say whether the stream ended where it should. */
    SSL_CTX_set_options(tls_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    if (!opt.tls_ca) {
        SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);  /* --tls-insecure */
        return;
    }
    if (SSL_CTX_load_verify_locations(tls_ctx, opt.tls_ca, NULL) != 1)
        fatal("--tls-ca %s: %s", opt.tls_ca, tls_reason(NULL));
    SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_PEER, NULL);
    /* The certificate must name --server-name: a DNS name, or an IP address (its SAN). */
    X509_VERIFY_PARAM *param = SSL_CTX_get0_param(tls_ctx);
    struct in_addr ip;
    int ok = inet_pton(AF_INET, opt.server_name, &ip) == 1 ? X509_VERIFY_PARAM_set1_ip_asc(param, opt.server_name)
                                                           : X509_VERIFY_PARAM_set1_host(param, opt.server_name, 0);
    if (ok != 1) fatal("--server-name %s: %s", opt.server_name, tls_reason(NULL));
}

/* send() and recv() for c, through its SSL with --tls. Like them they return a count, 0 (recv:
 * the server closed), or -1 with errno; EAGAIN when blocked, and then *wants_write says
 * whether to wait for the socket to be writable (else readable); EPROTO for a TLS failure,
 * OpenSSL's reason in *why. */
static ssize_t tls_blocked(struct conn *c, int r, int *wants_write, const char **why) {
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        *wants_write = e == SSL_ERROR_WANT_WRITE;
        errno = EAGAIN;
        return -1;
    }
    if (e == SSL_ERROR_ZERO_RETURN) return 0;  /* close_notify */
    if (e == SSL_ERROR_SYSCALL && !ERR_peek_error()) {  /* the socket's own failure, or (OpenSSL 1.1) its EOF */
        if (!errno) return 0;
        *why = strerror(errno);
        return -1;
    }
    *why = tls_reason(c);
    errno = EPROTO;
    return -1;
}

static ssize_t io_send(struct conn *c, const uint8_t *p, size_t n, int *wants_write, const char **why) {
    if (!c->ssl) {
        ssize_t r = send(c->fd, p, n, MSG_NOSIGNAL);
        *wants_write = 1;
        if (r < 0) *why = strerror(errno);
        return r;
    }
    errno = 0;
    int r = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
    return r > 0 ? r : tls_blocked(c, r, wants_write, why);
}

static ssize_t io_recv(struct conn *c, uint8_t *p, size_t n, int *wants_write, const char **why) {
    if (!c->ssl) {
        ssize_t r = recv(c->fd, p, n, 0);
        *wants_write = 0;
        if (r < 0) *why = strerror(errno);
        return r;
    }
    errno = 0;
    int r = SSL_read(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
    return r > 0 ? r : tls_blocked(c, r, wants_write, why);
}

void conns_init(void) {
    struct in_addr address;
    const char *host = strcmp(opt.host, "localhost") == 0 ? "127.0.0.1" : opt.host;
    if (inet_pton(AF_INET, host, &address) != 1)
        fatal("--host must be an IPv4 address in 127.0.0.0/8 or localhost, not '%s'", opt.host);
    if ((ntohl(address.s_addr) >> 24) != 127)
        fatal("refusing %s: loadgen drives loopback servers only (127.0.0.0/8)", opt.host);
    for (int p = 0; p < opt.nports; p++) {
        memset(&targets[p], 0, sizeof targets[p]);
        targets[p].sin_family = AF_INET;
        targets[p].sin_port = htons((uint16_t)opt.ports[p]);
        targets[p].sin_addr = address;
    }

    if (opt.tls) tls_init();
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) fatal("epoll_create1: %s", strerror(errno));
    uint64_t ring = 1;
    while (ring < (uint64_t)opt.depth) ring <<= 1;
    ring_mask = ring - 1;
    /* Fanout: the publisher is one more connection, the last, on the first port. */
    conn_count = opt.conns + (opt.mode == MODE_FANOUT);
    conns = calloc((size_t)conn_count, sizeof *conns);
    uint64_t *times = calloc((size_t)conn_count * ring, sizeof *times);
    if (!conns || !times) fatal("out of memory for %d connections", conn_count);
    for (int i = 0; i < conn_count; i++) {
        conns[i].index = i;
        conns[i].fd = -1;
        conns[i].sent_at = times + (size_t)i * ring;
        conns[i].node = i < opt.conns ? i % opt.nports : 0;
    }
}

static void watch(struct conn *c, int op, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(epoll_fd, op, c->fd, &ev) < 0) fatal("epoll_ctl: %s", strerror(errno));
}

void conn_drop(struct conn *c) {
    if (c->state == C_DEAD || c->state == C_UNUSED) return;
    if (c->state == C_OPEN) stats.open--;
    if (c->state == C_CONNECTING || c->state == C_TLS || c->state == C_HANDSHAKE) {
        stats.setup_done++;
        stats.connecting--;
    }
    SSL_free(c->ssl);  /* no close_notify: the close frames ended the stream, or it failed */
    c->ssl = NULL;
    c->read_wants_write = 0;
    close(c->fd);  /* also removes it from the epoll set */
    stats.drops++;
    c->fd = -1;
    c->state = C_DEAD;
    free(c->hs);
    c->hs = NULL;
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_sent = c->out_cap = 0;
}

void conn_reset(struct conn *c) {
    conn_drop(c);
    struct conn fresh = {.index = c->index, .fd = -1, .state = C_UNUSED, .sent_at = c->sent_at, .node = c->node};
    *c = fresh;
}

static void fail(struct conn *c, uint64_t *counter, const char *what, const char *detail) {
    if (c->state == C_DEAD) return;
    if (counter) (*counter)++;
    complain(c, what, detail);
    conn_drop(c);
}

int conn_start(struct conn *c) {
    c->started = now_ns();
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        stats.conn_failures++;
        stats.setup_done++;
        c->state = C_DEAD;
        complain(c, "socket", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (opt.sources > 0) {
        /* Port 0 and IP_BIND_ADDRESS_NO_PORT: the kernel picks the port at connect, free for
         * this source, server address and port (not a port free for every destination). */
        setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        struct sockaddr_in source = {.sin_family = AF_INET};
        source.sin_addr.s_addr = htonl((127u << 24) | (1u << 8) | (uint32_t)(1 + c->index % opt.sources));
        if (bind(c->fd, (struct sockaddr *)&source, sizeof source) < 0) {
            stats.conn_failures++;
            stats.setup_done++;
            close(c->fd);
            c->fd = -1;
            c->state = C_DEAD;
            complain(c, "bind to the source address", strerror(errno));
            return -1;
        }
    }
    c->state = C_CONNECTING;
    stats.connecting++;
    if (connect(c->fd, (struct sockaddr *)&targets[c->node], sizeof targets[c->node]) < 0 && errno != EINPROGRESS) {
        fail(c, &stats.conn_failures, "connect", strerror(errno));
        return -1;
    }
    watch(c, EPOLL_CTL_ADD, EPOLLOUT);
    return 0;
}

int conn_open_count(void) { return stats.open; }

/* ---------------------------------------------------------------- output */

/* Room for n more bytes at out + out_len. */
static uint8_t *reserve(struct conn *c, size_t n) {
    if (c->out_sent == c->out_len) c->out_sent = c->out_len = 0;
    if (c->out_len + n > c->out_cap && c->out_sent > 0) {
        memmove(c->out, c->out + c->out_sent, c->out_len - c->out_sent);
        c->out_len -= c->out_sent;
        c->out_sent = 0;
    }
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 512;
        while (cap < c->out_len + n) cap *= 2;
        c->out = xrealloc(c->out, cap);
        c->out_cap = cap;
    }
    return c->out + c->out_len;
}

/* on: the output waits for the socket to be writable. An SSL_read that does is one more reason. */
static void set_writable_wait(struct conn *c, int on) {
    on = on || c->read_wants_write;
    if (c->writable_wait == on) return;
    c->writable_wait = on;
    watch(c, EPOLL_CTL_MOD, EPOLLIN | (on ? EPOLLOUT : 0));
}

void conn_flush(struct conn *c) {
    while (c->state != C_DEAD && c->out_sent < c->out_len) {
        int wants_write = 1;
        const char *why = "wrote nothing";
        ssize_t n = io_send(c, c->out + c->out_sent, c->out_len - c->out_sent, &wants_write, &why);
        if (n > 0) {
            c->out_sent += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* An SSL_write that wants to read first is retried after the next read
               (conn_event); EPOLLOUT then would only spin. */
            set_writable_wait(c, wants_write);
            return;
        } else if (c->state == C_CLOSING) {
            conn_drop(c);  /* the server went first; our close frame is moot */
            return;
        } else {
            fail(c, c->state == C_HANDSHAKE ? &stats.handshake_failures : &stats.io_errors, "write", why);
            return;
        }
    }
    if (c->state != C_DEAD) {
        c->out_sent = c->out_len = 0;
        set_writable_wait(c, 0);
    }
}

void conn_send_message(struct conn *c, uint64_t now) {
    uint8_t *at = reserve(c, ws_client_frame_bound((size_t)opt.size));
    c->out_len += payload_frame(at, c->index, c->sent);
    c->sent_at[c->sent & ring_mask] = now;
    c->sent++;
    stats.sent++;
}

static void send_control(struct conn *c, int opcode, const uint8_t *payload, size_t len) {
    uint8_t *at = reserve(c, ws_client_frame_bound(len));
    c->out_len += ws_client_frame(at, opcode, payload, len);
}

void conn_begin_close(struct conn *c) {
    if (c->state != C_OPEN) return;
    static const uint8_t normal[2] = {0x03, 0xE8};  /* 1000 */
    send_control(c, 0x8, normal, 2);
    c->state = C_CLOSING;
    stats.open--;
    conn_flush(c);
}

/* ----------------------------------------------------------------- input */

/* Connect mode: the connection is upgraded and has had its --rounds echoes; it closes. */
static void cycle_done(struct conn *c, uint64_t now) {
    stats.cycles++;
    if (stats.measuring) {
        samples_add(now - c->started);
        stats.measured++;
    }
    conn_begin_close(c);
}

static void message_done(struct conn *c, uint64_t now) {
    int bad = c->msg_bad || c->msg_len != (uint64_t)opt.size;
    if (opt.mode == MODE_FANOUT) {
        fanout_message(c, bad, now);
        c->msg_op = 0;
        return;
    }
    if (c->echoed >= c->sent) {
        stats.unexpected++;
        stats.mismatches++;
        complain(c, "a data message arrived with none in flight", NULL);
        c->msg_op = 0;
        return;
    }
    if (bad) {
        stats.mismatches++;
        char detail[160];
        snprintf(detail, sizeof detail, "opcode %d, %llu bytes%s; sent opcode %d, %ld bytes", c->msg_op,
                 (unsigned long long)c->msg_len, c->msg_bad ? ", content differs" : "", opt.text ? 1 : 2, opt.size);
        char what[64];
        snprintf(what, sizeof what, "echo of message %llu differs", (unsigned long long)c->echoed);
        complain(c, what, detail);
    }
    if (stats.measuring && c->state == C_OPEN && opt.mode != MODE_CONNECT) {
        samples_add(now - c->sent_at[c->echoed & ring_mask]);
        stats.measured++;
    }
    c->echoed++;
    stats.echoed++;
    c->msg_op = 0;
    if (opt.mode == MODE_CONNECT && c->state == C_OPEN) {
        if (c->echoed < (uint64_t)opt.rounds) conn_send_message(c, now);
        else cycle_done(c, now);
        return;
    }
    if (stats.refill && c->state == C_OPEN && (!opt.max_msgs || stats.sent < opt.max_msgs)) conn_send_message(c, now);
}

/* A frame's header is complete in c->head: check it and start the frame. 0 if the connection failed. */
static int frame_begins(struct conn *c) {
    const uint8_t *h = c->head;
    int op = h[0] & 0x0F, fin = (h[0] & 0x80) != 0;
    uint64_t len = h[1] & 0x7F;
    if (len == 126) len = (uint64_t)h[2] << 8 | h[3];
    else if (len == 127) {
        len = 0;
        for (int i = 2; i < 10; i++) len = len << 8 | h[i];
    }
    const char *bad = NULL;
    if (h[0] & 0x70) bad = "a frame has RSV bits set, and no extension was agreed";
    else if (h[1] & 0x80) bad = "a server frame is masked";
    else if (len >> 63) bad = "a frame's 64-bit length has its top bit set";
    else if (op >= 8) {
        if (op > 10) bad = "a frame has a reserved control opcode";
        else if (!fin) bad = "a control frame is fragmented";
        else if (len > 125) bad = "a control frame is over 125 bytes";
    } else if (op == 0) {
        if (!c->msg_op) bad = "a continuation frame arrived outside a message";
    } else if (op <= 2) {
        if (c->msg_op) bad = "a new data message began inside a fragmented one";
    } else {
        bad = "a frame has a reserved data opcode";
    }
    if (bad) {
        fail(c, &stats.proto_errors, bad, NULL);
        return 0;
    }
    if (op == 1 || op == 2) {
        c->msg_op = op;
        c->msg_len = 0;
        c->msg_bad = op != (opt.text ? 1 : 2);
    }
    c->frame_op = op;
    c->frame_fin = fin;
    c->frame_left = len;
    c->ctl_len = 0;
    c->head_len = 0;
    return 1;
}

/* The current frame's payload is complete. 0 if the connection is gone. */
static int frame_ends(struct conn *c, uint64_t now) {
    switch (c->frame_op) {
    case 0x8: {
        if (c->state == C_CLOSING) {  /* the answer to our close */
            conn_drop(c);
            return 0;
        }
        char code[32] = "no code";
        if (c->ctl_len >= 2) snprintf(code, sizeof code, "code %d", c->ctl[0] << 8 | c->ctl[1]);
        fail(c, &stats.server_closes, "the server sent a close frame", code);
        return 0;
    }
    case 0x9:
        stats.pings++;
        if (c->state == C_OPEN) send_control(c, 0xA, c->ctl, (size_t)c->ctl_len);
        return 1;
    case 0xA:
        return 1;
    default:
        if (c->frame_fin) message_done(c, now);
        return 1;
    }
}

static int header_needs(const struct conn *c) {
    if (c->head_len < 2) return 2;
    int n = 2 + ((c->head[1] & 0x7F) == 126 ? 2 : (c->head[1] & 0x7F) == 127 ? 8 : 0);
    return n + ((c->head[1] & 0x80) ? 4 : 0);
}

/* Consumes n bytes of the server's frames. */
static void parse(struct conn *c, const uint8_t *p, size_t n, uint64_t now) {
    while (c->state == C_OPEN || c->state == C_CLOSING) {
        if (c->frame_left == 0 && c->frame_op < 0) {  /* between frames: reading a header */
            if (n == 0) return;
            int need;
            while ((need = header_needs(c)) > c->head_len && n > 0) {
                size_t k = (size_t)(need - c->head_len) < n ? (size_t)(need - c->head_len) : n;
                memcpy(c->head + c->head_len, p, k);
                c->head_len += (int)k;
                p += k;
                n -= k;
            }
            if (header_needs(c) > c->head_len) return;
            if (!frame_begins(c)) return;
        }
        if (c->frame_left > 0) {
            if (n == 0) return;
            size_t k = c->frame_left < n ? (size_t)c->frame_left : n;
            if (c->frame_op >= 8) {
                memcpy(c->ctl + c->ctl_len, p, k);
                c->ctl_len += (int)k;
            } else if (!c->msg_bad) {
                uint64_t room = c->msg_len < (uint64_t)opt.size ? (uint64_t)opt.size - c->msg_len : 0;
                size_t check = k < room ? k : (size_t)room;
                int same = opt.mode == MODE_FANOUT ? fanout_payload(c, c->msg_len, p, check)
                                                   : payload_matches(c->index, c->echoed, c->msg_len, p, check);
                if (check < k || !same) c->msg_bad = 1;
            }
            if (c->frame_op < 8) c->msg_len += k;
            c->frame_left -= k;
            p += k;
            n -= k;
            if (c->frame_left > 0) return;
        }
        if (!frame_ends(c, now)) return;
        c->frame_op = -1;
    }
}

/* Reads the handshake's answer; returns how many of the n bytes it used, or -1 if it failed. */
static long handshake_input(struct conn *c, const uint8_t *p, size_t n) {
    size_t before = c->hs_len;
    c->hs = xrealloc(c->hs, before + n + 1);
    memcpy(c->hs + before, p, n);
    c->hs_len += n;
    size_t hlen = 0;
    const char *why = NULL;
    int r = ws_handshake_response(c->hs, c->hs_len, c->accept, &hlen, &why);
    if (r == 0) return (long)n;
    if (r < 0) {
        char first[120];
        size_t l = 0;
        for (; l < c->hs_len && l < sizeof first - 1 && c->hs[l] != '\r' && c->hs[l] != '\n'; l++)
            first[l] = (char)((c->hs[l] >= 0x20 && c->hs[l] < 0x7f) ? c->hs[l] : '?');
        first[l] = 0;
        char detail[200];
        snprintf(detail, sizeof detail, "%s (answer began '%s')", why, first);
        fail(c, &stats.handshake_failures, "bad handshake", detail);
        return -1;
    }
    free(c->hs);
    c->hs = NULL;
    c->hs_len = 0;
    c->state = C_OPEN;
    c->frame_op = -1;
    stats.opened++;
    stats.open++;
    stats.setup_done++;
    stats.connecting--;
    return (long)(hlen - before);
}

/* Reads up to four buffers' worth, then lets the other connections have their turn. An SSL_read
 * gives one record at most (16 KiB), so with --tls the rounds go on until OpenSSL wants the
 * socket, and never end with decrypted bytes left in the SSL (SSL_pending), where epoll
 * would not see them. */
static void readable(struct conn *c, uint64_t now) {
    size_t budget = 4 * sizeof inbound;
    while (c->state != C_DEAD) {
        int wants_write = 0;
        const char *why = "the server closed the connection";
        ssize_t n = io_recv(c, inbound, sizeof inbound, &wants_write, &why);
        if (n < 0 && errno == EINTR) continue;
        /* An SSL_read that waits to write is retried on EPOLLOUT; conn_event arms it. */
        c->read_wants_write = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wants_write;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            if (c->state == C_HANDSHAKE) fail(c, &stats.handshake_failures, "no handshake answer", why);
            else if (c->state == C_CLOSING) conn_drop(c);  /* closed after our close: fine */
            else fail(c, n == 0 ? &stats.server_closes : &stats.io_errors, "read", why);
            return;
        }
        const uint8_t *p = inbound;
        size_t len = (size_t)n;
        if (c->state == C_HANDSHAKE) {
            long used = handshake_input(c, p, len);
            if (used < 0) return;
            p += used;
            len -= (size_t)used;
            if (opt.mode == MODE_CONNECT) {
                if (opt.rounds == 0) cycle_done(c, now);
                else conn_send_message(c, now);
            }
        }
        if (c->state == C_OPEN || c->state == C_CLOSING) parse(c, p, len, now);
        if (!c->ssl && (size_t)n < sizeof inbound) break;  /* the socket is drained */
        budget -= (size_t)n < budget ? (size_t)n : budget;
        if (budget == 0 && !(c->ssl && SSL_pending(c->ssl) > 0)) break;
    }
}

/* TCP (and with --tls, TLS) is up: the upgrade request goes out. */
static void send_upgrade(struct conn *c) {
    char request[1024];
    int n = ws_handshake_request(request, sizeof request, opt.host, opt.ports[c->node], opt.path, c->accept);
    if (n <= 0 || (size_t)n >= sizeof request) fatal("the handshake request does not fit");
    memcpy(reserve(c, (size_t)n), request, (size_t)n);
    c->out_len += (size_t)n;
    c->state = C_HANDSHAKE;
    watch(c, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
    c->writable_wait = 1;  /* conn_flush drops EPOLLOUT once the request is out */
    conn_flush(c);
}

/* One step of the TLS handshake: on to the upgrade when it is done, else wait for the socket
 * the way OpenSSL wants it. A failure is a handshake failure, with OpenSSL's reason. */
static void tls_step(struct conn *c) {
    errno = 0;
    int r = SSL_connect(c->ssl);
    if (r == 1) {
        send_upgrade(c);
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        watch(c, EPOLL_CTL_MOD, e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
        return;
    }
    fail(c, &stats.handshake_failures, "TLS handshake", tls_reason(c));
}

void conn_event(struct conn *c, uint32_t events, uint64_t now) {
    if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t l = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0) err = errno;
        if (err || (events & (EPOLLERR | EPOLLHUP))) {
            fail(c, &stats.conn_failures, "connect", strerror(err ? err : ECONNREFUSED));
            return;
        }
        if (!opt.tls) {
            send_upgrade(c);
            return;
        }
        struct in_addr ip;
        c->ssl = SSL_new(tls_ctx);
        if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 ||
            /* SNI is a host name, never an address (RFC 6066) */
            (inet_pton(AF_INET, opt.server_name, &ip) != 1 && SSL_set_tlsext_host_name(c->ssl, opt.server_name) != 1)) {
            fail(c, &stats.handshake_failures, "TLS set-up", tls_reason(NULL));
            return;
        }
        SSL_set_connect_state(c->ssl);
        c->state = C_TLS;
        tls_step(c);
        return;
    }
    if (c->state == C_TLS) {
        tls_step(c);  /* an error or a hang-up shows in SSL_connect's failure */
        return;
    }
    if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) || (c->read_wants_write && (events & EPOLLOUT))) readable(c, now);
    if (c->state == C_DEAD) return;
    if (c->out_sent < c->out_len) conn_flush(c);
    else set_writable_wait(c, 0);  /* nothing to write: EPOLLOUT only for an SSL_read that wants it */
}
