/*
 * The access generators: seq, stride, random, zipf, chase, sparse
 * (semantics in xlat/workload.h). Each fills a batch in a tight loop; all
 * randomness comes from the generator's seeded rng, consumed in stream
 * order, so a stream is a pure function of its options.
 */
#include <errno.h>
#include <math.h>

#include "input/gen.h"

void perm_init(struct perm *p, uint64_t n, uint64_t seed)
{
	unsigned bits = 1;
	while (bits < 64 && (1ULL << bits) < n)
		bits++;
	p->n = n;
	p->mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
	p->shift = (bits + 1) / 2;
	uint64_t x = seed ^ 0x5eed5eed5eed5eedULL;
	for (int r = 0; r < 4; r++) {
		p->mul[r] = splitmix64(&x) | 1;   /* odd: invertible mod 2^bits */
		p->add[r] = splitmix64(&x);
	}
}

/* ---- seq, stride: a linear scan that wraps ---- */

static int scan_setup(struct gen *g)
{
	if (g->w.stride > g->w.size)
		return xlat_fail(-EINVAL, "workload %s: stride %llu is larger than size %llu", g->w.name,
				 (unsigned long long)g->w.stride, (unsigned long long)g->w.size);
	g->span = g->w.size - g->w.size % g->w.stride;
	g->off = 0;
	return 0;
}

static void scan_fill(struct gen *g, struct xlat_access *out, size_t n)
{
	uint64_t off = g->off, span = g->span, stride = g->w.stride;
	for (size_t k = 0; k < n; k++) {
		gen_put(&out[k], g->w.base + off, g->w.access, gen_data_kind(g), 0, 0);
		off += stride;
		if (off >= span)
			off -= span;
	}
	g->off = off;
}

static void seq_defaults(struct xlat_workload *w)
{
	w->stride = 0;   /* = access */
}

static void stride_defaults(struct xlat_workload *w)
{
	w->stride = 4096;
}

const struct gen_def gen_seq = {
	"seq", "linear scan, access after access [stride]",
	K_COMMON | K_STRIDE, seq_defaults, scan_setup, scan_fill, NULL,
};

const struct gen_def gen_stride = {
	"stride", "linear scan by a stride, default 4 KiB [stride]",
	K_COMMON | K_STRIDE, stride_defaults, scan_setup, scan_fill, NULL,
};

/* ---- random: uniform ---- */

static int random_setup(struct gen *g)
{
	g->span = g->w.size / g->w.access;   /* access-aligned slots */
	return 0;
}

static void random_fill(struct gen *g, struct xlat_access *out, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		uint64_t slot = rng_below(&g->rng, g->span);
		gen_put(&out[k], g->w.base + slot * g->w.access, g->w.access, gen_data_kind(g), 0, 0);
	}
}

const struct gen_def gen_random = {
	"random", "uniform random accesses",
	K_COMMON, NULL, random_setup, random_fill, NULL,
};

/* ---- zipf over pages: rejection-inversion sampling ----
 *
 * W. Hörmann, G. Derflinger, "Rejection-inversion to generate variates from
 * monotone discrete distributions", ACM TOMACS 6(3), 1996: O(1) time and
 * memory per sample for any number of pages, where a CDF table would need
 * 8 bytes a page. h(x) = x^-s is the unnormalised weight of rank x, H an
 * antiderivative of h, Hinv its inverse.
 */

/* (e^t - 1) / t, continuous at 0 */
static double expm1_over(double t)
{
	return fabs(t) > 1e-8 ? expm1(t) / t : 1 + t / 2;
}

/* log(1 + t) / t, continuous at 0 */
static double log1p_over(double t)
{
	return fabs(t) > 1e-8 ? log1p(t) / t : 1 - t / 2;
}

static double zipf_h(double s, double x)
{
	return exp(-s * log(x));
}

static double zipf_H(double s, double x)
{
	double lx = log(x);
	return expm1_over((1 - s) * lx) * lx;
}

