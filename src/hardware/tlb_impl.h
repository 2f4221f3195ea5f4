/*
 * hardware/tlb_impl.h — a TLB level's state and its hot path (lookup and
 * fill), inline, for tlb.c and for the mmu and the walker, which call them
 * on every miss. Internal to src/hardware; the design is described in
 * tlb.c.
 */
#ifndef XLAT_HARDWARE_TLB_IMPL_H
#define XLAT_HARDWARE_TLB_IMPL_H

#include "xlat/tlb.h"

#define TLB_KEY_INVALID UINT64_MAX
#define TLB_NSIZES 3

/* LRU recency lists: way numbers within a set (ways <= 65535, see
 * check_array), TLB_NO_WAY at the ends. */
#define TLB_NO_WAY UINT16_MAX

struct tlb_lru_link {
	uint16_t newer, older;
};

struct tlb_lru_ends {
	uint16_t mru, lru;
};

/* What a slot holds besides its key (in struct tlb_array.key). */
struct tlb_entry {
	xlat_pa pa;             /* page base */
	uint32_t tag;           /* VPID << 12 | PCID */
	uint32_t tagmask;       /* bits of tag compared: ~0, or ~TLB_PCID_MASK for a global entry */
	uint32_t perms;
	uint8_t global, dirty;  /* (the size is in the key) */
};

struct tlb_array {
	struct tlb_array_config cfg;
	unsigned sets, ways;
	uint64_t set_mask;      /* sets - 1 when sets is a power of two */
	bool sets_pow2;
	uint64_t set_magic;     /* else: vpn / sets = vpn * set_magic >> set_shift */
	unsigned set_shift;
	uint64_t *key;          /* per slot: (vpn << 2) | szi, or TLB_KEY_INVALID */
	struct tlb_entry *e;    /* per slot */
	struct tlb_lru_link *link;  /* LRU: per slot, its neighbours in the set's recency list */
	struct tlb_lru_ends *ends;  /* LRU: per set, the list's ends */
	uint8_t *plru;          /* PLRU: sets * pnodes tree bits, one byte each */
	unsigned pnodes;        /* heap slots per set: next_pow2(ways) - 1 */
	unsigned live[TLB_NSIZES];  /* valid entries per size */
	uint32_t probe_bit[TLB_NSIZES];  /* its probes' bits in the level's live_probes */
	uint32_t *live_probes;  /* the level's: which probes have live entries */
	/* Wide fully associative arrays: a hash index over the keys (see
	 * tlb_chain), else NULL. */
	uint32_t *bucket;       /* first slot of each chain, or TLB_NO_SLOT */
	uint32_t *next;         /* per slot: next slot of its chain */
	unsigned bshift;        /* 64 - log2(buckets) */
};

/* One (array, page size) pair a lookup probes. */
struct tlb_probe {
	struct tlb_array *a;
	uint8_t szi, shift;
};

/* Where a translation of one page size is filled: the array holding that
 * size, or the largest smaller size some array holds (splintering). */
struct tlb_fill {
	struct tlb_array *a;    /* NULL: the level holds only larger sizes */
	uint8_t szi, shift;     /* the size it is filled as */
};

struct tlb {
	struct tlb_config cfg;
	unsigned narrays;
	struct tlb_array a[TLB_MAX_ARRAYS];
	struct tlb_probe probe[TLB_MAX_ARRAYS * TLB_NSIZES];
	unsigned nprobes;
	struct tlb_fill fill[TLB_NSIZES];   /* by the size index of the translation */
	uint32_t live_probes;   /* bit i: probe[i]'s array holds entries of its size */
	uint64_t rng;           /* xorshift64 state, never 0 */
	/* The last lookup that missed (see "The fill after a miss"). */
	bool miss_valid;
	uint32_t miss_tag;
	uint64_t miss_page;     /* va >> 12 */
	struct tlb_stats st;
};

/* Invalidates every entry whose tag has (tag & mask) == value: the entries
 * another structure keeps in the TLB under tags no translation has (the
 * AMD-style paging-structure cache's PDEs, pwc.c). */
void tlb_flush_marked(struct tlb *t, uint32_t mask, uint32_t value);

/* ---- small helpers ---------------------------------------------------- */

