/*
 * hardware/tlb_impl.h — a TLB level's state and its hot path (lookup and
 * fill), inline, for tlb.c and the mmu and walker, which call them on
 * every miss. Internal to src/hardware; the design is described in tlb.c.
 */
#ifndef XLAT_HARDWARE_TLB_IMPL_H
#define XLAT_HARDWARE_TLB_IMPL_H

#include "xlat/tlb.h"
#include "hardware/lru.h"
#include "hardware/slot_index.h"

#define TLB_KEY_INVALID UINT64_MAX
#define TLB_NSIZES 3

/* What a slot holds besides its key (in struct tlb_array.key). */
struct tlb_entry {
	xlat_pa pa;             /* page base */
	uint32_t tag;           /* VPID << 12 | PCID */
	uint32_t tagmask;       /* bits of tag compared: ~0, or ~0xfff for a global entry */
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
	struct slot_index index;   /* the valid slots by key */
	struct lru_link *link;  /* LRU: per slot */
	struct lru_ends *ends;  /* LRU: per set */
	uint8_t *plru;          /* PLRU: sets * pnodes tree bits, one byte each */
	unsigned pnodes;        /* heap slots per set: next_pow2(ways) - 1 */
	unsigned live[TLB_NSIZES];  /* valid entries per size */
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
	uint8_t szi, shift;
};

struct tlb {
	struct tlb_config cfg;
	unsigned narrays;
	struct tlb_array a[TLB_MAX_ARRAYS];
	struct tlb_probe probe[TLB_MAX_ARRAYS * TLB_NSIZES];
	unsigned nprobes;
	struct tlb_fill fill[TLB_NSIZES];   /* by the size index of the translation */
	uint64_t rng;           /* xorshift64 state, never 0 */
	/* The last lookup that missed (see "The fill after a miss"). */
	bool miss_valid;
	uint32_t miss_tag;
	uint64_t miss_page;     /* va >> 12 */
	struct tlb_stats st;
};

static inline bool tlb_tag_match(const struct tlb_entry *e, uint32_t tag)
{
	return ((e->tag ^ tag) & e->tagmask) == 0;
}