static double zipf_Hinv(double s, double y)
{
	double t = y * (1 - s);
	if (t < -1)
		t = -1;   /* rounding: keeps the result finite */
	return exp(log1p_over(t) * y);
}

static int zipf_setup(struct gen *g)
{
	double s = g->w.alpha;
	g->pages = g->w.size / XLAT_PAGE_SIZE;
	perm_init(&g->perm, g->pages, g->w.seed);
	g->z_hx1 = zipf_H(s, 1.5) - 1;
	g->z_hn = zipf_H(s, (double)g->pages + 0.5);
	g->z_s = 2 - zipf_Hinv(s, zipf_H(s, 2.5) - zipf_h(s, 2));
	return 0;
}

/* A rank in [1, pages], rank 1 the most likely. */
static uint64_t zipf_rank(struct gen *g)
{
	double s = g->w.alpha;
	for (;;) {
		double u = g->z_hn + rng_unit(&g->rng) * (g->z_hx1 - g->z_hn);
		double x = zipf_Hinv(s, u);
		double kd = floor(x + 0.5);
		if (kd < 1)
			kd = 1;
		else if (kd > (double)g->pages)
			kd = (double)g->pages;
		if (kd - x <= g->z_s || u >= zipf_H(s, kd + 0.5) - zipf_h(s, kd))
			return (uint64_t)kd;
	}
}

static void zipf_fill(struct gen *g, struct xlat_access *out, size_t n)
{
	uint64_t slots = XLAT_PAGE_SIZE / g->w.access;
	for (size_t k = 0; k < n; k++) {
		uint64_t page = perm_at(&g->perm, zipf_rank(g) - 1);
		uint64_t off = rng_below(&g->rng, slots) * g->w.access;
		gen_put(&out[k], g->w.base + page * XLAT_PAGE_SIZE + off, g->w.access, gen_data_kind(g), 0, 0);
	}
}

static void zipf_defaults(struct xlat_workload *w)
{
	w->alpha = 1.0;
}

const struct gen_def gen_zipf = {
	"zipf", "pages by Zipf(alpha) popularity, hot ones scattered [alpha]",
	K_COMMON | K_ALPHA, zipf_defaults, zipf_setup, zipf_fill, NULL,
};

/* ---- chase: a random cyclic order over lines or pages ---- */

#define CHASE_LINE 64

static int chase_setup(struct gen *g)
{
	if (g->w.unit == 0 || g->w.unit > g->w.size)
		return xlat_fail(-EINVAL, "workload chase: unit %llu must be 1..size (%llu)",
				 (unsigned long long)g->w.unit, (unsigned long long)g->w.size);
	g->span = g->w.size / g->w.unit;
	perm_init(&g->perm, g->span, g->w.seed);
	g->off = 0;   /* position in the cycle */
	/* An element of two lines or more is read at one of its lines, not
	 * always its first: with the accesses' lines in the cache model, a
	 * page chase at offset 0 would put every line in one L1D set (4 KiB
	 * apart), which no chase meant to measure translation does. Each
	 * block of unit/64 consecutive elements uses every line offset once
	 * (rotated by a hash of the block), so the sets share the lines
	 * evenly at any size, as xlat calibrate's own chase places them (an
	 * access wider than a line stays at the element's start). */
	g->chase_lines = g->w.unit % CHASE_LINE == 0 && g->w.unit >= 2 * CHASE_LINE && g->w.access <= CHASE_LINE ?
			 g->w.unit / CHASE_LINE : 1;
	uint64_t k = g->w.seed ^ 0x6c696e6573ULL;   /* "lines" */
	g->chase_key = splitmix64(&k);
	return 0;
}

/* The line of element e that the chase reads: see chase_setup. */
static inline uint64_t chase_line(const struct gen *g, uint64_t e)
{
	uint64_t lines = g->chase_lines, x = e / lines ^ g->chase_key;
	if (lines == 1)
		return 0;
	return (e % lines + splitmix64(&x)) % lines;
}

