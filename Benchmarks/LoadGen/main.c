/*
 * loadgen's entry point and the small helpers every file uses: the clock, errors, memory.
 * The run itself is scenario.c; what it prints is report.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "loadgen.h"

uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One line on stderr: "loadgen: " and the message. */
static void say(const char *fmt, va_list ap) {
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void fatal(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
    exit(2);
}

void warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
}

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) fatal("out of memory (%zu bytes)", n);
    return p;
}

void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) fatal("out of memory (%zu bytes)", n);
    return q;
}

/* Each connection is a descriptor: raise the soft limit to what the run needs, within the hard. */
static void enough_descriptors(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return;
    rlim_t want = (rlim_t)opt.conns + 64;
    if (rl.rlim_cur >= want) return;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
        fatal("%d connections need %llu file descriptors; the hard limit is %llu (ulimit -Hn)", opt.conns,
              (unsigned long long)want, (unsigned long long)rl.rlim_max);
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) fatal("setrlimit(RLIMIT_NOFILE, %llu): %s", (unsigned long long)want, strerror(errno));
}

int main(int argc, char **argv) {
    parse_options(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    enough_descriptors();
    ws_random_seed();
    payload_init();
    conns_init();
    setvbuf(stdout, NULL, _IOLBF, 0);

    struct result r;
    memset(&r, 0, sizeof r);
    run_scenario(&r);
    return report(&r) ? 1 : 0;
}
