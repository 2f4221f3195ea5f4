/* Trace readers and writers (xlat/trace.h): lackey, .xlt, ChampSim, format
 * detection, malformed inputs, and a real program's trace end to end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <bzlib.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "helpers.h"
#include "xlat/trace.h"

/* ---- helpers ---- */

static char *tpath(const char *name)
{
	static char buf[8][512];
	static int k;
	char *p = buf[k++ % 8];
	snprintf(p, 512, "%s/%s", test_tmpdir(), name);
	return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Reads a whole source in batches of cap; returns the error (0 = ok). */
static int drain(struct xlat_source *s, size_t cap, struct xlat_access **out, size_t *n)
{
	size_t len = 0, room = 1024;
	struct xlat_access *all = malloc(room * sizeof *all);
	struct xlat_access *buf = malloc(cap * sizeof *buf);
	int64_t got;
	while ((got = xlat_source_next(s, buf, cap)) > 0) {
		assert_true((size_t)got <= cap);
		if (len + (size_t)got > room) {
			while (len + (size_t)got > room)
				room *= 2;
			all = realloc(all, room * sizeof *all);
		}
		memcpy(all + len, buf, (size_t)got * sizeof *buf);
		len += (size_t)got;
	}
	free(buf);
	*out = all;
	*n = len;
	return (int)got;
}

static int drain_mem(const void *data, size_t len, enum xlat_trace_format fmt, size_t cap,
		     struct xlat_access **out, size_t *n)
{
	struct xlat_source *s;
	int rc = xlat_source_open_mem(&s, data, len, fmt);
	if (rc < 0) {
		*out = NULL;
		*n = 0;
		return rc;
	}
	rc = drain(s, cap, out, n);
	xlat_source_close(s);
	return rc;
}

static void check_same(const struct xlat_access *got, const struct xlat_access *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct xlat_access *a = &got[i], *b = &want[i];
		if (a->va != b->va || a->size != b->size || a->kind != b->kind || a->flags != b->flags ||
		    a->asid != b->asid) {
			print_error("record %zu: got va=0x%" PRIx64 " size=%u kind=%u flags=0x%x asid=%u, "
				    "want va=0x%" PRIx64 " size=%u kind=%u flags=0x%x asid=%u\n", i,
				    a->va, a->size, a->kind, a->flags, a->asid,
				    b->va, b->size, b->kind, b->flags, b->asid);
			fail();
		}
	}
}

static void assert_error_has(const char *needle)
{
	const char *msg = xlat_error();
	if (!strstr(msg, needle)) {
		print_error("error message \"%s\" lacks \"%s\"\n", msg, needle);
		fail();
	}
}

static struct xlat_access acc(uint64_t va, uint32_t size, uint8_t kind)
{
	struct xlat_access a = { .va = va, .size = size, .kind = kind };
	return a;
}

/* ---- lackey ---- */

static void test_lackey_every_line_kind(void **state)
{
	(void)state;
	static const char text[] =
		"==1234== Lackey, an example Valgrind tool\n"
		"==1234== \n"
		"--1234-- a message from valgrind's core\n"
		"I  0400d7d4,8\n"
		" L 0421f0b0,4\n"
		" S 1fff000628,8\n"
		" M 04a19de0,16\n"
		"\n"
		"I  ffffffffffffffff,15\r\n"
		"\r\n"
		" L 00000000000000000000001,1073741824\n"
		"I  0,1";   /* no final newline */
	const struct xlat_access want[] = {
		acc(0x0400d7d4, 8, XLAT_FETCH),
		acc(0x0421f0b0, 4, XLAT_READ),
		acc(0x1fff000628, 8, XLAT_WRITE),
		acc(0x04a19de0, 16, XLAT_WRITE),
		acc(0xffffffffffffffffULL, 15, XLAT_FETCH),
		acc(1, 1u << 30, XLAT_READ),
		acc(0, 1, XLAT_FETCH),
	};
	size_t nwant = sizeof want / sizeof want[0];
	for (size_t cap = 1; cap <= 8; cap++) {
		struct xlat_access *got;
		size_t n;
		int rc = drain_mem(text, strlen(text), XLAT_TRACE_LACKEY, cap, &got, &n);
		if (rc)
			print_error("%s\n", xlat_error());
		assert_int_equal(rc, 0);
		assert_int_equal(n, nwant);
		check_same(got, want, n);
		free(got);
	}
}

struct bad_case {
	const char *text;
	const char *needle;  /* must appear in the message: file:line (byte N) */
};

static void test_lackey_errors_name_the_line(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
		{ "I  0400,8\nhello\n", "<memory>:2 (byte 10, record 1): not a lackey line: \"hello\"" },
		{ "I  0400,8\n L 0400,8\n X 0400,8\n", ":3 (byte 20, record 2)" },
		{ "I 0400,8\n", ":1 (byte 0, record 0): not a lackey line" },
		{ "  L 0400,8\n", ":1" },
		{ "I  ,8\n", "bad address" },
		{ "I  04g0,8\n", "bad address" },
		{ "I  0400;8\n", "bad address" },
		{ "I  10000000000000000,8\n", "bad address" },
		{ "\n\nI  0400,0\n", ":3 (byte 2, record 0): bad size" },
		{ "I  0400,1073741825\n", "bad size (decimal 1..1073741824" },
		{ "I  0400,\n", "bad size" },
		{ "I  0400,4294967296\n", "bad size" },
		{ "I  0400,8 \n", "bad size" },
		{ "I  0400,8x\n", "bad size" },
		{ "I  0400,-8\n", "bad size" },
		{ "=x= not a comment\n", "not a lackey line" },
		{ "I  0400,8\n\x01\x02\x00\xff rest\n", "binary data" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct xlat_access *got;
		size_t n;
		int rc = drain_mem(cases[i].text, strlen(cases[i].text) + (i == 16 ? 6 : 0),
				   XLAT_TRACE_LACKEY, 4096, &got, &n);
		if (rc != -EINVAL)
			print_error("case %zu: rc %d, want %d\n", i, rc, -EINVAL);
		assert_int_equal(rc, -EINVAL);
		assert_error_has(cases[i].needle);
		free(got);
	}
}

static void test_lackey_error_is_sticky(void **state)
{
	(void)state;
	static const char text[] = "I  0400,8\n L 0500,4\noops\nI  0600,8\n";
	struct xlat_source *s;
	assert_int_equal(xlat_source_open_mem(&s, text, strlen(text), XLAT_TRACE_LACKEY), 0);
	struct xlat_access buf[1];
	assert_int_equal(xlat_source_next(s, buf, 1), 1);
	assert_int_equal(xlat_source_next(s, buf, 1), 1);
	assert_int_equal(xlat_source_next(s, buf, 1), -EINVAL);
	assert_int_equal(xlat_source_next(s, buf, 1), -EINVAL);
	assert_error_has(":3");
	assert_int_equal(xlat_source_next(s, buf, 0) < 0, 1);
	xlat_source_close(s);
}

