/*
 * Paging-structure caches (xlat/pwc.h).
 *
 * An entry caches the non-leaf entry at level L for one VA prefix
 * (va >> xlat_level_shift(L)) under one tag: the next table's address and
 * the permissions accumulated from the top level down to L.
 *
 *  - PWC_SPLIT: one fully associative LRU array per level (Intel's PML5E,
 *    PML4E, PDPTE and PDE caches, SDM 4.10.3.1).
 *  - PWC_UNIFIED: one array for every level, entries tagged with their
 *    level; set index = (prefix + level) mod sets (fully associative when
 *    ways is 0 or equals entries), LRU within the set.
 *
 * They are consulted on every TLB miss, and a walk that misses the PDE
 * cache looks in several arrays and fills one, so nothing here scans a
 * set. An array is
 *
 *  - a hash table over its valid entries (key: tag, level, prefix), one
 *    doubly linked chain per bucket threaded through the entries: a lookup
 *    reads a bucket and the entry or two chained to it, and an entry
 *    leaves its chain in O(1);
 *  - one recency list per set, linked through the entries, most recently
 *    used first. Invalid entries are kept at the LRU end, so the victim of
 *    a fill is always the list's tail: an invalid entry if the set has one,
 *    else the least recently used. That is exact LRU with invalid entries
 *    filled first, as a clock stamp per entry would give, without a scan.
 *
 * Tags are compared exactly: paging-structure-cache entries are never
 * global (SDM 4.10.3.1: they are associated with the current PCID).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/pwc.h"

#define NIL UINT32_MAX          /* no entry */

struct pwc_entry {
	uint64_t key;           /* prefix << 3 | level; 0 = invalid (levels are >= 2) */
	xlat_pa table;
	uint32_t tag;
	uint32_t perms;
	uint32_t next, prev;    /* neighbours in the bucket's chain, or NIL */
	uint32_t newer, older;  /* neighbours in the set's recency list, or NIL */
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
	uint32_t *bucket;       /* first entry of each hash chain, or NIL */
	unsigned bucket_shift;  /* 64 - log2(buckets) */
};

struct pwc {
	struct pwc_config cfg;
	/* SPLIT: arr[L] for L = 2..5; UNIFIED: arr[0]. */
	struct pwc_array arr[XLAT_MAX_LEVELS + 1];
	/* The array caching each level (NULL: not cached), and the highest
	 * level cached. */
	struct pwc_array *at[XLAT_MAX_LEVELS + 1];
	int top;
	struct pwc_stats st;
};

#define PWC_MAX_ENTRIES (1u << 20)

/* Every entry invalid, every set's list in way order, every bucket empty. */
static void array_clear(struct pwc_array *a)
{
	size_t buckets = (size_t)1 << (64 - a->bucket_shift);

	for (unsigned s = 0; s < a->sets; s++) {
		uint32_t first = s * a->ways;
		for (uint32_t w = 0; w < a->ways; w++)
			a->e[first + w] = (struct pwc_entry){
				.next = NIL, .prev = NIL, .set = s,
				.newer = w ? first + w - 1 : NIL,
				.older = w + 1 < a->ways ? first + w + 1 : NIL,
			};
		a->set[s].mru = first;
		a->set[s].lru = first + a->ways - 1;
	}
	for (size_t b = 0; b < buckets; b++)
		a->bucket[b] = NIL;
}

static int array_init(struct pwc_array *a, unsigned entries, unsigned ways)
{
	unsigned bits = 1;

	a->ways = ways ? ways : entries;
	a->sets = entries / a->ways;
	a->sets_pow2 = (a->sets & (a->sets - 1)) == 0;
	a->set_mask = a->sets_pow2 ? a->sets - 1 : 0;
	while ((1u << bits) < 2 * entries)   /* load factor <= 1/2 */
		bits++;
	a->bucket_shift = 64 - bits;
	a->e = calloc(entries, sizeof *a->e);
	a->set = calloc(a->sets, sizeof *a->set);
	a->bucket = calloc((size_t)1 << bits, sizeof *a->bucket);
	if (!a->e || !a->set || !a->bucket)
		return xlat_fail(-ENOMEM, "pwc: out of memory for %u entries", entries);
	array_clear(a);
	return 0;
}

