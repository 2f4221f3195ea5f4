/*
 * Internals of the workload generators (xlat/workload.h): the seeded random
 * number generator, the seeded permutation, and the generator source.
 */
#ifndef XLAT_INPUT_GEN_H
#define XLAT_INPUT_GEN_H

#include "input/source.h"
#include "xlat/workload.h"

/* xoshiro256** (Blackman & Vigna), seeded through splitmix64: fast, and the
 * same numbers on every platform. */
struct rng {
	uint64_t s[4];
};

static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl64(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return out;
}

/* Uniform in [0, n) (n >= 1), by multiply-shift: bias below n / 2^64. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* Uniform in [0, 1). */
static inline double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* A seeded bijection of [0, n): keyed invertible rounds on the smallest
 * power-of-two domain holding n, with cycle walking back into [0, n)
 * (expected < 2 steps since the domain is < 2n). */
struct perm {
	uint64_t n, mask;
	unsigned shift;
	uint64_t mul[4], add[4];
};

void perm_init(struct perm *p, uint64_t n, uint64_t seed);

static inline uint64_t perm_step(const struct perm *p, uint64_t x)
{
	for (int r = 0; r < 4; r++) {
		x = (x * p->mul[r] + p->add[r]) & p->mask;
		x ^= x >> p->shift;
	}
	return x;
}

static inline uint64_t perm_at(const struct perm *p, uint64_t i)
{
	uint64_t x = i;
	do
		x = perm_step(p, x);
	while (x >= p->n);
	return x;
}

#define SPARSE_REGIONS 7

/* A generator source: base first; fill() writes exactly n records. */
struct gen;
struct gen_def {
	const char *name;
	const char *summary;
	unsigned keys;          /* K_* options it takes */
	void (*defaults)(struct xlat_workload *w);
	int (*setup)(struct gen *g);   /* checks w beyond the common checks; inits state */
	void (*fill)(struct gen *g, struct xlat_access *out, size_t n);
	uint64_t (*records)(const struct xlat_workload *w);   /* NULL: w->count */
};

enum {
	K_SIZE = 1u << 0, K_COUNT = 1u << 1, K_SEED = 1u << 2, K_WRITE = 1u << 3,
	K_BASE = 1u << 4, K_STRIDE = 1u << 5, K_ACCESS = 1u << 6, K_ALPHA = 1u << 7,
	K_UNIT = 1u << 8, K_PROCS = 1u << 9, K_SLOTS = 1u << 10, K_HUGE = 1u << 11,
	K_OBJ = 1u << 12, K_LIVE = 1u << 13, K_PTRS = 1u << 14, K_ROOTS = 1u << 15,
	K_MARKS = 1u << 16, K_PHASE = 1u << 17,
};
#define K_COMMON (K_SIZE | K_COUNT | K_SEED | K_WRITE | K_BASE | K_ACCESS)

struct gen {
	struct xlat_source base;
	const struct gen_def *def;
	struct xlat_workload w;
	uint64_t i;             /* records emitted */
	uint64_t total;         /* records to emit (setup may set it, else records()) */
	struct rng rng;
	uint64_t wthresh;       /* a data access is a write if rng < wthresh ... */
	bool wall;              /* ... or always, if write == 1 */
	uint64_t off;           /* seq, stride: offset of the next access */
	uint64_t span;          /* seq, stride: bytes the scan wraps at */
	uint64_t pages;         /* 4 KiB pages of the heap */
	struct perm perm;       /* zipf, chase */
	double z_hx1, z_hn, z_s;   /* zipf: rejection-inversion constants */
	uint64_t round_len;     /* mmapbench, forkbench */
	uint64_t slot_stride;   /* mmapbench: bytes between slots */
	uint64_t chase_lines;   /* chase: lines of an element its reads rotate over */
	uint64_t chase_key;     /* chase: the rotation's hash key */
	struct {
		xlat_va start;
		uint64_t pages;
		bool code;
	} reg[SPARSE_REGIONS];  /* sparse */
	void *priv;             /* a generator's own state (gc), set by setup ... */
	void (*priv_free)(void *priv);   /* ... which sets this to free it */
};

/* A data access's kind, by the write fraction. */
static inline uint8_t gen_data_kind(struct gen *g)
{
	if (g->wall)
		return XLAT_WRITE;
	if (!g->wthresh)
		return XLAT_READ;
	return rng_next(&g->rng) < g->wthresh ? XLAT_WRITE : XLAT_READ;
}

static inline void gen_put(struct xlat_access *a, xlat_va va, uint32_t size, uint8_t kind,
			   uint8_t flags, uint16_t asid)
{
	a->va = va;
	a->size = size;
	a->kind = kind;
	a->flags = flags;
	a->asid = asid;
}

extern const struct gen_def gen_seq, gen_stride, gen_random, gen_zipf, gen_chase, gen_sparse;
extern const struct gen_def gen_mmapbench, gen_forkbench, gen_gc;

/* gc's phase option: "all" or names joined by '+' <-> XLAT_GC_* bits. */
int gen_gc_phases_parse(const char *s, uint8_t *phases);
void gen_gc_phases_format(uint8_t phases, char *buf, size_t len);

#endif
