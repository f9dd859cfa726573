/*
 * loadgen: the project's WebSocket load generator (Benchmarks/LoadGen/README.md).
 * One thread, one epoll set, many client connections to an echo server on loopback.
 * This header holds what the files share: the options, a connection, the run's counters.
 */
#ifndef LOADGEN_H
#define LOADGEN_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------- options (options.c) */

enum mode { MODE_THROUGHPUT, MODE_LATENCY, MODE_IDLE, MODE_FANOUT, MODE_CONNECT };

#define MAX_PORTS 16   /* servers (nodes) one run may spread its connections over */
#define MAX_PIDS 16    /* server processes whose CPU is read */

struct options {
    const char *host;         /* IPv4 literal in 127.0.0.0/8, or "localhost" */
    int sources;              /* --sources: connection i binds to 127.0.1.(1 + i mod sources); 0: the kernel picks */
    const char *path;         /* request target of the upgrade */
    const char *label;        /* copied into the output, for scripts */
    const char *samples_file; /* every measured round trip, µs, one a line */
    int port;                 /* ports[0] */
    int ports[MAX_PORTS], nports;   /* connection i goes to ports[i % nports] */
    enum mode mode;
    int conns, depth, concurrency, rounds, text;   /* connect mode: rounds is echoes per connection, default 0 */
    long size;
    int pid;                  /* pids[0]: the server whose RSS is read; 0 = none */
    int pids[MAX_PIDS], npids;      /* the servers whose CPU is summed */
    long rate;                /* fanout: messages/s, paced; 0 = window mode (-d outstanding) */
    double seconds, warmup, connect_timeout;
    uint64_t max_msgs;        /* stop sending after this many messages; 0 = no limit */
    int tls;                  /* --tls: every connection is wss, through OpenSSL */
    const char *tls_ca;       /* --tls-ca: the CA the server's certificate must chain to; NULL: no verification */
    int tls_insecure;         /* --tls-insecure: given, so no verification is what was meant */
    const char *server_name;  /* --server-name: SNI, and the name (or IP) the certificate must hold */
};

extern struct options opt;
const char *mode_name(enum mode m);
void parse_options(int argc, char **argv);

/* ------------------------------------------------- WebSocket pieces (ws.c) */

#define WS_KEY_LEN 24    /* base64 of 16 bytes */
#define WS_ACCEPT_LEN 28 /* base64 of a SHA-1 digest */

void ws_random_seed(void);
uint64_t ws_random(void);
void ws_accept_for_key(const char *key, char accept[WS_ACCEPT_LEN + 1]);
int ws_handshake_request(char *out, size_t cap, const char *host, int port, const char *path, char accept[WS_ACCEPT_LEN + 1]);
/* 1: a complete, valid 101 answer of hlen bytes; 0: incomplete; -1: refused (why in *why) */
int ws_handshake_response(const uint8_t *buf, size_t len, const char *accept, size_t *hlen, const char **why);
/* A client frame's header with a fresh random masking key (returned in *key); returns its length. */
size_t ws_client_header(uint8_t *out, int opcode, size_t len, uint32_t *key);
/* Copies len bytes to out masked with key, as if they began at offset of the payload. */
void ws_mask_copy(uint8_t *out, const uint8_t *in, size_t len, uint32_t key, size_t offset);
/* One whole masked client frame; returns its length (at most ws_client_frame_bound(len)). */
size_t ws_client_frame(uint8_t *out, int opcode, const uint8_t *payload, size_t len);
size_t ws_client_frame_bound(size_t len);
void ws_sha1(const uint8_t *data, size_t len, uint8_t digest[20]);
void ws_base64(const uint8_t *in, size_t len, char *out);

/* ----------------------------------------------------- connections (conn.c) */

/* C_TLS (--tls only): between the TCP connect and the upgrade request, SSL_connect's handshake. */
enum conn_state { C_UNUSED, C_CONNECTING, C_TLS, C_HANDSHAKE, C_OPEN, C_CLOSING, C_DEAD };

struct ssl_st;   /* OpenSSL's SSL, kept out of the other files */

