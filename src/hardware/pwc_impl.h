/*
 * hardware/pwc_impl.h — a paging-structure cache's state and its hot path
 * (lookup and fill), inline, for pwc.c and the walker, which calls them on
 * every walk. Internal to src/hardware; the design is described in pwc.c.
 */
#ifndef XLAT_HARDWARE_PWC_IMPL_H
#define XLAT_HARDWARE_PWC_IMPL_H

#include "xlat/pwc.h"
#include "hardware/lru.h"
#include "hardware/slot_index.h"

/* What a slot holds besides its key (struct pwc_array.key). */
struct pwc_entry {
	xlat_pa table;          /* the next table, in the stage's table space */
	uint32_t tag;
	uint32_t perms;         /* accumulated from the top level down to this one */
};

struct pwc_array {
	unsigned sets, ways;
	uint64_t set_mask;      /* sets - 1 if a power of two */
	bool sets_pow2;
	uint64_t *key;          /* per slot: prefix << 3 | level; 0 = invalid (levels are >= 2) */
	struct pwc_entry *e;    /* per slot */
	uint32_t *set_of_slot;  /* per slot: its set */
	struct slot_index index;   /* the valid slots by (key, tag) */
	struct lru_link *link;  /* per slot */
	struct lru_ends *ends;  /* per set */
};

struct pwc {
	struct pwc_config cfg;
	/* SPLIT: arr[L] for L = 2..5; UNIFIED: arr[0]. */
	struct pwc_array arr[XLAT_MAX_LEVELS + 1];
	/* The array caching each level (NULL: not cached), and the highest
	 * level cached (0: none). */
	struct pwc_array *at[XLAT_MAX_LEVELS + 1];
	int top;
	struct pwc_stats st;
};

static inline uint64_t pwc_key(xlat_va va, int level)
{
	return (va >> xlat_level_shift(level)) << 3 | (uint64_t)level;
}

static inline uint64_t pwc_hash(uint64_t key, uint32_t tag)
{
	return slot_index_hash(key + tag * 0x9e3779b97f4a7c15ULL);
}

/* The valid slot for (key, tag), or SLOT_NONE. */
static inline uint32_t pwc_find(const struct pwc_array *a, uint64_t key, uint32_t tag, uint64_t h)
{
	uint32_t s = slot_index_first(&a->index, h);

	while (s != SLOT_NONE && (a->key[s] != key || a->e[s].tag != tag))
		s = slot_index_next(&a->index, s);
	return s;
}

/* pwc_lookup (xlat/pwc.h), inline. */
static inline __attribute__((always_inline)) bool
pwc_lookup_inline(struct pwc *p, uint32_t tag, xlat_va va, int top_level, struct pwc_hit *hit)
{
	if (!p || p->cfg.style == PWC_NONE)
		return false;
	p->st.lookups++;
	if (top_level > p->top)
		top_level = p->top;
	for (int l = 2; l <= top_level; l++) {
		struct pwc_array *a = p->at[l];
		if (!a)
			continue;
		uint64_t key = pwc_key(va, l);
		uint32_t s = pwc_find(a, key, tag, pwc_hash(key, tag));
		if (s == SLOT_NONE)
			continue;
		lru_to_front(a->link, &a->ends[a->set_of_slot[s]], s);
		p->st.hits_at[l]++;
		if (hit) {
			hit->level = l;
			hit->table = a->e[s].table;
			hit->perms = a->e[s].perms;
		}
		return true;
	}
	p->st.misses++;
	return false;
}

/* pwc_fill (xlat/pwc.h), inline. */
static inline __attribute__((always_inline)) void
pwc_fill_inline(struct pwc *p, uint32_t tag, xlat_va va, int level, xlat_pa table, uint32_t perms)
{
	if (!p || p->cfg.style == PWC_NONE)
		return;
	if (level < 2 || level > XLAT_MAX_LEVELS)
		XLAT_BUG("level %d has no paging-structure cache", level);

	struct pwc_array *a = p->at[level];
	if (!a)
		return;
	uint64_t key = pwc_key(va, level), h = pwc_hash(key, tag);
	uint32_t s = pwc_find(a, key, tag, h);
	if (s == SLOT_NONE) {
		/* The victim: an invalid slot, else the LRU one, which is
		 * refilled at once and so keeps its place in the list until
		 * it moves to the front below. */
		uint64_t x = (key >> 3) + (key & 7);
		unsigned set = a->sets_pow2 ? (unsigned)(x & a->set_mask) : (unsigned)(x % a->sets);
		s = a->ends[set].lru;
		if (a->key[s])
			slot_index_remove(&a->index, s, pwc_hash(a->key[s], a->e[s].tag));
		a->key[s] = key;
		a->e[s].tag = tag;
		slot_index_add(&a->index, s, h);
	}
	a->e[s].table = table;
	a->e[s].perms = perms;
	lru_to_front(a->link, &a->ends[a->set_of_slot[s]], s);
	p->st.fills++;
}

#endif
