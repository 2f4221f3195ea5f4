/* Workload generators (xlat/workload.h): determinism, the shape each one
 * promises, option parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/workload.h"

/* The whole stream of `name` with `opts`, in batches of cap. */
static struct xlat_access *gen(const char *name, const char *opts, size_t cap, size_t *n)
{
	struct xlat_source *s;
	int rc = xlat_workload_open_str(&s, name, opts);
	if (rc)
		print_error("%s %s: %s\n", name, opts, xlat_error());
	assert_int_equal(rc, 0);
	struct xlat_source_info info;
	xlat_source_info(s, &info);
	assert_true(info.records >= 0);
	size_t total = (size_t)info.records, len = 0;
	struct xlat_access *all = malloc((total + 1) * sizeof *all);
	int64_t got;
	while ((got = xlat_source_next(s, all + len, len + cap <= total ? cap : total - len + 1)) > 0)
		len += (size_t)got;
	assert_int_equal(got, 0);
	assert_int_equal(len, total);
	uint64_t done, tot;
	xlat_source_progress(s, &done, &tot);
	assert_int_equal(done, total);
	assert_int_equal(tot, total);
	xlat_source_close(s);
	*n = len;
	return all;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* Distinct values of va >> shift over the non-event records. */
static size_t distinct(const struct xlat_access *a, size_t n, unsigned shift)
{
	uint64_t *v = malloc((n + 1) * sizeof *v);
	size_t k = 0, d = 0;
	for (size_t i = 0; i < n; i++)
		if (!xlat_is_event(a[i].kind))
			v[k++] = a[i].va >> shift;
	qsort(v, k, sizeof *v, cmp_u64);
	for (size_t i = 0; i < k; i++)
		d += i == 0 || v[i] != v[i - 1];
	free(v);
	return d;
}

static void check_in_range(const struct xlat_access *a, size_t n, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i].va < lo || a[i].va + a[i].size > hi) {
			print_error("record %zu: va 0x%" PRIx64 " size %u outside [0x%" PRIx64 ", 0x%" PRIx64 ")\n",
				    i, a[i].va, a[i].size, lo, hi);
			fail();
		}
	}
}

static double write_fraction(const struct xlat_access *a, size_t n)
{
	size_t w = 0, d = 0;
	for (size_t i = 0; i < n; i++) {
		if (a[i].kind == XLAT_WRITE)
			w++;
		if (a[i].kind == XLAT_WRITE || a[i].kind == XLAT_READ)
			d++;
	}
	return d ? (double)w / (double)d : 0;
}

static void test_deterministic(void **state)
{
	(void)state;
	for (size_t g = 0; g < xlat_workload_count(); g++) {
		const char *name = xlat_workload_name(g);
		/* gc has no count or write fraction: its stream is its heap's */
		const char *opts = strcmp(name, "gc") ? "size=1m,count=50000,write=0.5" : "size=1m";
		size_t n1, n2, n3;
		struct xlat_access *a = gen(name, opts, 4096, &n1);
		struct xlat_access *b = gen(name, opts, 1, &n2);   /* batching must not matter */
		assert_int_equal(n1, n2);
		if (memcmp(a, b, n1 * sizeof *a)) {
			print_error("%s: two runs with the same options differ\n", name);
			fail();
		}
		char other[128];
		snprintf(other, sizeof other, "%s,seed=2", opts);
		struct xlat_access *c = gen(name, other, 777, &n3);
		if (n1 == n3 && !memcmp(a, c, n1 * sizeof *a)) {
			print_error("%s: seeds 1 and 2 give the same stream\n", name);
			fail();
		}
		free(a);
		free(b);
		free(c);
	}
}

