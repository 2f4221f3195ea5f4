/* xlat/ptsize.h: the seed's page-table figures on tables built by the
 * library, every level boundary, and live processes against VmPTE. */
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
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "xlat/pt.h"
#include "xlat/ptsize.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define G1  PTSIZE_DEFAULT_START

/* Builds r[0..n) and checks the page count, and that the on-paper count
 * agrees with the tables pt actually built. */
static struct ptsize_result build(const struct ptsize_region *r, size_t n, int levels, unsigned shift)
{
	struct ptsize_result res;
	int rc = ptsize_build(r, n, levels, shift, PTSIZE_NO_LIMIT, &res);
	if (rc)
		print_error("ptsize_build: %s\n", xlat_error());
	assert_int_equal(rc, 0);
	assert_int_equal(res.st.total_pages, ptsize_estimate(r, n, levels, shift));
	assert_int_equal(res.st.table_bytes, res.st.total_pages * 4096);
	return res;
}

static uint64_t pages_of(xlat_va start, uint64_t size, int levels, unsigned shift)
{
	struct ptsize_region r = { start, size, NULL };
	return build(&r, 1, levels, shift).st.total_pages;
}

/* ---- the seed's figures --------------------------------------------- */

static void test_seed_64m(void **state)
{
	(void)state;
	struct ptsize_region r = { G1, 64 * MiB, "heap" };
	struct ptsize_result res = build(&r, 1, 4, PT_PAGE_4K);
	assert_int_equal(res.st.total_pages, 35);
	assert_int_equal(res.st.table_bytes, 143360);
	assert_int_equal(res.st.table_pages[1], 32);
	assert_int_equal(res.st.table_pages[2], 1);
	assert_int_equal(res.st.table_pages[3], 1);
	assert_int_equal(res.st.table_pages[4], 1);
	assert_int_equal(res.st.mapped_bytes, 64 * MiB);
	assert_int_equal(res.st.leaves[1], 16384);
	assert_int_equal(res.va_bits, 48);
	/* The flat table for the same 48-bit space: 2^36 entries * 8 bytes. */
	assert_int_equal(res.flat_bytes, 512 * GiB);
	assert_int_equal(res.flat_bytes / res.st.table_bytes, 3834792);

	res = build(&r, 1, 5, PT_PAGE_4K);
	assert_int_equal(res.st.total_pages, 36);
	assert_int_equal(res.st.table_pages[5], 1);
	assert_int_equal(res.st.table_pages[4], 1);
	assert_int_equal(res.va_bits, 57);
	assert_int_equal(res.flat_bytes, 1ULL << 48);  /* 2^45 entries * 8 */
}

static void test_seed_256m(void **state)
{
	(void)state;
	struct ptsize_region r = { G1, 256 * MiB, NULL };
	struct ptsize_result res = build(&r, 1, 4, PT_PAGE_2M);
	assert_int_equal(res.st.total_pages, 3);
	assert_int_equal(res.st.table_bytes, 12288);
	assert_int_equal(res.st.table_pages[1], 0);
	assert_int_equal(res.st.leaves[2], 128);
	assert_int_equal(res.flat_bytes, 1 * GiB);   /* 2^27 entries of 2 MiB pages */

	res = build(&r, 1, 4, PT_PAGE_4K);
	assert_int_equal(res.st.total_pages, 131);
	assert_int_equal(res.st.table_bytes, 536576);
	assert_int_equal(res.st.table_pages[1], 128);

	/* A 1 GiB page costs its PDPT and the root. */
	r.size = GiB;
	res = build(&r, 1, 4, PT_PAGE_1G);
	assert_int_equal(res.st.total_pages, 2);
	assert_int_equal(res.st.table_pages[3], 1);
	assert_int_equal(res.st.leaves[3], 1);
	assert_int_equal(res.flat_bytes, 256 * KiB * 8);  /* 2^18 entries */
}

/* ---- every level boundary matters --------------------------------- */

