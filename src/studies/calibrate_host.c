/*
 * The host microbenchmarks of `xlat calibrate` (calibrate_int.h): memory
 * regions of a chosen backing, chase chains, the clock, what the host says
 * about itself. Linux x86-64; elsewhere calibrate_measure says -ENOTSUP.
 *
 * Methodology (docs/calibrate.md says it for users):
 *  - Time is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so time when
 *    another task ran on our vCPU is not charged to the chase; the thread
 *    is pinned (sched_setaffinity) so it never migrates mid-measurement.
 *  - A chase is a dependent load chain: each load's address is the value
 *    the previous one returned, so loads cannot overlap and the time per
 *    load is its full latency (translation included). The order is one
 *    random cycle, so prefetchers see no stride.
 *  - Cycles: a chain of dependent register adds (one cycle each on every
 *    x86-64 core since the P6) timed with the same clock gives the core
 *    clock as the benchmarks ran; every time is multiplied by it. The TSC
 *    is not used: its rate is not the core's when the core boosts.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "studies/calibrate_int.h"

#define MiB2 (2ULL << 20)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23      /* Linux 5.14 */
#endif

/* ---- randomness (splitmix64: seeded, the same on every machine) ---------- */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0. */
static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(s) * n) >> 64);
}

/* A random cyclic permutation of [0, n) (Sattolo): following i -> p[i]
 * from any element visits all n before returning. NULL if out of memory. */
static uint32_t *cycle_perm(uint64_t n, uint64_t *s)
{
	uint32_t *p = malloc((size_t)n * sizeof *p);

	if (!p)
		return NULL;
	for (uint64_t i = 0; i < n; i++)
		p[i] = (uint32_t)i;
	for (uint64_t i = n - 1; i > 0; i--) {
		uint64_t j = rng_below(s, i);      /* j < i: Sattolo, not Fisher-Yates */
		uint32_t t = p[i];
		p[i] = p[j];
		p[j] = t;
	}
	return p;
}

