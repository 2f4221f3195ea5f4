/*
 * .xlt: xlat's own trace format (layout in xlat/trace.h). A fixed header,
 * then a zstd stream of delta-encoded records, typically 1-3 bytes each
 * before zstd. Decoding is the simulator's baseline ("bare decode loop"), so
 * the record loop works on a block of decompressed bytes with no per-byte
 * bounds checks: it only runs while at least XLT_MAX_REC bytes remain, and
 * the last few records of the stream are decoded from a zero-padded copy.
 *
 * Version 2 ends the stream with an end record (count + checksum): the
 * checksum is computed over each block of record bytes once they are
 * decoded, just before the block is recycled, so the decode loop itself
 * is unchanged. The end tag (kind 7) is found on the decoder's error path,
 * so looking for it costs nothing per record either.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input/source.h"

#define XLT_HDR 24              /* bytes before the source string */
#define XLT_END_TAG 0x07        /* kind 7: the end record (version 2) */
#define XLT_END_LEN 17          /* tag + count u64 + checksum u64 */
#define XLT_MAX_REC 32          /* longest encoded record: 1 + 1 + 10 + 10 + 10 */
#define XLT_BUF (128u * 1024)   /* decompressed bytes per block */
#define SIZE_ESC 15
#define TAG_ATTRS 0x80

/* Size code of the tag (bits 3-6) -> size; SIZE_ESC: a varint follows. */
static const uint32_t code_size[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 32, 64, 0 };

static unsigned size_code(uint32_t size)
{
	if (size >= 1 && size <= 12)
		return size - 1;
	switch (size) {
	case 16: return 12;
	case 32: return 13;
	case 64: return 14;
	default: return SIZE_ESC;
	}
}

static inline uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline uint64_t unzigzag(uint64_t v)
{
	return (v >> 1) ^ (0 - (v & 1));
}

/* The va the next record of this kind is predicted at. */
static inline uint64_t predict_after(const struct xlat_access *a)
{
	return xlat_is_event(a->kind) ? a->va : a->va + a->size;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* ---- the stream checksum (layout in xlat/trace.h) ---- */

#define XSUM_K 0x9e3779b97f4a7c15ULL

struct xsum {
	uint64_t h;
	uint64_t n;             /* bytes summed */
	uint64_t tail;          /* a partial word, low bytes first */
	unsigned ntail;
};

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
	return x << r | x >> (64 - r);
}

static void xsum_add(struct xsum *c, const uint8_t *p, size_t len)
{
	uint64_t h = c->h;
	c->n += len;
	while (c->ntail && len) {
		c->tail |= (uint64_t)*p++ << (8 * c->ntail);
		len--;
		if (++c->ntail == 8) {
			h = (rotl64(h, 23) ^ c->tail) * XSUM_K;
			c->tail = 0;
			c->ntail = 0;
		}
	}
	for (; len >= 8; p += 8, len -= 8)
		h = (rotl64(h, 23) ^ get_le64(p)) * XSUM_K;
	for (; len; len--)
		c->tail |= (uint64_t)*p++ << (8 * c->ntail++);
	c->h = h;
}

