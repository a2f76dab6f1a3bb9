/*
 * LD_PRELOAD shim for the Jepsen harness's fsync nemesis: while the file named by
 * LATCHKEY_FSYNC_EIO_FLAG exists, fsync, fdatasync, syncfs and sync_file_range fail with EIO
 * without syncing, as a failing disk would make them. The node JVM and the PostgreSQL it
 * starts inherit the preload, so PostgreSQL's WAL flushes fail. Built by the harness with gcc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static int failing(void) {
    const char *flag = getenv("LATCHKEY_FSYNC_EIO_FLAG");
    return flag != NULL && access(flag, F_OK) == 0;
}

/* Defines name(params): EIO while failing, else the next definition of name (libc's). */
#define FAILING_SYNC(name, params, args) \
    int name params { \
        static int (*real) params; \
        if (real == NULL) { \
            real = dlsym(RTLD_NEXT, #name); \
        } \
        if (failing()) { \
            errno = EIO; \
            return -1; \
        } \
        return real args; \
    }

FAILING_SYNC(fsync, (int fd), (fd))
FAILING_SYNC(fdatasync, (int fd), (fd))
FAILING_SYNC(syncfs, (int fd), (fd))
FAILING_SYNC(sync_file_range, (int fd, off64_t offset, off64_t nbytes, unsigned int flags), (fd, offset, nbytes, flags))