/* vpn mod sets, without a division (see tlb.c). */
static inline unsigned tlb_set_of(const struct tlb_array *a, uint64_t vpn)
{
	if (a->sets_pow2)
		return (unsigned)(vpn & a->set_mask);
	uint64_t q = (uint64_t)(((unsigned __int128)vpn * a->set_magic) >> a->set_shift);
	return (unsigned)(vpn - q * a->sets);
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

static inline uint64_t tlb_xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* ---- entries ------------------------------------------------------------- */

/* Takes the valid entry in slot s out of the index and the counts. (Its
 * size is in its key, so the entry itself is not read: a victim's is
 * about to be overwritten.) */
static inline void tlb_entry_forget(struct tlb_array *a, uint32_t s)
{
	slot_index_remove(&a->index, s, slot_index_hash(a->key[s]));
	a->live[a->key[s] & 3]--;
	a->key[s] = TLB_KEY_INVALID;
}

/* Makes the valid entry in slot s of `set` invalid. */
static inline void tlb_entry_kill(struct tlb_array *a, unsigned set, uint32_t s)
{
	tlb_entry_forget(a, s);
	if (a->link)
		lru_to_back(a->link, &a->ends[set], s);
}

/* Marks the valid entry in slot s of `set` most recently used. */
static inline void tlb_touch(struct tlb_array *a, unsigned set, uint32_t s)
{
	switch (a->cfg.repl) {
	case TLB_LRU:
		lru_to_front(a->link, &a->ends[set], s);
		break;
	case TLB_PLRU:
		if (a->ways > 1)
			tlb_plru_touch(a, set, s - set * a->ways);
		break;
	case TLB_RANDOM:
		break;
	}
}

/* ---- the hot path ------------------------------------------------------- */

/* tlb_lookup (xlat/tlb.h), inline. */
static inline __attribute__((always_inline)) bool
tlb_lookup_inline(struct tlb *t, uint32_t tag, xlat_va va, struct tlb_xlat *x)
{
	t->st.lookups++;
	for (const struct tlb_probe *p = t->probe; p < t->probe + t->nprobes; p++) {
		struct tlb_array *a = p->a;
		if (!a->live[p->szi])
			continue;
		uint64_t vpn = va >> p->shift, key = vpn << 2 | p->szi;
		for (uint32_t s = slot_index_first(&a->index, slot_index_hash(key)); s != SLOT_NONE;
		     s = slot_index_next(&a->index, s)) {
			const struct tlb_entry *e = &a->e[s];
			if (a->key[s] != key || !tlb_tag_match(e, tag))
				continue;
			tlb_touch(a, tlb_set_of(a, vpn), s);
			t->st.hits++;
			t->st.hits_by_size[p->szi]++;
			if (x) {
				x->pa = e->pa;
				x->shift = p->shift;
				x->global = e->global;
				x->dirty = e->dirty;
				x->perms = e->perms;
			}
			return true;
		}
	}
	t->st.misses++;
	t->miss_valid = true;
	t->miss_tag = tag;
	t->miss_page = va >> 12;
	return false;
}

/* The slot a fill of `set` takes: an invalid one, else the policy's victim
 * (made invalid; it is refilled at once, so it keeps its place in the
 * recency list until the fill moves it to the front). For LRU the list's
 * tail is both. */
static inline uint32_t tlb_fill_slot(struct tlb *t, struct tlb_array *a, unsigned set)
{
	uint32_t base = set * a->ways, s;

	if (a->cfg.repl == TLB_LRU) {
		s = a->ends[set].lru;
	} else {
		unsigned w;
		for (w = 0; w < a->ways && a->key[base + w] != TLB_KEY_INVALID; w++)
			;
		if (w == a->ways)
			w = a->cfg.repl == TLB_PLRU ? (a->ways > 1 ? tlb_plru_victim(a, set) : 0)
						    : (unsigned)(tlb_xorshift64(&t->rng) % a->ways);
		s = base + w;
	}
	if (a->key[s] != TLB_KEY_INVALID) {
		t->st.evictions++;
		tlb_entry_forget(a, s);
	}
	return s;
}

/* tlb_insert (xlat/tlb.h), inline. */
static inline __attribute__((always_inline)) void
tlb_insert_inline(struct tlb *t, uint32_t tag, xlat_va va, const struct tlb_xlat *x)
{
	unsigned xszi = x->shift == 12 ? 0 : x->shift == 21 ? 1 : x->shift == 30 ? 2 : 3;
	uint32_t mask = x->global ? ~0xfffu : ~0u;

	if (xszi > 2)
		XLAT_BUG("page shift %u is not 12, 21 or 30", x->shift);
	const struct tlb_fill *f = &t->fill[xszi];
	struct tlb_array *a = f->a;
	bool after_miss = t->miss_valid && t->miss_tag == tag && t->miss_page == va >> 12;

	t->miss_valid = false;
	if (!a)
		return;
	uint64_t vpn = va >> f->shift, key = vpn << 2 | f->szi;
	/* The new entry's base: x->pa is the base of x's page, which may be
	 * larger than the entry when splintering. */
	xlat_pa pa = x->pa;
	if (f->shift != x->shift)
		pa += va & ((1ULL << x->shift) - 1) & ~((1ULL << f->shift) - 1);
	unsigned set = tlb_set_of(a, vpn);
	uint64_t h = slot_index_hash(key);

	/* Kill entries for the same page that the new one would shadow or
	 * that would shadow it (same tag, or global of the same VPID), unless
	 * the miss just before proved there are none. */
	if (!after_miss || x->global)
		for (uint32_t s = slot_index_first(&a->index, h), next; s != SLOT_NONE; s = next) {
			next = slot_index_next(&a->index, s);
			if (a->key[s] == key && ((a->e[s].tag ^ tag) & a->e[s].tagmask & mask) == 0)
				tlb_entry_kill(a, set, s);
		}

	uint32_t s = tlb_fill_slot(t, a, set);
	a->key[s] = key;
	a->e[s] = (struct tlb_entry){
		.pa = pa, .tag = tag, .tagmask = mask, .perms = x->perms,
		.global = x->global ? 1 : 0, .dirty = x->dirty ? 1 : 0,
	};
	slot_index_add(&a->index, s, h);
	a->live[f->szi]++;
	tlb_touch(a, set, s);
	t->st.fills++;
}

#endif
