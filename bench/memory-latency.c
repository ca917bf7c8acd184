// The latency of one cache miss on this machine: dependent random loads over
// a buffer of N MiB (argv[1]); with a second argument, the buffer is backed
// by transparent huge pages. It bounds what a single index lookup can cost:
// a hit reads a bucket and then the arena, two dependent loads.
//
//   gcc -O2 -o memory-latency bench/memory-latency.c && ./memory-latency 300 && ./memory-latency 300 huge
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s MIB [huge]\n", argv[0]);
        return 2;
    }
    size_t bytes = (size_t)atol(argv[1]) << 20, lines = bytes / 64;
    uint64_t *buffer = mmap(0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buffer == MAP_FAILED) return 1;
    if (argc > 2) madvise(buffer, bytes, MADV_HUGEPAGE);
    // One random cycle through every cache line, so each load depends on the one before.
    size_t *order = malloc(lines * sizeof(size_t));
    for (size_t i = 0; i < lines; i++) order[i] = i;
    uint64_t state = 42;
    for (size_t i = lines - 1; i > 0; i--) {
        state = state * 6364136223846793005ULL + 1;
        size_t j = (state >> 17) % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < lines; i++) buffer[order[i] * 8] = order[(i + 1) % lines] * 8;
    struct timespec start, end;
    size_t position = order[0] * 8;
    const long steps = 5000000;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < steps; i++) position = buffer[position];
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ns = ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / steps;
    printf("%zu MiB%s: %.1f ns per dependent load (%zu)\n", bytes >> 20, argc > 2 ? ", huge pages" : "", ns, position & 1);
    return 0;
}
