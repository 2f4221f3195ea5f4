/*
 * phys: the three backings, byte access, the frame allocator and its
 * accounting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xlat/phys.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define F2M 512ULL
#define F1G 262144ULL

static struct phys_stats stats_of(const struct phys *s)
{
	struct phys_stats st;
	phys_get_stats(s, &st);
	return st;
}

/* Runs fn in a child and reports whether it aborted (XLAT_BUG). */
static bool aborts(void (*fn)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		/* Keep the expected "BUG" line out of the test log. */
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		fn();
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

/* ---- sparse backing ----------------------------------------------------- */

static void test_sparse_untouched_costs_nothing(void **state)
{
	(void)state;
	struct phys *s = phys_create(52, 0);
	assert_non_null(s);
	assert_int_equal(phys_pa_bits(s), 52);
	struct phys_stats before = stats_of(s);
	assert_int_equal(before.ram_frames, 1ULL << 40);
	assert_int_equal(before.touched_frames, 0);

	/* Reads all over the 4 PiB space: zeros, one shared page, no memory. */
	const uint8_t *z0 = phys_frame(s, 0, false);
	assert_non_null(z0);
	for (uint64_t pfn = 1; pfn < (1ULL << 40); pfn = pfn * 3 + 7) {
		uint64_t v = 1;
		assert_int_equal(phys_read64(s, pfn << 12 | 0x18, &v), 0);
		assert_int_equal(v, 0);
		assert_ptr_equal(phys_frame(s, pfn, false), z0);
	}
	uint8_t buf[64];
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(phys_read(s, (1ULL << 52) - 32, buf, 32), 0);
	for (int i = 0; i < 32; i++)
		assert_int_equal(buf[i], 0);
	/* Writing zero to an untouched frame changes nothing, so costs nothing. */
	assert_int_equal(phys_write64(s, 0x5000, 0), 0);
	struct phys_stats after = stats_of(s);
	assert_int_equal(after.touched_frames, 0);
	assert_int_equal(after.host_bytes, before.host_bytes);

	/* Allocating never touches frame memory either. */
	uint64_t pfn;
	assert_int_equal(phys_alloc(s, 4 * F1G, F1G, &pfn), 0);   /* 4 GiB */
	assert_int_equal(stats_of(s).touched_frames, 0);
	assert_true(stats_of(s).host_bytes < before.host_bytes + 64 * 1024);
	phys_destroy(s);
}

static void test_sparse_write_read(void **state)
{
	(void)state;
	struct phys *s = phys_create(40, 0);
	assert_non_null(s);
	uint64_t base = stats_of(s).host_bytes;

	assert_int_equal(phys_write64(s, 0x123458, 0x1122334455667788ULL), 0);
	uint64_t v;
	assert_int_equal(phys_read64(s, 0x123458, &v), 0);
	assert_int_equal(v, 0x1122334455667788ULL);
	assert_int_equal(phys_read64(s, 0x123450, &v), 0);   /* neighbour still zero */
	assert_int_equal(v, 0);
	struct phys_stats st = stats_of(s);
	assert_int_equal(st.touched_frames, 1);
	/* Honest accounting: the frame, its arena and the directory nodes. */
	assert_true(st.host_bytes >= base + 4096 + 4096 * sizeof(void *));

	/* Frame pointers: the written frame has its own page. */
	uint8_t *p = phys_frame(s, 0x123, false);
	assert_non_null(p);
	assert_ptr_not_equal(p, phys_frame(s, 0x124, false));
	assert_int_equal(p[0x458], 0x88);
	assert_ptr_equal(phys_frame(s, 0x123, true), p);

	/* Ranges crossing frames, and their byte order. */
	uint8_t out[10000], in[10000];
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(phys_write(s, 0x7ff0, in, sizeof(in)), 0);
	assert_int_equal(phys_read(s, 0x7ff0, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(stats_of(s).touched_frames, 1 + 4);   /* 0x7000..0xa000 */
	assert_int_equal(phys_read64(s, 0x7ff8, &v), 0);
	assert_int_equal(v & 0xff, in[8]);

	/* Alignment and bounds. */
	assert_int_equal(phys_read64(s, 0x1004, &v), -EINVAL);
	assert_int_equal(phys_write64(s, 0x1001, 1), -EINVAL);
	assert_int_equal(phys_read64(s, 1ULL << 40, &v), -EFAULT);
	assert_int_equal(phys_write64(s, 1ULL << 40, 1), -EFAULT);
	assert_int_equal(phys_read64(s, (1ULL << 40) - 8, &v), 0);
	assert_null(phys_frame(s, 1ULL << 28, false));
	assert_non_null(phys_frame(s, (1ULL << 28) - 1, false));
	assert_int_equal(phys_read(s, (1ULL << 40) - 8, out, 9), -EFAULT);
	assert_int_equal(phys_write(s, (1ULL << 40) - 8, in, 9), -EFAULT);
	assert_int_equal(phys_zero(s, (1ULL << 28) - 1, 2), -EFAULT);
	phys_destroy(s);
}

static void test_sparse_zero_and_recycle(void **state)
{
	(void)state;
	struct phys *s = phys_create(48, 0);
	for (uint64_t pfn = 0; pfn < 8; pfn++)
		assert_int_equal(phys_write64(s, pfn << 12, pfn + 1), 0);
	struct phys_stats full = stats_of(s);
	assert_int_equal(full.touched_frames, 8);

	/* Zeroing drops host memory; the frames read as zero again. */
	assert_int_equal(phys_zero(s, 2, 3), 0);
	assert_int_equal(stats_of(s).touched_frames, 5);
	uint64_t v;
	assert_int_equal(phys_read64(s, 3 << 12, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(phys_read64(s, 5 << 12, &v), 0);
	assert_int_equal(v, 6);

	/* Host frames given back are reused (zeroed) before new memory is taken. */
	for (uint64_t pfn = 100; pfn < 103; pfn++) {
		assert_int_equal(phys_read64(s, pfn << 12, &v), 0);
		assert_int_equal(v, 0);
		assert_int_equal(phys_write64(s, (pfn << 12) + 8, 9), 0);
		assert_int_equal(phys_read64(s, pfn << 12, &v), 0);
		assert_int_equal(v, 0);   /* recycled frame was zeroed */
	}
	assert_int_equal(stats_of(s).touched_frames, 8);
	/* Same arenas; only a directory leaf node may have been added. */
	assert_true(stats_of(s).host_bytes <= full.host_bytes + 4096 * sizeof(void *) + 64);

	/* phys_free of a sparse space releases the frames' memory too. */
	struct phys *s2 = phys_create(48, 0);
	uint64_t pfn;
	assert_int_equal(phys_alloc(s2, 16, 16, &pfn), 0);
	assert_int_equal(phys_write64(s2, (pfn + 3) << 12, 5), 0);
	assert_int_equal(phys_write64(s2, (pfn + 16) << 12, 5), 0);
	assert_int_equal(stats_of(s2).touched_frames, 2);
	phys_free(s2, pfn, 16);
	assert_int_equal(stats_of(s2).touched_frames, 1);
	assert_int_equal(phys_read64(s2, (pfn + 3) << 12, &v), 0);
	assert_int_equal(v, 0);
	phys_destroy(s2);

	/* Dropping everything frees the directory nodes again. */
	assert_int_equal(phys_zero(s, 0, 1ULL << 36), 0);
	struct phys_stats empty = stats_of(s);
	assert_int_equal(empty.touched_frames, 0);
	assert_true(empty.host_bytes < full.host_bytes);
	phys_destroy(s);
}

/* ---- allocator --------------------------------------------------------- */

static void test_alloc_fast_paths_alignment(void **state)
{
	(void)state;
	struct phys *s = phys_create(48, 64 * GiB);
	uint64_t a, b, c, d;
	assert_int_equal(phys_alloc(s, 1, 1, &a), 0);
	assert_int_equal(phys_alloc(s, 1, 1, &b), 0);
	assert_int_not_equal(a, b);
	assert_int_equal(phys_alloc(s, F2M, F2M, &c), 0);
	assert_int_equal(c % F2M, 0);
	assert_int_equal(phys_alloc(s, F1G, F1G, &d), 0);
	assert_int_equal(d % F1G, 0);
	/* Nothing overlaps. */
	assert_false(a >= c && a < c + F2M);
	assert_false(a >= d && a < d + F1G);
	assert_false(c >= d && c < d + F1G);

	/* General requests: every alignment bit is honoured. */
	for (uint64_t align = 1; align <= 4 * F1G; align <<= 1) {
		uint64_t p;
		assert_int_equal(phys_alloc(s, 3, align, &p), 0);
		assert_int_equal(p % align, 0);
	}
	uint64_t p;
	assert_int_equal(phys_alloc(s, 1000, 1, &p), 0);         /* spans 2 MiB chunks */
	assert_int_equal(phys_alloc(s, 3 * F1G + 5, F2M, &p), 0); /* spans 1 GiB chunks */
	assert_int_equal(p % F2M, 0);
	assert_int_equal(phys_alloc(s, 0, 1, &p), -EINVAL);
	assert_int_equal(phys_alloc(s, 1, 3, &p), -EINVAL);
	assert_int_equal(phys_alloc(s, 1, 0, &p), -EINVAL);
	struct phys_stats st = stats_of(s);
	assert_int_equal(st.allocated_frames, 2 + F2M + F1G + 3 * 21 + 1000 + 3 * F1G + 5);
	phys_destroy(s);
}

static void test_alloc_reuse(void **state)
{
	(void)state;
	struct phys *s = phys_create(40, 0);
	uint64_t f[8];
	for (int i = 0; i < 8; i++)
		assert_int_equal(phys_alloc(s, 1, 1, &f[i]), 0);
	phys_free(s, f[3], 1);
	uint64_t g;
	assert_int_equal(phys_alloc(s, 1, 1, &g), 0);
	assert_int_equal(g, f[3]);

	/* Freed 2 MiB and 1 GiB blocks come back to the fast paths. */
	uint64_t m, m2, h, h2;
	assert_int_equal(phys_alloc(s, F2M, F2M, &m), 0);
	phys_free(s, m, F2M);
	assert_int_equal(phys_alloc(s, F2M, F2M, &m2), 0);
	assert_int_equal(m2, m);
	assert_int_equal(phys_alloc(s, F1G, F1G, &h), 0);
	phys_free(s, h, F1G);
	assert_int_equal(phys_alloc(s, F1G, F1G, &h2), 0);
	assert_int_equal(h2, h);

	/* Frames freed one by one merge back into a whole 1 GiB chunk. */
	phys_free(s, h2, F1G);
	for (int i = 0; i < 8; i++)
		phys_free(s, f[i], 1);   /* f[3] == g */
	phys_free(s, m2, F2M);
	assert_int_equal(stats_of(s).allocated_frames, 0);
	uint64_t all;
	assert_int_equal(phys_alloc(s, F1G, F1G, &all), 0);
	assert_int_equal(all, 0);      /* chunk 0 is whole again */
	/* Partial frees of one allocation are fine. */
	phys_free(s, all + 5, 7);
	assert_int_equal(stats_of(s).allocated_frames, F1G - 7);
	assert_int_equal(phys_alloc(s, 7, 1, &g), 0);
	assert_int_equal(g, 5);
	phys_destroy(s);
}

static void test_alloc_exhaustion(void **state)
{
	(void)state;
	/* 1 MiB: 256 frames, less than one 2 MiB chunk. */
	struct phys *s = phys_create(32, MiB);
	assert_int_equal(stats_of(s).ram_frames, 256);
	uint64_t p, seen[256] = { 0 };
	for (int i = 0; i < 256; i++) {
		assert_int_equal(phys_alloc(s, 1, 1, &p), 0);
		assert_true(p < 256);
		assert_int_equal(seen[p], 0);
		seen[p] = 1;
	}
	assert_int_equal(phys_alloc(s, 1, 1, &p), -ENOMEM);
	assert_int_equal(phys_alloc(s, F2M, F2M, &p), -ENOMEM);
	for (int i = 0; i < 256; i++)
		phys_free(s, (uint64_t)i, 1);
	assert_int_equal(phys_alloc(s, 256, 1, &p), 0);
	assert_int_equal(p, 0);
	assert_int_equal(phys_alloc(s, 1, 1, &p), -ENOMEM);
	phys_free(s, 0, 256);
	assert_int_equal(phys_alloc(s, 257, 1, &p), -ENOMEM);
	assert_int_equal(phys_alloc(s, F2M, F2M, &p), -ENOMEM);
	phys_destroy(s);

	/* 1 GiB + 8 KiB: one 1 GiB block, then exactly two frames. */
	s = phys_create(40, GiB + 8192);
	assert_int_equal(phys_alloc(s, F1G, F1G, &p), 0);
	assert_int_equal(p, 0);
	assert_int_equal(phys_alloc(s, F1G, F1G, &p), -ENOMEM);
	assert_int_equal(phys_alloc(s, 1, 1, &p), 0);
	assert_int_equal(p, F1G);
	assert_int_equal(phys_alloc(s, 1, 1, &p), 0);
	assert_int_equal(p, F1G + 1);
	assert_int_equal(phys_alloc(s, 1, 1, &p), -ENOMEM);
	assert_int_equal(stats_of(s).reserved_frames, 0);   /* the tail is not "reserved" */
	phys_destroy(s);

	/* Bad geometry. */
	assert_null(phys_create(53, 0));
	assert_null(phys_create(11, 0));
	assert_null(phys_create(32, 5000));
	assert_null(phys_create(32, 1ULL << 33));
}

static void test_reserve(void **state)
{
	(void)state;
	struct phys *s = phys_create(40, 64 * MiB);
	assert_int_equal(phys_reserve(s, 0, MiB), 0);
	struct phys_stats st = stats_of(s);
	assert_int_equal(st.reserved_frames, 256);
	uint64_t p;
	assert_int_equal(phys_alloc(s, 1, 1, &p), 0);
	assert_int_equal(p, 256);
	/* Overlapping reserve counts only the new frames. */
	assert_int_equal(phys_reserve(s, MiB - 8192, MiB), 0);
	assert_int_equal(stats_of(s).reserved_frames, 256);
	/* A range with an allocated frame is busy, and changes nothing. */
	assert_int_equal(phys_reserve(s, MiB, 2 * MiB), -EBUSY);
	assert_int_equal(stats_of(s).reserved_frames, 256);
	assert_int_equal(phys_reserve(s, MiB + 4096, 2 * MiB), 0);
	assert_int_equal(stats_of(s).reserved_frames, 256 + 255);
	assert_int_equal(phys_reserve(s, 100, 8192), -EINVAL);
	assert_int_equal(phys_reserve(s, 8192, 4096), -EINVAL);
	assert_int_equal(phys_reserve(s, 0, 1ULL << 41), -EINVAL);
	/* Beyond ram but inside the space: nothing to take away. */
	assert_int_equal(phys_reserve(s, GiB, 2 * GiB), 0);
	assert_int_equal(stats_of(s).reserved_frames, 511);

	/* Reserved frames are never handed out: a hole in the middle. */
	assert_int_equal(phys_reserve(s, 32 * MiB, 34 * MiB), 0);
	uint64_t n = 0;
	while (phys_alloc(s, 1, 1, &p) == 0) {
		assert_false(p < 512 || (p >= 8192 && p < 8704));
		n++;
	}
	assert_int_equal(n, 16384 - 1 - 511 - 512);
	assert_int_equal(stats_of(s).allocated_frames, 16384 - 511 - 512);
	phys_destroy(s);
}

static struct phys *bug_space;

static void double_free(void)
{
	uint64_t p;
	if (phys_alloc(bug_space, 1, 1, &p))
		return;   /* the test then sees no abort and fails */
	phys_free(bug_space, p, 1);
	phys_free(bug_space, p, 1);
}

static void free_unallocated(void)
{
	phys_free(bug_space, 12345, 1);
}

static void free_partly_allocated(void)
{
	uint64_t p;
	if (phys_alloc(bug_space, 4, 4, &p))
		return;
	phys_free(bug_space, p, 5);
}

static void free_reserved(void)
{
	if (phys_reserve(bug_space, 0, 8192))
		return;
	phys_free(bug_space, 0, 1);
}

static void free_beyond_ram(void)
{
	phys_free(bug_space, 1ULL << 30, 1);
}

static void free_huge_twice(void)
{
	uint64_t p;
	if (phys_alloc(bug_space, F1G, F1G, &p))
		return;
	phys_free(bug_space, p, F1G);
	phys_free(bug_space, p + F2M, 1);
}

static void test_free_bugs_abort(void **state)
{
	(void)state;
	bug_space = phys_create(40, 64 * GiB);
	assert_true(aborts(double_free));
	assert_true(aborts(free_unallocated));
	assert_true(aborts(free_partly_allocated));
	assert_true(aborts(free_reserved));
	assert_true(aborts(free_beyond_ram));
	assert_true(aborts(free_huge_twice));
	phys_destroy(bug_space);
}

/* Many mixed allocations and frees, checked against a shadow bitmap. */
static void test_alloc_random_model(void **state)
{
	(void)state;
	enum { FRAMES = 3 * 512 + 100 };  /* odd size: a partial 2 MiB chunk */
	struct phys *s = phys_create(32, FRAMES * 4096ULL);
	uint8_t used[FRAMES] = { 0 };
	struct { uint64_t pfn, n; } live[512];
	int nlive = 0;
	uint64_t total = 0;
	srand(7);
	for (int iter = 0; iter < 20000; iter++) {
		if (nlive < 512 && (rand() % 3 || nlive == 0)) {
			static const uint64_t sizes[] = { 1, 1, 1, 2, 3, 8, 512, 17, 600 };
			uint64_t n = sizes[rand() % 9];
			uint64_t align = 1ULL << (rand() % 10);
			uint64_t p;
			int err = phys_alloc(s, n, align, &p);
			if (err) {
				assert_int_equal(err, -ENOMEM);
				/* Verify no fitting aligned range was free. */
				for (uint64_t c = 0; c + n <= FRAMES; c += align) {
					uint64_t k = 0;
					while (k < n && !used[c + k])
						k++;
					assert_true(k < n);
				}
				continue;
			}
			assert_int_equal(p % align, 0);
			assert_true(p + n <= FRAMES);
			for (uint64_t k = 0; k < n; k++) {
				assert_int_equal(used[p + k], 0);
				used[p + k] = 1;
			}
			live[nlive].pfn = p;
			live[nlive++].n = n;
			total += n;
		} else {
			int i = rand() % nlive;
			phys_free(s, live[i].pfn, live[i].n);
			for (uint64_t k = 0; k < live[i].n; k++)
				used[live[i].pfn + k] = 0;
			total -= live[i].n;
			live[i] = live[--nlive];
		}
		assert_int_equal(stats_of(s).allocated_frames, total);
	}
	phys_destroy(s);
}

/* ---- buffer backing ---------------------------------------------------- */

static void test_buffer_backing(void **state)
{
	(void)state;
	size_t size = 3 * 4096 * 5;   /* 60 KiB: not a power of two */
	uint8_t *buf = calloc(1, size);
	struct phys *s = phys_create_buffer(buf, size);
	assert_non_null(s);
	assert_int_equal(phys_pa_bits(s), 16);
	assert_int_equal(stats_of(s).ram_frames, 15);

	/* pa is the offset in the buffer. */
	assert_int_equal(phys_write64(s, 0x2008, 0xdeadbeefcafef00dULL), 0);
	uint64_t v;
	memcpy(&v, buf + 0x2008, 8);
	assert_int_equal(v, 0xdeadbeefcafef00dULL);
	buf[0x3000] = 0x5a;
	assert_int_equal(phys_read64(s, 0x3000, &v), 0);
	assert_int_equal(v, 0x5a);
	assert_ptr_equal(phys_frame(s, 3, false), buf + 0x3000);
	assert_int_equal(phys_write(s, 0x1ffe, "abcd", 4), 0);
	assert_memory_equal(buf + 0x1ffe, "abcd", 4);

	/* The end of the buffer is the end of the space. */
	assert_int_equal(phys_read64(s, size - 8, &v), 0);
	assert_int_equal(phys_read64(s, size, &v), -EFAULT);
	assert_null(phys_frame(s, 15, false));
	assert_int_equal(phys_zero(s, 2, 2), 0);
	memcpy(&v, buf + 0x2008, 8);
	assert_int_equal(v, 0);

	/* The allocator covers exactly the buffer, and never writes into it. */
	memset(buf, 0x77, size);
	uint64_t p, n = 0;
	while (phys_alloc(s, 1, 1, &p) == 0)
		n++;
	assert_int_equal(n, 15);
	for (size_t i = 0; i < size; i++)
		assert_int_equal(buf[i], 0x77);
	assert_int_equal(stats_of(s).touched_frames, 0);
	phys_destroy(s);
	free(buf);   /* the buffer stays the caller's */

	assert_null(phys_create_buffer(NULL, 4096));
	uint8_t small[4096];
	assert_null(phys_create_buffer(small, 100));
	assert_null(phys_create_buffer(small, 0));
}

/* ---- view backing ------------------------------------------------------ */

struct view_ctx {
	uint64_t offset;     /* view pfn -> lower pfn + offset */
	uint64_t hole;       /* this view pfn fails */
	bool say_why;        /* ... recording its own message */
	unsigned calls, writes;
	xlat_pa last_pa;
};

static int view_resolve(void *ctx, xlat_pa pa, bool write, uint64_t *lower_pfn)
{
	struct view_ctx *c = ctx;
	c->calls++;
	c->writes += write;
	c->last_pa = pa;
	if ((pa >> 12) == c->hole)
		return c->say_why ? xlat_fail(-EFAULT, "test hole at %#llx", (unsigned long long)pa) : -EFAULT;
	*lower_pfn = (pa >> 12) + c->offset;
	return 0;
}

static void test_view_backing(void **state)
{
	(void)state;
	struct phys *host = phys_create(40, 0);
	struct view_ctx c = { .offset = 0x1000, .hole = 7 };
	struct phys *v = phys_create_view(host, 36, 16 * MiB, view_resolve, &c);
	assert_non_null(v);
	assert_int_equal(phys_pa_bits(v), 36);
	assert_int_equal(stats_of(v).ram_frames, 4096);

	/* Bytes exist once, in the lower space. */
	assert_int_equal(phys_write64(v, 0x3010, 42), 0);
	assert_int_equal(c.writes, 1);
	assert_int_equal(c.last_pa, 0x3010);   /* the exact address accessed */
	uint64_t x;
	assert_int_equal(phys_read64(host, (0x1003ULL << 12) + 0x10, &x), 0);
	assert_int_equal(x, 42);
	assert_int_equal(phys_write64(host, (0x1004ULL << 12) + 0x20, 43), 0);
	assert_int_equal(phys_read64(v, 0x4020, &x), 0);
	assert_int_equal(x, 43);
	assert_int_equal(c.last_pa, 0x4020);
	assert_int_equal(stats_of(host).touched_frames, 2);
	assert_int_equal(stats_of(v).touched_frames, 0);

	/* A frame the callback cannot resolve fails with its error. */
	assert_int_equal(phys_read64(v, 7 << 12, &x), -EFAULT);
	assert_non_null(strstr(xlat_error(), "view cannot resolve address 0x7000"));
	c.say_why = true;   /* the callback's own message is kept */
	assert_int_equal(phys_read64(v, (7 << 12) + 16, &x), -EFAULT);
	assert_string_equal(xlat_error(), "test hole at 0x7010");
	/* An earlier, unrelated message survives successful view accesses. */
	xlat_fail(-EIO, "unrelated");
	assert_int_equal(phys_read64(v, 0x4020, &x), 0);
	assert_string_equal(xlat_error(), "unrelated");
	c.say_why = false;
	assert_int_equal(phys_write64(v, (7 << 12) + 8, 1), -EFAULT);
	assert_null(phys_frame(v, 7, false));
	uint8_t buf[8192];
	assert_int_equal(phys_read(v, 0x6800, buf, 4096), -EFAULT);
	assert_int_equal(phys_read(v, 0x5800, buf, 4096), 0);
	assert_int_equal(phys_read64(v, 1ULL << 36, &x), -EFAULT);

	/* Zeroing a view zeroes (drops) the lower frames. */
	assert_int_equal(phys_zero(v, 3, 2), 0);
	assert_int_equal(stats_of(host).touched_frames, 0);
	assert_int_equal(phys_read64(v, 0x3010, &x), 0);
	assert_int_equal(x, 0);

	/* Allocating from a view touches neither the view nor the lower space. */
	unsigned calls = c.calls;
	uint64_t p;
	assert_int_equal(phys_alloc(v, F2M, F2M, &p), 0);
	phys_free(v, p, F2M);
	assert_int_equal(c.calls, calls);
	assert_int_equal(stats_of(host).allocated_frames, 0);
	phys_destroy(v);
	phys_destroy(host);

	assert_null(phys_create_view(NULL, 36, 0, view_resolve, &c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sparse_untouched_costs_nothing),
		cmocka_unit_test(test_sparse_write_read),
		cmocka_unit_test(test_sparse_zero_and_recycle),
		cmocka_unit_test(test_alloc_fast_paths_alignment),
		cmocka_unit_test(test_alloc_reuse),
		cmocka_unit_test(test_alloc_exhaustion),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_free_bugs_abort),
		cmocka_unit_test(test_alloc_random_model),
		cmocka_unit_test(test_buffer_backing),
		cmocka_unit_test(test_view_backing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
