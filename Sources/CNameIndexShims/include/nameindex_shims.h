#ifndef NAMEINDEX_SHIMS_H
#define NAMEINDEX_SHIMS_H

#ifdef __linux__
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/// A pipe whose ends close on exec, its read end non-blocking: 0, or -1 with errno.
static inline int nameindex_output_pipe(int ends[2]) {
    if (pipe2(ends, O_CLOEXEC) != 0) return -1;
    int flags = fcntl(ends[0], F_GETFL);
    if (flags < 0 || fcntl(ends[0], F_SETFL, flags | O_NONBLOCK) != 0) {
        int saved = errno;
        close(ends[0]);
        close(ends[1]);
        errno = saved;
        return -1;
    }
    return 0;
}

/// Asks for a pipe of `bytes` (best effort; up to /proc/sys/fs/pipe-max-size); its size after.
static inline int nameindex_pipe_resize(int fd, int bytes) {
    (void)fcntl(fd, F_SETPIPE_SZ, bytes);
    return fcntl(fd, F_GETPIPE_SZ);
}

/// Whether child `pid` has exited, leaving it to be reaped by whoever waits for it
/// (WNOWAIT); a child already reaped (ECHILD) has exited too.
static inline int nameindex_child_exited(pid_t pid) {
    siginfo_t info;
    info.si_pid = 0;
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return errno == ECHILD;
    return info.si_pid == pid;
}
#endif

/// Hints the CPU to load the cache line at `address` for reading (no effect on results).
static inline void nameindex_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