static void shuffle_u8(uint8_t *a, unsigned n, uint64_t *s)
{
	for (unsigned i = n - 1; i > 0; i--) {
		unsigned j = (unsigned)rng_below(s, i + 1);
		uint8_t t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
}

/* ---- chains ------------------------------------------------------------------ */

void *calh_build_spread(char *base, uint64_t n, uint64_t seed)
{
	uint64_t s = seed;
	uint32_t *p;
	uint8_t *off;

	if (n < 2 || n > UINT32_MAX)
		return NULL;
	p = cycle_perm(n, &s);
	off = malloc((size_t)n);
	if (!p || !off) {
		free(p);
		free(off);
		return NULL;
	}
	/* Balanced offsets: each block of 64 pages is a permutation of the 64
	 * line offsets, so the L1 sets (indexed by the offset) share the lines
	 * evenly however many pages are chased. */
	for (uint64_t b = 0; b < n; b += CALIBRATE_LINES_PER_PAGE) {
		uint8_t blk[CALIBRATE_LINES_PER_PAGE];
		for (unsigned i = 0; i < CALIBRATE_LINES_PER_PAGE; i++)
			blk[i] = (uint8_t)i;
		shuffle_u8(blk, CALIBRATE_LINES_PER_PAGE, &s);
		for (unsigned i = 0; i < CALIBRATE_LINES_PER_PAGE && b + i < n; i++)
			off[b + i] = blk[i];
	}
#define SPREAD_LINE(i) (base + (i) * XLAT_PAGE_SIZE + (uint64_t)off[i] * CALIBRATE_LINE)
	for (uint64_t i = 0; i < n; i++)
		*(void **)SPREAD_LINE(i) = SPREAD_LINE(p[i]);
	void *start = SPREAD_LINE(0);
#undef SPREAD_LINE
	free(p);
	free(off);
	return start;
}

void *calh_build_packed(char *base, uint64_t n, uint64_t seed)
{
	uint64_t s = seed;
	uint32_t *p;

	if (n < 2 || n > UINT32_MAX)
		return NULL;
	p = cycle_perm(n, &s);
	if (!p)
		return NULL;
	for (uint64_t i = 0; i < n; i++)
		*(void **)(base + i * CALIBRATE_LINE) = base + (uint64_t)p[i] * CALIBRATE_LINE;
	free(p);
	return base;
}

void *calh_build_pagewise(char *base, uint64_t pages, unsigned k, uint64_t seed)
{
	uint64_t s = seed, cur = 0;
	void **prev_last = NULL;
	void *first = NULL;
	uint32_t *p;

	if (pages < 2 || pages > UINT32_MAX || k < 1 || k > CALIBRATE_LINES_PER_PAGE)
		return NULL;
	p = cycle_perm(pages, &s);
	if (!p)
		return NULL;
	for (uint64_t step = 0; step < pages; step++, cur = p[cur]) {
		uint8_t line[CALIBRATE_LINES_PER_PAGE];
		char *pg = base + cur * XLAT_PAGE_SIZE;
		unsigned pairs = k <= CALIBRATE_LINES_PER_PAGE / 2;   /* one line per 128-byte pair */
		unsigned n = pairs ? CALIBRATE_LINES_PER_PAGE / 2 : CALIBRATE_LINES_PER_PAGE;
		for (unsigned i = 0; i < n; i++)
			line[i] = (uint8_t)i;
		shuffle_u8(line, n, &s);
		for (unsigned j = 0; j < k; j++) {
			unsigned l = pairs ? 2u * line[j] + (unsigned)(rng_next(&s) & 1) : line[j];
			char *at = pg + l * CALIBRATE_LINE;
			if (prev_last)
				*prev_last = at;
			else
				first = at;
			prev_last = (void **)at;
		}
	}
	*prev_last = first;
	free(p);
	return first;
}

/* ---- time ---------------------------------------------------------------------- */

double calh_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

double calh_chase(void **pp, uint64_t steps)
{
	void *p = *pp;
	uint64_t n = (steps + 15) / 16;
	double t0 = calh_now_ns();

	for (uint64_t i = 0; i < n; i++) {
#define C4 p = *(void **)p; p = *(void **)p; p = *(void **)p; p = *(void **)p;
		C4 C4 C4 C4
#undef C4
	}
	double t1 = calh_now_ns();
	*pp = p;
	return t1 - t0;
}

double calh_clock_once(uint64_t iters, double *imul_ghz)
{
	uint64_t x = 0, one = 1, y = 3;
	double t0 = calh_now_ns(), t1, t2;

	for (uint64_t i = 0; i < iters; i++) {
#if defined(__x86_64__)
		/* 64 register adds, each waiting for the one before: 64 cycles.
		 * Register, not immediate: Golden Cove and later fold chains of
		 * immediate adds at rename (measured here at ~6 per cycle). The
		 * loop's own counter runs beside them on other ports. */
		__asm__ volatile(".rept 64\n\taddq %1, %0\n\t.endr" : "+r"(x) : "r"(one));
#else
		x += 64;
#endif
	}
	t1 = calh_now_ns();
	for (uint64_t i = 0; i < iters / 3; i++) {
#if defined(__x86_64__)
		/* The cross-check: 64 dependent 64-bit multiplies, 3 cycles each
		 * on every Intel core since Nehalem and every AMD core since Zen. */
		__asm__ volatile(".rept 64\n\timulq %0, %0\n\t.endr" : "+r"(y));
#else
		y *= y;
#endif
	}
	t2 = calh_now_ns();
	if (x != iters * 64)
		XLAT_BUG("add chain counted %llu", (unsigned long long)x);
	if (imul_ghz)
		*imul_ghz = t2 > t1 ? (double)(iters / 3) * 64.0 * 3.0 / (t2 - t1) : 0;
	return t1 > t0 ? (double)iters * 64.0 / (t1 - t0) : 0;
}

/* ---- pinning ------------------------------------------------------------------- */

static cpu_set_t saved_mask;
static bool saved;

int calh_pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		cpu = sched_getcpu();
	if (cpu < 0)
		return xlat_fail(-errno, "calibrate: sched_getcpu: %s", strerror(errno));
	if (!saved && sched_getaffinity(0, sizeof saved_mask, &saved_mask) == 0)
		saved = true;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set))
		return xlat_fail(-errno, "calibrate: cannot pin to CPU %d: %s", cpu, strerror(errno));
	return cpu;
}