static void test_lackey_long_line_and_big_file(void **state)
{
	(void)state;
	/* A line longer than the parser's block is an error, not a hang. */
	size_t len = 3u << 20;
	char *text = malloc(len);
	memset(text, 'I', len);
	struct xlat_access *got;
	size_t n;
	assert_int_equal(drain_mem(text, len, XLAT_TRACE_LACKEY, 4096, &got, &n), -EINVAL);
	assert_error_has("longer than");
	free(got);
	free(text);

	/* Many blocks through a file: lines cross block boundaries. */
	size_t count = 300000;
	text = malloc(count * 32);
	struct xlat_access *want = malloc(count * sizeof *want);
	size_t o = 0;
	for (size_t i = 0; i < count; i++) {
		static const char *const pre[] = { " L ", " S ", "I  " };
		want[i] = acc(0x7f0000000000ULL + i * 4099, (uint32_t)(i % 23 + 1), (uint8_t)(i % 3));
		o += (size_t)sprintf(text + o, "%s%08" PRIx64 ",%u\n", pre[i % 3], want[i].va, want[i].size);
		if (i % 1000 == 0)
			o += (size_t)sprintf(text + o, "==77== note\n");
	}
	const char *path = tpath("big.lackey");
	write_file(path, text, o);
	struct xlat_source *s;
	assert_int_equal(xlat_source_open(&s, path), 0);
	struct xlat_source_info info;
	xlat_source_info(s, &info);
	assert_string_equal(info.format, "lackey");
	assert_int_equal(drain(s, 4096, &got, &n), 0);
	assert_int_equal(n, count);
	check_same(got, want, n);
	uint64_t done, total;
	xlat_source_progress(s, &done, &total);
	assert_int_equal(done, o);
	assert_int_equal(total, o);
	xlat_source_close(s);
	free(got);
	free(want);
	free(text);
}

/* ---- .xlt ---- */

static uint64_t rnd(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Every field exercised: all kinds, size codes and escapes (0 included),
 * flags and asids changing sometimes, addresses near and far. */
static struct xlat_access *random_stream(size_t n, uint64_t seed)
{
	struct xlat_access *a = malloc(n * sizeof *a);
	uint64_t x = seed, va = 0x7f0000001000ULL;
	uint8_t flags = 0;
	uint16_t asid = 0;
	static const uint32_t sizes[] = { 1, 2, 4, 8, 3, 12, 13, 16, 32, 64, 0, 4096, 65, 4294967295u };
	for (size_t i = 0; i < n; i++) {
		uint64_t r = rnd(&x);
		switch (r % 5) {
		case 0: va += 8; break;
		case 1: va -= r >> 50; break;
		case 2: va = rnd(&x); break;
		default: va += (r >> 40) & 0xfff; break;
		}
		if (r % 97 == 0)
			flags = (uint8_t)(r >> 8);
		if (r % 89 == 0)
			asid = (uint16_t)(r >> 16);
		a[i].va = va;
		a[i].size = sizes[(r >> 20) % (sizeof sizes / sizeof sizes[0])];
		a[i].kind = (uint8_t)((r >> 24) % XLAT_KIND_COUNT);
		/* Accesses are 1 B .. 1 GiB; events (pages) take any size. */
		if (!xlat_is_event(a[i].kind) && a[i].size == 0)
			a[i].size = 1;
		if (!xlat_is_event(a[i].kind) && a[i].size > XLAT_TRACE_MAX_ACCESS)
			a[i].size = XLAT_TRACE_MAX_ACCESS;
		a[i].flags = flags;
		a[i].asid = asid;
	}
	return a;
}

static void write_xlt(const char *path, const struct xlat_access *a, size_t n, const char *origin)
{
	struct xlat_trace_writer *w;
	assert_int_equal(xlat_trace_writer_open(&w, path, XLAT_TRACE_AUTO, origin, NULL), 0);
	/* Odd batch sizes, so batching cannot matter. */
	for (size_t i = 0; i < n;) {
		size_t k = (i * 7 + 13) % 5000 + 1;
		if (k > n - i)
			k = n - i;
		assert_int_equal(xlat_trace_writer_write(w, a + i, k), 0);
		i += k;
	}
	assert_int_equal(xlat_trace_writer_count(w), n);
	assert_int_equal(xlat_trace_writer_close(w), 0);
}

static void test_xlt_round_trip(void **state)
{
	(void)state;
	size_t n = 300000;
	struct xlat_access *want = random_stream(n, 42);
	const char *path = tpath("rt.xlt");
	write_xlt(path, want, n, "test origin\nwith newline");
	static const size_t caps[] = { 1, 3, 4096, 1000000 };
	for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
		struct xlat_source *s;
		assert_int_equal(xlat_source_open(&s, path), 0);
		struct xlat_source_info info;
		xlat_source_info(s, &info);
		assert_string_equal(info.format, "xlt");
		assert_string_equal(info.codec, "zstd");
		assert_string_equal(info.origin, "test origin with newline");
		assert_int_equal(info.records, n);
		struct xlat_access *got;
		size_t m;
		int rc = drain(s, caps[c], &got, &m);
		if (rc)
			print_error("%s\n", xlat_error());
		assert_int_equal(rc, 0);
		assert_int_equal(m, n);
		check_same(got, want, n);
		free(got);
		xlat_source_close(s);
	}
	free(want);

	/* The empty trace. */
	path = tpath("empty.xlt");
	write_xlt(path, NULL, 0, NULL);
	struct xlat_source *s;
	assert_int_equal(xlat_source_open(&s, path), 0);
	struct xlat_access buf[4];
	assert_int_equal(xlat_source_next(s, buf, 4), 0);
	xlat_source_close(s);
}

static void test_xlt_compact(void **state)
{
	(void)state;
	/* A sequential scan should cost well under a byte a record. */
	size_t n = 1000000;
	struct xlat_access *a = malloc(n * sizeof *a);
	for (size_t i = 0; i < n; i++)
		a[i] = acc(0x10000000000ULL + 8 * i, 8, i % 4 ? XLAT_READ : XLAT_WRITE);
	const char *path = tpath("seq.xlt");
	write_xlt(path, a, n, "seq");
	size_t len;
	free(read_file(path, &len));
	if (len > n / 4) {
		print_error(".xlt of a scan: %zu bytes for %zu records\n", len, n);
		fail();
	}
	free(a);
}

/* A small valid .xlt in memory for the corruption tests. */
static uint8_t *small_xlt(size_t *len, size_t n)
{
	struct xlat_access *a = random_stream(n, 7);
	const char *path = tpath("small.xlt");
	write_xlt(path, a, n, "small");
	free(a);
	return read_file(path, len);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);   /* the test machine is little-endian, as the format */
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void expect_xlt_error(const uint8_t *data, size_t len, const char *needle)
{
	struct xlat_access *got;
	size_t n;
	int rc = drain_mem(data, len, XLAT_TRACE_XLT, 4096, &got, &n);
	if (rc >= 0)
		print_error("expected an error containing \"%s\", got %zu records\n", needle, n);
	assert_true(rc < 0);
	assert_error_has(needle);
	free(got);
}

