/* The command line: every flag, its default and its bounds. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

struct options opt = {
    .host = "127.0.0.1",
    .path = "/",
    .label = "",
    .mode = MODE_THROUGHPUT,
    .conns = 1,
    .depth = 1,
    .concurrency = 64,
    .rounds = 5,
    .size = 64,
    .seconds = 5,
    .warmup = 1,
    .connect_timeout = 10,
    .server_name = "localhost",
};

const char *mode_name(enum mode m) {
    return m == MODE_LATENCY   ? "latency"
           : m == MODE_IDLE    ? "idle"
           : m == MODE_FANOUT  ? "fanout"
           : m == MODE_CONNECT ? "connect"
                               : "throughput";
}

static const char help[] =
    "usage: loadgen -p PORT[,PORT...] [-m throughput|latency|idle|fanout|connect] [options]\n"
    "\n"
    "Drives WebSocket servers on loopback from one thread and checks every byte they send.\n"
    "The last line of stdout is one JSON object; the line before it, RESULT ..., is for people.\n"
    "\n"
    "  -p, --port PORT[,PORT]   the server's port (required); several ports (a comma list, or\n"
    "                           -p again; at most 16) spread the connections round-robin:\n"
    "                           connection i goes to the (i mod n)th\n"
    "  -m, --mode MODE          throughput (default): -d messages in flight on each connection,\n"
    "                           a new one sent for each echo; latency: the same with -d 1, every\n"
    "                           round trip timed; idle: each connection sends one message per\n"
    "                           second for --rounds rounds, and the server's RSS is read;\n"
    "                           fanout: -c receivers and one publisher (on the first port) on\n"
    "                           one topic (--path); what the publisher sends must reach every\n"
    "                           receiver, in order, and is timed from send to each delivery;\n"
    "                           connect: -c connections at a time, each closed (close frame\n"
    "                           and answer) after its upgrade and --rounds echoes and replaced\n"
    "                           by a new one; connections/s, timed from connect() to the 101\n"
    "                           (or to the last echo)\n"
    "  -c, --conns N            connections (default 1, at most 100000); fanout: receivers;\n"
    "                           connect: connections in progress at once\n"
    "  -d, --depth N            messages in flight per connection (default 1; throughput), or\n"
    "                           fanout without --rate: messages outstanding, each until every\n"
    "                           receiver has it (or a later one) or 1 s passed\n"
    "      --rate N             fanout: publish N messages/s, paced, whatever arrives (for\n"
    "                           latency; 1 to 10000000) instead of the -d window\n"
    "  -s, --size BYTES         payload bytes per message (default 64, 0 to 16777216; fanout:\n"
    "                           at least 16, for the sequence number and send time)\n"
    "  -t, --time SECONDS       the measured window (default 5)\n"
    "  -w, --warmup SECONDS     load before the window, not measured (default 1)\n"
    "      --rounds N           idle: rounds of one message per connection (default 5, at\n"
    "                           least 1); connect: echoes per connection, one at a time,\n"
    "                           before it closes (default 0: the upgrade only)\n"
    "      --text               text frames (the payload is ASCII) instead of binary (not fanout)\n"
    "      --samples FILE       write every measured round trip (µs, arrival order) to FILE\n"
    "      --pid PID[,PID]      the server's process: its CPU (from /proc/PID/stat) and RSS\n"
    "                           (VmRSS, /proc/PID/status) are reported; several (a comma list,\n"
    "                           or --pid again): their CPU summed and each, the first's RSS\n"
    "      --max-msgs N         send no more than N messages, then wait for their echoes\n"
    "      --host ADDRESS       127.x.y.z or localhost (default 127.0.0.1); nothing else\n"
    "      --sources N          bind connection i to the source address 127.0.1.(1 + i mod N)\n"
    "                           (1 to 254): one source address has about 28,000 ephemeral\n"
    "                           ports toward a server port, so 100,000 connections need 4\n"
    "      --path PATH          the upgrade request's target (default /; fanout: the topic,\n"
    "                           such as /topics/bench)\n"
    "      --concurrency N      connections being set up at once (default 64)\n"
    "      --connect-timeout S  for all connections to be open (default 10); fanout: as long\n"
    "                           again for every receiver to get a probe (its subscription);\n"
    "                           connect: for each connection, from connect() to closed\n"
    "      --label TEXT         copied into the output\n"
    "      --tls                every connection is wss (TLS through OpenSSL's libssl, in\n"
    "                           every mode): the TLS handshake after the TCP connect, then the\n"
    "                           upgrade; each connection makes a full handshake (no resumption)\n"
    "      --tls-ca FILE        with --tls: the CA (PEM) the server's certificate must chain to,\n"
    "                           for --server-name; a connection that fails it is a handshake\n"
    "                           failure, OpenSSL's reason in its line\n"
    "      --tls-insecure       with --tls and no --tls-ca: do not verify the server (it must be\n"
    "                           said: --tls alone is refused)\n"
    "      --server-name NAME   with --tls: the SNI sent (none for an IP address) and the name or\n"
    "                           IP address the certificate must hold (default localhost); the\n"
    "                           upgrade's Host is --host and the port, as without --tls\n"
    "  -h, --help               this text\n"
    "\n"
    "Exit status: 0 if no errors, 1 if the run finished with errors (they are counted in the\n"
    "JSON), 2 if it could not run (bad flags, no connection, a system call failed). In fanout\n"
    "mode a missed delivery is not an error (a server may drop for a slow receiver): it is\n"
    "counted; a duplicate, a reorder, altered bytes or the publisher's own message back are.\n";

static void usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "loadgen: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (loadgen --help lists the flags)\n");
    exit(2);
}

static long whole(const char *flag, const char *arg, long lo, long hi) {
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < lo || v > hi) {
        fprintf(stderr, "loadgen: %s takes a whole number from %ld to %ld, not '%s'\n", flag, lo, hi, arg);
        exit(2);
    }
    return v;
}

static double seconds(const char *flag, const char *arg, double lo, double hi) {
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "loadgen: %s takes seconds from %g to %g, not '%s'\n", flag, lo, hi, arg);
        exit(2);
    }
    return v;
}

/* A comma list of whole numbers from lo to hi, appended to list (at most max in all). */
static void whole_list(const char *flag, const char *arg, long lo, long hi, int *list, int *n, int max) {
    char item[32];
    for (const char *p = arg;;) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof item) usage_error("%s takes numbers separated by commas", flag);
        memcpy(item, p, len);
        item[len] = 0;
        if (*n >= max) {
            fprintf(stderr, "loadgen: %s: at most %d\n", flag, max);
            exit(2);
        }
        list[(*n)++] = (int)whole(flag, item, lo, hi);
        if (!p[len]) break;
        p += len + 1;
    }
}

