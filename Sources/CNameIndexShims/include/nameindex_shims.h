#ifndef NAMEINDEX_SHIMS_H
#define NAMEINDEX_SHIMS_H

/// Hints the CPU to load the cache line at `address` for reading (no effect on results).
static inline void nameindex_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
