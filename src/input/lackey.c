/*
 * Valgrind lackey text (`valgrind --tool=lackey --trace-mem=yes`):
 *
 *   I  0400d7d4,8        instruction fetch
 *    L 0421f0b0,4        load
 *    S 0421f0b0,4        store
 *    M 0421f0b0,4        modify (load + store of the same bytes): one write
 *   ==1234== ...         valgrind's messages (also "--1234-- ..."): skipped
 *
 * The parser is hand-written for speed (it is the front of `xlat sim` on
 * real traces): it reads blocks of LK_BUF bytes, parses only the complete
 * lines of a block, so every line ends in '\n' and the digit loops need no
 * bounds checks, and carries the partial last line over to the next block.
 */
#define _GNU_SOURCE   /* memrchr */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/source.h"

#define LK_BUF (1u << 20)   /* bytes; also the longest line accepted */

struct lackey {
	struct xlat_source base;
	uint8_t *buf;           /* cap + 1 bytes (room for a final '\n') */
	size_t cap;             /* LK_BUF, or less for a small input of known size */
	size_t pos;             /* next byte to parse */
	size_t end;             /* just past the last '\n' in buf */
	size_t len;             /* bytes in buf */
	uint64_t buf_off;       /* decoded offset of buf[0] */
	uint64_t line;          /* lines parsed so far */
	bool eof;
};

/* Hex digit values plus one; 0 for anything else ('\n' and ',' included),
 * so `hexv1[c] - 1u` is the digit, or > 15. */
static const uint8_t hexv1[256] = {
	['0'] = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	['A'] = 11, 12, 13, 14, 15, 16,
	['a'] = 11, 12, 13, 14, 15, 16,
};

/* Refills buf: keeps the unparsed tail, reads more, finds the last newline.
 * Returns 0, or -errno. Sets eof when the input is exhausted (the final
 * unterminated line, if any, then gets a '\n'). */
static int lackey_refill(struct lackey *lk)
{
	size_t keep = lk->len - lk->pos;
	memmove(lk->buf, lk->buf + lk->pos, keep);
	lk->buf_off += lk->pos;
	lk->pos = 0;
	lk->len = keep;
	lk->end = 0;
	while (!lk->end) {
		if (lk->len == lk->cap)
			return xlat_fail(-EINVAL, "%s:%llu: line longer than %u bytes (not lackey text?)",
					 lk->base.name, (unsigned long long)lk->line + 1, LK_BUF);
		int64_t got = rd_read(&lk->base.rd, lk->buf + lk->len, lk->cap - lk->len);
		if (got < 0)
			return (int)got;
		size_t scan = lk->len;
		lk->len += (size_t)got;
		if (got == 0) {
			lk->eof = true;
			if (lk->len > 0 && lk->buf[lk->len - 1] != '\n')
				lk->buf[lk->len++] = '\n';
			lk->end = lk->len;
			return 0;
		}
		const uint8_t *nl = memrchr(lk->buf + scan, '\n', lk->len - scan);
		if (nl)
			lk->end = (size_t)(nl - lk->buf) + 1;
	}
	return 0;
}

static int bad_line(struct lackey *lk, const uint8_t *line, const char *what)
{
	const uint8_t *e = memchr(line, '\n', (size_t)(lk->buf + lk->end - line));
	size_t n = e ? (size_t)(e - line) : 0;
	bool binary = false;
	for (size_t i = 0; i < n && i < 64; i++)
		if (line[i] == 0 || line[i] >= 0x80)
			binary = true;
	char q[160];
	return xlat_fail(-EINVAL, "%s:%llu (byte %llu): %s: \"%s\"%s", lk->base.name,
			 (unsigned long long)lk->line + 1,
			 (unsigned long long)(lk->buf_off + (uint64_t)(line - lk->buf)), what,
			 quote_bytes(line, n, 40, q, sizeof q),
			 binary ? " (binary data: a ChampSim trace needs a .champsim name or format champsim)" : "");
}

/* Parses complete lines of [pos, end) into out[0 .. cap). */
static size_t lackey_parse(struct lackey *lk, struct xlat_access *out, size_t cap, int *err)
{
	const uint8_t *p = lk->buf + lk->pos;
	const uint8_t *e = lk->buf + lk->end;
	const uint8_t *hv = hexv1;
	uint64_t line = lk->line;
	size_t n = 0;
	*err = 0;
	while (n < cap && p < e) {
		const uint8_t *start = p;
		uint8_t kind;
		uint8_t c = p[0];
		if (c == 'I') {
			if (p[1] != ' ' || p[2] != ' ')
				goto bad;
			kind = XLAT_FETCH;
		} else if (c == ' ') {
			c = p[1];
			if (c == 'L')
				kind = XLAT_READ;
			else if (c == 'S' || c == 'M')
				kind = XLAT_WRITE;
			else
				goto bad;
			if (p[2] != ' ')
				goto bad;
		} else if (c == '\n') {
			p++;
			line++;
			continue;
		} else if ((c == '=' || c == '-') && p[1] == c) {
			p = (const uint8_t *)memchr(p, '\n', (size_t)(e - p)) + 1;
			line++;
			continue;
		} else if (c == '\r' && p[1] == '\n') {
			p += 2;
			line++;
			continue;
		} else {
			goto bad;
		}
		p += 3;
		uint64_t va = 0;
		unsigned d = hv[*p] - 1u;
		if (d > 15)
			goto bad_addr;
		do {
			if (va >> 60)
				goto bad_addr;
			va = va << 4 | d;
			d = hv[*++p] - 1u;
		} while (d <= 15);
		if (*p != ',')
			goto bad_addr;
		p++;
		uint64_t size = 0;
		d = (unsigned)*p - '0';
		if (d > 9)
			goto bad_size;
		do {
			size = size * 10 + d;
			if (size > UINT32_MAX)
				goto bad_size;
			d = (unsigned)*++p - '0';
		} while (d <= 9);
		if (size == 0)
			goto bad_size;
		if (*p == '\r')
			p++;
		if (*p != '\n')
			goto bad_size;
		p++;
		line++;
		out[n].va = va;
		out[n].size = (uint32_t)size;
		out[n].kind = kind;
		out[n].flags = 0;
		out[n].asid = 0;
		n++;
		continue;
bad:
		lk->line = line;
		lk->pos = (size_t)(start - lk->buf);
		*err = bad_line(lk, start, "not a lackey line");
		return n;
bad_addr:
		lk->line = line;
		lk->pos = (size_t)(start - lk->buf);
		*err = bad_line(lk, start, "bad address (hex, at most 64 bits)");
		return n;
bad_size:
		lk->line = line;
		lk->pos = (size_t)(start - lk->buf);
		*err = bad_line(lk, start, "bad size (decimal 1..4294967295, then end of line)");
		return n;
	}
	lk->line = line;
	lk->pos = (size_t)(p - lk->buf);
	return n;
}