enum { O_TEXT = 256, O_SAMPLES, O_PID, O_HOST, O_PATH, O_CONCURRENCY, O_ROUNDS, O_MAX_MSGS, O_CONNECT_TIMEOUT, O_LABEL, O_RATE, O_SOURCES,
       O_TLS, O_TLS_CA, O_TLS_INSECURE, O_SERVER_NAME };

void parse_options(int argc, char **argv) {
    static const struct option longs[] = {
        {"port", required_argument, 0, 'p'},     {"mode", required_argument, 0, 'm'},
        {"conns", required_argument, 0, 'c'},    {"depth", required_argument, 0, 'd'},
        {"size", required_argument, 0, 's'},     {"time", required_argument, 0, 't'},
        {"warmup", required_argument, 0, 'w'},   {"help", no_argument, 0, 'h'},
        {"text", no_argument, 0, O_TEXT},        {"samples", required_argument, 0, O_SAMPLES},
        {"pid", required_argument, 0, O_PID},    {"host", required_argument, 0, O_HOST},
        {"path", required_argument, 0, O_PATH},  {"concurrency", required_argument, 0, O_CONCURRENCY},
        {"rounds", required_argument, 0, O_ROUNDS}, {"max-msgs", required_argument, 0, O_MAX_MSGS},
        {"connect-timeout", required_argument, 0, O_CONNECT_TIMEOUT}, {"label", required_argument, 0, O_LABEL},
        {"rate", required_argument, 0, O_RATE},  {"sources", required_argument, 0, O_SOURCES},
        {"tls", no_argument, 0, O_TLS},          {"tls-ca", required_argument, 0, O_TLS_CA},
        {"tls-insecure", no_argument, 0, O_TLS_INSECURE}, {"server-name", required_argument, 0, O_SERVER_NAME},
        {0, 0, 0, 0},
    };
    int depth_given = 0, rounds_given = 0, server_name_given = 0, ch;
    while ((ch = getopt_long(argc, argv, "p:m:c:d:s:t:w:h", longs, NULL)) != -1) {
        switch (ch) {
        case 'p': whole_list("-p", optarg, 1, 65535, opt.ports, &opt.nports, MAX_PORTS); break;
        case 'm':
            if (!strcmp(optarg, "throughput")) opt.mode = MODE_THROUGHPUT;
            else if (!strcmp(optarg, "latency")) opt.mode = MODE_LATENCY;
            else if (!strcmp(optarg, "idle")) opt.mode = MODE_IDLE;
            else if (!strcmp(optarg, "fanout")) opt.mode = MODE_FANOUT;
            else if (!strcmp(optarg, "connect")) opt.mode = MODE_CONNECT;
            else usage_error("-m takes throughput, latency, idle, fanout or connect, not '%s'", optarg);
            break;
        case 'c': opt.conns = (int)whole("-c", optarg, 1, 100000); break;
        case 'd': opt.depth = (int)whole("-d", optarg, 1, 4096); depth_given = 1; break;
        case 's': opt.size = whole("-s", optarg, 0, 16L << 20); break;
        case 't': opt.seconds = seconds("-t", optarg, 0.001, 3600); break;
        case 'w': opt.warmup = seconds("-w", optarg, 0, 600); break;
        case 'h': fputs(help, stdout); exit(0);
        case O_TEXT: opt.text = 1; break;
        case O_SAMPLES: opt.samples_file = optarg; break;
        case O_PID: whole_list("--pid", optarg, 1, 1L << 30, opt.pids, &opt.npids, MAX_PIDS); break;
        case O_RATE: opt.rate = whole("--rate", optarg, 1, 10000000); break;
        case O_HOST: opt.host = optarg; break;
        case O_SOURCES: opt.sources = (int)whole("--sources", optarg, 1, 254); break;
        case O_PATH:
            if (optarg[0] != '/' || strpbrk(optarg, " \r\n")) usage_error("--path must start with / and hold no spaces: '%s'", optarg);
            opt.path = optarg;
            break;
        case O_CONCURRENCY: opt.concurrency = (int)whole("--concurrency", optarg, 1, 100000); break;
        case O_ROUNDS: opt.rounds = (int)whole("--rounds", optarg, 0, 3600); rounds_given = 1; break;
        case O_MAX_MSGS: opt.max_msgs = (uint64_t)whole("--max-msgs", optarg, 1, 1L << 50); break;
        case O_CONNECT_TIMEOUT: opt.connect_timeout = seconds("--connect-timeout", optarg, 0.1, 600); break;
        case O_LABEL:
            if (strpbrk(optarg, "\"\\") || strlen(optarg) > 200) usage_error("--label must be under 200 characters, without quotes or backslashes: '%s'", optarg);
            for (const char *p = optarg; *p; p++)
                if ((unsigned char)*p < 0x20) usage_error("--label holds a control character: '%s'", optarg);
            opt.label = optarg;
            break;
        case O_TLS: opt.tls = 1; break;
        case O_TLS_CA: opt.tls_ca = optarg; break;
        case O_TLS_INSECURE: opt.tls_insecure = 1; break;
        case O_SERVER_NAME:
            if (!optarg[0] || strlen(optarg) > 253 || strpbrk(optarg, " /:\"\\\r\n\t"))
                usage_error("--server-name takes a host name or an IPv4 address, not '%s'", optarg);
            opt.server_name = optarg;
            server_name_given = 1;
            break;
        default: fprintf(stderr, "loadgen: see loadgen --help\n"); exit(2);
        }
    }
    if (optind < argc) usage_error("unexpected argument '%s'", argv[optind]);
    if (!opt.nports) usage_error("%s", "-p PORT is required");
    opt.port = opt.ports[0];
    opt.pid = opt.npids ? opt.pids[0] : 0;
    if (!opt.tls && (opt.tls_ca || opt.tls_insecure || server_name_given))
        usage_error("%s", "--tls-ca, --tls-insecure and --server-name are for --tls");
    /* Not verifying the server must be asked for, not fallen into by leaving out --tls-ca. */
    if (opt.tls && !opt.tls_ca && !opt.tls_insecure)
        usage_error("%s", "--tls needs --tls-ca FILE to verify the server against, or --tls-insecure to not verify it");
    if (opt.tls_ca && opt.tls_insecure) usage_error("%s", "--tls-ca and --tls-insecure: one or the other");
    if (opt.mode == MODE_FANOUT) {
        if (opt.size < FANOUT_STAMP_LEN) {
            fprintf(stderr, "loadgen: -s is at least %d in fanout mode (a message carries its sequence number and send time), not %ld\n", FANOUT_STAMP_LEN, opt.size);
            exit(2);
        }
        if (opt.text) usage_error("%s", "--text: fanout messages are binary (their stamp is)");
        if (opt.max_msgs) usage_error("%s", "--max-msgs is for the echo modes, not fanout");
        if (opt.rate && depth_given) fprintf(stderr, "loadgen: -d is not used with --rate (the rate paces the publisher)\n");
        return;
    }
    if (opt.rate) usage_error("%s", "--rate is for -m fanout");
    if (opt.mode == MODE_CONNECT) {
        if (!rounds_given) opt.rounds = 0;
        if (opt.max_msgs) usage_error("%s", "--max-msgs is not for connect mode (--rounds is its messages)");
    } else if (opt.rounds < 1) {
        usage_error("%s", "--rounds is at least 1 (0 is for -m connect)");
    }
    if (opt.mode != MODE_THROUGHPUT) {
        if (depth_given && opt.depth != 1) fprintf(stderr, "loadgen: -d is 1 in %s mode\n", mode_name(opt.mode));
        opt.depth = 1;
    }
}