void calh_unpin(void)
{
	if (saved)
		sched_setaffinity(0, sizeof saved_mask, &saved_mask);
	saved = false;
}

/* ---- regions -------------------------------------------------------------------- */

double calh_smaps_huge(const void *addr, size_t bytes)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long lo = (unsigned long)addr, hi = lo + bytes, s, e;
	char line[512];
	bool in = false;
	double total = 0, huge = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long kb;
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = s < hi && e > lo;
			if (in)
				total += (double)(e - s);
		} else if (in && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1) {
			huge += (double)kb * 1024;
		}
	}
	fclose(f);
	return total > 0 ? huge / total : -1;
}

static double wall_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int calh_region_map(struct calh_region *r, size_t bytes, bool thp, bool populate, double budget_s)
{
	const size_t chunk = 64 << 20;
	size_t len = xlat_align_up(bytes, MiB2), done = 0;
	char *m, *a;

	memset(r, 0, sizeof *r);
	m = mmap(NULL, len + MiB2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return xlat_fail(-ENOMEM, "calibrate: cannot map %zu MiB: %s", len >> 20, strerror(errno));
	/* 2 MiB aligned, so that every 2 MiB of it can be one THP. */
	a = (char *)xlat_align_up((uint64_t)(uintptr_t)m, MiB2);
	if (a > m)
		munmap(m, (size_t)(a - m));
	if (a + len < m + len + MiB2)
		munmap(a + len, (size_t)(m + len + MiB2 - (a + len)));
	if (madvise(a, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		int e = errno;
		munmap(a, len);
		return xlat_fail(-e, "calibrate: madvise(%s): %s", thp ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE",
				 strerror(e));
	}
	r->base = a;
	r->bytes = len;
	r->thp = thp;
	double t0 = calh_now_ns(), w0 = wall_s();
	/* MADV_POPULATE_WRITE (Linux 5.14) faults a range in one call, about
	 * twice as fast as a fault per page; the touch loop is the fallback,
	 * and what the fault-cost measurement times. In chunks, so that a
	 * budget can stop it (a VM whose hypervisor must back every page
	 * afresh can take seconds per GiB). */
	while (done < len) {
		size_t n = len - done < chunk ? len - done : chunk;
		if (!populate || madvise(a + done, n, MADV_POPULATE_WRITE))
			for (size_t o = 0; o < n; o += XLAT_PAGE_SIZE)
				((volatile char *)a)[done + o] = 1;
		done += n;
		if (budget_s > 0 && done < len && wall_s() - w0 > budget_s)
			break;
	}
	r->touch_ns = calh_now_ns() - t0;
	if (done < len) {
		munmap(a + done, len - done);
		r->bytes = done;
	}
	r->huge_fraction = calh_smaps_huge(a, r->bytes);
	return 0;
}

double calh_frames_consecutive(const void *addr, size_t bytes)
{
	enum { MAX = 4096 };
	uint64_t n = bytes / XLAT_PAGE_SIZE, *e;
	int fd;

	if (n > MAX)
		n = MAX;
	if (n < 2 || (fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	e = malloc(n * sizeof *e);
	off_t off = (off_t)((uintptr_t)addr / XLAT_PAGE_SIZE * sizeof *e);
	ssize_t got = e ? pread(fd, e, n * sizeof *e, off) : -1;
	close(fd);
	if (got != (ssize_t)(n * sizeof *e)) {
		free(e);
		return -1;
	}
	/* Bit 63 present, bits 0-54 the frame (0 when the reader may not see
	 * frame numbers). */
	uint64_t same = 0, seen = 0;
	for (uint64_t i = 0; i + 1 < n; i++) {
		uint64_t a = e[i] & ((1ULL << 55) - 1), b = e[i + 1] & ((1ULL << 55) - 1);
		if (!(e[i] >> 63) || !(e[i + 1] >> 63) || !a || !b)
			continue;
		seen++;
		same += b == a + 1;
	}
	free(e);
	return seen ? (double)same / (double)seen : -1;
}

void calh_region_unmap(struct calh_region *r)
{
	if (r->base)
		munmap(r->base, r->bytes);
	memset(r, 0, sizeof *r);
}

/* ---- statistics ------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The q-quantile of sorted v[0..n), linearly interpolated. */
static double quantile(const double *v, unsigned n, double q)
{
	double x = q * (n - 1);
	unsigned i = (unsigned)x;
	return i + 1 < n ? v[i] + (x - i) * (v[i + 1] - v[i]) : v[n - 1];
}

void calh_stat(struct calibrate_stat *s, const double *v, unsigned n)
{
	double tmp[CALIBRATE_MAX_REPS];

	memset(s, 0, sizeof *s);
	if (n == 0)
		return;
	if (n > CALIBRATE_MAX_REPS)
		n = CALIBRATE_MAX_REPS;
	memcpy(tmp, v, n * sizeof *v);
	qsort(tmp, n, sizeof *tmp, cmp_double);
	s->reps = n;
	s->lo = tmp[0];
	s->hi = tmp[n - 1];
	s->median = quantile(tmp, n, 0.5);
	s->iqr = quantile(tmp, n, 0.75) - quantile(tmp, n, 0.25);
	double m = s->median < 0 ? -s->median : s->median;
	s->spread = m > 0 ? s->iqr / m : 1e9;
}

void calh_stat_diff(struct calibrate_stat *d, const struct calibrate_stat *a, const struct calibrate_stat *b)
{
	memset(d, 0, sizeof *d);
	if (!a->reps || !b->reps)
		return;
	d->reps = a->reps < b->reps ? a->reps : b->reps;
	d->median = a->median - b->median;
	d->lo = a->lo - b->hi;
	d->hi = a->hi - b->lo;
	d->iqr = a->iqr + b->iqr;
	double m = d->median < 0 ? -d->median : d->median;
	d->spread = m > 0 ? d->iqr / m : 1e9;
}

/* ---- what the host says ---------------------------------------------------------- */

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	buf[0] = 0;
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

/* The bracketed word of a sysfs choice file ("always [madvise] never"). */
static void read_choice(const char *path, char *buf, size_t len)
{
	char line[128];
	const char *a, *b;

	read_line(path, line, sizeof line);
	a = strchr(line, '[');
	b = a ? strchr(a, ']') : NULL;
	if (a && b && (size_t)(b - a - 1) < len) {
		memcpy(buf, a + 1, (size_t)(b - a - 1));
		buf[b - a - 1] = 0;
	} else {
		snprintf(buf, len, "%.*s", (int)(len - 1), line[0] ? line : "unknown");
	}
}

static uint64_t parse_cache_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s)
		return 0;
	if (*end == 'K')
		v <<= 10;
	else if (*end == 'M')
		v <<= 20;
	else if (*end == 'G')
		v <<= 30;
	return v;
}

static void host_caches(struct calibrate_host *h)
{
	for (int i = 0; i < 8; i++) {
		char path[128], type[32], level[8], size[32], ways[16];
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
		read_line(path, type, sizeof type);
		if (!type[0])
			break;
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
		read_line(path, level, sizeof level);
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
		read_line(path, size, sizeof size);
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/ways_of_associativity", i);
		read_line(path, ways, sizeof ways);
		int l = atoi(level);
		if (l < 1 || l > 3 || !strcmp(type, "Instruction"))
			continue;
		h->cache_bytes[l - 1] = parse_cache_size(size);
		h->cache_ways[l - 1] = (unsigned)atoi(ways);
	}
}

static void host_cpuinfo(struct calibrate_host *h)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];

	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "flags", 5))
			continue;
		h->cpuinfo_hypervisor = strstr(line, " hypervisor") != NULL;
		break;
	}
	fclose(f);
}

