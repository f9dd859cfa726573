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
};

const char *mode_name(enum mode m) {
    return m == MODE_LATENCY ? "latency" : m == MODE_IDLE ? "idle" : "throughput";
}

static const char help[] =
    "usage: loadgen -p PORT [-m throughput|latency|idle] [options]\n"
    "\n"
    "Drives a WebSocket echo server on loopback from one thread and checks every echoed byte.\n"
    "The last line of stdout is one JSON object; the line before it, RESULT ..., is for people.\n"
    "\n"
    "  -p, --port PORT          the server's port (required)\n"
    "  -m, --mode MODE          throughput (default): -d messages in flight on each connection,\n"
    "                           a new one sent for each echo; latency: the same with -d 1, every\n"
    "                           round trip timed; idle: each connection sends one message per\n"
    "                           second for --rounds rounds, and the server's RSS is read\n"
    "  -c, --conns N            connections (default 1, at most 100000)\n"
    "  -d, --depth N            messages in flight per connection (default 1; throughput only)\n"
    "  -s, --size BYTES         payload bytes per message (default 64, 0 to 16777216)\n"
    "  -t, --time SECONDS       the measured window (default 5)\n"
    "  -w, --warmup SECONDS     load before the window, not measured (default 1)\n"
    "      --rounds N           idle: rounds of one message per connection (default 5)\n"
    "      --text               text frames (the payload is ASCII) instead of binary\n"
    "      --samples FILE       write every measured round trip (µs, arrival order) to FILE\n"
    "      --pid PID            the server's process: its CPU (from /proc/PID/stat) and RSS\n"
    "                           (VmRSS, /proc/PID/status) are reported\n"
    "      --max-msgs N         send no more than N messages, then wait for their echoes\n"
    "      --host ADDRESS       127.x.y.z or localhost (default 127.0.0.1); nothing else\n"
    "      --path PATH          the upgrade request's target (default /)\n"
    "      --concurrency N      connections being set up at once (default 64)\n"
    "      --connect-timeout S  for all connections to be open (default 10)\n"
    "      --label TEXT         copied into the output\n"
    "  -h, --help               this text\n"
    "\n"
    "Exit status: 0 if no errors, 1 if the run finished with errors (they are counted in the\n"
    "JSON), 2 if it could not run (bad flags, no connection, a system call failed).\n";

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

enum { O_TEXT = 256, O_SAMPLES, O_PID, O_HOST, O_PATH, O_CONCURRENCY, O_ROUNDS, O_MAX_MSGS, O_CONNECT_TIMEOUT, O_LABEL };

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
        {0, 0, 0, 0},
    };
    int depth_given = 0, ch;
    while ((ch = getopt_long(argc, argv, "p:m:c:d:s:t:w:h", longs, NULL)) != -1) {
        switch (ch) {
        case 'p': opt.port = (int)whole("-p", optarg, 1, 65535); break;
        case 'm':
            if (!strcmp(optarg, "throughput")) opt.mode = MODE_THROUGHPUT;
            else if (!strcmp(optarg, "latency")) opt.mode = MODE_LATENCY;
            else if (!strcmp(optarg, "idle")) opt.mode = MODE_IDLE;
            else usage_error("-m takes throughput, latency or idle, not '%s'", optarg);
            break;
        case 'c': opt.conns = (int)whole("-c", optarg, 1, 100000); break;
        case 'd': opt.depth = (int)whole("-d", optarg, 1, 4096); depth_given = 1; break;
        case 's': opt.size = whole("-s", optarg, 0, 16L << 20); break;
        case 't': opt.seconds = seconds("-t", optarg, 0.001, 3600); break;
        case 'w': opt.warmup = seconds("-w", optarg, 0, 600); break;
        case 'h': fputs(help, stdout); exit(0);
        case O_TEXT: opt.text = 1; break;
        case O_SAMPLES: opt.samples_file = optarg; break;
        case O_PID: opt.pid = (int)whole("--pid", optarg, 1, 1L << 30); break;
        case O_HOST: opt.host = optarg; break;
        case O_PATH:
            if (optarg[0] != '/' || strpbrk(optarg, " \r\n")) usage_error("--path must start with / and hold no spaces: '%s'", optarg);
            opt.path = optarg;
            break;
        case O_CONCURRENCY: opt.concurrency = (int)whole("--concurrency", optarg, 1, 100000); break;
        case O_ROUNDS: opt.rounds = (int)whole("--rounds", optarg, 1, 3600); break;
        case O_MAX_MSGS: opt.max_msgs = (uint64_t)whole("--max-msgs", optarg, 1, 1L << 50); break;
        case O_CONNECT_TIMEOUT: opt.connect_timeout = seconds("--connect-timeout", optarg, 0.1, 600); break;
        case O_LABEL:
            if (strpbrk(optarg, "\"\\") || strlen(optarg) > 200) usage_error("--label must be under 200 characters, without quotes or backslashes: '%s'", optarg);
            for (const char *p = optarg; *p; p++)
                if ((unsigned char)*p < 0x20) usage_error("--label holds a control character: '%s'", optarg);
            opt.label = optarg;
            break;
        default: fprintf(stderr, "loadgen: see loadgen --help\n"); exit(2);
        }
    }
    if (optind < argc) usage_error("unexpected argument '%s'", argv[optind]);
    if (!opt.port) usage_error("%s", "-p PORT is required");
    if (opt.mode != MODE_THROUGHPUT) {
        if (depth_given && opt.depth != 1) fprintf(stderr, "loadgen: -d is 1 in %s mode\n", mode_name(opt.mode));
        opt.depth = 1;
    }
}