static void chase_fill(struct gen *g, struct xlat_access *out, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		uint64_t e = perm_at(&g->perm, g->off);
		if (++g->off == g->span)
			g->off = 0;
		gen_put(&out[k], g->w.base + e * g->w.unit + chase_line(g, e) * CHASE_LINE, g->w.access,
			gen_data_kind(g), 0, 0);
	}
}

static void chase_defaults(struct xlat_workload *w)
{
	w->unit = 64;
}

const struct gen_def gen_chase = {
	"chase", "pointer chase in a random cyclic order of lines/pages [unit]",
	K_COMMON | K_UNIT, chase_defaults, chase_setup, chase_fill, NULL,
};

/* ---- sparse: the seed's 64 MiB process ---- */

#define SPARSE_MAX (512ULL << 30)      /* bytes: keeps the regions apart */
#define SPARSE_MIN (128ULL << 10)      /* bytes: every region gets a page */
#define SPARSE_TEXT 0x555555554000ULL  /* a PIE executable's load address */
#define SPARSE_MMAP 0x7f0000000000ULL  /* where the mmap area starts */
#define SPARSE_MMAP_GAP (64ULL << 30)
#define SPARSE_STACK_TOP 0x7ffe00000000ULL

static int sparse_setup(struct gen *g)
{
	uint64_t s = g->w.size;
	if (s < SPARSE_MIN || s > SPARSE_MAX)
		return xlat_fail(-EINVAL, "workload sparse: size must be 128k..512g, not %llu",
				 (unsigned long long)s);
	uint64_t text = s / 16 / XLAT_PAGE_SIZE, heap = s / 2 / XLAT_PAGE_SIZE;
	uint64_t mmap = 3 * s / 32 / XLAT_PAGE_SIZE, stack = s / 16 / XLAT_PAGE_SIZE;
	g->reg[0].start = SPARSE_TEXT;
	g->reg[0].pages = text;
	g->reg[0].code = true;
	g->reg[1].start = xlat_align_up(SPARSE_TEXT + text * XLAT_PAGE_SIZE, XLAT_SIZE_1G);
	g->reg[1].pages = heap;
	for (int k = 0; k < 4; k++) {
		g->reg[2 + k].start = SPARSE_MMAP + (uint64_t)k * SPARSE_MMAP_GAP;
		g->reg[2 + k].pages = mmap;
	}
	g->reg[6].start = SPARSE_STACK_TOP - stack * XLAT_PAGE_SIZE;
	g->reg[6].pages = stack;
	g->pages = 0;
	for (int k = 0; k < SPARSE_REGIONS; k++)
		g->pages += g->reg[k].pages;
	return 0;
}

static void sparse_fill(struct gen *g, struct xlat_access *out, size_t n)
{
	uint64_t slots = XLAT_PAGE_SIZE / g->w.access;
	for (size_t k = 0; k < n; k++) {
		uint64_t i = g->i + k;
		/* First every page once, in address order; then uniform. */
		uint64_t page = i < g->pages ? i : rng_below(&g->rng, g->pages);
		int r = 0;
		while (page >= g->reg[r].pages)
			page -= g->reg[r++].pages;
		uint64_t off = rng_below(&g->rng, slots) * g->w.access;
		uint8_t kind = g->reg[r].code ? XLAT_FETCH : gen_data_kind(g);
		gen_put(&out[k], g->reg[r].start + page * XLAT_PAGE_SIZE + off, g->w.access, kind, 0, 0);
	}
}

const struct gen_def gen_sparse = {
	"sparse", "the seed's 64 MiB process: 7 regions over 47 bits [no base]",
	K_SIZE | K_COUNT | K_SEED | K_WRITE | K_ACCESS, NULL, sparse_setup, sparse_fill, NULL,
};
