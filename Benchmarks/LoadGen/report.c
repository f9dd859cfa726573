/*
 * What a run found: one line for people (RESULT ...) and, as the last line of stdout, one
 * JSON object for scripts. The JSON's fields:
 *
 *   label, mode, conns, depth, size, text, tls     the run's options (tls: --tls, every
 *                         connection wss; the RESULT line then says tls=on)
 *   secs                  the measured window: throughput and latency, -t; idle, the rounds
 *   msgs, msgs_per_s      echoes completed in the window; mb_per_s is msgs_per_s x size / 10^6
 *   lat_us                round trips in the window, µs: p50, p90, p99, p999, max (-1: none)
 *   samples               how many round trips were timed
 *   opened, alive, survived   connections upgraded; open at the window's end; of those, in
 *                         idle mode, the ones that got every echo
 *   connect_s             from start until every connection was open (or given up)
 *   errors                the sum of the counts below, plus 1 if the hard deadline passed:
 *                         mismatches (an echo that is not what was sent), proto_errors (a
 *                         frame RFC 6455 forbids), conn_failures, handshake_failures,
 *                         io_errors, server_closes (the server closed first), unanswered
 *                         closes (our close frame not answered within 2 s)
 *   server_pid, rss_*_kb  the server's VmRSS before connecting, once connected (idle), at the
 *                         window's end, and the most seen (-1: no --pid)
 *   server_cpu_pct, client_cpu_pct   CPU time over the window, % of one core (-1: unknown)
 *   system_busy_pct, other_cpu_pct   the machine's busy time, and what of it neither the
 *                         server nor loadgen used; steal_pct, irq_softirq_pct
 *   sent, echoed, pings   data messages over the whole run; pings the server sent us
 *   ports                 the servers' ports (-p), in the order connections go round them
 *   server_pids, pid_cpu_pct   each --pid, and its CPU over the window (% of one core); with
 *                         several, server_cpu_pct is their sum
 *
 * In fanout mode (-m fanout; fanout.c) a message is one publisher's, delivered to many
 * receivers; conns is the receivers (the publisher is one more connection, counted in opened
 * and alive); msgs and msgs_per_s are deliveries that arrived in the window, and lat_us is from
 * publish to delivery (receive time minus the stamp's send time). Also, in fanout mode only:
 *
 *   receivers, rate       -c; --rate (messages/s, 0: the -d window)
 *   published             messages the publisher sent in the window
 *   expected, delivered, missed   published x receivers; deliveries of those messages that
 *                         arrived, in order, whenever (the drain included); expected - delivered
 *   deliveries_per_s      deliveries that arrived in the window / secs (= msgs_per_s)
 *   nodes                 per port: port, receivers, deliveries_per_s, expected, delivered, missed
 *   out_of_order          deliveries at or below a sequence number the receiver already had: a
 *                         duplicate or a reorder (errors, and not counted as delivered)
 *   own                   messages the publisher got back from the server (also mismatches)
 *   unsubscribed          receivers that got no probe before the warm-up (errors)
 *   retired               -d window: outstanding messages given up on after 1 s
 *   skipped               --rate: sends not made while the publisher's socket held over 1 MiB
 *   sent, echoed          messages published, deliveries received, over the whole run
 *
 * In connect mode (-m connect) msgs and msgs_per_s are connections, not messages: those that
 * got the upgrade's 101 and their --rounds echoes inside the window; lat_us is from connect()
 * to the 101 (or the last echo), and conns the connections in progress at once. Also:
 *
 *   rounds, cycles        echoes per connection; connections completed over the whole run
 */
#include <stdio.h>

#include "loadgen.h"

#define SEC 1e9

static double pct_of_window(double before, double after, double secs) {
    return before >= 0 && after >= 0 && secs > 0 ? 100.0 * (after - before) / secs : -1;
}