static void test_xlt_malformed(void **state)
{
	(void)state;
	size_t len;
	uint8_t *good = small_xlt(&len, 2000);
	uint8_t *bad = malloc(len + 64);

	memcpy(bad, good, len);
	bad[0] = 'Y';
	expect_xlt_error(bad, len, "bad magic at byte 0");

	memcpy(bad, good, len);
	put32(bad + 4, 99);
	expect_xlt_error(bad, len, "version 99 at byte 4");

	memcpy(bad, good, len);
	put32(bad + 16, 4);
	expect_xlt_error(bad, len, "flags 0x4 at byte 16");

	memcpy(bad, good, len);
	put32(bad + 20, 0xfffffff0u);
	expect_xlt_error(bad, len, "absurd source length");

	memcpy(bad, good, len);
	put32(bad + 20, 60000);
	expect_xlt_error(bad, len, "truncated .xlt header");

	memcpy(bad, good, len);
	put64(bad + 8, UINT64_MAX - 1);
	expect_xlt_error(bad, len, "absurd record count");

	memcpy(bad, good, len);
	put64(bad + 8, 1ULL << 40);
	expect_xlt_error(bad, len, "the header says 1,099,511,627,776 records but the end record 2,000");

	memcpy(bad, good, len);
	put64(bad + 8, 1999);
	expect_xlt_error(bad, len, "data after the 1,999 records the header promises");

	/* "Unknown" (a writer on a pipe): the end record is the count. */
	memcpy(bad, good, len);
	put64(bad + 8, UINT64_MAX);
	struct xlat_access *all;
	size_t nall;
	assert_int_equal(drain_mem(bad, len, XLAT_TRACE_AUTO, 333, &all, &nall), 0);
	assert_int_equal(nall, 2000);
	free(all);

	expect_xlt_error(good, 10, "truncated .xlt header (10 of 24 bytes)");

	/* Truncation anywhere is an error, never a crash or a short success;
	 * after the header it says "truncated". */
	for (size_t cut = 0; cut < len; cut += (cut < 64 ? 1 : 37)) {
		struct xlat_access *got;
		size_t n;
		int rc = drain_mem(good, cut, XLAT_TRACE_XLT, 4096, &got, &n);
		if (rc >= 0)
			print_error("cut at %zu of %zu: no error (%zu records)\n", cut, len, n);
		assert_true(rc < 0);
		if (cut >= 24 + 5)
			assert_error_has("truncated: ");
		free(got);
	}

	/* Garbage after the frame. */
	memcpy(bad, good, len);
	memset(bad + len, 0xab, 64);
	expect_xlt_error(bad, len + 64, "zstd");

	/* A damaged frame: flipped bits in the payload. The frame checksum
	 * catches what decoding does not. */
	size_t hdr = 24 + 5;
	for (size_t at = hdr + 8; at < len; at += (len - hdr) / 17 + 1) {
		memcpy(bad, good, len);
		bad[at] ^= 0x5a;
		struct xlat_access *got;
		size_t n;
		int rc = drain_mem(bad, len, XLAT_TRACE_XLT, 4096, &got, &n);
		if (rc >= 0)
			print_error("flip at %zu: no error\n", at);
		assert_true(rc < 0);
		assert_true(strstr(xlat_error(), "byte") != NULL);
		free(got);
	}
	free(bad);
	free(good);
}

/* A record stream built by hand, framed by zstd, behind a valid header. */
static uint8_t *xlt_with_payload(const uint8_t *payload, size_t plen, uint64_t count, size_t *len)
{
	size_t cap = ZSTD_compressBound(plen);
	uint8_t *out = malloc(24 + cap);
	memcpy(out, "XLT\0", 4);
	put32(out + 4, 1);
	put64(out + 8, count);
	put32(out + 16, 0);
	put32(out + 20, 0);
	size_t z = ZSTD_compress(out + 24, cap, payload, plen, 1);
	assert_false(ZSTD_isError(z));
	*len = 24 + z;
	return out;
}

