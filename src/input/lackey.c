/*
 * Valgrind lackey text (`valgrind --tool=lackey --trace-mem=yes`):
 *
 *   I  0400d7d4,8        instruction fetch
 *    L 0421f0b0,4        load
 *    S 0421f0b0,4        store
 *    M 0421f0b0,4        modify (load + store of the same bytes): one write
 *   ==1234== ...         valgrind's messages (also "--1234-- ..."): skipped
 *   ==xlat== begin ...   text written by xlat: an end line must follow
 *   ==xlat== end records=N   ... and this is it: N records precede it, and
 *                        nothing but blank lines follows
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
	uint64_t records;       /* records returned so far */
	bool eof;
	bool added_nl;          /* the input's last line had no '\n': refill added it */
	bool begun;             /* saw "==xlat== begin": the end line is required */
	bool ended;             /* saw the end line */
	bool checked;           /* ... and checked that nothing follows it */
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
			if (lk->len > 0 && lk->buf[lk->len - 1] != '\n') {
				lk->buf[lk->len++] = '\n';
				lk->added_nl = true;
			}
			lk->end = lk->len;
			return 0;
		}
		const uint8_t *nl = memrchr(lk->buf + scan, '\n', lk->len - scan);
		if (nl)
			lk->end = (size_t)(nl - lk->buf) + 1;
	}
	return 0;
}

static int bad_line(struct lackey *lk, const uint8_t *line, const char *what, uint64_t rec)
{
	const uint8_t *e = memchr(line, '\n', (size_t)(lk->buf + lk->end - line));
	size_t n = e ? (size_t)(e - line) : 0;
	if (lk->begun && lk->added_nl && e == lk->buf + lk->len - 1) {
		/* Text of ours cut inside its last line: say so. */
		char a[32];
		return xlat_fail(-EINVAL, "%s: truncated: %s records, then the file ends at byte %llu inside "
				 "line %llu, before the \"==xlat== end\" line (the writer did not finish)",
				 lk->base.name, fmt_count(rec, a, sizeof a), (unsigned long long)lk->base.rd.raw_off,
				 (unsigned long long)lk->line + 1);
	}
	bool binary = false;
	for (size_t i = 0; i < n && i < 64; i++)
		if (line[i] == 0 || line[i] >= 0x80)
			binary = true;
	char q[160];
	return xlat_fail(-EINVAL, "%s:%llu (byte %llu, record %llu): %s%s: \"%s\"", lk->base.name,
			 (unsigned long long)lk->line + 1,
			 (unsigned long long)(lk->buf_off + (uint64_t)(line - lk->buf)),
			 (unsigned long long)rec, what,
			 binary ? " (binary data, not lackey text; for a ChampSim trace use --format champsim)" : "",
			 quote_bytes(line, n, binary ? 12 : 40, q, sizeof q));
}

/* An "==xlat== ..." line [p, nl) after `rec` records; 0 or -errno. */
static int lackey_mark(struct lackey *lk, const uint8_t *p, const uint8_t *nl, uint64_t rec)
{
	size_t len = (size_t)(nl - p);
	if (len > 0 && p[len - 1] == '\r')
		len--;
	size_t k = strlen(LACKEY_END);
	if (len >= 14 && !memcmp(p, "==xlat== begin", 14)) {
		lk->begun = true;
		return 0;
	}
	if (len < 12 || memcmp(p, "==xlat== end", 12))
		return 0;   /* another note of ours: skipped, as valgrind's */
	if (len < k || memcmp(p, LACKEY_END, k))
		return bad_line(lk, p, "bad end line (want \"" LACKEY_END "N\")", rec);
	uint64_t v = 0;
	size_t i = k;
	for (; i < len && p[i] >= '0' && p[i] <= '9' && v < (UINT64_MAX - 9) / 10; i++)
		v = v * 10 + (uint64_t)(p[i] - '0');
	if (i == k || i != len)
		return bad_line(lk, p, "bad end line (want \"" LACKEY_END "N\")", rec);
	if (v != rec) {
		char a[32], b[32];
		return xlat_fail(-EINVAL, "%s:%llu (byte %llu): the end line says %s records but %s precede it "
				 "(the file was damaged or edited)", lk->base.name,
				 (unsigned long long)lk->line + 1,
				 (unsigned long long)(lk->buf_off + (uint64_t)(p - lk->buf)),
				 fmt_count(v, a, sizeof a), fmt_count(rec, b, sizeof b));
	}
	lk->ended = true;
	return 0;
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
			const uint8_t *nl = memchr(p, '\n', (size_t)(e - p));
			if (c == '=' && (size_t)(nl - p) >= sizeof LACKEY_MARK - 1 &&
			    !memcmp(p, LACKEY_MARK, sizeof LACKEY_MARK - 1)) {
				lk->line = line;
				lk->pos = (size_t)(p - lk->buf);
				*err = lackey_mark(lk, p, nl, lk->records + n);
				if (*err || lk->ended) {
					if (!*err) {
						lk->line = line + 1;
						lk->pos = (size_t)(nl + 1 - lk->buf);
					}
					return n;
				}
			}
			p = nl + 1;
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
			if (size > XLAT_TRACE_MAX_ACCESS)
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
		*err = bad_line(lk, start, "not a lackey line", lk->records + n);
		return n;
bad_addr:
		lk->line = line;
		lk->pos = (size_t)(start - lk->buf);
		*err = bad_line(lk, start, "bad address (hex, at most 64 bits)", lk->records + n);
		return n;
bad_size:
		lk->line = line;
		lk->pos = (size_t)(start - lk->buf);
		*err = bad_line(lk, start, "bad size (decimal 1..1073741824, the largest page; then end of line)",
				lk->records + n);
		return n;
	}
	lk->line = line;
	lk->pos = (size_t)(p - lk->buf);
	return n;
}