static inline bool tlb_tag_match(const struct tlb_entry *e, uint32_t tag)
{
	return ((e->tag ^ tag) & e->tagmask) == 0;
}

/* vpn mod sets, without a division. For S sets, not a power of two,
 * 2^(l-1) < S < 2^l: m = ceil(2^(52+l) / S) fits 64 bits, and
 * m * S = 2^(52+l) + e with 0 <= e < S, so
 *   vpn * m / 2^(52+l) = vpn / S + vpn * e / (S * 2^(52+l)),
 * where for vpn < 2^52 the second term is below 2^-l < 1/S: too little to
 * reach the next integer above vpn / S, whose fraction is at most
 * (S - 1) / S. So the floor is exactly vpn / S (Granlund & Montgomery,
 * "Division by invariant integers using multiplication", 1994, thm 4.2). */
static inline unsigned tlb_set_of(const struct tlb_array *a, uint64_t vpn)
{
	if (a->cfg.hash)   /* the top 52 bits of a multiplicative hash */
		vpn = (vpn * 0x9e3779b97f4a7c15ULL) >> 12;
	if (a->sets_pow2)
		return (unsigned)(vpn & a->set_mask);
	uint64_t q = (uint64_t)(((unsigned __int128)vpn * a->set_magic) >> a->set_shift);
	return (unsigned)(vpn - q * a->sets);
}

/* A fully associative array with more than TLB_INDEX_WAYS ways (a
 * nested TLB, a 64- or 72-entry L1) finds its slots through a chained hash
 * index over their keys: the same page under other tags shares a chain.
 * A lookup reads one bucket and a slot or two instead of scanning every
 * way, and a miss, the common case behind the mmu's same-page check,
 * usually reads an empty bucket. Chains are singly linked; they hold about
 * one slot, so unlinking walks them. */
#define TLB_INDEX_WAYS 16
#define TLB_NO_SLOT UINT32_MAX

static inline uint32_t *tlb_chain(const struct tlb_array *a, uint64_t key)
{
	return &a->bucket[(key * 0x9e3779b97f4a7c15ULL) >> a->bshift];
}

static inline void tlb_unindex(struct tlb_array *a, uint32_t slot)
{
	uint32_t *link = tlb_chain(a, a->key[slot]);

	while (*link != slot)
		link = &a->next[*link];
	*link = a->next[slot];
}

static inline uint64_t tlb_xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* ---- tree PLRU -------------------------------------------------------
 * Node n has children 2n+1 (lower half of its ways) and 2n+2 (upper half);
 * bit 0 means "the victim is in the lower half". */

static inline void tlb_plru_touch(struct tlb_array *a, unsigned set, unsigned way)
{
	uint8_t *bits = a->plru + (size_t)set * a->pnodes;
	unsigned node = 0, lo = 0, hi = a->ways;

	while (hi - lo > 1) {
		unsigned mid = (lo + hi) / 2;
		if (way < mid) {
			bits[node] = 1;         /* used the lower half: victim above */
			node = 2 * node + 1;
			hi = mid;
		} else {
			bits[node] = 0;
			node = 2 * node + 2;
			lo = mid;
		}
	}
}

static inline unsigned tlb_plru_victim(const struct tlb_array *a, unsigned set)
{
	const uint8_t *bits = a->plru + (size_t)set * a->pnodes;
	unsigned node = 0, lo = 0, hi = a->ways;

	while (hi - lo > 1) {
		unsigned mid = (lo + hi) / 2;
		if (bits[node] == 0) {
			node = 2 * node + 1;
			hi = mid;
		} else {
			node = 2 * node + 2;
			lo = mid;
		}
	}
	return lo;
}

/* ---- LRU lists ----------------------------------------------------------- */

static inline void tlb_lru_unlink(struct tlb_lru_link *l, struct tlb_lru_ends *e, unsigned way)
{
	struct tlb_lru_link *x = &l[way];

	if (x->newer != TLB_NO_WAY)
		l[x->newer].older = x->older;
	else
		e->mru = x->older;
	if (x->older != TLB_NO_WAY)
		l[x->older].newer = x->newer;
	else
		e->lru = x->newer;
}