static int check_config(const struct pwc_config *cfg)
{
	if (!cfg)
		return xlat_fail(-EINVAL, "pwc: no configuration");
	switch (cfg->style) {
	case PWC_NONE:
		return 0;
	case PWC_SPLIT:
		if (cfg->entries[0] || cfg->entries[1])
			return xlat_fail(-EINVAL, "pwc: split caches exist for levels 2..5 only (level %d given %u entries)",
					 cfg->entries[0] ? 0 : 1, cfg->entries[0] ? cfg->entries[0] : cfg->entries[1]);
		for (int l = 2; l <= XLAT_MAX_LEVELS; l++)
			if (cfg->entries[l] > PWC_MAX_ENTRIES)
				return xlat_fail(-EINVAL, "pwc: %u entries at level %d is more than the model allows (%u)",
						 cfg->entries[l], l, PWC_MAX_ENTRIES);
		return 0;
	case PWC_UNIFIED: {
		unsigned n = cfg->unified_entries, w = cfg->unified_ways ? cfg->unified_ways : n;
		if (n == 0)
			return xlat_fail(-EINVAL, "pwc: a unified cache needs entries > 0");
		if (n > PWC_MAX_ENTRIES)
			return xlat_fail(-EINVAL, "pwc: %u entries is more than the model allows (%u)",
					 n, PWC_MAX_ENTRIES);
		if (w > n || n % w)
			return xlat_fail(-EINVAL, "pwc: %u entries is not a multiple of %u ways", n, w);
		return 0;
	}
	}
	return xlat_fail(-EINVAL, "pwc: unknown style %d", (int)cfg->style);
}

struct pwc *pwc_create(const struct pwc_config *cfg)
{
	struct pwc *p;

	if (check_config(cfg))
		return NULL;
	p = calloc(1, sizeof *p);
	if (!p) {
		xlat_fail(-ENOMEM, "pwc: out of memory");
		return NULL;
	}
	p->cfg = *cfg;
	if (cfg->style == PWC_SPLIT) {
		for (int l = 2; l <= XLAT_MAX_LEVELS; l++) {
			if (!cfg->entries[l])
				continue;
			if (array_init(&p->arr[l], cfg->entries[l], 0))
				goto fail;
			p->at[l] = &p->arr[l];
			p->top = l;
		}
	} else if (cfg->style == PWC_UNIFIED) {
		if (array_init(&p->arr[0], cfg->unified_entries, cfg->unified_ways))
			goto fail;
		for (int l = 2; l <= XLAT_MAX_LEVELS; l++)
			p->at[l] = &p->arr[0];
		p->top = XLAT_MAX_LEVELS;
	}
	return p;
fail:
	pwc_destroy(p);
	return NULL;
}

void pwc_destroy(struct pwc *p)
{
	if (!p)
		return;
	for (int l = 0; l <= XLAT_MAX_LEVELS; l++) {
		free(p->arr[l].e);
		free(p->arr[l].set);
		free(p->arr[l].bucket);
	}
	free(p);
}

static inline uint64_t key_of(xlat_va va, int level)
{
	return (va >> xlat_level_shift(level)) << 3 | (uint64_t)level;
}

static inline uint32_t *bucket_of(const struct pwc_array *a, uint64_t key, uint32_t tag)
{
	uint64_t k = (key + tag * 0x9e3779b97f4a7c15ULL) * 0xff51afd7ed558ccdULL;

	return &a->bucket[k >> a->bucket_shift];
}

/* The set a key belongs to: (prefix + level) mod sets. */
static inline unsigned set_of(const struct pwc_array *a, uint64_t key)
{
	uint64_t x = (key >> 3) + (key & 7);

	return a->sets_pow2 ? (unsigned)(x & a->set_mask) : (unsigned)(x % a->sets);
}

/* The valid entry (key, tag) of bucket b, or NIL. */
static inline uint32_t find(const struct pwc_array *a, const uint32_t *b, uint64_t key, uint32_t tag)
{
	uint32_t i = *b;

	while (i != NIL && (a->e[i].key != key || a->e[i].tag != tag))
		i = a->e[i].next;
	return i;
}

/* Takes valid entry i out of its hash chain. */
static void unhash(struct pwc_array *a, uint32_t i)
{
	struct pwc_entry *e = &a->e[i];

	if (e->prev != NIL)
		a->e[e->prev].next = e->next;
	else
		*bucket_of(a, e->key, e->tag) = e->next;
	if (e->next != NIL)
		a->e[e->next].prev = e->prev;
	e->next = e->prev = NIL;
}