static void host_cpuid(struct calibrate_host *h)
{
#if defined(__x86_64__)
	unsigned a, b, c, d;

	if (!__get_cpuid(0, &a, &b, &c, &d))
		return;
	memcpy(h->vendor, &b, 4);
	memcpy(h->vendor + 4, &d, 4);
	memcpy(h->vendor + 8, &c, 4);
	h->vendor[12] = 0;
	__cpuid(1, a, b, c, d);
	unsigned fam = (a >> 8) & 0xf, mod = (a >> 4) & 0xf;
	/* SDM vol. 2A, CPUID leaf 1: the display family adds the extended
	 * family when the base is 0xF; the display model adds the extended
	 * model for families 6 and 0xF. */
	if (fam == 0xf)
		fam += (a >> 20) & 0xff;
	if (fam == 0x6 || fam >= 0xf)
		mod |= ((a >> 16) & 0xf) << 4;
	h->family = fam;
	h->model = mod;
	h->stepping = a & 0xf;
	h->hypervisor = (c >> 31) & 1;
	if (h->hypervisor) {
		__cpuid(0x40000000, a, b, c, d);
		memcpy(h->hv_signature, &b, 4);
		memcpy(h->hv_signature + 4, &c, 4);
		memcpy(h->hv_signature + 8, &d, 4);
		h->hv_signature[12] = 0;
		for (int i = 0; i < 12; i++)
			if (h->hv_signature[i] && !isprint((unsigned char)h->hv_signature[i]))
				h->hv_signature[i] = '?';
	}
	__cpuid(0x80000000, a, b, c, d);
	if (a >= 0x80000004) {
		unsigned r[12];
		for (unsigned i = 0; i < 3; i++)
			__cpuid(0x80000002 + i, r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]);
		char raw[49];
		memcpy(raw, r, 48);
		raw[48] = 0;
		char *p = raw;
		while (*p == ' ')
			p++;
		snprintf(h->brand, sizeof h->brand, "%s", p);
	}