/* Makes `way` its set's most recently used. */
static inline void tlb_lru_to_front(struct tlb_array *a, unsigned set, unsigned way)
{
	struct tlb_lru_ends *e = &a->ends[set];
	struct tlb_lru_link *l = a->link + (size_t)set * a->ways;

	if (e->mru == way)
		return;
	tlb_lru_unlink(l, e, way);
	l[way] = (struct tlb_lru_link){ .newer = TLB_NO_WAY, .older = e->mru };
	l[e->mru].newer = (uint16_t)way;
	e->mru = (uint16_t)way;
}

/* Puts `way`, just made invalid, at its set's LRU end. */
static inline void tlb_lru_to_back(struct tlb_array *a, unsigned set, unsigned way)
{
	struct tlb_lru_ends *e = &a->ends[set];
	struct tlb_lru_link *l = a->link + (size_t)set * a->ways;

	if (e->lru == way)
		return;
	tlb_lru_unlink(l, e, way);
	l[way] = (struct tlb_lru_link){ .newer = e->lru, .older = TLB_NO_WAY };
	l[e->lru].older = (uint16_t)way;
	e->lru = (uint16_t)way;
}

/* ---- entries ------------------------------------------------------------- */

/* Makes the valid entry in way `way` of `set` invalid. (Its size is in its
 * key, so the entry itself is not read: a victim's is about to be
 * overwritten.) */
static inline void tlb_entry_kill(struct tlb_array *a, unsigned set, unsigned way)
{
	size_t slot = (size_t)set * a->ways + way;

	if (--a->live[a->key[slot] & 3] == 0)
		*a->live_probes &= ~a->probe_bit[a->key[slot] & 3];
	if (a->bucket)
		tlb_unindex(a, (uint32_t)slot);
	a->key[slot] = TLB_KEY_INVALID;
	if (a->link)
		tlb_lru_to_back(a, set, way);
}

/* Marks the valid entry in way `way` of `set` most recently used. */
static inline void tlb_touch(struct tlb_array *a, unsigned set, unsigned way)
{
	switch (a->cfg.repl) {
	case TLB_LRU:
		tlb_lru_to_front(a, set, way);
		break;
	case TLB_PLRU:
		if (a->ways > 1)
			tlb_plru_touch(a, set, way);
		break;
	case TLB_RANDOM:
		break;
	}
}

/* ---- the hot path ------------------------------------------------------- */

/* tlb_lookup (xlat/tlb.h) is this, inline. */

/* The key of va's page for probe p and the set that would hold it. False
 * if p can hold no entry for it now (no live entry of that size). */
static inline bool tlb_probe_set(const struct tlb_probe *p, xlat_va va, uint64_t *key, unsigned *set)
{
	const struct tlb_array *a = p->a;
	uint64_t vpn = va >> p->shift;

	if (!a->live[p->szi])
		return false;
	*key = vpn << 2 | p->szi;
	*set = tlb_set_of(a, vpn);
	return true;
}

/* Fills *x from the entry in slot s found for probe p. */
static inline void tlb_hit(struct tlb *t, const struct tlb_probe *p, size_t s, struct tlb_xlat *x)
{
	const struct tlb_entry *e = &p->a->e[s];

	t->st.hits++;
	t->st.hits_by_size[p->szi]++;
	if (x) {
		x->pa = e->pa;
		x->shift = p->shift;
		x->global = e->global;
		x->dirty = e->dirty;
		x->perms = e->perms;
	}
}

static inline __attribute__((always_inline)) bool
tlb_lookup_inline(struct tlb *t, uint32_t tag, xlat_va va, struct tlb_xlat *x)
{
	t->st.lookups++;
	/* Only the probes of page sizes with live entries, in probe order. */
	for (uint32_t live = t->live_probes; live; live &= live - 1) {
		const struct tlb_probe *p = &t->probe[__builtin_ctz(live)];
		struct tlb_array *a = p->a;
		uint64_t vpn = va >> p->shift, key = vpn << 2 | p->szi;
		if (a->bucket) {
			for (uint32_t slot = *tlb_chain(a, key); slot != TLB_NO_SLOT; slot = a->next[slot])
				if (a->key[slot] == key && tlb_tag_match(&a->e[slot], tag)) {
					tlb_touch(a, 0, slot);
					tlb_hit(t, p, slot, x);
					return true;
				}
			continue;
		}
		unsigned set = tlb_set_of(a, vpn);
		size_t base = (size_t)set * a->ways;
		const uint64_t *k = a->key + base;
		for (unsigned w = 0; w < a->ways; w++)
			if (k[w] == key && tlb_tag_match(&a->e[base + w], tag)) {
				tlb_touch(a, set, w);
				tlb_hit(t, p, base + w, x);
				return true;
			}
	}
	t->st.misses++;
	t->miss_valid = true;
	t->miss_tag = tag;
	t->miss_page = va >> 12;
	return false;
}

