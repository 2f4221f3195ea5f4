/*
 * hardware/pwc_impl.h — a paging-structure cache's state and its hot path
 * (lookup and fill), inline, for pwc.c and the walker, which calls them on
 * every walk. Internal to src/hardware; the design is described in pwc.c.
 */
#ifndef XLAT_HARDWARE_PWC_IMPL_H
#define XLAT_HARDWARE_PWC_IMPL_H

#include "xlat/pwc.h"

#define PWC_NIL UINT32_MAX          /* no entry */

struct pwc_entry {
	uint64_t key;           /* prefix << 3 | level; 0 = invalid (levels are >= 2) */
	xlat_pa table;
	uint64_t rights;        /* the walker's rights word (xlat/pwc.h) */
	uint32_t tag;
	uint32_t next, prev;    /* neighbours in the bucket's chain, or PWC_NIL */
	uint32_t newer, older;  /* neighbours in the set's recency list, or PWC_NIL */
	uint32_t set;
};

struct pwc_set {
	uint32_t mru, lru;      /* ends of the recency list, which holds every way */
};

struct pwc_array {
	unsigned sets, ways;
	uint64_t set_mask;      /* sets - 1 if a power of two, else 0 (and % is used) */
	bool sets_pow2;
	struct pwc_entry *e;    /* sets * ways; set s owns e[s * ways, (s + 1) * ways) */
	struct pwc_set *set;    /* sets */
	uint32_t *bucket;       /* first entry of each hash chain, or PWC_NIL */
	unsigned bucket_shift;  /* 64 - log2(buckets) */
};

struct tlb;

struct pwc {
	struct pwc_config cfg;
	/* SPLIT: arr[L] for L = 2..5; UNIFIED, AMD: arr[0]. */
	struct pwc_array arr[XLAT_MAX_LEVELS + 1];
	/* The array caching each level (NULL: not cached), and the highest
	 * level cached. */
	struct pwc_array *at[XLAT_MAX_LEVELS + 1];
	int top;
	/* AMD: the TLB level that holds the PDEs (NULL: none cached), and
	 * the bits OR-ed into their tags there, which no translation's tag
	 * has (pwc_attach_pde_tlb). */
	struct tlb *pde_tlb;
	uint32_t pde_mark;
	struct pwc_stats st;
};

/* AMD: PDEs in the attached TLB (pwc.c). */
bool pwc_pde_lookup(struct pwc *p, uint32_t tag, xlat_va va, struct pwc_hit *hit);
void pwc_pde_fill(struct pwc *p, uint32_t tag, xlat_va va, xlat_pa table, uint64_t rights);
/* Gives an AMD-style cache the TLB level that holds its PDEs (one able to
 * hold 2 MiB entries; else none is used), with `mark` (bits 31:28, no
 * translation's tag has them: VPIDs are 16 bits) OR-ed into their tags.
 * NULL detaches. Internal to src/hardware: the mmu calls it. */
void pwc_attach_pde_tlb(struct pwc *p, struct tlb *t, uint32_t mark);

static inline uint64_t pwc_key_of(xlat_va va, int level)
{
	return (va >> xlat_level_shift(level)) << 3 | (uint64_t)level;
}

static inline uint32_t *pwc_bucket_of(const struct pwc_array *a, uint64_t key, uint32_t tag)
{
	uint64_t k = (key + tag * 0x9e3779b97f4a7c15ULL) * 0xff51afd7ed558ccdULL;

	return &a->bucket[k >> a->bucket_shift];
}

/* The set a key belongs to: (prefix + level) mod sets. */
static inline unsigned pwc_set_of(const struct pwc_array *a, uint64_t key)
{
	uint64_t x = (key >> 3) + (key & 7);

	return a->sets_pow2 ? (unsigned)(x & a->set_mask) : (unsigned)(x % a->sets);
}

/* The valid entry (key, tag) of bucket b, or PWC_NIL. */
static inline uint32_t pwc_find(const struct pwc_array *a, const uint32_t *b, uint64_t key, uint32_t tag)
{
	uint32_t i = *b;

	while (i != PWC_NIL && (a->e[i].key != key || a->e[i].tag != tag))
		i = a->e[i].next;
	return i;
}