static uint64_t xsum_final(const struct xsum *c)
{
	uint64_t h = c->h;
	if (c->ntail)
		h = (rotl64(h, 23) ^ c->tail) * XSUM_K;
	h ^= c->n;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

/* ---- reader ---- */

/* What a record is decoded against. The decode loop works on a local copy
 * so the compiler knows stores to the output cannot change it. */
struct xlt_state {
	uint64_t pred[8];       /* per kind: predicted next va */
	uint16_t asid;
	uint8_t flags;
};

struct xlt {
	struct xlat_source base;
	uint32_t version;
	uint64_t count;         /* records the header promises (v2: or XLAT_XLT_COUNT_UNKNOWN) */
	uint64_t done;          /* records decoded */
	struct xlt_state st;
	bool eof;               /* the zstd stream is exhausted */
	bool ended;             /* v2: the end record was read (and checked) */
	bool finished;          /* nothing more to read or check */
	uint8_t *buf;           /* XLT_BUF + XLT_MAX_REC bytes */
	size_t pos, len;
	uint64_t buf_off;       /* decompressed offset of buf[0] */
	struct xsum sum;        /* v2: of the record bytes before buf[0] */
};

/* Decodes one varint at p (at most 10 bytes, all readable); NULL if it is
 * longer or overflows 64 bits. */
static inline const uint8_t *get_varint(const uint8_t *p, uint64_t *v)
{
	uint64_t b = *p++;
	if (b < 0x80) {
		*v = b;
		return p;
	}
	uint64_t r = b & 0x7f;
	for (unsigned shift = 7; shift < 70; shift += 7) {
		b = *p++;
		if (shift == 63 && b > 1)
			return NULL;
		r |= (b & 0x7f) << shift;
		if (b < 0x80) {
			*v = r;
			return p;
		}
	}
	return NULL;
}

enum { DEC_OK, DEC_BAD_KIND, DEC_BAD_VARINT, DEC_BAD_ASID, DEC_BAD_SIZE, DEC_BAD_ACCESS };

/* Decodes one record at p (XLT_MAX_REC readable bytes); returns the byte
 * after it, or NULL with *why set. */
/* Inlined into the decode loop: a call per record costs ~15% of decoding. */
static inline __attribute__((always_inline)) const uint8_t *decode_one(struct xlt_state *x, const uint8_t *p, struct xlat_access *a, int *why)
{
	unsigned tag = *p++;
	unsigned kind = tag & 7;
	uint64_t v;
	if (kind >= XLAT_KIND_COUNT) {
		*why = DEC_BAD_KIND;
		return NULL;
	}
	if (tag & TAG_ATTRS) {
		x->flags = *p++;
		if (!(p = get_varint(p, &v))) {
			*why = DEC_BAD_VARINT;
			return NULL;
		}
		if (v > UINT16_MAX) {
			*why = DEC_BAD_ASID;
			return NULL;
		}
		x->asid = (uint16_t)v;
	}
	if (!(p = get_varint(p, &v))) {
		*why = DEC_BAD_VARINT;
		return NULL;
	}
	a->va = x->pred[kind] + unzigzag(v);
	unsigned code = (tag >> 3) & 15;
	if (code == SIZE_ESC) {
		if (!(p = get_varint(p, &v))) {
			*why = DEC_BAD_VARINT;
			return NULL;
		}
		if (v > UINT32_MAX) {
			*why = DEC_BAD_SIZE;
			return NULL;
		}
		/* Only escaped sizes can be 0 or huge: no cost on the common path. */
		if (kind < XLAT_EV_MAP && (v == 0 || v > XLAT_TRACE_MAX_ACCESS)) {
			*why = DEC_BAD_ACCESS;
			return NULL;
		}
		a->size = (uint32_t)v;
	} else {
		a->size = code_size[code];
	}
	a->kind = (uint8_t)kind;
	a->flags = x->flags;
	a->asid = x->asid;
	x->pred[kind] = kind >= XLAT_EV_MAP ? a->va : a->va + a->size;
	return p;
}

/* Bytes the record at p needs if its varints end within n bytes, else 0
 * (the record is cut). */
static size_t record_len(const uint8_t *p, size_t n)
{
	if (n < 1)
		return 0;
	unsigned tag = p[0];
	size_t i = 1;
	if ((tag & 7) >= XLAT_KIND_COUNT)
		return 1;     /* complete, and bad */
	int varints = 1 + (((tag >> 3) & 15) == SIZE_ESC);
	if (tag & TAG_ATTRS) {
		i++;          /* flags */
		varints++;    /* asid */
	}
	while (varints--) {
		do {
			if (i >= n)
				return 0;
		} while (p[i++] & 0x80);
	}
	return i;
}

static int xlt_corrupt(struct xlt *x, const uint8_t *at, int why)
{
	static const char *const what[] = {
		[DEC_BAD_KIND] = "bad record kind",
		[DEC_BAD_VARINT] = "bad varint",
		[DEC_BAD_ASID] = "asid above 65535",
		[DEC_BAD_SIZE] = "size above 2^32-1",
		[DEC_BAD_ACCESS] = "an access of size 0 or above 1 GiB (the largest page)",
	};
	return xlat_fail(-EINVAL, "%s: corrupt record %llu at byte %llu of the record stream: %s",
			 x->base.name, (unsigned long long)x->done,
			 (unsigned long long)(x->buf_off + (uint64_t)(at - x->buf)), what[why]);
}

/* "truncated: 1,234 of 5,678 records, file ends at byte N (...)"; decoded:
 * the records read before the end. */
static int xlt_truncated(struct xlt *x, uint64_t decoded)
{
	char a[32], b[32], of[48] = "";
	if (x->count != XLAT_XLT_COUNT_UNKNOWN)
		snprintf(of, sizeof of, " of %s", fmt_count(x->count, b, sizeof b));
	return xlat_fail(-EINVAL, "%s: truncated: %s%s records, file ends at byte %llu "
			 "(the writer did not finish it)", x->base.name, fmt_count(decoded, a, sizeof a), of,
			 (unsigned long long)x->base.rd.raw_off);
}

/* Moves the undecoded tail to the front and decompresses more after it;
 * decoded: records decoded so far (for a truncation message). */
static int xlt_refill(struct xlt *x, uint64_t decoded)
{
	if (x->version >= 2 && !x->ended)
		xsum_add(&x->sum, x->buf, x->pos);
	size_t keep = x->len - x->pos;
	memmove(x->buf, x->buf + x->pos, keep);
	x->buf_off += x->pos;
	x->pos = 0;
	x->len = keep;
	int64_t got = rd_read(&x->base.rd, x->buf + keep, XLT_BUF);
	if (got < 0)
		return x->base.rd.truncated ? xlt_truncated(x, decoded) : (int)got;
	x->len += (size_t)got;
	if (got == 0)
		x->eof = true;
	return 0;
}

/* Nothing may follow the last record (v1) or the end record (v2). */
static int xlt_check_nothing_after(struct xlt *x, const char *after)
{
	for (;;) {
		if (x->pos < x->len)
			return xlat_fail(-EINVAL, "%s: data after %s (byte %llu of the record stream)",
					 x->base.name, after, (unsigned long long)(x->buf_off + x->pos));
		if (x->eof)
			return 0;
		int rc = xlt_refill(x, x->done);
		if (rc < 0)
			return rc;
	}
}

/* The end of the records: the checks of the version's end. 0 or -errno. */
static int xlt_finish(struct xlt *x)
{
	char a[32], b[32];
	if (x->len - x->pos < XLT_END_LEN && !x->eof) {
		int rc = xlt_refill(x, x->done);
		if (rc < 0)
			return rc;
	}
	size_t left = x->len - x->pos;
	if (x->version < 2) {
		if (x->done < x->count)
			return xlt_truncated(x, x->done);
		if (x->count == 0 && left > 0)
			return xlat_fail(-EINVAL, "%s: a version-1 .xlt whose writer did not finish: its header "
					 "still says 0 records and records follow", x->base.name);
		char what[64];
		snprintf(what, sizeof what, "the %s records the header promises", fmt_count(x->count, a, sizeof a));
		return xlt_check_nothing_after(x, what);
	}
	if (left == 0)
		return xlt_truncated(x, x->done);
	const uint8_t *p = x->buf + x->pos;
	if (*p != XLT_END_TAG)
		return xlat_fail(-EINVAL, "%s: data after the %s records the header promises, where the end "
				 "record should be (byte %llu of the record stream)", x->base.name,
				 fmt_count(x->count, a, sizeof a), (unsigned long long)(x->buf_off + x->pos));
	if (left < XLT_END_LEN)
		return xlt_truncated(x, x->done);
	uint64_t count = get_le64(p + 1), want = get_le64(p + 9);
	xsum_add(&x->sum, x->buf, x->pos);
	x->ended = true;
	uint64_t got = xsum_final(&x->sum);
	if (count != x->done)
		return xlat_fail(-EINVAL, "%s: the end record says %s records but the stream holds %s "
				 "(byte %llu of the record stream)", x->base.name, fmt_count(count, a, sizeof a),
				 fmt_count(x->done, b, sizeof b), (unsigned long long)(x->buf_off + x->pos));
	if (x->count != XLAT_XLT_COUNT_UNKNOWN && x->count != count)
		return xlat_fail(-EINVAL, "%s: the header says %s records but the end record %s",
				 x->base.name, fmt_count(x->count, a, sizeof a), fmt_count(count, b, sizeof b));
	if (got != want)
		return xlat_fail(-EINVAL, "%s: checksum mismatch over the %llu bytes of the record stream "
				 "(%016llx, the end record says %016llx): the file is damaged", x->base.name,
				 (unsigned long long)x->sum.n, (unsigned long long)got, (unsigned long long)want);
	x->pos += XLT_END_LEN;
	return xlt_check_nothing_after(x, "the end record");
}

static int64_t xlt_next(struct xlat_source *s, struct xlat_access *out, size_t cap)
{
	struct xlt *x = (struct xlt *)s;
	size_t n = 0;
	int why;
	if (x->finished)
		return 0;
	if (x->count != XLAT_XLT_COUNT_UNKNOWN && x->count - x->done < cap)
		cap = (size_t)(x->count - x->done);
	bool v2 = x->version >= 2;
	while (n < cap) {
		if (x->len - x->pos < XLT_MAX_REC && !x->eof) {
			int rc = xlt_refill(x, x->done + n);
			if (rc < 0)
				return rc;
			continue;
		}
		/* The fast loop: a whole record is always readable. */
		const uint8_t *p = x->buf + x->pos;
		const uint8_t *fast_end = x->buf + (x->len >= XLT_MAX_REC ? x->len - XLT_MAX_REC + 1 : 0);
		struct xlt_state st = x->st;
		while (n < cap && p < fast_end) {
			const uint8_t *q = decode_one(&st, p, &out[n], &why);
			if (!q) {
				x->st = st;
				x->pos = (size_t)(p - x->buf);
				if (v2 && *p == XLT_END_TAG)
					goto end;
				x->done += n;
				return xlt_corrupt(x, p, why);
			}
			p = q;
			n++;
		}
		x->st = st;
		x->pos = (size_t)(p - x->buf);
		if (n == cap || !x->eof)
			continue;
		/* The stream's last bytes: decode from a zero-padded copy. */
		if (x->pos == x->len)
			break;
		if (v2 && x->buf[x->pos] == XLT_END_TAG)
			break;
		uint8_t tmp[2 * XLT_MAX_REC] = { 0 };
		size_t left = x->len - x->pos;
		memcpy(tmp, x->buf + x->pos, left);
		const uint8_t *q = decode_one(&x->st, tmp, &out[n], &why);
		if (!q) {
			x->done += n;
			if (!record_len(tmp, left))
				return xlt_truncated(x, x->done);
			return xlt_corrupt(x, x->buf + x->pos, why);
		}
		if ((size_t)(q - tmp) > left) {
			x->done += n;
			return xlt_truncated(x, x->done);
		}
		x->pos += (size_t)(q - tmp);
		n++;
	}
end:
	x->done += n;
	if (n > 0)
		return (int64_t)n;
	int rc = xlt_finish(x);
	if (rc < 0)
		return rc;
	x->finished = true;
	return 0;
}

static void xlt_free(struct xlat_source *s)
{
	free(((struct xlt *)s)->buf);
}

static const struct source_ops xlt_ops = {
	.next = xlt_next,
	.free = xlt_free,
};

int xlt_open(struct xlat_source **out, struct rd *r, const char *name)
{
	const uint8_t *p;
	int64_t n = rd_peek(r, XLT_HDR, &p);
	int rc;
	if (n < 0) {
		rd_free(r);
		return (int)n;
	}
	if (n < XLT_HDR) {
		rd_free(r);
		return xlat_fail(-EINVAL, "%s: truncated .xlt header (%lld of %d bytes)", name, (long long)n, XLT_HDR);
	}
	if (memcmp(p, "XLT\0", 4)) {
		rd_free(r);
		return xlat_fail(-EINVAL, "%s: not an .xlt file (bad magic at byte 0)", name);
	}
	uint32_t version = get_le32(p + 4);
	uint64_t count = get_le64(p + 8);
	uint32_t flags = get_le32(p + 16);
	uint32_t srclen = get_le32(p + 20);
	if (version < 1 || version > XLAT_XLT_VERSION) {
		rd_free(r);
		return xlat_fail(-EINVAL, "%s: .xlt version %u at byte 4, this xlat reads versions 1 to %u",
				 name, version, XLAT_XLT_VERSION);
	}
	if (flags) {
		rd_free(r);
		return xlat_fail(-EINVAL, "%s: unknown .xlt flags 0x%x at byte 16", name, flags);
	}
	if (count > INT64_MAX && !(version >= 2 && count == XLAT_XLT_COUNT_UNKNOWN)) {
		rd_free(r);
		return xlat_fail(-EINVAL, "%s: absurd record count %llu at byte 8", name, (unsigned long long)count);
	}
	if (srclen > XLAT_XLT_MAX_SOURCE) {
		rd_free(r);
		return xlat_fail(-EINVAL, "%s: absurd source length %u at byte 20 (at most %u)",
				 name, srclen, XLAT_XLT_MAX_SOURCE);
	}
	rd_skip(r, XLT_HDR);
	char *origin = malloc(srclen + 1);
	if (!origin) {
		rd_free(r);
		return xlat_fail(-ENOMEM, "out of memory");
	}
	n = rd_peek(r, srclen, &p);
	if (n >= 0 && n < srclen)
		n = xlat_fail(-EINVAL, "%s: truncated .xlt header: source string of %u bytes at byte %d, file ends after %lld",
			      name, srclen, XLT_HDR, (long long)n);
	if (n < 0) {
		free(origin);
		rd_free(r);
		return (int)n;
	}
	memcpy(origin, p, srclen);
	origin[srclen] = 0;
	for (uint32_t i = 0; i < srclen; i++)
		if (origin[i] == 0 || origin[i] == '\n')
			origin[i] = ' ';
	rd_skip(r, srclen);

	struct xlt *x = (struct xlt *)source_alloc(sizeof *x, &xlt_ops, "xlt", name, r);
	if (!x) {
		free(origin);
		rd_free(r);
		return xlat_fail(-ENOMEM, "out of memory");
	}
	free(x->base.origin);
	x->base.origin = origin;
	x->base.records = count == XLAT_XLT_COUNT_UNKNOWN ? -1 : (int64_t)count;
	x->count = count;
	x->version = version;
	x->buf = malloc(XLT_BUF + XLT_MAX_REC);
	if (!x->buf) {
		source_free(&x->base);
		return xlat_fail(-ENOMEM, "out of memory");
	}
	rc = rd_set_codec(&x->base.rd, RD_ZSTD);
	if (rc < 0) {
		source_free(&x->base);
		return rc;
	}
	*out = &x->base;
	return 0;
}

/* ---- writer ---- */

#define XW_BUF (128u * 1024)    /* encoded bytes per zstd call */
#define XW_LEVEL 3

struct xlt_writer {
	struct xlat_trace_writer w;
	ZSTD_CCtx *cctx;
	struct xlt_state st;
	struct xsum sum;        /* of the record bytes compressed so far */
	size_t len;
	uint8_t *buf;           /* XW_BUF encoded records */
	uint8_t *zbuf;          /* compressed output */
	size_t zcap;
};

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Compresses buf[0 .. len) (mode: continue or end) and writes the output;
 * sum: the bytes are records (the end record is not summed). */
static int xw_compress(struct xlt_writer *xw, ZSTD_EndDirective mode, bool sum)
{
	if (sum)
		xsum_add(&xw->sum, xw->buf, xw->len);
	ZSTD_inBuffer in = { xw->buf, xw->len, 0 };
	for (;;) {
		ZSTD_outBuffer out = { xw->zbuf, xw->zcap, 0 };
		size_t left = ZSTD_compressStream2(xw->cctx, &out, &in, mode);
		if (ZSTD_isError(left))
			return xlat_fail(-EIO, "%s: zstd: %s", xw->w.path, ZSTD_getErrorName(left));
		int rc = writer_put(&xw->w, xw->zbuf, out.pos);
		if (rc < 0)
			return rc;
		if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
			break;
	}
	xw->len = 0;
	return 0;
}

static int xw_write(struct xlat_trace_writer *w, const struct xlat_access *a, size_t n)
{
	struct xlt_writer *xw = (struct xlt_writer *)w;
	/* Local state: byte stores to the buffer may alias anything. */
	struct xlt_state st = xw->st;
	uint8_t *p = xw->buf + xw->len;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (a[i].kind >= XLAT_KIND_COUNT) {
			rc = xlat_fail(-EINVAL, "%s: record %llu has kind %u (at most %u)", w->path,
				       (unsigned long long)(w->count + i), a[i].kind, XLAT_KIND_COUNT - 1);
			break;
		}
		if (a[i].kind < XLAT_EV_MAP && (a[i].size == 0 || a[i].size > XLAT_TRACE_MAX_ACCESS)) {
			rc = writer_bad_size(w, w->count + i, a[i].size);
			break;
		}
		if ((size_t)(xw->buf + XW_BUF - p) < XLT_MAX_REC) {
			xw->len = (size_t)(p - xw->buf);
			rc = xw_compress(xw, ZSTD_e_continue, true);
			p = xw->buf;
			if (rc < 0)
				break;
		}
		unsigned kind = a[i].kind;
		unsigned code = size_code(a[i].size);
		bool attrs = a[i].flags != st.flags || a[i].asid != st.asid;
		*p++ = (uint8_t)(kind | code << 3 | (attrs ? TAG_ATTRS : 0));
		if (attrs) {
			*p++ = a[i].flags;
			p = put_varint(p, a[i].asid);
			st.flags = a[i].flags;
			st.asid = a[i].asid;
		}
		p = put_varint(p, zigzag((int64_t)(a[i].va - st.pred[kind])));
		if (code == SIZE_ESC)
			p = put_varint(p, a[i].size);
		st.pred[kind] = predict_after(&a[i]);
	}
	xw->len = (size_t)(p - xw->buf);
	xw->st = st;
	return rc;
}

