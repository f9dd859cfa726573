/*
 * Fan-out mode (-m fanout): -c receivers and one publisher, all WebSockets to the same topic
 * (--path, such as /topics/bench), the receivers spread round-robin over the ports and the
 * publisher on the first. Only the publisher sends; a server that fans out delivers each of
 * its messages to every receiver, and never back to the publisher.
 *
 *   subscribe  A subscription may take effect a moment after the upgrade (a backplane such as
 *              Redis subscribes asynchronously), so the publisher sends a probe every 20 ms
 *              until every receiver has got one, within --connect-timeout. Probes are ordinary
 *              messages; none of them is measured.
 *   publish    Then, through the warm-up and the window, either
 *                --rate N: message k at k/N s after the warm-up began, whatever arrives (an
 *                open loop: a slow server shows as latency, not as a slower publisher); a send
 *                that falls due while more than 1 MiB waits in the publisher's socket buffer
 *                is skipped and counted, so a stalled server cannot grow our memory; or
 *                -d DEPTH: at most DEPTH messages outstanding, the next one sent as soon as
 *                the oldest is done. A message is outstanding until every open receiver has it
 *                or a later one (a receiver that skips it will never get it: the server dropped
 *                it for that receiver), or FANOUT_TIMEOUT_MS (1 s) passed, so a receiver that
 *                gets nothing at all slows the publisher to DEPTH messages per second, not to
 *                zero. The timeout must stay well above the queueing the window itself causes
 *                (DEPTH / messages per second): once it fires, the window no longer bounds
 *                anything and the queues in the server grow (with 200 ms, three nodes at -d
 *                256 reached 3 s of latency and dropped). `retired` counts it; loadgen warns.
 *   drain      After the window, up to 2 s for every open receiver to reach the last message.
 *
 * Each receiver checks what arrives: the stamp (sequence number, send time) and the pattern
 * after it (payload.c). Sequence numbers must increase: a gap is messages missed (counted, not
 * an error, since a server may drop for a slow receiver), one at or below the last received is
 * a duplicate or a reorder (an error, and not counted as a delivery). The window's messages are
 * those published inside it; each delivery of one, whenever it comes, is counted and timed
 * (receive time minus the stamp's send time: both are this process's CLOCK_MONOTONIC).
 */
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define PROBE_EVERY (20 * MS)
#define BACKLOG_MAX (1u << 20)

struct fanout fan;

void fanout_init(void) {
    fan.publisher = &conns[opt.conns];
    fan.start = now_ns();
    fan.seq0 = fan.seq1 = UINT64_MAX;  /* no window yet */
    fan.done = calloc(ring_mask + 1, sizeof *fan.done);
    fan.sent_at = calloc(ring_mask + 1, sizeof *fan.sent_at);
    if (!fan.done || !fan.sent_at) fatal("out of memory for %d outstanding messages", opt.depth);
    for (int i = 0; i < opt.conns; i++) fan.node_receivers[conns[i].node]++;
}

int receivers_open(void) { return stats.open - (fan.publisher->state == C_OPEN); }

static void publish(uint64_t now) {
    struct conn *p = fan.publisher;
    if (p->state != C_OPEN) return;
    if (p->out_sent == p->out_len) p->out_sent = p->out_len = 0;
    size_t need = ws_client_frame_bound((size_t)opt.size);
    if (p->out_len + need > p->out_cap) {
        size_t cap = p->out_cap ? p->out_cap : 4096;
        while (cap < p->out_len + need) cap *= 2;
        p->out = xrealloc(p->out, cap);
        p->out_cap = cap;
    }
    p->out_len += payload_fanout_frame(p->out + p->out_len, p->index, fan.next_seq, now);
    fan.sent_at[fan.next_seq & ring_mask] = now;
    fan.done[fan.next_seq & ring_mask] = 0;
    fan.next_seq++;
    p->sent++;
    stats.sent++;
}

int fanout_payload(struct conn *c, uint64_t pos, const uint8_t *data, size_t len) {
    if (c == fan.publisher) return 1;  /* a message back to its sender: fanout_message counts it */
    if (pos < FANOUT_STAMP_LEN) {
        size_t k = FANOUT_STAMP_LEN - (size_t)pos < len ? FANOUT_STAMP_LEN - (size_t)pos : len;
        memcpy(c->fstamp + pos, data, k);
        data += k;
        pos += k;
        len -= k;
    }
    if (len == 0) return 1;
    uint64_t seq, sent;
    payload_fanout_stamp(c->fstamp, &seq, &sent);
    return payload_fanout_matches(fan.publisher->index, seq, pos, data, len);
}