/* After the end line: only blank lines may follow. 0 or -errno. */
static int lackey_check_tail(struct lackey *lk)
{
	for (;;) {
		for (size_t i = lk->pos; i < lk->end; i++) {
			if (lk->buf[i] != '\n' && lk->buf[i] != '\r')
				return xlat_fail(-EINVAL, "%s: data after the end line at byte %llu (line %llu)",
						 lk->base.name, (unsigned long long)(lk->buf_off + i),
						 (unsigned long long)lk->line + 1);
			if (lk->buf[i] == '\n')
				lk->line++;
		}
		lk->pos = lk->end;
		if (lk->eof)
			return 0;
		int rc = lackey_refill(lk);
		if (rc < 0)
			return rc;
	}
}

static int64_t lackey_next(struct xlat_source *s, struct xlat_access *buf, size_t cap)
{
	struct lackey *lk = (struct lackey *)s;
	size_t n = 0;
	while (n < cap && !lk->ended) {
		if (lk->pos == lk->end) {
			if (lk->eof)
				break;
			int rc = lackey_refill(lk);
			if (rc < 0)
				return rc;
			continue;
		}
		int err;
		size_t got = lackey_parse(lk, buf + n, cap - n, &err);
		n += got;
		lk->records += got;
		if (err)   /* the records before the bad line first: it fails again next time */
			return n > 0 ? (int64_t)n : err;
	}
	if (n > 0)
		return (int64_t)n;
	if (lk->ended && !lk->checked) {
		int rc = lackey_check_tail(lk);
		if (rc < 0)
			return rc;
		lk->checked = true;
	}
	if (lk->begun && !lk->ended) {
		char a[32];
		return xlat_fail(-EINVAL, "%s: truncated: %s records, then the file ends at byte %llu "
				 "without the \"==xlat== end\" line its first line promises (the writer did "
				 "not finish)", s->name, fmt_count(lk->records, a, sizeof a),
				 (unsigned long long)s->rd.raw_off);
	}
	return 0;
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
	*out = &lk->base;
	return 0;
}

/* The writer: the same text valgrind prints, so the output reads back,
 * between our begin and end lines (valgrind's own readers skip them as
 * "==" messages). */

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
			return xlat_fail(-EINVAL, "%s: lackey text cannot hold events (record %llu is a %s)",
					 w->path, (unsigned long long)(w->count + i), xlat_kind_name(a[i].kind));
		if (a[i].size == 0 || a[i].size > XLAT_TRACE_MAX_ACCESS)
			return writer_bad_size(w, w->count + i, a[i].size);
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

static int lw_finish(struct xlat_trace_writer *w)
{
	struct lackey_writer *lw = (struct lackey_writer *)w;
	int rc = lw_flush(lw);
	if (rc < 0)
		return rc;
	char end[64];
	int n = snprintf(end, sizeof end, LACKEY_END "%llu\n", (unsigned long long)w->count);
	return writer_put(w, end, (size_t)n);
}

int lackey_writer_new(struct xlat_trace_writer **out, struct xlat_outfile *of)
{
	struct lackey_writer *lw = calloc(1, sizeof *lw);
	if (!lw)
		return xlat_fail(-ENOMEM, "out of memory");
	lw->w.write = lw_write;
	lw->w.finish = lw_finish;
	lw->w.of = of;
	lw->w.path = xlat_outfile_path(of);
	int rc = writer_put(&lw->w, LACKEY_BEGIN, strlen(LACKEY_BEGIN));
	if (rc < 0) {
		free(lw);
		return rc;
	}
	*out = &lw->w;
	return 0;
}
