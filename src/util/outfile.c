/*
 * Safe output files (xlat/outfile.h): a temporary file beside the target,
 * renamed over it only when complete.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xlat/outfile.h"

#define OF_BUF (64u * 1024)       /* bytes buffered before a write(2) */
#define OF_TEMP_TRIES 64          /* names tried before giving up on EEXIST */
#define OF_BASE_MAX 160           /* bytes of the target's name kept in the temp's */
#define OF_LIVE_MAX 32            /* temporary files the signal cleanup knows */

struct xlat_outfile {
	char *path;             /* as given, for messages */
	char *target;           /* what commit renames over (symlinks resolved) */
	char *temp;             /* the named temporary file; NULL for stdout and anon */
	int fd;
	bool to_stdout;
	bool anon;              /* an unnamed O_TMPFILE file: named only at commit */
	bool existed;           /* the target existed at open */
	int err;                /* sticky, 0 or -errno */
	dev_t dev;              /* of the temporary file: abort checks it is ours */
	ino_t ino;
	int live;               /* slot in live_temps, -1 if none */
	uint64_t size;          /* bytes written (buffered included) */
	size_t len;             /* bytes in buf */
	uint8_t buf[OF_BUF];
};

/* The temporary files open in this process, for xlat_outfile_signal_cleanup.
 * A slot is set after its string is complete and cleared before the string
 * is freed, so a handler that interrupts either sees a whole path or NULL. */
static char *volatile live_temps[OF_LIVE_MAX];

static int live_add(char *temp)
{
	for (int i = 0; i < OF_LIVE_MAX; i++) {
		if (!live_temps[i]) {
			live_temps[i] = temp;
			return i;
		}
	}
	return -1;   /* not cleaned on a signal; still removed by abort */
}

static void live_remove(int slot)
{
	if (slot >= 0)
		live_temps[slot] = NULL;
}

void xlat_outfile_signal_cleanup(void)
{
	for (int i = 0; i < OF_LIVE_MAX; i++) {
		char *t = live_temps[i];
		if (t)
			unlink(t);
	}
}

static const char *kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

/* Refuses st (the target's or stdout's) if it is one of the inputs. */
static int check_inputs(const char *path, const struct stat *st, const char *const *inputs)
{
	for (size_t i = 0; inputs && inputs[i]; i++) {
		struct stat in;
		if (stat(inputs[i], &in) != 0)
			continue;
		if (in.st_dev == st->st_dev && in.st_ino == st->st_ino)
			return xlat_fail(-EEXIST, "%s: is the same file as the input %s; "
					 "writing it would destroy the input (choose another output)",
					 path, inputs[i]);
	}
	return 0;
}

/* Where the output goes: *target (malloc'd; symlinks resolved), and the
 * existing file's stat in *st with *exists. 0 or -errno. */
static int resolve(const char *path, const char *const *inputs, char **target, struct stat *st,
		   bool *exists)
{
	*target = NULL;
	*exists = false;
	if (!path[0])
		return xlat_fail(-EINVAL, "empty output path");
	struct stat lst;
	if (lstat(path, &lst) != 0) {
		if (errno != ENOENT)
			return xlat_fail(-errno, "%s: %s", path, strerror(errno));
		*target = strdup(path);
		return *target ? 0 : xlat_fail(-ENOMEM, "out of memory");
	}
	if (stat(path, st) != 0) {
		if (S_ISLNK(lst.st_mode))
			return xlat_fail(-ENOENT, "%s: is a symbolic link to a missing file "
					 "(remove it, or write to the file it should name)", path);
		return xlat_fail(-errno, "%s: %s", path, strerror(errno));
	}
	if (S_ISDIR(st->st_mode))
		return xlat_fail(-EISDIR, "%s: is a directory, not an output file", path);
	if (!S_ISREG(st->st_mode))
		return xlat_fail(-EINVAL, "%s: is %s; xlat writes only regular files "
				 "(or '-' for standard output)", path, kind_of(st->st_mode));
	int rc = check_inputs(path, st, inputs);
	if (rc < 0)
		return rc;
	*exists = true;
	*target = S_ISLNK(lst.st_mode) ? realpath(path, NULL) : strdup(path);
	if (!*target)
		return xlat_fail(errno == ENOMEM ? -ENOMEM : -errno, "%s: cannot resolve the symbolic link: %s",
				 path, strerror(errno));
	return 0;
}

