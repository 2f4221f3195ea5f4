/*
 * Opening sources: format detection (rules in xlat/trace.h) and the
 * format-independent half of the source interface.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input/source.h"

static const char *const format_names[] = {
	[XLAT_TRACE_AUTO] = "auto",
	[XLAT_TRACE_XLT] = "xlt",
	[XLAT_TRACE_LACKEY] = "lackey",
	[XLAT_TRACE_CHAMPSIM] = "champsim",
};

int xlat_trace_format_parse(const char *name, enum xlat_trace_format *out)
{
	for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++) {
		if (!strcmp(name, format_names[i])) {
			*out = (enum xlat_trace_format)i;
			return 0;
		}
	}
	return xlat_fail(-EINVAL, "unknown trace format '%s' (auto, xlt, lackey, champsim)", name);
}

const char *xlat_trace_format_name(enum xlat_trace_format fmt)
{
	return (unsigned)fmt < sizeof format_names / sizeof format_names[0] ? format_names[fmt] : "?";
}

const char *quote_bytes(const uint8_t *p, size_t n, size_t max, char *buf, size_t len)
{
	size_t o = 0;
	size_t i;
	for (i = 0; i < n && i < max && o + 8 < len; i++) {
		uint8_t c = p[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	if (i < n && o + 4 < len)
		o += (size_t)snprintf(buf + o, len - o, "...");
	buf[o] = 0;
	return buf;
}

struct xlat_source *source_alloc(size_t size, const struct source_ops *ops,
				 const char *format, const char *name, struct rd *r)
{
	XLAT_ASSERT(size >= sizeof(struct xlat_source));
	struct xlat_source *s = calloc(1, size);
	char *nm = strdup(name ? name : "");
	char *origin = strdup("");
	if (!s || !nm || !origin) {
		free(s);
		free(nm);
		free(origin);
		return NULL;
	}
	s->ops = ops;
	s->format = format;
	s->name = nm;
	s->origin = origin;
	s->records = -1;
	s->instructions = -1;
	if (r) {
		s->rd = *r;
		s->rd.name = s->name;
		s->has_rd = true;
	}
	return s;
}

void source_free(struct xlat_source *s)
{
	if (!s)
		return;
	if (s->ops->free)
		s->ops->free(s);
	if (s->has_rd)
		rd_free(&s->rd);
	free(s->name);
	free(s->origin);
	free(s->errmsg);
	free(s);
}

void xlat_source_close(struct xlat_source *s)
{
	source_free(s);
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && !memcmp(s + n - k, suffix, k);
}

/* The format the name suggests (rule 2), or AUTO. */
static enum xlat_trace_format format_by_name(const char *name)
{
	size_t n = strlen(name);
	if (ends_with(name, n, ".gz"))
		n -= 3;
	else if (ends_with(name, n, ".xz"))
		n -= 3;
	else if (ends_with(name, n, ".zst"))
		n -= 4;
	else if (ends_with(name, n, ".bz2"))
		n -= 4;
	if (ends_with(name, n, ".xlt"))
		return XLAT_TRACE_XLT;
	if (ends_with(name, n, ".lackey") || ends_with(name, n, ".txt") || ends_with(name, n, ".log"))
		return XLAT_TRACE_LACKEY;
	if (ends_with(name, n, ".champsim") || ends_with(name, n, ".champsimtrace") ||
	    ends_with(name, n, ".trace"))
		return XLAT_TRACE_CHAMPSIM;
	return XLAT_TRACE_AUTO;
}

bool looks_like_text(const uint8_t *p, size_t n)
{
	if (n == 0)
		return false;
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == 0)
			return false;
		if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
			bad++;
	}
	/* A few stray control bytes in a log are still text; bytes >= 0x80
	 * count as text (UTF-8 in a program's messages). */
	return bad * 100 <= n;
}

