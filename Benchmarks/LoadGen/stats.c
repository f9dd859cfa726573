/*
 * Round-trip samples and their percentiles. Every measured round trip is kept (nanoseconds)
 * up to SAMPLES_MAX; past that a uniform reservoir of SAMPLES_MAX stands for them all (the
 * maximum is still exact). Percentiles are nearest-rank: the smallest sample with at least
 * p of all samples at or below it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

#define SAMPLES_MAX (16u * 1024 * 1024)

static uint64_t *samples;
static size_t kept, capacity;
static uint64_t seen, largest;

void samples_add(uint64_t ns) {
    seen++;
    if (ns > largest) largest = ns;
    if (kept < SAMPLES_MAX) {
        if (kept == capacity) {
            capacity = capacity ? capacity * 2 : 1 << 16;
            samples = xrealloc(samples, capacity * sizeof *samples);
        }
        samples[kept++] = ns;
        return;
    }
    uint64_t slot = ws_random() % seen;  /* reservoir sampling: each sample stays with p = kept/seen */
    if (slot < kept) samples[slot] = ns;
}

uint64_t samples_count(void) { return seen; }

static int ascending(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Least-significant-byte radix sort, as many passes as the largest value has bytes. */
void samples_sort(void) {
    if (kept < 2) return;
    uint64_t *tmp = malloc(kept * sizeof *tmp);
    if (!tmp) {  /* no room for the second buffer: slower, in place */
        qsort(samples, kept, sizeof *samples, ascending);
        return;
    }
    uint64_t *from = samples, *to = tmp;
    for (int shift = 0; shift < 64 && (largest >> shift); shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < kept; i++) count[((from[i] >> shift) & 0xFF) + 1]++;
        for (int b = 0; b < 256; b++) count[b + 1] += count[b];
        for (size_t i = 0; i < kept; i++) to[count[(from[i] >> shift) & 0xFF]++] = from[i];
        uint64_t *t = from;
        from = to;
        to = t;
    }
    if (from != samples) memcpy(samples, from, kept * sizeof *samples);
    free(tmp);
}

double samples_percentile_us(double p) {
    if (!kept) return -1;
    if (p >= 1) return (double)largest / 1e3;
    double rank = p * (double)kept;
    size_t r = (size_t)rank;
    if ((double)r < rank) r++;  /* ceil */
    if (r < 1) r = 1;
    if (r > kept) r = kept;
    return (double)samples[r - 1] / 1e3;
}

int samples_write(const char *file) {
    FILE *f = fopen(file, "w");
    if (!f) return -1;
    for (size_t i = 0; i < kept; i++) fprintf(f, "%.3f\n", (double)samples[i] / 1e3);
    if (seen > kept) warn("--samples: %llu of %llu round trips written (a uniform sample)", (unsigned long long)kept, (unsigned long long)seen);
    return fclose(f);
}
