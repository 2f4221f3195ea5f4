/* Trace writers: picks the back end (xlt.c, lackey.c) and owns the file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input/source.h"

int writer_put(struct xlat_trace_writer *w, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t put = write(w->fd, p, len);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0) {
			int e = put < 0 ? errno : EIO;
			w->failed = true;
			return xlat_fail(-e, "%s: write failed: %s", w->path ? w->path : "<fd>", strerror(e));
		}
		p += put;
		len -= (size_t)put;
	}
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

int xlat_trace_writer_open(struct xlat_trace_writer **out, const char *path,
			   enum xlat_trace_format fmt, const char *origin)
{
	*out = NULL;
	bool to_stdout = !strcmp(path, "-");
	if (fmt == XLAT_TRACE_AUTO)
		fmt = to_stdout || ends_with(path, ".lackey") || ends_with(path, ".txt") ?
		      XLAT_TRACE_LACKEY : XLAT_TRACE_XLT;
	if (fmt != XLAT_TRACE_XLT && fmt != XLAT_TRACE_LACKEY)
		return xlat_fail(-EINVAL, "%s: cannot write %s traces (only xlt and lackey)",
				 path, xlat_trace_format_name(fmt));
	if (to_stdout && fmt == XLAT_TRACE_XLT)
		return xlat_fail(-EINVAL, ".xlt needs a seekable file, not stdout");
	int fd = to_stdout ? STDOUT_FILENO : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return xlat_fail(-errno, "cannot create %s: %s", path, strerror(errno));
	struct xlat_trace_writer *w = fmt == XLAT_TRACE_XLT ? xlt_writer_new(fd, path, origin)
							     : lackey_writer_new(fd, path);
	if (!w) {
		if (!to_stdout) {
			close(fd);
			unlink(path);
		}
		return -EIO;
	}
	w->own_fd = !to_stdout;
	*out = w;
	return 0;
}

int xlat_trace_writer_write(struct xlat_trace_writer *w, const struct xlat_access *a, size_t n)
{
	if (w->failed)
		return xlat_fail(-EIO, "%s: write after a failed write", w->path);
	int rc = w->write(w, a, n);
	if (rc < 0) {
		w->failed = true;
		return rc;
	}
	w->count += n;
	return 0;
}

uint64_t xlat_trace_writer_count(const struct xlat_trace_writer *w)
{
	return w->count;
}

static void writer_free(struct xlat_trace_writer *w)
{
	if (w->free)
		w->free(w);
	free(w->path);
	free(w);
}

int xlat_trace_writer_close(struct xlat_trace_writer *w)
{
	int rc = w->failed ? xlat_fail(-EIO, "%s: closing after a failed write", w->path) : w->close(w);
	if (w->own_fd && close(w->fd) != 0 && rc == 0)
		rc = xlat_fail(-errno, "%s: close failed: %s", w->path, strerror(errno));
	writer_free(w);
	return rc;
}

void xlat_trace_writer_abort(struct xlat_trace_writer *w)
{
	if (!w)
		return;
	if (w->own_fd) {
		close(w->fd);
		unlink(w->path);
	}
	writer_free(w);
}
