/*
 * The byte reader under every trace format: a file descriptor or a memory
 * buffer, raw or through gzip (zlib), xz (liblzma), zstd or bzip2 (libbz2).
 * Streaming only: memory use is the staging buffer plus the decompressor's
 * window, whatever the input says, so a hostile file cannot make us
 * allocate without bound (xz: RD_XZ_MEMLIMIT; zstd: its default window
 * limit of 2^27 bytes; bzip2: 3.7 MB at most, its largest block size).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "input/source.h"

#define RD_XZ_MEMLIMIT (256u << 20)   /* bytes: xz -9 needs ~65 MiB */
/* A writer like valgrind writes one line per write(2); reading a pipe as
 * fast as it fills would cost one read(2) and one wakeup per line. After a
 * short read we let the pipe fill for this long first. */
#define RD_PIPE_NAP_NS 500000

/* Called after a read of `got` bytes when `want` were asked for. */
static void rd_pipe_nap(const struct rd *r, size_t got, size_t want)
{
	if (r->pipe && got > 0 && got < want / 4) {
		struct timespec ts = { 0, RD_PIPE_NAP_NS };
		nanosleep(&ts, NULL);
	}
}

const char *rd_codec_name(enum rd_codec c)
{
	static const char *const names[] = { "none", "gzip", "xz", "zstd", "bzip2" };
	return c <= RD_BZIP2 ? names[c] : "?";
}

void rd_init_mem(struct rd *r, const void *data, size_t len)
{
	memset(r, 0, sizeof *r);
	r->name = "<memory>";
	r->fd = -1;
	r->in = data;
	r->in_len = len;
	r->in_cap = len;
	r->raw_eof = true;
	r->total = len;
}

int rd_init_fd(struct rd *r, int fd, bool own_fd, uint64_t total)
{
	memset(r, 0, sizeof *r);
	r->name = "<fd>";
	r->fd = fd;
	r->own_fd = own_fd;
	r->total = total;
	r->stage = malloc(RD_STAGE);
	if (!r->stage)
		return xlat_fail(-ENOMEM, "out of memory for a read buffer");
	r->in = r->stage;
	r->in_cap = RD_STAGE;
	struct stat st;
	r->pipe = fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	return 0;
}

/* Reads more raw bytes after the unconsumed ones, moving those to the front.
 * Returns bytes added (0 at the end of the input) or -errno. */