static void test_seq_and_stride(void **state)
{
	(void)state;
	size_t n;
	/* One pass of 1 MiB by 8 bytes: every page, every byte, in order. */
	struct xlat_access *a = gen("seq", "size=1m,count=131072,base=0x200000", 4096, &n);
	assert_int_equal(n, 131072);
	assert_int_equal(distinct(a, n, 12), 256);
	check_in_range(a, n, 0x200000, 0x300000);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(a[i].va, 0x200000 + 8 * i);
	assert_int_equal(a[0].kind, XLAT_READ);
	free(a);
	/* Wraps: a second pass repeats the first. */
	a = gen("seq", "size=64k,count=20000,stride=64,access=4", 100, &n);
	assert_int_equal(distinct(a, n, 12), 16);
	assert_int_equal(a[1024].va, a[0].va);
	assert_int_equal(a[1].va - a[0].va, 64);
	assert_int_equal(a[5].size, 4);
	free(a);
	/* stride: one access per page by default. */
	a = gen("stride", "size=4m,count=1024", 4096, &n);
	assert_int_equal(distinct(a, n, 12), 1024);
	assert_int_equal(a[1].va - a[0].va, 4096);
	free(a);
}

static void test_random_write_ratio(void **state)
{
	(void)state;
	size_t n;
	struct xlat_access *a = gen("random", "size=16m,count=200000,write=0.3,access=16", 4096, &n);
	double w = write_fraction(a, n);
	if (fabs(w - 0.3) > 0.01) {
		print_error("write fraction %.4f, want 0.3 +- 0.01\n", w);
		fail();
	}
	uint64_t base = 1ULL << 40;
	check_in_range(a, n, base, base + (16 << 20));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(a[i].va % 16, 0);
	/* 200k uniform draws over 4096 pages touch all of them. */
	assert_int_equal(distinct(a, n, 12), 4096);
	free(a);
	a = gen("random", "size=1m,count=1000,write=1", 4096, &n);
	assert_true(write_fraction(a, n) == 1.0);
	free(a);
	a = gen("random", "size=1m,count=1000", 4096, &n);
	assert_true(write_fraction(a, n) == 0.0);
	free(a);
}

static void test_zipf_shape(void **state)
{
	(void)state;
	size_t n, pages = 1024;
	struct xlat_access *a = gen("zipf", "size=4m,count=400000,alpha=1", 4096, &n);
	uint64_t base = 1ULL << 40;
	check_in_range(a, n, base, base + (4 << 20));
	uint64_t *cnt = calloc(pages, sizeof *cnt);
	for (size_t i = 0; i < n; i++)
		cnt[(a[i].va - base) >> 12]++;
	qsort(cnt, pages, sizeof *cnt, cmp_u64);
	/* Zipf(1) over 1024 ranks: P(rank 1) = 1 / H(1024) = 0.1331,
	 * P(rank 2) = half of it. */
	double h = 0;
	for (size_t k = 1; k <= pages; k++)
		h += 1.0 / (double)k;
	double p1 = (double)cnt[pages - 1] / (double)n, p2 = (double)cnt[pages - 2] / (double)n;
	if (fabs(p1 - 1 / h) > 0.005 || fabs(p2 - 0.5 / h) > 0.005) {
		print_error("top pages %.4f %.4f, want %.4f %.4f\n", p1, p2, 1 / h, 0.5 / h);
		fail();
	}
	/* The hottest pages are scattered, not the first ones. */
	free(cnt);
	free(a);
	/* alpha = 0 is uniform. */
	a = gen("zipf", "size=4m,count=400000,alpha=0", 4096, &n);
	cnt = calloc(pages, sizeof *cnt);
	for (size_t i = 0; i < n; i++)
		cnt[(a[i].va - base) >> 12]++;
	qsort(cnt, pages, sizeof *cnt, cmp_u64);
	double mean = (double)n / (double)pages;
	if (cnt[pages - 1] > mean * 1.3 || cnt[0] < mean * 0.7) {
		print_error("alpha=0: page counts %" PRIu64 "..%" PRIu64 ", mean %.0f\n", cnt[0], cnt[pages - 1], mean);
		fail();
	}
	free(cnt);
	free(a);
}

