/*
 * The run: one epoll loop that moves through phases.
 *
 *   connect   open --conns connections, --concurrency at a time, each upgraded and checked,
 *             within --connect-timeout (with --tls, its TLS handshake first).
 *   throughput / latency:
 *     warm-up   every connection keeps --depth messages in flight (a new one per echo) for -w s,
 *     measure   the same for -t s: echoes counted, round trips timed, CPU read at both ends.
 *               With --max-msgs it ends once that many were sent and all of them echoed.
 *   fanout (fanout.c):
 *     subscribe probes from the publisher until every receiver got one, within --connect-timeout,
 *     warm-up   the publisher sends by --rate or keeps -d messages outstanding, for -w s,
 *     measure   the same for -t s: the messages published in it are the window's,
 *     drain     up to 2 s more for every receiver to reach the last message published.
 *   idle:
 *     settle    1 s with the connections open and quiet, then the server's RSS is read,
 *     rounds    --rounds times, every connection sends one message, spread evenly over each
 *               second, and waits for its echo,
 *     drain     up to 2 s more for the last echoes.
 *   connect mode (new connections per second):
 *     warm-up   -c slots, each cycling: connect, upgrade, --rounds echoes, close frame, the
 *               answer, then a fresh connection in the slot; for -w s,
 *     measure   the same for -t s: connections that reached the upgrade (and their echoes) in
 *               it are counted, each timed from connect(); a slot stuck longer than
 *               --connect-timeout is dropped and counted as an error.
 *   close     a close frame (1000) on every open connection, and up to 2 s for the answers.
 *
 * Every wait is bounded: epoll_wait never sleeps past the next deadline (at most 100 ms),
 * and the whole run stops at a hard deadline whatever the server does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "loadgen.h"

#define SEC 1000000000ull

enum phase { P_CONNECT, P_SUBSCRIBE, P_WARMUP, P_MEASURE, P_SETTLE, P_ROUNDS, P_DRAIN, P_CLOSE, P_DONE };

static int next_to_connect;

static void pump_connects(void) {
    while (stats.connecting < (uint64_t)opt.concurrency && next_to_connect < conn_count)
        conn_start(&conns[next_to_connect++]);
}

/* What the window counts: echoes, or in connect mode whole connections. */
static uint64_t window_count(void) { return opt.mode == MODE_CONNECT ? stats.cycles : stats.echoed; }

static void window_begins(struct result *r, uint64_t now) {
    stats.measuring = 1;
    r->window_start = now;
    r->window_echoes0 = window_count();
    if (opt.mode == MODE_FANOUT) fan.seq0 = fan.next_seq;
    cpu_mark(&r->cpu0);
}

static void note_rss(struct result *r, long kb) {
    if (kb > r->rss_peak) r->rss_peak = kb;
}

static void window_ends(struct result *r, uint64_t now) {
    if (!stats.measuring) return;
    stats.measuring = 0;
    stats.refill = 0;
    r->window_end = now;
    r->window_echoes1 = window_count();  /* echoes after this (while closing, draining) are not the window's */
    if (opt.mode == MODE_FANOUT) fan.seq1 = fan.next_seq;
    cpu_mark(&r->cpu1);
    r->cpu_known = 1;
    r->rss_end = proc_rss_kb(opt.pid);
    note_rss(r, r->rss_end);
    for (int i = 0; i < conn_count; i++) {
        const struct conn *c = &conns[i];
        if (c->state != C_OPEN) continue;
        r->alive++;
        if (opt.mode != MODE_IDLE || (c->echoed >= (uint64_t)opt.rounds && c->echoed == c->sent)) r->survived++;
    }
}

static uint64_t in_flight(void) {
    if (opt.mode == MODE_FANOUT) return (uint64_t)fanout_pending();
    uint64_t n = 0;
    for (int i = 0; i < opt.conns; i++)
        if (conns[i].state == C_OPEN) n += conns[i].sent - conns[i].echoed;
    return n;
}

static int closing_count(void) {
    int n = 0;
    for (int i = 0; i < conn_count; i++) n += conns[i].state == C_CLOSING;
    return n;
}

/* Sends a close frame on every open connection; returns when to stop waiting for answers. */
static uint64_t close_all(uint64_t now) {
    for (int i = 0; i < conn_count; i++) conn_begin_close(&conns[i]);
    return now + 2 * SEC;
}

/* Connect mode: a fresh connection in every finished slot, and a stuck one dropped. Returns
 * when to look again for stuck ones. */