static void test_boundaries(void **state)
{
	(void)state;
	const uint64_t P = 4096;
	/* Inside one PT; ending on a 2 MiB boundary does not reach the next. */
	assert_int_equal(pages_of(G1, P, 4, 12), 4);
	assert_int_equal(pages_of(G1 + 2 * MiB - P, P, 4, 12), 4);
	assert_int_equal(pages_of(G1, 2 * MiB, 4, 12), 4);
	/* One page more crosses into a second PT. */
	assert_int_equal(pages_of(G1, 2 * MiB + P, 4, 12), 5);
	assert_int_equal(pages_of(G1 + 2 * MiB - P, 2 * P, 4, 12), 5);
	/* Crossing 1 GiB: a second PT and a second PD. */
	assert_int_equal(pages_of(2 * GiB - P, 2 * P, 4, 12), 6);
	/* Crossing 512 GiB: second PT, PD and PDPT. */
	assert_int_equal(pages_of((512 * GiB) - P, 2 * P, 4, 12), 7);
	/* Crossing 256 TiB at 5 levels: second PT, PD, PDPT and PML4. */
	assert_int_equal(pages_of((1ULL << 48) - P, 2 * P, 5, 12), 9);
	/* The same boundaries for huge leaves. */
	assert_int_equal(pages_of(G1 - 2 * MiB, 4 * MiB, 4, 21), 4);
	assert_int_equal(pages_of(G1, 2 * MiB, 4, 21), 3);
	assert_int_equal(pages_of(512 * GiB - GiB, 2 * GiB, 4, 30), 3);
	assert_int_equal(pages_of(512 * GiB, GiB, 5, 30), 3);
	/* The upper half: canonical at 4 levels from 0xffff800000000000. */
	assert_int_equal(pages_of(0xffff800000000000ULL, P, 4, 12), 4);
	assert_int_equal(pages_of(0xfffffffffffff000ULL, P, 4, 12), 4);
	assert_int_equal(pages_of(0xff00000000000000ULL, P, 5, 12), 5);
	/* 2^47 is past the lower half at 4 levels but fine at 5. */
	assert_int_equal(pages_of(1ULL << 47, P, 5, 12), 5);
}

static void rejects(xlat_va start, uint64_t size, int levels, unsigned shift, int err,
		    const char *hint)
{
	struct ptsize_region r = { start, size, "r" };
	struct ptsize_result res;
	int rc = ptsize_build(&r, 1, levels, shift, PTSIZE_NO_LIMIT, &res);
	assert_int_equal(rc, err);
	if (!strstr(xlat_error(), hint))
		print_error("message \"%s\" lacks \"%s\"\n", xlat_error(), hint);
	assert_non_null(strstr(xlat_error(), hint));
}

static void test_rejects(void **state)
{
	(void)state;
	rejects(G1, 3 * MiB, 4, 21, -EINVAL, "not aligned to the 2 MiB page");
	rejects(G1 + 4096, 2 * MiB, 4, 21, -EINVAL, "not aligned");
	rejects(G1, 2 * MiB, 4, 30, -EINVAL, "not aligned to the 1 GiB page");
	rejects(G1 + 1, 4096, 4, 12, -EINVAL, "not aligned to the 4 KiB page");
	rejects(G1, 0, 4, 12, -EINVAL, "empty");
	rejects(1ULL << 47, 4096, 4, 12, -EINVAL, "canonical 48-bit");
	rejects((1ULL << 47) - 4096, 8192, 4, 12, -EINVAL, "canonical");
	rejects(1ULL << 56, 4096, 5, 12, -EINVAL, "canonical 57-bit");
	rejects(0xfffffffffffff000ULL, 8192, 4, 12, -EINVAL, "canonical");
	rejects(G1, 4096, 3, 12, -EINVAL, "3-level");
	rejects(G1, 4096, 4, 13, -EINVAL, "page shift");

	struct ptsize_region two[2] = { { G1, 4 * MiB, "a" }, { G1 + 2 * MiB, 4 * MiB, "b" } };
	struct ptsize_result res;
	assert_int_equal(ptsize_build(two, 2, 4, 12, PTSIZE_NO_LIMIT, &res), -EINVAL);
	assert_non_null(strstr(xlat_error(), "overlap"));
	assert_int_equal(ptsize_build(two, 0, 4, 12, PTSIZE_NO_LIMIT, &res), -EINVAL);

	/* The table-size limit: exactly enough passes, one byte less refuses. */
	struct ptsize_region r = { G1, 64 * MiB, NULL };
	assert_int_equal(ptsize_build(&r, 1, 4, 12, 143360, &res), 0);
	assert_int_equal(ptsize_build(&r, 1, 4, 12, 143359, &res), -E2BIG);
	assert_non_null(strstr(xlat_error(), "140 KiB"));
	/* 0 is a limit of zero bytes, not "no limit". */
	assert_int_equal(ptsize_build(&r, 1, 4, 12, 0, &res), -E2BIG);
	/* Terabytes of 4 KiB pages are refused before a page is allocated. */
	r.size = 2ULL << 40;
	assert_int_equal(ptsize_build(&r, 1, 4, 12, GiB, &res), -E2BIG);
}