static void unlink_entry(struct pwc_array *a, struct pwc_set *s, uint32_t i)
{
	struct pwc_entry *e = &a->e[i];

	if (e->newer != NIL)
		a->e[e->newer].older = e->older;
	else
		s->mru = e->older;
	if (e->older != NIL)
		a->e[e->older].newer = e->newer;
	else
		s->lru = e->newer;
}

/* Makes entry i its set's most recently used. */
static inline void to_mru(struct pwc_array *a, uint32_t i)
{
	struct pwc_entry *e = &a->e[i];
	struct pwc_set *s = &a->set[e->set];

	if (s->mru == i)
		return;
	unlink_entry(a, s, i);
	e->newer = NIL;
	e->older = s->mru;
	a->e[s->mru].newer = i;
	s->mru = i;
}

/* Makes entry i its set's least recently used (it has just become invalid). */
static void to_lru(struct pwc_array *a, uint32_t i)
{
	struct pwc_entry *e = &a->e[i];
	struct pwc_set *s = &a->set[e->set];

	if (s->lru == i)
		return;
	unlink_entry(a, s, i);
	e->older = NIL;
	e->newer = s->lru;
	a->e[s->lru].older = i;
	s->lru = i;
}

bool pwc_lookup(struct pwc *p, uint32_t tag, xlat_va va, int top_level, struct pwc_hit *hit)
{
	if (!p)
		return false;
	if (top_level > p->top)
		top_level = p->top;
	if (top_level < 2)
		goto miss;
	p->st.lookups++;
	for (int l = 2; l <= top_level; l++) {
		struct pwc_array *a = p->at[l];
		if (!a)
			continue;
		uint64_t key = key_of(va, l);
		uint32_t i = find(a, bucket_of(a, key, tag), key, tag);
		if (i == NIL)
			continue;
		to_mru(a, i);
		p->st.hits_at[l]++;
		if (hit) {
			hit->level = l;
			hit->table = a->e[i].table;
			hit->perms = a->e[i].perms;
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

void pwc_fill(struct pwc *p, uint32_t tag, xlat_va va, int level, xlat_pa table, uint32_t perms)
{
	if (!p || p->cfg.style == PWC_NONE)
		return;
	if (level < 2 || level > XLAT_MAX_LEVELS)
		XLAT_BUG("level %d has no paging-structure cache", level);

	struct pwc_array *a = p->at[level];
	if (!a)
		return;
	uint64_t key = key_of(va, level);
	uint32_t *b = bucket_of(a, key, tag);
	uint32_t i = find(a, b, key, tag);
	if (i == NIL) {
		/* The victim: an invalid entry, else the LRU one. */
		i = a->set[set_of(a, key)].lru;
		struct pwc_entry *e = &a->e[i];
		if (e->key)
			unhash(a, i);
		e->key = key;
		e->tag = tag;
		e->prev = NIL;
		e->next = *b;
		if (*b != NIL)
			a->e[*b].prev = i;
		*b = i;
	}
	a->e[i].table = table;
	a->e[i].perms = perms;
	to_mru(a, i);
	p->st.fills++;
}

/* Invalidates every entry (all) or those of one tag; an invalidated entry
 * leaves the hash table and goes to its set's LRU end. */
static void flush_where(struct pwc *p, bool all, uint32_t tag)
{
	if (!p)
		return;
	for (int l = 0; l <= XLAT_MAX_LEVELS; l++) {
		struct pwc_array *a = &p->arr[l];
		if (!a->e)
			continue;
		if (all) {
			array_clear(a);
			continue;
		}
		for (uint32_t i = 0; i < a->sets * a->ways; i++) {
			struct pwc_entry *e = &a->e[i];
			if (!e->key || e->tag != tag)
				continue;
			unhash(a, i);
			e->key = 0;
			to_lru(a, i);
		}
	}
	p->st.flushes++;
}

void pwc_flush_all(struct pwc *p)
{
	flush_where(p, true, 0);
}

void pwc_flush_tag(struct pwc *p, uint32_t tag)
{
	flush_where(p, false, tag);
}

void pwc_invlpg(struct pwc *p, uint32_t tag, xlat_va va)
{
	flush_where(p, false, tag);
}

const struct pwc_stats *pwc_get_stats(const struct pwc *p)
{
	return &p->st;
}

void pwc_reset_stats(struct pwc *p)
{
	memset(&p->st, 0, sizeof p->st);
}

const struct pwc_config *pwc_get_config(const struct pwc *p)
{
	return &p->cfg;
}
