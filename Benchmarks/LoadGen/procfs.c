/*
 * What /proc says about CPU time and memory: the server's (with --pid), ours, and the
 * machine's, read at the two ends of the measured window.
 *
 *  - the server: utime + stime of /proc/PID/stat (fields 14 and 15, all its threads), in
 *    clock ticks (sysconf(_SC_CLK_TCK), 100 a second here): ±1 tick per reading. With
 *    several --pid (the nodes of a fan-out and their Redis), each is read and the sum is
 *    "the server": what the setup as a whole cost.
 *  - ours: CLOCK_PROCESS_CPUTIME_ID.
 *  - the machine: the "cpu" line of /proc/stat, summed over CPUs: busy is user + nice +
 *    system + irq + softirq (guest time is inside user); steal apart. With tick-based
 *    accounting the interrupt time that lands on a process is also in its stime, so "other"
 *    (busy - server - us) is what the rest of the machine took.
 *  - the server's memory: VmRSS of /proc/PID/status, KiB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"

static double ticks_per_second(void) {
    static double hz;
    if (!hz) {
        long t = sysconf(_SC_CLK_TCK);
        hz = t > 0 ? (double)t : 100;
    }
    return hz;
}

static double process_cpu_s(int pid) {
    if (pid <= 0) return -1;
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count from the last ')' */
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    p++;
    unsigned long long utime = 0, stime = 0;
    for (int field = 3; field <= 15; field++) {
        while (*p == ' ') p++;
        if (!*p) return -1;
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (field == 14) utime = v;
        if (field == 15) stime = v;
        while (*end && *end != ' ') end++;  /* the state field is a letter */
        p = end;
    }
    return (double)(utime + stime) / ticks_per_second();
}

static double self_cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void machine_cpu(struct cpu_mark *m) {
    m->busy = m->irq = m->steal = -1;
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return;
    unsigned long long v[8] = {0};
    char label[8];
    int got = fscanf(f, "%7s %llu %llu %llu %llu %llu %llu %llu %llu", label, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (got < 8 || strcmp(label, "cpu") != 0) return;
    double hz = ticks_per_second();
    /* user nice system idle iowait irq softirq steal */
    m->busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / hz;
    m->irq = (double)(v[5] + v[6]) / hz;
    m->steal = got >= 9 ? (double)v[7] / hz : 0;
}

void cpu_mark(struct cpu_mark *m) {
    m->server = opt.npids ? 0 : -1;
    for (int i = 0; i < opt.npids; i++) {
        m->each[i] = process_cpu_s(opt.pids[i]);
        if (m->each[i] < 0 || m->server < 0) m->server = -1;
        else m->server += m->each[i];
    }
    m->self = self_cpu_s();
    machine_cpu(m);
}

long proc_rss_kb(int pid) {
    if (pid <= 0) return -1;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}