/* Takes valid entry i out of its hash chain. */
static inline void pwc_unhash(struct pwc_array *a, uint32_t i)
{
	struct pwc_entry *e = &a->e[i];

	if (e->prev != PWC_NIL)
		a->e[e->prev].next = e->next;
	else
		*pwc_bucket_of(a, e->key, e->tag) = e->next;
	if (e->next != PWC_NIL)
		a->e[e->next].prev = e->prev;
	e->next = e->prev = PWC_NIL;
}

static inline void pwc_unlink_entry(struct pwc_array *a, struct pwc_set *s, uint32_t i)
{
	struct pwc_entry *e = &a->e[i];

	if (e->newer != PWC_NIL)
		a->e[e->newer].older = e->older;
	else
		s->mru = e->older;
	if (e->older != PWC_NIL)
		a->e[e->older].newer = e->newer;
	else
		s->lru = e->newer;
}

/* Makes entry i its set's most recently used. */
static inline void pwc_to_mru(struct pwc_array *a, uint32_t i)
{
	struct pwc_entry *e = &a->e[i];
	struct pwc_set *s = &a->set[e->set];

	if (s->mru == i)
		return;
	pwc_unlink_entry(a, s, i);
	e->newer = PWC_NIL;
	e->older = s->mru;
	a->e[s->mru].newer = i;
	s->mru = i;
}

/* Makes entry i its set's least recently used (it has just become invalid). */
static inline void pwc_to_lru(struct pwc_array *a, uint32_t i)
{
	struct pwc_entry *e = &a->e[i];
	struct pwc_set *s = &a->set[e->set];

	if (s->lru == i)
		return;
	pwc_unlink_entry(a, s, i);
	e->older = PWC_NIL;
	e->newer = s->lru;
	a->e[s->lru].older = i;
	s->lru = i;
}

/* pwc_lookup (xlat/pwc.h) is this, inline. */
static inline __attribute__((always_inline)) bool
pwc_lookup_inline(struct pwc *p, uint32_t tag, xlat_va va, int top_level, struct pwc_hit *hit)
{
	if (!p)
		return false;
	if (top_level > p->top)
		top_level = p->top;
	if (top_level < 2)
		goto miss;
	p->st.lookups++;
	if (p->pde_tlb && pwc_pde_lookup(p, tag, va, hit)) {
		p->st.hits_at[2]++;
		return true;
	}
	for (int l = 2; l <= top_level; l++) {
		struct pwc_array *a = p->at[l];
		if (!a)
			continue;
		uint64_t key = pwc_key_of(va, l);
		uint32_t i = pwc_find(a, pwc_bucket_of(a, key, tag), key, tag);
		if (i == PWC_NIL)
			continue;
		pwc_to_mru(a, i);
		p->st.hits_at[l]++;
		if (hit) {
			hit->level = l;
			hit->table = a->e[i].table;
			hit->rights = a->e[i].rights;
		}
		return true;
	}
	p->st.misses++;
	return false;
miss:
	if (p->cfg.style != PWC_NONE) {
		p->st.lookups++;
		p->st.misses++;
	}
	return false;
}

/* pwc_fill (xlat/pwc.h) is this, inline. */
static inline __attribute__((always_inline)) void
pwc_fill_inline(struct pwc *p, uint32_t tag, xlat_va va, int level, xlat_pa table, uint64_t rights)
{
	if (!p || p->cfg.style == PWC_NONE)
		return;
	if (level < 2 || level > XLAT_MAX_LEVELS)
		XLAT_BUG("level %d has no paging-structure cache", level);

	struct pwc_array *a = p->at[level];
	if (!a) {
		if (level == 2 && p->pde_tlb)
			pwc_pde_fill(p, tag, va, table, rights);
		return;
	}
	uint64_t key = pwc_key_of(va, level);
	uint32_t *b = pwc_bucket_of(a, key, tag);
	uint32_t i = pwc_find(a, b, key, tag);
	if (i == PWC_NIL) {
		/* The victim: an invalid entry, else the LRU one. */
		i = a->set[pwc_set_of(a, key)].lru;
		struct pwc_entry *e = &a->e[i];
		if (e->key)
			pwc_unhash(a, i);
		e->key = key;
		e->tag = tag;
		e->prev = PWC_NIL;
		e->next = *b;
		if (*b != PWC_NIL)
			a->e[*b].prev = i;
		*b = i;
	}
	a->e[i].table = table;
	a->e[i].rights = rights;
	pwc_to_mru(a, i);
	p->st.fills++;
}

#endif