static void test_xlt_bad_records(void **state)
{
	(void)state;
	static const struct {
		uint8_t bytes[16];
		size_t len;
		const char *needle;
	} cases[] = {
		{ { 0x07, 0x00 }, 2, "record 0 at byte 0 of the record stream: bad record kind" },
		{ { 0x00, 0x00, 0x07 }, 3, "record 1 at byte 2 of the record stream: bad record kind" },
		{ { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 12, "bad varint" },
		{ { 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02 }, 11, "bad varint" },
		{ { 0x80, 0x00, 0x80, 0x80, 0x04, 0x00 }, 6, "asid above 65535" },
		{ { 0x78, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10 }, 7, "size above 2^32-1" },
		{ { 0x78, 0x00 }, 2, "truncated: 0 of 2 records" },
		{ { 0x00, 0x80 }, 2, "truncated: 0 of 2 records" },
		{ { 0x78, 0x00, 0x00 }, 3, "record 0 at byte 0 of the record stream: an access of size 0" },
		{ { 0x78, 0x00, 0x81, 0x80, 0x80, 0x80, 0x04 }, 7, "an access of size 0 or above 1 GiB" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len;
		uint8_t *f = xlt_with_payload(cases[i].bytes, cases[i].len, 2, &len);
		expect_xlt_error(f, len, cases[i].needle);
		free(f);
	}
	/* Valid bytes decode as documented: a fetch of 2 bytes at 0x40 (varint
	 * 0x80 0x01 = 128, zigzag -> +64), then a write of 4 bytes at -1: each
	 * kind has its own prediction, 0 before its first record. */
	static const uint8_t ok[] = { 0x0a, 0x80, 0x01, 0x19, 0x01 };
	size_t len;
	uint8_t *f = xlt_with_payload(ok, sizeof ok, 2, &len);
	struct xlat_access *got;
	size_t n;
	assert_int_equal(drain_mem(f, len, XLAT_TRACE_AUTO, 16, &got, &n), 0);
	assert_int_equal(n, 2);
	struct xlat_access want[] = { acc(0x40, 2, XLAT_FETCH), acc(0, 4, XLAT_WRITE) };
	check_same(got, want, 1);
	assert_int_equal(got[1].kind, XLAT_WRITE);
	assert_int_equal(got[1].size, 4);
	assert_int_equal(got[1].va, (uint64_t)-1);   /* first write: prediction 0, delta -1 */
	free(got);
	free(f);
}

/* The stream checksum as xlat/trace.h spells it, written from the text:
 * byte by byte into little-endian words. */
static uint64_t spec_checksum(const uint8_t *p, size_t n)
{
	const uint64_t K = 0x9e3779b97f4a7c15ULL;
	uint64_t h = 0;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t w = 0;
		for (size_t j = 0; j < 8 && i + j < n; j++)
			w |= (uint64_t)p[i + j] << (8 * j);
		h = ((h << 23 | h >> 41) ^ w) * K;
	}
	h ^= n;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

/* A version-2 file: header (count), the records, an end record with
 * end_count and checksum sum (or the right ones for ~0), then `extra`. */
static uint8_t *xlt2(const uint8_t *rec, size_t rlen, uint64_t count, uint64_t end_count, uint64_t sum,
		     const uint8_t *extra, size_t elen, size_t *len)
{
	uint8_t *stream = malloc(rlen + 17 + elen);
	memcpy(stream, rec, rlen);
	stream[rlen] = 0x07;
	put64(stream + rlen + 1, end_count);
	put64(stream + rlen + 9, sum == ~0ULL ? spec_checksum(rec, rlen) : sum);
	if (elen)
		memcpy(stream + rlen + 17, extra, elen);
	size_t plen = rlen + 17 + elen;
	size_t cap = ZSTD_compressBound(plen);
	uint8_t *out = malloc(24 + cap);
	memcpy(out, "XLT\0", 4);
	put32(out + 4, 2);
	put64(out + 8, count);
	put32(out + 16, 0);
	put32(out + 20, 0);
	size_t z = ZSTD_compress(out + 24, cap, stream, plen, 1);
	assert_false(ZSTD_isError(z));
	free(stream);
	*len = 24 + z;
	return out;
}

static void test_xlt_v2_end_record(void **state)
{
	(void)state;
	/* Three records: fetch 2 B at 0x40, write 4 B at -1, read 8 B at 0. */
	static const uint8_t rec[] = { 0x0a, 0x80, 0x01, 0x19, 0x01, 0x38, 0x00 };
	size_t len;
	struct xlat_access *got;
	size_t n;
	uint8_t *f = xlt2(rec, sizeof rec, 3, 3, ~0ULL, NULL, 0, &len);
	int rc = drain_mem(f, len, XLAT_TRACE_AUTO, 1, &got, &n);
	if (rc)
		print_error("%s\n", xlat_error());
	assert_int_equal(rc, 0);
	assert_int_equal(n, 3);
	assert_int_equal(got[2].kind, XLAT_READ);
	assert_int_equal(got[2].size, 8);
	free(got);
	free(f);
	/* The header's count may be unknown. */
	f = xlt2(rec, sizeof rec, UINT64_MAX, 3, ~0ULL, NULL, 0, &len);
	assert_int_equal(drain_mem(f, len, XLAT_TRACE_AUTO, 4096, &got, &n), 0);
	assert_int_equal(n, 3);
	free(got);
	free(f);
	/* What the reader must refuse. */
	f = xlt2(rec, sizeof rec, 3, 3, 12345, NULL, 0, &len);
	expect_xlt_error(f, len, "checksum mismatch over the 7 bytes of the record stream");
	free(f);
	f = xlt2(rec, sizeof rec, 3, 2, ~0ULL, NULL, 0, &len);
	expect_xlt_error(f, len, "the end record says 2 records but the stream holds 3");
	free(f);
	f = xlt2(rec, sizeof rec, UINT64_MAX, 4, ~0ULL, NULL, 0, &len);
	expect_xlt_error(f, len, "the end record says 4 records but the stream holds 3");
	free(f);
	f = xlt2(rec, sizeof rec, 2, 3, ~0ULL, NULL, 0, &len);
	expect_xlt_error(f, len, "data after the 2 records the header promises, where the end record should be");
	free(f);
	f = xlt2(rec, sizeof rec, 4, 3, ~0ULL, NULL, 0, &len);
	expect_xlt_error(f, len, "the header says 4 records but the end record 3");
	free(f);
	static const uint8_t junk[] = { 0x00, 0x00 };
	f = xlt2(rec, sizeof rec, 3, 3, ~0ULL, junk, sizeof junk, &len);
	expect_xlt_error(f, len, "data after the end record (byte 24 of the record stream)");
	free(f);
	/* A stream that stops at a frame boundary before its end record. */
	uint8_t *v1 = xlt_with_payload(rec, sizeof rec, 3, &len);
	put32(v1 + 4, 2);
	expect_xlt_error(v1, len, "truncated: 3 of 3 records");
	put64(v1 + 8, UINT64_MAX);
	expect_xlt_error(v1, len, "truncated: 3 records, file ends at byte");
	/* Version 1 still reads; its unfinished files are named as such. */
	put32(v1 + 4, 1);
	put64(v1 + 8, 3);
	assert_int_equal(drain_mem(v1, len, XLAT_TRACE_AUTO, 4096, &got, &n), 0);
	assert_int_equal(n, 3);
	free(got);
	put64(v1 + 8, 0);
	expect_xlt_error(v1, len, "a version-1 .xlt whose writer did not finish");
	free(v1);

	/* The writer's checksum is the documented one: recompute it from the
	 * decompressed stream of a file it wrote. */
	size_t flen;
	uint8_t *file = small_xlt(&flen, 5000);
	uint32_t srclen;
	memcpy(&srclen, file + 20, 4);
	size_t hdr = 24 + srclen;
	unsigned long long dlen = ZSTD_getFrameContentSize(file + hdr, flen - hdr);
	size_t cap = dlen == ZSTD_CONTENTSIZE_UNKNOWN ? (size_t)1 << 22 : (size_t)dlen;
	uint8_t *plain = malloc(cap);
	size_t plen = ZSTD_decompress(plain, cap, file + hdr, flen - hdr);
	assert_false(ZSTD_isError(plen));
	assert_true(plen > 17);
	assert_int_equal(plain[plen - 17], 0x07);
	uint64_t c, sum;
	memcpy(&c, plain + plen - 16, 8);
	memcpy(&sum, plain + plen - 8, 8);
	assert_int_equal(c, 5000);
	assert_int_equal(sum, spec_checksum(plain, plen - 17));
	uint64_t hc;
	memcpy(&hc, file + 8, 8);
	assert_int_equal(hc, 5000);
	free(plain);
	free(file);
}

/* Writers refuse accesses the readers would refuse; the readers' limits. */
static void test_access_size_limit(void **state)
{
	(void)state;
	static const enum xlat_trace_format fmts[] = { XLAT_TRACE_XLT, XLAT_TRACE_LACKEY };
	for (int k = 0; k < 2; k++) {
		struct xlat_trace_writer *w;
		const char *path = tpath(k ? "lim.lackey" : "lim.xlt");
		assert_int_equal(xlat_trace_writer_open(&w, path, fmts[k], NULL, NULL), 0);
		struct xlat_access ok[] = { acc(0x1000, 1u << 30, XLAT_READ), acc(0x2000, 1, XLAT_WRITE) };
		assert_int_equal(xlat_trace_writer_write(w, ok, 2), 0);
		struct xlat_access big = acc(0x1000, (1u << 30) + 1, XLAT_FETCH);
		assert_int_equal(xlat_trace_writer_write(w, &big, 1), -EINVAL);
		assert_error_has("record 2 is an access of 1073741825 bytes; an access is 1..1073741824 bytes");
		xlat_trace_writer_abort(w);
		assert_int_equal(access(path, F_OK), -1);
		assert_int_equal(xlat_trace_writer_open(&w, path, fmts[k], NULL, NULL), 0);
		struct xlat_access zero = acc(0x1000, 0, XLAT_READ);
		assert_int_equal(xlat_trace_writer_write(w, &zero, 1), -EINVAL);
		xlat_trace_writer_abort(w);
	}
	/* Events count pages: any 32-bit size. */
	struct xlat_trace_writer *w;
	assert_int_equal(xlat_trace_writer_open(&w, tpath("ev.xlt"), XLAT_TRACE_XLT, NULL, NULL), 0);
	struct xlat_access ev = acc(0x1000, UINT32_MAX, XLAT_EV_MAP);
	assert_int_equal(xlat_trace_writer_write(w, &ev, 1), 0);
	assert_int_equal(xlat_trace_writer_close(w), 0);
	struct xlat_access *got;
	size_t n;
	struct xlat_source *s;
	assert_int_equal(xlat_source_open(&s, tpath("ev.xlt")), 0);
	assert_int_equal(drain(s, 8, &got, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].size, UINT32_MAX);
	free(got);
	xlat_source_close(s);
}

/* Lackey text written by xlat: begin and end lines, checked when present. */
static void test_lackey_end_line(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		size_t records;
		const char *needle;
	} cases[] = {
		/* valgrind's own output has neither line */
		{ "==1== hi\nI  0400,4\n L 0500,8\n", 0, 2, NULL },
		{ "==xlat== begin\nI  0400,4\n L 0500,8\n==xlat== end records=2\n", 0, 2, NULL },
		{ "==xlat== begin\nI  0400,4\n L 0500,8\n==xlat== end records=2\n\n\r\n", 0, 2, NULL },
		{ "I  0400,4\n==xlat== end records=1", 0, 1, NULL },
		{ "==xlat== begin\nI  0400,4\n L 0500,8\n", -EINVAL, 2,
		  "truncated: 2 records, then the file ends at byte 35 without the \"==xlat== end\" line" },
		{ "==xlat== begin\nI  0400,4\n L 05", -EINVAL, 1,
		  "truncated: 1 records, then the file ends at byte 30 inside line 3" },
		{ "==xlat== begin\nI  0400,4\n==xlat== end rec", -EINVAL, 1, "truncated: 1 records, then the file ends at byte 41 inside line 3" },
		{ "==xlat== begin\nI  0400,4\n==xlat== end records=x\n", -EINVAL, 1, ":3 (byte 25, record 1): bad end line" },
		{ "==xlat== begin\nI  0400,4\n==xlat== ending\n", -EINVAL, 1, "bad end line" },
		{ "==xlat== begin\nI  0400,4\n==xlat== end records=3\n", -EINVAL, 1,
		  ":3 (byte 25): the end line says 3 records but 1 precede it" },
		{ "==xlat== begin\nI  0400,4\n==xlat== end records=1\nI  0500,4\n", -EINVAL, 1,
		  "data after the end line at byte 48 (line 4)" },
		{ "==xlat== begin\nI  0400,4\n==xlat== end records=1\n==1== x\n", -EINVAL, 1, "data after the end line" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (size_t cap = 1; cap <= 3; cap += 2) {
			struct xlat_access *got;
			size_t n;
			int rc = drain_mem(cases[i].text, strlen(cases[i].text), XLAT_TRACE_LACKEY, cap, &got, &n);
			if (rc != cases[i].rc || n != cases[i].records)
				print_error("case %zu cap %zu: rc %d (%s), %zu records\n", i, cap, rc, xlat_error(), n);
			assert_int_equal(rc, cases[i].rc);
			assert_int_equal(n, cases[i].records);
			if (cases[i].needle)
				assert_error_has(cases[i].needle);
			free(got);
		}
	}
}

/* ---- ChampSim ---- */

struct cs_rec {
	uint64_t ip;
	uint8_t is_branch, taken, dreg[2], sreg[4];
	uint64_t dmem[2], smem[4];
};

static void cs_encode(const struct cs_rec *r, uint8_t *p)
{
	memset(p, 0, 64);
	put64(p, r->ip);
	p[8] = r->is_branch;
	p[9] = r->taken;
	memcpy(p + 10, r->dreg, 2);
	memcpy(p + 12, r->sreg, 4);
	for (int i = 0; i < 2; i++)
		put64(p + 16 + 8 * i, r->dmem[i]);
	for (int i = 0; i < 4; i++)
		put64(p + 32 + 8 * i, r->smem[i]);
}

/* n records and what they must expand to. */
static uint8_t *champsim_sample(size_t n, struct xlat_access **want, size_t *nwant)
{
	uint8_t *raw = malloc(n * 64);
	struct xlat_access *w = malloc(n * 7 * sizeof *w);
	size_t k = 0;
	uint64_t x = 5;
	for (size_t i = 0; i < n; i++) {
		struct cs_rec r = { .ip = 0x401000 + 4 * i, .is_branch = (uint8_t)(i & 1), .dreg = { 3 } };
		uint64_t bits = rnd(&x);
		for (int j = 0; j < 4; j++)
			r.smem[j] = bits >> j & 1 ? 0x7ffd0000 + 64 * i + (uint64_t)j : 0;
		for (int j = 0; j < 2; j++)
			r.dmem[j] = bits >> (4 + j) & 1 ? 0x600000 + 8 * i + (uint64_t)j : 0;
		cs_encode(&r, raw + 64 * i);
		w[k++] = acc(r.ip, 1, XLAT_FETCH);
		for (int j = 0; j < 4; j++)
			if (r.smem[j])
				w[k++] = acc(r.smem[j], 8, XLAT_READ);
		for (int j = 0; j < 2; j++)
			if (r.dmem[j])
				w[k++] = acc(r.dmem[j], 8, XLAT_WRITE);
	}
	*want = w;
	*nwant = k;
	return raw;
}

static void write_gzip(const char *path, const void *data, size_t len)
{
	gzFile g = gzopen(path, "wb");
	assert_non_null(g);
	assert_int_equal(gzwrite(g, data, (unsigned)len), (int)len);
	assert_int_equal(gzclose(g), Z_OK);
}

static void write_xz(const char *path, const void *data, size_t len)
{
	size_t cap = lzma_stream_buffer_bound(len), pos = 0;
	uint8_t *out = malloc(cap);
	assert_int_equal(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, data, len, out, &pos, cap), LZMA_OK);
	write_file(path, out, pos);
	free(out);
}

static void read_and_check(const char *path, enum xlat_trace_format fmt, const char *codec,
			   const struct xlat_access *want, size_t nwant)
{
	static const size_t caps[] = { 1, 6, 7, 4096 };
	for (size_t c = 0; c < 4; c++) {
		struct xlat_source *s;
		int rc = xlat_source_open_as(&s, path, fmt);
		if (rc)
			print_error("%s: %s\n", path, xlat_error());
		assert_int_equal(rc, 0);
		struct xlat_source_info info;
		xlat_source_info(s, &info);
		assert_string_equal(info.format, "champsim");
		assert_string_equal(info.codec, codec);
		struct xlat_access *got;
		size_t n;
		rc = drain(s, caps[c], &got, &n);
		if (rc)
			print_error("%s: %s\n", path, xlat_error());
		assert_int_equal(rc, 0);
		assert_int_equal(n, nwant);
		check_same(got, want, n);
		free(got);
		xlat_source_close(s);
	}
}

static void test_champsim(void **state)
{
	(void)state;
	size_t nrec = 20000, nwant;
	struct xlat_access *want;
	uint8_t *raw = champsim_sample(nrec, &want, &nwant);

	write_file(tpath("t.champsim"), raw, nrec * 64);
	read_and_check(tpath("t.champsim"), XLAT_TRACE_AUTO, "none", want, nwant);
	write_file(tpath("t.raw"), raw, nrec * 64);
	read_and_check(tpath("t.raw"), XLAT_TRACE_CHAMPSIM, "none", want, nwant);
	/* Compressed: detected by magic, whatever the name. */
	write_gzip(tpath("t.gz"), raw, nrec * 64);
	read_and_check(tpath("t.gz"), XLAT_TRACE_AUTO, "gzip", want, nwant);
	write_xz(tpath("t.champsimtrace.xz"), raw, nrec * 64);
	read_and_check(tpath("t.champsimtrace.xz"), XLAT_TRACE_AUTO, "xz", want, nwant);
	write_xz(tpath("t.bin"), raw, nrec * 64);
	read_and_check(tpath("t.bin"), XLAT_TRACE_AUTO, "xz", want, nwant);
	size_t zcap = ZSTD_compressBound(nrec * 64);
	uint8_t *z = malloc(zcap);
	size_t zlen = ZSTD_compress(z, zcap, raw, nrec * 64, 3);
	write_file(tpath("t.zst"), z, zlen);
	read_and_check(tpath("t.zst"), XLAT_TRACE_AUTO, "zstd", want, nwant);
	free(z);

	/* Concatenated gzip members read as one stream. */
	gzFile g = gzopen(tpath("cat.gz"), "wb");
	gzwrite(g, raw, 64 * 100);
	gzclose(g);
	g = gzopen(tpath("cat.gz"), "ab");
	gzwrite(g, raw + 64 * 100, 64 * (unsigned)(nrec - 100));
	gzclose(g);
	read_and_check(tpath("cat.gz"), XLAT_TRACE_AUTO, "gzip", want, nwant);

	/* A partial trailing record: error with its offset. */
	struct xlat_access *got;
	size_t n;
	assert_int_equal(drain_mem(raw, 64 * 3 + 10, XLAT_TRACE_CHAMPSIM, 4096, &got, &n), -EINVAL);
	assert_error_has("partial record at byte 192");
	assert_error_has("10 of 64 bytes after record 3");
	free(got);
	write_gzip(tpath("partial.gz"), raw, 64 * 5 + 1);
	struct xlat_source *s;
	assert_int_equal(xlat_source_open(&s, tpath("partial.gz")), 0);
	assert_int_equal(drain(s, 4096, &got, &n), -EINVAL);
	assert_error_has("partial record at byte 320");
	free(got);
	xlat_source_close(s);

	/* Truncated compressed streams. */
	size_t len;
	uint8_t *gz = read_file(tpath("t.gz"), &len);
	assert_true(drain_mem(gz, len / 2, XLAT_TRACE_AUTO, 4096, &got, &n) < 0);
	assert_error_has("truncated gzip stream");
	free(got);
	gz[len / 2] ^= 0xff;
	assert_true(drain_mem(gz, len, XLAT_TRACE_AUTO, 4096, &got, &n) < 0);
	free(got);
	free(gz);
	uint8_t *xz = read_file(tpath("t.bin"), &len);
	assert_true(drain_mem(xz, len - 7, XLAT_TRACE_AUTO, 4096, &got, &n) < 0);
	assert_error_has("xz");
	free(got);
	free(xz);
	free(raw);
	free(want);
}

static uint8_t *bzip2_of(const void *data, size_t len, size_t *out_len)
{
	unsigned cap = (unsigned)(len + len / 100 + 600);
	char *out = malloc(cap);
	assert_int_equal(BZ2_bzBuffToBuffCompress(out, &cap, (char *)data, (unsigned)len, 9, 0, 0), BZ_OK);
	*out_len = cap;
	return (uint8_t *)out;
}

/* bzip2 (plain, concatenated, cut), what detection does with data of no
 * name, and ChampSim's instruction count. */
static void test_bzip2_and_detection(void **state)
{
	(void)state;
	size_t nrec = 3000, nwant;
	struct xlat_access *want;
	uint8_t *raw = champsim_sample(nrec, &want, &nwant);
	size_t blen;
	uint8_t *bz = bzip2_of(raw, nrec * 64, &blen);
	write_file(tpath("t.champsim.bz2"), bz, blen);
	read_and_check(tpath("t.champsim.bz2"), XLAT_TRACE_AUTO, "bzip2", want, nwant);
	write_file(tpath("bz-noname"), bz, blen);
	read_and_check(tpath("bz-noname"), XLAT_TRACE_AUTO, "bzip2", want, nwant);
	/* Two streams back to back (pbzip2) read as one. */
	size_t b1, b2;
	uint8_t *p1 = bzip2_of(raw, 64 * 1000, &b1), *p2 = bzip2_of(raw + 64 * 1000, 64 * (nrec - 1000), &b2);
	uint8_t *cat = malloc(b1 + b2);
	memcpy(cat, p1, b1);
	memcpy(cat + b1, p2, b2);
	write_file(tpath("cat.bz2"), cat, b1 + b2);
	read_and_check(tpath("cat.bz2"), XLAT_TRACE_CHAMPSIM, "bzip2", want, nwant);
	free(p1);
	free(p2);
	free(cat);
	/* Cut or damaged. */
	struct xlat_access *got;
	size_t n;
	assert_true(drain_mem(bz, blen - 9, XLAT_TRACE_CHAMPSIM, 4096, &got, &n) < 0);
	assert_error_has("truncated bzip2 stream");
	free(got);
	/* (bzip2 checks a block's CRC at its end: the garbage before it may be
	 * what fails first.) */
	bz[blen / 2] ^= 0x55;
	assert_true(drain_mem(bz, blen, XLAT_TRACE_CHAMPSIM, 4096, &got, &n) < 0);
	free(got);
	free(bz);

	/* ChampSim: instruction records apart from the accesses they yield. */
	struct xlat_source *s;
	assert_int_equal(xlat_source_open(&s, tpath("t.champsim.bz2")), 0);
	assert_int_equal(drain(s, 4096, &got, &n), 0);
	struct xlat_source_info info;
	xlat_source_info(s, &info);
	assert_int_equal(info.instructions, nrec);
	assert_int_equal(n, nwant);
	assert_true(nwant > nrec);
	free(got);
	xlat_source_close(s);

	/* Compressed text with no name: lackey, by content. */
	static const char text[] = "==1== x\nI  0400,4\n L 0500,8\n";
	write_gzip(tpath("text-noname"), text, strlen(text));
	assert_int_equal(xlat_source_open(&s, tpath("text-noname")), 0);
	xlat_source_info(s, &info);
	assert_string_equal(info.format, "lackey");
	assert_string_equal(info.codec, "gzip");
	assert_int_equal(info.instructions, -1);
	assert_int_equal(drain(s, 4096, &got, &n), 0);
	assert_int_equal(n, 2);
	free(got);
	xlat_source_close(s);
	/* Text given as ChampSim: refused up front, saying what it looks like. */
	write_file(tpath("text.champsim"), text, strlen(text));
	assert_int_equal(xlat_source_open(&s, tpath("text.champsim")), -EINVAL);
	assert_error_has("does not look like a ChampSim trace: record 0 (byte 0) has only 28 of its 64 bytes");
	assert_error_has("looks like text (lackey? use --format lackey)");
	char lines[4096];
	size_t o = 0;
	while (o < sizeof lines - 40)
		o += (size_t)snprintf(lines + o, sizeof lines - o, "I  %08zx,4\n", o);
	assert_int_equal(xlat_source_open_mem(&s, lines, o, XLAT_TRACE_CHAMPSIM), -EINVAL);
	assert_error_has("record 0 (byte 0) has is_branch 0x30 and branch_taken 0x30 (must be 0 or 1)");
	assert_error_has("looks like text");
	/* A canonical-address check catches binary data with small bytes. */
	uint8_t b[128] = { 0 };
	put64(b, 0x401000);
	put64(b + 16, 0x0123456789abcdefULL);
	put64(b + 64, 0x401004);
	assert_int_equal(xlat_source_open_mem(&s, b, sizeof b, XLAT_TRACE_CHAMPSIM), -EINVAL);
	assert_error_has("record 0 (byte 0) has memory operand 0x123456789abcdef");

	/* Empty, cut and damaged inputs. */
	write_file(tpath("empty"), "", 0);
	assert_int_equal(xlat_source_open(&s, tpath("empty")), -ENODATA);
	assert_error_has("empty: empty trace (0 bytes)");
	assert_int_equal(xlat_source_open_as(&s, tpath("empty"), XLAT_TRACE_CHAMPSIM), -ENODATA);
	write_gzip(tpath("empty.gz"), "", 0);
	assert_int_equal(xlat_source_open(&s, tpath("empty.gz")), -ENODATA);
	assert_error_has("empty trace (0 bytes after gzip decompression)");
	for (size_t k = 1; k <= 3; k++) {
		write_file(tpath("cut"), "XLT", k);
		assert_int_equal(xlat_source_open(&s, tpath("cut")), -EINVAL);
		assert_error_has("truncated .xlt header");
	}
	size_t len;
	uint8_t *good = small_xlt(&len, 100);
	good[1] = 'Y';
	write_file(tpath("damaged.xlt"), good, len);
	assert_int_equal(xlat_source_open(&s, tpath("damaged.xlt")), -EINVAL);
	assert_error_has("not an .xlt file (bad magic at byte 0)");
	write_file(tpath("damaged"), good, len);
	assert_int_equal(xlat_source_open(&s, tpath("damaged")), -EINVAL);
	assert_error_has("not a trace xlat reads");
	free(good);
	write_gzip(tpath("z.xlt"), "XLT\0xx", 6);
	assert_int_equal(xlat_source_open(&s, tpath("z.xlt")), -EINVAL);
	assert_error_has("a gzip-compressed file, not an .xlt");
	free(raw);
	free(want);
}

/* ---- detection, writers, fd ---- */

static void test_detection_and_writers(void **state)
{
	(void)state;
	static const char text[] = "I  0400,4\n L 0500,8\n";
	/* gzip'd lackey text named .lackey.gz: lackey through gzip. */
	write_gzip(tpath("a.lackey.gz"), text, strlen(text));
	struct xlat_source *s;
	assert_int_equal(xlat_source_open(&s, tpath("a.lackey.gz")), 0);
	struct xlat_source_info info;
	xlat_source_info(s, &info);
	assert_string_equal(info.format, "lackey");
	assert_string_equal(info.codec, "gzip");
	assert_int_equal(info.records, -1);
	xlat_source_close(s);
	/* Plain text with an unknown name: lackey. */
	write_file(tpath("noext"), text, strlen(text));
	assert_int_equal(xlat_source_open(&s, tpath("noext")), 0);
	xlat_source_info(s, &info);
	assert_string_equal(info.format, "lackey");
	xlat_source_close(s);
	/* Binary data with an unknown name that is not ChampSim: refused at
	 * open, saying what it looks like. */
	uint8_t bin[128] = { 0x10, 0x20, 0, 0, 0, 0, 0, 0 };
	write_file(tpath("noext.bin"), bin, sizeof bin);
	assert_int_equal(xlat_source_open(&s, tpath("noext.bin")), -EINVAL);
	assert_error_has("not a trace xlat reads");
	assert_error_has("binary data");
	/* Binary data named .lackey: lackey, with a hint at the bad line. */
	write_file(tpath("bin.lackey"), bin, sizeof bin);
	assert_int_equal(xlat_source_open(&s, tpath("bin.lackey")), 0);
	struct xlat_access buf[8];
	assert_int_equal(xlat_source_next(s, buf, 8), -EINVAL);
	assert_error_has("--format champsim");
	xlat_source_close(s);
	/* Missing files and directories. */
	assert_int_equal(xlat_source_open(&s, tpath("nope.xlt")), -ENOENT);
	assert_error_has("nope.xlt");
	assert_int_equal(xlat_source_open(&s, test_tmpdir()), -EISDIR);
	enum xlat_trace_format f;
	assert_int_equal(xlat_trace_format_parse("champsim", &f), 0);
	assert_int_equal(f, XLAT_TRACE_CHAMPSIM);
	assert_int_equal(xlat_trace_format_parse("csv", &f), -EINVAL);

	/* The lackey writer: valgrind's spelling, reads back; no events. */
	struct xlat_trace_writer *w;
	assert_int_equal(xlat_trace_writer_open(&w, tpath("out.txt"), XLAT_TRACE_AUTO, NULL, NULL), 0);
	struct xlat_access a[] = {
		acc(0x400, 4, XLAT_FETCH), acc(0x1fff000628, 8, XLAT_WRITE),
		acc(0xffffffffffffffffULL, 1u << 30, XLAT_READ),
	};
	a[1].asid = 3;   /* dropped: lackey has no asids */
	assert_int_equal(xlat_trace_writer_write(w, a, 3), 0);
	assert_int_equal(xlat_trace_writer_close(w), 0);
	size_t len;
	char *out = (char *)read_file(tpath("out.txt"), &len);
	out[len] = 0;
	assert_string_equal(out, "==xlat== begin lackey text; complete only if it ends with an end line\n"
				 "I  00000400,4\n S 1fff000628,8\n L ffffffffffffffff,1073741824\n"
				 "==xlat== end records=3\n");
	free(out);
	a[1].asid = 0;
	struct xlat_access *got;
	size_t n;
	assert_int_equal(xlat_source_open(&s, tpath("out.txt")), 0);
	assert_int_equal(drain(s, 2, &got, &n), 0);
	assert_int_equal(n, 3);
	check_same(got, a, 3);
	free(got);
	xlat_source_close(s);
	assert_int_equal(xlat_trace_writer_open(&w, tpath("ev.lackey"), XLAT_TRACE_AUTO, NULL, NULL), 0);
	struct xlat_access ev = acc(0x1000, 4, XLAT_EV_MAP);
	assert_int_equal(xlat_trace_writer_write(w, &ev, 1), -EINVAL);
	assert_error_has("cannot hold events");
	xlat_trace_writer_abort(w);
	assert_int_equal(access(tpath("ev.lackey"), F_OK), -1);
	assert_int_equal(xlat_trace_writer_open(&w, "-", XLAT_TRACE_CHAMPSIM, NULL, NULL), -EINVAL);
	assert_int_equal(xlat_trace_writer_open(&w, "/nonexistent/dir/x.xlt", XLAT_TRACE_AUTO, NULL, NULL), -ENOENT);

	/* A pipe through the fd API. */
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
	close(p[1]);
	assert_int_equal(xlat_source_open_fd(&s, p[0], XLAT_TRACE_AUTO, "pipe"), 0);
	assert_int_equal(drain(s, 8, &got, &n), 0);
	assert_int_equal(n, 2);
	uint64_t done, total;
	xlat_source_progress(s, &done, &total);
	assert_int_equal(total, 0);
	assert_int_equal(done, strlen(text));
	free(got);
	xlat_source_close(s);
	close(p[0]);
}

/* ---- a real program ---- */

/* The obvious slow parser, as a reference for the fast one. */
static size_t reference_parse(const char *path, struct xlat_access **out)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = 0, room = 1 << 16;
	struct xlat_access *a = malloc(room * sizeof *a);
	char line[256];
	while (fgets(line, sizeof line, f)) {
		char c1, c2;
		unsigned long long va;
		unsigned size;
		if (line[0] == '=' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%c%c %llx,%u", &c1, &c2, &va, &size), 4);
		if (n == room)
			a = realloc(a, (room *= 2) * sizeof *a);
		uint8_t kind = c1 == 'I' ? XLAT_FETCH : c2 == 'L' ? XLAT_READ : XLAT_WRITE;
		a[n++] = acc(va, size, kind);
	}
	fclose(f);
	*out = a;
	return n;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static uint64_t distinct_pages(const struct xlat_access *a, size_t n, unsigned shift)
{
	uint64_t *p = malloc(2 * n * sizeof *p);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		p[k++] = a[i].va >> shift;
		if ((a[i].va + a[i].size - 1) >> shift != a[i].va >> shift)
			p[k++] = (a[i].va + a[i].size - 1) >> shift;
	}
	qsort(p, k, sizeof *p, cmp_u64);
	uint64_t d = 0;
	for (size_t i = 0; i < k; i++)
		d += i == 0 || p[i] != p[i - 1];
	free(p);
	return d;
}

static uint64_t json_u64(const char *json, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(json, pat);
	if (!p) {
		print_error("no \"%s\" in %s\n", key, json);
		fail();
	}
	return strtoull(p + strlen(pat), NULL, 10);
}

static bool have_valgrind(void)
{
	return system("valgrind --version >/dev/null 2>&1") == 0;
}

static void test_real_program(void **state)
{
	(void)state;
	if (!have_valgrind()) {
		print_message("valgrind not found: skipping the real-program trace test\n");
		skip();
	}
	char cmd[1024];
	const char *text = tpath("ls.lackey");
	snprintf(cmd, sizeof cmd, "valgrind --tool=lackey --trace-mem=yes --log-file=%s /bin/ls / >/dev/null 2>&1",
		 text);
	assert_int_equal(system(cmd), 0);
	struct xlat_access *ref;
	size_t nref = reference_parse(text, &ref);
	assert_true(nref > 100000);

	/* The fast parser agrees with the slow one, record by record. */
	struct xlat_source *s;
	assert_int_equal(xlat_source_open(&s, text), 0);
	struct xlat_access *got;
	size_t n;
	assert_int_equal(drain(s, 4096, &got, &n), 0);
	assert_int_equal(n, nref);
	check_same(got, ref, n);
	free(got);
	xlat_source_close(s);

	/* Through `xlat trace convert` to .xlt and back, losslessly. */
	char args[1024], *out;
	snprintf(args, sizeof args, "trace convert %s %s", text, tpath("ls.xlt"));
	assert_int_equal(run_xlat(args, 1, &out), 0);
	free(out);
	assert_int_equal(xlat_source_open(&s, tpath("ls.xlt")), 0);
	assert_int_equal(drain(s, 4096, &got, &n), 0);
	assert_int_equal(n, nref);
	check_same(got, ref, n);
	free(got);
	xlat_source_close(s);

	/* `trace info` counts what the reference counts. */
	uint64_t kinds[3] = { 0 }, lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < nref; i++) {
		kinds[ref[i].kind]++;
		lo = ref[i].va < lo ? ref[i].va : lo;
		hi = ref[i].va + ref[i].size - 1 > hi ? ref[i].va + ref[i].size - 1 : hi;
	}
	snprintf(args, sizeof args, "trace info --json %s", tpath("ls.xlt"));
	assert_int_equal(run_xlat(args, 0, &out), 0);
	assert_int_equal(json_u64(out, "records"), nref);
	assert_int_equal(json_u64(out, "reads"), kinds[XLAT_READ]);
	assert_int_equal(json_u64(out, "writes"), kinds[XLAT_WRITE]);
	assert_int_equal(json_u64(out, "fetches"), kinds[XLAT_FETCH]);
	assert_int_equal(json_u64(out, "pages_4k"), distinct_pages(ref, nref, 12));
	assert_int_equal(json_u64(out, "regions_2m"), distinct_pages(ref, nref, 21));
	char range[128];
	snprintf(range, sizeof range, "\"va_min\":\"0x%" PRIx64 "\",\"va_max\":\"0x%" PRIx64 "\"", lo, hi);
	if (!strstr(out, range)) {
		print_error("want %s in %s\n", range, out);
		fail();
	}
	free(out);

	/* `trace record` of the same command: the same program, so nearly the
	 * same trace (the environment differs a little). */
	snprintf(args, sizeof args, "trace record --json -o %s -- /bin/ls / >/dev/null", tpath("rec.xlt"));
	assert_int_equal(run_xlat(args, 0, NULL), 0);
	snprintf(args, sizeof args, "trace info --json %s", tpath("rec.xlt"));
	assert_int_equal(run_xlat(args, 0, &out), 0);
	uint64_t fetches = json_u64(out, "fetches");
	if (fetches < kinds[XLAT_FETCH] * 9 / 10 || fetches > kinds[XLAT_FETCH] * 11 / 10) {
		print_error("recorded %" PRIu64 " fetches, the direct run %" PRIu64 "\n", fetches, kinds[XLAT_FETCH]);
		fail();
	}
	assert_true(strstr(out, "\"origin\":\"xlat trace record -- /bin/ls /\"") != NULL);
	free(out);
	free(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lackey_every_line_kind),
		cmocka_unit_test(test_lackey_errors_name_the_line),
		cmocka_unit_test(test_lackey_error_is_sticky),
		cmocka_unit_test(test_lackey_long_line_and_big_file),
		cmocka_unit_test(test_xlt_round_trip),
		cmocka_unit_test(test_xlt_compact),
		cmocka_unit_test(test_xlt_malformed),
		cmocka_unit_test(test_xlt_bad_records),
		cmocka_unit_test(test_xlt_v2_end_record),
		cmocka_unit_test(test_access_size_limit),
		cmocka_unit_test(test_lackey_end_line),
		cmocka_unit_test(test_champsim),
		cmocka_unit_test(test_bzip2_and_detection),
		cmocka_unit_test(test_detection_and_writers),
		cmocka_unit_test(test_real_program),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