#else
	(void)h;
#endif
}

void calh_host_info(struct calibrate_host *h)
{
	char line[256];
	FILE *f;

	memset(h, 0, sizeof *h);
	h->cpu = -1;
	host_cpuid(h);
	host_cpuinfo(h);
	read_line("/sys/class/dmi/id/sys_vendor", h->dmi_vendor, sizeof h->dmi_vendor);
	read_line("/sys/class/dmi/id/product_name", h->dmi_product, sizeof h->dmi_product);
	read_choice("/sys/kernel/mm/transparent_hugepage/enabled", h->thp_enabled, sizeof h->thp_enabled);
	read_choice("/sys/kernel/mm/transparent_hugepage/defrag", h->thp_defrag, sizeof h->thp_defrag);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	h->ncpus = n > 0 ? (unsigned)n : 1;
	if ((f = fopen("/proc/meminfo", "r"))) {
		unsigned long long kb;
		while (fgets(line, sizeof line, f))
			if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
				h->mem_available = kb * 1024;
		fclose(f);
	}
	host_caches(h);
	if (gethostname(h->hostname, sizeof h->hostname - 1))
		snprintf(h->hostname, sizeof h->hostname, "unknown");
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(h->date, sizeof h->date, "%Y-%m-%d", &tm);
	/* DMI names a hypervisor's machine even when CPUID hides the bit (a
	 * vendor alone is not enough: Amazon and Microsoft sell bare metal). */
	static const char *const vm_product[] = { "Virtual Machine", "KVM", "QEMU", "VMware", "VirtualBox",
						   "HVM domU", "Standard PC", "Google Compute Engine", "BHYVE",
						   "OpenStack" };
	static const char *const vm_vendor[] = { "QEMU", "Xen", "innotek", "VMware", "Parallels", "BHYVE" };
	bool dmi_vm = false;
	for (size_t i = 0; i < sizeof vm_product / sizeof vm_product[0]; i++)
		if (strstr(h->dmi_product, vm_product[i]))
			dmi_vm = true;
	for (size_t i = 0; i < sizeof vm_vendor / sizeof vm_vendor[0]; i++)
		if (strstr(h->dmi_vendor, vm_vendor[i]))
			dmi_vm = true;
	h->is_vm = h->hypervisor || h->cpuinfo_hypervisor || dmi_vm;
}