/* Detects and opens; takes over *r whatever happens. */
static int open_rd(struct xlat_source **out, struct rd *r, enum xlat_trace_format fmt,
		   const char *name)
{
	const uint8_t *p;
	r->name = name;
	int64_t n = rd_peek(r, 4, &p);
	if (n < 0)
		goto fail;
	if (n == 0) {
		n = xlat_fail(-ENODATA, "%s: empty trace (0 bytes)", name);
		goto fail;
	}
	/* "XLT\0", or a file cut inside those 4 bytes. */
	bool xlt_magic = !memcmp(p, "XLT\0", (size_t)n);
	bool guessed = false;
	int codec = xlt_magic ? RD_RAW : rd_sniff(r);
	if (codec < 0) {
		n = codec;
		goto fail;
	}
	if (fmt == XLAT_TRACE_AUTO) {
		if (xlt_magic)
			fmt = XLAT_TRACE_XLT;
		else
			fmt = format_by_name(name);
	}
	if (fmt == XLAT_TRACE_AUTO) {
		/* Rules 3 and 4: look at the (decoded) data. */
		int rc = rd_set_codec(r, (enum rd_codec)codec);
		if (rc < 0) {
			n = rc;
			goto fail;
		}
		n = rd_peek_decoded(r, RD_PEEK_MAX, &p);
		if (n < 0)
			goto fail;
		if (n == 0) {
			n = xlat_fail(-ENODATA, "%s: empty trace (0 bytes after %s decompression)", name,
				      rd_codec_name((enum rd_codec)codec));
			goto fail;
		}
		fmt = looks_like_text(p, (size_t)n) ? XLAT_TRACE_LACKEY : XLAT_TRACE_CHAMPSIM;
		guessed = true;
	} else if (fmt != XLAT_TRACE_XLT) {
		int rc = rd_set_codec(r, (enum rd_codec)codec);
		if (rc < 0) {
			n = rc;
			goto fail;
		}
	}
	switch (fmt) {
	case XLAT_TRACE_XLT:
		if (codec != RD_RAW) {
			n = xlat_fail(-EINVAL, "%s: a %s-compressed file, not an .xlt (.xlt is compressed "
				      "inside; decompress it first)", name, rd_codec_name((enum rd_codec)codec));
			goto fail;
		}
		return xlt_open(out, r, name);
	case XLAT_TRACE_LACKEY:
		return lackey_open(out, r, (enum rd_codec)codec, name);
	case XLAT_TRACE_CHAMPSIM:
		return champsim_open(out, r, (enum rd_codec)codec, name, guessed);
	default:
		n = xlat_fail(-EINVAL, "%s: bad trace format %d", name, (int)fmt);
		break;
	}
fail:
	rd_free(r);
	return (int)n;
}

int xlat_source_open_as(struct xlat_source **out, const char *path, enum xlat_trace_format fmt)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return xlat_fail(-errno, "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		return xlat_fail(-EISDIR, "%s is a directory, not a trace", path);
	}
	struct rd r;
	int rc = rd_init_fd(&r, fd, true, S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return open_rd(out, &r, fmt, path);
}

int xlat_source_open(struct xlat_source **out, const char *path)
{
	return xlat_source_open_as(out, path, XLAT_TRACE_AUTO);
}

int xlat_source_open_fd(struct xlat_source **out, int fd, enum xlat_trace_format fmt, const char *name)
{
	*out = NULL;
	struct stat st;
	uint64_t total = 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		off_t pos = lseek(fd, 0, SEEK_CUR);
		total = (uint64_t)st.st_size - (pos > 0 ? (uint64_t)pos : 0);
	}
	struct rd r;
	int rc = rd_init_fd(&r, fd, false, total);
	if (rc < 0)
		return rc;
	return open_rd(out, &r, fmt, name ? name : "<fd>");
}

int xlat_source_open_mem(struct xlat_source **out, const void *data, size_t len,
			 enum xlat_trace_format fmt)
{
	*out = NULL;
	struct rd r;
	rd_init_mem(&r, data, len);
	return open_rd(out, &r, fmt, "<memory>");
}

int64_t xlat_source_next(struct xlat_source *s, struct xlat_access *buf, size_t cap)
{
	if (s->err)
		return xlat_fail(s->err, "%s", s->errmsg ? s->errmsg : "out of memory");
	if (cap == 0)
		return xlat_fail(-EINVAL, "xlat_source_next: cap must be >= 1");
	int64_t n = s->ops->next(s, buf, cap);
	if (n < 0) {
		s->err = (int)n;
		free(s->errmsg);
		s->errmsg = strdup(xlat_error());
	}
	return n;
}

void xlat_source_progress(const struct xlat_source *s, uint64_t *done, uint64_t *total)
{
	if (s->has_rd) {
		*done = s->rd.raw_off;
		*total = s->rd.total;
	} else if (s->ops->progress) {
		s->ops->progress(s, done, total);
	} else {
		*done = 0;
		*total = 0;
	}
}

void xlat_source_info(const struct xlat_source *s, struct xlat_source_info *info)
{
	info->format = s->format;
	info->codec = s->has_rd ? rd_codec_name(s->rd.codec) : "none";
	info->name = s->name;
	info->origin = s->origin;
	info->records = s->records;
	info->instructions = s->instructions;
}

const char *fmt_count(uint64_t v, char *buf, size_t len)
{
	char digits[24];
	int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
	size_t o = 0;
	for (int i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = 0;
	return buf;
}