/* The paper count and pt agree on many random layouts. */
static void test_estimate_matches_pt(void **state)
{
	(void)state;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	for (int round = 0; round < 60; round++) {
		unsigned shift = round % 3 == 0 ? 12 : round % 3 == 1 ? 21 : 30;
		int levels = round & 1 ? 5 : 4;
		struct ptsize_region r[6];
		size_t n = 0;
		xlat_va at = 0;
		for (int i = 0; i < 6; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			uint64_t gap = (seed >> 33) % (shift == 30 ? 600 : 2000);
			uint64_t len = 1 + (seed >> 13) % (shift == 12 ? 700 : 40);
			at += gap << shift;
			r[n++] = (struct ptsize_region){ at, len << shift, NULL };
			at += len << shift;
		}
		build(r, n, levels, shift);
	}
}

static void test_layout_process(void **state)
{
	(void)state;
	struct ptsize_region r[PTSIZE_LAYOUT_MAX];
	size_t n = ptsize_layout_process(12, r);
	assert_int_equal(n, 6);
	assert_string_equal(r[0].name, "text");
	assert_int_equal(r[5].start + r[5].size, 0x7ffffffff000ULL);
	struct ptsize_result res = build(r, n, 4, 12);
	/* PTs: text+data 3, heap 32, mmap 64, libs 2, stack 1; PDs 2; PDPTs 2; root. */
	assert_int_equal(res.st.table_pages[1], 102);
	assert_int_equal(res.st.table_pages[2], 2);
	assert_int_equal(res.st.table_pages[3], 2);
	assert_int_equal(res.st.total_pages, 107);
	assert_int_equal(res.st.table_bytes, 438272);
	assert_int_equal(res.st.mapped_bytes, 199 * MiB + 132 * KiB);

	/* On 2 MiB pages text and data merge once rounded out. */
	n = ptsize_layout_process(21, r);
	assert_int_equal(n, 5);
	assert_int_equal(r[0].start, 0x555555400000ULL);
	assert_int_equal(r[0].size, 6 * MiB);
	assert_int_equal(build(r, n, 4, 21).st.total_pages, 5);

	/* On 1 GiB pages each half of the space is one region. */
	n = ptsize_layout_process(30, r);
	assert_int_equal(n, 2);
	assert_int_equal(r[1].start + r[1].size, 1ULL << 47);
	assert_int_equal(build(r, n, 4, 30).st.total_pages, 3);
}

/* ---- live processes ----------------------------------------------- */

enum shape { SPARSE, THP, FORKED, DONTNEED };

/* The child: sets up its shape, writes its pid (a grandchild's, for
 * FORKED) to fd, then waits to be killed. Never returns. */