static uint64_t cycle_slots(struct result *r, uint64_t now) {
    uint64_t limit = (uint64_t)(opt.connect_timeout * SEC);
    for (int i = 0; i < conn_count; i++) {
        struct conn *c = &conns[i];
        if (c->state == C_DEAD || c->state == C_UNUSED) {
            conn_reset(c);
            conn_start(c);
        } else if (now - c->started > limit) {
            static const char *const where[] = {"", "connecting", "in the TLS handshake", "waiting for the upgrade's answer",
                                                "waiting for an echo", "waiting for the close frame's answer", ""};
            if (c->state == C_CLOSING) r->unanswered_closes++;
            else if (c->state == C_TLS || c->state == C_HANDSHAKE) stats.handshake_failures++;
            else if (c->state == C_CONNECTING) stats.conn_failures++;
            else stats.io_errors++;
            warn("connection %d: over %g s (--connect-timeout) %s; dropped", i, opt.connect_timeout, where[c->state]);
            conn_drop(c);
        }
    }
    return now + SEC / 10;
}

static int may_send(void) { return !opt.max_msgs || stats.sent < opt.max_msgs; }

void run_scenario(struct result *r) {
    uint64_t start = now_ns();
    r->start = start;
    r->rss_base = r->rss_peak = proc_rss_kb(opt.pid);
    r->rss_connected = r->rss_end = -1;

    double active = opt.mode == MODE_IDLE     ? 1 + opt.rounds + 2
                    : opt.mode == MODE_CONNECT ? opt.warmup + opt.seconds + 5
                    : opt.mode == MODE_FANOUT ? opt.connect_timeout + opt.warmup + opt.seconds + 2 + 5
                                              : opt.warmup + opt.seconds + 5;
    uint64_t hard_deadline = start + (uint64_t)((opt.connect_timeout + active + 2 + 5) * SEC);
    uint64_t connect_deadline = start + (uint64_t)(opt.connect_timeout * SEC);

    enum phase phase = P_CONNECT;
    uint64_t phase_end = connect_deadline, rounds_start = 0, sends_done = 0;
    uint64_t sends_total = (uint64_t)opt.rounds * (uint64_t)opt.conns;
    int drain_capped = 0;
    struct epoll_event events[512];

    if (opt.mode == MODE_FANOUT) fanout_init();
    uint64_t drops_seen = 0, next_scan = 0;
    if (opt.mode == MODE_CONNECT) {  /* no connect phase: the slots cycle from the start */
        r->connected = start;
        phase = P_WARMUP;
        phase_end = start + (uint64_t)(opt.warmup * SEC);
        next_scan = cycle_slots(r, start);
        drops_seen = stats.drops;
    } else {
        pump_connects();
    }
    while (phase != P_DONE) {
        uint64_t now = now_ns(), wake = phase_end < hard_deadline ? phase_end : hard_deadline;
        if (phase == P_ROUNDS) {
            uint64_t next_send = rounds_start + sends_done * SEC / (uint64_t)opt.conns;
            if (next_send < wake) wake = next_send;
        }
        int publishing = opt.mode == MODE_FANOUT && (phase == P_SUBSCRIBE || phase == P_WARMUP || phase == P_MEASURE);
        if (publishing) {
            uint64_t next_send = fanout_wake(now, phase == P_SUBSCRIBE);
            if (next_send < wake) wake = next_send;
        }
        int timeout = wake <= now ? 0 : (int)((wake - now + 999999) / 1000000);
        if (timeout > 100) timeout = 100;
        int n = epoll_wait(epoll_fd, events, 512, timeout);
        if (n < 0 && errno != EINTR) fatal("epoll_wait: %s", strerror(errno));
        now = now_ns();
        for (int i = 0; i < n; i++) conn_event(events[i].data.ptr, events[i].events, now);
        if (phase == P_CONNECT) pump_connects();
        if (opt.mode == MODE_CONNECT && (phase == P_WARMUP || phase == P_MEASURE) &&
            (stats.drops != drops_seen || now >= next_scan)) {
            next_scan = cycle_slots(r, now);
            drops_seen = stats.drops;
        }

        if (now >= hard_deadline) {
            warn("the hard deadline (%.0f s) passed in the %s phase; stopping",
                 (double)(hard_deadline - start) / SEC,
                 (const char *[]){"connect", "subscribe", "warm-up", "measure", "settle", "rounds", "drain", "close", "done"}[phase]);
            r->timed_out = 1;
            if (phase != P_CLOSE) window_ends(r, now);
            break;
        }

        switch (phase) {
        case P_CONNECT:
            if (stats.setup_done < (uint64_t)conn_count && now < connect_deadline) break;
            if (stats.setup_done < (uint64_t)conn_count) {
                int late = 0;
                for (int i = 0; i < conn_count; i++) {
                    struct conn *c = &conns[i];
                    if (c->state == C_CONNECTING || c->state == C_TLS || c->state == C_HANDSHAKE || c->state == C_UNUSED) {
                        late++;
                        stats.conn_failures++;
                        if (c->state == C_UNUSED) { c->state = C_DEAD; stats.setup_done++; }
                        else conn_drop(c);
                    }
                }
                warn("%d of %d connections were not open within %g s (--connect-timeout)", late, conn_count, opt.connect_timeout);
            }
            r->connected = now;
            if (!stats.opened) fatal("no connection could be opened to %s:%d (is the server running?)", opt.host, opt.port);
            if (opt.mode == MODE_FANOUT) {
                if (fan.publisher->state != C_OPEN) fatal("the publisher's connection to %s:%d did not open", opt.host, opt.port);
                fanout_probe_start(now);
                phase = P_SUBSCRIBE;
                phase_end = now + (uint64_t)(opt.connect_timeout * SEC);
                break;
            }
            if (opt.mode == MODE_IDLE) {
                phase = P_SETTLE;
                phase_end = now + SEC;
                break;
            }
            stats.refill = 1;
            for (int i = 0; i < opt.conns; i++) {
                struct conn *c = &conns[i];
                for (int d = 0; d < opt.depth && c->state == C_OPEN && may_send(); d++) conn_send_message(c, now);
                if (c->state == C_OPEN) conn_flush(c);
            }
            phase = P_WARMUP;
            phase_end = now + (uint64_t)(opt.warmup * SEC);
            if (opt.warmup > 0) break;
            __attribute__((fallthrough));  /* no warm-up */
        case P_WARMUP:
            if (now < phase_end) break;
            window_begins(r, now);
            phase = P_MEASURE;
            phase_end = now + (uint64_t)(opt.seconds * SEC);
            break;
        case P_MEASURE:
            if (opt.max_msgs && stats.sent >= opt.max_msgs) {
                if (!drain_capped && now + 5 * SEC < phase_end) phase_end = now + 5 * SEC;
                drain_capped = 1;
                if (in_flight() == 0) phase_end = now;
            }
            if (now < phase_end) break;
            window_ends(r, now);
            if (opt.mode == MODE_FANOUT) {
                phase = P_DRAIN;
                phase_end = now + 2 * SEC;
                break;
            }
            phase = P_CLOSE;
            phase_end = close_all(now);
            break;
        case P_SETTLE:
            if (now < phase_end) break;
            r->rss_connected = proc_rss_kb(opt.pid);
            note_rss(r, r->rss_connected);
            window_begins(r, now);
            rounds_start = now;
            phase = P_ROUNDS;
            phase_end = hard_deadline;
            __attribute__((fallthrough));
        case P_ROUNDS: {
            uint64_t due = (now - rounds_start) * (uint64_t)opt.conns / SEC + 1;
            if (due > sends_total) due = sends_total;
            for (; sends_done < due; sends_done++) {
                struct conn *c = &conns[sends_done % (uint64_t)opt.conns];
                if (c->state == C_OPEN && may_send()) {
                    conn_send_message(c, now);
                    conn_flush(c);
                }
                if ((sends_done + 1) % (uint64_t)opt.conns == 0) note_rss(r, proc_rss_kb(opt.pid));
            }
            if (sends_done < sends_total) break;
            phase = P_DRAIN;
            phase_end = now + 2 * SEC;
            break;
        }
        case P_DRAIN:
            if (in_flight() > 0 && now < phase_end) break;
            window_ends(r, now);
            phase = P_CLOSE;
            phase_end = close_all(now);
            break;
        case P_SUBSCRIBE: {
            int missing = fanout_unsubscribed();
            if (missing > 0 && now < phase_end) break;
            if (missing > 0) {
                fan.unsubscribed = (uint64_t)missing;
                warn("%d of %d receivers got no probe within %g s (--connect-timeout): not subscribed", missing,
                     opt.conns, opt.connect_timeout);
            }
            fanout_start(now);
            phase = P_WARMUP;
            phase_end = now + (uint64_t)(opt.warmup * SEC);
            break;
        }
        case P_CLOSE:
            if (closing_count() == 0 || now >= phase_end) phase = P_DONE;
            break;
        case P_DONE:
            break;
        }
        if (opt.mode == MODE_FANOUT && (phase == P_SUBSCRIBE || phase == P_WARMUP || phase == P_MEASURE))
            fanout_pump(now, phase == P_SUBSCRIBE);
    }
    for (int i = 0; i < conn_count; i++) {
        if (conns[i].state == C_CLOSING) r->unanswered_closes++;
        conn_drop(&conns[i]);
    }
}