void fanout_message(struct conn *c, int bad, uint64_t now) {
    if (c == fan.publisher) {
        fan.own++;
        stats.unexpected++;
        stats.mismatches++;
        if (fan.own == 1) warn("the publisher got a message: the server sent it back to its sender");
        return;
    }
    uint64_t seq, sent;
    payload_fanout_stamp(c->fstamp, &seq, &sent);
    /* A sequence number not yet published, or a send time outside the run, is not a stamp of ours. */
    if (!bad && (seq >= fan.next_seq || sent < fan.start || sent > now)) bad = 1;
    if (bad) {
        stats.mismatches++;
        if (stats.mismatches <= 5)
            warn("receiver %d: a message differs from what was published (%llu bytes, opcode %d)", c->index,
                 (unsigned long long)c->msg_len, c->msg_op);
        return;
    }
    if (c->got_first && seq < c->next_seq) {
        fan.out_of_order++;
        if (fan.out_of_order <= 5)
            warn("receiver %d: message %llu came after %llu (a duplicate or a reorder)", c->index,
                 (unsigned long long)seq, (unsigned long long)(c->next_seq - 1));
        return;
    }
    if (fan.tracking) {
        /* This receiver now has seq, and will never get the outstanding messages it skipped. */
        uint64_t from = c->got_first && c->next_seq > fan.oldest ? c->next_seq : fan.oldest;
        for (uint64_t k = from; k <= seq; k++) fan.done[k & ring_mask]++;
    }
    c->got_first = 1;
    c->next_seq = seq + 1;
    c->echoed++;
    stats.echoed++;
    if (stats.measuring) fan.node_arrivals[c->node]++;
    if (seq >= fan.seq0 && seq < fan.seq1) {
        fan.delivered++;
        fan.node_delivered[c->node]++;
        samples_add(now > sent ? now - sent : 0);
        stats.measured++;
    }
}

void fanout_probe_start(uint64_t now) { fan.next_probe = now; }

int fanout_unsubscribed(void) {
    int n = 0;
    for (int i = 0; i < opt.conns; i++) n += conns[i].state == C_OPEN && !conns[i].got_first;
    return n;
}

void fanout_start(uint64_t now) {
    fan.rate_start = now;
    fan.rate_sent = 0;
    fan.oldest = fan.next_seq;
    fan.tracking = !opt.rate;
}

/* Window mode: retire the oldest while every open receiver has it, or it timed out. */
static void retire(uint64_t now) {
    int want = receivers_open();
    while (fan.oldest < fan.next_seq) {
        uint64_t slot = fan.oldest & ring_mask;
        if ((int)fan.done[slot] < want && now - fan.sent_at[slot] < FANOUT_TIMEOUT_MS * MS) break;
        if ((int)fan.done[slot] < want) fan.retired++;
        fan.oldest++;
    }
}

void fanout_pump(uint64_t now, int probing) {
    struct conn *p = fan.publisher;
    if (p->state != C_OPEN) return;
    if (probing) {
        if (now >= fan.next_probe) {
            publish(now);
            fan.next_probe = now + PROBE_EVERY;
        }
    } else if (opt.rate) {
        /* 128 bits: an hour at 10^7 messages/s overflows 64 in ns x messages */
        uint64_t due = (uint64_t)((unsigned __int128)(now - fan.rate_start) * (uint64_t)opt.rate / SEC) + 1;
        for (; fan.rate_sent < due; fan.rate_sent++) {
            if (p->out_len - p->out_sent > BACKLOG_MAX) {
                fan.skipped += due - fan.rate_sent;
                fan.rate_sent = due;
                break;
            }
            publish(now);
        }
    } else {
        retire(now);
        while (fan.next_seq - fan.oldest < (uint64_t)opt.depth) publish(now);
    }
    conn_flush(p);
}

uint64_t fanout_wake(uint64_t now, int probing) {
    if (fan.publisher->state != C_OPEN) return UINT64_MAX;  /* nothing more will be sent */
    if (probing) return fan.next_probe;
    if (opt.rate)
        return fan.rate_start + (uint64_t)(((unsigned __int128)fan.rate_sent * SEC + (uint64_t)opt.rate - 1) / (uint64_t)opt.rate);
    if (fan.next_seq - fan.oldest < (uint64_t)opt.depth) return now;
    return fan.sent_at[fan.oldest & ring_mask] + FANOUT_TIMEOUT_MS * MS;
}

int fanout_pending(void) {
    int n = 0;
    for (int i = 0; i < opt.conns; i++) n += conns[i].state == C_OPEN && conns[i].next_seq < fan.next_seq;
    return n;
}