static int64_t lackey_next(struct xlat_source *s, struct xlat_access *buf, size_t cap)
{
	struct lackey *lk = (struct lackey *)s;
	size_t n = 0;
	while (n < cap) {
		if (lk->pos == lk->end) {
			if (lk->eof)
				break;
			int rc = lackey_refill(lk);
			if (rc < 0)
				return rc;
			continue;
		}
		int err;
		n += lackey_parse(lk, buf + n, cap - n, &err);
		if (err)
			return err;
	}
	return (int64_t)n;
}

static void lackey_free(struct xlat_source *s)
{
	free(((struct lackey *)s)->buf);
}

static const struct source_ops lackey_ops = {
	.next = lackey_next,
	.free = lackey_free,
};

int lackey_open(struct xlat_source **out, struct rd *r, enum rd_codec codec, const char *name)
{
	struct lackey *lk = (struct lackey *)source_alloc(sizeof *lk, &lackey_ops, "lackey", name, r);
	if (!lk) {
		rd_free(r);
		return xlat_fail(-ENOMEM, "out of memory");
	}
	/* Small inputs get a small buffer (memory sources, fuzzing): at
	 * total + 1 bytes the end of the input is seen before the buffer is
	 * full, so the line-length limit cannot trigger early. */
	uint64_t total = lk->base.rd.total;
	lk->cap = codec == RD_RAW && total && total < LK_BUF ? (size_t)total + 1 : LK_BUF;
	lk->buf = malloc(lk->cap + 1);
	if (!lk->buf) {
		source_free(&lk->base);
		return xlat_fail(-ENOMEM, "out of memory");
	}
	int rc = rd_set_codec(&lk->base.rd, codec);
	if (rc < 0) {
		source_free(&lk->base);
		return rc;
	}
	*out = &lk->base;
	return 0;
}

/* The writer: the same text valgrind prints, so the output reads back. */

#define LW_BUF (256u * 1024)

struct lackey_writer {
	struct xlat_trace_writer w;
	size_t len;
	char buf[LW_BUF];
};

static int lw_flush(struct lackey_writer *lw)
{
	int rc = writer_put(&lw->w, lw->buf, lw->len);
	lw->len = 0;
	return rc;
}

static int lw_write(struct xlat_trace_writer *w, const struct xlat_access *a, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	struct lackey_writer *lw = (struct lackey_writer *)w;
	for (size_t i = 0; i < n; i++) {
		if (a[i].kind > XLAT_FETCH)
			return xlat_fail(-EINVAL, "lackey text cannot hold events (record %llu is a %s)",
					 (unsigned long long)(w->count + i), xlat_kind_name(a[i].kind));
		if (LW_BUF - lw->len < 64) {
			int rc = lw_flush(lw);
			if (rc < 0)
				return rc;
		}
		char *p = lw->buf + lw->len;
		static const char prefix[3][3] = { { ' ', 'L', ' ' }, { ' ', 'S', ' ' }, { 'I', ' ', ' ' } };
		memcpy(p, prefix[a[i].kind], 3);
		p += 3;
		/* At least 8 hex digits, as valgrind prints them. */
		uint64_t va = a[i].va;
		int nd = 8;
		while (nd < 16 && (va >> (4 * nd)))
			nd++;
		for (int k = nd - 1; k >= 0; k--)
			*p++ = digits[(va >> (4 * k)) & 15];
		*p++ = ',';
		char tmp[12];
		int t = 0;
		uint32_t sz = a[i].size;
		do {
			tmp[t++] = (char)('0' + sz % 10);
			sz /= 10;
		} while (sz);
		while (t)
			*p++ = tmp[--t];
		*p++ = '\n';
		lw->len = (size_t)(p - lw->buf);
	}
	return 0;
}

static int lw_close(struct xlat_trace_writer *w)
{
	return lw_flush((struct lackey_writer *)w);
}

struct xlat_trace_writer *lackey_writer_new(int fd, const char *path)
{
	struct lackey_writer *lw = calloc(1, sizeof *lw);
	char *copy = strdup(path);
	if (!lw || !copy) {
		free(lw);
		free(copy);
		xlat_fail(-ENOMEM, "out of memory");
		return NULL;
	}
	lw->w.write = lw_write;
	lw->w.close = lw_close;
	lw->w.fd = fd;
	lw->w.path = copy;
	return &lw->w;
}
