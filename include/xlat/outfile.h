/*
 * xlat/outfile.h — output files that are never half-written and never
 * destroy anything the command did not create.
 *
 *   struct xlat_outfile *f;
 *   const char *inputs[] = { in_path, NULL };
 *   if (xlat_outfile_open(&f, "out.xlt", inputs) < 0) die(xlat_error());
 *   if (xlat_outfile_write(f, buf, len) < 0) { xlat_outfile_abort(f); die(...); }
 *   if (xlat_outfile_commit(f) < 0) die(xlat_error());
 *
 * How (and the promises it gives):
 *  - open creates a new temporary file in the target's directory, with the
 *    permissions a new file gets (0666 minus the umask) or, when the target
 *    exists, the target's permission bits; the target itself is not
 *    touched. The file is unnamed (O_TMPFILE) where the file system allows:
 *    a process killed before commit then leaves nothing behind. Elsewhere
 *    (or with XLAT_OUTFILE_NAMED=1 in the environment) it is a named file
 *    ".NAME.XXXXXX.tmp" created with O_EXCL (never an existing file), which
 *    abort and xlat_outfile_signal_cleanup remove, but SIGKILL cannot.
 *  - writes are buffered and every one is checked; the first error is
 *    sticky (later calls return it) and names the target path.
 *  - commit flushes and fsyncs the temporary file, gives it its name
 *    (an unnamed file is linked in: straight to the target if there was
 *    none, linkat never replacing anything; else to a temporary name),
 *    renames it over the target and fsyncs the directory: the target is
 *    either the old file or the complete new one, whatever happens
 *    (crash, SIGKILL, full disk).
 *  - abort removes the temporary file only (after checking it is still
 *    ours: same device and inode); the target is untouched.
 *  - refused up front, with a message naming both paths: a target that is
 *    the same file as one of `inputs` (device and inode, following
 *    symbolic links, so a symlink to an input is refused too); an existing
 *    target that is not a regular file (directory, device, FIFO, socket);
 *    a symbolic link to a missing file. A symbolic link to a regular file
 *    is followed: the file it points to is replaced, the link stays.
 *  - path "-" is standard output: no temporary file and no rename, but
 *    writes are still checked and buffered, and commit flushes (a standard
 *    output that is one of the inputs, as in `>> IN`, is refused).
 *  - a target with several hard links is replaced under this name only
 *    (the other names keep the old contents), as rename(2) does.
 * All functions return 0 (or a count) or -errno with xlat_error() set.
 */
#ifndef XLAT_OUTFILE_H
#define XLAT_OUTFILE_H

#include "xlat/base.h"

XLAT_API_BEGIN

struct xlat_outfile;

/* Opens `path` ("-": stdout) for writing. `inputs`: NULL-terminated list of
 * the files the command reads (NULL: none); inputs that do not exist are
 * ignored (their opener reports them). 0 or -errno:
 * -EEXIST same file as an input, -EISDIR, -EINVAL not a regular file,
 * or what creating the temporary file gave. */
XLAT_MUST_CHECK int xlat_outfile_open(struct xlat_outfile **out, const char *path, const char *const *inputs);
/* The checks of xlat_outfile_open without creating anything, for commands
 * that want to refuse before doing expensive work. 0 or -errno. */
XLAT_MUST_CHECK int xlat_outfile_check(const char *path, const char *const *inputs);

/* Appends len bytes. 0 or -errno (sticky). */
XLAT_MUST_CHECK int xlat_outfile_write(struct xlat_outfile *f, const void *buf, size_t len);
/* Appends formatted text. 0 or -errno (sticky). */
int xlat_outfile_printf(struct xlat_outfile *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Overwrites len bytes at offset off of what was written so far (a header
 * patched at the end). Not for standard output: -ESPIPE. 0 or -errno. */
XLAT_MUST_CHECK int xlat_outfile_pwrite(struct xlat_outfile *f, const void *buf, size_t len, uint64_t off);
/* Bytes written so far. */
uint64_t xlat_outfile_size(const struct xlat_outfile *f);
/* The descriptor, with buffered bytes flushed, for a child process that
 * writes into the file (its offset is the end). -errno if a write failed. */
int xlat_outfile_fd(struct xlat_outfile *f);
/* The target as given ("-" for stdout), for messages. */
const char *xlat_outfile_path(const struct xlat_outfile *f);
bool xlat_outfile_is_stdout(const struct xlat_outfile *f);

/* Flushes, fsyncs and renames over the target. Frees f either way; on
 * failure the temporary file is removed and the target is untouched. */
XLAT_MUST_CHECK int xlat_outfile_commit(struct xlat_outfile *f);
/* Removes the temporary file and frees f. NULL is ok. */
void xlat_outfile_abort(struct xlat_outfile *f);

/* Async-signal-safe: unlinks every temporary file still open in this
 * process. For a command's SIGINT/SIGTERM handler, before it re-raises. */
void xlat_outfile_signal_cleanup(void);

XLAT_API_END

#endif
