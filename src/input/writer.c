/* Trace writers: picks the back end (xlt.c, lackey.c); the file itself is
 * an xlat/outfile.h output (temporary file, renamed into place on close). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input/source.h"

int writer_put(struct xlat_trace_writer *w, const void *buf, size_t len)
{
	int rc = xlat_outfile_write(w->of, buf, len);
	if (rc < 0)
		w->failed = true;
	return rc;
}

int writer_bad_size(const struct xlat_trace_writer *w, uint64_t rec, uint32_t size)
{
	return xlat_fail(-EINVAL, "%s: record %llu is an access of %u bytes; an access is 1..%llu bytes "
			 "(the largest page)", w->path, (unsigned long long)rec, size,
			 (unsigned long long)XLAT_TRACE_MAX_ACCESS);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

int xlat_trace_writer_open(struct xlat_trace_writer **out, const char *path,
			   enum xlat_trace_format fmt, const char *origin, const char *const *inputs)
{
	*out = NULL;
	bool to_stdout = !strcmp(path, "-");
	if (fmt == XLAT_TRACE_AUTO)
		fmt = to_stdout || ends_with(path, ".lackey") || ends_with(path, ".txt") ?
		      XLAT_TRACE_LACKEY : XLAT_TRACE_XLT;
	if (fmt != XLAT_TRACE_XLT && fmt != XLAT_TRACE_LACKEY)
		return xlat_fail(-EINVAL, "%s: cannot write %s traces (only xlt and lackey)",
				 path, xlat_trace_format_name(fmt));
	if (to_stdout && fmt == XLAT_TRACE_XLT && isatty(STDOUT_FILENO))
		return xlat_fail(-EINVAL, "will not write a binary .xlt to a terminal (redirect "
				 "standard output, or name a file)");
	struct xlat_outfile *of;
	int rc = xlat_outfile_open(&of, path, inputs);
	if (rc < 0)
		return rc;
	struct xlat_trace_writer *w = NULL;
	rc = fmt == XLAT_TRACE_XLT ? xlt_writer_new(&w, of, origin) : lackey_writer_new(&w, of);
	if (rc < 0) {
		xlat_outfile_abort(of);
		return rc;
	}
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
	free(w);
}

int xlat_trace_writer_close(struct xlat_trace_writer *w)
{
	int rc = w->failed ? xlat_fail(-EIO, "%s: closing after a failed write", w->path) : w->finish(w);
	struct xlat_outfile *of = w->of;
	writer_free(w);
	if (rc < 0) {
		xlat_outfile_abort(of);
		return rc;
	}
	return xlat_outfile_commit(of);
}

void xlat_trace_writer_abort(struct xlat_trace_writer *w)
{
	if (!w)
		return;
	struct xlat_outfile *of = w->of;
	writer_free(w);
	xlat_outfile_abort(of);
}