struct conn {
    int fd, index;
    enum conn_state state;
    int writable_wait;            /* EPOLLOUT is armed */
    struct ssl_st *ssl;           /* --tls: the connection's SSL over fd; NULL without */
    int read_wants_write;         /* --tls: the last SSL_read waits for the socket to be writable */
    char accept[WS_ACCEPT_LEN + 1];
    uint8_t *hs; size_t hs_len;   /* the handshake answer so far */
    uint8_t *out; size_t out_len, out_sent, out_cap;

    /* The inbound stream, parsed as it arrives: nothing is buffered but a frame header
       and a control frame's payload. */
    uint8_t head[14]; int head_len;
    int frame_op, frame_fin;
    uint64_t frame_left;          /* payload bytes of the current frame still to come */
    uint8_t ctl[125]; int ctl_len;
    int msg_op;                   /* opcode of the data message being received, 0 = none */
    uint64_t msg_len;             /* its bytes so far */
    int msg_bad;                  /* it differs from what was sent */

    uint64_t sent, echoed;        /* data messages */
    uint64_t started;             /* connect mode: when this connection's connect() was made (ns) */
    uint64_t *sent_at;            /* send time (ns) of message n at [n & ring_mask] */

    int node;                     /* which of opt.ports it connects to */
    /* fanout, a receiver: the publisher's next sequence number it expects (valid once
       got_first), and the stamp of the message being received */
    uint64_t next_seq;
    int got_first;
    uint8_t fstamp[16];
};

extern struct conn *conns;
extern int conn_count;            /* opt.conns, plus the publisher in fanout mode */
extern int epoll_fd;
extern uint64_t ring_mask;

void conns_init(void);             /* also, with --tls, the run's one SSL_CTX */
int conn_start(struct conn *c);                 /* 0 or -1 (counted) */
void conn_event(struct conn *c, uint32_t events, uint64_t now);
void conn_send_message(struct conn *c, uint64_t now);
void conn_flush(struct conn *c);
void conn_begin_close(struct conn *c);
void conn_drop(struct conn *c);
/* Connect mode: makes a finished connection's slot a fresh one, ready for conn_start. */
void conn_reset(struct conn *c);
int conn_open_count(void);

/* What a message carries (payload.c): message n of connection i is a stamp (i and n in hex,
   its first 16 bytes) then a random pattern read from an offset that moves with n and i. */
#define STAMP_LEN 16
void payload_init(void);
/* Writes message n of connection c as one masked client frame; returns its length. */
size_t payload_frame(uint8_t *out, int c, uint64_t n);
/* Are the len bytes received at offset pos of message n of connection c the ones sent? */
int payload_matches(int c, uint64_t n, uint64_t pos, const uint8_t *data, size_t len);
/* Fanout: message seq of the publisher (connection c) is FANOUT_STAMP_LEN bytes of stamp,
   its sequence number and its send time (CLOCK_MONOTONIC ns), each 64-bit little-endian,
   then the pattern at the offset of (c, seq). */
#define FANOUT_STAMP_LEN 16
size_t payload_fanout_frame(uint8_t *out, int c, uint64_t seq, uint64_t sent_ns);
void payload_fanout_stamp(const uint8_t stamp[FANOUT_STAMP_LEN], uint64_t *seq, uint64_t *sent_ns);
/* Are the len bytes at offset pos (at least FANOUT_STAMP_LEN) of message seq the ones sent? */
int payload_fanout_matches(int c, uint64_t seq, uint64_t pos, const uint8_t *data, size_t len);

/* ------------------------------------------------------ fan-out (fanout.c) */

#define FANOUT_TIMEOUT_MS 1000  /* window mode: a message stops being outstanding after this */