static void test_chase_is_a_cycle(void **state)
{
	(void)state;
	static const struct {
		const char *opts;
		uint64_t unit, elems;
	} cases[] = {
		{ "size=64k,unit=64,count=3000", 64, 1024 },      /* lines */
		{ "size=4m,unit=4k,count=3000", 4096, 1024 },     /* pages */
		{ "size=4100,unit=4,count=3000,access=4", 4, 1025 }, /* not a power of two */
		{ "size=64,unit=64,count=5", 64, 1 },             /* one element */
	};
	uint64_t base = 1ULL << 40;
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		size_t n;
		struct xlat_access *a = gen("chase", cases[c].opts, 4096, &n);
		uint64_t unit = cases[c].unit, elems = cases[c].elems;
		/* One cycle: every element once. */
		uint8_t *seen = calloc(elems, 1);
		uint64_t at_line[64] = { 0 };
		for (size_t i = 0; i < elems && i < n; i++) {
			uint64_t e = (a[i].va - base) / unit, in = (a[i].va - base) % unit;
			assert_true(e < elems);
			/* Elements of two lines or more are read at one of their
			 * lines; smaller ones at their start. */
			if (unit >= 128 && unit % 64 == 0) {
				assert_int_equal(in % 64, 0);
				at_line[in / 64 % 64]++;
			} else {
				assert_int_equal(in, 0);
			}
			if (seen[e]) {
				print_error("%s: element %" PRIu64 " twice in one cycle (at %zu)\n", cases[c].opts, e, i);
				fail();
			}
			seen[e] = 1;
			assert_int_equal(a[i].kind, XLAT_READ);
		}
		/* A page chase's lines share the 64 line offsets evenly (every
		 * block of 64 consecutive pages uses each once): no L1D set
		 * gets them all. */
		if (unit == 4096)
			for (unsigned l = 0; l < 64; l++)
				assert_int_equal(at_line[l], elems / 64);
		/* The next cycle repeats the order. */
		for (size_t i = elems; i < n; i++)
			assert_int_equal(a[i].va, a[i - elems].va);
		/* A random order: consecutive elements are rarely neighbours. */
		if (elems >= 1024) {
			size_t near = 0;
			for (size_t i = 1; i < elems; i++)
				near += a[i].va - a[i - 1].va == unit || a[i - 1].va - a[i].va == unit;
			if (near > elems / 50) {
				print_error("%s: %zu of %" PRIu64 " steps go to a neighbour\n", cases[c].opts, near, elems);
				fail();
			}
		}
		free(seen);
		free(a);
	}
}

static void test_sparse_layout(void **state)
{
	(void)state;
	size_t n;
	struct xlat_access *a = gen("sparse", "count=100000,write=0.2", 4096, &n);
	/* 64 MiB touched exactly: the first 16384 accesses touch every page. */
	assert_int_equal(distinct(a, 16384, 12), 16384);
	assert_int_equal(distinct(a, n, 12), 16384);
	/* Seven regions across the 47-bit user space. */
	for (size_t i = 0; i < n; i++) {
		assert_true(a[i].va < (1ULL << 47));
		bool text = a[i].va >= 0x555555554000ULL && a[i].va < 0x555555554000ULL + (4 << 20);
		assert_int_equal(a[i].kind == XLAT_FETCH, text);
	}
	assert_int_equal(distinct(a, n, 30) >= 7, 1);
	assert_int_equal(a[0].va >> 12, 0x555555554ULL);
	assert_int_equal(a[16383].va >> 12, 0x7ffdfffffULL);   /* the stack's top page */
	double w = write_fraction(a, n);
	assert_true(fabs(w - 0.2) < 0.01);
	free(a);
}

