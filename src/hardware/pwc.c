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
 * Arrays are tiny (a few to a few dozen entries) and are consulted only on
 * a TLB miss, so a linear scan of the set is both simple and fast enough.
 * LRU is exact: each entry holds the cache's clock at its last use; invalid
 * entries hold 0 and are therefore always the first victims.
 *
 * Tags are compared exactly: paging-structure-cache entries are never
 * global (SDM 4.10.3.1: they are associated with the current PCID).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/pwc.h"

struct pwc_entry {
	uint64_t prefix;        /* va >> xlat_level_shift(level) */
	uint64_t stamp;         /* clock at last use; 0 = invalid */
	xlat_pa table;
	uint32_t tag;
	uint32_t perms;
	uint8_t level;          /* 0 = invalid */
};

struct pwc_array {
	unsigned sets, ways;
	struct pwc_entry *e;    /* sets * ways */
};

struct pwc {
	struct pwc_config cfg;
	/* SPLIT: arr[L] for L = 2..5; UNIFIED: arr[0]. */
	struct pwc_array arr[XLAT_MAX_LEVELS + 1];
	uint64_t clock;
	struct pwc_stats st;
};

#define PWC_MAX_ENTRIES (1u << 20)

static int array_init(struct pwc_array *a, unsigned entries, unsigned ways)
{
	a->ways = ways ? ways : entries;
	a->sets = entries / a->ways;
	a->e = calloc(entries, sizeof *a->e);
	return a->e ? 0 : xlat_fail(-ENOMEM, "pwc: out of memory for %u entries", entries);
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
	p->clock = 1;
	if (cfg->style == PWC_SPLIT) {
		for (int l = 2; l <= XLAT_MAX_LEVELS; l++)
			if (cfg->entries[l] && array_init(&p->arr[l], cfg->entries[l], 0))
				goto fail;
	} else if (cfg->style == PWC_UNIFIED) {
		if (array_init(&p->arr[0], cfg->unified_entries, cfg->unified_ways))
			goto fail;
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
	for (int l = 0; l <= XLAT_MAX_LEVELS; l++)
		free(p->arr[l].e);
	free(p);
}

static inline uint64_t prefix_of(xlat_va va, int level)
{
	return va >> xlat_level_shift(level);
}

/* The set that may hold (level, prefix): its first entry, or NULL if the
 * level is not cached. */
static struct pwc_entry *set_for(struct pwc *p, int level, uint64_t prefix, unsigned *ways)
{
	struct pwc_array *a;

	if (p->cfg.style == PWC_SPLIT) {
		a = &p->arr[level];
		if (!a->e)
			return NULL;
		*ways = a->ways;
		return a->e;
	}
	if (p->cfg.style != PWC_UNIFIED)
		return NULL;
	a = &p->arr[0];
	*ways = a->ways;
	return a->e + (size_t)((prefix + (uint64_t)level) % a->sets) * a->ways;
}

static struct pwc_entry *find(struct pwc_entry *s, unsigned ways, uint32_t tag, int level, uint64_t prefix)
{
	for (unsigned w = 0; w < ways; w++)
		if (s[w].level == level && s[w].prefix == prefix && s[w].tag == tag)
			return &s[w];
	return NULL;
}

bool pwc_lookup(struct pwc *p, uint32_t tag, xlat_va va, int top_level, struct pwc_hit *hit)
{
	if (!p || p->cfg.style == PWC_NONE)
		return false;
	p->st.lookups++;
	if (top_level > XLAT_MAX_LEVELS)
		top_level = XLAT_MAX_LEVELS;
	for (int l = 2; l <= top_level; l++) {
		uint64_t prefix = prefix_of(va, l);
		unsigned ways;
		struct pwc_entry *s = set_for(p, l, prefix, &ways);
		struct pwc_entry *e = s ? find(s, ways, tag, l, prefix) : NULL;
		if (!e)
			continue;
		e->stamp = ++p->clock;
		p->st.hits_at[l]++;
		if (hit) {
			hit->level = l;
			hit->table = e->table;
			hit->perms = e->perms;
		}
		return true;
	}
	p->st.misses++;
	return false;
}

void pwc_fill(struct pwc *p, uint32_t tag, xlat_va va, int level, xlat_pa table, uint32_t perms)
{
	if (!p || p->cfg.style == PWC_NONE)
		return;
	if (level < 2 || level > XLAT_MAX_LEVELS)
		XLAT_BUG("level %d has no paging-structure cache", level);

	uint64_t prefix = prefix_of(va, level);
	unsigned ways;
	struct pwc_entry *s = set_for(p, level, prefix, &ways);
	if (!s)
		return;
	struct pwc_entry *e = find(s, ways, tag, level, prefix);
	if (!e) {
		e = &s[0];
		for (unsigned w = 1; w < ways; w++)
			if (s[w].stamp < e->stamp)
				e = &s[w];
	}
	e->prefix = prefix;
	e->level = (uint8_t)level;
	e->tag = tag;
	e->table = table;
	e->perms = perms;
	e->stamp = ++p->clock;
	p->st.fills++;
}

static void flush_where(struct pwc *p, bool all, uint32_t tag)
{
	if (!p)
		return;
	for (int l = 0; l <= XLAT_MAX_LEVELS; l++) {
		struct pwc_array *a = &p->arr[l];
		if (!a->e)
			continue;
		for (size_t i = 0; i < (size_t)a->sets * a->ways; i++)
			if (all || a->e[i].tag == tag)
				memset(&a->e[i], 0, sizeof a->e[i]);
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