/* The end record, the end of the zstd frame, and the count in the header
 * (when the output can be rewritten: not on standard output). */
static int xw_finish(struct xlat_trace_writer *w)
{
	struct xlt_writer *xw = (struct xlt_writer *)w;
	int rc = xw_compress(xw, ZSTD_e_continue, true);
	if (rc < 0)
		return rc;
	xw->buf[0] = XLT_END_TAG;
	put_le64(xw->buf + 1, w->count);
	put_le64(xw->buf + 9, xsum_final(&xw->sum));
	xw->len = XLT_END_LEN;
	rc = xw_compress(xw, ZSTD_e_end, false);
	if (rc < 0)
		return rc;
	if (xlat_outfile_is_stdout(w->of))
		return 0;
	uint8_t c[8];
	put_le64(c, w->count);
	return xlat_outfile_pwrite(w->of, c, 8, 8);
}

static void xw_free(struct xlat_trace_writer *w)
{
	struct xlt_writer *xw = (struct xlt_writer *)w;
	ZSTD_freeCCtx(xw->cctx);
	free(xw->buf);
	free(xw->zbuf);
}

int xlt_writer_new(struct xlat_trace_writer **out, struct xlat_outfile *of, const char *origin)
{
	struct xlt_writer *xw = calloc(1, sizeof *xw);
	if (!xw)
		return xlat_fail(-ENOMEM, "out of memory");
	xw->w.write = xw_write;
	xw->w.finish = xw_finish;
	xw->w.free = xw_free;
	xw->w.of = of;
	xw->w.path = xlat_outfile_path(of);
	xw->cctx = ZSTD_createCCtx();
	xw->buf = malloc(XW_BUF);
	xw->zcap = ZSTD_CStreamOutSize();
	xw->zbuf = malloc(xw->zcap);
	int rc;
	if (!xw->cctx || !xw->buf || !xw->zbuf) {
		rc = xlat_fail(-ENOMEM, "out of memory");
		goto fail;
	}
	ZSTD_CCtx_setParameter(xw->cctx, ZSTD_c_compressionLevel, XW_LEVEL);
	/* A corrupted block then fails its frame's checksum, not silently. */
	ZSTD_CCtx_setParameter(xw->cctx, ZSTD_c_checksumFlag, 1);
	/* The header, its count "unknown" until xw_finish: a file whose
	 * writer never finished says so. */
	size_t srclen = origin ? strlen(origin) : 0;
	if (srclen > XLAT_XLT_MAX_SOURCE)
		srclen = XLAT_XLT_MAX_SOURCE;
	uint8_t h[XLT_HDR];
	memcpy(h, "XLT\0", 4);
	put_le32(h + 4, XLAT_XLT_VERSION);
	put_le64(h + 8, XLAT_XLT_COUNT_UNKNOWN);
	put_le32(h + 16, 0);
	put_le32(h + 20, (uint32_t)srclen);
	if ((rc = writer_put(&xw->w, h, XLT_HDR)) < 0 ||
	    (rc = writer_put(&xw->w, origin ? origin : "", srclen)) < 0)
		goto fail;
	*out = &xw->w;
	return 0;
fail:
	xw_free(&xw->w);
	free(xw);
	return rc;
}