static void test_mmapbench(void **state)
{
	(void)state;
	size_t n;
	/* 16 pages a round: MAP, 16 touches, UNMAP = 18 records; 100 -> 5 rounds. */
	struct xlat_access *a = gen("mmapbench", "size=64k,count=100,slots=2,huge=1,base=0x40000000", 7, &n);
	assert_int_equal(n, 90);
	for (size_t r = 0; r < 5; r++) {
		const struct xlat_access *m = &a[r * 18];
		uint64_t start = 0x40000000 + (r % 2) * (2 << 20);
		assert_int_equal(m[0].kind, XLAT_EV_MAP);
		assert_int_equal(m[0].va, start);
		assert_int_equal(m[0].size, 16);
		assert_int_equal(m[0].flags, XLAT_ACC_WRITABLE | XLAT_ACC_HUGE);
		for (size_t p = 0; p < 16; p++) {
			assert_int_equal(m[1 + p].kind, XLAT_WRITE);
			assert_int_equal(m[1 + p].va >> 12, (start >> 12) + p);
		}
		assert_int_equal(m[17].kind, XLAT_EV_UNMAP);
		assert_int_equal(m[17].va, start);
		assert_int_equal(m[17].size, 16);
	}
	free(a);
	/* A budget smaller than a round still gives one whole round. */
	a = gen("mmapbench", "size=64k,count=3", 4096, &n);
	assert_int_equal(n, 18);
	free(a);
}

static void test_forkbench(void **state)
{
	(void)state;
	size_t n;
	/* 4 pages, 3 children: setup 6, round 3 * 7 + 5 = 26; budget 60 -> 2 rounds. */
	struct xlat_access *a = gen("forkbench", "size=16k,count=60,procs=3,write=0.5", 5, &n);
	assert_int_equal(n, 6 + 2 * 26);
	uint16_t cur = 0xffff;
	bool mapped[4] = { false };
	size_t switches = 0;
	for (size_t i = 0; i < n; i++) {
		const struct xlat_access *x = &a[i];
		if (x->kind == XLAT_EV_SWITCH) {
			cur = x->asid;
			assert_true(cur <= 3);
			switches++;
			continue;
		}
		assert_int_equal(x->asid, cur);   /* every record in the current space */
		if (x->kind == XLAT_EV_MAP) {
			assert_false(mapped[cur]);
			mapped[cur] = true;
			assert_int_equal(x->size, 4);
		} else if (x->kind == XLAT_EV_UNMAP) {
			assert_true(mapped[cur]);
			mapped[cur] = false;
		} else {
			assert_true(mapped[cur]);
			assert_true(x->va >= (1ULL << 40) && x->va < (1ULL << 40) + 16384);
		}
	}
	assert_int_equal(switches, 1 + 2 * 4);
	assert_true(mapped[0]);
	assert_false(mapped[1] || mapped[2] || mapped[3]);
	free(a);
}

