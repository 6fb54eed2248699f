#include "external_data.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "status.h"

void (*obn_external_race_hook)(int stage);

/* Relative, no ".." component, a base folder to resolve it in. */
static obn_status check_location(const char *base_dir, const char *loc, const char *what)
{
    if (!loc || !loc[0])
        return obn_err(OBN_E_INVALID_MODEL, "tensor '%s': external data has no 'location'", what);
    if (loc[0] == '/' || loc[0] == '\\')
        return obn_err(OBN_E_INVALID_MODEL,
                       "tensor '%s': external data location '%s' is absolute; it must be relative to the model folder",
                       what, loc);
    for (const char *p = loc; *p;) {
        const char *e = p;
        while (*e && *e != '/' && *e != '\\') e++;
        if (e - p == 2 && p[0] == '.' && p[1] == '.')
            return obn_err(OBN_E_INVALID_MODEL,
                           "tensor '%s': external data location '%s' contains '..' and could escape the model folder",
                           what, loc);
        p = *e ? e + 1 : e;
    }
    if (!base_dir)
        return obn_err(OBN_E_INVALID_MODEL,
                       "tensor '%s' uses external data ('%s') but the model was loaded from memory without a base folder",
                       what, loc);
    return OBN_OK;
}

/* `joined` resolved (symlinks followed) into `resolved`, which must lie in
 * the folder base_real. */
static obn_status resolve_inside(const char *base_real, const char *joined, const char *loc, const char *what,
                                 char *resolved)
{
    if (!realpath(joined, resolved))
        return obn_err(OBN_E_IO, "tensor '%s': cannot open external data file '%s': %s", what, joined,
                       strerror(errno));
    size_t bl = strlen(base_real);
    if (strncmp(resolved, base_real, bl) != 0 || (resolved[bl] != '/' && bl > 1))
        return obn_err(OBN_E_INVALID_MODEL,
                       "tensor '%s': external data location '%s' resolves to '%s', outside the model folder",
                       what, loc, resolved);
    return OBN_OK;
}

/* After open(): the path must still resolve inside the folder, to the very
 * file that was opened. */
static obn_status verify_opened(const char *base_real, const char *joined, const char *loc, const char *what,
                                const struct stat *opened, char *resolved)
{
    OBN_TRY(resolve_inside(base_real, joined, loc, what, resolved));
    struct stat now;
    if (stat(resolved, &now) != 0 || now.st_dev != opened->st_dev || now.st_ino != opened->st_ino)
        return obn_err(OBN_E_INVALID_MODEL,
                       "tensor '%s': external data file '%s' changed while it was being opened (a path component "
                       "was replaced); refused",
                       what, loc);
    return OBN_OK;
}

obn_status obn_external_open(const char *base_dir, const char *loc, const char *what, int *fd, char *path,
                             struct stat *sb)
{
    *fd = -1;
    OBN_TRY(check_location(base_dir, loc, what));
    char base_real[PATH_MAX], joined[PATH_MAX * 2];
    if (!realpath(base_dir, base_real))
        return obn_err(OBN_E_IO, "tensor '%s': cannot resolve model folder '%s': %s", what, base_dir,
                       strerror(errno));
    snprintf(joined, sizeof joined, "%s/%s", base_real, loc);
    if (strlen(joined) >= PATH_MAX)
        return obn_err(OBN_E_INVALID_MODEL, "tensor '%s': external data location '%s' is too long", what, loc);
    /* checked before opening too, so that nothing outside is ever opened
     * (opening a device can have effects) when no one is racing us */
    OBN_TRY(resolve_inside(base_real, joined, loc, what, path));
    if (obn_external_race_hook) obn_external_race_hook(0);
    /* O_NONBLOCK: a FIFO planted in the folder must not hang the load (it
     * is refused as not a regular file); O_NOCTTY: nor a terminal adopt us */
    int f = open(joined, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (f < 0)
        return obn_err(OBN_E_IO, "tensor '%s': cannot open external data file '%s': %s", what, path,
                       strerror(errno));
    if (obn_external_race_hook) obn_external_race_hook(1);
    obn_status s = OBN_OK;
    if (fstat(f, sb) != 0 || !S_ISREG(sb->st_mode))
        s = obn_err(OBN_E_IO, "tensor '%s': external data '%s' is not a regular file", what, path);
    else
        s = verify_opened(base_real, joined, loc, what, sb, path);
    if (s != OBN_OK) {
        close(f);
        return s;
    }
    *fd = f;
    return OBN_OK;
}

/* A mapped file that someone else truncates makes reading the tensor raise
 * SIGBUS, and one they rewrite changes its values under a running session:
 * only a file that no other user may write is mapped (the owner's and
 * root's writes are the process's own business). */
int obn_fd_only_we_write(int fd)
{
    struct stat sb;
    return fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == geteuid() &&
           (sb.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

int obn_external_map(int fd, uint64_t offset, uint64_t length, obn_tensor *t)
{
    long page = sysconf(_SC_PAGESIZE);
    if (length < OBN_EXTERNAL_MAP_MIN || page <= 0 || length > SIZE_MAX / 2 || !obn_fd_only_we_write(fd)) return 0;
    uint64_t start = offset - offset % (uint64_t)page, lead = offset - start;
    if (lead % 64 != 0) return 0; /* the kernels' vector loads want 64-byte alignment */
    /* private and writable: copy-on-write, the file is never changed */
    void *base = mmap(NULL, (size_t)(lead + length), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, (off_t)start);
    if (base == MAP_FAILED) return 0;
    t->data = (char *)base + lead;
    t->owns_data = false;
    t->mapping = base;
    t->mapping_len = (size_t)(lead + length);
    return 1;
}

obn_status obn_external_pread(int fd, void *buf, uint64_t length, uint64_t offset, const char *what,
                              const char *path)
{
    size_t done = 0;
    while (done < length) {
        ssize_t r = pread(fd, (char *)buf + done, length - done, (off_t)(offset + done));
        if (r <= 0) return obn_err(OBN_E_IO, "tensor '%s': reading external data '%s' failed", what, path);
        done += (size_t)r;
    }
    return OBN_OK;
}