/* ---- fills -------------------------------------------------------------- */

/* The way a fill of `set` takes: an invalid way, else the policy's victim
 * (made invalid). For LRU the list's tail is both. */
static inline unsigned tlb_fill_way(struct tlb *t, struct tlb_array *a, unsigned set)
{
	size_t base = (size_t)set * a->ways;
	const uint64_t *k = a->key + base;
	unsigned w, way, ways = a->ways;

	if (a->cfg.repl == TLB_LRU) {
		way = a->ends[set].lru;
	} else {
		for (w = 0; w < ways && k[w] != TLB_KEY_INVALID; w++)
			;
		if (w < ways)
			way = w;
		else if (a->cfg.repl == TLB_PLRU)
			way = a->ways > 1 ? tlb_plru_victim(a, set) : 0;
		else
			way = (unsigned)(tlb_xorshift64(&t->rng) % a->ways);
	}
	if (k[way] != TLB_KEY_INVALID) {
		t->st.evictions++;
		tlb_entry_kill(a, set, way);
	}
	return way;
}

/* tlb_insert (xlat/tlb.h) is this, inline. */
static inline __attribute__((always_inline)) void
tlb_insert_inline(struct tlb *t, uint32_t tag, xlat_va va, const struct tlb_xlat *x)
{
	unsigned xszi = xlat_shift_psize_exact(x->shift);
	uint32_t mask = x->global ? ~TLB_PCID_MASK : ~0u;

	if (xszi >= XLAT_NPSIZES)
		XLAT_BUG("page shift %u is not 12, 21 or 30", x->shift);
	const struct tlb_fill *f = &t->fill[xszi];
	struct tlb_array *a = f->a;
	if (!a)
		return;
	unsigned szi = f->szi;
	uint64_t vpn = va >> f->shift, key = vpn << 2 | szi;
	/* The new entry's base: x->pa is the base of x's page, which may be
	 * larger than the entry when splintering. */
	xlat_pa pa = x->pa;
	if (f->shift != x->shift)
		pa += va & ((1ULL << x->shift) - 1) & ~((1ULL << f->shift) - 1);
	unsigned set = tlb_set_of(a, vpn);
	size_t base = (size_t)set * a->ways;
	bool after_miss = t->miss_valid && t->miss_tag == tag && t->miss_page == va >> 12;

	/* Kill entries for the same page that the new one would shadow or
	 * that would shadow it (same tag, or global of the same VPID), unless
	 * the miss just before proved there are none. */
	t->miss_valid = false;
	if (!after_miss || x->global)
		for (unsigned w = 0; w < a->ways; w++)
			if (a->key[base + w] == key &&
			    ((a->e[base + w].tag ^ tag) & a->e[base + w].tagmask & mask) == 0)
				tlb_entry_kill(a, set, w);

	unsigned way = tlb_fill_way(t, a, set);
	size_t slot = base + way;
	a->key[slot] = key;
	a->e[slot] = (struct tlb_entry){
		.pa = pa, .tag = tag, .tagmask = mask, .perms = x->perms,
		.global = x->global ? 1 : 0, .dirty = x->dirty ? 1 : 0,
	};
	if (a->live[szi]++ == 0)
		*a->live_probes |= a->probe_bit[szi];
	if (a->bucket) {
		uint32_t *chain = tlb_chain(a, key);
		a->next[slot] = *chain;
		*chain = (uint32_t)slot;
	}
	tlb_touch(a, set, way);
	t->st.fills++;
}

#endif