static void test_options(void **state)
{
	(void)state;
	struct xlat_workload w;
	assert_int_equal(xlat_workload_init(&w, "random"), 0);
	assert_int_equal(xlat_workload_parse(&w, "size=1g,count=10M,seed=7,write=0.3,base=128T,access=4"), 0);
	assert_int_equal(w.size, 1ULL << 30);
	assert_int_equal(w.count, 10000000);
	assert_int_equal(w.seed, 7);
	assert_true(w.write == 0.3);
	assert_int_equal(w.base, 1ULL << 47);
	assert_int_equal(w.access, 4);
	char buf[256];
	xlat_workload_format(&w, buf, sizeof buf);
	assert_string_equal(buf, "size=1g,count=10000000,seed=7,write=0.3,base=0x800000000000,access=4");
	/* The canonical string parses back to the same parameters. */
	struct xlat_workload v;
	assert_int_equal(xlat_workload_init(&v, "random"), 0);
	assert_int_equal(xlat_workload_parse(&v, buf), 0);
	assert_memory_equal(&v, &w, sizeof v);
	assert_int_equal(xlat_workload_records(&w), 10000000);

	static const struct {
		const char *name, *opts, *needle;
	} bad[] = {
		{ "random", "alpha=2", "no option 'alpha' (it takes: size, count, seed, write, base, access)" },
		{ "random", "colour=red", "unknown option 'colour'" },
		{ "random", "size", "expected key=value" },
		{ "random", "=4", "expected key=value" },
		{ "random", "size=-1", "size" },
		{ "random", "size=1q", "size" },
		{ "random", "write=1.5", "write must be a fraction" },
		{ "random", "write=abc", "write must be a fraction" },
		{ "random", "access=0", "access must be 1..4096" },
		{ "random", "access=8k", "access must be 1..4096" },
		{ "zipf", "alpha=-1", "alpha must be" },
		{ "chase", "unit=0", "unit must be >= 1" },
		{ "forkbench", "procs=0", "procs must be 1..65534" },
		{ "forkbench", "procs=70000", "procs must be 1..65534" },
		{ "mmapbench", "huge=yes", "huge must be 0 or 1" },
		{ "seq", "stride=0", "stride must be >= 1" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(xlat_workload_init(&w, bad[i].name), 0);
		int rc = xlat_workload_parse(&w, bad[i].opts);
		if (rc >= 0 || !strstr(xlat_error(), bad[i].needle)) {
			print_error("%s %s: rc %d, message \"%s\", want \"%s\"\n", bad[i].name, bad[i].opts, rc,
				    xlat_error(), bad[i].needle);
			fail();
		}
	}
	assert_int_equal(xlat_workload_init(&w, "nosuch"), -EINVAL);
	assert_true(strstr(xlat_error(), "known: seq, stride, random") != NULL);

	/* Checked at open. */
	struct xlat_source *s;
	static const struct {
		const char *name, *opts, *needle;
	} bad_open[] = {
		{ "random", "size=4,access=8", "smaller than one access" },
		{ "random", "base=0xfffffffffffff000,size=1m", "overflows" },
		{ "seq", "size=4k,stride=8k", "larger than size" },
		{ "chase", "size=4k,unit=8k", "unit" },
		{ "sparse", "size=1t", "128k..512g" },
		{ "sparse", "size=64k", "128k..512g" },
		{ "zipf", "size=2k", "at least one page" },
		{ "mmapbench", "base=0xffffffffff000000,slots=100", "overflow" },
	};
	for (size_t i = 0; i < sizeof bad_open / sizeof bad_open[0]; i++) {
		int rc = xlat_workload_open_str(&s, bad_open[i].name, bad_open[i].opts);
		if (rc >= 0 || !strstr(xlat_error(), bad_open[i].needle)) {
			print_error("%s %s: rc %d, message \"%s\", want \"%s\"\n", bad_open[i].name,
				    bad_open[i].opts, rc, xlat_error(), bad_open[i].needle);
			fail();
		}
		assert_null(s);
	}
	/* An empty stream is fine. */
	assert_int_equal(xlat_workload_open_str(&s, "random", "count=0"), 0);
	struct xlat_access recs[4];
	assert_int_equal(xlat_source_next(s, recs, 4), 0);
	struct xlat_source_info info;
	xlat_source_info(s, &info);
	assert_string_equal(info.format, "workload");
	assert_string_equal(info.name, "random");
	assert_string_equal(info.origin, "size=64m,count=0,seed=1,write=0,base=0x10000000000,access=8");
	xlat_source_close(s);
	for (size_t g = 0; g < xlat_workload_count(); g++)
		assert_non_null(xlat_workload_summary(g));
	assert_null(xlat_workload_name(xlat_workload_count()));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_seq_and_stride),
		cmocka_unit_test(test_random_write_ratio),
		cmocka_unit_test(test_zipf_shape),
		cmocka_unit_test(test_chase_is_a_cycle),
		cmocka_unit_test(test_sparse_layout),
		cmocka_unit_test(test_mmapbench),
		cmocka_unit_test(test_forkbench),
		cmocka_unit_test(test_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