int xlat_outfile_check(const char *path, const char *const *inputs)
{
	if (!strcmp(path, "-")) {
		struct stat st;
		if (fstat(STDOUT_FILENO, &st) != 0)
			return xlat_fail(-EBADF, "standard output is closed");
		return check_inputs("standard output", &st, inputs);
	}
	char *target;
	struct stat st;
	bool exists;
	int rc = resolve(path, inputs, &target, &st, &exists);
	free(target);
	return rc;
}

static uint64_t random_u64(void)
{
	uint64_t r;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r)
		return r;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	static uint64_t counter;
	return (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^ (uint64_t)getpid() << 40 ^ ++counter * 0x9e3779b97f4a7c15ULL;
}

/* A fresh name ".BASE.XXXXXX.tmp" beside the target, malloc'd. */
static char *temp_name(const struct xlat_outfile *f)
{
	const char *slash = strrchr(f->target, '/');
	size_t dirlen = slash ? (size_t)(slash - f->target) + 1 : 0;
	const char *base = f->target + dirlen;
	size_t baselen = strlen(base);
	if (baselen > OF_BASE_MAX)
		baselen = OF_BASE_MAX;
	size_t cap = dirlen + baselen + 32;
	char *t = malloc(cap);
	if (!t)
		return NULL;
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	uint64_t r = random_u64();
	char rnd[7];
	for (int i = 0; i < 6; i++, r /= 62)
		rnd[i] = alphabet[r % 62];
	rnd[6] = 0;
	snprintf(t, cap, "%.*s.%.*s.%s.tmp", (int)dirlen, f->target, (int)baselen, base, rnd);
	return t;
}

/* The directory of the target, for messages and O_TMPFILE. */
static void target_dir(const struct xlat_outfile *f, char *dir, size_t len)
{
	const char *slash = strrchr(f->target, '/');
	if (!slash)
		snprintf(dir, len, ".");
	else
		snprintf(dir, len, "%.*s", slash == f->target ? 1 : (int)(slash - f->target), f->target);
}

/* Creates the temporary file beside target; sets f->fd and f->anon or
 * f->temp. Preferred is an unnamed file (O_TMPFILE, Linux): if the process
 * dies before commit (SIGKILL, a crash, power), the file system frees it
 * and nothing is left behind; it gets a name only once complete. Where the
 * file system cannot (or /proc is missing, which naming it needs), a named
 * file created with O_EXCL. */
static int make_temp(struct xlat_outfile *f, const struct stat *old, bool exists)
{
	char dir[PATH_MAX];
	target_dir(f, dir, sizeof dir);
#ifdef O_TMPFILE
	/* XLAT_OUTFILE_NAMED=1 forces named files (tests; odd file systems). */
	const char *named = getenv("XLAT_OUTFILE_NAMED");
	if (!named || strcmp(named, "1"))
		f->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
	if (f->fd >= 0) {
		char proc[64];
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->fd);
		if (access(proc, F_OK) == 0) {
			f->anon = true;
		} else {
			close(f->fd);
			f->fd = -1;
		}
	}