static void child_main(enum shape shape, int fd)
{
	pid_t report = getpid();
	if (shape == SPARSE) {
		/* 8 GiB reserved, one byte written every 3 MiB: ~2731 pages each
		 * in its own PT, over 8 PDs. */
		size_t len = 8 * GiB;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			_exit(2);
		madvise(p, len, MADV_NOHUGEPAGE);
		for (size_t off = 0; off < len; off += 3 * MiB)
			p[off] = 1;
		/* And a read-only touch: the zero page is present too. */
		volatile char c = p[len - 1];
		(void)c;
	} else if (shape == DONTNEED) {
		/* One page written in a 2 MiB block of its own, then dropped:
		 * its PT is empty but stays (unless the kernel reclaims empty
		 * tables, CONFIG_PT_RECLAIM). */
		char *raw = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (raw == MAP_FAILED)
			_exit(2);
		char *p = (char *)(((uintptr_t)raw + 2 * MiB - 1) & ~(uintptr_t)(2 * MiB - 1));
		madvise(raw, 4 * MiB, MADV_NOHUGEPAGE);
		p[0] = 1;
		madvise(p, 4096, MADV_DONTNEED);
	} else {
		/* 16 MiB, 2 MiB-aligned: 14 MiB with MADV_HUGEPAGE of which 4
		 * blocks written (anon THPs) and 2 read (THPs again, or the huge
		 * zero page where the kernel maps it: both deposit a PTE table),
		 * then one 4 KiB page written in a MADV_NOHUGEPAGE block. */
		size_t len = 16 * MiB;
		char *raw = mmap(NULL, len + 2 * MiB, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (raw == MAP_FAILED)
			_exit(2);
		char *p = (char *)(((uintptr_t)raw + 2 * MiB - 1) & ~(uintptr_t)(2 * MiB - 1));
		madvise(p, 14 * MiB, MADV_HUGEPAGE);
		for (size_t b = 0; b < 4; b++)
			p[b * 2 * MiB] = 1;
		for (size_t b = 4; b < 6; b++) {
			volatile char c = p[b * 2 * MiB + 4096];
			(void)c;
		}
		madvise(p + 14 * MiB, 2 * MiB, MADV_NOHUGEPAGE);
		p[14 * MiB] = 1;
		if (shape == FORKED) {
			pid_t g = fork();
			if (g < 0)
				_exit(2);
			if (g == 0) {
				/* The grandchild inherits everything, THPs included. */
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (write(fd, &(pid_t){ getpid() }, sizeof(pid_t)) != sizeof(pid_t))
					_exit(2);
				for (;;)
					pause();
			}
			for (;;)
				pause();   /* killed with its process group */
		}
	}
	if (write(fd, &report, sizeof report) != sizeof report)
		_exit(2);
	for (;;)
		pause();
}

struct child {
	pid_t pid;      /* the process we forked (a group leader) */
	pid_t target;   /* the process to analyse */
};

static struct child start_child(enum shape shape)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Die with the test, and hold none of its output pipes, so a
		 * failed assertion never leaves a child keeping ctest waiting. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		setpgid(0, 0);
		close(fds[0]);
		child_main(shape, fds[1]);
	}
	setpgid(pid, pid);
	close(fds[1]);
	pid_t target = 0;
	ssize_t got = read(fds[0], &target, sizeof target);
	close(fds[0]);
	assert_int_equal(got, sizeof target);
	return (struct child){ pid, target };
}

static void stop_child(struct child c)
{
	kill(-c.pid, SIGKILL);
	kill(c.pid, SIGKILL);
	waitpid(c.pid, NULL, 0);
}

/* AnonHugePages of pid, bytes. */
static uint64_t anon_huge(pid_t pid)
{
	char path[64], line[256];
	unsigned long long kb = 0;
	snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "AnonHugePages: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static uint64_t json_u64(const char *json, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(json, pat);
	if (!p) {
		print_error("no %s in %s\n", key, json);
		fail();
	}
	return strtoull(p + strlen(pat), NULL, 10);
}

/* ptsize_pid on c.target both ways, and the command, must match VmPTE. */
static struct ptsize_proc check_live(struct child c)
{
	struct ptsize_proc p, q;
	int rc = ptsize_pid(c.target, 0, &p);
	if (rc)
		print_error("ptsize_pid(%d): %s\n", (int)c.target, xlat_error());
	assert_int_equal(rc, 0);
	if (!p.match)
		print_error("pid %d: %s\n", (int)c.target, p.note);
	assert_int_equal(p.computed_kernel_bytes, p.kernel_vmpte_bytes);
	assert_true(p.match);
	assert_int_equal(p.computed_kernel_bytes,
			 (p.st.total_pages - 1 + p.deposited) * 4096);

	/* The pagemap-read fallback agrees. It reads 8 bytes per page of
	 * every VMA, holes included: under ASan, whose shadow reservation
	 * children inherit, that is 32 GiB per call, so it is left to the
	 * plain build there. */
#if !defined(__SANITIZE_ADDRESS__)
	rc = ptsize_pid(c.target, PTSIZE_NO_SCAN, &q);
	assert_int_equal(rc, 0);
	if (!q.match)
		print_error("pid %d (no scan): %s\n", (int)c.target, q.note);
	assert_int_equal(q.computed_kernel_bytes, q.kernel_vmpte_bytes);
	assert_false(q.used_scan);
	assert_int_equal(q.pages_4k, p.pages_4k);
	assert_int_equal(q.leaves_2m, p.leaves_2m);
#else
	(void)q;
#endif
	assert_true(p.used_scan == ptsize_have_pagemap_scan());