int report(const struct result *r) {
    double secs = r->window_end > r->window_start ? (double)(r->window_end - r->window_start) / SEC : 0;
    uint64_t msgs = r->window_echoes1 - r->window_echoes0;
    if (!r->cpu_known) msgs = 0;
    double rate = secs > 0 ? (double)msgs / secs : 0;
    double mbps = rate * (double)opt.size / 1e6;

    double server = -1, client = -1, busy = -1, other = -1, steal = -1, irq = -1;
    if (r->cpu_known) {
        server = opt.pid ? pct_of_window(r->cpu0.server, r->cpu1.server, secs) : -1;
        client = pct_of_window(r->cpu0.self, r->cpu1.self, secs);
        busy = pct_of_window(r->cpu0.busy, r->cpu1.busy, secs);
        steal = pct_of_window(r->cpu0.steal, r->cpu1.steal, secs);
        irq = pct_of_window(r->cpu0.irq, r->cpu1.irq, secs);
        if (busy >= 0 && server >= 0 && client >= 0) other = busy - server - client;
    }
    double connect_s = r->connected ? (double)(r->connected - r->start) / SEC : -1;
    uint64_t errors = stats.mismatches + stats.proto_errors + stats.conn_failures + stats.handshake_failures +
                      stats.io_errors + stats.server_closes + r->unanswered_closes + (r->timed_out ? 1 : 0);
    int fanout = opt.mode == MODE_FANOUT;
    uint64_t published = 0, expected = 0;
    if (fanout) {
        errors += fan.out_of_order + fan.unsubscribed;
        if (fan.seq0 != UINT64_MAX && fan.seq1 != UINT64_MAX) published = fan.seq1 - fan.seq0;
        expected = published * (uint64_t)opt.conns;
    }

    if (fanout && fan.retired)
        warn("%llu outstanding messages timed out (1 s): the -d window was no bound; try a smaller -d",
             (unsigned long long)fan.retired);
    if (fanout && fan.skipped)
        warn("%llu sends skipped: the publisher's socket was backed up; --rate is above what the server takes",
             (unsigned long long)fan.skipped);
    if (opt.samples_file && samples_write(opt.samples_file) != 0) warn("--samples: could not write %s", opt.samples_file);
    samples_sort();
    double p50 = samples_percentile_us(0.5), p90 = samples_percentile_us(0.9), p99 = samples_percentile_us(0.99),
           p999 = samples_percentile_us(0.999), max = samples_percentile_us(1);
    const char *label = opt.label[0] ? opt.label : "-";
    const char *tls = opt.tls ? " tls=on" : "";

    switch (opt.mode) {
    case MODE_IDLE: {
        double per_conn = r->rss_end >= 0 && r->rss_base >= 0 ? (double)(r->rss_end - r->rss_base) / opt.conns : -1;
        printf("RESULT %s mode=idle%s conns=%d opened=%llu survived=%llu msgs=%llu rss_base=%ldKiB rss_connected=%ldKiB "
               "rss_end=%ldKiB per_conn=%.1fKiB p50=%.1fus p99=%.1fus connect=%.2fs errors=%llu\n",
               label, tls, opt.conns, (unsigned long long)stats.opened, (unsigned long long)r->survived,
               (unsigned long long)msgs, r->rss_base, r->rss_connected, r->rss_end, per_conn, p50, p99, connect_s,
               (unsigned long long)errors);
        break;
    }
    case MODE_LATENCY:
        printf("RESULT %s mode=latency%s conns=%d size=%ld msgs=%llu rate=%.0f/s p50=%.1fus p90=%.1fus p99=%.1fus "
               "p99.9=%.1fus max=%.1fus server_cpu=%.0f%% client_cpu=%.0f%% other_cpu=%.0f%% errors=%llu\n",
               label, tls, opt.conns, opt.size, (unsigned long long)msgs, rate, p50, p90, p99, p999, max, server, client,
               other, (unsigned long long)errors);
        break;
    case MODE_FANOUT: {
        char per_node[MAX_PORTS * 24] = "", how[48];
        size_t at = 0;
        for (int i = 0; i < opt.nports && opt.nports > 1; i++)
            at += (size_t)snprintf(per_node + at, sizeof per_node - at, "%s%.0f", i ? "/" : " per_node=",
                                   secs > 0 ? (double)fan.node_arrivals[i] / secs : 0);
        if (opt.rate) snprintf(how, sizeof how, "rate=%ld/s", opt.rate);
        else snprintf(how, sizeof how, "depth=%d", opt.depth);
        printf("RESULT %s mode=fanout%s receivers=%d nodes=%d size=%ld %s published=%llu deliveries=%.0f/s%s "
               "expected=%llu delivered=%llu missed=%llu p50=%.1fus p90=%.1fus p99=%.1fus p99.9=%.1fus max=%.1fus "
               "server_cpu=%.0f%% client_cpu=%.0f%% errors=%llu\n",
               label, tls, opt.conns, opt.nports, opt.size, how, (unsigned long long)published, rate, per_node,
               (unsigned long long)expected, (unsigned long long)fan.delivered,
               (unsigned long long)(expected > fan.delivered ? expected - fan.delivered : 0), p50, p90, p99, p999, max,
               server, client, (unsigned long long)errors);
        break;
    }
    case MODE_CONNECT:
        printf("RESULT %s mode=connect%s conns=%d rounds=%d size=%ld connections=%llu rate=%.0f conn/s p50=%.1fus "
               "p90=%.1fus p99=%.1fus p99.9=%.1fus max=%.1fus server_cpu=%.0f%% client_cpu=%.0f%% errors=%llu\n",
               label, tls, opt.conns, opt.rounds, opt.size, (unsigned long long)msgs, rate, p50, p90, p99, p999, max, server,
               client, (unsigned long long)errors);
        break;
    case MODE_THROUGHPUT:
        printf("RESULT %s mode=throughput%s conns=%d depth=%d size=%ld msgs=%llu rate=%.0f msg/s %.2f MB/s "
               "p50=%.1fus p99=%.1fus server_cpu=%.0f%% client_cpu=%.0f%% other_cpu=%.0f%% errors=%llu\n",
               label, tls, opt.conns, opt.depth, opt.size, (unsigned long long)msgs, rate, mbps, p50, p99, server, client,
               other, (unsigned long long)errors);
        break;
    }
    printf("{\"label\":\"%s\",\"mode\":\"%s\",\"conns\":%d,\"depth\":%d,\"size\":%ld,\"text\":%s,\"tls\":%s,\"secs\":%.3f,"
           "\"msgs\":%llu,\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f,"
           "\"lat_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f},\"samples\":%llu,"
           "\"opened\":%llu,\"alive\":%llu,\"survived\":%llu,\"connect_s\":%.3f,"
           "\"errors\":%llu,\"mismatches\":%llu,\"proto_errors\":%llu,\"conn_failures\":%llu,"
           "\"handshake_failures\":%llu,\"io_errors\":%llu,\"server_closes\":%llu,\"unanswered_closes\":%llu,"
           "\"timed_out\":%s,\"server_pid\":%d,\"rss_base_kb\":%ld,\"rss_connected_kb\":%ld,\"rss_end_kb\":%ld,"
           "\"rss_peak_kb\":%ld,\"server_cpu_pct\":%.1f,\"client_cpu_pct\":%.1f,\"system_busy_pct\":%.1f,"
           "\"other_cpu_pct\":%.1f,\"steal_pct\":%.1f,\"irq_softirq_pct\":%.1f,"
           "\"sent\":%llu,\"echoed\":%llu,\"pings\":%llu",
           opt.label, mode_name(opt.mode), opt.conns, opt.depth, opt.size, opt.text ? "true" : "false",
           opt.tls ? "true" : "false", secs,
           (unsigned long long)msgs, rate, mbps, p50, p90, p99, p999, max, (unsigned long long)samples_count(),
           (unsigned long long)stats.opened, (unsigned long long)r->alive, (unsigned long long)r->survived, connect_s,
           (unsigned long long)errors, (unsigned long long)stats.mismatches, (unsigned long long)stats.proto_errors,
           (unsigned long long)stats.conn_failures, (unsigned long long)stats.handshake_failures,
           (unsigned long long)stats.io_errors, (unsigned long long)stats.server_closes,
           (unsigned long long)r->unanswered_closes, r->timed_out ? "true" : "false", opt.pid, r->rss_base,
           r->rss_connected, r->rss_end, r->rss_peak, server, client, busy, other, steal, irq,
           (unsigned long long)stats.sent, (unsigned long long)stats.echoed, (unsigned long long)stats.pings);
    printf(",\"ports\":[");
    for (int i = 0; i < opt.nports; i++) printf("%s%d", i ? "," : "", opt.ports[i]);
    printf("],\"server_pids\":[");
    for (int i = 0; i < opt.npids; i++) printf("%s%d", i ? "," : "", opt.pids[i]);
    printf("],\"pid_cpu_pct\":[");
    for (int i = 0; i < opt.npids; i++)
        printf("%s%.1f", i ? "," : "", r->cpu_known ? pct_of_window(r->cpu0.each[i], r->cpu1.each[i], secs) : -1.0);
    printf("]");
    if (opt.mode == MODE_CONNECT)
        printf(",\"rounds\":%d,\"cycles\":%llu", opt.rounds, (unsigned long long)stats.cycles);
    if (fanout) {
        printf(",\"receivers\":%d,\"rate\":%ld,\"published\":%llu,\"expected\":%llu,\"delivered\":%llu,"
               "\"missed\":%llu,\"deliveries_per_s\":%.1f,\"out_of_order\":%llu,\"own\":%llu,"
               "\"unsubscribed\":%llu,\"retired\":%llu,\"skipped\":%llu,\"nodes\":[",
               opt.conns, opt.rate, (unsigned long long)published, (unsigned long long)expected,
               (unsigned long long)fan.delivered, (unsigned long long)(expected > fan.delivered ? expected - fan.delivered : 0),
               rate, (unsigned long long)fan.out_of_order, (unsigned long long)fan.own,
               (unsigned long long)fan.unsubscribed, (unsigned long long)fan.retired, (unsigned long long)fan.skipped);
        for (int i = 0; i < opt.nports; i++) {
            uint64_t want = published * fan.node_receivers[i], got = fan.node_delivered[i];
            printf("%s{\"port\":%d,\"receivers\":%llu,\"deliveries_per_s\":%.1f,\"expected\":%llu,"
                   "\"delivered\":%llu,\"missed\":%llu}",
                   i ? "," : "", opt.ports[i], (unsigned long long)fan.node_receivers[i],
                   secs > 0 && r->cpu_known ? (double)fan.node_arrivals[i] / secs : 0, (unsigned long long)want,
                   (unsigned long long)got, (unsigned long long)(want > got ? want - got : 0));
        }
        printf("]");
    }
    printf("}\n");
    return errors > 0;
}