#endif
	for (int tries = 0; !f->anon && tries < OF_TEMP_TRIES; tries++) {
		f->temp = temp_name(f);
		if (!f->temp)
			return xlat_fail(-ENOMEM, "out of memory");
		f->fd = open(f->temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (f->fd >= 0)
			break;
		int e = errno;
		free(f->temp);
		f->temp = NULL;
		if (e != EEXIST)
			return xlat_fail(-e, "%s: cannot create a temporary file in %s: %s", f->path, dir, strerror(e));
	}
	if (f->fd < 0)
		return xlat_fail(-EEXIST, "%s: cannot find a free temporary name in %s", f->path, dir);
	struct stat st;
	if (fstat(f->fd, &st) != 0) {
		int e = errno;
		close(f->fd);
		f->fd = -1;
		if (f->temp)
			unlink(f->temp);
		return xlat_fail(-e, "%s: %s", f->path, strerror(e));
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	if (f->temp)
		f->live = live_add(f->temp);
	f->existed = exists;
	if (exists) {
		/* Replacing a file keeps its permissions (and owner, where we may
		 * set it): a private trace must not become world-readable. */
		if ((st.st_mode & 07777) != (old->st_mode & 0777))
			(void)fchmod(f->fd, old->st_mode & 0777);
		if (st.st_uid != old->st_uid || st.st_gid != old->st_gid)
			(void)!fchown(f->fd, old->st_uid, old->st_gid);
	}
	return 0;
}

static void of_free(struct xlat_outfile *f)
{
	free(f->path);
	free(f->target);
	free(f->temp);
	free(f);
}

int xlat_outfile_open(struct xlat_outfile **out, const char *path, const char *const *inputs)
{
	*out = NULL;
	struct xlat_outfile *f = calloc(1, sizeof *f);
	if (!f)
		return xlat_fail(-ENOMEM, "out of memory");
	f->fd = -1;
	f->live = -1;
	f->path = strdup(path);
	if (!f->path) {
		free(f);
		return xlat_fail(-ENOMEM, "out of memory");
	}
	int rc;
	if (!strcmp(path, "-")) {
		rc = xlat_outfile_check(path, inputs);
		if (rc < 0) {
			of_free(f);
			return rc;
		}
		f->to_stdout = true;
		f->fd = STDOUT_FILENO;
		*out = f;
		return 0;
	}
	struct stat st;
	bool exists;
	rc = resolve(path, inputs, &f->target, &st, &exists);
	if (rc == 0)
		rc = make_temp(f, &st, exists);
	if (rc < 0) {
		of_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

/* Sets the sticky error from errno e. */
static int of_fail(struct xlat_outfile *f, int e, const char *what)
{
	if (e == 0)
		e = EIO;
	if (f->to_stdout)
		f->err = xlat_fail(-e, "standard output: %s: %s", what, strerror(e));
	else
		f->err = xlat_fail(-e, "%s: %s: %s (the file was not changed)", f->path, what, strerror(e));
	return f->err;
}

static int sticky(const struct xlat_outfile *f)
{
	if (f->to_stdout)
		return xlat_fail(f->err, "standard output: an earlier write failed");
	return xlat_fail(f->err, "%s: an earlier write failed (the file was not changed)", f->path);
}

static int write_all(struct xlat_outfile *f, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t put = write(f->fd, p, len);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return of_fail(f, put < 0 ? errno : ENOSPC, "write failed");
		p += put;
		len -= (size_t)put;
	}
	return 0;
}

static int flush(struct xlat_outfile *f)
{
	if (f->err)
		return sticky(f);
	size_t n = f->len;
	f->len = 0;
	return write_all(f, f->buf, n);
}

int xlat_outfile_write(struct xlat_outfile *f, const void *buf, size_t len)
{
	if (f->err)
		return sticky(f);
	f->size += len;
	if (len <= OF_BUF - f->len) {
		memcpy(f->buf + f->len, buf, len);
		f->len += len;
		return 0;
	}
	int rc = flush(f);
	if (rc < 0)
		return rc;
	if (len < OF_BUF) {
		memcpy(f->buf, buf, len);
		f->len = len;
		return 0;
	}
	return write_all(f, buf, len);
}

int xlat_outfile_printf(struct xlat_outfile *f, const char *fmt, ...)
{
	if (f->err)
		return sticky(f);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf((char *)f->buf + f->len, OF_BUF - f->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return of_fail(f, EINVAL, "bad output format");
	if ((size_t)n < OF_BUF - f->len) {
		f->len += (size_t)n;
		f->size += (uint64_t)n;
		return 0;
	}
	/* Did not fit: format into a buffer of its own. */
	char *tmp = malloc((size_t)n + 1);
	if (!tmp)
		return of_fail(f, ENOMEM, "out of memory");
	va_start(ap, fmt);
	vsnprintf(tmp, (size_t)n + 1, fmt, ap);
	va_end(ap);
	int rc = xlat_outfile_write(f, tmp, (size_t)n);
	free(tmp);
	return rc;
}

int xlat_outfile_pwrite(struct xlat_outfile *f, const void *buf, size_t len, uint64_t off)
{
	if (f->err)
		return sticky(f);
	if (f->to_stdout)
		return xlat_fail(-ESPIPE, "standard output cannot be rewritten (needs a file)");
	if (off > f->size || len > f->size - off)
		XLAT_BUG("pwrite [%llu, +%zu) beyond the %llu bytes written", (unsigned long long)off, len,
			 (unsigned long long)f->size);
	int rc = flush(f);
	if (rc < 0)
		return rc;
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t put = pwrite(f->fd, p, len, (off_t)off);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return of_fail(f, put < 0 ? errno : EIO, "write failed");
		p += put;
		len -= (size_t)put;
		off += (uint64_t)put;
	}
	return 0;
}

uint64_t xlat_outfile_size(const struct xlat_outfile *f)
{
	return f->size;
}

int xlat_outfile_fd(struct xlat_outfile *f)
{
	int rc = flush(f);
	return rc < 0 ? rc : f->fd;
}

const char *xlat_outfile_path(const struct xlat_outfile *f)
{
	return f->path;
}

bool xlat_outfile_is_stdout(const struct xlat_outfile *f)
{
	return f->to_stdout;
}

/* Unlinks the temporary file if it is still the one we created. */
static void remove_temp(struct xlat_outfile *f)
{
	live_remove(f->live);
	f->live = -1;
	struct stat st;
	if (f->temp && lstat(f->temp, &st) == 0 && st.st_dev == f->dev && st.st_ino == f->ino)
		unlink(f->temp);
}

void xlat_outfile_abort(struct xlat_outfile *f)
{
	if (!f)
		return;
	if (!f->to_stdout) {
		if (f->fd >= 0)
			close(f->fd);
		remove_temp(f);
	}
	of_free(f);
}

/* Gives the complete unnamed file a name: the target itself if it did not
 * exist (linkat never replaces anything), else a temporary name that
 * commit renames over the target. 0 or -errno. */
static int name_anon(struct xlat_outfile *f)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->fd);
	if (!f->existed) {
		if (linkat(AT_FDCWD, proc, AT_FDCWD, f->target, AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno != EEXIST)
			return of_fail(f, errno, "cannot link the new file into place");
		/* Someone created the target meanwhile: replace it as any other. */
	}
	for (int tries = 0; tries < OF_TEMP_TRIES; tries++) {
		char *t = temp_name(f);
		if (!t)
			return of_fail(f, ENOMEM, "out of memory");
		if (linkat(AT_FDCWD, proc, AT_FDCWD, t, AT_SYMLINK_FOLLOW) == 0) {
			f->temp = t;
			f->live = live_add(t);
			return 0;
		}
		int e = errno;
		free(t);
		if (e != EEXIST)
			return of_fail(f, e, "cannot link the new file into place");
	}
	return of_fail(f, EEXIST, "cannot find a free temporary name");
}

/* fsync of the directory holding path, so the rename itself is durable.
 * Best effort: some file systems refuse fsync on a directory. */
static void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int xlat_outfile_commit(struct xlat_outfile *f)
{
	int rc = flush(f);
	if (f->to_stdout) {
		of_free(f);
		return rc;
	}
	if (rc == 0 && fsync(f->fd) != 0 && errno != EINVAL && errno != EROFS)
		rc = of_fail(f, errno, "fsync failed");
	if (rc == 0 && f->anon)
		rc = name_anon(f);
	int fd = f->fd;
	f->fd = -1;
	if (close(fd) != 0 && rc == 0)
		rc = of_fail(f, errno, "close failed");
	if (rc == 0 && f->temp && rename(f->temp, f->target) != 0)
		rc = of_fail(f, errno, "cannot rename the temporary file over it");
	if (rc < 0) {
		remove_temp(f);
		struct stat st;
		if (f->anon && !f->temp && !f->existed && lstat(f->target, &st) == 0 &&
		    st.st_dev == f->dev && st.st_ino == f->ino)
			unlink(f->target);   /* linked into place, then close failed */
		of_free(f);
		return rc;
	}
	live_remove(f->live);
	sync_dir(f->target);
	of_free(f);
	return 0;
}