static int64_t rd_fill(struct rd *r)
{
	if (r->raw_eof)
		return 0;
	if (r->in_pos > 0) {
		memmove(r->stage, r->stage + r->in_pos, r->in_len - r->in_pos);
		r->in_len -= r->in_pos;
		r->in_pos = 0;
	}
	if (r->in_len == r->in_cap)
		return xlat_fail(-EINVAL, "%s: internal: read buffer full", r->name);
	for (;;) {
		ssize_t got = read(r->fd, r->stage + r->in_len, r->in_cap - r->in_len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return xlat_fail(-errno, "%s: read error at byte %llu: %s", r->name,
					 (unsigned long long)(r->raw_off + r->in_len), strerror(errno));
		if (got == 0)
			r->raw_eof = true;
		rd_pipe_nap(r, (size_t)got, r->in_cap - r->in_len);
		r->in_len += (size_t)got;
		return got;
	}
}

int64_t rd_peek(struct rd *r, size_t n, const uint8_t **p)
{
	if (n > r->in_cap)
		n = r->in_cap;
	while (r->in_len - r->in_pos < n && !r->raw_eof) {
		int64_t got = rd_fill(r);
		if (got < 0)
			return got;
	}
	*p = r->in + r->in_pos;
	size_t avail = r->in_len - r->in_pos;
	return (int64_t)(avail < n ? avail : n);
}

void rd_skip(struct rd *r, size_t n)
{
	XLAT_ASSERT(n <= r->in_len - r->in_pos);
	r->in_pos += n;
	r->raw_off += n;
	if (r->codec == RD_RAW)
		r->out_off += n;
}

int rd_sniff(struct rd *r)
{
	const uint8_t *p;
	int64_t n = rd_peek(r, 10, &p);
	if (n < 0)
		return (int)n;
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return RD_GZIP;
	if (n >= 6 && !memcmp(p, "\xfd" "7zXZ\0", 6))
		return RD_XZ;
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return RD_ZSTD;
	/* bzip2: "BZh" and the block size '1'..'9', then the magic of a block
	 * (pi) or of the end of an empty stream (sqrt(pi)). */
	if (n >= 10 && !memcmp(p, "BZh", 3) && p[3] >= '1' && p[3] <= '9' &&
	    (!memcmp(p + 4, "\x31\x41\x59\x26\x53\x59", 6) || !memcmp(p + 4, "\x17\x72\x45\x38\x50\x90", 6)))
		return RD_BZIP2;
	return RD_RAW;
}

int rd_set_codec(struct rd *r, enum rd_codec codec)
{
	r->codec = codec;
	r->mid = false;
	r->done = false;
	switch (codec) {
	case RD_RAW:
		return 0;
	case RD_GZIP:
		/* Decoder states live on the heap: zlib and libbz2 keep a pointer
		 * back to their stream, and a struct rd is moved into its source. */
		r->z = calloc(1, sizeof *r->z);
		/* 16 + MAX_WBITS: gzip wrapper only, 32 KiB window. */
		if (!r->z || inflateInit2(r->z, 16 + MAX_WBITS) != Z_OK) {
			free(r->z);
			r->z = NULL;
			r->codec = RD_RAW;
			return xlat_fail(-ENOMEM, "%s: cannot start gzip decoding", r->name);
		}
		return 0;
	case RD_XZ: {
		lzma_stream init = LZMA_STREAM_INIT;
		r->x = malloc(sizeof *r->x);
		if (r->x)
			*r->x = init;
		if (!r->x || lzma_stream_decoder(r->x, RD_XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK) {
			free(r->x);
			r->x = NULL;
			r->codec = RD_RAW;
			return xlat_fail(-ENOMEM, "%s: cannot start xz decoding", r->name);
		}
		return 0;
	}
	case RD_ZSTD:
		r->zs = ZSTD_createDCtx();
		if (!r->zs) {
			r->codec = RD_RAW;
			return xlat_fail(-ENOMEM, "%s: cannot start zstd decoding", r->name);
		}
		return 0;
	case RD_BZIP2:
		r->bz = calloc(1, sizeof *r->bz);
		/* small = 0: the fast decoder, at most ~3.7 MB for 900k blocks. */
		if (!r->bz || BZ2_bzDecompressInit(r->bz, 0, 0) != BZ_OK) {
			free(r->bz);
			r->bz = NULL;
			r->codec = RD_RAW;
			return xlat_fail(-ENOMEM, "%s: cannot start bzip2 decoding", r->name);
		}
		return 0;
	}
	XLAT_BUG("codec %d", (int)codec);
}

/* Makes input available for a decoder: 1 if some is, 0 at the end, -errno. */
static int rd_want_input(struct rd *r)
{
	if (r->in_pos < r->in_len)
		return 1;
	if (r->raw_eof)
		return 0;
	int64_t got = rd_fill(r);
	if (got < 0)
		return (int)got;
	return r->in_pos < r->in_len;
}

static void rd_consumed(struct rd *r, size_t n)
{
	r->in_pos += n;
	r->raw_off += n;
}

/* The input ended inside a decoder's stream or between two: 0 when the
 * stream ended, or when bytes decoded before a cut are still to return
 * (the error comes on the next call), else a truncated stream:
 * -EINVAL. The caller stops either way. */
static int rd_input_ended(struct rd *r, size_t n, const char *codec)
{
	if (!r->mid || n > 0)
		return 0;
	r->truncated = true;
	return xlat_fail(-EINVAL, "%s: truncated %s stream at byte %llu", r->name, codec,
			 (unsigned long long)r->raw_off);
}

static int64_t read_raw(struct rd *r, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	while (n < cap) {
		if (r->in_pos == r->in_len && r->fd >= 0 && !r->raw_eof && cap - n >= r->in_cap) {
			/* Big read with nothing staged: straight into the caller's buffer. */
			ssize_t got = read(r->fd, buf + n, cap - n);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				return xlat_fail(-errno, "%s: read error at byte %llu: %s", r->name,
						 (unsigned long long)r->raw_off, strerror(errno));
			if (got == 0) {
				r->raw_eof = true;
				break;
			}
			rd_pipe_nap(r, (size_t)got, cap - n);
			n += (size_t)got;
			r->raw_off += (uint64_t)got;
			continue;
		}
		int more = rd_want_input(r);
		if (more < 0)
			return more;
		if (!more)
			break;
		size_t k = r->in_len - r->in_pos;
		if (k > cap - n)
			k = cap - n;
		memcpy(buf + n, r->in + r->in_pos, k);
		rd_consumed(r, k);
		n += k;
	}
	return (int64_t)n;
}

static int64_t read_gzip(struct rd *r, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	while (n < cap) {
		int more = rd_want_input(r);
		if (more < 0)
			return more;
		if (!more) {
			int rc = rd_input_ended(r, n, "gzip");
			if (rc)
				return rc;
			break;
		}
		if (r->done) {
			/* Another member follows (concatenated gzip files). */
			inflateReset(r->z);
			r->done = false;
		}
		r->z->next_in = (Bytef *)(r->in + r->in_pos);
		r->z->avail_in = (uInt)(r->in_len - r->in_pos);
		r->z->next_out = buf + n;
		r->z->avail_out = (uInt)(cap - n > (1u << 30) ? (1u << 30) : cap - n);
		uInt in0 = r->z->avail_in, out0 = r->z->avail_out;
		int ret = inflate(r->z, Z_NO_FLUSH);
		rd_consumed(r, in0 - r->z->avail_in);
		n += out0 - r->z->avail_out;
		r->mid = true;
		if (ret == Z_STREAM_END) {
			r->mid = false;
			r->done = true;
		} else if (ret != Z_OK && ret != Z_BUF_ERROR) {
			return xlat_fail(-EINVAL, "%s: corrupt gzip data near byte %llu: %s", r->name,
					 (unsigned long long)r->raw_off, r->z->msg ? r->z->msg : "inflate failed");
		} else if (ret == Z_BUF_ERROR && in0 == r->z->avail_in && out0 == r->z->avail_out) {
			return xlat_fail(-EINVAL, "%s: gzip decoding stuck at byte %llu", r->name,
					 (unsigned long long)r->raw_off);
		}
	}
	return (int64_t)n;
}

static const char *lzma_msg(lzma_ret ret)
{
	switch (ret) {
	case LZMA_MEM_ERROR: return "out of memory";
	case LZMA_MEMLIMIT_ERROR: return "needs more memory than the 256 MiB limit";
	case LZMA_FORMAT_ERROR: return "not an xz stream";
	case LZMA_OPTIONS_ERROR: return "unsupported options";
	case LZMA_DATA_ERROR: return "corrupt data";
	case LZMA_BUF_ERROR: return "truncated stream";
	default: return "decoding failed";
	}
}

static int64_t read_xz(struct rd *r, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	while (n < cap && !r->done) {
		int more = rd_want_input(r);
		if (more < 0)
			return more;
		r->x->next_in = r->in + r->in_pos;
		r->x->avail_in = r->in_len - r->in_pos;
		r->x->next_out = buf + n;
		r->x->avail_out = cap - n;
		size_t in0 = r->x->avail_in, out0 = r->x->avail_out;
		lzma_ret ret = lzma_code(r->x, more ? LZMA_RUN : LZMA_FINISH);
		rd_consumed(r, in0 - r->x->avail_in);
		n += out0 - r->x->avail_out;
		if (ret == LZMA_STREAM_END) {
			r->done = true;
		} else if (ret == LZMA_BUF_ERROR && !more) {
			if (n > 0)
				break;   /* the bytes before the cut first; the error next time */
			r->truncated = true;
			return xlat_fail(-EINVAL, "%s: xz: truncated stream at byte %llu", r->name,
					 (unsigned long long)r->raw_off);
		} else if (ret != LZMA_OK) {
			return xlat_fail(-EINVAL, "%s: xz: %s near byte %llu", r->name, lzma_msg(ret),
					 (unsigned long long)r->raw_off);
		} else if (!more && out0 == r->x->avail_out) {
			if (n > 0)
				break;
			r->truncated = true;
			return xlat_fail(-EINVAL, "%s: xz: truncated stream at byte %llu", r->name,
					 (unsigned long long)r->raw_off);
		}
	}
	return (int64_t)n;
}

static int64_t read_zstd(struct rd *r, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	unsigned idle = 0;   /* calls in a row without progress */
	while (n < cap) {
		int more = rd_want_input(r);
		if (more < 0)
			return more;
		ZSTD_inBuffer in = { r->in + r->in_pos, r->in_len - r->in_pos, 0 };
		ZSTD_outBuffer out = { buf + n, cap - n, 0 };
		size_t ret = ZSTD_decompressStream(r->zs, &out, &in);
		rd_consumed(r, in.pos);
		n += out.pos;
		if (ZSTD_isError(ret))
			return xlat_fail(-EINVAL, "%s: corrupt zstd data near byte %llu: %s", r->name,
					 (unsigned long long)r->raw_off, ZSTD_getErrorName(ret));
		if (in.pos > 0 || out.pos > 0) {
			r->mid = ret != 0;   /* 0: a frame ended and is fully flushed */
			idle = 0;
		} else if (more && ++idle > 2) {
			return xlat_fail(-EINVAL, "%s: zstd decoding stuck at byte %llu", r->name,
					 (unsigned long long)r->raw_off);
		}
		if (!more && out.pos == 0) {
			int rc = rd_input_ended(r, n, "zstd");
			if (rc)
				return rc;
			break;
		}
	}
	return (int64_t)n;
}

static int64_t read_bzip2(struct rd *r, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	while (n < cap) {
		int more = rd_want_input(r);
		if (more < 0)
			return more;
		if (!more) {
			int rc = rd_input_ended(r, n, "bzip2");
			if (rc)
				return rc;
			break;
		}
		if (r->done) {
			/* Another stream follows (pbzip2 and `cat a.bz2 b.bz2`). */
			BZ2_bzDecompressEnd(r->bz);
			memset(r->bz, 0, sizeof *r->bz);
			if (BZ2_bzDecompressInit(r->bz, 0, 0) != BZ_OK)
				return xlat_fail(-ENOMEM, "%s: cannot restart bzip2 decoding", r->name);
			r->done = false;
		}
		r->bz->next_in = (char *)(r->in + r->in_pos);
		r->bz->avail_in = (unsigned)(r->in_len - r->in_pos > (1u << 30) ? (1u << 30) : r->in_len - r->in_pos);
		r->bz->next_out = (char *)(buf + n);
		r->bz->avail_out = (unsigned)(cap - n > (1u << 30) ? (1u << 30) : cap - n);
		unsigned in0 = r->bz->avail_in, out0 = r->bz->avail_out;
		int ret = BZ2_bzDecompress(r->bz);
		rd_consumed(r, in0 - r->bz->avail_in);
		n += out0 - r->bz->avail_out;
		r->mid = true;
		if (ret == BZ_STREAM_END) {
			r->mid = false;
			r->done = true;
		} else if (ret != BZ_OK) {
			return xlat_fail(-EINVAL, "%s: corrupt bzip2 data near byte %llu%s", r->name,
					 (unsigned long long)r->raw_off,
					 ret == BZ_DATA_ERROR_MAGIC ? ": not a bzip2 stream" :
					 ret == BZ_MEM_ERROR ? ": out of memory" : "");
		} else if (in0 == r->bz->avail_in && out0 == r->bz->avail_out) {
			return xlat_fail(-EINVAL, "%s: bzip2 decoding stuck at byte %llu", r->name,
					 (unsigned long long)r->raw_off);
		}
	}
	return (int64_t)n;
}

static int64_t decode(struct rd *r, uint8_t *buf, size_t cap)
{
	switch (r->codec) {
	case RD_RAW:   return read_raw(r, buf, cap);
	case RD_GZIP:  return read_gzip(r, buf, cap);
	case RD_XZ:    return read_xz(r, buf, cap);
	case RD_ZSTD:  return read_zstd(r, buf, cap);
	case RD_BZIP2: return read_bzip2(r, buf, cap);
	}
	XLAT_BUG("codec %d", (int)r->codec);
}

int64_t rd_peek_decoded(struct rd *r, size_t n, const uint8_t **p)
{
	XLAT_ASSERT(n <= RD_PEEK_MAX && r->pre_pos == 0);
	if (!r->pre) {
		r->pre = malloc(RD_PEEK_MAX);
		if (!r->pre)
			return xlat_fail(-ENOMEM, "out of memory for a read buffer");
	}
	while (r->pre_len < n) {
		int64_t got = decode(r, r->pre + r->pre_len, n - r->pre_len);
		if (got < 0)
			return got;
		if (got == 0)
			break;
		r->pre_len += (size_t)got;
	}
	*p = r->pre;
	return (int64_t)(r->pre_len < n ? r->pre_len : n);
}

int64_t rd_read(struct rd *r, void *buf, size_t cap)
{
	int64_t n;
	if (r->pre_pos < r->pre_len) {
		/* Bytes the detection looked at come first. */
		size_t k = r->pre_len - r->pre_pos;
		if (k > cap)
			k = cap;
		memcpy(buf, r->pre + r->pre_pos, k);
		r->pre_pos += k;
		n = (int64_t)k;
		if (k < cap) {
			int64_t more = decode(r, (uint8_t *)buf + k, cap - k);
			if (more < 0)
				return more;
			n += more;
		}
	} else {
		n = decode(r, buf, cap);
	}
	if (n > 0)
		r->out_off += (uint64_t)n;
	return n;
}

void rd_free(struct rd *r)
{
	switch (r->codec) {
	case RD_GZIP:  inflateEnd(r->z); free(r->z); r->z = NULL; break;
	case RD_XZ:    lzma_end(r->x); free(r->x); r->x = NULL; break;
	case RD_ZSTD:  ZSTD_freeDCtx(r->zs); r->zs = NULL; break;
	case RD_BZIP2: BZ2_bzDecompressEnd(r->bz); free(r->bz); r->bz = NULL; break;
	case RD_RAW:   break;
	}
	r->codec = RD_RAW;
	free(r->stage);
	r->stage = NULL;
	free(r->pre);
	r->pre = NULL;
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