struct fanout {
    struct conn *publisher;       /* conns[opt.conns] */
    uint64_t start;               /* before the first message: every send time is after it */
    uint64_t next_seq;            /* the publisher's next message */
    uint64_t oldest;              /* window mode: the oldest outstanding message */
    uint32_t *done;               /* window mode, per ring slot: receivers that have it or passed it */
    uint64_t *sent_at;            /* per ring slot: when it was sent */
    int tracking;                 /* window mode, from the warm-up on */
    uint64_t next_probe;          /* subscribe phase: when to send the next probe */
    uint64_t rate_start, rate_sent;
    uint64_t seq0, seq1;          /* the window's messages: seq0 <= seq < seq1 */
    uint64_t delivered;           /* deliveries of the window's messages, whenever they came */
    uint64_t out_of_order;        /* a message at or below one a receiver already had */
    uint64_t retired;             /* outstanding messages given up on after FANOUT_TIMEOUT_MS */
    uint64_t skipped;             /* rate mode: sends not made, the publisher's socket backed up */
    uint64_t unsubscribed;        /* receivers that got no probe before the warm-up */
    uint64_t own;                 /* messages the publisher got back (also mismatches) */
    uint64_t node_receivers[MAX_PORTS], node_arrivals[MAX_PORTS], node_delivered[MAX_PORTS];
};
extern struct fanout fan;

void fanout_init(void);
/* One whole data message arrived on c; bad: its length, opcode or content is not what was sent. */
void fanout_message(struct conn *c, int bad, uint64_t now);
/* Checks len bytes at offset pos of the message arriving on c (collecting its stamp first). */
int fanout_payload(struct conn *c, uint64_t pos, const uint8_t *data, size_t len);
void fanout_probe_start(uint64_t now);   /* probes, until every receiver got one */
int fanout_unsubscribed(void);           /* open receivers that got no message yet */
void fanout_start(uint64_t now);         /* the warm-up begins: publish by --rate or -d */
void fanout_pump(uint64_t now, int probing);  /* sends what is due */
uint64_t fanout_wake(uint64_t now, int probing);  /* when the next send may be due */
int fanout_pending(void);                /* open receivers still missing a published message */
int receivers_open(void);

/* --------------------------------------------------- the run's counters */

struct counters {
    uint64_t sent, echoed, measured;
    uint64_t opened, setup_done, connecting;
    uint64_t cycles;              /* connect mode: connections through the upgrade and their --rounds echoes */
    uint64_t drops;               /* connections dropped, for any reason (connect mode refills their slots) */
    uint64_t mismatches, proto_errors, conn_failures, handshake_failures, io_errors, server_closes;
    uint64_t pings, unexpected;   /* pings answered; echoes with nothing in flight (also mismatches) */
    int open;                     /* connections in C_OPEN now */
    int measuring;                /* inside the measured window */
    int refill;                   /* send a new message for each echo */
};
extern struct counters stats;

/* ------------------------------------------------ samples, percentiles (stats.c) */

void samples_add(uint64_t ns);
uint64_t samples_count(void);
void samples_sort(void);
double samples_percentile_us(double p);  /* nearest rank, after samples_sort; -1 if none */
int samples_write(const char *file);     /* in arrival order; call before samples_sort */

/* ---------------------------------------------------------- /proc (procfs.c) */

struct cpu_mark {
    double server;   /* the servers' utime+stime, summed over --pid, s; -1 unknown */
    double each[MAX_PIDS];   /* each --pid's, s; -1 unknown */
    double self;     /* ours, s */
    double busy;     /* the machine's user+nice+system+irq+softirq over all CPUs, s; -1 unknown */
    double irq;      /* irq+softirq, s */
    double steal;    /* s */
};
void cpu_mark(struct cpu_mark *m);
long proc_rss_kb(int pid);   /* VmRSS, KiB; -1 unknown */

/* ------------------------------------------------------------------ misc */

uint64_t now_ns(void);
void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);

/* The run itself (scenario.c) and what it found (report.c). */
struct result {
    uint64_t start, connected, window_start, window_end;
    uint64_t window_echoes0, window_echoes1;   /* stats.echoed when the window began and ended */
    struct cpu_mark cpu0, cpu1;
    long rss_base, rss_connected, rss_end, rss_peak;
    uint64_t alive, survived;
    uint64_t unanswered_closes;   /* our close frames the server did not answer within 2 s */
    int timed_out;
    int cpu_known;
};
void run_scenario(struct result *r);
int report(const struct result *r);   /* prints the RESULT line and JSON; returns the error count (capped) */

#endif