	/* And the command. */
	char args[64], *out = NULL;
	snprintf(args, sizeof args, "ptsize --pid %d --json", (int)c.target);
	assert_int_equal(run_xlat(args, 0, &out), 0);
	assert_non_null(strstr(out, "\"match\":true"));
	assert_int_equal(json_u64(out, "computed_kernel_bytes"), json_u64(out, "kernel_vmpte_bytes"));
	assert_int_equal(json_u64(out, "kernel_vmpte_bytes"), p.kernel_vmpte_bytes);
	assert_true(json_u64(out, "table_pages") > 0);
	free(out);
	return p;
}

static void test_live_sparse(void **state)
{
	(void)state;
	struct child c = start_child(SPARSE);
	struct ptsize_proc p = check_live(c);
	stop_child(c);
	/* 2731 written pages + 1 read, each in a PT of its own. */
	assert_true(p.pages_4k >= 2732);
	assert_true(p.st.table_pages[1] >= 2731);
	assert_true(p.st.table_pages[2] >= 8);
}

static void test_live_thp(void **state)
{
	(void)state;
	struct child c = start_child(THP);
	uint64_t thp = anon_huge(c.target);
	struct ptsize_proc p = check_live(c);
	stop_child(c);
	if (thp) {
		assert_true(p.leaves_2m >= 4);
		assert_true(p.deposited >= 4);
		/* Written THPs plus any huge zero pages deposit a table each. */
		assert_int_equal(p.deposited, p.leaves_2m);
	} else {
		print_message("note: no THP obtained (AnonHugePages 0); equality checked on 4K pages\n");
	}
}

static void test_live_forked(void **state)
{
	(void)state;
	struct child c = start_child(FORKED);
	assert_true(c.target != c.pid);
	uint64_t thp = anon_huge(c.target);
	struct ptsize_proc p = check_live(c);
	/* The parent of the fork matches too. */
	struct ptsize_proc q;
	assert_int_equal(ptsize_pid(c.pid, 0, &q), 0);
	assert_int_equal(q.computed_kernel_bytes, q.kernel_vmpte_bytes);
	stop_child(c);
	if (thp)
		assert_true(p.leaves_2m >= 4);
	else
		print_message("note: no THP inherited (AnonHugePages 0)\n");
}

/* The honest mismatch: a table the kernel keeps with no entry in it. */
static void test_live_dontneed(void **state)
{
	(void)state;
	struct child c = start_child(DONTNEED);
	struct ptsize_proc p;
	int rc = ptsize_pid(c.target, 0, &p);
	stop_child(c);
	assert_int_equal(rc, 0);
	if (p.match) {
		print_message("note: the kernel freed the emptied table (PT_RECLAIM)\n");
		return;
	}
	assert_int_equal(p.kernel_vmpte_bytes - p.computed_kernel_bytes, 4096);
	assert_non_null(strstr(p.note, "4 KiB more"));
	assert_non_null(strstr(p.note, "MADV_DONTNEED"));
}

static void test_live_errors(void **state)
{
	(void)state;
	struct ptsize_proc p;
	assert_int_equal(ptsize_pid(-1, 0, &p), -ESRCH);
	assert_int_equal(ptsize_pid(0, 0, &p), -ESRCH);
	/* A pid that cannot exist (pid_max is at most 2^22). */
	assert_int_equal(ptsize_pid(0x7ffffff0, 0, &p), -ESRCH);
	assert_non_null(strstr(xlat_error(), "no process"));
	/* A reaped child's pid. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	assert_int_equal(ptsize_pid(pid, 0, &p), -ESRCH);
	/* A zombie has no address space. */
	pid = fork();
	if (pid == 0)
		_exit(0);
	siginfo_t si;
	waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
	assert_int_equal(ptsize_pid(pid, 0, &p), -ENODATA);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_64m),
		cmocka_unit_test(test_seed_256m),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_estimate_matches_pt),
		cmocka_unit_test(test_layout_process),
		cmocka_unit_test(test_live_sparse),
		cmocka_unit_test(test_live_thp),
		cmocka_unit_test(test_live_forked),
		cmocka_unit_test(test_live_dontneed),
		cmocka_unit_test(test_live_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
